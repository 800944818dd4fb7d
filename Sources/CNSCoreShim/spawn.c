/*
 * spawn.c - the only code that runs between clone() and execve().
 *
 * The child is created with CLONE_VM: it shares the host's address space and runs on a stack
 * of its own, so spawning costs the same from a 10 MiB host as from a 10 GiB one (no page
 * tables are copied). The price is that the child must never touch memory the host might use:
 * it runs no Swift, calls no malloc, no stdio, no glibc function that sets errno or takes a
 * lock (the host thread's TLS, and so its errno, is shared). Every system call below goes
 * through nsc_raw(), which returns -errno in a register and touches nothing else. The plan
 * it reads is immutable until the child has exec'd (the CLONE_CHILD_CLEARTID word is cleared, or
 * EOF on the error pipe for nscore-init) or the parent has reaped it.
 *
 * Signals are blocked in the parent thread around clone, so no host signal handler can ever
 * run on the child's stack; the child resets every disposition to SIG_DFL before unblocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <unistd.h>

#include "nsc_shim.h"

#ifndef SYS_clone3
#define SYS_clone3 435 /* Linux 5.3 */
#endif
#ifndef SYS_close_range
#define SYS_close_range 436 /* Linux 5.9 */
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000 /* Linux 5.2 */
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL /* Linux 5.7 */
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1) /* Linux 5.9 */
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2) /* Linux 5.11 */
#endif
#ifndef SYS_execveat
#define SYS_execveat 322 /* Linux 3.19, x86_64 number; other arches define it */
#endif

/* Raw system calls (no errno, no TLS, no locks): nsc_raw and nsc_sys0..5; struct
 * nsc_clone_args and nsc_clone3_vm (clone3 onto a new stack). */
#include "raw_syscall.h"
_Static_assert(sizeof(struct nsc_clone_args) == 88, "clone_args VER2 is 88 bytes (Linux 5.7)");

/* Tests set this to take the paths of kernels without clone3 and close_range (both sides read it). */
static volatile int nsc_shim_force_clone_fallback = 0;

/* ---- the child ------------------------------------------------------------------------- */

/* What the child is handed: it lives at the top of the child's stack mapping. */
struct nsc_child_block {
    const struct nsc_plan *plan;
    struct nsc_child_status *status; /* share_files: where failures go; else NULL */
    int32_t unshare_from;            /* share_files: the lowest fd the child does not need */
    int32_t go_locked;               /* parent side: the spawning thread holds go_lock */
    /* share_files handshake: a robust mutex the spawning thread holds from before clone until
     * "go". The child waits on its futex word: 0 is "go"; FUTEX_OWNER_DIED (set by the kernel
     * when the holder exits, whatever way) is "the parent is gone". */
    pthread_mutex_t go_lock;
    struct nsc_child_status status_storage;
};

/* The block at the top of a child stack mapping. */
static struct nsc_child_block *nsc_block_of(void *stack, size_t size)
{
    return (struct nsc_child_block *)(((uintptr_t)stack + size - sizeof(struct nsc_child_block)) & ~(uintptr_t)63);
}

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

static long nsc_run_step(const struct nsc_child_block *blk, const struct nsc_step *s)
{
    const struct nsc_plan *p = blk->plan;
    char byte = 'r';
    long r;
    switch (s->kind) {
    case NSC_STEP_SETNS:
        return nsc_sys2(SYS_setns, s->fd, s->flags);
    case NSC_STEP_UNSHARE:
        return nsc_sys1(SYS_unshare, s->flags);
    case NSC_STEP_SYNC_READY:
        do
            r = nsc_sys3(SYS_write, p->sync_fd, &byte, 1);
        while (r == -EINTR);
        return r < 0 ? r : 0;
    case NSC_STEP_SYNC_WAIT:
        if (blk->status != NULL)
            return nsc_wait_go(blk);
        do
            r = nsc_sys3(SYS_read, p->sync_fd, &byte, 1);
        while (r == -EINTR);
        /* EOF means the parent gave up (or died) before saying "go". */
        return r == 1 ? 0 : (r < 0 ? r : -ECONNABORTED);
    case NSC_STEP_SETHOSTNAME:
        return nsc_sys2(SYS_sethostname, s->a, s->len);
    case NSC_STEP_SETDOMAINNAME:
        return nsc_sys2(SYS_setdomainname, s->a, s->len);
    case NSC_STEP_MOUNT:
        return nsc_sys5(SYS_mount, s->a, s->b, s->c, s->flags, s->d);
    case NSC_STEP_UMOUNT:
        return nsc_sys2(SYS_umount2, s->b, s->flags);
    case NSC_STEP_LOOPBACK_UP:
        return nsc_loopback_up();
    case NSC_STEP_CHDIR:
        return nsc_sys1(SYS_chdir, s->a);
    case NSC_STEP_SETRESGID:
        return nsc_sys3(SYS_setresgid, s->flags, s->flags, s->flags);
    case NSC_STEP_SETRESUID:
        return nsc_sys3(SYS_setresuid, s->flags, s->flags, s->flags);
    case NSC_STEP_SETGROUPS:
        return nsc_sys2(SYS_setgroups, s->len, s->d);
    case NSC_STEP_PRCTL:
        return nsc_sys5(SYS_prctl, s->fd, s->flags, 0, 0, 0);
    default:
        return -EINVAL;
    }
}

