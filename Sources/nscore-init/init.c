/*
 * init.c - nscore-init, NSCore's tiny init and namespace trampoline.
 *
 *   nscore-init [-e FD | -r FD] [-s FD:FLAGS]... [-C DIR] [-k SIG] [-t] [-i] -- PATH ARGV0 [ARGS...]
 *
 *   -e FD        error pipe: set FD_CLOEXEC at once; on failure write {int32 step = -1,
 *                int32 kind, int32 errno} (12 bytes, native order) and exit 127.
 *   -r FD        join mode (for joining running containers): FD is a memfd; the outcome is
 *                written to its first page as a struct nsc_join_report (nsc_init_protocol.h).
 *                The command is forked with CLONE_PARENT, so it is the caller's child, and this
 *                process exits as soon as the command has exec'd (or failed).
 *   -s FD:FLAGS  setns(FD, FLAGS), in the order given, then close(FD).
 *   -C DIR       chdir(DIR) after the joins (a path in the joined mount namespace).
 *   -k SIG       PR_SET_PDEATHSIG(SIG) in the command (join mode).
 *   -t           the command starts a new session (setsid) whose controlling terminal is its
 *                stdin (TIOCSCTTY), in every mode: the pty the library gave it. In init mode,
 *                init itself stays outside that session, so a Ctrl-C on the terminal reaches
 *                the command's foreground jobs, not init.
 *   -i           init mode: fork the payload, forward signals to it, reap every child
 *                (orphans included), exit with the payload's status (128+N if killed by N).
 *   --           required; PATH must be absolute; ARGV0 [ARGS...] become the payload's argv.
 *
 * Failure kinds: enum nsc_init_kind (Sources/CNSCoreShim/include/nsc_init_protocol.h).
 *
 * Why a separate program: NSCore spawns with a CLONE_VM child that shares the host's memory
 * until execve. Such a child must never be seen from inside an existing container: a process
 * there with CAP_SYS_PTRACE (or the child's uid once it joined a user namespace) could read and
 * write the host through /proc/PID/mem or take its fds with pidfd_getfd. So a join execs this
 * program first, in the caller's namespaces, and only this process, which owns its memory (a few
 * pages of its own), joins and forks the command into the target's PID namespace. A CLONE_VM
 * child also cannot join a time namespace, and a PID 1 must outlive the exec. NSCore execs this
 * program from a sealed memfd (execveat(memfd, "", AT_EMPTY_PATH)), so it is a static,
 * freestanding ELF with no libc: its own _start, raw syscalls, no heap, no stdio. It is
 * single-threaded and owns its memory, so everything here is safe after fork.
 *
 * Built and embedded by tools/build-init.sh (x86_64 and aarch64); tested by tools/test-init.sh.
 */

/* ---- architecture: entry point and raw syscalls --------------------------------------- */

#if defined(__x86_64__)

enum {
    NR_write = 1, NR_close = 3, NR_rt_sigaction = 13, NR_rt_sigprocmask = 14,
    NR_clone = 56, NR_execve = 59, NR_wait4 = 61, NR_kill = 62, NR_fcntl = 72,
    NR_rt_sigtimedwait = 128, NR_prctl = 157, NR_exit_group = 231, NR_setns = 308,
    NR_chdir = 80, NR_mmap = 9, NR_ftruncate = 77, NR_close_range = 436,
    NR_getpid = 39, NR_sched_yield = 24, NR_kcmp = 312, NR_setsid = 112, NR_ioctl = 16,
};

/* The kernel enters with rsp -> argc, 16-byte aligned; `call` leaves rsp+8 aligned as the
 * ABI expects at function entry. rbp = 0 ends any frame-pointer walk. */
__asm__(".text\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call nsc_init_main\n"
        "    hlt\n");


#elif defined(__aarch64__)

