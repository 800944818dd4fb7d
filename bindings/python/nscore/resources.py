"""Resource limits of a spawned command: memory, CPU time and CPUs, processes, block io and huge
pages (the OCI runtime spec's ``linux.resources``; ``include/nscore.h``, "Resources (cgroups)").

:func:`nscore.spawn` takes them as ``resources=`` (a :class:`Resources`, or a dict of its
fields)::

    import nscore

    limits = nscore.Resources(memory_max="256m", memory_swap="256m", cpu_quota=50_000, pids_max=64)
    with nscore.spawn(["make", "-j8"], resources=limits) as c:
        print(c.cgroups)   # ['/sys/fs/cgroup/memory/.../nscore-1234-1', ...]
        print(c.wait())

Any limit gives the container a cgroup of its own, below the caller's cgroup in each hierarchy
it needs; the limits are written before the command runs, and the cgroup is removed once the
container is reaped (or when the spawn fails). :attr:`nscore.Container.cgroups` lists its
directories. Making a cgroup needs write access to the caller's cgroup (root, or a delegated
cgroup2 subtree): otherwise the spawn raises :class:`~nscore.PermissionDeniedError` (a
``PermissionError``) saying so. A :class:`Resources` with nothing set makes no cgroup.

``spawn(..., cgroups_path=...)`` places the container's cgroup (the OCI runtime spec's
``linux.cgroupsPath``, ``nscore_spawn_config_set_cgroups_path``): an absolute path is from the
root of each hierarchy (``"/ci/job-7"``: ``/sys/fs/cgroup/memory/ci/job-7`` on a hybrid machine),
a relative one from the caller's own cgroup. Its last component is the container's cgroup, which
must not exist yet; its parent must. It needs ``resources=``.

A running container's cgroup can be watched and controlled through its :class:`~nscore.Container`
(``include/nscore.h``, "A running container's cgroup")::

    with nscore.spawn(["make", "-j8"], resources=limits) as c:
        print(c.stats().memory_current)      # a ResourceStats; None where not kept
        c.freeze(); c.thaw()                  # every process, descendants included
        c.update(pids_max=128)                # or c.update(Resources(...)): only what is given
        fd = c.cgroup_event_fd("oom")         # for your own poll loop; you close it
        c.kill_all()                          # orphans too, without a PID namespace
        c.wait_empty(timeout=5)               # True once no process is left in the cgroup

These need a container spawned with resources (:class:`~nscore.InvalidArgumentError` otherwise)
and raise :class:`~nscore.ProcessExitedError` once it is reaped and its cgroup is gone. The
same calls work on the container of any process, one another program started (``nscore run
--memory ...``), through :meth:`nscore.Cgroup.of` and a pid of it.

Block io limits name a disk by its path or by its major and minor numbers, as Docker's
``--device-write-bps /dev/vda:1mb``: ``Resources(device_write_bps=[("/dev/vda", "1m")],
blkio_weight=500)``; huge page limits map a page size to bytes:
``Resources(hugepage_limits={"2MB": "64m"})``.

Sizes are bytes: an int, or a string with a binary suffix as Docker takes them (``"256m"``,
``"1g"``, ``"512KiB"``, ``"1.5g"``); ``-1``, ``"max"`` or ``"unlimited"`` is no limit. The values
are checked by the library at the spawn, before anything is created; its
:class:`~nscore.InvalidArgumentError` (a ``ValueError``) names the value with the OCI name of the
field (``memory_max`` is ``memory.limit``, ``memory_high`` ``memory.reservation``,
``memory_swap`` ``memory.swap``, ``cpu_shares`` ``cpu.shares``, ``pids_max`` ``pids.limit``):
``resources: memory.limit is -5; give a size in bytes, or -1 for no limit``, ``resources:
cpu.cpus '7' names CPU 7, which this machine does not have (it has 0-1)``. What cannot reach the
library intact is refused here, naming the field: a size that does not parse, a number out of
the range of its C type. Arguments of the wrong Python type raise ``TypeError``.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import enum
import fractions
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple, Union

from . import _ffi
from ._convert import StrOrBytesPath, invalid, optional_bytes, to_bytes

__all__ = [
    "CgroupEvent",
    "CgroupEventLike",
    "DeviceIO",
    "DeviceLimit",
    "DeviceLimitsLike",
    "ResourceStats",
    "Resources",
    "ResourcesLike",
    "SizeLike",
    "parse_size",
]

#: A size as accepted here: bytes as an int, a string such as ``"256m"``, or None (not set).
SizeLike = Union[int, str, None]
#: What ``spawn(resources=...)`` takes: a :class:`Resources`, a dict of its fields, or None.
ResourcesLike = Union["Resources", Mapping[str, Any], None]
#: Per-device values: ``[(major, minor, value), ...]``, ``[(device, value), ...]`` or
#: ``{device: value}``, where a device is a path or a ``(major, minor)`` pair.
DeviceLimitsLike = Union[Iterable[tuple[Any, ...]], Mapping[Any, Any], None]

#: Binary multipliers of the size suffixes (Docker's RAMInBytes: k, m, g, t, p are powers of 1024).
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([kmgtp]?)(?:i?b)?")
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1


def parse_size(value: SizeLike, what: str = "size") -> int | None:
    """``value`` in bytes: an int as it is (-1 is no limit), a string with an optional binary
    suffix (``"4096"``, ``"64k"``, ``"256m"``, ``"1.5g"``, ``"512MiB"``, ``"2GB"``; a fraction is
    rounded down to a byte), ``"max"``, ``"unlimited"`` or ``"-1"`` for no limit; None stays None.

    :raises TypeError: for anything but an int (not a bool), a str or None.
    :raises nscore.InvalidArgumentError: for a string that is no size, or a number that does
        not fit a signed 64-bit integer; the message starts with ``what``.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{what} must be a size in bytes (int) or a str such as '256m', not {type(value).__name__}")
    if isinstance(value, int):
        size = value
    else:
        text = value.strip().lower()
        if text in ("max", "unlimited", "-1"):
            return -1
        if re.fullmatch(r"[+-]?\d+", text):
            size = int(text)
        else:
            m = _SIZE.fullmatch(text)
            if m is None:
                raise invalid(
                    what,
                    f"{what}: {value!r} is not a size; give bytes (268435456) or a number with a suffix "
                    "k, m, g, t or p (powers of 1024: '256m', '1g', '512KiB'), or 'max' for no limit",
                )
            size = int(fractions.Fraction(m.group(1)) * _UNITS[m.group(2)])
    # INT64_MIN itself is the C ABI's "not set".
    if not -_INT64_MAX <= size <= _INT64_MAX:
        raise invalid(what, f"{what}: {value!r} is out of range (a signed 64-bit number of bytes)")
    return size