static int nsc_child_main(void *arg)
{
    const struct nsc_child_block *b = arg;
    const struct nsc_plan *p = b->plan;
    long r;

    /* 0. With share_files the fd table is still the host's: before anything else, take a copy
     *    of only the fds below unshare_from (the host's stdio and the few the plan names), so
     *    neither the kernel nor exec walks the thousands a big host may hold. A join's leading
     *    setns steps run first, through the shared table, so that the copy need not reach the
     *    fds the parent opened for this call. setns only reads its fd, and every signal is
     *    still blocked. */
    uint32_t first = 0;
    if (b->status != NULL) {
        for (; first < p->nsteps && p->steps[first].kind == NSC_STEP_SETNS; first++)
            if ((r = nsc_run_step(b, &p->steps[first])) < 0)
                nsc_fail(b, (int32_t)first, NSC_STEP_SETNS, r);
        r = nsc_shim_force_clone_fallback ? -ENOSYS : nsc_sys3(SYS_close_range, b->unshare_from, ~0U, CLOSE_RANGE_UNSHARE);
        if (r == -ENOSYS || r == -EINVAL || r == -EPERM)
            r = nsc_sys1(SYS_unshare, CLONE_FILES); /* before Linux 5.9, or a seccomp filter: a full copy */
        if (r < 0)
            nsc_fail(b, -1, NSC_STEP_FILES, r);
    }
    /* The parent's end of the handshake: without it, the parent's death is EOF here. */
    if (p->sync_peer_fd >= 0)
        (void)nsc_sys1(SYS_close, p->sync_peer_fd);

    /* 1. Default dispositions for every signal: the host's handlers are host code and must
     *    never run here, and the command must start with a clean signal state. A zeroed
     *    kernel sigaction is SIG_DFL with no flags and an empty mask on every architecture. */
    unsigned long act[4] = { 0, 0, 0, 0 };
    for (int sig = 1; sig < 65; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        r = nsc_sys4(SYS_rt_sigaction, sig, act, 0, 8);
        if (r < 0 && r != -EINVAL)
            nsc_fail(b, -1, NSC_STEP_SIGNALS, r);
    }
    /* 2. Parent-death signal, before anything that might block on the parent. */
    if (p->pdeathsig > 0 && (r = nsc_sys5(SYS_prctl, PR_SET_PDEATHSIG, p->pdeathsig, 0, 0, 0)) < 0)
        nsc_fail(b, -1, NSC_STEP_PDEATHSIG, r);

    /* 3. The plan, in the order the parent chose (handshake, setns, hostname, mounts, ids). */
    for (uint32_t i = first; i < p->nsteps; i++) {
        r = nsc_run_step(b, &p->steps[i]);
        if (r < 0)
            nsc_fail(b, (int32_t)i, p->steps[i].kind, r);
    }

    /* 4. stdio: first copy every source above 2 so that one source cannot be overwritten by
     *    another's dup3 (a caller may pass its stdout as our stderr), then place them. */
    long tmp[3] = { -1, -1, -1 };
    long null_fd = -1;
    for (int i = 0; i < 3; i++) {
        if (p->stdio[i] == NSC_STDIO_NULL) {
            /* Opened here, so the parent passes no fd; kept above 2 like the other sources. */
            if (null_fd < 0) {
                null_fd = nsc_sys4(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC, 0);
                if (null_fd >= 0 && null_fd < 3)
                    null_fd = nsc_sys3(SYS_fcntl, null_fd, F_DUPFD_CLOEXEC, 3);
                if (null_fd < 0)
                    nsc_fail(b, -1, NSC_STEP_STDIO, null_fd);
            }
            tmp[i] = null_fd;
            continue;
        }
        if (p->stdio[i] < 0)
            continue;
        tmp[i] = nsc_sys3(SYS_fcntl, p->stdio[i], F_DUPFD_CLOEXEC, 3);
        if (tmp[i] < 0)
            nsc_fail(b, -1, NSC_STEP_STDIO, tmp[i]);
    }
    for (int i = 0; i < 3; i++) {
        if (tmp[i] < 0)
            continue;
        if ((r = nsc_sys3(SYS_dup3, tmp[i], i, 0)) < 0)
            nsc_fail(b, -1, NSC_STEP_STDIO, r);
    }

    /* 5. Only stdio and keep_fds cross exec: everything else the host had open becomes
     *    close-on-exec (our own pipes already are). */
    r = nsc_shim_force_clone_fallback ? -ENOSYS : nsc_sys3(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (r == -ENOSYS || r == -EINVAL)
        r = nsc_cloexec_walk();
    if (r < 0)
        nsc_fail(b, -1, NSC_STEP_CLOSE_FDS, r);
    for (uint32_t i = 0; i < p->nkeep; i++)
        if ((r = nsc_sys3(SYS_fcntl, p->keep_fds[i], F_SETFD, 0)) < 0)
            nsc_fail(b, -1, NSC_STEP_CLOSE_FDS, r);

    /* 6. Empty signal mask, then exec. */
    if (b->status != NULL)
        __atomic_store_n(&b->status->execing, 1, __ATOMIC_RELEASE);
    uint64_t empty = 0;
    (void)nsc_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8);
    if (p->exec_fd >= 0)
        r = nsc_sys5(SYS_execveat, p->exec_fd, "", p->argv, p->envp, AT_EMPTY_PATH);
    else
        r = nsc_sys3(SYS_execve, p->path, p->argv, p->envp);
    /* Block again so that nothing interrupts the report. */
    uint64_t full = ~(uint64_t)0;
    (void)nsc_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &full, 0, 8);
    nsc_fail(b, -1, NSC_STEP_EXEC, r);
}