enum {
    NR_fcntl = 25, NR_close = 57, NR_write = 64, NR_exit_group = 94, NR_kill = 129,
    NR_rt_sigaction = 134, NR_rt_sigprocmask = 135, NR_rt_sigtimedwait = 137, NR_prctl = 167,
    NR_clone = 220, NR_execve = 221, NR_wait4 = 260, NR_setns = 268,
    NR_chdir = 49, NR_mmap = 222, NR_ftruncate = 46, NR_close_range = 436,
    NR_getpid = 172, NR_sched_yield = 124, NR_kcmp = 272, NR_setsid = 157, NR_ioctl = 29,
};

/* sp -> argc, 16-byte aligned. x29/x30 = 0 end any frame walk. */
__asm__(".text\n"
        ".global _start\n"
        ".type _start, %function\n"
        "_start:\n"
        "    mov x29, #0\n"
        "    mov x30, #0\n"
        "    mov x0, sp\n"
        "    bl nsc_init_main\n"
        "    brk #0\n");


#else
#error "nscore-init supports x86_64 and aarch64 only"
#endif

/* Raw system calls, shared with the library's child executor: nsc_raw and nsc_sys0..5. */
#define NSC_RAW_WANT_CLONE3 /* nsc_clone3_vm, for the command of a join */
#include "../CNSCoreShim/raw_syscall.h"
/* The failure kinds and the join report, shared with the library. */
#include "../CNSCoreShim/include/nsc_init_protocol.h"


/* ---- constants (identical on x86_64 and aarch64) ---------------------------------------- */

enum {
    EINTR = 4, EBADF = 9, EINVAL = 22, ENOSYS = 38,
    F_SETFD = 2, FD_CLOEXEC = 1,
    SIG_SETMASK = 2, WNOHANG = 1, PR_SET_NAME = 15, PR_SET_CHILD_SUBREAPER = 36,
    PR_SET_PDEATHSIG = 1, PR_SET_DUMPABLE = 4,
    SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15,
    SIGCHLD = 17, SIGCONT = 18, SIGWINCH = 28,
    PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1,
    CLONE_VM = 0x100, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000, PAGE = 4096, KCMP_VM = 1,
    KIND_SETNS = NSC_INIT_KIND_SETNS, KIND_EXEC = NSC_INIT_KIND_EXEC, KIND_FORK = NSC_INIT_KIND_FORK,
    KIND_USAGE = NSC_INIT_KIND_USAGE, KIND_CHDIR = NSC_INIT_KIND_CHDIR, KIND_REPORT = NSC_INIT_KIND_REPORT,
    KIND_TERMINAL = NSC_INIT_KIND_TERMINAL, TIOCSCTTY = 0x540E,
};

/* -t: a new session whose controlling terminal is fd 0. Returns 0 or an errno. */
static int take_terminal(void)
{
    long r = nsc_sys0(NR_setsid);
    if (r >= 0) r = nsc_sys3(NR_ioctl, 0, TIOCSCTTY, 0);
    return r < 0 ? (int)-r : 0;
}

#define SIGBIT(s) (1UL << ((s) - 1))
/* The signals init waits for; every one but SIGCHLD is forwarded to the payload. */
#define WAITED_SIGNALS                                                                          \
    (SIGBIT(SIGCHLD) | SIGBIT(SIGTERM) | SIGBIT(SIGINT) | SIGBIT(SIGHUP) | SIGBIT(SIGUSR1) |   \
     SIGBIT(SIGUSR2) | SIGBIT(SIGQUIT) | SIGBIT(SIGWINCH) | SIGBIT(SIGCONT))
#define SIGSET_SIZE 8 /* the kernel's sigset_t: 64 signals */

/* ---- failure reporting -------------------------------------------------------------------- */

static void write_all(int fd, const void *buf, long len)
{
    const char *p = buf;
    while (len > 0) {
        long n = nsc_sys3(NR_write, fd, p, len);
        if (n == -EINTR) continue;
        if (n <= 0) return;
        p += n;
        len -= n;
    }
}

static long str_len(const char *s)
{
    long n = 0;
    while (s[n]) n++;
    return n;
}

/* Where failures go: the error pipe (-e), the join report page (-r), or else stderr. It lives
 * on the stack and is passed around, so that the program has no writable data segment at all. */
struct out {
    int efd;
    volatile struct nsc_join_report *rep;
};

