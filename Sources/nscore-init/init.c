/*
 * init.c - nscore-init, NSCore's tiny init and namespace trampoline.
 *
 *   nscore-init [-e FD] [-s FD:FLAGS]... [-C DIR] [-i] -- PATH ARGV0 [ARGS...]
 *
 *   -e FD        error pipe: set FD_CLOEXEC at once; on failure write {int32 step = -1,
 *                int32 kind, int32 errno} (12 bytes, native order) and exit 127.
 *   -s FD:FLAGS  setns(FD, FLAGS), in the order given, then close(FD).
 *   -C DIR       chdir(DIR) after the joins (a path in the joined mount namespace).
 *   -i           init mode: fork the payload, forward signals to it, reap every child
 *                (orphans included), exit with the payload's status (128+N if killed by N).
 *   --           required; PATH must be absolute; ARGV0 [ARGS...] become the payload's argv.
 *
 * Kinds: 1 setns failed, 104 execve of PATH failed, 105 fork failed, 106 bad command line,
 *        107 chdir failed.
 *
 * Why a separate program: NSCore spawns with a CLONE_VM child that shares the host's memory
 * until execve. Such a child cannot join a user or time namespace (the kernel refuses setns
 * while the mm is shared), and a PID 1 must outlive the exec. NSCore execs this program from a
 * sealed memfd (execveat(memfd, "", AT_EMPTY_PATH)), so it is a static, freestanding ELF with no
 * libc: its own _start, raw syscalls, no heap, no stdio. It is single-threaded and owns its
 * memory, so everything here is safe after fork.
 *
 * Built and embedded by tools/build-init.sh (x86_64 and aarch64); tested by tools/test-init.sh.
 */

/* ---- architecture: entry point and raw syscalls --------------------------------------- */

#if defined(__x86_64__)

enum {
    NR_write = 1, NR_close = 3, NR_rt_sigaction = 13, NR_rt_sigprocmask = 14,
    NR_clone = 56, NR_execve = 59, NR_wait4 = 61, NR_kill = 62, NR_fcntl = 72,
    NR_rt_sigtimedwait = 128, NR_prctl = 157, NR_exit_group = 231, NR_setns = 308,
    NR_chdir = 80,
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
    NR_chdir = 49,
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
#include "../CNSCoreShim/raw_syscall.h"


/* ---- constants (identical on x86_64 and aarch64) ---------------------------------------- */

enum {
    EINTR = 4, EBADF = 9, EINVAL = 22,
    F_SETFD = 2, FD_CLOEXEC = 1,
    SIG_SETMASK = 2, WNOHANG = 1, PR_SET_NAME = 15, PR_SET_CHILD_SUBREAPER = 36,
    SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15,
    SIGCHLD = 17, SIGCONT = 18, SIGWINCH = 28,
    KIND_SETNS = 1, KIND_EXEC = 104, KIND_FORK = 105, KIND_USAGE = 106, KIND_CHDIR = 107,
};

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

/* Reports a failure (the 12-byte record on the error pipe efd, or one line on stderr when
 * efd < 0) and exits 127. (efd is passed around rather than global so that the program has no
 * writable data segment at all.) */
__attribute__((noreturn)) static void fail(int efd, int kind, int err)
{
    if (efd >= 0) {
        int rec[3] = { -1, kind, err };
        write_all(efd, rec, sizeof rec);
    } else {
        const char *what = kind == KIND_SETNS ? "setns"
                           : kind == KIND_EXEC ? "execve"
                           : kind == KIND_FORK ? "fork"
                                               : "usage: nscore-init [-e FD] [-s FD:FLAGS]... [-i] -- PATH ARGV0 [ARGS...]";
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
__attribute__((noreturn)) static void run_init(int efd, const char *path, char **argv, char **envp)
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
    nsc_sys2(NR_prctl, PR_SET_NAME, "nscore-init");

    long pid = nsc_sys2(NR_clone, SIGCHLD, 0); /* fork(): no CLONE_VM, this process is tiny */
    if (pid < 0) fail(efd, KIND_FORK, (int)-pid);
    if (pid == 0) {
        /* The payload: the error pipe is still open here (CLOEXEC), so the library reads EOF
         * exactly when this execve succeeds. */
        nsc_sys4(NR_rt_sigprocmask, SIG_SETMASK, &none, 0, SIGSET_SIZE);
        long r = nsc_sys3(NR_execve, path, argv, envp);
        fail(efd, KIND_EXEC, (int)-r);
    }
    if (efd >= 0) nsc_sys1(NR_close, efd);

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

/* ---- entry -------------------------------------------------------------------------------- */

__attribute__((noreturn, used)) void nsc_init_main(long *sp);

__attribute__((noreturn, used)) void nsc_init_main(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    int i, init = 0, have_e = 0, efd = -1, fd, flags;
    const char *dir = 0;

    /* Pass 1: find -e first so that even a malformed command line is reported through it. */
    for (i = 1; i + 1 < argc && !str_eq(argv[i], "--"); i++) {
        if (str_eq(argv[i], "-e")) {
            if (parse_fd(argv[i + 1], &fd)) {
                if (nsc_sys3(NR_fcntl, fd, F_SETFD, FD_CLOEXEC) < 0) fail(-1, KIND_USAGE, EBADF);
                efd = fd;
            }
            break;
        }
        if ((str_eq(argv[i], "-s") || str_eq(argv[i], "-C")) && !str_eq(argv[i + 1], "--")) i++; /* skip its value */
    }

    /* Pass 2: validate everything before changing any namespace. */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (str_eq(a, "--")) break;
        if (str_eq(a, "-i")) {
            init = 1;
        } else if (str_eq(a, "-e") && i + 1 < argc && !have_e && parse_fd(argv[i + 1], &fd)) {
            have_e = 1;
            i++;
        } else if (str_eq(a, "-s") && i + 1 < argc && parse_setns(argv[i + 1], &fd, &flags)) {
            if (fd == efd) fail(efd, KIND_USAGE, EINVAL);
            i++;
        } else if (str_eq(a, "-C") && i + 1 < argc && !dir && argv[i + 1][0] != 0) {
            dir = argv[++i];
        } else {
            fail(efd, KIND_USAGE, EINVAL);
        }
    }
    /* `--`, then an absolute PATH and at least ARGV0. */
    if (i + 2 >= argc || argv[i + 1][0] != '/') fail(efd, KIND_USAGE, EINVAL);
    const char *path = argv[i + 1];
    char **payload_argv = argv + i + 2;

    /* Pass 3: the joins, in order. */
    for (i = 1; !str_eq(argv[i], "--"); i++) {
        if (str_eq(argv[i], "-s")) {
            parse_setns(argv[++i], &fd, &flags);
            long r = nsc_sys2(NR_setns, fd, flags);
            if (r < 0) fail(efd, KIND_SETNS, (int)-r);
            nsc_sys1(NR_close, fd);
        } else if (str_eq(argv[i], "-e") || str_eq(argv[i], "-C")) {
            i++;
        }
    }
    /* After the joins, so that DIR resolves in the joined mount namespace. */
    if (dir) {
        long c = nsc_sys1(NR_chdir, dir);
        if (c < 0) fail(efd, KIND_CHDIR, (int)-c);
    }

    if (init) run_init(efd, path, payload_argv, envp);
    long r = nsc_sys3(NR_execve, path, payload_argv, envp);
    fail(efd, KIND_EXEC, (int)-r);
}
