"""Argument conversion shared by the modules: Python values to what the C ABI takes.

Strings cross the ABI as NUL-terminated UTF-8, so a value that holds a NUL byte would be cut
short silently; it is rejected here with :class:`InvalidArgumentError` (a ``ValueError``).
Anything that is not str, bytes or ``os.PathLike`` is a ``TypeError``, as in :mod:`os`.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Iterable, Mapping
from typing import Any, Union

from .errors import ErrorCode, InvalidArgumentError

#: What the API accepts wherever it takes a path or an argument string.
StrOrBytesPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def invalid(stage: str, message: str) -> InvalidArgumentError:
    """An InvalidArgumentError raised by the bindings themselves, shaped like the library's."""
    return InvalidArgumentError(ErrorCode.INVALID_ARGUMENT, errno.EINVAL, stage, message)


def to_bytes(value: Any, what: str) -> bytes:
    """Encodes one string argument (str with the filesystem encoding, bytes, or a path)."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        data = os.fsencode(value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    else:
        raise TypeError(f"{what} must be str, bytes or os.PathLike, not {type(value).__name__}")
    if b"\0" in data:
        raise invalid(what, f"{what}: {value!r} contains a NUL byte")
    return data


def to_str(value: Any, what: str) -> str:
    """A path argument as str: bytes are decoded the way :func:`os.fsdecode` does, so they come
    back unchanged when :func:`to_bytes` encodes them for the C call."""
    if isinstance(value, (str, bytes, os.PathLike)):
        return os.fsdecode(value)
    raise TypeError(f"{what} must be str, bytes or os.PathLike, not {type(value).__name__}")


def optional_bytes(value: Any, what: str) -> bytes | None:
    """Like :func:`to_bytes`, with None passed through (the C API's "unset")."""
    return None if value is None else to_bytes(value, what)


def argv_list(argv: Any, what: str = "argv") -> list[bytes]:
    """Encodes an argument vector. A lone str/bytes/path is the command with no arguments."""
    if isinstance(argv, (str, bytes, bytearray, os.PathLike)):
        return [to_bytes(argv, what)]
    try:
        items = list(argv)
    except TypeError:
        raise TypeError(f"{what} must be a sequence of str, bytes or os.PathLike, not {type(argv).__name__}") from None
    return [to_bytes(item, f"{what}[{i}]") for i, item in enumerate(items)]


def env_list(env: Mapping[Any, Any] | Iterable[Any]) -> list[bytes]:
    """Encodes an environment: a mapping of names to values, or "NAME=value" strings."""
    if isinstance(env, Mapping):
        out = []
        for key, value in env.items():
            k = to_bytes(key, "env name")
            if not k or b"=" in k:
                raise invalid("env", f"env: {key!r} is not a valid variable name")
            out.append(k + b"=" + to_bytes(value, f"env[{key!r}]"))
        return out
    if isinstance(env, (str, bytes)):
        raise TypeError("env must be a mapping or a sequence of 'NAME=value' strings, not a single string")
    return [to_bytes(item, "env entry") for item in env]


def string_array(items: list[bytes]) -> ctypes.Array[ctypes.c_char_p]:
    """A NULL-terminated ``const char *const *`` array (keep it alive for the call)."""
    return (ctypes.c_char_p * (len(items) + 1))(*items, None)


def flag(value: Any) -> int:
    """0 or 1 for the ABI's boolean int parameters."""
    return 1 if value else 0


def pid_arg(value: Any, what: str = "pid") -> int:
    """A pid: an int (not a bool), or any object with an int ``.pid`` (a Container, a Popen)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not bool")
    if isinstance(value, int):
        pid = value
    elif isinstance(getattr(value, "pid", None), int):
        pid = value.pid
    else:
        raise TypeError(f"{what} must be an int or have a .pid, not {type(value).__name__}")
    if not -(2**31) <= pid < 2**31:
        raise invalid(what, f"{what}: {pid} is out of range for a pid")
    return pid
