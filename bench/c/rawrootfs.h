/*
 * rawrootfs.h - the hand-written baseline for a container in a root filesystem.
 *
 * No libnscore: a fork-style clone3 (as rawloop.c) into new pid+ipc+uts+mnt+net namespaces,
 * then, in the child, the system calls NSCore makes for `nscore run -p -i -u -m -n --rootfs R
 * --read-only` with its default mounts, masked paths and read-only paths, through the same new
 * mount API (fsopen/fsconfig/fsmount/move_mount, open_tree, mount_setattr, openat2
 * RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS), written as a careful C programmer would:
 *   1. / recursively private; the rootfs bound onto itself (MS_BIND|MS_REC); the old root and
 *      the rootfs opened;
 *   2. proc (nosuid,nodev,noexec) on /proc, its target opened in the root without symlinks
 *      (every new filesystem is named by its type: fsconfig source=proc, tmpfs, ...);
 *   3. /dev: a tmpfs (mode=755,size=65536k; nosuid,strictatime) with mknodat + fchmodat of
 *      null zero full random urandom tty (0666), the links fd stdin stdout stderr ptmx; devpts
 *      on /dev/pts (newinstance,ptmxmode=0666,mode=0620,gid=5; nosuid,noexec); a tmpfs on
 *      /dev/shm (mode=1777,size=65536k) and mqueue on /dev/mqueue (nosuid,nodev,noexec);
 *   4. sysfs on /sys (nosuid,nodev,noexec; read-write, as the network namespace is new);
 *   5. Docker's masked paths: a clone of an empty read-only tmpfs (mode=555) over a directory,
 *      a clone of the host's /dev/null (checked to be 1:3) over a file, missing ones skipped;
 *   6. read-only paths /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger: open_tree
 *      (clone, recursive) + mount_setattr(RDONLY, recursive) + move_mount back;
 *   7. the root mount read-only (mount_setattr);
 *   8. pivot_root(".", ".") from inside the rootfs, the old root made a recursive slave and
 *      detached, chdir("/");
 *   9. lo up; Docker's default capabilities (PR_CAPBSET_DROP of the others, capset, the
 *      ambient set cleared) and no_new_privs; execve. The parent waits with waitpid.
 * What it leaves out of NSCore's work: the probe before each default mount's target (NSCore's
 * mkpath opens a target it then opens again; here a target is created only when missing), the
 * signal-handler reset, close_range and the exec handshake (the raw child closes nothing:
 * every fd of its small parent is close-on-exec).
 */
#ifndef NSBENCH_RAWROOTFS_H
#define NSBENCH_RAWROOTFS_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** clone3 (fork-style) + the rootfs setup above + execve(path) inside `rootfs` (an absolute
 *  directory of the caller's mount namespace); does not wait. argv NULL: {path, NULL}.
 *  Returns the pid, or -errno. The child exits 100 + the step that failed (see rawrootfs.c). */
pid_t raw_rootfs_start(const char *rootfs, const char *path, char *const argv[]);

/** raw_rootfs_start + waitpid. Returns the wait status, or -errno. */
int raw_rootfs_wait(const char *rootfs, const char *path);

/** n times raw_rootfs_wait(rootfs, path); the elapsed nanoseconds, or -errno on the first
 *  failure (a non-zero exit status is -EPROTO). */
int64_t raw_rootfs_batch(const char *rootfs, const char *path, int n);

#ifdef __cplusplus
}
#endif
#endif
