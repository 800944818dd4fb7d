"""Exceptions raised by nscore.

Every failure the C library reports becomes an :class:`NSCoreError`, a subclass of
:class:`OSError` that carries the same four fields as the C ``nscore_error`` object:

* ``code``: an :class:`ErrorCode` (``NSCORE_E*``),
* ``errno``: the errno the kernel returned, or 0 when the failure did not come from a syscall,
* ``stage``: the step that failed (``"setns(net)"``, ``"mount proc on /proc"``),
* ``strerror``: a complete sentence saying what failed and why; ``str(error)`` is that sentence.

Each code has a subclass that also inherits the matching builtin exception, so callers can
write ``except FileNotFoundError`` or ``except ValueError`` without knowing about nscore.
"""

from __future__ import annotations

import enum
import errno as _errno
import subprocess as _subprocess
from typing import Any

__all__ = [
    "ErrorCode",
    "NSCoreError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "UnsupportedError",
    "ChildSetupError",
    "BusyError",
    "ProcessExitedError",
    "TimedOutError",
    "SystemCallError",
    "TimeoutExpired",
    "CalledProcessError",
    "error_class",
]


class ErrorCode(enum.IntEnum):
    """The ``NSCORE_E*`` return codes of the C ABI (all negative)."""

    INVALID_ARGUMENT = -1
    NOT_FOUND = -2
    PERMISSION_DENIED = -3
    UNSUPPORTED = -4
    CHILD_SETUP_FAILED = -5
    BUSY = -6
    PROCESS_EXITED = -7
    TIMED_OUT = -8
    SYSTEM = -9


class NSCoreError(OSError):
    """A failure reported by libnscore.

    Construct it with keywords or positionally as ``NSCoreError(code, errno, stage, message)``.
    Unlike a bare ``OSError(errno, ...)`` the class is never replaced by one chosen from the
    errno: ``NSCoreError(ErrorCode.NOT_FOUND, errno.EPERM, ...)`` stays an ``NSCoreError``.
    """

    #: The code this class stands for; :class:`NSCoreError` itself accepts any.
    default_code: ErrorCode = ErrorCode.SYSTEM

    code: ErrorCode | int
    stage: str
    #: True when the command itself could not be started: not found, not executable, or its
    #: execve failed (what a shell reports as exit status 127 or 126).
    command_failure: bool = False

    def __init__(
        self,
        code: ErrorCode | int | None = None,
        errno: int = 0,
        stage: str = "",
        message: str = "",
    ) -> None:
        # OSError.__new__ only remaps the class (errno -> FileNotFoundError, ...) when it is
        # called on OSError itself, and it defers argument parsing to __init__ whenever a
        # subclass overrides __init__. Calling OSError.__init__ with (errno, strerror) sets
        # .errno, .strerror and .args the standard way.
        if code is None:
            code = self.default_code
        try:
            code = ErrorCode(code)
        except ValueError:
            code = int(code)
        super().__init__(int(errno), message)
        self.code = code
        self.stage = stage

    @property
    def message(self) -> str:
        """The same as ``strerror``: the library's sentence."""
        return self.strerror or ""

    def __str__(self) -> str:
        return self.strerror or self.stage or (self.code.name if isinstance(self.code, ErrorCode) else str(self.code))

    def __repr__(self) -> str:
        code = self.code.name if isinstance(self.code, ErrorCode) else str(self.code)
        return (
            f"{type(self).__name__}(code={code}, errno={_errno.errorcode.get(self.errno or 0, self.errno)}, "
            f"stage={self.stage!r}, message={self.strerror!r})"
        )

    def __reduce__(self) -> tuple[type[NSCoreError], tuple[ErrorCode | int, int, str, str]]:
        # OSError pickles through .args == (errno, strerror); rebuild through __init__ instead.
        return (type(self), (self.code, self.errno or 0, self.stage, self.strerror or ""))


class InvalidArgumentError(NSCoreError, ValueError):
    """A malformed argument: empty argv, unknown flag bits, a hostname over 64 bytes, a NUL byte."""

    default_code = ErrorCode.INVALID_ARGUMENT


