/*
 * constants.c - kernel constants from headers Swift's Glibc module does not import (they need
 * _GNU_SOURCE, or live in linux/mount.h and linux/openat2.h), exported as `extern const` so
 * that Swift reads them from the real headers instead of writing the numbers again.
 */
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/prctl.h>

#include "nsc_shim.h"

const int nsc_shim_PR_SET_PDEATHSIG = PR_SET_PDEATHSIG;
const int nsc_shim_O_PATH = O_PATH;
const unsigned int nsc_shim_AT_EMPTY_PATH = AT_EMPTY_PATH;
const unsigned int nsc_shim_AT_RECURSIVE = AT_RECURSIVE;
const unsigned long long nsc_shim_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;
const unsigned long long nsc_shim_RESOLVE_NO_SYMLINKS = RESOLVE_NO_SYMLINKS;
const unsigned long long nsc_shim_RESOLVE_IN_ROOT = RESOLVE_IN_ROOT;
const unsigned int nsc_shim_OPEN_TREE_CLONE = OPEN_TREE_CLONE;
const unsigned int nsc_shim_MOVE_MOUNT_F_EMPTY_PATH = MOVE_MOUNT_F_EMPTY_PATH;
const unsigned int nsc_shim_MOVE_MOUNT_T_EMPTY_PATH = MOVE_MOUNT_T_EMPTY_PATH;
const unsigned int nsc_shim_FSCONFIG_SET_STRING = FSCONFIG_SET_STRING;
const unsigned int nsc_shim_FSCONFIG_CMD_CREATE = FSCONFIG_CMD_CREATE;
const unsigned int nsc_shim_MOUNT_ATTR_RDONLY = MOUNT_ATTR_RDONLY;
const unsigned int nsc_shim_MOUNT_ATTR_NOSUID = MOUNT_ATTR_NOSUID;
const unsigned int nsc_shim_MOUNT_ATTR_NODEV = MOUNT_ATTR_NODEV;
const unsigned int nsc_shim_MOUNT_ATTR_NOEXEC = MOUNT_ATTR_NOEXEC;
const unsigned int nsc_shim_MOUNT_ATTR__ATIME = MOUNT_ATTR__ATIME;
const unsigned int nsc_shim_MOUNT_ATTR_RELATIME = MOUNT_ATTR_RELATIME;
const unsigned int nsc_shim_MOUNT_ATTR_NOATIME = MOUNT_ATTR_NOATIME;
const unsigned int nsc_shim_MOUNT_ATTR_STRICTATIME = MOUNT_ATTR_STRICTATIME;
const unsigned int nsc_shim_MOUNT_ATTR_NODIRATIME = MOUNT_ATTR_NODIRATIME;
const unsigned int nsc_shim_FSCONFIG_SET_FLAG = FSCONFIG_SET_FLAG;

/* Docker's default linux.maskedPaths and linux.readonlyPaths, relative to the root (the Swift
 * side walks these without making a String of each). NULL-terminated. */
static const char *const default_masked_paths[] = {
    "proc/asound", "proc/acpi", "proc/interrupts", "proc/kcore", "proc/keys", "proc/latency_stats",
    "proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi", "sys/firmware",
    "sys/devices/virtual/powercap", NULL,
};
static const char *const default_readonly_paths[] = {
    "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger", NULL,
};

const char *nsc_shim_default_masked_path(unsigned int i)
{
    return i < sizeof default_masked_paths / sizeof *default_masked_paths ? default_masked_paths[i] : NULL;
}

const char *nsc_shim_default_readonly_path(unsigned int i)
{
    return i < sizeof default_readonly_paths / sizeof *default_readonly_paths ? default_readonly_paths[i] : NULL;
}