def _integer(value: Any, what: str, low: int, high: int) -> int | None:
    """An optional int (not a bool) within the range of its C type."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int or None, not {type(value).__name__}")
    if not low <= value <= high:
        raise invalid(what, f"{what}: {value} is out of range ({low} to {high})")
    return value


def _cpu_list(value: Any, what: str) -> str | None:
    """A cpuset list such as ``"0-2,4"``, given as a str (or an iterable of ints: ``[0, 1]``)."""
    if value is None or isinstance(value, str):
        optional_bytes(value, what)  # refuses a NUL byte, which would cut the C string short
        return value
    wrong = TypeError(f"{what} must be a str such as '0-2,4' or a sequence of ints, not {type(value).__name__}")
    if isinstance(value, (bytes, bytearray)) or not isinstance(value, Iterable):
        raise wrong
    items = list(value)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise TypeError(f"{what} must be a str such as '0-2,4' or a sequence of ints")
    return ",".join(str(i) for i in items)


class DeviceLimit(NamedTuple):
    """One device's entry of a block io limit: its major and minor numbers (as ``ls -l
    /dev/vda`` shows them) and the weight or rate."""

    major: int
    minor: int
    value: int


def _device(device: Any, what: str) -> tuple[int, int]:
    """(major, minor) of a block device given as a path (resolved with ``os.stat``) or a pair."""
    if isinstance(device, tuple):
        if len(device) != 2 or not all(isinstance(n, int) and not isinstance(n, bool) for n in device):
            raise TypeError(f"{what}: a device is a path or a (major, minor) pair of ints, not {device!r}")
        for n in device:
            _integer(n, what, 0, _INT64_MAX)
        return device[0], device[1]
    if not isinstance(device, (str, bytes, os.PathLike)):
        raise TypeError(f"{what}: a device is a path or a (major, minor) pair, not {type(device).__name__}")
    path = os.fsdecode(device)
    try:
        st = os.stat(path)
    except OSError as e:
        raise invalid(what, f"{what}: {path}: {e.strerror}; give a block device such as /dev/vda") from None
    if not stat.S_ISBLK(st.st_mode):
        raise invalid(what, f"{what}: {path} is not a block device; give a disk such as /dev/vda")
    return os.major(st.st_rdev), os.minor(st.st_rdev)


def _rate(value: Any, what: str, sizes: bool) -> int:
    """A rate: bytes per second (a size such as ``"1m"`` when ``sizes``) or operations per
    second, at least 0 (0 removes the limit)."""
    if sizes and isinstance(value, str):
        n = parse_size(value, what)
        assert n is not None
        if n < 0:
            raise invalid(what, f"{what}: {value!r} is not a rate; give bytes per second such as '1m' (0: no limit)")
        return n
    if isinstance(value, bool) or not isinstance(value, int):
        kind = "an int or a size such as '1m'" if sizes else "an int"
        raise TypeError(f"{what}: a rate must be {kind}, not {type(value).__name__}")
    if not 0 <= value <= _UINT64_MAX:
        raise invalid(what, f"{what}: {value} is out of range (0 to {_UINT64_MAX}; 0 removes the limit)")
    return value


def _device_limits(value: DeviceLimitsLike, what: str, convert: Any) -> tuple[DeviceLimit, ...]:
    """Per-device values as :class:`DeviceLimit` entries, each value through ``convert``."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        entries: list[tuple[Any, ...]] = [(k, v) for k, v in value.items()]
    elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{what} must be a list of (device, value) or (major, minor, value) tuples, or a dict")
    else:
        entries = list(value)
    out: list[DeviceLimit] = []
    for i, entry in enumerate(entries):
        where = f"{what}[{i}]"
        if not isinstance(entry, (tuple, list)) or len(entry) not in (2, 3):
            raise TypeError(f"{where}: an entry is (device, value) or (major, minor, value), not {entry!r}")
        device = tuple(entry[:2]) if len(entry) == 3 else entry[0]
        major, minor = _device(device, where)
        out.append(DeviceLimit(major, minor, convert(entry[-1], where)))
    return tuple(out)