/* Writes the join report; `state` last, so that a reader never sees half a report. */
static void report(const struct out *o, int state, int kind, int err, int step, int pid)
{
    o->rep->kind = kind;
    o->rep->err = err;
    o->rep->step = step;
    o->rep->pid = pid;
    __atomic_store_n(&o->rep->state, state, __ATOMIC_RELEASE);
}

/* Reports a failure and exits 127. `step` is the index of the failed -s option (KIND_SETNS),
 * `pid` the forked command's (KIND_EXEC in join mode), else 0. */
__attribute__((noreturn)) static void fail_at(const struct out *o, int kind, int err, int step, int pid)
{
    if (o->rep) {
        report(o, NSC_JOIN_FAILED, kind, err, step, pid);
    } else if (o->efd >= 0) {
        int rec[3] = { -1, kind, err };
        write_all(o->efd, rec, sizeof rec);
    } else {
        const char *what = kind == KIND_SETNS ? "setns"
                           : kind == KIND_EXEC ? "execve"
                           : kind == KIND_FORK ? "fork"
                           : kind == KIND_CHDIR ? "chdir"
                           : kind == KIND_REPORT ? "join report"
                           : kind == KIND_TERMINAL ? "terminal"
                                               : "usage: nscore-init [-e FD | -r FD] [-s FD:FLAGS]... [-C DIR] [-k SIG] [-t] [-i] -- PATH ARGV0 [ARGS...]";
        char num[12];
        int i = sizeof num;
        unsigned v = (unsigned)err;
        do {
            num[--i] = (char)('0' + v % 10);
            v /= 10;
        } while (v && i > 0);
        write_all(2, "nscore-init: ", 13);
        write_all(2, what, str_len(what));
        write_all(2, ": errno ", 8);
        write_all(2, num + i, (long)sizeof num - i);
        write_all(2, "\n", 1);
    }
    for (;;) nsc_sys1(NR_exit_group, 127);
}

__attribute__((noreturn)) static void fail(const struct out *o, int kind, int err)
{
    fail_at(o, kind, err, 0, 0);
}

/* ---- command line ------------------------------------------------------------------------- */

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

/* Parses a non-empty run of decimal digits ending at `end` (NUL or ':') into 0..max. */
static int parse_num(const char **sp, char end, unsigned long max, unsigned long *out)
{
    const char *s = *sp;
    unsigned long v = 0;
    if (*s < '0' || *s > '9') return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max) return 0;
    }
    if (*s != end) return 0;
    *sp = s + 1;
    *out = v;
    return 1;
}

static int parse_fd(const char *s, int *fd)
{
    unsigned long v;
    if (!parse_num(&s, '\0', 0x7fffffffUL, &v)) return 0;
    *fd = (int)v;
    return 1;
}

/* "FD:FLAGS"; FLAGS is any 32-bit value (the kernel judges it). */
static int parse_setns(const char *s, int *fd, int *flags)
{
    unsigned long f, n;
    if (!parse_num(&s, ':', 0x7fffffffUL, &f)) return 0;
    if (!parse_num(&s, '\0', 0xffffffffUL, &n)) return 0;
    *fd = (int)f;
    *flags = (int)(unsigned)n;
    return 1;
}

/* ---- init mode ----------------------------------------------------------------------------- */

/* The kernel's struct sigaction, zeroed: SIG_DFL, no flags, empty mask (32 bytes covers both
 * x86_64 {handler, flags, restorer, mask} and aarch64). */
static void default_disposition(int sig)
{
    unsigned long act[4] = { 0, 0, 0, 0 };
    nsc_sys4(NR_rt_sigaction, sig, act, 0, SIGSET_SIZE);
}

