/*
 * spawn_plan.h - the plan that Swift compiles and the child-side executor (executor.c) runs.
 *
 * Plain data only. Every pointer points into memory the Swift side allocated before clone and
 * keeps alive, unchanged, until the child has exec'd or been reaped. Every string is
 * NUL-terminated, every fd already open. The executor makes no decision of its own: every step,
 * the frame included (signal reset, stdio, closing inherited fds, exec), is placed by Swift in
 * the order it chose. Only the fd-table takeover of a share_files child comes before the first
 * step, because the plan's own fds are reachable only through that table.
 */
#ifndef NSC_SPAWN_PLAN_H
#define NSC_SPAWN_PLAN_H

#include <stddef.h>
#include <stdint.h>

/* Step kinds. The numbering is internal (not ABI); Swift builds steps through typed builders
 * (SpawnPlan+Steps.swift) and never writes these numbers itself. Arguments are in arg[0..5];
 * an argument marked (fd) is an fd operand: a plain fd, NSC_AT_FDCWD, or NSC_SLOT(k), the fd an
 * earlier step left in result slot k. Steps marked -> slot store the fd they produce in slot
 * `out`. */
enum nsc_step_kind {
    /* The frame. */
    NSC_STEP_RESET_SIGNALS = 1,  /* every disposition to SIG_DFL (signals stay blocked)       */
    NSC_STEP_PRCTL = 2,          /* prctl(arg0, arg1, arg2, arg3, arg4)                        */
    NSC_STEP_STDIO = 3,          /* place sources arg0..2 on fds 0..2: (fd), -1 to leave it, or
                                    NSC_STDIO_NULL to open /dev/null                          */
    NSC_STEP_CLOSE_FDS = 4,      /* every fd >= 3 close-on-exec, then the arg1 fds (an int32
                                    array at arg0) inheritable                                 */
    NSC_STEP_EXEC = 5,           /* empty the signal mask, then execveat(arg0 (fd), "", ...,
                                    AT_EMPTY_PATH) when arg0 >= 0, else execve(arg1 path);
                                    argv arg2, envp arg3. Must be last.                        */
    /* Namespaces, hostname, handshake. */
    NSC_STEP_SETNS = 10,         /* setns(arg0 (fd), arg1)                                      */
    NSC_STEP_UNSHARE = 11,       /* unshare(arg0)                                               */
    NSC_STEP_SYNC_READY = 12,    /* write one byte on the plan's sync_fd: "the parent may act"  */
    NSC_STEP_SYNC_WAIT = 13,     /* wait for "go": a byte on sync_fd (EOF fails), or with
                                    share_files the parent's lock (its death fails)           */
    NSC_STEP_SETHOSTNAME = 14,   /* sethostname(arg0, arg1)                                     */
    NSC_STEP_SETDOMAINNAME = 15, /* setdomainname(arg0, arg1)                                   */
    NSC_STEP_LOOPBACK_UP = 16,   /* set IFF_UP on "lo" through SIOCSIFFLAGS                     */
    /* Files and mounts. */
    NSC_STEP_MOUNT = 20,         /* mount(arg0, arg1, arg2, arg3, arg4)                         */
    NSC_STEP_CHDIR = 22,         /* chdir(arg0)                                                 */
    NSC_STEP_FCHDIR = 23,        /* fchdir(arg0 (fd))                                           */
    NSC_STEP_OPENAT2 = 24,       /* openat2(arg0 (fd), arg1, &{arg2 flags|O_CLOEXEC, arg3 mode,
                                    arg4 resolve}) -> slot                                     */
    NSC_STEP_OPEN_TREE = 25,     /* open_tree(arg0 (fd), arg1, arg2 | OPEN_TREE_CLOEXEC) -> slot */
    NSC_STEP_MOVE_MOUNT = 26,    /* move_mount(arg0 (fd), arg1, arg2 (fd), arg3, arg4)           */
    NSC_STEP_MOUNT_SETATTR = 27, /* mount_setattr(arg0 (fd), arg1, arg2, &{arg3 set, arg4 clr,
                                    arg5 propagation}, size)                                   */
    NSC_STEP_FSOPEN = 28,        /* fsopen(arg0, arg1 | FSOPEN_CLOEXEC) -> slot                 */
    NSC_STEP_FSCONFIG = 29,      /* fsconfig(arg0 (fd), arg1, arg2, arg3, arg4)                 */
    NSC_STEP_FSMOUNT = 30,       /* fsmount(arg0 (fd), arg1 | FSMOUNT_CLOEXEC, arg2) -> slot     */
    NSC_STEP_CLOSE = 31,         /* close(arg0 (fd)); a slot is emptied                          */
    NSC_STEP_MKPATH = 33,        /* create the directories of path arg1 below arg0 (fd), one
                                    component at a time, never through a symlink; mode arg2;
                                    arg3 = 1: the last component is an empty regular file      */
    NSC_STEP_MKNOD = 34,         /* mknodat(arg0 (fd), arg1, arg2, arg3), then chmod to arg2's
                                    permission bits (the umask is the caller's)               */
    NSC_STEP_SYMLINK = 35,       /* symlinkat(arg0, arg1 (fd), arg2)                              */
    NSC_STEP_EXPECT_NODE = 36,   /* fail (EPERM) unless arg0 (fd) is of type arg1 (S_IFMT bits)
                                    with device number arg2:arg3: what a mount was meant to be  */
    NSC_STEP_MASK = 37,          /* mask path arg1 below arg0 (fd) (resolved in it, no symlinks):
                                    a directory gets a clone of mount arg3 (fd, an empty
                                    read-only tmpfs), anything else one of arg2 (fd, /dev/null);
                                    a path that does not exist is skipped                    */
    NSC_STEP_READONLY = 38,      /* bind path arg1 below arg0 (fd) onto itself, recursively
                                    read-only; a path that does not exist is skipped           */
    NSC_STEP_ENTER_ROOT = 39,    /* enter the root arg1 (fd) from the old root arg0 (fd):
                                    pivot_root(".", "."), old root made slave and detached; on
                                    an initramfs root, MS_MOVE onto / and chroot instead; then
                                    chdir("/")                                                 */
    /* Credentials (raw syscalls: glibc's wrappers would wait for the host's other threads). */
    NSC_STEP_SETRESGID = 40,     /* setresgid(arg0, arg0, arg0)                                 */
    NSC_STEP_SETRESUID = 41,     /* setresuid(arg0, arg0, arg0)                                 */
    NSC_STEP_SETGROUPS = 42,     /* setgroups(arg0, arg1)                                       */
    NSC_STEP_CAPSET = 43,        /* capset(arg0 (header), arg1 (two data structs))              */
    NSC_STEP_PRLIMIT = 44,       /* prlimit64(0, arg0, arg1 (struct rlimit64), NULL)             */
    NSC_STEP_WRITE = 45,         /* write(arg0 (fd), arg1, arg2): all of it, or EIO             */
    NSC_STEP_SECCOMP = 46,       /* seccomp(SECCOMP_SET_MODE_FILTER, arg0, arg1 (struct
                                    sock_fprog)); -> slot (the listener) when arg0 has
                                    SECCOMP_FILTER_FLAG_NEW_LISTENER                            */
    NSC_STEP_SEND_FD = 47,       /* send arg0 (fd) to the parent on sync_fd (SCM_RIGHTS)        */
    NSC_STEP_RECV_FD = 48,       /* receive an fd the parent sent on sync_fd -> slot            */
    /* Terminals. */
    NSC_STEP_SETSID = 49,        /* setsid(): a new session, without a controlling terminal     */
    NSC_STEP_IOCTL = 50,         /* ioctl(arg0 (fd), arg1, arg2); with a slot (out >= 0), the
                                    fd it returns (TIOCGPTPEER) -> slot                        */
    NSC_STEP_FCHOWN = 51,        /* fchown(arg0 (fd), arg1, arg2) (-1: unchanged)               */
    /* Reported, never planned: the fd-table takeover of a share_files child (step -1). */
    NSC_STEP_FILES = 108,
};