def _hugepage_limits(value: Any, what: str) -> tuple[tuple[str, int], ...]:
    """``{"2MB": "64m"}`` (or ``[("2MB", "64m")]``) as (page size, bytes) pairs."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{what} must be a dict such as {{'2MB': '64m'}}, not {type(value).__name__}")
    else:
        pairs = list(value)
    out: dict[str, int] = {}
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not isinstance(pair[0], str):
            raise TypeError(f"{what}: an entry is (page size, limit) such as ('2MB', '64m'), not {pair!r}")
        size = pair[0].strip().upper()
        optional_bytes(size, what)
        limit = parse_size(pair[1], f"{what}[{size!r}]")
        if limit is None or limit < 0:
            raise invalid(what, f"{what}[{size!r}]: {pair[1]!r} is not a limit; give bytes such as '64m'")
        out[size] = limit  # a page size given again replaces its limit, as in the C API
    return tuple(out.items())


def _weight(value: Any, what: str) -> int:
    """A weight within the range of the engine's type (the library checks 10 to 1000)."""
    w = _integer(value, what, 0, 65535)
    assert w is not None
    return w


@dataclasses.dataclass(frozen=True, init=False)
class Resources:
    """Limits on what a container may use, enforced by a cgroup of its own (OCI
    ``linux.resources``). Every field is optional; None leaves it to the kernel (no limit).

    Sizes are stored in bytes (see :func:`parse_size` for what is accepted); ``-1`` is no limit.
    """

    #: The hard memory limit (OCI ``memory.limit``; v1 ``memory.limit_in_bytes``, v2
    #: ``memory.max``). At it the kernel reclaims, then its OOM killer kills a process of the
    #: container with SIGKILL.
    memory_max: int | None
    #: The soft limit, at most ``memory_max`` (OCI ``memory.reservation``; v1
    #: ``memory.soft_limit_in_bytes``, v2 ``memory.low``, as runc and crun).
    memory_high: int | None
    #: Memory *plus* swap (OCI ``memory.swap``, ``docker run --memory-swap``; v1
    #: ``memory.memsw.limit_in_bytes``, v2 ``memory.swap.max`` gets the difference): at least
    #: ``memory_max``, which it needs; equal to it, no swap at all.
    memory_swap: int | None
    #: Pause the container's tasks at the limit instead of killing one (v1
    #: ``memory.oom_control``; refused on cgroup v2, which has no such switch).
    disable_oom_killer: bool
    #: The relative CPU weight, 2 to 262144 (OCI ``cpu.shares``; v2 ``cpu.weight``, converted).
    cpu_shares: int | None
    #: Microseconds of CPU time per period, at least 1000, or -1 for no limit (OCI
    #: ``cpu.quota``; v1 ``cpu.cfs_quota_us``, v2 ``cpu.max``). 50_000 of a 100_000 period
    #: is half a CPU.
    cpu_quota: int | None
    #: The period in microseconds, 1000 to 1000000 (OCI ``cpu.period``; default 100000).
    cpu_period: int | None
    #: The CPUs it may run on, a list such as ``"0-2,4"`` (or ``[0, 1, 2, 4]``) of CPUs the
    #: machine has (OCI ``cpu.cpus``; ``cpuset.cpus``).
    cpus: str | None
    #: The memory nodes it may allocate from (OCI ``cpu.mems``; ``cpuset.mems``).
    mems: str | None
    #: The most processes and threads at once (OCI ``pids.limit``; ``pids.max``); beyond it
    #: fork fails with EAGAIN inside. -1 or 0: no limit.
    pids_max: int | None
    #: The relative block io weight, 10 to 1000 (OCI ``blockIO.weight``, ``docker run
    #: --blkio-weight``; v1 ``blkio.bfq.weight``, v2 ``io.bfq.weight`` or ``io.weight``). The
    #: kernel honours it with an io scheduler that keeps weights (BFQ).
    blkio_weight: int | None
    #: Per-device weights, 10 to 1000 (OCI ``blockIO.weightDevice``, ``--blkio-weight-device``).
    blkio_weight_device: tuple[DeviceLimit, ...]
    #: Bytes per second read from a disk (OCI ``blockIO.throttleReadBpsDevice``,
    #: ``--device-read-bps``; v1 ``blkio.throttle.read_bps_device``, v2 ``io.max`` ``rbps``).
    #: A rate of 0 removes the limit. Disks only, not partitions.
    device_read_bps: tuple[DeviceLimit, ...]
    #: Bytes per second written (``throttleWriteBpsDevice``, ``--device-write-bps``). cgroup v1
    #: holds back direct writes only (buffered ones reach the disk later, through writeback).
    device_write_bps: tuple[DeviceLimit, ...]
    #: Reads per second (``throttleReadIOPSDevice``, ``--device-read-iops``).
    device_read_iops: tuple[DeviceLimit, ...]
    #: Writes per second (``throttleWriteIOPSDevice``, ``--device-write-iops``).
    device_write_iops: tuple[DeviceLimit, ...]
    #: Bytes of huge pages per page size, as the kernel names it (OCI ``hugepageLimits``;
    #: ``hugetlb.2MB.max``, v1 ``hugetlb.2MB.limit_in_bytes``): ``(("2MB", 67108864),)``, given
    #: as ``{"2MB": "64m"}``. A page fault beyond it raises SIGBUS.
    hugepage_limits: tuple[tuple[str, int], ...]

    def __init__(
        self,
        memory_max: SizeLike = None,
        memory_high: SizeLike = None,
        memory_swap: SizeLike = None,
        disable_oom_killer: bool = False,
        cpu_shares: int | None = None,
        cpu_quota: int | None = None,
        cpu_period: int | None = None,
        cpus: str | Iterable[int] | None = None,
        mems: str | Iterable[int] | None = None,
        pids_max: int | None = None,
        blkio_weight: int | None = None,
        blkio_weight_device: DeviceLimitsLike = None,
        device_read_bps: DeviceLimitsLike = None,
        device_write_bps: DeviceLimitsLike = None,
        device_read_iops: DeviceLimitsLike = None,
        device_write_iops: DeviceLimitsLike = None,
        hugepage_limits: Mapping[str, SizeLike] | Iterable[tuple[str, SizeLike]] | None = None,
    ) -> None:
        if not isinstance(disable_oom_killer, bool):
            raise TypeError(f"Resources.disable_oom_killer must be a bool, not {type(disable_oom_killer).__name__}")
        values = {
            "memory_max": parse_size(memory_max, "Resources.memory_max"),
            "memory_high": parse_size(memory_high, "Resources.memory_high"),
            "memory_swap": parse_size(memory_swap, "Resources.memory_swap"),
            "disable_oom_killer": disable_oom_killer,
            # uint64_t in C, where 0 is "not set": 0 is refused here rather than ignored.
            "cpu_shares": _integer(cpu_shares, "Resources.cpu_shares", 1, _UINT64_MAX),
            "cpu_quota": _integer(cpu_quota, "Resources.cpu_quota", -_INT64_MAX, _INT64_MAX),
            "cpu_period": _integer(cpu_period, "Resources.cpu_period", 1, _UINT64_MAX),
            "cpus": _cpu_list(cpus, "Resources.cpus"),
            "mems": _cpu_list(mems, "Resources.mems"),
            "pids_max": _integer(pids_max, "Resources.pids_max", -_INT64_MAX, _INT64_MAX),
            # unsigned in C, where 0 is "not set": 0 is refused here rather than ignored.
            "blkio_weight": _integer(blkio_weight, "Resources.blkio_weight", 1, 65535),
            "blkio_weight_device": _device_limits(blkio_weight_device, "Resources.blkio_weight_device", _weight),
            "device_read_bps": _device_limits(
                device_read_bps, "Resources.device_read_bps", lambda v, w: _rate(v, w, sizes=True)
            ),
            "device_write_bps": _device_limits(
                device_write_bps, "Resources.device_write_bps", lambda v, w: _rate(v, w, sizes=True)
            ),
            "device_read_iops": _device_limits(
                device_read_iops, "Resources.device_read_iops", lambda v, w: _rate(v, w, sizes=False)
            ),
            "device_write_iops": _device_limits(
                device_write_iops, "Resources.device_write_iops", lambda v, w: _rate(v, w, sizes=False)
            ),
            "hugepage_limits": _hugepage_limits(hugepage_limits, "Resources.hugepage_limits"),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def coerce(cls, value: ResourcesLike) -> Resources | None:
        """A :class:`Resources` from itself, a dict of its fields (``{"memory_max": "1g"}``),
        or None."""
        if value is None or isinstance(value, Resources):
            return value
        if isinstance(value, Mapping):
            unknown = sorted(str(k) for k in value if k not in _FIELDS)
            if unknown:
                raise TypeError(f"resources: unknown field {unknown[0]!r}; the fields are {', '.join(_FIELDS)}")
            return cls(**value)
        raise TypeError(f"resources must be an nscore.Resources, a dict or None, not {type(value).__name__}")

    @property
    def empty(self) -> bool:
        """True when no limit is set: a spawn with these makes no cgroup."""
        return not self._given()

    def _given(self) -> list[str]:
        """The fields that are set (disable_oom_killer when True, a list when not empty)."""
        return [
            f for f in _FIELDS if not (getattr(self, f) is None or getattr(self, f) is False or getattr(self, f) == ())
        ]

    def __repr__(self) -> str:
        """Only the fields that are set."""
        return "Resources(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in self._given()) + ")"


