/*
 * rawrootfs.c - the hand-written rootfs-container baseline (see rawrootfs.h).
 *
 * Built twice by bench/run.sh: into bench (the in-process loop) and, with -DRAWROOTFS_MAIN, as
 * the small stand-alone program that `nscore run --rootfs` is measured against:
 *
 *   rawrootfs ROOTFS PATH [ARG...]    one container running PATH in ROOTFS; exits with its
 *                                     status (125: clone3 or waitpid failed)
 *   rawrootfs --batch N ROOTFS        N containers running /bin/true; prints the elapsed ns
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rawrootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435 /* Linux 5.3 */
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428 /* Linux 5.2 */
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429 /* Linux 5.2 */
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430 /* Linux 5.2 */
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431 /* Linux 5.2 */
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432 /* Linux 5.2 */
#endif
#ifndef SYS_openat2
#define SYS_openat2 437 /* Linux 5.6 */
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442 /* Linux 5.12 */
#endif
/* The new mount API's constants (linux/mount.h, Linux 5.2 and 5.12), for a libc without them. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR_STRICTATIME 0x00000020
#endif
#ifndef FSCONFIG_SET_FLAG
#define FSCONFIG_SET_FLAG 0
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* struct mount_attr (Linux 5.12), under a name of our own: glibc 2.36 declares the kernel's. */
struct rr_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
_Static_assert(sizeof(struct rr_mount_attr) == 32, "mount_attr VER0 is 32 bytes (Linux 5.12)");

#define HIDDEN (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)
#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

extern char **environ;

/* Docker's lists, as NSCore's defaults (Mount.defaultMaskedPaths, Mount.defaultReadonlyPaths),
 * relative to the root. */
static const char *const MASKED[] = {
    "proc/asound", "proc/acpi", "proc/interrupts", "proc/kcore", "proc/keys", "proc/latency_stats",
    "proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi", "sys/firmware",
    "sys/devices/virtual/powercap",
};
static const char *const READONLY[] = { "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger" };

/* ---- the child: system calls only (it is a fork-style copy, so errno is its own) -------------- */

static int openat2_path(int dir, const char *path, uint64_t flags, uint64_t resolve)
{
    struct open_how how = { .flags = O_PATH | O_CLOEXEC | flags, .mode = 0, .resolve = resolve };
    return (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
}

/* A mount target directory in the root, opened without following a symlink; created when
 * missing (a rootfs need not have /proc, /dev or /sys). */
static int target_dir(int root, const char *name)
{
    int fd = openat2_path(root, name, O_DIRECTORY, IN_ROOT);
    if (fd < 0 && errno == ENOENT && mkdirat(root, name, 0755) == 0)
        fd = openat2_path(root, name, O_DIRECTORY, IN_ROOT);
    return fd;
}

/* fsopen + fsconfig(source = the type, as NSCore names its default mounts; then key=value..., a
 * NULL value is a flag) + create + fsmount: a detached mount. */
static int new_mount(const char *type, const char *const *opts, unsigned attrs)
{
    int fs = (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", type, 0) < 0)
        goto fail;
    for (; opts && opts[0]; opts += 2) {
        int cmd = opts[1] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG;
        if (syscall(SYS_fsconfig, fs, cmd, opts[0], opts[1], 0) < 0)
            goto fail;
    }
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        goto fail;
    int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
    close(fs);
    return m;
fail:
    close(fs);
    return -1;
}

/* move_mount(m, "", dir, name): `name` "" moves onto dir itself. */
static int attach(int m, int dir, const char *name)
{
    unsigned flags = MOVE_MOUNT_F_EMPTY_PATH | (name[0] ? 0 : MOVE_MOUNT_T_EMPTY_PATH);
    return (int)syscall(SYS_move_mount, m, "", dir, name, flags);
}

/* A new filesystem on directory `name` of the root (proc, /dev, sysfs). Returns the attached
 * mount's fd when keep (to fill /dev), else 0; -1 on failure. */
static int mount_on(int root, const char *name, const char *type, const char *const *opts, unsigned attrs, int keep)
{
    int t = target_dir(root, name);
    if (t < 0)
        return -1;
    int m = new_mount(type, opts, attrs);
    int r = m < 0 ? -1 : attach(m, t, "");
    close(t);
    if (r < 0 || !keep) {
        if (m >= 0)
            close(m);
        return r < 0 ? -1 : 0;
    }
    return m;
}

/* A new filesystem on subdirectory `name` of the fresh /dev tmpfs (pts, shm, mqueue). */
static int mount_in_dev(int dev, const char *name, const char *type, const char *const *opts, unsigned attrs)
{
    if (mkdirat(dev, name, 0755) < 0 && errno != EEXIST)
        return -1;
    int m = new_mount(type, opts, attrs);
    if (m < 0)
        return -1;
    int r = attach(m, dev, name);
    close(m);
    return r;
}

static int fill_dev(int dev)
{
    static const struct {
        const char *name;
        unsigned major, minor;
    } nodes[] = { { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
                  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 } };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        /* fchmodat: mknodat's mode went through the umask */
        if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0 ||
            fchmodat(dev, nodes[i].name, 0666, 0) < 0)
            return -1;
    }
    if (symlinkat("/proc/self/fd", dev, "fd") < 0 || symlinkat("/proc/self/fd/0", dev, "stdin") < 0 ||
        symlinkat("/proc/self/fd/1", dev, "stdout") < 0 || symlinkat("/proc/self/fd/2", dev, "stderr") < 0 ||
        symlinkat("pts/ptmx", dev, "ptmx") < 0)
        return -1;
    static const char *const pts[] = { "newinstance", NULL, "ptmxmode", "0666", "mode", "0620", "gid", "5", NULL };
    static const char *const shm[] = { "mode", "1777", "size", "65536k", NULL };
    if (mount_in_dev(dev, "pts", "devpts", pts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC) < 0 ||
        mount_in_dev(dev, "shm", "tmpfs", shm, HIDDEN) < 0 || mount_in_dev(dev, "mqueue", "mqueue", NULL, HIDDEN) < 0)
        return -1;
    return 0;
}

