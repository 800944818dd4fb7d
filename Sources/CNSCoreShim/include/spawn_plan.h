/*
 * spawn_plan.h - the plan that Swift compiles and the child-side executor (spawn.c) runs.
 *
 * Plain data only. Every pointer points into memory the Swift side allocated before clone and
 * keeps alive, unchanged, until the child has exec'd or been reaped. Every string is
 * NUL-terminated, every fd already open. The executor makes no decision of its own beyond the
 * fixed frame (reset signals first, stdio and fd closing and exec last).
 */
#ifndef NSC_SPAWN_PLAN_H
#define NSC_SPAWN_PLAN_H

#include <stddef.h>
#include <stdint.h>

/* Step kinds. The numbering is internal (not ABI); Swift mirrors it through these names. */
enum nsc_step_kind {
    NSC_STEP_SETNS = 1,          /* setns(fd, flags)                                         */
    NSC_STEP_UNSHARE = 2,        /* unshare(flags)                                           */
    NSC_STEP_SYNC_READY = 3,     /* write one byte on sync_fd: "the parent may act now"      */
    NSC_STEP_SYNC_WAIT = 4,      /* wait for "go": a byte on sync_fd (EOF fails), or with
                                    share_files the parent's lock (its death fails) */
    NSC_STEP_SETHOSTNAME = 5,    /* sethostname(a, len)                                      */
    NSC_STEP_SETDOMAINNAME = 6,  /* setdomainname(a, len)                                    */
    NSC_STEP_MOUNT = 7,          /* mount(a, b, c, flags, d)                                 */
    NSC_STEP_UMOUNT = 8,         /* umount2(b, flags)                                        */
    NSC_STEP_LOOPBACK_UP = 9,    /* set IFF_UP on "lo" through SIOCSIFFLAGS                  */
    NSC_STEP_CHDIR = 10,         /* chdir(a)                                                 */
    NSC_STEP_SETRESGID = 11,     /* setresgid(flags, flags, flags), raw syscall              */
    NSC_STEP_SETRESUID = 12,     /* setresuid(flags, flags, flags), raw syscall              */
    NSC_STEP_SETGROUPS = 13,     /* setgroups(len, d), raw syscall                           */
    NSC_STEP_PRCTL = 14,         /* prctl(fd, flags, 0, 0, 0)                                */
    /* Fixed frame stages, reported with step index -1. */
    NSC_STEP_SIGNALS = 100,      /* resetting dispositions                                   */
    NSC_STEP_PDEATHSIG = 101,    /* prctl(PR_SET_PDEATHSIG)                                  */
    NSC_STEP_STDIO = 102,        /* dup3 of the stdio sources onto 0, 1, 2                   */
    NSC_STEP_CLOSE_FDS = 103,    /* marking every other fd close-on-exec                     */
    NSC_STEP_EXEC = 104,         /* execve / execveat                                        */
    /* 105-107 are nscore-init's (fork, command line, chdir). */
    NSC_STEP_FILES = 108,        /* unsharing the fd table (share_files)                     */
};

/* stdio[i] value: the child opens /dev/null itself (no fd of the parent is needed). */
#define NSC_STDIO_NULL (-2)

/* What the child writes (to err_fd, or into nsc_child_status) before _exit(127). */
struct nsc_error_record {
    int32_t step;   /* index into steps, or -1 for a fixed-frame stage */
    int32_t kind;   /* enum nsc_step_kind */
    int32_t err;    /* errno */
};

/* Where a child cloned with share_files reports. It lives in the child's stack mapping, which
 * the parent unmaps only after the child exec'd or was reaped. */
struct nsc_child_status {
    /* CLONE_CHILD_CLEARTID word: non-zero until the child's memory is released, that is when
     * it execs (after the point of no return) or exits; the kernel then writes 0 and wakes. */
    volatile int32_t alive;
    /* 1 once `record` holds the child's failure (written before it exits). */
    volatile int32_t failed;
    /* 1 once the child calls execve: released with neither flag set means it died before. */
    volatile int32_t execing;
    struct nsc_error_record record;
};

struct nsc_step {
    int32_t kind;
    int32_t fd;
    uint64_t flags;
    const char *a;
    const char *b;
    const char *c;
    const void *d;
    uint64_t len;
};

struct nsc_plan {
    const struct nsc_step *steps;
    uint32_t nsteps;
    int32_t err_fd;        /* write end of the CLOEXEC error pipe, or -1 with share_files  */
    int32_t sync_fd;       /* child's end of the CLOEXEC sync socketpair, or -1            */
    int32_t stdio[3];      /* fd to place on 0, 1, 2; -1 leaves the inherited one           */
    int32_t exec_fd;       /* >= 0: execveat(exec_fd, "", AT_EMPTY_PATH) instead of path   */
    int32_t pdeathsig;     /* signal for PR_SET_PDEATHSIG, 0 for none                      */
    int32_t cgroup_fd;     /* >= 0: CLONE_INTO_CGROUP target                               */
    uint32_t nkeep;        /* number of fds in keep_fds                                    */
    const int32_t *keep_fds; /* fds left open across execve (for nscore-init), or NULL     */
    uint64_t clone_flags;  /* CLONE_NEW* bits for clone3 (CLONE_NEWTIME is done by unshare) */
    const char *path;      /* absolute executable path (resolved by the parent)            */
    char *const *argv;     /* NULL-terminated                                               */
    char *const *envp;     /* NULL-terminated                                               */
    /* Non-zero: clone with CLONE_FILES, so the kernel copies no fd table at clone; the child's
     * first act is to unshare one that holds only the fds below the highest one it needs
     * (close_range(CLOSE_RANGE_UNSHARE)), so spawn cost does not grow with the host's fd
     * count. Failures go to the status block (nsc_spawn_result.status), not err_fd, and the
     * parent learns of exec or exit through CLONE_CHILD_CLEARTID. The parent must keep every
     * fd the plan names open until then. */
    int32_t share_files;
    int32_t sync_peer_fd;  /* the parent's end of the sync socketpair, closed in the child, or -1 */
};


struct nsc_spawn_result {
    int32_t pid;
    int32_t pidfd;   /* -1 when the kernel gave none */
    void *stack;
    size_t stack_size;
    struct nsc_child_status *status;  /* share_files only, else NULL */
};

#ifndef __cplusplus
_Static_assert(sizeof(struct nsc_error_record) == 12, "error record is three int32");
#endif

#endif
