"""Looking at namespaces: identities, a process's namespaces, every namespace on the system
(like ``lsns``), a pid across nested PID namespaces, the processes inside one, and what a mount
or network namespace holds (like ``findmnt`` and ``ip addr`` / ``ip route``).

The values are frozen dataclasses. The list functions parse the JSON documents the library
returns (and free them with ``nscore_string_free``).
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
from typing import Any

from . import _ffi
from ._convert import StrOrBytesPath, pid_arg, to_bytes
from .namespaces import Namespace, NamespaceLike

__all__ = [
    "NamespaceID",
    "NamespaceEntry",
    "NamespaceSummary",
    "NamespacedProcess",
    "namespace_id",
    "namespace_id_at",
    "same_namespace",
    "namespaces",
    "list_namespaces",
    "pid_chain",
    "processes",
    "MountEntry",
    "mounts",
    "NetworkInterface",
    "Route",
    "NetworkInfo",
    "network",
    "MountStats",
    "mount_stats",
    "differing_namespaces",
]


@dataclasses.dataclass(frozen=True)
class NamespaceID:
    """The identity of one namespace: two processes share it when kind, inode and device match."""

    kind: Namespace
    inode: int
    device: int

    def __str__(self) -> str:
        """``net:[4026531840]``, as ``readlink /proc/PID/ns/net`` prints it."""
        return f"{self.kind.proc_name}:[{self.inode}]"


@dataclasses.dataclass(frozen=True)
class NamespaceEntry:
    """One entry of ``/proc/PID/ns``. ``for_children`` marks ``pid_for_children`` and
    ``time_for_children``, the namespaces the process's future children will be created in."""

    name: str
    kind: Namespace
    inode: int
    device: int
    for_children: bool

    @property
    def id(self) -> NamespaceID:
        """The namespace this entry names."""
        return NamespaceID(self.kind, self.inode, self.device)


@dataclasses.dataclass(frozen=True)
class NamespaceSummary:
    """One namespace on the system, as one row of ``lsns``: how many processes are in it, the
    lowest pid among them, that process's uid and command line. ``parent_inode`` is the parent
    namespace of a pid or user namespace when the library reports it."""

    kind: Namespace
    inode: int
    nprocs: int
    pid: int
    uid: int
    command: str
    parent_inode: int | None = None


@dataclasses.dataclass(frozen=True)
class NamespacedProcess:
    """A process of a PID namespace: its pid inside (``pid``) and in the caller's (``host_pid``)."""

    pid: int
    host_pid: int
    command: str


def _kind(name: str) -> Namespace:
    return Namespace.parse(name)


def _json(fn: Any, *args: Any) -> Any:
    ptr = ctypes.c_void_p()
    fn(*args, ctypes.byref(ptr), _ffi.new_error())
    return json.loads(_ffi.take_json(ptr))


def _single(kind: NamespaceLike) -> int:
    return int(Namespace.coerce(kind))


def namespace_id(pid: int, kind: NamespaceLike) -> NamespaceID:
    """The ``kind`` namespace (one kind) of process ``pid``."""
    out = _ffi.NamespaceIDStruct()
    _ffi.lib.nscore_namespace_id(pid_arg(pid), _single(kind), ctypes.byref(out), _ffi.new_error())
    return NamespaceID(Namespace(out.ns), out.inode, out.device)


def namespace_id_at(path: StrOrBytesPath) -> NamespaceID:
    """The namespace held by a file: ``/proc/PID/ns/KIND`` or a persisted namespace file."""
    out = _ffi.NamespaceIDStruct()
    _ffi.lib.nscore_namespace_id_at(to_bytes(path, "path"), ctypes.byref(out), _ffi.new_error())
    return NamespaceID(Namespace(out.ns), out.inode, out.device)


def same_namespace(a: int, b: int, kind: NamespaceLike) -> bool:
    """True if processes ``a`` and ``b`` are in the same ``kind`` namespace."""
    same = ctypes.c_int(0)
    _ffi.lib.nscore_namespace_same(
        pid_arg(a, "a"), pid_arg(b, "b"), _single(kind), ctypes.byref(same), _ffi.new_error()
    )
    return bool(same.value)


