"""nscore: Linux namespaces and containers from Python, over libnscore's C ABI.

Start a command in new namespaces, wait for it, and look at what it sees::

    import os, nscore

    r, w = os.pipe()
    with nscore.spawn(["hostname"], namespaces="uts,pid,mnt", hostname="box", stdout=w) as c:
        os.close(w)
        print(os.read(r, 100))      # b'box\\n'
        print(c.wait())             # 0

Join a running container (``nsenter``), pin a namespace to a file (``ip netns add``), and list
the namespaces on the system (``lsns``) with :func:`join`, :func:`persist` and
:func:`list_namespaces`. Give a container a root filesystem of its own with ``spawn(root=...,
mounts=[Mount.tmpfs("/tmp"), Mount.bind(src, dst)])`` (:class:`Root`, :class:`Mount`), and a
network with ``spawn(namespaces="net", network=Veth(bridge=Bridge("nsc0", "10.80.0.1/24"),
addresses=["10.80.0.2/24"], gateway="10.80.0.1"))`` (:class:`Veth`, :class:`Bridge`), and look
at a network namespace's interfaces and routes with ``network(pid)`` (:class:`NetworkInfo`), as
``mounts(pid)`` lists a mount namespace's mounts. Map ranges of ids into a new user namespace
and pick the user the command runs as with ``spawn(uid_mappings=["0:100000:65536"],
gid_mappings=["0:100000:65536"], user=User(1000, 1000))`` (:class:`IDMapping`, :class:`User`).
Choose what the command may do with ``spawn(cap_drop=["ALL"], cap_add=["NET_BIND_SERVICE"],
no_new_privileges=True, rlimits={"nofile": (1024, 2048)}, oom_score_adj=500)`` or
``capabilities=Capabilities.of([...])`` (:class:`Capabilities`, :class:`Rlimit`), and see who a
process is with ``credentials(pid)`` (:class:`Credentials`: ids, capability sets, user namespace).
Filter its system calls with ``spawn(seccomp=Seccomp("allow").add_rule("mkdir", "errno",
errno=13))``, an OCI ``linux.seccomp`` dict or JSON text, ``"default"`` or ``"unconfined"``
(:class:`Seccomp`), and answer ``notify`` rules with :func:`seccomp_receive` and
:func:`seccomp_respond` on ``container.seccomp_listener``.
Limit its memory, CPU time, CPUs and processes with ``spawn(resources=Resources(memory_max="256m",
cpu_quota=50_000, cpus="0-1", pids_max=64))`` (:class:`Resources`): the container gets a cgroup
of its own, listed in ``container.cgroups`` and removed once it is reaped (``cgroups_path=``
places it, as OCI ``linux.cgroupsPath``). While it runs, read
``container.stats()`` (:class:`ResourceStats`), ``freeze()``/``thaw()`` it, ``update(pids_max=128)``
its limits, ``kill_all()`` its processes (orphans too), ``wait_empty()`` for them, or poll
``cgroup_event_fd("oom")`` (:class:`CgroupEvent`) in your own loop. Block io and huge pages too:
``Resources(device_write_bps=[("/dev/vda", "1m")], blkio_weight=500, hugepage_limits={"2MB":
"64m"})``. The same controls work on the container of any process, one another program
started, through ``Cgroup.of(pid)`` (:class:`Cgroup`).
Failures raise :class:`NSCoreError` subclasses that are also the matching builtin exceptions
(``PermissionError``, ``FileNotFoundError``, ``ValueError``, ...).

The shared library is found through ``NSCORE_LIBRARY``, the package directory,
``ctypes.util.find_library("nscore")`` or the checkout's ``build/`` directory.
"""

from __future__ import annotations

from . import _ffi
from .cgroup import Cgroup, CgroupControls
from .errors import (
    BusyError,
    ChildSetupError,
    ErrorCode,
    InvalidArgumentError,
    NotFoundError,
    NSCoreError,
    PermissionDeniedError,
    ProcessExitedError,
    CalledProcessError,
    SystemCallError,
    TimedOutError,
    TimeoutExpired,
    UnsupportedError,
)
from .inspection import (
    MountEntry,
    MountStats,
    NamespacedProcess,
    NamespaceEntry,
    NamespaceID,
    NamespaceSummary,
    NetworkInfo,
    NetworkInterface,
    Route,
    differing_namespaces,
    list_namespaces,
    mount_stats,
    mounts,
    namespace_id,
    namespace_id_at,
    namespaces,
    network,
    pid_chain,
    processes,
    same_namespace,
)
from .namespaces import Namespace, persist, unpersist, unshare
from .netconfig import Bridge, Veth, remove_bridge
from .process import DEVNULL, PIPE, STDOUT, Container, Propagation, join, run, run_async, spawn
from .resources import CgroupEvent, DeviceIO, DeviceLimit, Resources, ResourceStats, parse_size
from .rootfs import Mount, Root
from .seccomp import (
    Seccomp,
    SeccompAction,
    SeccompArg,
    SeccompFlag,
    SeccompNotification,
    SeccompOperator,
    seccomp_receive,
    seccomp_respond,
    syscall_name,
)
from .security import RLIM_INFINITY, Capabilities, Credentials, Rlimit, credentials
from .users import IDMapping, User

#: The version of the loaded libnscore ("MAJOR.MINOR.PATCH").
__version__: str = _ffi.version
#: The loaded library's NSCORE_VERSION_NUMBER (MAJOR * 10000 + MINOR * 100 + PATCH).
version_number: int = _ffi.version_number
#: The path the shared library was loaded from.
library_path: str = _ffi.path

__all__ = [
    "__version__",
    "version_number",
    "library_path",
    # errors
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
    # namespaces
    "Namespace",
    "unshare",
    "persist",
    "unpersist",
    # processes
    "Container",
    "Propagation",
    "DEVNULL",
    "PIPE",
    "STDOUT",
    "run",
    "run_async",
    "spawn",
    "join",
    # root filesystems and mounts
    "Root",
    "Mount",
    # users
    "IDMapping",
    "User",
    # capabilities, no_new_privs, resource limits and credentials
    "Capabilities",
    "Rlimit",
    "RLIM_INFINITY",
    "Credentials",
    "credentials",
    # seccomp
    "Seccomp",
    "SeccompAction",
    "SeccompOperator",
    "SeccompFlag",
    "SeccompArg",
    "SeccompNotification",
    "seccomp_receive",
    "seccomp_respond",
    "syscall_name",
    # resource limits (cgroups)
    "Resources",
    "ResourceStats",
    "DeviceLimit",
    "DeviceIO",
    "CgroupEvent",
    "Cgroup",
    "CgroupControls",
    "parse_size",
    # networks
    "Veth",
    "remove_bridge",
    "Bridge",
    # inspection
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