_FIELDS = tuple(f.name for f in dataclasses.fields(Resources))


def _int64(value: int | None) -> int:
    return _ffi.RESOURCE_UNSET if value is None else value


class _SpawnResources:
    """The resources part of a spawn, converted before any C call: ``apply(cfg)`` sets it."""

    def __init__(self, value: ResourcesLike, cgroups_path: StrOrBytesPath | None = None) -> None:
        r = Resources.coerce(value)
        #: None when nothing is set: the spawn makes no cgroup.
        self.resources = None if r is None or r.empty else r
        #: Where the cgroup goes (encoded; its form is checked by the library at the spawn).
        self.cgroups_path = None if cgroups_path is None else to_bytes(cgroups_path, "cgroups_path")
        if self.cgroups_path is not None and self.resources is None:
            # The library would ignore it: no limit, no cgroup to place.
            raise invalid(
                "cgroups_path",
                "cgroups_path places the container's cgroup, which only resources= gives it: "
                "give a limit too (resources=Resources(memory_max=...))",
            )

    @property
    def active(self) -> bool:
        return self.resources is not None

    def apply(self, cfg: Any) -> None:
        r = self.resources
        if r is None:
            return
        lib, err = _ffi.lib, _ffi.new_error
        sizes = (r.memory_max, r.memory_high, r.memory_swap)
        if any(v is not None for v in sizes) or r.disable_oom_killer:
            lib.nscore_spawn_config_set_memory(cfg, *(_int64(v) for v in sizes), int(r.disable_oom_killer), err())
        if any(v is not None for v in (r.cpu_shares, r.cpu_quota, r.cpu_period, r.cpus, r.mems)):
            lib.nscore_spawn_config_set_cpu(
                cfg,
                r.cpu_shares or 0,
                _int64(r.cpu_quota),
                r.cpu_period or 0,
                optional_bytes(r.cpus, "Resources.cpus"),
                optional_bytes(r.mems, "Resources.mems"),
                err(),
            )
        if r.pids_max is not None:
            lib.nscore_spawn_config_set_pids_limit(cfg, r.pids_max, err())
        if r.blkio_weight is not None:
            lib.nscore_spawn_config_set_blkio_weight(cfg, r.blkio_weight, err())
        for kind, entries in (
            (_ffi.BLKIO_WEIGHT_DEVICE, r.blkio_weight_device),
            (_ffi.BLKIO_READ_BPS, r.device_read_bps),
            (_ffi.BLKIO_WRITE_BPS, r.device_write_bps),
            (_ffi.BLKIO_READ_IOPS, r.device_read_iops),
            (_ffi.BLKIO_WRITE_IOPS, r.device_write_iops),
        ):
            for d in entries:
                lib.nscore_spawn_config_add_blkio_device(cfg, kind, d.major, d.minor, d.value, err())
        for size, limit in r.hugepage_limits:
            lib.nscore_spawn_config_add_hugepage_limit(cfg, size.encode(), limit, err())
        if self.cgroups_path is not None:
            lib.nscore_spawn_config_set_cgroups_path(cfg, self.cgroups_path, err())


