"""User namespaces' id maps and the user a command runs as, for :func:`nscore.spawn`: the OCI
runtime spec's ``linux.uidMappings`` / ``linux.gidMappings`` entries and ``process.user``
(``include/nscore.h``; Swift's ``IDMapping`` and ``User``).

An :class:`IDMapping` is one line of a uid or gid map: ``size`` ids from ``container_id`` inside
the new user namespace are ``host_id``... outside. Any line gives the command a new user
namespace. A :class:`User` is the uid, gid and supplementary groups the command runs as, as ids
of the namespace it runs in (with maps: ids inside them)::

    import os, nscore

    r, w = os.pipe()
    with nscore.spawn(["id", "-G"], namespaces="mnt,pid", stdout=w,
                      uid_mappings=["0:100000:65536"], gid_mappings=["0:100000:65536"],
                      user=nscore.User(1000, 1000, (27,))) as c:
        os.close(w)
        print(os.read(r, 200), c.wait())   # b'1000 27\\n' 0

Root writes any map. Another caller writes a map of its own id (one line of size 1) itself, and
goes through ``newuidmap`` / ``newgidmap`` (``/etc/subuid``, ``/etc/subgid``) for anything else.

Checked here, naming the argument (``uid_mappings[0].size: 0 is not a number from 1 to
4294967295``): the Python types, ids that do not fit the C ABI's ``uint32_t``, a size of 0 and
the text forms. The library checks the rest at the spawn, before anything is started, naming
the line (``uid mappings[1] 5:200000:10 overlaps uid mappings[0] 0:100000:10 inside the
namespace``): a range that reaches id 4294967295 (``(uid_t) -1``, never a valid id),
overlapping lines, more than 340 lines, a user outside the maps, maps together with
``map_root_user``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, Union

from ._convert import invalid

__all__ = ["IDMapping", "User", "IDMappingLike", "UserLike"]

#: The largest value of the C ABI's ``uint32_t``.
_MAX_U32 = 2**32 - 1
#: The largest valid uid or gid: 4294967295 is ``(uid_t) -1``, "no id".
_MAX_ID = _MAX_U32 - 1


def _number(value: Any, what: str, maximum: int, stage: str, minimum: int = 0) -> int:
    """An int (not a bool) from ``minimum`` to ``maximum``; ``what`` names it in the messages."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise invalid(stage, f"{what}: {value} is not a number from {minimum} to {maximum}")
    return int(value)


def _digits(part: str, text: str, field: str, bounds: tuple[int, int], what: str, stage: str, form: str) -> int:
    """One field of a parsed string: ASCII digits only (no sign, no spaces), within ``bounds``."""
    low, high = bounds
    if not part or not (part.isascii() and part.isdigit()) or not low <= int(part) <= high:
        raise invalid(stage, f"{what} {text!r}: {field} {part!r} is not a number from {low} to {high}; expected {form}")
    return int(part)


def _mapping_fields(values: Iterable[Any], what: str, stage: str) -> tuple[int, int, int]:
    """container_id, host_id and size checked: each fits a ``uint32_t``, the size is at least 1."""
    container_id, host_id, size = values
    return (
        _number(container_id, f"{what}.container_id", _MAX_U32, stage),
        _number(host_id, f"{what}.host_id", _MAX_U32, stage),
        _number(size, f"{what}.size", _MAX_U32, stage, minimum=1),
    )


@dataclasses.dataclass(frozen=True)
class IDMapping:
    """One line of a uid or gid map: an entry of the OCI runtime spec's ``linux.uidMappings``
    or ``linux.gidMappings`` (``containerID``, ``hostID``, ``size``).

    ``size`` consecutive ids from ``container_id`` inside the user namespace are ``host_id``,
    ``host_id + 1``, ... outside it (in the caller's user namespace). ``IDMapping(0, 100000,
    65536)`` is ``"0:100000:65536"``, what ``unshare --map-users`` and ``podman --uidmap`` take.
    Each field must fit a ``uint32_t`` and the size must be at least 1; the rest (no overlaps,
    no range reaching id 4294967295) is checked by the library at the spawn.
    """

    #: The first id inside the namespace.
    container_id: int
    #: The id it is outside (in the caller's user namespace).
    host_id: int
    #: How many consecutive ids the line maps (at least 1).
    size: int

    def __post_init__(self) -> None:
        _mapping_fields((self.container_id, self.host_id, self.size), "IDMapping", "id mapping")

    @classmethod
    def parse(cls, text: str) -> IDMapping:
        """Parses ``"INNER:OUTER:COUNT"`` (``"0:100000:65536"``): container id, host id, size.

        :raises InvalidArgumentError: (a ``ValueError``) naming what is wrong with ``text``.
        :raises TypeError: ``text`` is not a str.
        """
        return cls(*_parse_mapping(text, "id mapping", "id mapping"))

    def __str__(self) -> str:
        """``INNER:OUTER:COUNT``, as :meth:`parse` takes it and the library's errors show it."""
        return f"{self.container_id}:{self.host_id}:{self.size}"


