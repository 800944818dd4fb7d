/*
 * syscalls.c - one-line wrappers for calls Swift cannot make directly: variadic functions
 * (prctl, ioctl, fcntl, open) and syscalls glibc 2.36 has no wrapper for. No policy here.
 */
#include <errno.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/eventfd.h>
#include <sys/xattr.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/seccomp.h>
#include <linux/mount.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsc_shim.h"
#include "spawn_child.h"
#include "fd_message.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* Linux 5.3 */
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424 /* Linux 5.1 */
#endif
#ifndef P_PIDFD
#define P_PIDFD 3 /* Linux 5.4 */
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif

int nsc_shim_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }

int nsc_shim_pidfd_send_signal(int pidfd, int sig, unsigned int flags)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

int nsc_shim_waitid_pidfd(int pidfd, int options, int *status, int *code, pid_t *pid)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, options);
    if (r == 0) {
        *status = info.si_status;
        *code = info.si_code;
        *pid = info.si_pid;
    }
    return r;
}

int nsc_shim_setns(int fd, int nstype) { return setns(fd, nstype); }
int nsc_shim_unshare(int flags) { return unshare(flags); }
int nsc_shim_prctl_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }

int nsc_shim_ns_get_nstype(int fd) { return ioctl(fd, NS_GET_NSTYPE); }
int nsc_shim_ns_get_parent(int fd) { return ioctl(fd, NS_GET_PARENT); }
int nsc_shim_capbset_read(int cap) { return prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0); }
int nsc_shim_ns_get_userns(int fd) { return ioctl(fd, NS_GET_USERNS); }
int nsc_shim_ns_get_owner_uid(int fd, uid_t *uid) { return ioctl(fd, NS_GET_OWNER_UID, uid); }

/* Namespace file names in NSCore's kind order (NamespaceKind.rawValue, NSCORE_NS_* bit numbers):
 * the one table of them, which Swift, the C ABI and Python read through nsc_shim_ns_name. */
static const char *const nsc_ns_names[8] = { "uts", "ipc", "pid", "net", "mnt", "user", "cgroup", "time" };

const char *nsc_shim_ns_name(int kind) { return kind >= 0 && kind < 8 ? nsc_ns_names[kind] : NULL; }

/* Compares the namespaces of `pid` with the calling thread's (whose namespaces a process it
 * clones starts in). readlink, not stat: the link text "net:[INODE]" names the namespace, and
 * reading it costs a few string copies where stat makes procfs build an nsfs inode and dentry
 * for each file (a join compared 16 of them, a third of its time in the caller). */
int nsc_shim_ns_differ(pid_t pid, uint32_t mask, uint32_t *differ, int *failed_kind, char *pid_link, size_t pid_link_size)
{
    char path[32];
    *differ = 0;
    *failed_kind = -1;
    snprintf(path, sizeof path, "/proc/%d/ns", (int)pid);
    int theirs = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (theirs < 0)
        return -errno;
    int mine = open("/proc/thread-self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (int k = 0; k < 8; k++) {
        if (!(mask & (1u << k)))
            continue;
        char a[64], b[64];
        ssize_t na = readlinkat(theirs, nsc_ns_names[k], a, sizeof a);
        if (na < 0) {
            int e = errno;
            close(theirs);
            if (mine >= 0)
                close(mine);
            *failed_kind = k;
            return -e;
        }
        /* A kind this kernel lacks for the caller cannot be compared: it counts as the same. */
        if (k == 2 && pid_link != NULL && pid_link_size > 0) { /* the target's "pid:[INODE]" */
            size_t n = (size_t)na < pid_link_size - 1 ? (size_t)na : pid_link_size - 1;
            memcpy(pid_link, a, n);
            pid_link[n] = 0;
        }
        ssize_t nb = mine >= 0 ? readlinkat(mine, nsc_ns_names[k], b, sizeof b) : -1;
        if (nb >= 0 && (na != nb || memcmp(a, b, (size_t)na) != 0))
            *differ |= 1u << k;
    }
    close(theirs);
    if (mine >= 0)
        close(mine);
    return 0;
}

int nsc_shim_pipe2_cloexec(int *fds) { return pipe2(fds, O_CLOEXEC); }

int nsc_shim_memfd_create(const char *name) { return (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING); }

int nsc_shim_seal_all(int fd)
{
    return fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
}