@contextlib.contextmanager
def _limits_config(value: ResourcesLike, kwargs: Mapping[str, Any]) -> Iterator[Any]:
    """A temporary ``nscore_spawn_config`` holding only the limits of ``value`` or ``kwargs``
    (for ``nscore_container_update_resources``); freed on exit."""
    if value is not None and kwargs:
        raise TypeError("update() takes resources= or keyword fields, not both")
    limits = _SpawnResources(value if value is not None else dict(kwargs))
    lib, err = _ffi.lib, _ffi.new_error
    cfg = _ffi.SpawnConfigPtr()
    try:
        lib.nscore_spawn_config_new(ctypes.byref(cfg), err())
        # Nothing set: the library names it ("cfg sets no resource limit").
        limits.apply(cfg)
        yield cfg
    finally:
        lib.nscore_spawn_config_free(cfg)


@dataclasses.dataclass(frozen=True)
class DeviceIO:
    """What a container did on one block device (:attr:`ResourceStats.io`)."""

    major: int
    minor: int
    read_bytes: int = 0
    write_bytes: int = 0
    read_operations: int = 0
    write_operations: int = 0


@dataclasses.dataclass(frozen=True)
class ResourceStats:
    """What a container's cgroup has used, read by :meth:`nscore.Container.stats` (the C
    ``nscore_resource_stats_json``). Each figure is None where this machine's hierarchy does
    not keep it: memory figures need a memory limit at spawn, pids figures a pids limit; CPU
    figures come from the cgroup2 hierarchy or v1's cpuacct and cpu (the period counts only
    with a CPU quota); :attr:`io` needs a block io limit."""

    #: Bytes in use (v1 ``memory.usage_in_bytes``, v2 ``memory.current``).
    memory_current: int | None = None
    #: The most it used (v1 ``memory.max_usage_in_bytes``, v2 ``memory.peak``, Linux 5.19).
    memory_peak: int | None = None
    #: The hard limit in bytes; None for no limit.
    memory_limit: int | None = None
    #: Times it hit the limit (v1 ``memory.failcnt``, v2 ``memory.events`` ``max``).
    memory_limit_hits: int | None = None
    #: Processes the OOM killer killed in it (``oom_kill``).
    oom_kills: int | None = None
    #: CPU time used, nanoseconds (v1 ``cpuacct.usage``, v2 ``cpu.stat`` ``usage_usec``).
    cpu_usage_ns: int | None = None
    #: CFS periods elapsed with a quota (``cpu.stat`` ``nr_periods``).
    cpu_periods: int | None = None
    #: Periods in which it was throttled (``nr_throttled``).
    cpu_throttled_periods: int | None = None
    #: Time throttled, nanoseconds (``throttled_time``, ``throttled_usec``).
    cpu_throttled_ns: int | None = None
    #: Processes and threads (``pids.current``).
    pids_current: int | None = None
    #: ``pids.max``; None for no limit.
    pids_limit: int | None = None
    #: Times the OOM killer was called for it (v2 ``memory.events`` ``oom``; v1 keeps none).
    oom_events: int | None = None
    #: Bytes and operations per device (v1 ``blkio.throttle.io_service_bytes_recursive`` and
    #: ``io_serviced_recursive``, v2 ``io.stat``); empty without a block io limit.
    io: tuple[DeviceIO, ...] = ()

    @classmethod
    def _from_json(cls, text: bytes) -> ResourceStats:
        """From the library's JSON (``{"memoryCurrent":N,...,"io":[{"major":N,...}]}``)."""
        doc = json.loads(text)
        io = tuple(
            DeviceIO(d["major"], d["minor"], d["readBytes"], d["writeBytes"], d["readOperations"], d["writeOperations"])
            for d in doc.get("io", [])
        )
        return cls(**{name: doc.get(key) for name, key in _STATS_KEYS.items()}, io=io)


