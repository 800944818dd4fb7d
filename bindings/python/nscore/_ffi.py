"""ctypes declarations for libnscore (``include/nscore.h``).

This module finds and loads the shared library, declares every function of the C ABI from the
``SIGNATURES`` table and turns failures into exceptions: every function whose last parameter is
``nscore_error **err`` gets an ``errcheck`` that, on a negative return, reads the error object
(code, errno, stage, message), frees it and raises the matching :mod:`nscore.errors` class.

Callers pass :func:`new_error` as the ``err`` argument::

    lib.nscore_unshare(bits, new_error())

Where the library is looked for, in order:

1. the path in the ``NSCORE_LIBRARY`` environment variable (an error if it does not load);
2. ``libnscore.so*`` next to this package (a wheel that bundles the library);
3. ``ctypes.util.find_library("nscore")`` (an installed ``libnscore.so.0``);
4. ``build/libnscore.so`` of the source checkout this package sits in.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pathlib
from typing import Any, Callable

from .errors import make_error

#: The ABI version these bindings were written for (``NSCORE_ABI_VERSION``).
ABI_VERSION = 0

# ---- Opaque handles ------------------------------------------------------------------------


class ErrorHandle(ctypes.Structure):
    """``nscore_error`` (opaque)."""


class SpawnConfigHandle(ctypes.Structure):
    """``nscore_spawn_config`` (opaque)."""


class ContainerHandle(ctypes.Structure):
    """``nscore_container`` (opaque)."""


class CgroupHandle(ctypes.Structure):
    """``nscore_cgroup`` (opaque): the cgroups of any process's container."""


class JoinConfigHandle(ctypes.Structure):
    """``nscore_join_config`` (opaque)."""


class ProcessConfigHandle(ctypes.Structure):
    """``nscore_process_config`` (opaque; borrowed from a spawn or join configuration)."""


class SeccompHandle(ctypes.Structure):
    """``nscore_seccomp`` (opaque)."""


class SeccompArgStruct(ctypes.Structure):
    """``nscore_seccomp_arg``: one comparison of a seccomp rule (24 bytes)."""

    _fields_ = [
        ("index", ctypes.c_uint32),
        ("op", ctypes.c_uint32),
        ("value", ctypes.c_uint64),
        ("value_two", ctypes.c_uint64),
    ]


