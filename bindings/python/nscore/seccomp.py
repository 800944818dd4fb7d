"""Seccomp profiles: what each system call of a spawned command does (the OCI runtime spec's
``linux.seccomp``; ``include/nscore.h``, "Seccomp").

A :class:`Seccomp` is a profile held by the library: built rule by rule, read from OCI JSON
text or a dict in the same form, or NSCore's default profile (Docker's, following the
container's capabilities). :func:`nscore.spawn` takes it as ``seccomp=``::

    import errno, nscore

    profile = nscore.Seccomp("allow")
    profile.add_rule(["mkdir", "mkdirat"], "errno", errno=errno.EACCES)
    profile.add_rule("kill", "errno", args=[(1, "==", 9)])     # kill(pid, SIGKILL) fails
    with nscore.spawn(["mkdir", "/tmp/x"], seccomp=profile) as c:
        print(c.wait())                                          # 1: "Permission denied"

``spawn(seccomp=None)`` is the library's default: the default profile for a container with a
root filesystem, no filter for a plain namespace spawn; ``"default"`` and ``"unconfined"`` ask
for either explicitly. A ``"notify"`` rule holds the calling thread until a supervisor answers
on the container's listener (:attr:`nscore.Container.seccomp_listener`) with
:func:`seccomp_receive` and :func:`seccomp_respond`::

    held = nscore.Seccomp("allow").add_rule(["mkdir", "mkdirat"], "notify")
    with nscore.spawn(["mkdir", "/tmp/x"], seccomp=held) as c:
        n = nscore.seccomp_receive(c, timeout=10)
        print(n.name, n.pid)                                     # mkdir 12345
        nscore.seccomp_respond(c, n, error=errno.EPERM)

Actions are :class:`SeccompAction` members, their names in any case (``"errno"``,
``"kill_process"``; ``"kill"`` is ``KILL_THREAD`` as in OCI), or the OCI spelling
(``"SCMP_ACT_ERRNO"``). Comparison operators are :class:`SeccompOperator` members, their names
(``"eq"``, ``"masked_eq"``, ``"SCMP_CMP_EQ"``) or ``"!="``, ``"<"``, ``"<="``, ``"=="``,
``">="``, ``">"``. Everything else (syscall names, ranges) is checked by the library, whose
:class:`~nscore.InvalidArgumentError` (a ``ValueError``) names the place: ``names[1]: unknown
syscall 'fly'``, ``seccomp: syscalls[2].args[0].op: unknown operator 'SCMP_CMP_FOO'; ...``.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import enum
import errno as _errno
import json
import select
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Union

from . import _ffi
from ._convert import invalid, string_array, to_bytes
from .errors import ErrorCode, ProcessExitedError, TimedOutError

__all__ = [
    "Seccomp",
    "SeccompAction",
    "SeccompOperator",
    "SeccompFlag",
    "SeccompArg",
    "SeccompNotification",
    "SeccompLike",
    "seccomp_receive",
    "seccomp_respond",
    "syscall_name",
]


class SeccompAction(enum.IntEnum):
    """What a filter does with a syscall (``NSCORE_SECCOMP_*``, OCI ``SCMP_ACT_*``)."""

    #: Run it.
    ALLOW = _ffi.SECCOMP_ALLOW
    #: Fail it with an errno (``errno=``, EPERM by default) without running it.
    ERRNO = _ffi.SECCOMP_ERRNO
    #: Kill the whole process with SIGSYS.
    KILL_PROCESS = _ffi.SECCOMP_KILL_PROCESS
    #: Kill the calling thread with SIGSYS (OCI ``SCMP_ACT_KILL``).
    KILL_THREAD = _ffi.SECCOMP_KILL_THREAD
    #: Send the thread SIGSYS, which it may catch.
    TRAP = _ffi.SECCOMP_TRAP
    #: Stop for a ptrace tracer (``trace=`` value); without one the call fails with ENOSYS.
    TRACE = _ffi.SECCOMP_TRACE
    #: Run it and log it to the audit log.
    LOG = _ffi.SECCOMP_LOG
    #: Hold the thread until a supervisor answers (:func:`seccomp_receive`, :func:`seccomp_respond`).
    NOTIFY = _ffi.SECCOMP_NOTIFY


class SeccompOperator(enum.IntEnum):
    """How an argument is compared, as a 64-bit unsigned integer (``NSCORE_SECCOMP_CMP_*``)."""

    NE = _ffi.SECCOMP_CMP_NE
    LT = _ffi.SECCOMP_CMP_LT
    LE = _ffi.SECCOMP_CMP_LE
    EQ = _ffi.SECCOMP_CMP_EQ
    GE = _ffi.SECCOMP_CMP_GE
    GT = _ffi.SECCOMP_CMP_GT
    #: ``(argument & value) == value_two``.
    MASKED_EQ = _ffi.SECCOMP_CMP_MASKED_EQ


class SeccompFlag(enum.IntFlag):
    """Flags of seccomp(2) (``NSCORE_SECCOMP_FLAG_*``, OCI ``SECCOMP_FILTER_FLAG_*``)."""

    #: No effect: the child has one thread.
    TSYNC = _ffi.SECCOMP_FLAG_TSYNC
    #: Log every action but ALLOW.
    LOG = _ffi.SECCOMP_FLAG_LOG
    #: No forced speculative store bypass mitigation.
    SPEC_ALLOW = _ffi.SECCOMP_FLAG_SPEC_ALLOW
    #: A notified thread waits killably once its notification was received (Linux 5.19).
    WAIT_KILLABLE_RECV = _ffi.SECCOMP_FLAG_WAIT_KILLABLE_RECV


#: An action as accepted here: a member, its value, or a name.
ActionLike = Union[SeccompAction, int, str]
#: An operator as accepted here: a member, its value, a name or a symbol.
OperatorLike = Union[SeccompOperator, int, str]

_ACTION_ALIASES = {"KILL": SeccompAction.KILL_THREAD}
_OPERATOR_SYMBOLS = {
    "!=": SeccompOperator.NE,
    "<": SeccompOperator.LT,
    "<=": SeccompOperator.LE,
    "==": SeccompOperator.EQ,
    ">=": SeccompOperator.GE,
    ">": SeccompOperator.GT,
}
#: The largest value of a uint32_t argument and of a uint64_t one.
_U32 = 2**32 - 1
_U64 = 2**64 - 1


def _action(value: ActionLike, what: str = "action") -> SeccompAction:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a SeccompAction, int or str, not bool")
    if isinstance(value, SeccompAction):
        return value
    if isinstance(value, int):
        try:
            return SeccompAction(value)
        except ValueError:
            raise invalid(what, f"{what}: {value} is not a seccomp action (0 to 7)") from None
    if isinstance(value, str):
        key = value.strip().upper()
        key = key[len("SCMP_ACT_") :] if key.startswith("SCMP_ACT_") else key
        if key in _ACTION_ALIASES:
            return _ACTION_ALIASES[key]
        try:
            return SeccompAction[key]
        except KeyError:
            raise invalid(
                what,
                f"{what}: unknown action {value!r} (expected one of "
                + ", ".join(a.name.lower() for a in SeccompAction)
                + ", or the OCI SCMP_ACT_* names)",
            ) from None
    raise TypeError(f"{what} must be a SeccompAction, int or str, not {type(value).__name__}")


def _operator(value: OperatorLike, what: str) -> SeccompOperator:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a SeccompOperator, int or str, not bool")
    if isinstance(value, SeccompOperator):
        return value
    if isinstance(value, int):
        try:
            return SeccompOperator(value)
        except ValueError:
            raise invalid(what, f"{what}: {value} is not a seccomp operator (1 to 7)") from None
    if isinstance(value, str):
        key = value.strip().upper()
        if key in _OPERATOR_SYMBOLS:
            return _OPERATOR_SYMBOLS[key]
        key = key[len("SCMP_CMP_") :] if key.startswith("SCMP_CMP_") else key
        try:
            return SeccompOperator[key]
        except KeyError:
            raise invalid(
                what,
                f"{what}: unknown operator {value!r} (expected one of "
                + ", ".join(o.name.lower() for o in SeccompOperator)
                + ", !=, <, <=, ==, >=, >, or the OCI SCMP_CMP_* names)",
            ) from None
    raise TypeError(f"{what} must be a SeccompOperator, int or str, not {type(value).__name__}")


def _uint(value: Any, top: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value <= top:
        raise invalid(what, f"{what}: {value} is out of range (0 to {top})")
    return value


@dataclasses.dataclass(frozen=True)
class SeccompArg:
    """One comparison of a rule (an OCI ``args`` entry): argument ``index`` (0 to 5) compared
    with ``value`` by ``op``; for ``MASKED_EQ``, ``(argument & value) == value_two``."""

    index: int
    op: SeccompOperator
    value: int
    value_two: int = 0

    @classmethod
    def coerce(cls, value: Any, what: str = "args[0]") -> SeccompArg:
        """A :class:`SeccompArg` from itself, an ``(index, op, value[, value_two])`` tuple or an
        OCI dict (``{"index": 0, "op": "SCMP_CMP_EQ", "value": 5}``)."""
        if isinstance(value, SeccompArg):
            return value
        if isinstance(value, Mapping):
            unknown = set(value) - {"index", "op", "value", "valueTwo", "value_two"}
            if unknown:
                keys = sorted(map(str, unknown))
                raise invalid(what, f"{what}: unknown keys {keys} (expected index, op, value, valueTwo)")
            if "index" not in value or "op" not in value:
                raise invalid(what, f"{what}: needs 'index' and 'op'")
            items: tuple[Any, ...] = (
                value["index"],
                value["op"],
                value.get("value", 0),
                value.get("valueTwo", value.get("value_two", 0)),
            )
        elif isinstance(value, (tuple, list)) and len(value) in (3, 4):
            items = tuple(value)
        else:
            raise TypeError(
                f"{what} must be a SeccompArg, an (index, op, value[, value_two]) tuple or a dict, "
                f"not {type(value).__name__}"
            )
        return cls(
            _uint(items[0], _U32, f"{what}.index"),
            _operator(items[1], f"{what}.op"),
            _uint(items[2], _U64, f"{what}.value"),
            _uint(items[3] if len(items) == 4 else 0, _U64, f"{what}.value_two"),
        )


class Seccomp:
    """A seccomp profile held by libnscore (``nscore_seccomp``).

    ``Seccomp(default_action, errno=None, trace=None)`` starts one with no rule: every syscall
    gets ``default_action`` (``"allow"``, ``"errno"`` with ``errno=`` (EPERM by default),
    ``"kill_process"``, ...). Use :meth:`default`, :meth:`from_json` and :meth:`from_dict` for
    the others. The handle is freed by :meth:`close` (or a ``with`` block, or garbage
    collection); :func:`nscore.spawn` copies the profile, so it may change after the spawn.
    """

    def __init__(
        self,
        default_action: ActionLike,
        *,
        errno: int | None = None,
        trace: int | None = None,
        architectures: Iterable[str] = (),
        flags: SeccompFlag | int = 0,
    ) -> None:
        action = _action(default_action, "default_action")
        data = _data(action, errno, trace, "Seccomp")
        handle = _ffi.SeccompPtr()
        _ffi.lib.nscore_seccomp_new(ctypes.byref(handle), int(action), data, _ffi.new_error())
        self._adopt(handle)
        try:
            for arch in _strings(architectures, "architectures"):
                self.add_architecture(arch)
            if flags:
                self.set_flags(flags)
        except BaseException:
            self.close()
            raise

    def _adopt(self, handle: Any) -> None:
        self._handle = handle
        self._lock = threading.Lock()

    @classmethod
    def _wrap(cls, handle: Any) -> Seccomp:
        self = cls.__new__(cls)
        self._adopt(handle)
        return self

    @classmethod
    def default(cls) -> Seccomp:
        """NSCore's default profile, equivalent in effect to Docker's: about 350 syscalls
        allowed, the rest EPERM, the syscalls that need a capability allowed only when the
        container's bounding set has it (chosen at each spawn). Rules added to it come first."""
        handle = _ffi.SeccompPtr()
        _ffi.lib.nscore_seccomp_default(ctypes.byref(handle), _ffi.new_error())
        return cls._wrap(handle)

    @classmethod
    def from_json(cls, text: str | bytes) -> Seccomp:
        """Reads an OCI ``linux.seccomp`` object, or a whole ``config.json``, as JSON text.
        Raises :class:`nscore.InvalidArgumentError` naming the place of a mistake (invalid
        JSON, an unknown syscall, action, operator, architecture, flag or key)."""
        if isinstance(text, str):
            data = text.encode("utf-8", "surrogateescape")
        elif isinstance(text, (bytes, bytearray, memoryview)):
            data = bytes(text)
        else:
            raise TypeError(f"seccomp JSON must be str or bytes, not {type(text).__name__}")
        handle = _ffi.SeccompPtr()
        _ffi.lib.nscore_seccomp_from_json(ctypes.byref(handle), data, len(data), _ffi.new_error())
        return cls._wrap(handle)

    @classmethod
    def from_dict(cls, profile: Mapping[str, Any]) -> Seccomp:
        """Reads a dict in the OCI form (what ``json.loads`` gives for a ``linux.seccomp``
        object, or a whole ``config.json``)."""
        if not isinstance(profile, Mapping):
            raise TypeError(f"a seccomp profile must be a mapping, not {type(profile).__name__}")
        try:
            text = json.dumps(profile)
        except (TypeError, ValueError) as e:
            raise invalid("seccomp", f"seccomp: the profile cannot be written as JSON: {e}") from None
        return cls.from_json(text)

    # ---- Building ----------------------------------------------------------------------

    def add_rule(
        self,
        names: Sequence[str] | str,
        action: ActionLike,
        *,
        errno: int | None = None,
        trace: int | None = None,
        args: Sequence[Any] = (),
    ) -> Seccomp:
        """Appends a rule: the syscalls ``names`` (one name, or several) do ``action`` when
        every comparison of ``args`` holds (:class:`SeccompArg`, ``(index, op, value[,
        value_two])`` tuples or OCI dicts; one argument compared twice matches when either
        comparison holds). ``errno=`` goes with ``"errno"`` (default EPERM), ``trace=`` with
        ``"trace"``. Rules for a syscall are tried in order; the first that matches decides.
        Returns the profile, so calls can be chained."""
        names_list = [names] if isinstance(names, str) else _strings(names, "names")
        encoded = [to_bytes(n, f"names[{i}]") for i, n in enumerate(names_list)]
        act = _action(action)
        data = _data(act, errno, trace, "add_rule")
        if isinstance(args, (str, bytes, Mapping)):
            raise TypeError(f"args must be a sequence of comparisons, not a single {type(args).__name__}")
        comparisons = [SeccompArg.coerce(a, f"args[{i}]") for i, a in enumerate(args)]
        array = (_ffi.SeccompArgStruct * max(1, len(comparisons)))(
            *[_ffi.SeccompArgStruct(a.index, int(a.op), a.value, a.value_two) for a in comparisons]
        )
        with self._use() as handle:
            _ffi.lib.nscore_seccomp_add_rule(
                handle,
                string_array(encoded),
                len(encoded),
                int(act),
                data,
                array if comparisons else None,
                len(comparisons),
                _ffi.new_error(),
            )
        return self

    def add_architecture(self, name: str) -> Seccomp:
        """Admits the syscalls of architecture ``name`` (``"SCMP_ARCH_X86_64"``, or
        ``"x86_64"``). Once one is listed, syscalls of the others kill the process; the
        default (none listed) is this machine's own and the 32-bit one it runs."""
        if not isinstance(name, str):
            raise TypeError(f"an architecture must be a str, not {type(name).__name__}")
        full = name if name.upper().startswith("SCMP_ARCH_") else "SCMP_ARCH_" + name.upper()
        with self._use() as handle:
            _ffi.lib.nscore_seccomp_add_architecture(handle, to_bytes(full, "architecture"), _ffi.new_error())
        return self

    def set_flags(self, flags: SeccompFlag | int) -> Seccomp:
        """Sets the seccomp(2) flags (:class:`SeccompFlag` bits), replacing the previous ones."""
        value = _uint(int(flags), _U32, "flags") if not isinstance(flags, bool) else _uint(flags, _U32, "flags")
        with self._use() as handle:
            _ffi.lib.nscore_seccomp_set_flags(handle, value, _ffi.new_error())
        return self

    # ---- Output ------------------------------------------------------------------------

    def to_json(self) -> str:
        """The profile as an OCI ``linux.seccomp`` JSON object (the default profile with its
        rules for the calling thread's bounding set)."""
        out = ctypes.c_void_p()
        with self._use() as handle:
            _ffi.lib.nscore_seccomp_to_json(handle, ctypes.byref(out), _ffi.new_error())
        return _ffi.take_json(out).decode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """The profile as a dict in the OCI form (``json.loads(self.to_json())``)."""
        result: dict[str, Any] = json.loads(self.to_json())
        return result

    def _compile(self, want_bytes: bool) -> tuple[bytes, int]:
        length = ctypes.c_size_t(0)
        flags = ctypes.c_uint32(0)
        with self._use() as handle:
            lib, err = _ffi.lib, _ffi.new_error
            lib.nscore_seccomp_compile(handle, None, 0, ctypes.byref(length), ctypes.byref(flags), err())
            if not want_bytes:
                return b"", flags.value
            buffer = ctypes.create_string_buffer(length.value)
            lib.nscore_seccomp_compile(handle, buffer, length.value, ctypes.byref(length), None, err())
        return buffer.raw[: length.value], flags.value

    def compile(self) -> bytes:
        """The filter compiled for this machine, as a spawn would: a classic BPF program,
        ``struct sock_filter`` records of 8 bytes (``len(...) // 8`` instructions). A profile
        that does not allow ``execve`` (no command could start under it) raises
        :class:`nscore.InvalidArgumentError`."""
        return self._compile(True)[0]

    @property
    def install_flags(self) -> int:
        """The ``SECCOMP_FILTER_FLAG_*`` bits :meth:`compile`'s program is installed with
        (``NEW_LISTENER``, 8, when a rule notifies)."""
        return self._compile(False)[1]

    # ---- Lifetime ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _use(self) -> Iterator[Any]:
        """The handle, locked for one call (a closed profile is a ValueError)."""
        with self._lock:
            if not self._handle:
                raise ValueError("the seccomp profile is closed")
            yield self._handle

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return not getattr(self, "_handle", None)

    def close(self) -> None:
        """Frees the handle. Idempotent."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            handle, self._handle = self._handle, None
        if handle:
            _ffi.lib.nscore_seccomp_free(handle)

    def __enter__(self) -> Seccomp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may already be gone
            pass

    def __repr__(self) -> str:
        if self.closed:
            return "<nscore.Seccomp closed>"
        try:
            d = self.to_dict()
        except Exception:
            return "<nscore.Seccomp>"
        return f"<nscore.Seccomp defaultAction={d.get('defaultAction')} rules={len(d.get('syscalls', []))}>"


def _strings(values: Any, what: str) -> list[str]:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what} must be a sequence of str, not a single {type(values).__name__}")
    if not isinstance(values, Iterable):
        raise TypeError(f"{what} must be a sequence of str, not {type(values).__name__}")
    out = []
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise TypeError(f"{what}[{i}] must be a str, not {type(v).__name__}")
        out.append(v)
    return out


def _data(action: SeccompAction, errno: int | None, trace: int | None, what: str) -> int:
    """The C ``data`` argument: the errno of ERRNO (EPERM when not given), the value of TRACE."""
    if errno is not None and action != SeccompAction.ERRNO:
        raise invalid("errno", f"{what}: errno= goes with the 'errno' action, not {action.name.lower()!r}")
    if trace is not None and action != SeccompAction.TRACE:
        raise invalid("trace", f"{what}: trace= goes with the 'trace' action, not {action.name.lower()!r}")
    if action == SeccompAction.ERRNO:
        return _uint(_errno.EPERM if errno is None else errno, _U32, "errno")
    if action == SeccompAction.TRACE:
        return _uint(0 if trace is None else trace, _U32, "trace")
    return 0


# ---- spawn(seccomp=...) --------------------------------------------------------------------

#: What spawn(seccomp=) takes: None (the library's default), "default", "unconfined", a
#: Seccomp, a dict in the OCI form, or JSON text.
SeccompLike = Union[None, str, bytes, Seccomp, Mapping[str, Any]]


class _SpawnSeccomp:
    """The seccomp part of a spawn, converted before any C call: ``apply(cfg)`` sets it."""

    def __init__(self, value: SeccompLike) -> None:
        self.mode = "keep"  # the library's default
        self.profile: Seccomp | None = None
        self.owned = False
        if value is None:
            return
        if isinstance(value, Seccomp):
            if value.closed:
                raise ValueError("seccomp: the profile is closed")
            self.mode, self.profile = "profile", value
        elif isinstance(value, str) and value.strip().lower() in ("unconfined", "default"):
            self.mode = value.strip().lower()
        elif isinstance(value, (str, bytes, bytearray)):
            text = value if isinstance(value, str) else bytes(value)
            self.mode, self.profile, self.owned = "profile", Seccomp.from_json(text), True
        elif isinstance(value, Mapping):
            self.mode, self.profile, self.owned = "profile", Seccomp.from_dict(value), True
        else:
            raise TypeError(
                "seccomp must be None, 'default', 'unconfined', a Seccomp, a dict or JSON text, "
                f"not {type(value).__name__}"
            )

    def apply(self, cfg: Any) -> None:
        lib, err = _ffi.lib, _ffi.new_error
        if self.mode == "unconfined":
            lib.nscore_spawn_config_set_seccomp_unconfined(cfg, err())
        elif self.mode == "default":
            with Seccomp.default() as profile, profile._use() as handle:
                lib.nscore_spawn_config_set_seccomp(cfg, handle, err())
        elif self.profile is not None:
            with self.profile._use() as handle:
                lib.nscore_spawn_config_set_seccomp(cfg, handle, err())

    def close(self) -> None:
        """Frees a profile made here from a dict or JSON text."""
        if self.owned and self.profile is not None:
            self.profile.close()


# ---- Notifications -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SeccompNotification:
    """A syscall held by a ``notify`` rule (``nscore_seccomp_notification``)."""

    #: The kernel's cookie: answer with it (or pass the notification itself).
    id: int
    #: The calling thread, in this process's PID namespace (0 if it is not visible there).
    pid: int
    #: The syscall number, on ``arch``.
    nr: int
    #: The audit architecture (``AUDIT_ARCH_X86_64`` = 0xc000003e, ...).
    arch: int
    #: Where the call was made.
    instruction_pointer: int
    #: The six arguments (pointers point into the caller's memory).
    args: tuple[int, ...]
    #: The syscall's name ("mkdir"), or None when the tables do not know it.
    name: str | None


def syscall_name(arch: int, nr: int) -> str | None:
    """The name of syscall ``nr`` on audit architecture ``arch`` (x86_64, x86 and aarch64), or None."""
    if not 0 <= arch <= _U32 or not -(2**31) <= nr < 2**31:
        return None
    raw = _ffi.lib.nscore_seccomp_syscall_name(arch, nr)
    return None if raw is None else raw.decode("ascii")


def _listener(listener: Any) -> int:
    """An fd from an int or from an object with ``.seccomp_listener`` (a Container)."""
    if isinstance(listener, bool):
        raise TypeError("listener must be an int or a Container, not bool")
    if not isinstance(listener, int):
        fd = getattr(listener, "seccomp_listener", None)
        if fd is None and hasattr(listener, "seccomp_listener"):
            raise invalid("listener", "listener: the container has no seccomp listener (no 'notify' rule)")
        if not isinstance(fd, int):
            raise TypeError(f"listener must be an int or a Container, not {type(listener).__name__}")
        listener = fd
    fd = int(listener)
    if fd < 0:
        raise invalid("listener", f"listener: {fd} is not a file descriptor")
    return fd


#: How long one poll may block while waiting without a deadline, so that Python signal
#: handlers run during a long wait.
_SLICE = 0.1


def seccomp_receive(listener: Any, timeout: float | None = None) -> SeccompNotification:
    """Waits for the next notification on ``listener`` (:attr:`Container.seccomp_listener`, or
    the Container itself) and returns it.

    :param timeout: seconds to wait; None waits until one comes.
    :raises nscore.TimedOutError: nothing came within ``timeout``.
    :raises nscore.ProcessExitedError: no process uses the filter any more (the listener hung up).
    :raises nscore.NotFoundError: the caller died before its notification could be read.
    """
    fd = _listener(listener)
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        left = _SLICE if deadline is None else max(0.0, min(_SLICE, deadline - time.monotonic()))
        events = poller.poll(int(left * 1000))
        if events:
            mask = events[0][1]
            if mask & select.POLLIN:
                break
            if mask & select.POLLNVAL:
                raise invalid("listener", f"listener: fd {fd} is not open")
            if mask & (select.POLLHUP | select.POLLERR):
                raise ProcessExitedError(
                    ErrorCode.PROCESS_EXITED,
                    _errno.ESRCH,
                    "seccomp notification (receive)",
                    f"seccomp notification (receive): no process uses the filter of listener {fd} any more",
                )
        if deadline is not None and time.monotonic() >= deadline:
            raise TimedOutError(
                ErrorCode.TIMED_OUT,
                _errno.ETIMEDOUT,
                "seccomp notification (receive)",
                f"seccomp notification (receive): nothing on listener {fd} within {timeout} s",
            )
    out = _ffi.SeccompNotificationStruct()
    _ffi.lib.nscore_seccomp_notification_receive(fd, ctypes.byref(out), _ffi.new_error())
    return SeccompNotification(
        id=out.id,
        pid=out.pid,
        nr=out.nr,
        arch=out.arch,
        instruction_pointer=out.instruction_pointer,
        args=tuple(out.args),
        name=syscall_name(out.arch, out.nr),
    )


def seccomp_respond(
    listener: Any,
    notification: SeccompNotification | int,
    *,
    error: int | None = None,
    value: int | None = None,
) -> None:
    """Answers a notification (or its ``id``) on ``listener``: ``error=E`` fails the syscall
    with errno E (1 to 4095), ``value=V`` makes it return V, neither lets it run (only safe
    where the decision does not depend on memory the caller can still change).

    :raises nscore.NotFoundError: the thread was killed or interrupted meanwhile.
    :raises nscore.BusyError: the notification was answered already.
    """
    fd = _listener(listener)
    if isinstance(notification, SeccompNotification):
        ident = notification.id
    elif isinstance(notification, int) and not isinstance(notification, bool):
        ident = _uint(notification, _U64, "notification")
    else:
        raise TypeError(f"notification must be a SeccompNotification or an id, not {type(notification).__name__}")
    if error is not None and value is not None:
        raise TypeError("seccomp_respond: give error= or value=, not both")
    if error is not None:
        if isinstance(error, bool) or not isinstance(error, int):
            raise TypeError(f"error must be an int errno, not {type(error).__name__}")
        response, datum = _ffi.SECCOMP_RESPOND_ERROR, error
    elif value is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"value must be an int, not {type(value).__name__}")
        if not -(2**63) <= value < 2**63:
            raise invalid("value", f"value: {value} is out of range for a syscall's return value (int64)")
        response, datum = _ffi.SECCOMP_RESPOND_VALUE, value
    else:
        response, datum = _ffi.SECCOMP_RESPOND_CONTINUE, 0
    if response == _ffi.SECCOMP_RESPOND_ERROR and not 0 < datum <= 4095:
        raise invalid("error", f"error: the errno must be 1 to 4095, not {datum}")
    _ffi.lib.nscore_seccomp_notification_respond(fd, ident, response, datum, _ffi.new_error())
