"""What a spawned command may do: its capability sets, ``no_new_privs``, resource limits and
OOM score adjustment (the OCI runtime spec's ``process.capabilities``, ``noNewPrivileges``,
``rlimits`` and ``oomScoreAdj``; ``include/nscore.h``), and who a running process is
(:func:`credentials`).

:func:`nscore.spawn` takes them as ``capabilities=`` (a :class:`Capabilities`), ``cap_add=`` /
``cap_drop=`` (``docker run --cap-add`` / ``--cap-drop``), ``privileged=``,
``no_new_privileges=``, ``rlimits=`` (:class:`Rlimit`) and ``oom_score_adj=``::

    import os, nscore

    r, w = os.pipe()
    with nscore.spawn(["grep", "^Cap", "/proc/self/status"], stdout=w,
                      cap_drop=["ALL"], cap_add=["NET_BIND_SERVICE"],
                      rlimits={"nofile": (1024, 2048)}) as c:
        os.close(w)
        print(os.read(r, 1000).decode(), c.wait())

The defaults are the library's: a spawn with a root filesystem gets Docker's default
capabilities (:meth:`Capabilities.docker_default`) and ``no_new_privs``; a plain namespace spawn
keeps the caller's capabilities (all of them in a new user namespace) and no ``no_new_privs``.
Every set is limited to the caller's bounding set at the spawn.

Capability names are ``"CAP_CHOWN"``, ``"CHOWN"`` or ``"chown"``; ``"ALL"`` is every capability.
Resource types are ``"nofile"`` or ``"RLIMIT_NOFILE"``. Both are checked by the library, whose
:class:`~nscore.InvalidArgumentError` (a ``ValueError``) lists the valid names; here the
message starts with the argument it is about (``cap_add: unknown capability 'CAP_FOO'; the valid
names are CAP_CHOWN, ...``). Arguments of the wrong Python type raise ``TypeError``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Callable, Union

from . import _ffi
from ._convert import invalid, pid_arg, string_array, to_bytes
from .errors import InvalidArgumentError
from .inspection import NamespaceID, _json
from .namespaces import Namespace
from .users import IDMapping

__all__ = ["Capabilities", "Rlimit", "RLIM_INFINITY", "Credentials", "credentials", "RlimitsLike"]

#: No limit, for :class:`Rlimit` and ``spawn(rlimits=...)``: the C ABI's
#: ``NSCORE_RLIM_INFINITY`` (``UINT64_MAX``). ``-1`` (:data:`resource.RLIM_INFINITY`) is taken
#: as the same.
RLIM_INFINITY: int = _ffi.RLIM_INFINITY

#: The capabilities by number (``CAP_CHOWN`` = 0 ... ``CAP_CHECKPOINT_RESTORE`` = 40), for
#: :meth:`Capabilities.all` and ``"ALL"``.
_CAPABILITY_NAMES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)  # fmt: skip

#: Docker's default set (mask 0xa80425fb).
_DOCKER_DEFAULT = frozenset(
    {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    }
)  # fmt: skip

#: The largest value of the C ABI's ``int``.
_MAX_INT = 2**31 - 1


def _kernel_capabilities() -> frozenset[str]:
    """Every capability the running kernel has (``/proc/sys/kernel/cap_last_cap``) that is in
    the table; the whole table when the file cannot be read."""
    last = len(_CAPABILITY_NAMES) - 1
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = min(last, int(f.read().strip()))
    except (OSError, ValueError):
        pass
    return frozenset(_CAPABILITY_NAMES[: last + 1])


def _is_all(name: str) -> bool:
    return name.upper() in ("ALL", "CAP_ALL")


def _name(value: Any, what: str) -> str:
    """One capability name as given: a str without a NUL byte."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str such as 'CAP_CHOWN', not {type(value).__name__}")
    to_bytes(value, what)
    return value