/* nscore-init's own failure kinds (104-107, 109) are in nsc_init_protocol.h. */

/* Fd operands. AT_FDCWD (-100) passes through; -1000 - k names result slot k. */
#define NSC_AT_FDCWD (-100)
#define NSC_SLOT_BASE (-1000)
#define NSC_SLOT(k) (NSC_SLOT_BASE - (k))
/* Result slots a plan may use. */
#define NSC_MAX_SLOTS 64

/* NSC_STEP_STDIO source: the child opens /dev/null itself (no fd of the parent is needed). */
#define NSC_STDIO_NULL (-2)

/* What the child writes (to err_fd, or into nsc_child_status) before _exit(127). */
struct nsc_error_record {
    int32_t step;   /* index into steps, or -1 for the fd-table takeover */
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
    int32_t out;       /* result slot for steps marked -> slot, else -1 */
    uint64_t arg[6];
};

struct nsc_plan {
    const struct nsc_step *steps;
    uint32_t nsteps;
    int32_t err_fd;        /* write end of the CLOEXEC error pipe, or -1 with share_files  */
    int32_t sync_fd;       /* child's end of the CLOEXEC sync socketpair, or -1            */
    int32_t sync_peer_fd;  /* the parent's end of it, closed in the child first, or -1     */
    int32_t cgroup_fd;     /* >= 0: CLONE_INTO_CGROUP target                               */
    uint64_t clone_flags;  /* CLONE_NEW* bits for clone3 (CLONE_NEWTIME is done by unshare) */
    /* Non-zero: clone with CLONE_FILES, so the kernel copies no fd table at clone; before its
     * first step the child takes one that holds only the fds below `unshare_from`
     * (close_range(CLOSE_RANGE_UNSHARE)), so spawn cost does not grow with the host's fd
     * count. Failures go to the status block (nsc_spawn_result.status), not err_fd, and the
     * parent learns of exec or exit through CLONE_CHILD_CLEARTID. The parent must keep every
     * fd the plan names open until then. */
    int32_t share_files;
    int32_t unshare_from;  /* one above the highest fd the plan names (Swift computes it)  */
    /* The fds >= 3 the plan names, ascending, without duplicates: before its first step the
     * child closes every other fd >= 3, so that no fd of the host it was not given stays open
     * while its steps run (a working directory of /proc/self/fd/N must not resolve to one). */
    const int32_t *named_fds;
    uint32_t nnamed;
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
_Static_assert(sizeof(struct nsc_step) == 56, "a step is two int32 and six uint64");
#endif

#endif
