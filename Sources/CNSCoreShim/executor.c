/*
 * executor.c - the only code that runs between clone() and execve(): it walks the plan.
 *
 * The child is created with CLONE_VM (spawn.c): it shares the host's address space and runs on a
 * stack of its own, so spawning costs the same from a 10 MiB host as from a 10 GiB one (no page
 * tables are copied). The price is that the child must never touch memory the host might use:
 * it runs no Swift, calls no malloc, no stdio, no glibc function that sets errno or takes a
 * lock (the host thread's TLS, and so its errno, is shared). Every system call below goes
 * through nsc_raw(), which returns -errno in a register and touches nothing else. The plan
 * it reads is immutable until the child has exec'd (the CLONE_CHILD_CLEARTID word is cleared, or
 * EOF on the error pipe for nscore-init) or the parent has reaped it.
 *
 * The executor holds no policy: Swift placed every step, the frame's too (signal reset first,
 * stdio and fd closing late, exec last). Signals are blocked in the parent thread around clone,
 * so no host signal handler can ever run on the child's stack; they stay blocked until the
 * exec step. Fds that steps produce (openat2, open_tree, fsmount, ...) live in result slots
 * on this stack, where later steps find them.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn_child.h"

/* Raw system calls (no errno, no TLS, no locks): nsc_raw and nsc_sys0..5. */
#include "raw_syscall.h"
#include "fd_message.h"

#ifndef SYS_close_range
#define SYS_close_range 436 /* Linux 5.9 */
#endif
#ifndef SYS_execveat
#define SYS_execveat 322 /* Linux 3.19, x86_64 number; other arches define it */
#endif
#ifndef SYS_openat2
#define SYS_openat2 437 /* Linux 5.6 */
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
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442 /* Linux 5.12 */
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1) /* Linux 5.9 */
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2) /* Linux 5.11 */
#endif
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif
#define NSC_RESOLVE_STRICT (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
#define NSC_OPEN_TREE_CLONE 1
#define NSC_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define NSC_MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#define NSC_MOUNT_ATTR_RDONLY 0x00000001
#define NSC_RAMFS_MAGIC 0x858458f6
#define NSC_TMPFS_MAGIC 0x01021994
/* The new mount API's close-on-exec flags (linux/mount.h, Linux 5.2). */
#define NSC_OPEN_TREE_CLOEXEC O_CLOEXEC
#define NSC_FSOPEN_CLOEXEC 0x00000001
#define NSC_FSMOUNT_CLOEXEC 0x00000001

/* seccomp(2) (linux/seccomp.h, Linux 3.17; the listener flag 5.0). */
#define NSC_SECCOMP_SET_MODE_FILTER 1
#define NSC_SECCOMP_FILTER_FLAG_NEW_LISTENER 8

/* struct open_how (Linux 5.6) and struct mount_attr (Linux 5.12), as the kernel lays them out. */
struct nsc_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};
_Static_assert(sizeof(struct nsc_open_how) == 24, "open_how VER0 is 24 bytes (Linux 5.6)");
struct nsc_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};
_Static_assert(sizeof(struct nsc_mount_attr) == 32, "mount_attr VER0 is 32 bytes (Linux 5.12)");

/* The executor's state: the block it was handed and its result slots. */
struct nsc_exec_state {
    const struct nsc_child_block *blk;
    int32_t slots[NSC_MAX_SLOTS];
};

/* Waits for the parent's "go" on the block's robust mutex (share_files). 0, or -ECONNABORTED
 * when the thread holding it exited without saying it. The lock word is the first int of
 * pthread_mutex_t: the owner's tid with the kernel's robust-futex bits. */