def namespaces(pid: int | None = None) -> list[NamespaceEntry]:
    """The entries of ``/proc/PID/ns`` for ``pid`` (default: this process)."""
    doc = _json(_ffi.lib.nscore_inspect_namespaces_json, os.getpid() if pid is None else pid_arg(pid))
    return [
        NamespaceEntry(
            name=e["name"],
            kind=_kind(e["type"]),
            inode=int(e["inode"]),
            device=int(e["device"]),
            for_children=bool(e.get("for_children", False)),
        )
        for e in doc["namespaces"]
    ]


def list_namespaces(kinds: NamespaceLike = Namespace.ALL) -> list[NamespaceSummary]:
    """Every namespace of the given kinds that some visible process is in, like ``lsns``."""
    doc = _json(_ffi.lib.nscore_inspect_list_json, int(Namespace.coerce(kinds)))
    return [
        NamespaceSummary(
            kind=_kind(e["type"]),
            inode=int(e["ns"]),
            nprocs=int(e["nprocs"]),
            pid=int(e["pid"]),
            uid=int(e["uid"]),
            command=str(e.get("command", "")),
            parent_inode=None if e.get("pns") is None else int(e["pns"]),
        )
        for e in doc["namespaces"]
    ]


def pid_chain(pid: int) -> list[int]:
    """The ids of ``pid`` in each nested PID namespace, outermost (the caller's view) first."""
    doc = _json(_ffi.lib.nscore_inspect_pid_chain_json, pid_arg(pid))
    return [int(p) for p in doc["nspid"]]


@dataclasses.dataclass(frozen=True)
class MountEntry:
    """One line of ``/proc/PID/mountinfo`` (proc(5)), as :func:`mounts` returns it (Swift's
    ``MountEntry``; :class:`nscore.Mount` is a mount to make). ``propagation`` is one of
    ``"shared"``, ``"slave"``, ``"shared+slave"``, ``"private"`` and ``"unbindable"``, derived
    from the optional fields ``shared:N`` (``shared``), ``master:N`` (``master``),
    ``propagate_from:N`` and ``unbindable``."""

    id: int
    parent: int
    major: int
    minor: int
    root: str
    target: str
    source: str
    fstype: str
    options: tuple[str, ...]
    super_options: tuple[str, ...]
    propagation: str
    shared: int | None
    master: int | None
    propagate_from: int | None

    @property
    def read_only(self) -> bool:
        """True when the mount is read-only (``ro`` among the per-mount options)."""
        return "ro" in self.options


def mounts(pid: int) -> list[MountEntry]:
    """The mounts of ``pid``'s mount namespace as ``pid`` sees them, in the kernel's order."""
    doc = _json(_ffi.lib.nscore_inspect_mounts_json, pid_arg(pid))
    return [
        MountEntry(
            id=int(m["id"]), parent=int(m["parent"]), major=int(m["major"]), minor=int(m["minor"]),
            root=str(m["root"]), target=str(m["target"]), source=str(m["source"]), fstype=str(m["fstype"]),
            options=tuple(filter(None, str(m["options"]).split(","))),
            super_options=tuple(filter(None, str(m["super_options"]).split(","))),
            propagation=str(m["propagation"]), shared=m["shared"], master=m["master"],
            propagate_from=m["propagate_from"],
        )
        for m in doc["mounts"]
    ]


