/* rawloop.c - the hand-written clone3/setns baselines (see rawloop.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rawloop.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

extern char **environ;

int raw_pdeathsig = 0;
int raw_wait_exec = 0;

void raw_die_with_parent(void)
{
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
}

int64_t raw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t clone_flags(uint32_t ns)
{
    uint64_t f = 0;
    if (ns & RAW_NS_UTS) f |= CLONE_NEWUTS;
    if (ns & RAW_NS_IPC) f |= CLONE_NEWIPC;
    if (ns & RAW_NS_PID) f |= CLONE_NEWPID;
    if (ns & RAW_NS_NET) f |= CLONE_NEWNET;
    if (ns & RAW_NS_MNT) f |= CLONE_NEWNS;
    if (ns & RAW_NS_USER) f |= CLONE_NEWUSER;
    if (ns & RAW_NS_CGROUP) f |= CLONE_NEWCGROUP;
    if (ns & RAW_NS_TIME) f |= CLONE_NEWTIME;
    return f;
}

/* Fork-style clone3: the child returns 0 on a copy of this stack. */
static pid_t clone3_fork(uint64_t flags)
{
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    return (pid_t)syscall(SYS_clone3, &args, sizeof args);
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

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -(n < 0 ? e : EIO);
}

/* The child between clone and exec: only system calls. Exit codes 120+ name the failed step. */
static __attribute__((noreturn)) void child(uint32_t ns, int sync_fd, const char *path, char *const argv[])
{
    if (raw_pdeathsig && prctl(PR_SET_PDEATHSIG, raw_pdeathsig) < 0)
        _exit(119);
    if (sync_fd >= 0) {
        char b;
        if (read(sync_fd, &b, 1) != 1)
            _exit(120);
    }
    if ((ns & RAW_NS_MNT) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit(121);
    if ((ns & RAW_NS_MNT) && (ns & RAW_NS_PID) &&
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        _exit(122);
    if ((ns & RAW_NS_NET) && lo_up() < 0)
        _exit(123);
    char *const def[] = { (char *)path, NULL };
    execve(path, argv ? argv : def, environ);
    _exit(127);
}

pid_t raw_spawn_start(uint32_t ns, const char *path, char *const argv[])
{
    return raw_spawn_start_hook(ns, path, argv, NULL, NULL);
}

pid_t raw_spawn_start_hook(uint32_t ns, const char *path, char *const argv[], raw_parent_hook hook, void *arg)
{
    int sync[2] = { -1, -1 }, execp[2] = { -1, -1 };
    if (((ns & RAW_NS_USER) || hook) && pipe2(sync, O_CLOEXEC) < 0)
        return -errno;
    if (raw_wait_exec && pipe2(execp, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = clone3_fork(clone_flags(ns));
    if (pid == 0) {
        if (sync[1] >= 0)
            close(sync[1]);
        if (execp[0] >= 0)
            close(execp[0]);
        child(ns, sync[0], path, argv);
    }
    int e = errno;
    if (sync[0] >= 0)
        close(sync[0]);
    if (execp[1] >= 0)
        close(execp[1]);
    if (pid < 0) {
        if (sync[1] >= 0)
            close(sync[1]);
        if (execp[0] >= 0)
            close(execp[0]);
        return -e;
    }
    if (sync[1] >= 0) {
        int r = 0;
        if (ns & RAW_NS_USER) {
            char file[64], map[64];
            if (geteuid() != 0) {
                snprintf(file, sizeof file, "/proc/%d/setgroups", (int)pid);
                r = write_file(file, "deny");
            }
            snprintf(file, sizeof file, "/proc/%d/uid_map", (int)pid);
            snprintf(map, sizeof map, "0 %u 1\n", (unsigned)geteuid());
            if (r == 0)
                r = write_file(file, map);
            snprintf(file, sizeof file, "/proc/%d/gid_map", (int)pid);
            snprintf(map, sizeof map, "0 %u 1\n", (unsigned)getegid());
            if (r == 0)
                r = write_file(file, map);
        }
        if (r == 0 && hook)
            r = hook(pid, arg);
        if (r == 0 && write(sync[1], "g", 1) != 1)
            r = -errno;
        close(sync[1]);
        if (r < 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            if (execp[0] >= 0)
                close(execp[0]);
            return r;
        }
    }
    if (execp[0] >= 0) {
        char b;
        while (read(execp[0], &b, 1) < 0 && errno == EINTR) {
        }
        close(execp[0]);
    }
    return pid;
}

int raw_spawn_wait(uint32_t ns, const char *path)
{
    pid_t pid = raw_spawn_start(ns, path, NULL);
    if (pid < 0)
        return pid;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return status;
}

int64_t raw_spawn_batch(uint32_t ns, const char *path, int n)
{
    int64_t t0 = raw_now_ns();
    for (int i = 0; i < n; i++) {
        int st = raw_spawn_wait(ns, path);
        if (st < 0)
            return st;
        if (st != 0)
            return -EPROTO;
    }
    return raw_now_ns() - t0;
}

/* ---- join ---------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    uint32_t flag;
} kinds[] = {
    { "uts", CLONE_NEWUTS }, { "ipc", CLONE_NEWIPC }, { "net", CLONE_NEWNET },
    { "mnt", CLONE_NEWNS }, { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

static int same_ns(pid_t target, const char *name)
{
    char a[64], b[64];
    struct stat sa, sb;
    snprintf(a, sizeof a, "/proc/%d/ns/%s", (int)target, name);
    snprintf(b, sizeof b, "/proc/self/ns/%s", name);
    if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return -1;
    return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

int raw_join_open(raw_join *j, pid_t target)
{
    j->pidfd = j->pidns_fd = j->self_pidns_fd = -1;
    j->flags = 0;
    j->pidfd = (int)syscall(SYS_pidfd_open, target, 0);
    if (j->pidfd < 0)
        return -errno;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        int s = same_ns(target, kinds[i].name);
        if (s < 0) {
            raw_join_close(j);
            return -ESRCH;
        }
        if (!s)
            j->flags |= kinds[i].flag;
    }
    if (same_ns(target, "pid") == 0) {
        char p[64];
        snprintf(p, sizeof p, "/proc/%d/ns/pid", (int)target);
        j->pidns_fd = open(p, O_RDONLY | O_CLOEXEC);
        j->self_pidns_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (j->pidns_fd < 0 || j->self_pidns_fd < 0) {
            int e = errno;
            raw_join_close(j);
            return -e;
        }
    }
    return 0;
}

void raw_join_close(raw_join *j)
{
    if (j->pidfd >= 0) close(j->pidfd);
    if (j->pidns_fd >= 0) close(j->pidns_fd);
    if (j->self_pidns_fd >= 0) close(j->self_pidns_fd);
    j->pidfd = j->pidns_fd = j->self_pidns_fd = -1;
}

int raw_join_wait(const raw_join *j, const char *path)
{
    if (j->pidns_fd >= 0 && setns(j->pidns_fd, CLONE_NEWPID) < 0)
        return -errno;
    pid_t pid = clone3_fork(0);
    if (pid == 0) {
        if (j->flags && setns(j->pidfd, (int)j->flags) < 0)
            _exit(124);
        char *const argv[] = { (char *)path, NULL };
        execve(path, argv, environ);
        _exit(127);
    }
    int e = errno;
    if (j->self_pidns_fd >= 0 && setns(j->self_pidns_fd, CLONE_NEWPID) < 0)
        return -errno;
    if (pid < 0)
        return -e;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return status;
}

int64_t raw_join_batch(const raw_join *j, const char *path, int n)
{
    int64_t t0 = raw_now_ns();
    for (int i = 0; i < n; i++) {
        int st = raw_join_wait(j, path);
        if (st < 0)
            return st;
        if (st != 0)
            return -EPROTO;
    }
    return raw_now_ns() - t0;
}

/* ---- a big host ------------------------------------------------------------------------------ */

void *raw_big_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, bytes, MADV_NOHUGEPAGE);
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
    /* Fault every page in (one call; falls back to a write per page before Linux 5.14). */
    if (madvise(p, bytes, MADV_POPULATE_WRITE) < 0)
        for (size_t off = 0; off < bytes; off += 4096)
            ((volatile char *)p)[off] = 1;
    return p;
}

void raw_big_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}