class SeccompNotificationStruct(ctypes.Structure):
    """``nscore_seccomp_notification``: a syscall held by a NOTIFY rule (80 bytes)."""

    _fields_ = [
        ("id", ctypes.c_uint64),
        ("pid", ctypes.c_int32),
        ("nr", ctypes.c_int32),
        ("arch", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("instruction_pointer", ctypes.c_uint64),
        ("args", ctypes.c_uint64 * 6),
    ]


class ResourceStatsStruct(ctypes.Structure):
    """``nscore_resource_stats``: what a container's cgroup has used; each field is
    :data:`RESOURCE_STAT_NONE` where the machine does not keep it (96 bytes)."""

    _fields_ = [
        ("memory_current", ctypes.c_uint64),
        ("memory_peak", ctypes.c_uint64),
        ("memory_limit", ctypes.c_uint64),
        ("memory_limit_hits", ctypes.c_uint64),
        ("oom_kills", ctypes.c_uint64),
        ("cpu_usage_ns", ctypes.c_uint64),
        ("cpu_periods", ctypes.c_uint64),
        ("cpu_throttled_periods", ctypes.c_uint64),
        ("cpu_throttled_ns", ctypes.c_uint64),
        ("pids_current", ctypes.c_uint64),
        ("pids_limit", ctypes.c_uint64),
        ("oom_events", ctypes.c_uint64),
    ]


class NamespaceIDStruct(ctypes.Structure):
    """``nscore_ns_id``: a namespace's identity."""

    _fields_ = [
        ("ns", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("inode", ctypes.c_uint64),
        ("device", ctypes.c_uint64),
    ]


class NamespaceListHandle(ctypes.Structure):
    """``nscore_ns_list`` (opaque): the rows of one :func:`nscore_inspect_list` scan."""


class NamespaceEntryStruct(ctypes.Structure):
    """``nscore_ns_entry``: one row of a namespace list, as lsns shows it (48 bytes)."""

    _fields_ = [
        ("ns", ctypes.c_uint32),
        ("pid", ctypes.c_int32),
        ("inode", ctypes.c_uint64),
        ("device", ctypes.c_uint64),
        ("nprocs", ctypes.c_uint64),
        ("uid", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("parent_inode", ctypes.c_uint64),
    ]


ErrorPtr = ctypes.POINTER(ErrorHandle)
SpawnConfigPtr = ctypes.POINTER(SpawnConfigHandle)
ContainerPtr = ctypes.POINTER(ContainerHandle)
CgroupPtr = ctypes.POINTER(CgroupHandle)
JoinConfigPtr = ctypes.POINTER(JoinConfigHandle)
ProcessConfigPtr = ctypes.POINTER(ProcessConfigHandle)
SeccompPtr = ctypes.POINTER(SeccompHandle)
NamespaceListPtr = ctypes.POINTER(NamespaceListHandle)

# ---- Constants (mirrors of the header's macros) --------------------------------------------

STDIO_INHERIT = 0
STDIO_NULL = 1
STDIO_FD = 2
STDIO_PIPE = 3

MOUNT_PROC_AUTO = -1
MOUNT_PROC_NO = 0
MOUNT_PROC_YES = 1

PROPAGATION_UNCHANGED = 0
PROPAGATION_SHARED = 1
PROPAGATION_SLAVE = 2
PROPAGATION_PRIVATE = 3
PROPAGATION_UNBINDABLE = 4
PROPAGATION_SHARED_SLAVE = 5

NETWORK_NONE = 0  # only lo, up (the default)
NETWORK_VETH = 1  # a veth pair set up while the child waits; needs NSCORE_NS_NET

# nscore_spawn_config_set_no_new_privileges modes.
NO_NEW_PRIVILEGES_DEFAULT = -1  # on with a root filesystem, off for a plain spawn
NO_NEW_PRIVILEGES_OFF = 0
NO_NEW_PRIVILEGES_ON = 1

# Capability sets, bits for nscore_process_config_set_capabilities.
CAPS_BOUNDING = 1
CAPS_EFFECTIVE = 2
CAPS_INHERITABLE = 4
CAPS_PERMITTED = 8
CAPS_AMBIENT = 16

#: No limit, for nscore_process_config_add_rlimit (UINT64_MAX).
RLIM_INFINITY = 2**64 - 1

# Seccomp actions (NSCORE_SECCOMP_*).
SECCOMP_ALLOW = 0
SECCOMP_ERRNO = 1
SECCOMP_KILL_PROCESS = 2
SECCOMP_KILL_THREAD = 3
SECCOMP_TRAP = 4
SECCOMP_TRACE = 5
SECCOMP_LOG = 6
SECCOMP_NOTIFY = 7

# Seccomp comparison operators (NSCORE_SECCOMP_CMP_*, libseccomp's numbering).
SECCOMP_CMP_NE = 1
SECCOMP_CMP_LT = 2
SECCOMP_CMP_LE = 3
SECCOMP_CMP_EQ = 4
SECCOMP_CMP_GE = 5
SECCOMP_CMP_GT = 6
SECCOMP_CMP_MASKED_EQ = 7

# seccomp(2) flags (NSCORE_SECCOMP_FLAG_*).
SECCOMP_FLAG_TSYNC = 1
SECCOMP_FLAG_LOG = 2
SECCOMP_FLAG_SPEC_ALLOW = 4
SECCOMP_FLAG_WAIT_KILLABLE_RECV = 32

# Answers to a seccomp notification (NSCORE_SECCOMP_RESPOND_*).
SECCOMP_RESPOND_CONTINUE = 0
SECCOMP_RESPOND_ERROR = 1
SECCOMP_RESPOND_VALUE = 2

# Resource limits (nscore.h "Resources (cgroups)").
RESOURCE_UNSET = -(2**63)  # NSCORE_RESOURCE_UNSET (INT64_MIN): "not set"
RESOURCE_UNLIMITED = -1  # NSCORE_RESOURCE_UNLIMITED: no limit
RESOURCE_STAT_NONE = 2**64 - 1  # NSCORE_RESOURCE_STAT_NONE (UINT64_MAX): a figure not kept
CGROUP_EVENT_POPULATED = 0  # NSCORE_CGROUP_EVENT_POPULATED
CGROUP_EVENT_OOM = 1  # NSCORE_CGROUP_EVENT_OOM
BLKIO_WEIGHT_DEVICE = 0  # NSCORE_BLKIO_WEIGHT_DEVICE: a device's weight
BLKIO_READ_BPS = 1  # NSCORE_BLKIO_READ_BPS: bytes read per second
BLKIO_WRITE_BPS = 2  # NSCORE_BLKIO_WRITE_BPS: bytes written per second
BLKIO_READ_IOPS = 3  # NSCORE_BLKIO_READ_IOPS: reads per second
BLKIO_WRITE_IOPS = 4  # NSCORE_BLKIO_WRITE_IOPS: writes per second

# ---- Signatures ----------------------------------------------------------------------------

_c_int = ctypes.c_int
_u32 = ctypes.c_uint32
_u32p = ctypes.POINTER(ctypes.c_uint32)  # const uint32_t * (with a size_t count)
_size = ctypes.c_size_t
_uint = ctypes.c_uint
_u64 = ctypes.c_uint64
_pid = ctypes.c_int  # pid_t is int on every Linux ABI
_str = ctypes.c_char_p
_strv = ctypes.POINTER(ctypes.c_char_p)  # const char *const * (NULL-terminated)
_err = ctypes.POINTER(ErrorPtr)  # nscore_error **
_json = ctypes.POINTER(ctypes.c_void_p)  # char ** (kept as void* so it can be freed)

#: {name: (restype, [argtypes])}, in header order.
SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    # Versions
    "nscore_version_number": (ctypes.c_uint, []),
    "nscore_version_string": (_str, []),
    "nscore_abi_version": (_c_int, []),
    # Errors
    "nscore_error_code": (_c_int, [ErrorPtr]),
    "nscore_error_sys_errno": (_c_int, [ErrorPtr]),
    "nscore_error_stage": (_str, [ErrorPtr]),
    "nscore_error_message": (_str, [ErrorPtr]),
    "nscore_error_is_command_failure": (_c_int, [ErrorPtr]),
    "nscore_error_free": (None, [ErrorPtr]),
    "nscore_string_free": (None, [ctypes.c_void_p]),
    # Namespace kinds
    "nscore_namespace_name": (ctypes.c_char_p, [_u32]),
    # Spawn configuration
    "nscore_spawn_config_new": (_c_int, [ctypes.POINTER(SpawnConfigPtr), _err]),
    "nscore_spawn_config_free": (None, [SpawnConfigPtr]),
    "nscore_spawn_config_set_argv": (_c_int, [SpawnConfigPtr, _strv, _err]),
    "nscore_spawn_config_set_executable": (_c_int, [SpawnConfigPtr, _str, _err]),
    "nscore_spawn_config_set_env": (_c_int, [SpawnConfigPtr, _strv, _err]),
    "nscore_spawn_config_set_cwd": (_c_int, [SpawnConfigPtr, _str, _err]),
    "nscore_spawn_config_set_namespaces": (_c_int, [SpawnConfigPtr, _u32, _err]),
    "nscore_spawn_config_set_hostname": (_c_int, [SpawnConfigPtr, _str, _err]),
    "nscore_spawn_config_set_time_offset": (_c_int, [SpawnConfigPtr, _c_int, ctypes.c_int64, ctypes.c_int64, _err]),
    "nscore_spawn_config_set_domainname": (_c_int, [SpawnConfigPtr, _str, _err]),
    "nscore_spawn_config_set_mount_proc": (_c_int, [SpawnConfigPtr, _c_int, _err]),
    "nscore_spawn_config_set_root_propagation": (_c_int, [SpawnConfigPtr, _c_int, _err]),
    # Root filesystem and mounts
    "nscore_spawn_config_set_root": (_c_int, [SpawnConfigPtr, _str, _c_int, _err]),
    "nscore_spawn_config_set_default_mounts": (_c_int, [SpawnConfigPtr, _c_int, _err]),
    "nscore_spawn_config_add_mount": (_c_int, [SpawnConfigPtr, _str, _str, _str, _strv, _err]),
    "nscore_spawn_config_clear_mounts": (_c_int, [SpawnConfigPtr, _err]),
    "nscore_spawn_config_set_masked_paths": (_c_int, [SpawnConfigPtr, _strv, _err]),
    "nscore_spawn_config_set_readonly_paths": (_c_int, [SpawnConfigPtr, _strv, _err]),
    "nscore_spawn_config_set_init": (_c_int, [SpawnConfigPtr, _c_int, _err]),
    "nscore_spawn_config_set_map_root_user": (_c_int, [SpawnConfigPtr, _c_int, _err]),
    "nscore_spawn_config_add_uid_mapping": (_c_int, [SpawnConfigPtr, _u32, _u32, _u32, _err]),
    "nscore_spawn_config_add_gid_mapping": (_c_int, [SpawnConfigPtr, _u32, _u32, _u32, _err]),
    "nscore_spawn_config_clear_id_mappings": (_c_int, [SpawnConfigPtr, _err]),
    "nscore_spawn_config_set_no_new_privileges": (_c_int, [SpawnConfigPtr, _c_int, _err]),
    "nscore_spawn_config_set_user": (_c_int, [SpawnConfigPtr, _u32, _u32, _u32p, _size, _err]),
    "nscore_spawn_config_set_kill_on_parent_death": (_c_int, [SpawnConfigPtr, _c_int, _err]),
    "nscore_spawn_config_set_terminal": (_c_int, [SpawnConfigPtr, _c_int, ctypes.c_uint, ctypes.c_uint, _err]),
    "nscore_spawn_config_set_stdio": (_c_int, [SpawnConfigPtr, _c_int, _c_int, _c_int, _err]),
    # Network
    "nscore_spawn_config_set_network": (_c_int, [SpawnConfigPtr, _c_int, _err]),
    "nscore_spawn_config_set_network_namespace": (_c_int, [SpawnConfigPtr, _str, _err]),
    "nscore_bridge_remove": (_c_int, [_str, _err]),
    "nscore_spawn_config_set_veth_interface": (_c_int, [SpawnConfigPtr, _str, _str, _err]),
    "nscore_spawn_config_set_bridge": (_c_int, [SpawnConfigPtr, _str, _str, _c_int, _err]),
    "nscore_spawn_config_add_address": (_c_int, [SpawnConfigPtr, _str, _err]),
    "nscore_spawn_config_clear_addresses": (_c_int, [SpawnConfigPtr, _err]),
    "nscore_spawn_config_set_gateway": (_c_int, [SpawnConfigPtr, _str, _err]),
    "nscore_spawn_config_set_mtu": (_c_int, [SpawnConfigPtr, _uint, _err]),
    "nscore_spawn_config_set_mac": (_c_int, [SpawnConfigPtr, _str, _err]),
    # Process configuration (of a spawn or a join)
    "nscore_spawn_config_process": (ProcessConfigPtr, [SpawnConfigPtr]),
    "nscore_process_config_set_argv": (_c_int, [ProcessConfigPtr, _strv, _err]),
    "nscore_process_config_set_executable": (_c_int, [ProcessConfigPtr, _str, _err]),
    "nscore_process_config_set_env": (_c_int, [ProcessConfigPtr, _strv, _err]),
    "nscore_process_config_set_cwd": (_c_int, [ProcessConfigPtr, _str, _err]),
    "nscore_process_config_set_stdio": (_c_int, [ProcessConfigPtr, _c_int, _c_int, _c_int, _err]),
    "nscore_process_config_set_kill_on_parent_death": (_c_int, [ProcessConfigPtr, _c_int, _err]),
    "nscore_process_config_set_new_session": (_c_int, [ProcessConfigPtr, _c_int, _err]),
    "nscore_process_config_set_terminal": (_c_int, [ProcessConfigPtr, _c_int, ctypes.c_uint, ctypes.c_uint, _err]),
    "nscore_process_config_set_user": (_c_int, [ProcessConfigPtr, _u32, _u32, _u32p, _size, _err]),
    "nscore_process_config_clear_user": (_c_int, [ProcessConfigPtr, _err]),
    "nscore_process_config_set_capabilities": (_c_int, [ProcessConfigPtr, _uint, _strv, _err]),
    "nscore_process_config_adjust_capabilities": (_c_int, [ProcessConfigPtr, _strv, _strv, _err]),
    "nscore_process_config_clear_capabilities": (_c_int, [ProcessConfigPtr, _err]),
    "nscore_process_config_add_rlimit": (_c_int, [ProcessConfigPtr, _str, _u64, _u64, _err]),
    "nscore_process_config_clear_rlimits": (_c_int, [ProcessConfigPtr, _err]),
    "nscore_process_config_set_oom_score_adj": (_c_int, [ProcessConfigPtr, _c_int, _err]),
    "nscore_process_config_clear_oom_score_adj": (_c_int, [ProcessConfigPtr, _err]),
    # Seccomp
    "nscore_seccomp_new": (_c_int, [ctypes.POINTER(SeccompPtr), _c_int, _u32, _err]),
    "nscore_seccomp_default": (_c_int, [ctypes.POINTER(SeccompPtr), _err]),
    "nscore_seccomp_from_json": (_c_int, [ctypes.POINTER(SeccompPtr), _str, _size, _err]),
    "nscore_seccomp_to_json": (_c_int, [SeccompPtr, _json, _err]),
    "nscore_seccomp_add_rule": (
        _c_int,
        [SeccompPtr, _strv, _size, _c_int, _u32, ctypes.POINTER(SeccompArgStruct), _size, _err],
    ),
    "nscore_seccomp_add_architecture": (_c_int, [SeccompPtr, _str, _err]),
    "nscore_seccomp_set_flags": (_c_int, [SeccompPtr, _u32, _err]),
    "nscore_seccomp_compile": (
        _c_int,
        [SeccompPtr, ctypes.c_void_p, _size, ctypes.POINTER(_size), ctypes.POINTER(_u32), _err],
    ),
    "nscore_seccomp_free": (None, [SeccompPtr]),
    "nscore_spawn_config_set_seccomp": (_c_int, [SpawnConfigPtr, SeccompPtr, _err]),
    "nscore_spawn_config_set_seccomp_unconfined": (_c_int, [SpawnConfigPtr, _err]),
    "nscore_seccomp_notification_receive": (_c_int, [_c_int, ctypes.POINTER(SeccompNotificationStruct), _err]),
    "nscore_seccomp_notification_respond": (_c_int, [_c_int, _u64, _c_int, ctypes.c_int64, _err]),
    "nscore_seccomp_syscall_name": (_str, [_u32, ctypes.c_int32]),
    # Resources (cgroups)
    "nscore_spawn_config_set_memory": (
        _c_int,
        [SpawnConfigPtr, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, _c_int, _err],
    ),
    "nscore_spawn_config_set_cpu": (_c_int, [SpawnConfigPtr, _u64, ctypes.c_int64, _u64, _str, _str, _err]),
    "nscore_spawn_config_set_pids_limit": (_c_int, [SpawnConfigPtr, ctypes.c_int64, _err]),
    "nscore_spawn_config_set_blkio_weight": (_c_int, [SpawnConfigPtr, _uint, _err]),
    "nscore_spawn_config_add_blkio_device": (
        _c_int,
        [SpawnConfigPtr, _c_int, ctypes.c_int64, ctypes.c_int64, _u64, _err],
    ),
    "nscore_spawn_config_add_hugepage_limit": (_c_int, [SpawnConfigPtr, _str, _u64, _err]),
    "nscore_spawn_config_clear_resources": (_c_int, [SpawnConfigPtr, _err]),
    "nscore_spawn_config_set_cgroups_path": (_c_int, [SpawnConfigPtr, _str, _err]),
    "nscore_container_cgroups_json": (_c_int, [ContainerPtr, _json, _err]),
    "nscore_container_resource_stats": (_c_int, [ContainerPtr, ctypes.POINTER(ResourceStatsStruct), _err]),
    "nscore_container_resource_stats_json": (_c_int, [ContainerPtr, _json, _err]),
    "nscore_container_freeze": (_c_int, [ContainerPtr, _err]),
    "nscore_container_thaw": (_c_int, [ContainerPtr, _err]),
    "nscore_container_kill_all": (_c_int, [ContainerPtr, _err]),
    "nscore_container_update_resources": (_c_int, [ContainerPtr, SpawnConfigPtr, _err]),
    "nscore_container_cgroup_event_fd": (_c_int, [ContainerPtr, _c_int, ctypes.POINTER(_c_int), _err]),
    "nscore_container_wait_empty": (_c_int, [ContainerPtr, _c_int, ctypes.POINTER(_c_int), _err]),
    "nscore_cgroup_open": (_c_int, [_pid, ctypes.POINTER(CgroupPtr), _err]),
    "nscore_cgroup_free": (None, [CgroupPtr]),
    "nscore_cgroup_json": (_c_int, [CgroupPtr, _json, _err]),
    "nscore_cgroup_resource_stats": (_c_int, [CgroupPtr, ctypes.POINTER(ResourceStatsStruct), _err]),
    "nscore_cgroup_resource_stats_json": (_c_int, [CgroupPtr, _json, _err]),
    "nscore_cgroup_freeze": (_c_int, [CgroupPtr, _err]),
    "nscore_cgroup_thaw": (_c_int, [CgroupPtr, _err]),
    "nscore_cgroup_kill_all": (_c_int, [CgroupPtr, _err]),
    "nscore_cgroup_update_resources": (_c_int, [CgroupPtr, SpawnConfigPtr, _err]),
    "nscore_cgroup_event_fd": (_c_int, [CgroupPtr, _c_int, ctypes.POINTER(_c_int), _err]),
    "nscore_cgroup_wait_empty": (_c_int, [CgroupPtr, _c_int, ctypes.POINTER(_c_int), _err]),
    # Containers
    "nscore_spawn": (_c_int, [SpawnConfigPtr, ctypes.POINTER(ContainerPtr), _err]),
    "nscore_container_pid": (_pid, [ContainerPtr]),
    "nscore_container_pidfd": (_c_int, [ContainerPtr]),
    "nscore_container_seccomp_listener": (_c_int, [ContainerPtr]),
    "nscore_container_wait": (_c_int, [ContainerPtr, _c_int, ctypes.POINTER(_c_int), _err]),
    "nscore_container_stdio_fd": (_c_int, [ContainerPtr, _c_int, ctypes.POINTER(_c_int), _err]),
    "nscore_container_terminal_fd": (_c_int, [ContainerPtr, ctypes.POINTER(_c_int), _err]),
    "nscore_container_signal": (_c_int, [ContainerPtr, _c_int, _err]),
    "nscore_container_stop": (_c_int, [ContainerPtr, _c_int, ctypes.POINTER(_c_int), _err]),
    "nscore_container_detach": (None, [ContainerPtr]),
    "nscore_container_free": (None, [ContainerPtr]),
    # Join
    "nscore_join_config_new": (_c_int, [ctypes.POINTER(JoinConfigPtr), _err]),
    "nscore_join_config_free": (None, [JoinConfigPtr]),
    "nscore_join_config_set_target_pid": (_c_int, [JoinConfigPtr, _pid, _err]),
    "nscore_join_config_set_namespace_path": (_c_int, [JoinConfigPtr, _u32, _str, _err]),
    "nscore_join_config_set_namespaces": (_c_int, [JoinConfigPtr, _u32, _err]),
    "nscore_join_config_set_argv": (_c_int, [JoinConfigPtr, _strv, _err]),
    "nscore_join_config_set_env": (_c_int, [JoinConfigPtr, _strv, _err]),
    "nscore_join_config_set_cwd": (_c_int, [JoinConfigPtr, _str, _err]),
    "nscore_join_config_set_stdio": (_c_int, [JoinConfigPtr, _c_int, _c_int, _c_int, _err]),
    "nscore_join_config_set_kill_on_parent_death": (_c_int, [JoinConfigPtr, _c_int, _err]),
    "nscore_join_config_set_terminal": (_c_int, [JoinConfigPtr, _c_int, ctypes.c_uint, ctypes.c_uint, _err]),
    "nscore_join_config_set_join_cgroups": (_c_int, [JoinConfigPtr, _c_int, _err]),
    "nscore_join_config_process": (ProcessConfigPtr, [JoinConfigPtr]),
    "nscore_join": (_c_int, [JoinConfigPtr, ctypes.POINTER(ContainerPtr), _err]),
    # Unshare and persist
    "nscore_unshare": (_c_int, [_u32, _err]),
    "nscore_namespace_persist": (_c_int, [_pid, _u32, _str, _err]),
    "nscore_namespace_unpersist": (_c_int, [_str, _c_int, _err]),
    # Inspection
    "nscore_namespace_id": (_c_int, [_pid, _u32, ctypes.POINTER(NamespaceIDStruct), _err]),
    "nscore_namespace_id_at": (_c_int, [_str, ctypes.POINTER(NamespaceIDStruct), _err]),
    "nscore_namespace_same": (_c_int, [_pid, _pid, _u32, ctypes.POINTER(_c_int), _err]),
    "nscore_namespace_differing": (_c_int, [_pid, _u32, ctypes.POINTER(_u32), _err]),
    "nscore_inspect_namespaces_json": (_c_int, [_pid, _json, _err]),
    "nscore_inspect_credentials_json": (_c_int, [_pid, _json, _err]),
    "nscore_inspect_list_json": (_c_int, [_u32, _json, _err]),
    "nscore_inspect_list": (_c_int, [_u32, ctypes.POINTER(NamespaceListPtr), _err]),
    "nscore_ns_list_count": (_size, [NamespaceListPtr]),
    "nscore_ns_list_get": (_c_int, [NamespaceListPtr, _size, ctypes.POINTER(NamespaceEntryStruct), _err]),
    "nscore_ns_list_command": (_str, [NamespaceListPtr, _size]),
    "nscore_ns_list_free": (None, [NamespaceListPtr]),
    "nscore_inspect_pid_chain_json": (_c_int, [_pid, _json, _err]),
    "nscore_inspect_processes_json": (_c_int, [_pid, _json, _err]),
    "nscore_inspect_mounts_json": (_c_int, [_pid, _json, _err]),
    "nscore_inspect_network_json": (_c_int, [_pid, _json, _err]),
    "nscore_inspect_mountstats_json": (_c_int, [_pid, _json, _err]),
}

# ---- Loading -------------------------------------------------------------------------------

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent


def _candidates() -> list[tuple[str, str]]:
    """(description, path or name) pairs in search order, after NSCORE_LIBRARY."""
    found: list[tuple[str, str]] = []
    # A library bundled into the package: prefer the soname, then anything else that matches.
    bundled = sorted(_PACKAGE_DIR.glob("libnscore.so*"), key=lambda p: (p.name != "libnscore.so.0", p.name))
    if bundled:
        found.extend(("package directory", str(p)) for p in bundled)
    else:
        found.append(("package directory", str(_PACKAGE_DIR / "libnscore.so*")))
    name = ctypes.util.find_library("nscore")
    found.append(("ctypes.util.find_library('nscore')", name or ""))
    found.append(("source checkout", str((_PACKAGE_DIR / ".." / ".." / ".." / "build" / "libnscore.so").resolve())))
    return found


def _load() -> tuple[ctypes.CDLL, str]:
    explicit = os.environ.get("NSCORE_LIBRARY")
    if explicit:
        try:
            return ctypes.CDLL(explicit), explicit
        except OSError as e:
            raise ImportError(f"nscore: cannot load NSCORE_LIBRARY={explicit!r}: {e}") from e
    tried: list[str] = ["NSCORE_LIBRARY: not set"]
    for where, path in _candidates():
        if not path:
            tried.append(f"{where}: nothing found")
            continue
        if os.sep in path and not os.path.exists(path):
            tried.append(f"{where}: {path} (missing)")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"{where}: {path} ({e})")
    raise ImportError(
        "nscore: cannot find libnscore.so. Build it with `make lib` or set NSCORE_LIBRARY to its path. Looked in:\n  "
        + "\n  ".join(tried)
    )


def _raise_on_error(result: int, func: Callable[..., Any], args: tuple[Any, ...]) -> int:
    """errcheck for int-returning functions whose last argument is ``nscore_error **``."""
    if result >= 0:
        return result
    err = args[-1] if args else None
    if isinstance(err, ErrorPtr) and err:
        try:
            code = lib.nscore_error_code(err)
            sys_errno = lib.nscore_error_sys_errno(err)
            stage = (lib.nscore_error_stage(err) or b"").decode("utf-8", "replace")
            message = (lib.nscore_error_message(err) or b"").decode("utf-8", "replace")
            command_failure = bool(lib.nscore_error_is_command_failure(err))
        finally:
            lib.nscore_error_free(err)
            # The object is gone: make the pointer NULL so nothing can read it again.
            ctypes.c_void_p.from_buffer(err).value = None
    else:
        code, sys_errno, stage = result, 0, getattr(func, "__name__", "nscore")
        message = f"{stage} failed with code {result} (no error object)"
        command_failure = False
    error = make_error(code, sys_errno, stage, message)
    error.command_failure = command_failure
    raise error


def _declare(library: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            fn = getattr(library, name)
        except AttributeError as e:
            raise ImportError(f"nscore: {library._name} does not export {name}; it is too old or not libnscore") from e
        fn.restype = restype
        fn.argtypes = argtypes
        if restype is _c_int and argtypes and argtypes[-1] is _err:
            fn.errcheck = _raise_on_error


def new_error() -> Any:
    """A fresh NULL ``nscore_error *`` to pass as the ``err`` argument (ctypes passes it byref)."""
    return ErrorPtr()


#: ``NSCORE_ETIMEDOUT``: what :data:`container_wait_unchecked` returns while the process runs.
ETIMEDOUT = -8


def _unchecked(library: ctypes.CDLL, name: str) -> Any:
    """A second function object for ``name`` with the table's types and no errcheck: the
    caller looks at the result itself and calls :func:`raise_error` for the failures."""
    fn = library[name]  # indexing makes a new object; the attribute keeps its errcheck
    fn.restype, fn.argtypes = SIGNATURES[name]
    return fn


def raise_error(result: int, func: Any, err: Any) -> None:
    """Raises what the errcheck raises for ``result`` (< 0) and ``err`` of an unchecked call."""
    _raise_on_error(result, func, (err,))


lib, path = _load()
_declare(lib)

#: ``nscore_container_wait`` for polls, where "still running" (:data:`ETIMEDOUT`) is the
#: usual answer: building and catching a TimedOutError for it (reading the error object's
#: five fields) cost more than the wait itself.
container_wait_unchecked = _unchecked(lib, "nscore_container_wait")

if lib.nscore_abi_version() != ABI_VERSION:
    raise ImportError(
        f"nscore: {path} has ABI version {lib.nscore_abi_version()}, but these bindings need {ABI_VERSION}"
    )

#: The library's version string, e.g. "0.1.0".
version: str = (lib.nscore_version_string() or b"").decode("ascii", "replace")
#: The library's version number, MAJOR * 10000 + MINOR * 100 + PATCH.
version_number: int = lib.nscore_version_number()


def take_json(ptr: ctypes.c_void_p) -> bytes:
    """Copies a JSON string the library returned and frees it with nscore_string_free."""
    if not ptr.value:
        return b"null"
    try:
        return ctypes.string_at(ptr.value)
    finally:
        lib.nscore_string_free(ptr)