def _names(value: Any, what: str) -> list[str]:
    """A sequence of capability names as given; one lone string is refused, since iterating it
    would give its letters."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a sequence of capability names, not a single {type(value).__name__}")
    if not isinstance(value, Iterable):
        raise TypeError(f"{what} must be a sequence of capability names, not {type(value).__name__}")
    return [_name(v, f"{what}[{i}]") for i, v in enumerate(value)]


def _name_set(value: Any, what: str) -> frozenset[str]:
    """Names in the form ``CAP_X`` (upper case, ``CAP_`` added); ``"ALL"`` is every capability
    the kernel has. Unknown names are kept: the library refuses them at the spawn."""
    out: set[str] = set()
    for name in _names(value, what):
        if _is_all(name):
            out |= _kernel_capabilities()
        else:
            upper = name.upper()
            out.add(upper if upper.startswith("CAP_") else "CAP_" + upper)
    return frozenset(out)


def _ordered(names: frozenset[str]) -> str:
    """``names`` shown as a set literal in capability number order (unknown names last)."""
    if not names:
        return "frozenset()"
    order = {name: i for i, name in enumerate(_CAPABILITY_NAMES)}
    return "{" + ", ".join(repr(n) for n in sorted(names, key=lambda n: (order.get(n, len(order)), n))) + "}"


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """The five capability sets of a command: the OCI runtime spec's ``process.capabilities``.

    Each set is a frozenset of names in the form ``"CAP_CHOWN"``; any iterable of names is
    accepted (``"chown"`` and ``"CHOWN"`` become ``"CAP_CHOWN"``, ``"ALL"`` every capability the
    running kernel has). A set not given is empty. The library checks the names at the spawn
    (an unknown one is an :class:`~nscore.InvalidArgumentError` that lists the valid ones), and
    that effective is within permitted and ambient within both permitted and inheritable.
    At the spawn every set is limited to the caller's bounding set. The command gets the
    bounding set before it switches user, keeps its permitted set across the switch, then gets
    effective, permitted, inheritable and ambient just before the exec: a non-root user keeps
    capabilities across its own execs only through the ambient set. The kernel refuses an
    inheritable capability outside the bounding set: the spawn then fails at ``capset`` with
    ``EPERM`` (:class:`~nscore.ChildSetupError`), so give such a capability in ``bounding`` too.
    """

    #: The bounding set: the most the command and its descendants can ever gain.
    bounding: frozenset[str] = frozenset()
    #: The capabilities in use.
    effective: frozenset[str] = frozenset()
    #: Those kept across execve of a program with matching file capabilities.
    inheritable: frozenset[str] = frozenset()
    #: Those the command may make effective.
    permitted: frozenset[str] = frozenset()
    #: Those kept across execve of any program, also by a non-root user.
    ambient: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name, _name_set(getattr(self, field.name), f"Capabilities.{field.name}"))

    @classmethod
    def of(cls, names: Iterable[str]) -> Capabilities:
        """``names`` as the bounding, effective and permitted sets, with no inheritable or
        ambient capability (what ``docker run --cap-drop ALL --cap-add ...`` gives)."""
        given = _name_set(names, "Capabilities.of(names)")
        return cls(bounding=given, effective=given, permitted=given)

    @classmethod
    def docker_default(cls) -> Capabilities:
        """Docker's default set as bounding, effective and permitted: CHOWN, DAC_OVERRIDE,
        FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE,
        SYS_CHROOT, KILL, AUDIT_WRITE (mask ``0xa80425fb``). What a spawn with a root filesystem
        gets by default."""
        return cls.of(_DOCKER_DEFAULT)

    @classmethod
    def all(cls) -> Capabilities:
        """Every capability the running kernel has as bounding, effective and permitted (what
        ``privileged=True`` gives), limited at the spawn to the caller's bounding set."""
        return cls.of(_kernel_capabilities())

    def __repr__(self) -> str:
        """The sets in capability number order (unknown names last, alphabetically)."""
        fields = ", ".join(f"{name}={_ordered(names)}" for name, _, names in self._sets())
        return f"Capabilities({fields})"

    def _sets(self) -> list[tuple[str, int, frozenset[str]]]:
        """(field name, ``NSCORE_CAPS_*`` bit, set) for each of the five sets."""
        return [
            ("bounding", _ffi.CAPS_BOUNDING, self.bounding),
            ("effective", _ffi.CAPS_EFFECTIVE, self.effective),
            ("inheritable", _ffi.CAPS_INHERITABLE, self.inheritable),
            ("permitted", _ffi.CAPS_PERMITTED, self.permitted),
            ("ambient", _ffi.CAPS_AMBIENT, self.ambient),
        ]