int nsc_shim_fd_flags(int fd) { return fcntl(fd, F_GETFD); }
int nsc_shim_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
int nsc_shim_open(const char *path, int flags, unsigned int mode) { return open(path, flags, mode); }
int nsc_shim_openat(int dirfd, const char *path, int flags, unsigned int mode) { return openat(dirfd, path, flags, mode); }

const char *nsc_shim_strerror(int err, char *buf, size_t len) { return strerror_r(err, buf, len); }

const char *nsc_shim_errno_name(int err)
{
    /* The errnos a namespace engine meets; others print as "errno N". */
    switch (err) {
#define E(x) case x: return #x;
        E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF) E(ECHILD)
        E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(ENOTBLK) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV)
        E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC)
        E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(ERANGE) E(ENAMETOOLONG) E(ENOSYS) E(ELOOP)
        E(ENOTSUP) E(EADDRINUSE) E(EADDRNOTAVAIL) E(ENETDOWN) E(ECONNABORTED) E(ECONNRESET)
        E(ETIMEDOUT) E(EUSERS) E(EOVERFLOW) E(ENOTSOCK) E(ENODATA) E(ENOLINK) E(ELIBBAD)
        E(ENETUNREACH) E(EHOSTUNREACH) E(EAFNOSUPPORT) E(EMSGSIZE) E(EBADMSG) E(ENOBUFS) E(EPROTO)
#undef E
    default:
        return NULL;
    }
}

/* RESOLVE_IN_ROOT without openat2 (before Linux 5.6): `path` resolved below `root` one
 * component at a time, following symlinks as if `root` were / (an absolute target restarts at
 * it, ".." stops at it), at most 40 of them. Parent side only (it allocates). */