/* ---- the parent side ----------------------------------------------------------------------- */

/* 64 KiB is far more than the executor needs (its deepest frame holds a 2 KiB dirent buffer);
 * one guard page below it turns an overflow into a fault instead of silent corruption. */
#define NSC_STACK_SIZE (64 * 1024)
#define NSC_GUARD_SIZE 4096

/* Released child stacks are kept for the next spawn: mapping, guarding and faulting in a fresh
 * 64 KiB each time costs three system calls, a few page faults and, at munmap, a TLB
 * shootdown to the CPU the child ran on. The pool is taken with trylock only, so a spawn never
 * waits for another thread (nor deadlocks in a child forked while the lock was held): it maps
 * a new stack instead. */
#define NSC_STACK_POOL 8
static pthread_mutex_t nsc_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void *nsc_pool[NSC_STACK_POOL];
static int nsc_pool_count;

static void *nsc_stack_get(size_t size)
{
    void *stack = NULL;
    if (pthread_mutex_trylock(&nsc_pool_lock) == 0) {
        if (nsc_pool_count > 0)
            stack = nsc_pool[--nsc_pool_count];
        pthread_mutex_unlock(&nsc_pool_lock);
    }
    if (stack != NULL)
        return stack;
    stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return NULL;
    (void)mprotect(stack, NSC_GUARD_SIZE, PROT_NONE);
    return stack;
}

static void nsc_stack_put(void *stack, size_t size)
{
    if (pthread_mutex_trylock(&nsc_pool_lock) == 0) {
        if (nsc_pool_count < NSC_STACK_POOL) {
            nsc_pool[nsc_pool_count++] = stack;
            stack = NULL;
        }
        pthread_mutex_unlock(&nsc_pool_lock);
    }
    if (stack != NULL)
        munmap(stack, size);
}


void nsc_shim_set_force_clone_fallback(int on) { nsc_shim_force_clone_fallback = on; }

/* The lowest fd a share_files child can do without: one above every fd the plan names. */
static int32_t nsc_unshare_from(const struct nsc_plan *p)
{
    int32_t from = 3;
#define NSC_NEED(fd) do { if ((fd) >= from) from = (fd) + 1; } while (0)
    for (int i = 0; i < 3; i++)
        NSC_NEED(p->stdio[i]);
    NSC_NEED(p->exec_fd);
    NSC_NEED(p->err_fd);
    NSC_NEED(p->sync_fd);
    NSC_NEED(p->sync_peer_fd);
    for (uint32_t i = 0; i < p->nkeep; i++)
        NSC_NEED(p->keep_fds[i]);
    uint32_t i = 0;
    while (i < p->nsteps && p->steps[i].kind == NSC_STEP_SETNS)
        i++; /* the leading setns steps run before the unshare (nsc_child_main) */
    for (; i < p->nsteps; i++)
        if (p->steps[i].kind == NSC_STEP_SETNS)
            NSC_NEED(p->steps[i].fd);
#undef NSC_NEED
    return from;
}