def _limit(value: Any, what: str) -> int:
    """A limit value: 0 to :data:`RLIM_INFINITY`, -1 meaning :data:`RLIM_INFINITY`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int (nscore.RLIM_INFINITY for no limit), not {type(value).__name__}")
    if value == -1:
        return RLIM_INFINITY
    if not 0 <= value <= RLIM_INFINITY:
        raise invalid("rlimits", f"{what}: {value} is not a number from 0 to {RLIM_INFINITY} (nscore.RLIM_INFINITY)")
    return int(value)


@dataclasses.dataclass(frozen=True)
class Rlimit:
    """A resource limit of the command: an entry of the OCI runtime spec's ``process.rlimits``
    (``setrlimit(2)``, ``ulimit``).

    ``type`` is ``"nofile"`` or ``"RLIMIT_NOFILE"`` (any case; checked by the library at the
    spawn, whose error lists the valid ones). ``soft`` is the limit the command gets, ``hard``
    how far it may raise it; each is a number from 0, or :data:`RLIM_INFINITY` for none (``-1``,
    :data:`resource.RLIM_INFINITY`, is stored as :data:`RLIM_INFINITY`). A soft limit above the
    hard one is refused at the spawn, and raising a hard limit above the caller's needs
    ``CAP_SYS_RESOURCE`` (the spawn then fails naming the limit).
    """

    #: The resource: ``"nofile"``, ``"RLIMIT_CORE"``, ...
    type: str
    #: The soft limit.
    soft: int
    #: The hard limit.
    hard: int

    def __post_init__(self) -> None:
        if not isinstance(self.type, str):
            raise TypeError(f"Rlimit.type must be a str such as 'nofile', not {type(self.type).__name__}")
        to_bytes(self.type, "Rlimit.type")
        object.__setattr__(self, "soft", _limit(self.soft, f"Rlimit({self.type!r}).soft"))
        object.__setattr__(self, "hard", _limit(self.hard, f"Rlimit({self.type!r}).hard"))

    def __str__(self) -> str:
        """``nofile=1024:2048``, ``unlimited`` for :data:`RLIM_INFINITY` (``--ulimit``'s form)."""

        def text(v: int) -> str:
            return "unlimited" if v == RLIM_INFINITY else str(v)

        return f"{self.type}={text(self.soft)}:{text(self.hard)}"

    @property
    def _key(self) -> str:
        """The resource's name as ``RLIMIT_X``, to find one given twice."""
        upper = self.type.upper()
        return upper if upper.startswith("RLIMIT_") else "RLIMIT_" + upper


#: A value of the ``spawn(rlimits={...})`` mapping: one int for both limits, or (soft, hard).
RlimitValue = Union[int, tuple[int, int]]
#: What ``spawn(rlimits=...)`` accepts: ``{type: value}`` or a sequence of :class:`Rlimit`.
RlimitsLike = Union[Mapping[str, RlimitValue], Sequence[Rlimit]]


def _rlimit_entry(key: Any, value: Any) -> Rlimit:
    if not isinstance(key, str):
        raise TypeError(f"rlimits keys must be str such as 'nofile', not {type(key).__name__}")
    what = f"rlimits[{key!r}]"
    if isinstance(value, tuple):
        if len(value) != 2:
            raise invalid("rlimits", f"{what}: {value!r} has {len(value)} items; expected (soft, hard)")
        return Rlimit(key, _limit(value[0], f"{what} soft"), _limit(value[1], f"{what} hard"))
    if isinstance(value, int) and not isinstance(value, bool):
        limit = _limit(value, what)
        return Rlimit(key, limit, limit)
    raise TypeError(f"{what} must be an int (soft and hard) or a (soft, hard) tuple, not {type(value).__name__}")


def rlimit_list(value: RlimitsLike | None) -> list[Rlimit]:
    """``spawn(rlimits=...)`` as Rlimit entries; None is none. A resource given twice (as
    ``"nofile"`` and ``"NOFILE"``, say) is refused."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        out = [_rlimit_entry(k, v) for k, v in value.items()]
    elif isinstance(value, (Rlimit, str, bytes)):
        kind = type(value).__name__
        raise TypeError(f"rlimits must be a mapping or a sequence of nscore.Rlimit, not a single {kind}")
    elif isinstance(value, Iterable):
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, Rlimit):
                raise TypeError(f"rlimits[{i}] must be an nscore.Rlimit, not {type(item).__name__}")
            out.append(item)
    else:
        raise TypeError(f"rlimits must be a mapping or a sequence of nscore.Rlimit, not {type(value).__name__}")
    seen: dict[str, Rlimit] = {}
    for limit in out:
        if limit._key in seen:
            raise invalid("rlimits", f"rlimits: {limit.type!r} and {seen[limit._key].type!r} are the same resource")
        seen[limit._key] = limit
    return out


def _renamed(error: InvalidArgumentError, what: str, prefixes: Sequence[str]) -> InvalidArgumentError:
    """The library's error with its message starting with ``what`` (the argument's name)
    instead of the library's own prefix."""
    message = error.message
    for prefix in prefixes:
        if message.startswith(prefix + ": "):
            message = message[len(prefix) + 2 :]
            break
    renamed = InvalidArgumentError(error.code, error.errno or 0, what, f"{what}: {message}")
    renamed.command_failure = error.command_failure
    return renamed