/* Forks the payload, then relays signals and reaps children until the payload exits. */
__attribute__((noreturn)) static void run_init(const struct out *o, int terminal, const char *path, char **argv,
                                               char **envp)
{
    unsigned long all = ~0UL, none = 0, waited = WAITED_SIGNALS;

    /* Block everything before the fork: signals that arrive from here on stay pending until
     * rt_sigtimedwait takes them (a blocked signal is queued even for a PID 1 whose handler is
     * SIG_DFL), so none is lost between fork and the first wait. */
    nsc_sys4(NR_rt_sigprocmask, SIG_SETMASK, &all, 0, SIGSET_SIZE);
    /* SIGCHLD set to SIG_IGN (inherited across exec) would make the kernel auto-reap the
     * payload and hide its status. */
    default_disposition(SIGCHLD);
    /* Outside a new PID namespace, orphans of the payload come to us rather than to the host's
     * init. Best effort: a PID 1 gets them anyway. */
    nsc_sys2(NR_prctl, PR_SET_CHILD_SUBREAPER, 1);
    /* Exec'd from a memfd, the comm would read "memfd:nscore-in"; ps should say what we are. */
    nsc_sys2(NR_prctl, PR_SET_NAME, NSC_INIT_ARGV0);

    long pid = nsc_sys2(NR_clone, SIGCHLD, 0); /* fork(): no CLONE_VM, this process is tiny */
    if (pid < 0) fail(o, KIND_FORK, (int)-pid);
    if (pid == 0) {
        /* The payload: the error pipe is still open here (CLOEXEC), so the library reads EOF
         * exactly when this execve succeeds. */
        if (terminal) {
            int e = take_terminal();
            if (e) fail(o, KIND_TERMINAL, e);
        }
        nsc_sys4(NR_rt_sigprocmask, SIG_SETMASK, &none, 0, SIGSET_SIZE);
        long r = nsc_sys3(NR_execve, path, argv, envp);
        fail(o, KIND_EXEC, (int)-r);
    }
    if (o->efd >= 0) nsc_sys1(NR_close, o->efd);

    for (;;) {
        /* Reap first: SIGCHLD may already be pending (or coalesced from several exits). */
        for (;;) {
            int st = 0;
            long r = nsc_sys4(NR_wait4, -1, &st, WNOHANG, 0);
            if (r == -EINTR) continue;
            if (r <= 0) break; /* 0: children left, none exited; -ECHILD: none left */
            if (r == pid) {
                int code = (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f);
                for (;;) nsc_sys1(NR_exit_group, code);
            }
        }
        unsigned long info[16]; /* siginfo_t is 128 bytes */
        long sig = nsc_sys4(NR_rt_sigtimedwait, &waited, info, 0, SIGSET_SIZE);
        if (sig > 0 && sig != SIGCHLD) nsc_sys2(NR_kill, pid, sig);
    }
}

/* ---- join mode ---------------------------------------------------------------------------- */

/* Maps the join report page of memfd `fd` and closes `fd` (so that the command, whose fd table
 * is a copy of ours, never holds it). */
static void open_report(struct out *o, int fd)
{
    long r = nsc_sys2(NR_ftruncate, fd, PAGE);
    if (r < 0) fail(o, KIND_REPORT, (int)-r);
    long p = nsc_raw(NR_mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p < 0 && p > -4096) fail(o, KIND_REPORT, (int)-p);
    nsc_sys1(NR_close, fd);
    o->rep = (volatile struct nsc_join_report *)p;
}

/* What the command's child side needs; it lives on nscore-init's stack. */
struct join_child {
    const char *path;
    char **argv;
    char **envp;
    int pdeathsig;
    int terminal; /* -t */
    int exec_err; /* written by the child if execve fails */
    int term_err; /* written by the child if -t fails */
};

/* The command, between clone and execve: it shares nscore-init's memory (CLONE_VM), runs on a
 * stack of its own, and does nothing but what execve needs. */
static int join_child_main(void *arg)
{
    struct join_child *c = arg;
    /* Its parent is the library's thread (CLONE_PARENT), as for a spawned process. */
    if (c->pdeathsig > 0) nsc_sys2(NR_prctl, PR_SET_PDEATHSIG, c->pdeathsig);
    if (c->terminal) {
        int e = take_terminal();
        if (e) {
            __atomic_store_n(&c->term_err, e, __ATOMIC_RELEASE);
            return 127;
        }
    }
    long r = nsc_sys3(NR_execve, c->path, c->argv, c->envp);
    __atomic_store_n(&c->exec_err, r < 0 ? (int)-r : EINVAL, __ATOMIC_RELEASE);
    return 127;
}