int nsc_shim_spawn_start(const struct nsc_plan *plan, struct nsc_spawn_result *out)
{
    out->pid = -1;
    out->pidfd = -1;
    out->stack = NULL;
    out->stack_size = 0;
    out->status = NULL;

    size_t size = NSC_STACK_SIZE + NSC_GUARD_SIZE;
    void *stack = nsc_stack_get(size);
    if (stack == NULL)
        return -errno;

    /* The child's block sits at the top of the mapping; its stack starts below it. */
    struct nsc_child_block *block = nsc_block_of(stack, size);
    block->plan = plan;
    block->status = NULL;
    block->unshare_from = 0;
    block->go_locked = 0;
    uint64_t flags = CLONE_VM | CLONE_PIDFD | plan->clone_flags;
    if (plan->share_files) {
        block->status = &block->status_storage;
        block->status->alive = 1;
        block->status->failed = 0;
        block->status->execing = 0;
        block->unshare_from = nsc_unshare_from(plan);
        flags |= CLONE_FILES | CLONE_CHILD_CLEARTID;
        for (uint32_t i = 0; i < plan->nsteps; i++) {
            if (plan->steps[i].kind != NSC_STEP_SYNC_WAIT)
                continue;
            pthread_mutexattr_t attr;
            pthread_mutexattr_init(&attr);
            pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
            pthread_mutex_init(&block->go_lock, &attr);
            pthread_mutexattr_destroy(&attr);
            pthread_mutex_lock(&block->go_lock);
            block->go_locked = 1;
            break;
        }
    }
    char *stack_top = (char *)block;

    /* Block every signal (the raw call also blocks glibc's internal ones) so the child starts
     * with all of them blocked and no host handler can run on its stack. */
    uint64_t all = ~(uint64_t)0, old = 0;
    (void)syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, 8);

    int pidfd = -1;
    struct nsc_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = flags;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    if (block->status != NULL)
        args.child_tid = (uint64_t)(uintptr_t)&block->status->alive;
    args.exit_signal = SIGCHLD;
    args.stack = (uint64_t)(uintptr_t)((char *)stack + NSC_GUARD_SIZE);
    args.stack_size = (uint64_t)(stack_top - ((char *)stack + NSC_GUARD_SIZE));
    if (plan->cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)plan->cgroup_fd;
    }
    long pid = nsc_shim_force_clone_fallback ? -ENOSYS : nsc_clone3_vm(&args, sizeof args, nsc_child_main, block);
    if (pid == -ENOSYS && plan->cgroup_fd < 0) {
        /* Kernels before 5.3: clone() with the glibc wrapper, which also switches stacks. */
        pid = clone(nsc_child_main, stack_top, (int)(flags | SIGCHLD), block, &pidfd, NULL,
                    block->status != NULL ? (void *)&block->status->alive : NULL);
        if (pid < 0)
            pid = -errno;
    }
    int saved = (int)-pid;
    (void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);

    if (pid < 0) {
        if (block->go_locked) {
            pthread_mutex_unlock(&block->go_lock);
            block->go_locked = 0;
        }
        nsc_stack_put(stack, size);
        return -saved;
    }
    out->pid = (int32_t)pid;
    out->pidfd = pidfd;
    out->stack = stack;
    out->stack_size = size;
    out->status = block->status;
    return 0;
}

void nsc_shim_spawn_wait_released(const struct nsc_spawn_result *result)
{
    struct nsc_child_status *st = result->status;
    int32_t v;
    if (st == NULL)
        return;
    /* FUTEX_WAIT without FUTEX_PRIVATE_FLAG: the kernel's CLONE_CHILD_CLEARTID wake is a
     * shared-key wake. */
    while ((v = __atomic_load_n(&st->alive, __ATOMIC_ACQUIRE)) != 0)
        (void)syscall(SYS_futex, &st->alive, FUTEX_WAIT, v, NULL, NULL, 0);
}

void nsc_shim_exit_thread_now(void)
{
    for (;;)
        (void)syscall(SYS_exit, 0);
}

void nsc_shim_spawn_go(struct nsc_spawn_result *result)
{
    if (result->stack == NULL)
        return;
    struct nsc_child_block *block = nsc_block_of(result->stack, result->stack_size);
    if (block->go_locked) {
        block->go_locked = 0;
        pthread_mutex_unlock(&block->go_lock);
    }
}

void nsc_shim_spawn_release(struct nsc_spawn_result *result)
{
    nsc_shim_spawn_go(result); /* a robust mutex must not stay locked in memory we reuse */
    if (result->stack != NULL)
        nsc_stack_put(result->stack, result->stack_size);
    result->stack = NULL;
    result->stack_size = 0;
    result->status = NULL;
}
