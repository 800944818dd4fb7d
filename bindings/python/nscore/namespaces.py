"""Namespace kinds, and the calls that change or pin the caller's namespaces.

:class:`Namespace` is an :class:`enum.IntFlag` whose bits are the C ABI's ``NSCORE_NS_*``;
combine kinds with ``|`` or parse them from text (``Namespace.parse("net,uts")``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, Union

from . import _ffi
from ._convert import StrOrBytesPath, flag, invalid, pid_arg, to_bytes

__all__ = ["Namespace", "NamespaceLike", "unshare", "persist", "unpersist"]


class Namespace(enum.IntFlag):
    """A set of Linux namespace kinds (``NSCORE_NS_*`` bits)."""

    UTS = 1 << 0
    IPC = 1 << 1
    PID = 1 << 2
    NET = 1 << 3
    MNT = 1 << 4
    USER = 1 << 5
    CGROUP = 1 << 6
    TIME = 1 << 7
    ALL = 0xFF

    @classmethod
    def parse(cls, text: str) -> Namespace:
        """Parses a comma-separated list of kinds: ``"net,uts"``, ``"all"``, ``"mount,network"``.

        Names are the ``/proc/PID/ns`` file names (uts, ipc, pid, net, mnt, user, cgroup, time),
        the util-linux long spellings (network, mount) or ``all``, in any case. Spaces around
        names are ignored; an empty string is the empty set.

        :raises InvalidArgumentError: for an unknown name (the message names it).
        """
        result = cls(0)
        for word in text.split(","):
            word = word.strip().lower()
            if not word:
                continue
            try:
                result |= _BY_NAME[word]
            except KeyError:
                raise invalid(
                    "namespaces",
                    f"unknown namespace kind {word!r} (expected uts, ipc, pid, net, mnt, user, cgroup, time or all)",
                ) from None
        return result

    @classmethod
    def coerce(cls, value: NamespaceLike) -> Namespace:
        """A :class:`Namespace` from a Namespace, an int of ``NSCORE_NS_*`` bits, a string for
        :meth:`parse`, or an iterable of those. Unknown bits are kept, for the library to reject.
        """
        if isinstance(value, bool):
            raise TypeError("a namespace set must be a Namespace, int or str, not bool")
        if isinstance(value, int):
            if value < 0 or value > 0xFFFFFFFF:
                raise invalid("namespaces", f"namespaces: {value:#x} is not a set of NSCORE_NS_* bits")
            return cls(value)
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, Iterable):
            result = cls(0)
            for item in value:
                result |= cls.coerce(item)
            return result
        raise TypeError(f"a namespace set must be a Namespace, int, str or iterable, not {type(value).__name__}")

    @property
    def proc_name(self) -> str:
        """The file name under ``/proc/PID/ns`` of a single kind (``"net"``, ``"mnt"``)."""
        try:
            return _NAMES[self]
        except KeyError:
            raise ValueError(f"{self!r} is not a single namespace kind") from None

    @property
    def kinds(self) -> list[Namespace]:
        """The single kinds in this set, in bit order."""
        return [kind for kind in _NAMES if kind & self]

    def __str__(self) -> str:
        """``"net,uts"``-style text that :meth:`parse` reads back (unknown bits as hex)."""
        words = [_NAMES[k] for k in self.kinds]
        unknown = int(self) & ~int(Namespace.ALL)
        if unknown:
            words.append(f"{unknown:#x}")
        return ",".join(words)


#: Each kind's /proc/PID/ns name, from the library's one table (``nscore_namespace_name``).
_NAMES: dict[Namespace, str] = {
    kind: _ffi.lib.nscore_namespace_name(int(kind)).decode()
    for kind in (Namespace.UTS, Namespace.IPC, Namespace.PID, Namespace.NET,
                 Namespace.MNT, Namespace.USER, Namespace.CGROUP, Namespace.TIME)
}
_BY_NAME: dict[str, Namespace] = {name: kind for kind, name in _NAMES.items()}
_BY_NAME.update({"network": Namespace.NET, "mount": Namespace.MNT, "all": Namespace.ALL})

#: Anything :meth:`Namespace.coerce` accepts.
NamespaceLike = Union[Namespace, int, str, Iterable[Any]]


def unshare(namespaces: NamespaceLike) -> None:
    """Moves the calling process into new namespaces (``unshare(2)``).

    User and mount namespaces need a single-threaded process: with other threads running this
    raises :class:`BusyError`. New PID and time namespaces apply to children created later.
    This changes the whole Python process; prefer :func:`nscore.spawn` for isolating a command.
    """
    _ffi.lib.nscore_unshare(int(Namespace.coerce(namespaces)), _ffi.new_error())


def persist(pid: int, kind: NamespaceLike, path: StrOrBytesPath) -> None:
    """Keeps namespace ``kind`` of process ``pid`` alive by bind-mounting its
    ``/proc/PID/ns/KIND`` file onto ``path`` (created if missing), like ``ip netns add``.

    Join it later with ``nscore.join({kind: path}, ...)``; release it with :func:`unpersist`.
    """
    _ffi.lib.nscore_namespace_persist(
        pid_arg(pid), int(Namespace.coerce(kind)), to_bytes(path, "path"), _ffi.new_error()
    )


def unpersist(path: StrOrBytesPath, remove: bool = True) -> None:
    """Unmounts a namespace file made by :func:`persist`, and removes the file if ``remove``."""
    _ffi.lib.nscore_namespace_unpersist(to_bytes(path, "path"), flag(remove), _ffi.new_error())