static long nsc_wait_go(const struct nsc_child_block *b)
{
    int *w = (int *)&b->go_lock;
    for (;;) {
        int v = __atomic_load_n(w, __ATOMIC_ACQUIRE);
        if (v & FUTEX_OWNER_DIED)
            return -ECONNABORTED;
        if ((v & FUTEX_TID_MASK) == 0)
            return 0;
        /* Announce a waiter, so that the unlock wakes us (as another locker would). */
        if (!(v & FUTEX_WAITERS)) {
            if (!__atomic_compare_exchange_n(w, &v, v | FUTEX_WAITERS, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                continue;
            v |= FUTEX_WAITERS;
        }
        /* Shared-key wait: glibc wakes robust mutexes with shared-key wakes, as the kernel
         * does at the holder's death. The timeout is only a safety net. */
        struct timespec ts = { 1, 0 };
        (void)nsc_sys4(SYS_futex, w, FUTEX_WAIT, v, &ts);
    }
}

static __attribute__((noreturn)) void nsc_fail(const struct nsc_child_block *b, int32_t step, int32_t kind, long err)
{
    struct nsc_error_record rec = { step, kind, (int32_t)-err };
    if (b->status != NULL) {
        /* Shared memory: the parent reads it once the kernel has cleared `alive` at exit. */
        b->status->record = rec;
        __atomic_store_n(&b->status->failed, 1, __ATOMIC_RELEASE);
    } else {
        /* A short write cannot happen for 12 bytes on a pipe; if the write fails the parent
         * still sees the child exit 127 before exec and reports that. */
        (void)nsc_sys3(SYS_write, b->plan->err_fd, &rec, sizeof rec);
    }
    for (;;)
        (void)nsc_sys1(SYS_exit_group, 127);
}

/* Brings "lo" up in the current network namespace. Returns 0 or -errno. */
static long nsc_loopback_up(void)
{
    long s = nsc_sys3(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return s;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_name[0] = 'l';
    ifr.ifr_name[1] = 'o';
    long r = nsc_sys3(SYS_ioctl, s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = nsc_sys3(SYS_ioctl, s, SIOCSIFFLAGS, &ifr);
    }
    (void)nsc_sys1(SYS_close, s);
    return r;
}

/* Marks every fd >= 3 close-on-exec by walking /proc/self/fd with getdents64 into a stack
 * buffer: the fallback for kernels before 5.11 (no CLOSE_RANGE_CLOEXEC). */
static long nsc_cloexec_walk(void)
{
    long dir = nsc_sys4(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dir < 0)
        return dir;
    char buf[2048] __attribute__((aligned(8)));
    for (;;) {
        long n = nsc_sys3(SYS_getdents64, dir, buf, sizeof buf);
        if (n < 0) {
            (void)nsc_sys1(SYS_close, dir);
            return n;
        }
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            /* struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[] */
            unsigned short reclen = *(unsigned short *)(buf + off + 16);
            const char *name = buf + off + 19;
            long fd = 0;
            int digits = 0;
            for (; *name >= '0' && *name <= '9'; name++, digits++)
                fd = fd * 10 + (*name - '0');
            if (digits > 0 && *name == 0 && fd >= 3 && fd != dir)
                (void)nsc_sys3(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
            off += reclen;
        }
    }
    (void)nsc_sys1(SYS_close, dir);
    return 0;
}

/* An fd operand: a plain fd, AT_FDCWD, or the fd in a result slot (-EBADF for an empty one). */
static long nsc_fd(const struct nsc_exec_state *st, uint64_t v)
{
    int64_t x = (int64_t)v;
    if (x > NSC_SLOT_BASE)
        return x;
    int64_t k = NSC_SLOT_BASE - x;
    if (k >= NSC_MAX_SLOTS || st->slots[k] < 0)
        return -EBADF;
    return st->slots[k];
}

/* ---- Kernels without openat2 (before 5.6) or mount_setattr (before 5.12) -------------------
 * Both calls fall back when the kernel answers ENOSYS (or a test sets
 * nsc_shim_force_legacy_mount): the in-root lookups to a walk of one component at a time, the
 * mount attribute changes to bind remounts through /proc/self/fd, submount by submount. */
volatile int nsc_shim_force_legacy_mount = 0;

/* 1 when `name` in `dir` (or `dir` itself, for "") is a symlink. */
static int nsc_is_link(long dir, const char *name)
{
    struct statx sx;
    long r = nsc_sys5(SYS_statx, dir, name, (*name ? 0 : AT_EMPTY_PATH) | AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx);
    return r == 0 && (sx.stx_mode & S_IFMT) == S_IFLNK;
}

/* The next component of *p (slashes skipped) into name (256 bytes); *p moves past it. Returns
 * its length (0 at the end of the path) or -ENAMETOOLONG; *last is 1 when nothing follows. */
static long nsc_component(const char **p, char *name, int *last)
{
    const char *s = *p;
    while (*s == '/')
        s++;
    long n = 0;
    while (s[n] != 0 && s[n] != '/') {
        if (n == 255)
            return -ENAMETOOLONG;
        name[n] = s[n];
        n++;
    }
    name[n] = 0;
    s += n;
    const char *rest = s;
    while (*rest == '/')
        rest++;
    *last = *rest == 0;
    *p = s;
    return n;
}

/* `path` below `dir`, one component at a time with O_NOFOLLOW: a symlink anywhere is ELOOP,
 * as with RESOLVE_NO_SYMLINKS (every in-root lookup of the library uses it, on paths without
 * "." or ".."), and the walk cannot leave `dir` since no component is "..". */
static long nsc_walk(long dir, const char *path, uint64_t flags, uint64_t mode)
{
    char name[256];
    long cur = dir;
    const char *p = path;
    for (;;) {
        int last = 1;
        long n = nsc_component(&p, name, &last), next;
        if (n < 0)
            next = n;
        else if (n == 0)
            next = nsc_sys4(SYS_openat, cur, ".", flags | O_CLOEXEC, mode);
        else if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
            next = -EXDEV;
        else {
            next = nsc_sys4(SYS_openat, cur, name, (last ? flags : (uint64_t)(O_PATH | O_DIRECTORY)) | O_NOFOLLOW | O_CLOEXEC,
                            mode);
            if ((next == -ENOTDIR || next == -ELOOP) && nsc_is_link(cur, name))
                next = -ELOOP;
            else if (next >= 0 && nsc_is_link(next, "")) {
                (void)nsc_sys1(SYS_close, next); /* O_PATH | O_NOFOLLOW opens the link itself */
                next = -ELOOP;
            }
        }
        if (cur != dir)
            (void)nsc_sys1(SYS_close, cur);
        if (next < 0 || last || n == 0)
            return next;
        cur = next;
    }
}

/* openat2(dir, path, {flags | O_CLOEXEC, mode, resolve}), or its walk on older kernels. */
static long nsc_openat2(long dir, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
    struct nsc_open_how how = { flags | O_CLOEXEC, mode, resolve };
    long r = nsc_shim_force_legacy_mount ? -ENOSYS : nsc_sys4(SYS_openat2, dir, path, &how, sizeof how);
    if (r != -ENOSYS)
        return r;
    if (!(resolve & RESOLVE_NO_SYMLINKS))
        return nsc_sys4(SYS_openat, dir, path, flags | O_CLOEXEC, mode);
    return nsc_walk(dir, path, flags, mode);
}

/* openat2(dir, path, O_PATH | flags, resolve) */
static long nsc_open_path(long dir, const char *path, uint64_t flags, uint64_t resolve)
{
    return nsc_openat2(dir, path, O_PATH | flags, 0, resolve);
}

/* "/proc/self/fd/N" into buf (32 bytes). */
static void nsc_fd_path(char *buf, long fd)
{
    const char *prefix = "/proc/self/fd/";
    int i = 0;
    for (; prefix[i]; i++)
        buf[i] = prefix[i];
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + fd % 10);
        fd /= 10;
    } while (fd > 0);
    while (n > 0)
        buf[i++] = digits[--n];
    buf[i] = 0;
}

/* MS_* flags for MOUNT_ATTR_* bits. */
static unsigned long nsc_ms_flags(uint64_t attr)
{
    unsigned long f = 0;
    if (attr & 0x01) f |= MS_RDONLY;
    if (attr & 0x02) f |= MS_NOSUID;
    if (attr & 0x04) f |= MS_NODEV;
    if (attr & 0x08) f |= MS_NOEXEC;
    if (attr & 0x10) f |= MS_NOATIME;
    if (attr & 0x20) f |= MS_STRICTATIME;
    if (attr & 0x80) f |= MS_NODIRATIME;
    return f;
}

/* A bind remount of the mount at `path` with attributes set and cleared as mount_setattr
 * would: the flags it has (statfs) are restated, since a remount replaces them all (and one
 * locked by a less privileged mount namespace may not be dropped). */
static long nsc_remount(const char *path, const struct nsc_mount_attr *a)
{
    struct statfs fs;
    long r = nsc_sys2(SYS_statfs, path, &fs);
    if (r < 0)
        return r;
    unsigned long cur = 0;
    if (fs.f_flags & ST_RDONLY) cur |= MS_RDONLY;
    if (fs.f_flags & ST_NOSUID) cur |= MS_NOSUID;
    if (fs.f_flags & ST_NODEV) cur |= MS_NODEV;
    if (fs.f_flags & ST_NOEXEC) cur |= MS_NOEXEC;
    if (fs.f_flags & ST_NOATIME) cur |= MS_NOATIME;
    if (fs.f_flags & ST_NODIRATIME) cur |= MS_NODIRATIME;
    if (fs.f_flags & ST_RELATIME) cur |= MS_RELATIME;
    if (a->attr_clr & 0x70) /* MOUNT_ATTR__ATIME: the atime mode is replaced */
        cur &= ~(unsigned long)(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
    unsigned long flags = (cur & ~nsc_ms_flags(a->attr_clr)) | nsc_ms_flags(a->attr_set);
    if ((a->attr_clr & 0x70) && !(a->attr_set & 0x30))
        flags |= MS_RELATIME;
    return nsc_sys5(SYS_mount, 0, path, 0, MS_REMOUNT | MS_BIND | flags, 0);
}

/* The next line of an fd being read in chunks (buf: 4096 bytes, *len and *off its state);
 * lines longer than `cap` are cut. Returns the line's length, 0 at the end, or -errno. */
static long nsc_next_line(long fd, char *buf, long *len, long *off, char *line, long cap)
{
    long n = 0;
    for (;;) {
        if (*off == *len) {
            long r = nsc_sys3(SYS_read, fd, buf, 4096);
            if (r < 0)
                return r;
            if (r == 0) {
                line[n < cap ? n : cap - 1] = 0;
                return n;
            }
            *len = r;
            *off = 0;
        }
        char c = buf[(*off)++];
        if (c == '\n') {
            line[n < cap ? n : cap - 1] = 0;
            return n > 0 ? n : 1;
        }
        if (n < cap - 1)
            line[n] = c;
        n++;
    }
}

/* Field i (from 0) of a mountinfo line, in place (NUL-terminated, octal escapes undone). */
static char *nsc_field(char *line, int i)
{
    char *p = line;
    for (; i > 0 && *p; i--) {
        while (*p && *p != ' ')
            p++;
        while (*p == ' ')
            p++;
    }
    char *start = p, *out = p;
    while (*p && *p != ' ') {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
            *out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 4;
        } else {
            *out++ = *p++;
        }
    }
    *out = 0;
    return start;
}

static long nsc_number(const char *s)
{
    long v = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (*s - '0');
    return v;
}

/* mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], a) on an attached mount, by remounts:
 * the mount itself, then (recursive) every mount below it, found in /proc/self/mountinfo from
 * its mount id (/proc/self/fdinfo/N). */
static long nsc_setattr_legacy(long fd, int recursive, const struct nsc_mount_attr *a)
{
    char path[32], buf[4096], line[4096];
    nsc_fd_path(path, fd);
    long r;
    if ((a->attr_set || a->attr_clr) && (r = nsc_remount(path, a)) < 0)
        return r;
    if (a->propagation && (r = nsc_sys5(SYS_mount, 0, path, 0, a->propagation | (recursive ? MS_REC : 0), 0)) < 0)
        return r;
    if (!recursive || !(a->attr_set || a->attr_clr))
        return 0;
    /* The mount's id. */
    char info[40] = "/proc/self/fdinfo/";
    for (int i = 0; path[14 + i]; i++) {
        info[18 + i] = path[14 + i];
        info[19 + i] = 0;
    }
    long id = -1, f = nsc_sys4(SYS_openat, AT_FDCWD, info, O_RDONLY | O_CLOEXEC, 0), len = 0, off = 0;
    if (f < 0)
        return f;
    while ((r = nsc_next_line(f, buf, &len, &off, line, sizeof line)) > 0)
        if (line[0] == 'm' && line[1] == 'n' && line[2] == 't' && line[3] == '_' && line[4] == 'i' && line[5] == 'd')
            id = nsc_number(line + 7);
    (void)nsc_sys1(SYS_close, f);
    if (id < 0)
        return r < 0 ? r : -ENOENT;
    /* Mounts whose parent is in the set join it (and are remounted), pass after pass. */
    long set[512];
    int count = 1, added;
    set[0] = id;
    do {
        added = 0;
        f = nsc_sys4(SYS_openat, AT_FDCWD, "/proc/self/mountinfo", O_RDONLY | O_CLOEXEC, 0);
        if (f < 0)
            return f;
        len = off = 0;
        while ((r = nsc_next_line(f, buf, &len, &off, line, sizeof line)) > 0) {
            /* Fields: 0 mount id, 1 parent id, 2 major:minor, 3 root, 4 mount point. */
            char *p = line;
            long mid = nsc_number(p);
            while (*p && *p != ' ')
                p++;
            long parent = nsc_number(p);
            int known = 0, has_parent = 0;
            for (int k = 0; k < count; k++) {
                known |= set[k] == mid;
                has_parent |= set[k] == parent;
            }
            if (known || !has_parent)
                continue;
            if (count == (int)(sizeof set / sizeof *set)) {
                (void)nsc_sys1(SYS_close, f);
                return -E2BIG;
            }
            set[count++] = mid;
            added++;
            struct nsc_mount_attr flags_only = { a->attr_set, a->attr_clr, 0, 0 };
            if ((r = nsc_remount(nsc_field(line, 4), &flags_only)) < 0) {
                (void)nsc_sys1(SYS_close, f);
                return r;
            }
        }
        (void)nsc_sys1(SYS_close, f);
        if (r < 0)
            return r;
    } while (added > 0);
    return 0;
}

/* mount_setattr(fd, path, flags, a), or its remounts on older kernels (the library always
 * passes an fd with an empty path). */
static long nsc_mount_setattr(long fd, const char *path, uint64_t flags, const struct nsc_mount_attr *a)
{
    long r = nsc_shim_force_legacy_mount ? -ENOSYS : nsc_sys5(SYS_mount_setattr, fd, path, flags, a, sizeof *a);
    if (r != -ENOSYS || path[0] != 0 || !(flags & AT_EMPTY_PATH))
        return r;
    return nsc_setattr_legacy(fd, (flags & AT_RECURSIVE) != 0, a);
}

/* Creates the missing directories of `path` below `root`, one component at a time: each is
 * opened with RESOLVE_BENEATH and no symlinks, so a component that is (or is swapped for) a
 * symlink fails with ELOOP instead of leading the walk out. With `file`, the last component is
 * created as an empty regular file (a bind mount target for a file). Paths are canonical (the
 * Swift side removed ".", ".." and repeated slashes). */
static long nsc_mkpath(long root, const char *path, uint64_t mode, int file)
{
    char name[256];
    long cur = root, r = 0;
    const char *p = path;
    for (;;) {
        int last = 1;
        long n = nsc_component(&p, name, &last);
        if (n <= 0) {
            r = n;
            break;
        }
        if (last && file) {
            r = nsc_sys4(SYS_mknodat, cur, name, S_IFREG | (mode & 0644), 0);
            if (r == -EEXIST)
                r = 0;
            goto out;
        }
        long next = nsc_open_path(cur, name, O_DIRECTORY, RESOLVE_BENEATH | NSC_RESOLVE_STRICT);
        if (next == -ENOENT) {
            r = nsc_sys3(SYS_mkdirat, cur, name, mode);
            if (r < 0 && r != -EEXIST)
                goto out;
            next = nsc_open_path(cur, name, O_DIRECTORY, RESOLVE_BENEATH | NSC_RESOLVE_STRICT);
        }
        if (next < 0) {
            r = next;
            goto out;
        }
        if (cur != root)
            (void)nsc_sys1(SYS_close, cur);
        cur = next;
    }
out:
    if (cur != root)
        (void)nsc_sys1(SYS_close, cur);
    return r;
}

/* The type and device number of what an fd refers to. */
static long nsc_node(long fd, uint32_t *mode, uint32_t *major, uint32_t *minor)
{
    struct statx sx;
    long r = nsc_sys5(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE, &sx);
    if (r < 0)
        return r;
    *mode = sx.stx_mode & S_IFMT;
    *major = sx.stx_rdev_major;
    *minor = sx.stx_rdev_minor;
    return 0;
}

/* Clones the mount `src` (a detached or attached mount's fd) onto the opened target `to`. */
static long nsc_clone_onto(long src, long to, uint64_t flags)
{
    long c = nsc_sys3(SYS_open_tree, src, "", NSC_OPEN_TREE_CLONE | NSC_OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | flags);
    if (c < 0)
        return c;
    long r = nsc_sys5(SYS_move_mount, c, "", to, "", NSC_MOVE_MOUNT_F_EMPTY_PATH | NSC_MOVE_MOUNT_T_EMPTY_PATH);
    (void)nsc_sys1(SYS_close, c);
    return r;
}

/* A masked path: an empty read-only tmpfs over a directory, /dev/null over anything else. */
static long nsc_mask(long root, const char *path, long null_fd, long empty_fd)
{
    long t = nsc_open_path(root, path, 0, RESOLVE_IN_ROOT | NSC_RESOLVE_STRICT);
    if (t == -ENOENT || t == -ENOTDIR)
        return 0;
    if (t < 0)
        return t;
    uint32_t mode, major, minor;
    long r = nsc_node(t, &mode, &major, &minor);
    if (r == 0)
        r = nsc_clone_onto(mode == S_IFDIR ? empty_fd : null_fd, t, 0);
    (void)nsc_sys1(SYS_close, t);
    return r;
}

/* A read-only path: the tree at `path` bound onto itself, read-only down to every submount. */
static long nsc_readonly(long root, const char *path)
{
    long t = nsc_open_path(root, path, 0, RESOLVE_IN_ROOT | NSC_RESOLVE_STRICT);
    if (t == -ENOENT || t == -ENOTDIR)
        return 0;
    if (t < 0)
        return t;
    long r, c = nsc_sys3(SYS_open_tree, t, "", NSC_OPEN_TREE_CLONE | NSC_OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (c >= 0) {
        /* Attached first: a remount (the fallback) needs the mount in the namespace. */
        struct nsc_mount_attr attr = { NSC_MOUNT_ATTR_RDONLY, 0, 0, 0 };
        r = nsc_sys5(SYS_move_mount, c, "", t, "", NSC_MOVE_MOUNT_F_EMPTY_PATH | NSC_MOVE_MOUNT_T_EMPTY_PATH);
        if (r == 0)
            r = nsc_mount_setattr(c, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr);
        (void)nsc_sys1(SYS_close, c);
    } else {
        r = c;
    }
    (void)nsc_sys1(SYS_close, t);
    return r;
}

/* pivot_root into `new_root` and detach the old root; where the old root is the initramfs
 * (pivot_root refuses it: EINVAL), move the new root onto / and chroot, as runc does. */
static long nsc_enter_root(long old_root, long new_root)
{
    long r = nsc_sys1(SYS_fchdir, new_root);
    if (r < 0)
        return r;
    r = nsc_shim_force_chroot_fallback ? -EINVAL : nsc_sys2(SYS_pivot_root, ".", ".");
    if (r == 0) {
        /* The old root is now stacked on top of the new one: detach it, as a slave first so
         * that the detach cannot propagate to the host's mounts. */
        if ((r = nsc_sys1(SYS_fchdir, old_root)) < 0 ||
            (r = nsc_sys5(SYS_mount, 0, ".", 0, MS_SLAVE | MS_REC, 0)) < 0 ||
            (r = nsc_sys2(SYS_umount2, ".", MNT_DETACH)) < 0)
            return r;
    } else if (r == -EINVAL) {
        struct statfs fs;
        long e = nsc_sys2(SYS_fstatfs, old_root, &fs);
        if (e < 0)
            return e;
        if (!nsc_shim_force_chroot_fallback && fs.f_type != NSC_RAMFS_MAGIC && fs.f_type != NSC_TMPFS_MAGIC)
            return r;
        if ((r = nsc_sys5(SYS_mount, ".", "/", 0, MS_MOVE, 0)) < 0 || (r = nsc_sys1(SYS_chroot, ".")) < 0)
            return r;
    } else {
        return r;
    }
    return nsc_sys1(SYS_chdir, "/");
}

/* Places the stdio sources on 0, 1, 2: first each source is copied above 2, so that one source
 * cannot be overwritten by another's dup3 (a caller may pass its stdout as our stderr). */
static long nsc_stdio(const struct nsc_exec_state *st, const struct nsc_step *s)
{
    long tmp[3] = { -1, -1, -1 };
    long null_fd = -1;
    for (int i = 0; i < 3; i++) {
        int64_t src = (int64_t)s->arg[i];
        if (src == NSC_STDIO_NULL) {
            /* Opened here, so the parent passes no fd; kept above 2 like the other sources. */
            if (null_fd < 0) {
                null_fd = nsc_sys4(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC, 0);
                if (null_fd >= 0 && null_fd < 3)
                    null_fd = nsc_sys3(SYS_fcntl, null_fd, F_DUPFD_CLOEXEC, 3);
                if (null_fd < 0)
                    return null_fd;
            }
            tmp[i] = null_fd;
            continue;
        }
        if (src == -1)
            continue;
        long fd = nsc_fd(st, (uint64_t)src);
        if (fd < 0)
            return fd;
        tmp[i] = nsc_sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
        if (tmp[i] < 0)
            return tmp[i];
    }
    for (int i = 0; i < 3; i++) {
        long r;
        if (tmp[i] >= 0 && (r = nsc_sys3(SYS_dup3, tmp[i], i, 0)) < 0)
            return r;
    }
    return 0;
}

/* Only stdio and the kept fds cross exec: everything else the host had open becomes
 * close-on-exec (our own pipes already are). */
static long nsc_close_fds(const struct nsc_step *s)
{
    long r = nsc_shim_force_clone_fallback ? -ENOSYS : nsc_sys3(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (r == -ENOSYS || r == -EINVAL)
        r = nsc_cloexec_walk();
    if (r < 0)
        return r;
    const int32_t *keep = (const int32_t *)(uintptr_t)s->arg[0];
    for (uint64_t i = 0; i < s->arg[1]; i++)
        if ((r = nsc_sys3(SYS_fcntl, keep[i], F_SETFD, 0)) < 0)
            return r;
    return 0;
}

/* Empties the signal mask and execs. Returns only on failure, with signals blocked again. */
static long nsc_exec(const struct nsc_exec_state *st, const struct nsc_step *s)
{
    const struct nsc_child_block *b = st->blk;
    long r;
    if (b->status != NULL)
        __atomic_store_n(&b->status->execing, 1, __ATOMIC_RELEASE);
    uint64_t empty = 0;
    (void)nsc_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8);
    if ((int64_t)s->arg[0] >= 0)
        r = nsc_sys5(SYS_execveat, nsc_fd(st, s->arg[0]), "", s->arg[2], s->arg[3], AT_EMPTY_PATH);
    else
        r = nsc_sys3(SYS_execve, s->arg[1], s->arg[2], s->arg[3]);
    /* Block again so that nothing interrupts the report. */
    uint64_t full = ~(uint64_t)0;
    (void)nsc_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &full, 0, 8);
    return r;
}

/* Sends `fd` on the unix socket `sock` (fd_message.h). */
static long nsc_send_fd(int sock, int fd)
{
    struct nsc_fd_message m;
    long r;
    nsc_fd_message_init(&m, fd);
    do
        r = nsc_sys3(SYS_sendmsg, sock, &m.msg, MSG_NOSIGNAL);
    while (r == -EINTR);
    return r < 0 ? r : (r == 1 ? 0 : -EIO);
}

/* Receives one fd (close-on-exec) on the unix socket `sock`, waiting for it (fd_message.h). */
static long nsc_recv_fd(int sock)
{
    struct nsc_fd_message m;
    long r;
    nsc_fd_message_init(&m, -1);
    do
        r = nsc_sys3(SYS_recvmsg, sock, &m.msg, MSG_CMSG_CLOEXEC);
    while (r == -EINTR);
    return nsc_fd_message_take(&m, r);
}

/* Stores an fd a step produced in its result slot; -EINVAL for a bad slot (a library bug). */
static long nsc_store(struct nsc_exec_state *st, const struct nsc_step *s, long fd)
{
    if (fd < 0)
        return fd;
    if (s->out < 0 || s->out >= NSC_MAX_SLOTS) {
        (void)nsc_sys1(SYS_close, fd);
        return -EINVAL;
    }
    st->slots[s->out] = (int32_t)fd;
    return 0;
}

static long nsc_run_step(struct nsc_exec_state *st, const struct nsc_step *s)
{
    const struct nsc_plan *p = st->blk->plan;
    const uint64_t *a = s->arg;
    char byte = 'r';
    long r, fd;
    switch (s->kind) {
    case NSC_STEP_RESET_SIGNALS: {
        /* A zeroed kernel sigaction is SIG_DFL with no flags and an empty mask on every
         * architecture. The host's handlers are host code and must never run here, and the
         * command must start with a clean signal state. */
        unsigned long act[4] = { 0, 0, 0, 0 };
        for (int sig = 1; sig < 65; sig++) {
            if (sig == SIGKILL || sig == SIGSTOP)
                continue;
            r = nsc_sys4(SYS_rt_sigaction, sig, act, 0, 8);
            if (r < 0 && r != -EINVAL)
                return r;
        }
        return 0;
    }
    case NSC_STEP_PRCTL:
        return nsc_sys5(SYS_prctl, a[0], a[1], a[2], a[3], a[4]);
    case NSC_STEP_STDIO:
        return nsc_stdio(st, s);
    case NSC_STEP_CLOSE_FDS:
        return nsc_close_fds(s);
    case NSC_STEP_EXEC:
        return nsc_exec(st, s);
    case NSC_STEP_SETNS:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        return nsc_sys2(SYS_setns, fd, a[1]);
    case NSC_STEP_UNSHARE:
        return nsc_sys1(SYS_unshare, a[0]);
    case NSC_STEP_SYNC_READY:
        do
            r = nsc_sys3(SYS_write, p->sync_fd, &byte, 1);
        while (r == -EINTR);
        return r < 0 ? r : 0;
    case NSC_STEP_SYNC_WAIT:
        if (st->blk->status != NULL)
            return nsc_wait_go(st->blk);
        do
            r = nsc_sys3(SYS_read, p->sync_fd, &byte, 1);
        while (r == -EINTR);
        /* EOF means the parent gave up (or died) before saying "go". */
        return r == 1 ? 0 : (r < 0 ? r : -ECONNABORTED);
    case NSC_STEP_SETHOSTNAME:
        return nsc_sys2(SYS_sethostname, a[0], a[1]);
    case NSC_STEP_SETDOMAINNAME:
        return nsc_sys2(SYS_setdomainname, a[0], a[1]);
    case NSC_STEP_LOOPBACK_UP:
        return nsc_loopback_up();
    case NSC_STEP_MOUNT:
        return nsc_sys5(SYS_mount, a[0], a[1], a[2], a[3], a[4]);
    case NSC_STEP_CHDIR:
        return nsc_sys1(SYS_chdir, a[0]);
    case NSC_STEP_FCHDIR:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        return nsc_sys1(SYS_fchdir, fd);
    case NSC_STEP_OPENAT2:
        if ((fd = nsc_fd(st, a[0])) < 0 && fd != NSC_AT_FDCWD)
            return fd;
        return nsc_store(st, s, nsc_openat2(fd, (const char *)(uintptr_t)a[1], a[2], a[3], a[4]));
    case NSC_STEP_OPEN_TREE:
        if ((fd = nsc_fd(st, a[0])) < 0 && fd != NSC_AT_FDCWD)
            return fd;
        return nsc_store(st, s, nsc_sys3(SYS_open_tree, fd, a[1], a[2] | NSC_OPEN_TREE_CLOEXEC));
    case NSC_STEP_MOVE_MOUNT: {
        long to;
        if ((fd = nsc_fd(st, a[0])) < 0 && fd != NSC_AT_FDCWD)
            return fd;
        if ((to = nsc_fd(st, a[2])) < 0 && to != NSC_AT_FDCWD)
            return to;
        return nsc_sys5(SYS_move_mount, fd, a[1], to, a[3], a[4]);
    }
    case NSC_STEP_MOUNT_SETATTR: {
        struct nsc_mount_attr attr = { a[3], a[4], a[5], 0 };
        if ((fd = nsc_fd(st, a[0])) < 0 && fd != NSC_AT_FDCWD)
            return fd;
        return nsc_mount_setattr(fd, (const char *)(uintptr_t)a[1], a[2], &attr);
    }
    case NSC_STEP_FSOPEN:
        return nsc_store(st, s, nsc_sys2(SYS_fsopen, a[0], a[1] | NSC_FSOPEN_CLOEXEC));
    case NSC_STEP_FSCONFIG:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        return nsc_sys5(SYS_fsconfig, fd, a[1], a[2], a[3], a[4]);
    case NSC_STEP_FSMOUNT:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        return nsc_store(st, s, nsc_sys3(SYS_fsmount, fd, a[1] | NSC_FSMOUNT_CLOEXEC, a[2]));
    case NSC_STEP_CLOSE: {
        int64_t x = (int64_t)a[0];
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        if (x <= NSC_SLOT_BASE)
            st->slots[NSC_SLOT_BASE - x] = -1;
        return nsc_sys1(SYS_close, fd);
    }
    case NSC_STEP_MKPATH:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        return nsc_mkpath(fd, (const char *)(uintptr_t)a[1], a[2], a[3] != 0);
    case NSC_STEP_MKNOD:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        if ((r = nsc_sys4(SYS_mknodat, fd, a[1], a[2], a[3])) < 0)
            return r;
        return nsc_sys3(SYS_fchmodat, fd, a[1], a[2] & 07777);
    case NSC_STEP_SYMLINK:
        if ((fd = nsc_fd(st, a[1])) < 0)
            return fd;
        return nsc_sys3(SYS_symlinkat, a[0], fd, a[2]);
    case NSC_STEP_EXPECT_NODE: {
        uint32_t mode, major, minor;
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        if ((r = nsc_node(fd, &mode, &major, &minor)) < 0)
            return r;
        return (mode == a[1] && major == a[2] && minor == a[3]) ? 0 : -EPERM;
    }
    case NSC_STEP_MASK: {
        long null_fd, empty_fd;
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        if ((null_fd = nsc_fd(st, a[2])) < 0)
            return null_fd;
        if ((empty_fd = nsc_fd(st, a[3])) < 0)
            return empty_fd;
        return nsc_mask(fd, (const char *)(uintptr_t)a[1], null_fd, empty_fd);
    }
    case NSC_STEP_READONLY:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        return nsc_readonly(fd, (const char *)(uintptr_t)a[1]);
    case NSC_STEP_ENTER_ROOT: {
        long new_root;
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        if ((new_root = nsc_fd(st, a[1])) < 0)
            return new_root;
        return nsc_enter_root(fd, new_root);
    }
    case NSC_STEP_SETRESGID:
        return nsc_sys3(SYS_setresgid, a[0], a[0], a[0]);
    case NSC_STEP_SETRESUID:
        return nsc_sys3(SYS_setresuid, a[0], a[0], a[0]);
    case NSC_STEP_SETGROUPS:
        return nsc_sys2(SYS_setgroups, a[0], a[1]);
    case NSC_STEP_CAPSET:
        return nsc_sys2(SYS_capset, a[0], a[1]);
    case NSC_STEP_PRLIMIT:
        return nsc_sys4(SYS_prlimit64, 0, a[0], a[1], 0);
    case NSC_STEP_WRITE: {
        long n;
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        n = nsc_sys3(SYS_write, fd, a[1], a[2]);
        return n < 0 ? n : (n == (long)a[2] ? 0 : -EIO);
    }
    case NSC_STEP_SECCOMP:
        r = nsc_sys3(SYS_seccomp, NSC_SECCOMP_SET_MODE_FILTER, a[0], a[1]);
        if (a[0] & NSC_SECCOMP_FILTER_FLAG_NEW_LISTENER)
            return nsc_store(st, s, r);
        return r < 0 ? r : 0;
    case NSC_STEP_SEND_FD:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        return nsc_send_fd(p->sync_fd, (int)fd);
    case NSC_STEP_RECV_FD:
        return nsc_store(st, s, nsc_recv_fd(p->sync_fd));
    case NSC_STEP_SETSID:
        r = nsc_sys0(SYS_setsid);
        return r < 0 ? r : 0;
    case NSC_STEP_IOCTL:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        r = nsc_sys3(SYS_ioctl, fd, a[1], a[2]);
        if (s->out >= 0)
            return nsc_store(st, s, r);
        return r < 0 ? r : 0;
    case NSC_STEP_FCHOWN:
        if ((fd = nsc_fd(st, a[0])) < 0)
            return fd;
        return nsc_sys3(SYS_fchown, fd, a[1], a[2]);
    default:
        return -EINVAL;
    }
}

/* Closes [lo, hi] (hi ~0U: to the end), through close_range, or one close at a time up to
 * `limit` before Linux 5.9. */
static void nsc_close_between(unsigned lo, unsigned hi, unsigned limit)
{
    if (lo > hi)
        return;
    if (!nsc_shim_force_clone_fallback && nsc_sys3(SYS_close_range, lo, hi, 0) == 0)
        return;
    for (unsigned fd = lo; fd <= hi && fd < limit; fd++)
        (void)nsc_sys1(SYS_close, fd);
}

static void nsc_close_unnamed(const struct nsc_plan *p)
{
    unsigned lo = 3;
    for (uint32_t i = 0; i < p->nnamed; i++) {
        unsigned fd = (unsigned)p->named_fds[i];
        if (fd < lo)
            continue;
        if (fd > lo)
            nsc_close_between(lo, fd - 1, (unsigned)p->unshare_from);
        lo = fd + 1;
    }
    /* Above the last named fd: the rest (a full copy of the table holds more than unshare_from). */
    nsc_close_between(lo, ~0U, (unsigned)p->unshare_from + 1024);
}

int nsc_child_main(void *arg)
{
    struct nsc_exec_state st;
    st.blk = arg;
    for (int i = 0; i < NSC_MAX_SLOTS; i++)
        st.slots[i] = -1;
    const struct nsc_plan *p = st.blk->plan;
    long r;

    /* With share_files the fd table is still the host's: before anything else, take a copy of
     * only the fds below unshare_from (the host's stdio and the few the plan names), so neither
     * the kernel nor exec walks the thousands a big host may hold. */
    if (st.blk->status != NULL) {
        r = nsc_shim_force_clone_fallback ? -ENOSYS : nsc_sys3(SYS_close_range, p->unshare_from, ~0U, CLOSE_RANGE_UNSHARE);
        if (r == -ENOSYS || r == -EINVAL || r == -EPERM)
            r = nsc_sys1(SYS_unshare, CLONE_FILES); /* before Linux 5.9, or a seccomp filter: a full copy */
        if (r < 0)
            nsc_fail(st.blk, -1, NSC_STEP_FILES, r);
    }
    /* The parent's end of the handshake: without it, the parent's death is EOF here. */
    if (p->sync_peer_fd >= 0)
        (void)nsc_sys1(SYS_close, p->sync_peer_fd);
    /* Every fd >= 3 the plan does not name is closed now, not at exec: a host fd must never be
     * reachable (through /proc/self/fd) while the steps run. */
    nsc_close_unnamed(p);

    /* The plan, in the order Swift chose; its last step execs. */
    for (uint32_t i = 0; i < p->nsteps; i++) {
        r = nsc_run_step(&st, &p->steps[i]);
        if (r < 0)
            nsc_fail(st.blk, (int32_t)i, p->steps[i].kind, r);
    }
    /* A plan without an exec step is a library bug: report it as the last step's EINVAL. */
    nsc_fail(st.blk, (int32_t)p->nsteps - 1, NSC_STEP_EXEC, -EINVAL);
}