def _call(what: str, fn: Callable[..., Any], *args: Any) -> None:
    """Calls a setter; its InvalidArgumentError is raised again naming ``what``."""
    try:
        fn(*args, _ffi.new_error())
    except InvalidArgumentError as e:
        raise _renamed(e, what, (getattr(fn, "__name__", ""), "capabilities", "rlimits")) from None


class SpawnSecurity:
    """The security settings of a spawn, checked and converted (before any C call)."""

    def __init__(
        self,
        capabilities: Capabilities | None,
        cap_add: Sequence[str],
        cap_drop: Sequence[str],
        privileged: bool,
        no_new_privileges: bool | None,
        rlimits: RlimitsLike | None,
        oom_score_adj: int | None,
    ) -> None:
        if capabilities is not None and not isinstance(capabilities, Capabilities):
            raise TypeError(f"capabilities must be an nscore.Capabilities or None, not {type(capabilities).__name__}")
        if not isinstance(privileged, bool):
            raise TypeError(f"privileged must be a bool, not {type(privileged).__name__}")
        if no_new_privileges is not None and not isinstance(no_new_privileges, bool):
            raise TypeError(f"no_new_privileges must be a bool or None, not {type(no_new_privileges).__name__}")
        if privileged and capabilities is not None:
            raise invalid("privileged", "privileged=True and capabilities= are exclusive (privileged is all of them)")
        if oom_score_adj is not None:
            if isinstance(oom_score_adj, bool) or not isinstance(oom_score_adj, int):
                raise TypeError(f"oom_score_adj must be an int or None, not {type(oom_score_adj).__name__}")
            if not -_MAX_INT - 1 <= oom_score_adj <= _MAX_INT:
                raise invalid("oom_score_adj", f"oom_score_adj: {oom_score_adj} is out of range (-1000 to 1000)")
        self.capabilities = capabilities
        add, drop = _names(cap_add, "cap_add"), _names(cap_drop, "cap_drop")
        self.add = [to_bytes(n, "cap_add") for n in add]
        self.drop = [to_bytes(n, "cap_drop") for n in drop]
        # Docker's order: with ALL added, the drops win (added first, then dropped); otherwise
        # the drops go first and the additions after them.
        self.add_first = any(_is_all(n) for n in add)
        self.privileged = privileged
        self.no_new_privileges = no_new_privileges
        self.rlimits = rlimit_list(rlimits)
        self.oom_score_adj = oom_score_adj

    def apply(self, cfg: Any, p: Any) -> None:
        """Sets everything on ``cfg`` (an ``nscore_spawn_config *``) and ``p``, its process part."""
        lib = _ffi.lib
        if self.capabilities is not None:
            for name, bit, names in self.capabilities._sets():
                array = string_array(sorted(to_bytes(n, f"capabilities.{name}") for n in names))
                _call(f"capabilities.{name}", lib.nscore_process_config_set_capabilities, p, bit, array)
        if self.privileged:
            every = _ffi.CAPS_BOUNDING | _ffi.CAPS_EFFECTIVE | _ffi.CAPS_PERMITTED
            _call("privileged", lib.nscore_process_config_set_capabilities, p, every, string_array([b"ALL"]))
        adjustments = [("cap_add", self.add, None), ("cap_drop", None, self.drop)]
        for what, add, drop in adjustments if self.add_first else reversed(adjustments):
            if add or drop:
                _call(
                    what,
                    lib.nscore_process_config_adjust_capabilities,
                    p,
                    None if add is None else string_array(add),
                    None if drop is None else string_array(drop),
                )
        no_new_privileges = self.no_new_privileges
        if no_new_privileges is None and self.privileged:
            no_new_privileges = False
        if no_new_privileges is not None:
            mode = _ffi.NO_NEW_PRIVILEGES_ON if no_new_privileges else _ffi.NO_NEW_PRIVILEGES_OFF
            _call("no_new_privileges", lib.nscore_spawn_config_set_no_new_privileges, cfg, mode)
        for limit in self.rlimits:
            kind = to_bytes(limit.type, "rlimits")
            _call("rlimits", lib.nscore_process_config_add_rlimit, p, kind, limit.soft, limit.hard)
        if self.oom_score_adj is not None:
            _call("oom_score_adj", lib.nscore_process_config_set_oom_score_adj, p, self.oom_score_adj)