#: ResourceStats' figures and their keys in the library's JSON.
_STATS_KEYS = {
    "memory_current": "memoryCurrent",
    "memory_peak": "memoryPeak",
    "memory_limit": "memoryLimit",
    "memory_limit_hits": "memoryLimitHits",
    "oom_kills": "oomKills",
    "cpu_usage_ns": "cpuUsageNanoseconds",
    "cpu_periods": "cpuPeriods",
    "cpu_throttled_periods": "cpuThrottledPeriods",
    "cpu_throttled_ns": "cpuThrottledNanoseconds",
    "pids_current": "pidsCurrent",
    "pids_limit": "pidsLimit",
    "oom_events": "oomEvents",
}


class CgroupEvent(enum.IntEnum):
    """What :meth:`nscore.Container.cgroup_event_fd` watches (``NSCORE_CGROUP_EVENT_*``)."""

    #: ``cgroup.events`` changed (cgroup2): ``populated 0`` once no process is left, or its
    #: ``frozen`` state. Poll for ``POLLPRI``; ``os.pread(fd, 256, 0)`` before the first poll
    #: and after each wake-up (which re-arms it).
    POPULATED = _ffi.CGROUP_EVENT_POPULATED
    #: The OOM killer acted or the memory limit was hit: v2 ``memory.events`` (``POLLPRI``, read
    #: as above), v1 an eventfd (``POLLIN``; ``os.read(fd, 8)`` re-arms it).
    OOM = _ffi.CGROUP_EVENT_OOM


#: ``"populated"``, ``"oom"`` or a :class:`CgroupEvent`.
CgroupEventLike = Union[CgroupEvent, str]


def _cgroup_event(value: CgroupEventLike) -> int:
    if isinstance(value, CgroupEvent):
        return int(value)
    if isinstance(value, str):
        try:
            return int(CgroupEvent[value.strip().upper()])
        except KeyError:
            raise invalid("event", f"cgroup_event_fd: event must be 'populated' or 'oom', not {value!r}") from None
    raise TypeError(f"event must be 'populated', 'oom' or an nscore.CgroupEvent, not {type(value).__name__}")