def _parse_mapping(text: Any, what: str, stage: str) -> tuple[int, int, int]:
    """``INNER:OUTER:COUNT`` as (container_id, host_id, size)."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str such as '0:100000:65536', not {type(text).__name__}")
    form = "INNER:OUTER:COUNT, e.g. 0:100000:65536"
    parts = text.split(":")
    if len(parts) != 3:
        raise invalid(stage, f"{what} {text!r}: expected {form}")
    return (
        _digits(parts[0], text, "INNER", (0, _MAX_U32), what, stage, form),
        _digits(parts[1], text, "OUTER", (0, _MAX_U32), what, stage, form),
        _digits(parts[2], text, "COUNT", (1, _MAX_U32), what, stage, form),
    )


@dataclasses.dataclass(frozen=True)
class User:
    """The user the command runs as: the OCI runtime spec's ``process.user`` (``uid``,
    ``gid``, ``additionalGids``).

    The ids are those of the namespace the command runs in: with uid and gid maps, ids inside
    them (each must be mapped, or the spawn fails). The child sets them after its mounts,
    before the working directory and the exec; a uid other than 0 keeps no capability.
    ``additional_gids`` are the supplementary groups; empty clears the caller's (any sequence
    of ints is kept as a tuple). Ids go from 0 to 4294967294.
    """

    #: The user id.
    uid: int
    #: The group id.
    gid: int = 0
    #: The supplementary group ids.
    additional_gids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _number(self.uid, "User.uid", _MAX_ID, "user")
        _number(self.gid, "User.gid", _MAX_ID, "user")
        gids = self.additional_gids
        if isinstance(gids, (int, str, bytes)) or not isinstance(gids, Iterable):
            raise TypeError(f"User.additional_gids must be a sequence of ints, not {type(gids).__name__}")
        object.__setattr__(
            self,
            "additional_gids",
            tuple(_number(g, f"User.additional_gids[{i}]", _MAX_ID, "user") for i, g in enumerate(gids)),
        )

    @classmethod
    def parse(cls, text: str) -> User:
        """Parses ``"UID"`` or ``"UID:GID"`` (numbers; without GID the group is 0, as
        ``docker run --user UID`` gives a uid that has no passwd entry).

        :raises InvalidArgumentError: (a ``ValueError``) naming what is wrong with ``text``.
        :raises TypeError: ``text`` is not a str.
        """
        return cls(*_parse_user(text, "user"))

    def __str__(self) -> str:
        """``UID:GID``, as :meth:`parse` takes it (the supplementary groups are left out)."""
        return f"{self.uid}:{self.gid}"


def _parse_user(text: Any, what: str) -> tuple[int, int]:
    """``UID[:GID]`` as (uid, gid); the gid is 0 when not given."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str such as '1000:1000', not {type(text).__name__}")
    form = "UID or UID:GID, e.g. 1000:1000"
    parts = text.split(":")
    if len(parts) > 2:
        raise invalid("user", f"{what} {text!r}: expected {form}")
    uid = _digits(parts[0], text, "UID", (0, _MAX_ID), what, "user", form)
    gid = _digits(parts[1], text, "GID", (0, _MAX_ID), what, "user", form) if len(parts) == 2 else 0
    return uid, gid


#: One line of ``spawn(uid_mappings=...)`` or ``gid_mappings``: an :class:`IDMapping`, a
#: ``(container_id, host_id, size)`` tuple or an ``"INNER:OUTER:COUNT"`` string.
IDMappingLike = Union[IDMapping, tuple[int, int, int], str]
#: What ``spawn(user=...)`` accepts: a :class:`User`, a uid (group 0), a ``(uid, gid)`` tuple
#: or a ``"UID[:GID]"`` string.
UserLike = Union[User, int, tuple[int, int], str]


def mapping_list(value: Sequence[IDMappingLike] | None, what: str) -> list[IDMapping]:
    """``spawn(uid_mappings=...)`` or ``gid_mappings`` as IDMapping lines; None is no line.
    A single line not in a sequence is refused, since iterating it would give its fields."""
    if value is None:
        return []
    if isinstance(value, (IDMapping, str, bytes)):
        raise TypeError(f"{what} must be a sequence of id mappings, not a single {type(value).__name__} ({value!r})")
    if not isinstance(value, Iterable):
        raise TypeError(f"{what} must be a sequence of id mappings, not {type(value).__name__}")
    stage = what.replace("_", " ")
    out: list[IDMapping] = []
    for i, item in enumerate(value):
        label = f"{what}[{i}]"
        if isinstance(item, IDMapping):
            out.append(item)
        elif isinstance(item, str):
            out.append(IDMapping(*_parse_mapping(item, label, stage)))
        elif isinstance(item, tuple):
            if len(item) != 3:
                raise invalid(stage, f"{label}: {item!r} has {len(item)} items; expected (container_id, host_id, size)")
            out.append(IDMapping(*_mapping_fields(item, label, stage)))
        else:
            raise TypeError(
                f"{label} must be an nscore.IDMapping, a (container_id, host_id, size) tuple or an "
                f"'INNER:OUTER:COUNT' string, not {type(item).__name__}"
            )
    return out


def user_arg(value: UserLike | None) -> User | None:
    """``spawn(user=...)`` as a User; None is the caller's user (the default)."""
    if value is None or isinstance(value, User):
        return value
    if isinstance(value, str):
        return User(*_parse_user(value, "user"))
    if isinstance(value, tuple):
        if len(value) != 2:
            raise invalid("user", f"user: {value!r} has {len(value)} items; expected (uid, gid)")
        return User(_number(value[0], "user uid", _MAX_ID, "user"), _number(value[1], "user gid", _MAX_ID, "user"))
    if isinstance(value, int) and not isinstance(value, bool):
        return User(_number(value, "user", _MAX_ID, "user"))
    raise TypeError(
        f"user must be an nscore.User, an int uid, a (uid, gid) tuple or a 'UID[:GID]' string, "
        f"not {type(value).__name__}"
    )
