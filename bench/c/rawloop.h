/*
 * rawloop.h - the hand-written baselines NSCore is measured against.
 *
 * No libnscore here: only clone3, execve and waitpid, doing the same work a default NSCore
 * spawn does for the same namespace set, the way a careful C programmer would write it:
 *   - fork-style clone3 (no CLONE_VM: the kernel copies the page tables) with the CLONE_NEW*
 *     flags of the set (CLONE_NEWTIME included: a fork-style clone3 accepts it);
 *   - with a user namespace: the child blocks on a pipe until the parent has written
 *     uid_map/gid_map ("0 <euid> 1", setgroups "deny" when not root), as NSCore does;
 *   - with a mount namespace: make / recursively private; with pid + mount: mount a fresh /proc;
 *     with a network namespace: bring lo up (NSCore's defaults);
 *   - execve, then waitpid in the parent.
 * Namespace sets use the NSCORE_NS_* bit values (the library is not linked).
 *
 * Also used, through ctypes, by the Python benchmarks and, as a C target, by the Swift one,
 * so that every host measures its baseline in the same process as its subject.
 */
#ifndef NSBENCH_RAWLOOP_H
#define NSBENCH_RAWLOOP_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAW_NS_UTS (1u << 0)
#define RAW_NS_IPC (1u << 1)
#define RAW_NS_PID (1u << 2)
#define RAW_NS_NET (1u << 3)
#define RAW_NS_MNT (1u << 4)
#define RAW_NS_USER (1u << 5)
#define RAW_NS_CGROUP (1u << 6)
#define RAW_NS_TIME (1u << 7)

/** When non-zero, children get PR_SET_PDEATHSIG with this signal (as NSCore's kill_on_parent_death). */
extern int raw_pdeathsig;

/** When non-zero, raw_spawn_start returns only once the child has exec'd (EOF on an O_CLOEXEC
 *  pipe, as posix_spawn and NSCore do); for long-running commands, whose exec a plain clone
 *  would not wait for. */
extern int raw_wait_exec;

/** PR_SET_PDEATHSIG(SIGKILL) for the calling thread's process: a benchmark program dies with
 *  its parent (run.sh's timeout), so nothing outlives a killed run. */
void raw_die_with_parent(void);

/** Monotonic clock in nanoseconds. */
int64_t raw_now_ns(void);

/** clone3 (fork-style) + setup + execve(path) in the namespaces `ns`; does not wait.
 *  Returns the pid, or -errno. The child runs `path` with argv {path, NULL} unless argv is given. */
pid_t raw_spawn_start(uint32_t ns, const char *path, char *const argv[]);

/** The parent's work while the child waits at its pipe (after the id maps): 0, or -errno to
 *  fail the spawn (the child is then killed and reaped). */
typedef int (*raw_parent_hook)(pid_t pid, void *arg);

/** raw_spawn_start with a parent hook: the child waits on a pipe until hook(pid, arg) returned
 *  (as for the id maps of a user namespace). */
pid_t raw_spawn_start_hook(uint32_t ns, const char *path, char *const argv[], raw_parent_hook hook, void *arg);

/** raw_spawn_start + waitpid. Returns the wait status, or -errno. */
int raw_spawn_wait(uint32_t ns, const char *path);

/** n times raw_spawn_wait(ns, path); returns the elapsed nanoseconds, or -errno on the first
 *  failure (a non-zero exit status is -EPROTO). */
int64_t raw_spawn_batch(uint32_t ns, const char *path, int n);

/** A prepared join of the namespaces of `target` (those that differ from the caller's). */
typedef struct raw_join {
    int pidfd;          /* pidfd of the target: setns(pidfd, flags) in the child */
    int pidns_fd;       /* the target's PID namespace, for pid_for_children (-1: same as ours) */
    int self_pidns_fd;  /* our own, to restore pid_for_children */
    uint32_t flags;     /* CLONE_NEW* for the kinds other than PID */
} raw_join;

/** Opens the target's namespaces; returns 0 or -errno. */
int raw_join_open(raw_join *j, pid_t target);
void raw_join_close(raw_join *j);
/** One join: point pid_for_children at the target, clone (fork-style), restore; the child
 *  setns(pidfd, flags) and execs path. Waits. Returns the wait status or -errno. */
int raw_join_wait(const raw_join *j, const char *path);
/** n joins; elapsed nanoseconds or -errno. */
int64_t raw_join_batch(const raw_join *j, const char *path, int n);

/** Touches `bytes` of fresh anonymous memory in 4 KiB pages (MADV_NOHUGEPAGE, as a real heap)
 *  and returns it; raw_big_free releases it. NULL on failure. */
void *raw_big_alloc(size_t bytes);
void raw_big_free(void *p, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
