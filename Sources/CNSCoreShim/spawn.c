/*
 * spawn.c - the parent side of a spawn: child stacks, the clone itself, the handshake lock, and
 * learning that the child exec'd. The child runs executor.c.
 *
 * The child is created with CLONE_VM: it shares the host's address space and runs on a stack
 * of its own (pooled here), so spawning costs the same from a 10 MiB host as from a 10 GiB one.
 * Signals are blocked in the parent thread around clone, so no host signal handler can ever
 * run on the child's stack.
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

#include "spawn_child.h"

/* kcmp(2)'s type for "same address space" (linux/kcmp.h). */
#define NSC_KCMP_VM 1

#ifndef SYS_clone3
#define SYS_clone3 435 /* Linux 5.3 */
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000 /* Linux 5.2 */
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL /* Linux 5.7 */
#endif

/* struct nsc_clone_args and nsc_clone3_vm (clone3 onto a new stack). */
#define NSC_RAW_WANT_CLONE3
#include "raw_syscall.h"
_Static_assert(sizeof(struct nsc_clone_args) == 88, "clone_args VER2 is 88 bytes (Linux 5.7)");

volatile int nsc_shim_force_clone_fallback = 0;

/* The block at the top of a child stack mapping. */
static struct nsc_child_block *nsc_block_of(void *stack, size_t size)
{
    return (struct nsc_child_block *)(((uintptr_t)stack + size - sizeof(struct nsc_child_block)) & ~(uintptr_t)63);
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
volatile int nsc_shim_force_chroot_fallback = 0;
void nsc_shim_set_force_chroot_fallback(int on) { nsc_shim_force_chroot_fallback = on; }
void nsc_shim_set_force_legacy_mount(int on) { nsc_shim_force_legacy_mount = on; }

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
    block->go_locked = 0;
    uint64_t flags = CLONE_VM | CLONE_PIDFD | plan->clone_flags;
    if (plan->share_files) {
        block->status = &block->status_storage;
        block->status->alive = 1;
        block->status->failed = 0;
        block->status->execing = 0;
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
    /* execve wakes us from exec_mm_release(), just before the child switches to its new
     * address space: for a few instructions it still runs on ours, and its /proc files
     * (cmdline, exe, maps) are ours. Wait until it no longer shares our mm (kcmp(KCMP_VM): 0
     * means the same mm), so that whoever reads them after the spawn sees the command. One
     * system call when the switch is done; an error (no kcmp, the child gone) ends the wait. */
    if (__atomic_load_n(&st->execing, __ATOMIC_ACQUIRE) && !__atomic_load_n(&st->failed, __ATOMIC_ACQUIRE)) {
        pid_t self = getpid();
        for (int i = 0; i < 100000 && syscall(SYS_kcmp, self, (pid_t)result->pid, NSC_KCMP_VM, 0, 0) == 0; i++)
            sched_yield();
    }
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