/* Starts the command in the joined namespaces (its PID namespace is the one joined through
 * pid_for_children) as a child of our parent (CLONE_PARENT), waits until it has exec'd
 * (CLONE_VFORK), reports and exits.
 *
 * Until its execve the command shares this process's memory (CLONE_VM: no page tables to copy,
 * which halves the cost of a join), never the host's: it holds nothing of the library's but
 * this program, its arguments and the report page. It is not dumpable (we are not), so from
 * inside a container only a process with CAP_SYS_PTRACE in the initial user namespace could
 * reach that page, and the library checks what the report names (its own child, in the target
 * PID namespace). Its fd table is a copy of ours taken at clone: every fd but stdio is closed
 * first, so no process of the container can ever take one from it. */
__attribute__((noreturn)) static void run_join(const struct out *o, int pdeathsig, int terminal, const char *path,
                                               char **argv, char **envp)
{
    long r = nsc_sys3(NR_close_range, 3, ~0U, 0);
    if (r < 0 && r != -ENOSYS) fail(o, KIND_REPORT, (int)-r);

    struct join_child child = { path, argv, envp, pdeathsig, terminal, 0, 0 };
    char stack[8192] __attribute__((aligned(16)));
    struct nsc_clone_args args;
    char *a = (char *)&args;
    for (unsigned i = 0; i < sizeof args; i++) a[i] = 0; /* no memset: no libc */
    args.flags = CLONE_VM | CLONE_VFORK | CLONE_PARENT;
    args.stack = (unsigned long long)(unsigned long)stack;
    args.stack_size = sizeof stack;
    /* exit_signal 0: with CLONE_PARENT the kernel uses ours (SIGCHLD, as the library cloned us). */
    long pid = nsc_clone3_vm(&args, sizeof args, join_child_main, &child);
    if (pid < 0) fail(o, KIND_FORK, (int)-pid);
    /* CLONE_VFORK: here the command has exec'd or exited. */
    int err = __atomic_load_n(&child.term_err, __ATOMIC_ACQUIRE);
    if (err != 0) fail_at(o, KIND_TERMINAL, err, 0, (int)pid);
    err = __atomic_load_n(&child.exec_err, __ATOMIC_ACQUIRE);
    if (err != 0) fail_at(o, KIND_EXEC, err, 0, (int)pid);
    /* The vfork wake comes from exec_mm_release(), just before the command switches to its new
     * address space: wait until it no longer shares ours (kcmp(KCMP_VM) 0: same mm), so that
     * its /proc files show the command, not this program, once the join returns. */
    long self = nsc_sys0(NR_getpid);
    for (int i = 0; i < 100000 && nsc_sys5(NR_kcmp, self, pid, KCMP_VM, 0, 0) == 0; i++) nsc_sys0(NR_sched_yield);
    report(o, NSC_JOIN_EXECED, 0, 0, 0, (int)pid);
    for (;;) nsc_sys1(NR_exit_group, 0);
}

/* ---- entry -------------------------------------------------------------------------------- */

__attribute__((noreturn, used)) void nsc_init_main(long *sp);

