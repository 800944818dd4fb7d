"""A container's cgroup: what it has used, freezing, killing every process, changing its limits
(``include/nscore.h``, "A running container's cgroup" and "The cgroup of any process's
container").

The calls live in :class:`CgroupControls`, which two classes share: :class:`nscore.Container`,
for a container this process spawned, and :class:`Cgroup`, for the container of any process,
found from its pid (a ``nscore run --memory ...`` another program started)::

    import nscore

    with nscore.Cgroup.of(pid) as cg:
        print(cg.cgroups)                   # ['/sys/fs/cgroup/memory/.../nscore-1234-1', ...]
        print(cg.stats().memory_current)
        cg.freeze(); cg.thaw()
        cg.update(pids_max=128)
        cg.kill_all()

A :class:`Cgroup` holds the container's cgroup directories, not the pid: a recycled pid never
redirects it. Its calls work until the process that spawned the container has reaped it and
removed its cgroup; then they raise :class:`~nscore.ProcessExitedError` ("... its cgroup is
gone"). Acting on a cgroup needs write access to its files (root).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import time
from typing import Any, ClassVar, NamedTuple

from . import _ffi
from ._convert import invalid, pid_arg
from ._handle import SharedHandle
from .resources import CgroupEventLike, Resources, ResourcesLike, ResourceStats, _cgroup_event, _limits_config

__all__ = ["Cgroup", "CgroupControls"]

#: How long one blocking call into the library may last while waiting without a deadline, so
#: that Python signal handlers (KeyboardInterrupt, alarms) run during a long wait.
_WAIT_SLICE_MS = 100


def _directories(function: str, handle: Any) -> list[str]:
    """The "cgroups" of the ``{"pid":N,"cgroups":[...]}`` document ``function(handle)`` returns
    (``nscore_container_cgroups_json``, ``nscore_cgroup_json``)."""
    ptr = ctypes.c_void_p()
    getattr(_ffi.lib, function)(handle, ctypes.byref(ptr), _ffi.new_error())
    return [str(p) for p in json.loads(_ffi.take_json(ptr))["cgroups"]]


class _Calls(NamedTuple):
    """The C functions behind :class:`CgroupControls` for one kind of handle."""

    stats_json: str
    freeze: str
    thaw: str
    kill_all: str
    update: str
    event_fd: str
    wait_empty: str


class CgroupControls:
    """The calls on a container's cgroup, shared by :class:`nscore.Container` and
    :class:`Cgroup`. Each raises :class:`~nscore.InvalidArgumentError` for a container without
    a cgroup of its own (spawned without resources), and :class:`~nscore.ProcessExitedError`
    once its cgroup is gone (the container was reaped)."""

    #: The C functions of the subclass's handle.
    _CALLS: ClassVar[_Calls]

    def _use(self) -> contextlib.AbstractContextManager[Any]:
        """The C handle, for the duration of one call (raises ValueError once closed)."""
        raise NotImplementedError

    def _call(self, name: str, *args: Any) -> None:
        """``name(handle, *args, err)`` on the borrowed handle."""
        with self._use() as handle:
            getattr(_ffi.lib, name)(handle, *args, _ffi.new_error())

    def stats(self) -> ResourceStats:
        """What the container's cgroup has used so far (memory, CPU time and throttling,
        processes, OOM events, io per device), read from its cgroup files now; None where the
        machine does not keep a figure."""
        ptr = ctypes.c_void_p()
        self._call(self._CALLS.stats_json, ctypes.byref(ptr))
        return ResourceStats._from_json(_ffi.take_json(ptr))

    def freeze(self) -> None:
        """Freezes every process in the container's cgroup, descendants included, and returns
        once they are frozen (v2 ``cgroup.freeze``, else v1's freezer). Signals, SIGKILL too,
        take effect only after :meth:`thaw`. Not settled within 1 s: TimedOutError."""
        self._call(self._CALLS.freeze)

    def thaw(self) -> None:
        """Lets a frozen container run again."""
        self._call(self._CALLS.thaw)

    def kill_all(self) -> None:
        """SIGKILL to every process in the container's cgroup: its descendants, and orphans
        its first process left (which no PID namespace ends with it). Does not reap: the
        process that spawned the container still does (:meth:`nscore.Container.wait`, which
        returns the first process's own status); :meth:`wait_empty` tells when the last one
        has gone."""
        self._call(self._CALLS.kill_all)

    def update(self, resources: Resources | ResourcesLike = None, **fields: Any) -> None:
        """Changes the limits of the running container: ``update(Resources(pids_max=128))``,
        ``update({"memory_max": "1g"})`` or ``update(pids_max=128)``. Only the fields given are
        written; the others stay (a device's rate 0 removes its limit). A kind of limit
        (memory, cpu, cpuset, pids, block io, huge pages) not given at spawn cannot be added
        (InvalidArgumentError, "... must be given at spawn to be changed later"), nor can
        nothing be given; bad values are named before anything is written."""
        with _limits_config(resources, fields) as cfg:
            self._call(self._CALLS.update, cfg)

    def cgroup_event_fd(self, event: CgroupEventLike) -> int:
        """A new fd (close-on-exec) that becomes ready when ``event`` happens in the
        container's cgroup, for your own poll or selector loop; you own it and close it.
        ``"populated"``: cgroup2 ``cgroup.events``, ``POLLPRI`` (``os.pread(fd, 256, 0)`` before
        polling and after each wake-up; ``populated 0`` means empty). ``"oom"``: v2
        ``memory.events`` (the same), or on cgroup v1 an eventfd (``POLLIN``; ``os.read(fd, 8)``).
        See :class:`nscore.CgroupEvent`."""
        kind = _cgroup_event(event)
        fd = ctypes.c_int(-1)
        self._call(self._CALLS.event_fd, kind, ctypes.byref(fd))
        return fd.value

    def wait_empty(self, timeout: float | None = None) -> bool:
        """Waits until no process is left in the container's cgroup, descendants and orphans
        included; False if ``timeout`` seconds (None: no limit) pass first. Does not reap the
        first process. Sliced so that Python signal handlers run."""
        if timeout is not None and (math.isnan(timeout) or timeout < 0):
            raise invalid(
                "wait_empty", f"wait_empty: timeout must be a non-negative number of seconds or None, not {timeout!r}"
            )
        deadline = None if timeout is None or timeout == math.inf else time.monotonic() + timeout
        empty = ctypes.c_int(0)
        while True:
            if deadline is None:
                slice_ms = _WAIT_SLICE_MS
            else:
                slice_ms = max(0, min(_WAIT_SLICE_MS, math.ceil((deadline - time.monotonic()) * 1000)))
            self._call(self._CALLS.wait_empty, slice_ms, ctypes.byref(empty))
            if empty.value:
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False


class Cgroup(CgroupControls):
    """The cgroups of a container, found from the pid of any of its processes
    (``nscore_cgroup_open``): one this process spawned, or one another program started.
    Use :meth:`of`. The handle is freed by :meth:`close` (or a ``with`` block); the cgroup and
    its processes are left as they are. Its methods may be called from several threads."""

    _CALLS = _Calls(
        stats_json="nscore_cgroup_resource_stats_json",
        freeze="nscore_cgroup_freeze",
        thaw="nscore_cgroup_thaw",
        kill_all="nscore_cgroup_kill_all",
        update="nscore_cgroup_update_resources",
        event_fd="nscore_cgroup_event_fd",
        wait_empty="nscore_cgroup_wait_empty",
    )

    def __init__(self, handle: Any, pid: int, cgroups: list[str]) -> None:
        # Use Cgroup.of(); this takes ownership of a nscore_cgroup *.
        self._shared = SharedHandle(handle, f"cgroup of pid {pid}")
        self._pid = pid
        self._cgroups = cgroups

    @classmethod
    def of(cls, pid: Any) -> Cgroup:
        """The NSCore-made cgroups (``nscore-*``) process ``pid`` is in: any process of a
        container spawned with resources (an int, or an object with a ``.pid``).

        :raises nscore.ProcessExitedError: (a ``ProcessLookupError``) for a process that does
            not exist.
        :raises nscore.InvalidArgumentError: for a process in no NSCore cgroup (the
            ``nscore run`` that started a container is not in its cgroup), or a pid below 1.
        """
        n = pid_arg(pid)
        handle = _ffi.CgroupPtr()
        _ffi.lib.nscore_cgroup_open(n, ctypes.byref(handle), _ffi.new_error())
        try:
            cgroups = _directories("nscore_cgroup_json", handle)
        except BaseException:
            _ffi.lib.nscore_cgroup_free(handle)
            raise
        return cls(handle, n, cgroups)

    def _use(self) -> contextlib.AbstractContextManager[Any]:
        return self._shared.use()

    @property
    def pid(self) -> int:
        """The pid it was found from."""
        return self._pid

    @property
    def cgroups(self) -> list[str]:
        """The container's cgroup directories, one per hierarchy, as found at :meth:`of`."""
        return list(self._cgroups)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._shared.closed

    def close(self) -> None:
        """Frees the handle (not the cgroup). Idempotent; waits for calls in flight."""
        handle = self._shared.release()
        if handle:
            _ffi.lib.nscore_cgroup_free(handle)

    def __enter__(self) -> Cgroup:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_shared", None) is not None:
            self.close()

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<nscore.Cgroup pid={self._pid}{state} cgroups={self._cgroups!r}>"