class NotFoundError(NSCoreError, FileNotFoundError):
    """No such process, file, namespace or command."""

    default_code = ErrorCode.NOT_FOUND


class PermissionDeniedError(NSCoreError, PermissionError):
    """The kernel refused for lack of privilege (EPERM, EACCES)."""

    default_code = ErrorCode.PERMISSION_DENIED


class UnsupportedError(NSCoreError):
    """The running kernel (or this build) lacks a feature the request needs."""

    default_code = ErrorCode.UNSUPPORTED


class ChildSetupError(NSCoreError):
    """The child failed in a setup step between clone and execve; ``stage`` names the step."""

    default_code = ErrorCode.CHILD_SETUP_FAILED


class BusyError(NSCoreError):
    """The call needs a single-threaded caller, or the resource is in use."""

    default_code = ErrorCode.BUSY


class ProcessExitedError(NSCoreError, ProcessLookupError):
    """The process has exited (or its PID namespace has no init left)."""

    default_code = ErrorCode.PROCESS_EXITED


class TimedOutError(NSCoreError, TimeoutError):
    """A wait with a deadline expired."""

    default_code = ErrorCode.TIMED_OUT


class SystemCallError(NSCoreError):
    """Any other failure of a system call; ``errno`` says which."""

    default_code = ErrorCode.SYSTEM


class TimeoutExpired(TimedOutError, _subprocess.TimeoutExpired):
    """A wait, :meth:`nscore.Container.communicate` or :func:`nscore.run` whose ``timeout``
    expired. It is both a :class:`TimedOutError` (an :class:`NSCoreError`) and a
    :class:`subprocess.TimeoutExpired`, with the latter's ``cmd``, ``timeout``, ``output``
    (also ``stdout``) and ``stderr``."""

    def __init__(self, cmd: Any, timeout: float, output: Any = None, stderr: Any = None) -> None:
        TimedOutError.__init__(
            self, ErrorCode.TIMED_OUT, _errno.ETIMEDOUT, "wait", f"Command {cmd!r} timed out after {timeout} seconds"
        )
        self.cmd = cmd
        self.timeout = timeout
        self.output = output
        self.stderr = stderr

    def __reduce__(self) -> Any:
        return (type(self), (self.cmd, self.timeout, self.output, self.stderr))


class CalledProcessError(NSCoreError, _subprocess.CalledProcessError):
    """:func:`nscore.run` with ``check=True`` of a command that exited non-zero (or was killed).
    It is both an :class:`NSCoreError` and a :class:`subprocess.CalledProcessError`, with the
    latter's ``returncode``, ``cmd``, ``output`` (also ``stdout``) and ``stderr``."""

    def __init__(self, returncode: int, cmd: Any, output: Any = None, stderr: Any = None) -> None:
        probe = _subprocess.CalledProcessError(returncode, cmd)
        NSCoreError.__init__(self, ErrorCode.SYSTEM, 0, "run", str(probe))
        self.returncode = returncode
        self.cmd = cmd
        self.output = output
        self.stderr = stderr

    def __reduce__(self) -> Any:
        return (type(self), (self.returncode, self.cmd, self.output, self.stderr))


_CLASSES: dict[int, type[NSCoreError]] = {
    ErrorCode.INVALID_ARGUMENT: InvalidArgumentError,
    ErrorCode.NOT_FOUND: NotFoundError,
    ErrorCode.PERMISSION_DENIED: PermissionDeniedError,
    ErrorCode.UNSUPPORTED: UnsupportedError,
    ErrorCode.CHILD_SETUP_FAILED: ChildSetupError,
    ErrorCode.BUSY: BusyError,
    ErrorCode.PROCESS_EXITED: ProcessExitedError,
    ErrorCode.TIMED_OUT: TimedOutError,
    ErrorCode.SYSTEM: SystemCallError,
}


def error_class(code: int) -> type[NSCoreError]:
    """The exception class for an ``NSCORE_E*`` code (:class:`NSCoreError` for unknown codes)."""
    return _CLASSES.get(code, NSCoreError)


def make_error(code: int, errno: int, stage: str, message: str) -> NSCoreError:
    """Builds the exception of the right class for an error the library reported."""
    return error_class(code)(code, errno, stage, message)