/* Masked paths: a clone of `empty` (a read-only tmpfs) over a directory, of `null` over the rest. */
static int mask_paths(int root)
{
    int null = (int)syscall(SYS_open_tree, AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (null < 0)
        return -1;
    struct statx sx;
    if (statx(null, "", AT_EMPTY_PATH, STATX_TYPE, &sx) < 0 || !S_ISCHR(sx.stx_mode) || sx.stx_rdev_major != 1 ||
        sx.stx_rdev_minor != 3) {
        close(null);
        return -1;
    }
    static const char *const opts[] = { "mode", "555", NULL };
    int empty = new_mount("tmpfs", opts, MOUNT_ATTR_RDONLY | HIDDEN);
    int r = empty < 0 ? -1 : 0;
    for (size_t i = 0; r == 0 && i < sizeof MASKED / sizeof MASKED[0]; i++) {
        int t = openat2_path(root, MASKED[i], 0, IN_ROOT);
        if (t < 0) {
            if (errno != ENOENT && errno != ENOTDIR)
                r = -1;
            continue;
        }
        int c = -1;
        if (statx(t, "", AT_EMPTY_PATH, STATX_TYPE, &sx) == 0)
            c = (int)syscall(SYS_open_tree, S_ISDIR(sx.stx_mode) ? empty : null, "",
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (c < 0 || attach(c, t, "") < 0)
            r = -1;
        if (c >= 0)
            close(c);
        close(t);
    }
    if (empty >= 0)
        close(empty);
    close(null);
    return r;
}

static int readonly_paths(int root)
{
    struct rr_mount_attr attr = { MOUNT_ATTR_RDONLY, 0, 0, 0 };
    for (size_t i = 0; i < sizeof READONLY / sizeof READONLY[0]; i++) {
        int t = openat2_path(root, READONLY[i], 0, IN_ROOT);
        if (t < 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                continue;
            return -1;
        }
        int c = (int)syscall(SYS_open_tree, t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
        int r = c < 0 ? -1 : (int)syscall(SYS_mount_setattr, c, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
        if (r == 0)
            r = attach(c, t, "");
        if (c >= 0)
            close(c);
        close(t);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int lo_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return r;
}

/* Docker's default capabilities as bounding, effective and permitted (none inheritable or
 * ambient), then no_new_privs: what NSCore gives a container with a root filesystem. */
static int default_security(void)
{
    const uint64_t keep = (1ull << 0) | (1ull << 1) | (1ull << 3) | (1ull << 4) | (1ull << 5) | (1ull << 6) |
                          (1ull << 7) | (1ull << 8) | (1ull << 10) | (1ull << 13) | (1ull << 18) | (1ull << 27) |
                          (1ull << 29) | (1ull << 31);
    int last = 40;
    int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char b[8] = { 0 };
        if (read(fd, b, sizeof b - 1) > 0)
            last = atoi(b);
        close(fd);
    }
    for (int i = 0; i <= last; i++)
        if (!(keep & (1ull << i)) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0)
            return -1;
    struct { uint32_t version; int pid; } header = { 0x20080522, 0 };
    struct { uint32_t effective, permitted, inheritable; } data[2] = {
        { (uint32_t)keep, (uint32_t)keep, 0 }, { (uint32_t)(keep >> 32), (uint32_t)(keep >> 32), 0 }
    };
    if (syscall(SYS_capset, &header, data) < 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        return -1;
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The child between clone and exec. Exit status 100 + the step that failed. */
static __attribute__((noreturn)) void child(const char *rootfs, const char *path, char *const argv[])
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit(101);
    /* pivot_root needs the new root to be a mount point */
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        _exit(102);
    int old = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (old < 0 || root < 0)
        _exit(103);
    if (mount_on(root, "proc", "proc", NULL, HIDDEN, 0) < 0)
        _exit(104);
    static const char *const devopts[] = { "mode", "755", "size", "65536k", NULL };
    int dev = mount_on(root, "dev", "tmpfs", devopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME, 1);
    if (dev < 0 || fill_dev(dev) < 0)
        _exit(105);
    close(dev);
    if (mount_on(root, "sys", "sysfs", NULL, HIDDEN, 0) < 0)
        _exit(106);
    if (mask_paths(root) < 0)
        _exit(107);
    if (readonly_paths(root) < 0)
        _exit(108);
    struct rr_mount_attr ro = { MOUNT_ATTR_RDONLY, 0, 0, 0 };
    if (syscall(SYS_mount_setattr, root, "", AT_EMPTY_PATH, &ro, sizeof ro) < 0)
        _exit(109);
    /* crun's order: pivot_root(".", ".") stacks the old root on the new one; make it a slave
     * (its detach must not propagate to the host) and detach it */
    if (fchdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || fchdir(old) < 0 ||
        mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        _exit(110);
    close(old);
    close(root);
    if (lo_up() < 0)
        _exit(111);
    if (default_security() < 0)
        _exit(112);
    char *const def[] = { (char *)path, NULL };
    execve(path, argv ? argv : def, environ);
    _exit(127);
}

/* ---- the parent --------------------------------------------------------------------------- */

pid_t raw_rootfs_start(const char *rootfs, const char *path, char *const argv[])
{
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWNET;
    args.exit_signal = SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0)
        child(rootfs, path, argv);
    return pid < 0 ? -errno : pid;
}

int raw_rootfs_wait(const char *rootfs, const char *path)
{
    pid_t pid = raw_rootfs_start(rootfs, path, NULL);
    if (pid < 0)
        return pid;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return status;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t raw_rootfs_batch(const char *rootfs, const char *path, int n)
{
    int64_t t0 = mono_ns();
    for (int i = 0; i < n; i++) {
        int st = raw_rootfs_wait(rootfs, path);
        if (st < 0)
            return st;
        if (st != 0) {
            if (WIFEXITED(st))
                fprintf(stderr, "rawrootfs: the child exited %d (100+N: step N failed)\n", WEXITSTATUS(st));
            return -EPROTO;
        }
    }
    return mono_ns() - t0;
}

#ifdef RAWROOTFS_MAIN
int main(int argc, char **argv)
{
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with run.sh's timeout */
    if (argc == 4 && !strcmp(argv[1], "--batch")) {
        int64_t dt = raw_rootfs_batch(argv[3], "/bin/true", atoi(argv[2]));
        if (dt < 0) {
            fprintf(stderr, "rawrootfs: %s\n", strerror((int)-dt));
            return 1;
        }
        printf("%lld\n", (long long)dt);
        return 0;
    }
    if (argc < 3 || argv[1][0] != '/') {
        fprintf(stderr, "usage: rawrootfs ROOTFS PATH [ARG...] | --batch N ROOTFS (ROOTFS absolute)\n");
        return 2;
    }
    pid_t pid = raw_rootfs_start(argv[1], argv[2], argv + 2);
    if (pid < 0) {
        fprintf(stderr, "rawrootfs: clone3: %s\n", strerror(-pid));
        return 125;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 125;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
#endif