__attribute__((noreturn, used)) void nsc_init_main(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    int i, init = 0, terminal = 0, have_e = 0, have_r = 0, fd, flags, setns_index = 0;
    unsigned long pdeathsig = 0;
    const char *dir = 0;
    struct out out = { -1, 0 }, *o = &out;

    /* Pass 1: find -e / -r first so that even a malformed command line is reported through it.
     * In join mode nothing of this process may be observed from a container (its memory holds
     * the report page, its fds the caller's namespace fds): not dumpable, before anything else.
     * The command forked later inherits that until its execve. */
    for (i = 1; i + 1 < argc && !str_eq(argv[i], NSC_INIT_OPT_END); i++) {
        if (str_eq(argv[i], NSC_INIT_OPT_ERROR_PIPE)) {
            if (parse_fd(argv[i + 1], &fd)) {
                if (nsc_sys3(NR_fcntl, fd, F_SETFD, FD_CLOEXEC) < 0) fail(o, KIND_USAGE, EBADF);
                out.efd = fd;
            }
            break;
        }
        if (str_eq(argv[i], NSC_INIT_OPT_REPORT)) {
            long r = nsc_sys2(NR_prctl, PR_SET_DUMPABLE, 0);
            if (r < 0) fail(o, KIND_REPORT, (int)-r);
            if (!parse_fd(argv[i + 1], &fd)) fail(o, KIND_USAGE, EINVAL);
            open_report(o, fd);
            break;
        }
        if ((str_eq(argv[i], NSC_INIT_OPT_SETNS) || str_eq(argv[i], NSC_INIT_OPT_CHDIR) || str_eq(argv[i], NSC_INIT_OPT_PDEATHSIG)) && !str_eq(argv[i + 1], NSC_INIT_OPT_END))
            i++; /* skip its value */
    }

    /* Pass 2: validate everything before changing any namespace. */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : 0;
        if (str_eq(a, NSC_INIT_OPT_END)) break;
        if (str_eq(a, NSC_INIT_OPT_INIT) && !out.rep) {
            init = 1;
        } else if (str_eq(a, NSC_INIT_OPT_TERMINAL) && !terminal) {
            terminal = 1;
        } else if (str_eq(a, NSC_INIT_OPT_ERROR_PIPE) && v && !have_e && !have_r && parse_fd(v, &fd)) {
            have_e = 1;
            i++;
        } else if (str_eq(a, NSC_INIT_OPT_REPORT) && v && !have_r && !have_e && !init && out.rep) {
            have_r = 1;
            i++;
        } else if (str_eq(a, NSC_INIT_OPT_SETNS) && v && parse_setns(v, &fd, &flags)) {
            if (fd == out.efd) fail(o, KIND_USAGE, EINVAL);
            i++;
        } else if (str_eq(a, NSC_INIT_OPT_CHDIR) && v && !dir && v[0] != 0) {
            dir = v;
            i++;
        } else if (str_eq(a, NSC_INIT_OPT_PDEATHSIG) && v && out.rep && !pdeathsig && parse_num(&v, '\0', 64, &pdeathsig) && pdeathsig) {
            i++;
        } else {
            fail(o, KIND_USAGE, EINVAL);
        }
    }
    /* `--`, then an absolute PATH and at least ARGV0. */
    if (i + 2 >= argc || argv[i + 1][0] != '/') fail(o, KIND_USAGE, EINVAL);
    const char *path = argv[i + 1];
    char **payload_argv = argv + i + 2;

    /* Pass 3: the joins, in order. */
    for (i = 1; !str_eq(argv[i], NSC_INIT_OPT_END); i++) {
        if (str_eq(argv[i], NSC_INIT_OPT_SETNS)) {
            parse_setns(argv[++i], &fd, &flags);
            long r = nsc_sys2(NR_setns, fd, flags);
            if (r < 0) fail_at(o, KIND_SETNS, (int)-r, setns_index, 0);
            nsc_sys1(NR_close, fd);
            setns_index++;
        } else if (str_eq(argv[i], NSC_INIT_OPT_ERROR_PIPE) || str_eq(argv[i], NSC_INIT_OPT_REPORT) || str_eq(argv[i], NSC_INIT_OPT_CHDIR) || str_eq(argv[i], NSC_INIT_OPT_PDEATHSIG)) {
            i++;
        }
    }
    /* After the joins, so that DIR resolves in the joined mount namespace. */
    if (dir) {
        long c = nsc_sys1(NR_chdir, dir);
        if (c < 0) fail(o, KIND_CHDIR, (int)-c);
    }

    if (out.rep) run_join(o, (int)pdeathsig, terminal, path, payload_argv, envp);
    if (init) run_init(o, terminal, path, payload_argv, envp);
    if (terminal) {
        int e = take_terminal();
        if (e) fail(o, KIND_TERMINAL, e);
    }
    long r = nsc_sys3(NR_execve, path, payload_argv, envp);
    fail(o, KIND_EXEC, (int)-r);
}