static int nsc_in_root_walk(int root, const char *path, unsigned long long flags)
{
    char *todo = malloc(PATH_MAX * 2 + 2), *link = malloc(PATH_MAX + 1);
    int cur = -1, r = -ENOMEM, links = 0;
    if (todo == NULL || link == NULL)
        goto out;
    if (strlen(path) > PATH_MAX) {
        r = -ENAMETOOLONG;
        goto out;
    }
    strcpy(todo, path);
    if ((cur = (int)syscall(SYS_openat, root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
        r = -errno;
        goto out;
    }
    char *p = todo;
    for (;;) {
        while (*p == '/')
            p++;
        if (*p == 0) {
            r = (int)syscall(SYS_openat, cur, ".", (int)flags | O_CLOEXEC);
            r = r < 0 ? -errno : r;
            goto out;
        }
        char *end = p;
        while (*end && *end != '/')
            end++;
        int last = 1;
        for (char *q = end; *q; q++)
            if (*q != '/') last = 0;
        char saved = *end;
        *end = 0;
        int next;
        if (strcmp(p, ".") == 0) {
            next = dup(cur);
        } else if (strcmp(p, "..") == 0) {
            struct stat a, b;
            /* ".." of the root is the root. */
            if (fstat(cur, &a) == 0 && fstat(root, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                next = dup(cur);
            else
                next = (int)syscall(SYS_openat, cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        } else {
            ssize_t n = readlinkat(cur, p, link, PATH_MAX);
            if (n >= 0) {
                /* A symlink: its target replaces this component. */
                if (++links > 40) {
                    r = -ELOOP;
                    goto out;
                }
                link[n] = 0;
                *end = saved;
                size_t rest = strlen(end);
                if ((size_t)n + rest + 2 > PATH_MAX * 2) {
                    r = -ENAMETOOLONG;
                    goto out;
                }
                memmove(todo + n + 1, end, rest + 1);
                memcpy(todo, link, (size_t)n);
                todo[n] = '/';
                if (rest == 0) todo[n] = 0;
                p = todo;
                if (link[0] == '/') {
                    close(cur);
                    if ((cur = (int)syscall(SYS_openat, root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
                        r = -errno;
                        goto out;
                    }
                }
                continue;
            }
            next = (int)syscall(SYS_openat, cur, p, last ? ((int)flags | O_NOFOLLOW | O_CLOEXEC)
                                                       : (O_PATH | O_DIRECTORY | O_CLOEXEC));
        }
        if (next < 0) {
            r = -errno;
            goto out;
        }
        close(cur);
        cur = next;
        *end = saved;
        p = end;
        if (last) {
            r = cur;
            cur = -1;
            goto out;
        }
    }
out:
    if (cur >= 0)
        close(cur);
    free(todo);
    free(link);
    return r;
}

int nsc_shim_openat2(int dir, const char *path, unsigned long long flags, unsigned long long resolve)
{
    struct open_how how = { flags | O_CLOEXEC, 0, resolve };
    long r = nsc_shim_force_legacy_mount ? -1 : syscall(SYS_openat2, dir, path, &how, sizeof how);
    if (r < 0 && (nsc_shim_force_legacy_mount || errno == ENOSYS)) {
        if (resolve == RESOLVE_IN_ROOT)
            return nsc_in_root_walk(dir, path, flags);
        if (resolve == 0)
            return (r = syscall(SYS_openat, dir, path, (int)flags | O_CLOEXEC)) < 0 ? -errno : (int)r;
        return -ENOSYS;
    }
    return r < 0 ? -errno : (int)r;
}

const char *nsc_shim_step_name(int kind)
{
    switch (kind) {
    case NSC_STEP_RESET_SIGNALS: return "reset signal dispositions";
    case NSC_STEP_PRCTL: return "prctl";
    case NSC_STEP_STDIO: return "set up stdio";
    case NSC_STEP_CLOSE_FDS: return "close inherited fds";
    case NSC_STEP_EXEC: return "execve";
    case NSC_STEP_SETNS: return "setns";
    case NSC_STEP_UNSHARE: return "unshare";
    case NSC_STEP_SYNC_READY: return "handshake (ready)";
    case NSC_STEP_SYNC_WAIT: return "handshake (wait for parent)";
    case NSC_STEP_SETHOSTNAME: return "sethostname";
    case NSC_STEP_SETDOMAINNAME: return "setdomainname";
    case NSC_STEP_LOOPBACK_UP: return "bring up lo";
    case NSC_STEP_MOUNT: return "mount";
    case NSC_STEP_CHDIR: return "chdir";
    case NSC_STEP_FCHDIR: return "fchdir";
    case NSC_STEP_OPENAT2: return "openat2";
    case NSC_STEP_OPEN_TREE: return "open_tree";
    case NSC_STEP_MOVE_MOUNT: return "move_mount";
    case NSC_STEP_MOUNT_SETATTR: return "mount_setattr";
    case NSC_STEP_FSOPEN: return "fsopen";
    case NSC_STEP_FSCONFIG: return "fsconfig";
    case NSC_STEP_FSMOUNT: return "fsmount";
    case NSC_STEP_CLOSE: return "close";
    case NSC_STEP_MKPATH: return "create a mount target";
    case NSC_STEP_MKNOD: return "mknod";
    case NSC_STEP_SYMLINK: return "symlink";
    case NSC_STEP_EXPECT_NODE: return "check a mount source";
    case NSC_STEP_MASK: return "mask a path";
    case NSC_STEP_READONLY: return "make a path read-only";
    case NSC_STEP_ENTER_ROOT: return "enter the root filesystem";
    case NSC_STEP_SETRESGID: return "setresgid";
    case NSC_STEP_SETRESUID: return "setresuid";
    case NSC_STEP_SETGROUPS: return "setgroups";
    case NSC_STEP_CAPSET: return "capset";
    case NSC_STEP_PRLIMIT: return "prlimit";
    case NSC_STEP_WRITE: return "write";
    case NSC_STEP_SECCOMP: return "seccomp";
    case NSC_STEP_SEND_FD: return "send an fd to the parent";
    case NSC_STEP_RECV_FD: return "receive an fd from the parent";
    case NSC_STEP_SETSID: return "setsid";
    case NSC_STEP_IOCTL: return "ioctl";
    case NSC_STEP_FCHOWN: return "fchown";
    case NSC_STEP_FILES: return "unshare the fd table";
    default: return "unknown step";
    }
}

int nsc_shim_thread_drop_to(uid_t uid, gid_t gid)
{
    if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, gid, gid, gid) != 0 ||
        syscall(SYS_setresuid, uid, uid, uid) != 0)
        return -errno;
    /* A credential change leaves the (process-wide) mm not dumpable, which would make the
     * /proc files of the process and of its CLONE_VM children root's: as it is for a process
     * that started unprivileged. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        return -errno;
    return 0;
}

/* ---- seccomp ------------------------------------------------------------------------------ */

_Static_assert(sizeof(struct nsc_seccomp_notif) == sizeof(struct seccomp_notif), "seccomp_notif layout");
_Static_assert(sizeof(struct nsc_seccomp_notif_resp) == sizeof(struct seccomp_notif_resp), "seccomp_notif_resp layout");

int nsc_shim_recv_fd(int sock)
{
    struct nsc_fd_message m;
    ssize_t n;
    nsc_fd_message_init(&m, -1);
    do
        n = recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return (int)nsc_fd_message_take(&m, n < 0 ? -errno : n);
}

int nsc_shim_send_fd(int sock, int fd)
{
    struct nsc_fd_message m;
    ssize_t n;
    nsc_fd_message_init(&m, fd);
    do
        n = sendmsg(sock, &m.msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : 0;
}

int nsc_shim_idmap_tree(const char *path, int recursive, int userns)
{
    unsigned int rec = recursive ? AT_RECURSIVE : 0;
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
    if (fd < 0)
        return -errno;
    struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)) < 0) {
        int e = errno;
        close(fd);
        return -(e + 10000);  /* mount_setattr's error, told apart from open_tree's */
    }
    return fd;
}

int nsc_shim_seccomp_notify_receive(int fd, struct nsc_seccomp_notif *n)
{
    memset(n, 0, sizeof(*n));
    return ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, n) < 0 ? -errno : 0;
}

int nsc_shim_seccomp_notify_respond(int fd, const struct nsc_seccomp_notif_resp *r)
{
    return ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, r) < 0 ? -errno : 0;
}

int nsc_shim_seccomp_notify_id_valid(int fd, uint64_t id)
{
    return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 ? -errno : 0;
}

int nsc_shim_eventfd_cloexec(void) { return eventfd(0, EFD_CLOEXEC); }

int nsc_shim_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int nsc_shim_epoll_add(int epfd, int fd, uint64_t token)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = token};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int nsc_shim_epoll_del(int epfd, int fd) { return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }

int nsc_shim_epoll_wait_tokens(int epfd, uint64_t *tokens, int max, int timeout_ms)
{
    struct epoll_event ev[64];
    int n = epoll_wait(epfd, ev, max < 64 ? max : 64, timeout_ms);
    for (int i = 0; i < n; i++)
        tokens[i] = ev[i].data.u64;
    return n;
}

int nsc_shim_prctl_set_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

long nsc_shim_getxattr(const char *path, const char *name, void *value, size_t size)
{
    return (long)getxattr(path, name, value, size);
}

int nsc_shim_pty_open(int dir, const char *path, unsigned long long resolve, unsigned short rows,
                      unsigned short cols, int *peer)
{
    int node = nsc_shim_openat2(dir, path, O_PATH, resolve);
    if (node < 0)
        return node;
    struct stat st;
    if (fstat(node, &st) != 0) {
        int e = errno;
        close(node);
        return -e;
    }
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2) {
        close(node);
        return -ENODEV;
    }
    char proc[32];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", node);
    int master = open(proc, O_RDWR | O_NOCTTY | O_CLOEXEC);
    int e = errno;
    close(node);
    if (master < 0)
        return -e;
    int unlock = 0;
    struct winsize ws = { rows, cols, 0, 0 };
    if (ioctl(master, TIOCSPTLCK, &unlock) != 0 || ((rows != 0 || cols != 0) && ioctl(master, TIOCSWINSZ, &ws) != 0)) {
        e = errno;
        close(master);
        return -e;
    }
    int p = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p < 0) {
        e = errno;
        close(master);
        return -e;
    }
    *peer = p;
    return master;
}

int nsc_shim_signalfd(const sigset_t *set) { return signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK); }

int nsc_shim_signalfd_read(int fd, int *signo, int *code)
{
    struct signalfd_siginfo si;
    ssize_t n;
    do
        n = read(fd, &si, sizeof si);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN ? 0 : -errno;
    if (n != (ssize_t)sizeof si)
        return -EIO;
    *signo = (int)si.ssi_signo;
    *code = si.ssi_code;
    return 1;
}

int nsc_shim_get_winsize(int fd, unsigned short *rows, unsigned short *cols)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
        return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int nsc_shim_set_winsize(int fd, unsigned short rows, unsigned short cols)
{
    struct winsize ws = { rows, cols, 0, 0 };
    return ioctl(fd, TIOCSWINSZ, &ws);
}