@dataclasses.dataclass(frozen=True)
class NetworkInterface:
    """One interface of a network namespace, as :func:`network` returns it (``ip -j addr``'s
    view). ``kind`` is the rtnetlink link kind (``"veth"``, ``"bridge"``, ...; None for ``lo``
    and physical devices); ``up`` is the administrative ``IFF_UP`` flag and ``state`` the
    operational state (``"UP"``, ``"DOWN"``, ``"UNKNOWN"``, ...). ``master`` is the index of the
    bridge the interface is enslaved to, and ``veth_peer`` the index of a veth's other end *in
    that end's own namespace* (for a container's ``eth0``, the host end). ``addresses`` are
    ``ADDRESS/PREFIXLEN`` strings, IPv4 and IPv6 (link-local ones included), in the kernel's
    order."""

    index: int
    name: str
    kind: str | None
    up: bool
    state: str
    mac: str | None
    mtu: int
    master: int | None
    veth_peer: int | None
    addresses: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Route:
    """One route of a network namespace's main table, IPv4 or IPv6. ``destination`` is a
    ``NETWORK/PREFIXLEN`` (``"0.0.0.0/0"`` or ``"::/0"`` for a default route, which ``default``
    marks); ``interface`` is the index of the outgoing interface (see
    :attr:`NetworkInterface.index`); ``gateway`` and ``metric`` are None when the route has none."""

    destination: str
    gateway: str | None
    interface: int | None
    metric: int | None
    default: bool


@dataclasses.dataclass(frozen=True)
class NetworkInfo:
    """The interfaces and main-table routes of ``pid``'s network namespace (:func:`network`)."""

    pid: int
    interfaces: tuple[NetworkInterface, ...]
    routes: tuple[Route, ...]


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def network(pid: int) -> NetworkInfo:
    """The interfaces and the main table's routes of ``pid``'s network namespace, read by the
    library through a netlink socket opened in that namespace (the caller's own namespace is
    left alone). Needs root or the namespace's owner. Also reachable as ``nscore.network(pid)``,
    which is the :mod:`nscore.network` module made callable."""
    doc = _json(_ffi.lib.nscore_inspect_network_json, pid_arg(pid))
    return NetworkInfo(
        pid=int(doc["pid"]),
        interfaces=tuple(
            NetworkInterface(
                index=int(i["index"]), name=str(i["name"]), kind=_optional_str(i["kind"]), up=bool(i["up"]),
                state=str(i["state"]), mac=_optional_str(i["mac"]), mtu=int(i["mtu"]),
                master=_optional_int(i["master"]), veth_peer=_optional_int(i["veth_peer"]),
                addresses=tuple(str(a) for a in i["addresses"]),
            )
            for i in doc["interfaces"]
        ),
        routes=tuple(
            Route(
                destination=str(r["destination"]), gateway=_optional_str(r["gateway"]),
                interface=_optional_int(r["interface"]), metric=_optional_int(r["metric"]), default=bool(r["default"]),
            )
            for r in doc["routes"]
        ),
    )


@dataclasses.dataclass(frozen=True)
class MountStats:
    """One mount of ``/proc/PID/mountstats``, with the statistics lines its filesystem writes."""

    device: str
    target: str
    fstype: str
    statvers: str | None
    statistics: tuple[str, ...]


def mount_stats(pid: int) -> list[MountStats]:
    """``/proc/PID/mountstats`` of ``pid``, typed."""
    doc = _json(_ffi.lib.nscore_inspect_mountstats_json, pid_arg(pid))
    return [
        MountStats(device=str(m["device"]), target=str(m["target"]), fstype=str(m["fstype"]),
                   statvers=m["statvers"], statistics=tuple(m["statistics"]))
        for m in doc["mountstats"]
    ]


def differing_namespaces(pid: int, namespaces: NamespaceLike = Namespace.ALL) -> Namespace:
    """The kinds among ``namespaces`` in which ``pid`` is in another namespace than the calling
    thread: what ``nsenter --all`` (and :func:`nscore.join` without ``namespaces``) enters."""
    out = ctypes.c_uint32()
    _ffi.lib.nscore_namespace_differing(pid_arg(pid), int(Namespace.coerce(namespaces)), ctypes.byref(out), _ffi.new_error())
    return Namespace(out.value)


def processes(pid: int) -> list[NamespacedProcess]:
    """The processes inside the PID namespace of ``pid``, with their inner and host pids."""
    doc = _json(_ffi.lib.nscore_inspect_processes_json, pid_arg(pid))
    return [
        NamespacedProcess(pid=int(p["pid"]), host_pid=int(p["host_pid"]), command=str(p.get("command", "")))
        for p in doc["processes"]
    ]