# ---- credentials ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Who a process is and what it may do, as :func:`credentials` reads it (``/proc/PID/status``,
    its user namespace's ``uid_map``, ``gid_map`` and ``setgroups``). Ids and maps are as the
    caller's user namespace sees them."""

    #: Real, effective, saved and filesystem uid.
    uids: tuple[int, int, int, int]
    #: Real, effective, saved and filesystem gid.
    gids: tuple[int, int, int, int]
    #: The supplementary groups.
    groups: tuple[int, ...]
    #: The five capability sets.
    capabilities: Capabilities
    #: Whether ``no_new_privs`` is set.
    no_new_privileges: bool
    #: The process's user namespace.
    user_namespace: NamespaceID
    #: The uid that created that user namespace (``NS_GET_OWNER_UID``).
    owner: int
    #: Its parent user namespace; None for the initial one or one the caller cannot see.
    parent: NamespaceID | None
    #: The lines of its uid map.
    uid_mappings: tuple[IDMapping, ...]
    #: The lines of its gid map.
    gid_mappings: tuple[IDMapping, ...]
    #: ``"allow"`` or ``"deny"``: whether ``setgroups(2)`` is allowed in it.
    setgroups: str


def _ids(value: Any) -> tuple[int, int, int, int]:
    real, effective, saved, fs = (int(v) for v in value)
    return real, effective, saved, fs


def _namespace(doc: Any) -> NamespaceID:
    return NamespaceID(Namespace.parse(str(doc["type"])), int(doc["inode"]), int(doc["device"]))


def _mappings(lines: Any) -> tuple[IDMapping, ...]:
    return tuple(IDMapping(int(m["containerID"]), int(m["hostID"]), int(m["size"])) for m in lines)


def credentials(pid: int) -> Credentials:
    """The credentials of process ``pid`` (a pid or a :class:`nscore.Container`): its uids, gids,
    groups, capability sets and ``no_new_privs``, and its user namespace with that namespace's
    owner, parent and id maps."""
    doc = _json(_ffi.lib.nscore_inspect_credentials_json, pid_arg(pid))
    caps = doc["capabilities"]
    return Credentials(
        uids=_ids(doc["uids"]),
        gids=_ids(doc["gids"]),
        groups=tuple(int(g) for g in doc["groups"]),
        capabilities=Capabilities(
            bounding=frozenset(caps["bounding"]),
            effective=frozenset(caps["effective"]),
            inheritable=frozenset(caps["inheritable"]),
            permitted=frozenset(caps["permitted"]),
            ambient=frozenset(caps["ambient"]),
        ),
        no_new_privileges=bool(doc["noNewPrivileges"]),
        user_namespace=_namespace(doc["userNamespace"]),
        owner=int(doc["owner"]),
        parent=None if doc["parent"] is None else _namespace(doc["parent"]),
        uid_mappings=_mappings(doc["uidMappings"]),
        gid_mappings=_mappings(doc["gidMappings"]),
        setgroups=str(doc["setgroups"]),
    )
