/* Seccomp profiles (nscore.h "Seccomp"): every action seen from inside a command, argument
 * comparisons, NSCORE_SECCOMP_NOTIFY answered through the container's listener, the default
 * profile of a container with a root filesystem (/proc/PID/status read from outside while it
 * runs) and `unconfined`, profiles read from OCI JSON (and the errors for bad ones, which name
 * the place), compile(), a profile that would refuse execve refused before anything starts,
 * bad input, and no fd or child left behind.
 *
 * The command of most cases is this program itself, run as `test_seccomp probe CALL...`: it
 * makes each raw syscall CALL ("getppid", "getpgid:ARG", "mkdir:PATH") and prints
 * "NAME RESULT ERRNO" per call, so a case sees exactly what the filter did. A SIGSYS handler
 * (for TRAP) prints "trap NR" and exits 0; the probe is not dumpable, so a kill leaves no core
 * file.
 *
 * Works as root and unprivileged (run.sh runs it as uid 65534 too): unprivileged, every
 * container gets a user namespace with root mapped to the caller, where the child may install
 * a filter (CAP_SYS_ADMIN in its namespace). */
#include "test.h"

#include <limits.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

_Static_assert(sizeof(nscore_seccomp_notification) == 80, "nscore_seccomp_notification is 80 bytes");
_Static_assert(sizeof(nscore_seccomp_arg) == 24, "nscore_seccomp_arg is 24 bytes");

#define AUDIT_ARCH_X86_64 0xc000003eu
#define AUDIT_ARCH_AARCH64 0xc00000b7u

static int rootless;           /* not root: containers get NSCORE_NS_USER + map_root_user */
static char self[PATH_MAX];    /* this program, the probe */
static char repo[PATH_MAX];    /* the repository, found from this file's path */
static char base[64];          /* mkdtemp: everything the test creates on the host */

/* ---- The probe (runs inside the containers) ----------------------------------------------- */

/* Writes a decimal number (async-signal-safe). */
static void put_number(char *buf, size_t *n, long v)
{
    char digits[24];
    int k = 0;
    unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
    if (v < 0) buf[(*n)++] = '-';
    do digits[k++] = (char)('0' + u % 10); while ((u /= 10) != 0);
    while (k > 0) buf[(*n)++] = digits[--k];
}

static void on_sigsys(int sig, siginfo_t *info, void *context)
{
    char line[64] = "trap ";
    size_t n = 5;
    (void)sig;
    (void)context;
    put_number(line, &n, info->si_syscall);
    line[n++] = '\n';
    (void)!write(1, line, n);
    _exit(0);
}

static int probe(int argc, char **argv)
{
    struct sigaction sa;
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* a SIGSYS kill dumps core otherwise (core_pattern "core") */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    for (int i = 2; i < argc; i++) {
        char name[32];
        const char *arg = strchr(argv[i], ':');
        size_t len = arg ? (size_t)(arg - argv[i]) : strlen(argv[i]);
        long r;
        if (len >= sizeof name) return 2;
        memcpy(name, argv[i], len);
        name[len] = '\0';
        if (arg != NULL) arg++;
        errno = 0;
        if (strcmp(name, "getppid") == 0)
            r = syscall(SYS_getppid);
        else if (strcmp(name, "getpgid") == 0)
            r = syscall(SYS_getpgid, arg ? strtol(arg, NULL, 0) : 0L);
        else if (strcmp(name, "mkdir") == 0)
#ifdef SYS_mkdir
            r = syscall(SYS_mkdir, arg, 0755);
#else
            r = syscall(SYS_mkdirat, AT_FDCWD, arg, 0755);
#endif
        else
            return 2;
        /* getppid and getpgid give pids: "ok" is what matters. */
        if (r >= 0 && strcmp(name, "mkdir") != 0)
            dprintf(1, "%s ok 0\n", name);
        else
            dprintf(1, "%s %ld %d\n", name, r, r < 0 ? errno : 0);
    }
    return 0;
}

/* ---- Helpers ----------------------------------------------------------------------------- */

/* A configuration running the probe with `calls` (NULL-terminated); NULL on failure. */
static nscore_spawn_config *probe_config(const char *const *calls)
{
    const char *argv[16] = {self, "probe"};
    int n = 2;
    nscore_spawn_config *cfg;
    for (int i = 0; calls[i] != NULL && n < 15; i++) argv[n++] = calls[i];
    argv[n] = NULL;
    cfg = t_config(argv, rootless ? NSCORE_NS_USER : 0);
    REQUIRE(cfg != NULL);
    if (rootless) OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    return cfg;
out:
    nscore_spawn_config_free(cfg);
    return NULL;
}

/* Runs the probe with `calls` under `seccomp`; the wait status, output in buf. */
static int run_probe(const nscore_seccomp *seccomp, const char *const *calls, char *buf, size_t n)
{
    nscore_spawn_config *cfg = probe_config(calls);
    int s = -1;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_seccomp(cfg, seccomp, &err));
    s = t_run_capture(cfg, buf, n, 10000);
out:
    nscore_spawn_config_free(cfg);
    return s;
}

/* Checks that the probe's output holds `line` (and prints the output when it does not). */
#define CHECK_LINE(buf, line)                                                                                 \
    do {                                                                                                      \
        if (strstr((buf), (line)) == NULL)                                                                    \
            fprintf(stderr, "probe said:\n%s(expected the line \"%s\")\n", (buf), (line));                   \
        CHECK(strstr((buf), (line)) != NULL);                                                                 \
    } while (0)

#define CHECK_EXITED_0(s)                                                                                     \
    do {                                                                                                      \
        if (!(WIFEXITED(s) && WEXITSTATUS(s) == 0)) fprintf(stderr, "wait status 0x%x\n", (unsigned)(s));       \
        CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);                                                           \
    } while (0)

/* A profile: default ALLOW, one rule `name` -> action/data. NULL on failure. */
static nscore_seccomp *one_rule(const char *name, int action, uint32_t data)
{
    nscore_seccomp *s = NULL;
    const char *names[] = {name};
    OK(nscore_seccomp_new(&s, NSCORE_SECCOMP_ALLOW, 0, &err));
    OK(nscore_seccomp_add_rule(s, names, 1, action, data, NULL, 0, &err));
    return s;
out:
    nscore_seccomp_free(s);
    return NULL;
}

/* The "Seccomp:" value of /proc/PID/status (0 none, 1 strict, 2 filter), or -1. */
static int seccomp_mode(pid_t pid)
{
    char path[64], buf[8192];
    const char *line;
    int fd;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return -1;
    t_read_all(fd, buf, sizeof buf);
    close(fd);
    line = strstr(buf, "\nSeccomp:");
    return line == NULL ? -1 : atoi(line + strlen("\nSeccomp:"));
}

/* ---- Cases ------------------------------------------------------------------------------- */

/* getppid -> ERRNO(77), the default action for the rest; a profile freed before the spawn
 * (set_seccomp copies it). */
static void errno_rule(void)
{
    const char *calls[] = {"getppid", "getpgid:0", NULL};
    nscore_seccomp *s = one_rule("getppid", NSCORE_SECCOMP_ERRNO, 77);
    nscore_spawn_config *cfg = probe_config(calls);
    char buf[512];
    int st;
    REQUIRE(s != NULL && cfg != NULL);
    OK(nscore_spawn_config_set_seccomp(cfg, s, &err));
    nscore_seccomp_free(s);
    s = NULL;
    st = t_run_capture(cfg, buf, sizeof buf, 10000);
    CHECK_EXITED_0(st);
    CHECK_LINE(buf, "getppid -1 77\n");
    CHECK_LINE(buf, "getpgid ok 0\n");
    /* NULL: back to the default, which for a spawn without a root filesystem is no filter. */
    OK(nscore_spawn_config_set_seccomp(cfg, NULL, &err));
    st = t_run_capture(cfg, buf, sizeof buf, 10000);
    CHECK_EXITED_0(st);
    CHECK_LINE(buf, "getppid ok 0\n");
out:
    nscore_seccomp_free(s);
    nscore_spawn_config_free(cfg);
}

/* Every action, as the command sees it. */
static void every_action(void)
{
    const char *calls[] = {"getpgid:0", "getppid", "getpgid:0", NULL};
    nscore_seccomp *s = NULL;
    char buf[512];
    int st;

    /* KILL_PROCESS and KILL_THREAD: SIGSYS, after the first call printed. */
    for (int i = 0; i < 2; i++) {
        s = one_rule("getppid", i == 0 ? NSCORE_SECCOMP_KILL_PROCESS : NSCORE_SECCOMP_KILL_THREAD, 0);
        REQUIRE(s != NULL);
        st = run_probe(s, calls, buf, sizeof buf);
        if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS))
            fprintf(stderr, "kill %d: status 0x%x, said %s\n", i, (unsigned)st, buf);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
        CHECK(strcmp(buf, "getpgid ok 0\n") == 0);
        nscore_seccomp_free(s);
        s = NULL;
    }
    /* TRAP: a SIGSYS the command catches, with the syscall's number. */
    s = one_rule("getppid", NSCORE_SECCOMP_TRAP, 0);
    REQUIRE(s != NULL);
    st = run_probe(s, calls, buf, sizeof buf);
    CHECK_EXITED_0(st);
    {
        char want[32];
        snprintf(want, sizeof want, "trap %d\n", (int)SYS_getppid);
        CHECK_LINE(buf, want);
    }
    nscore_seccomp_free(s);
    /* TRACE without a tracer: ENOSYS. */
    s = one_rule("getppid", NSCORE_SECCOMP_TRACE, 1234);
    REQUIRE(s != NULL);
    st = run_probe(s, calls, buf, sizeof buf);
    CHECK_EXITED_0(st);
    CHECK_LINE(buf, "getppid -1 38\n");
    nscore_seccomp_free(s);
    /* LOG and ALLOW: the call runs. */
    for (int i = 0; i < 2; i++) {
        s = one_rule("getppid", i == 0 ? NSCORE_SECCOMP_LOG : NSCORE_SECCOMP_ALLOW, 0);
        REQUIRE(s != NULL);
        st = run_probe(s, calls, buf, sizeof buf);
        CHECK_EXITED_0(st);
        CHECK(strcmp(buf, "getpgid ok 0\ngetppid ok 0\ngetpgid ok 0\n") == 0);
        nscore_seccomp_free(s);
        s = NULL;
    }
    /* A default action of ERRNO with allowed calls: everything not allowed fails. With
     * no_new_privs the filter is installed just before execve (without it, as root, before the
     * child sets up stdio, which this profile would refuse). */
    OK(nscore_seccomp_new(&s, NSCORE_SECCOMP_ERRNO, 13, &err));
    {
        /* What the probe (a dynamic program) needs to start, print and exit. */
        const char *needed[] = {"execve", "brk", "mmap", "munmap", "mprotect", "openat", "open", "close", "read",
                                "pread64", "fstat", "newfstatat", "stat", "access", "arch_prctl", "set_tid_address",
                                "set_robust_list", "rseq", "prlimit64", "getrandom", "write", "exit_group",
                                "rt_sigaction", "rt_sigprocmask", "prctl", "getpgid", "futex", "readlink",
                                "statx", "fcntl", "ioctl", "lseek", "madvise", "sched_getaffinity", "sysinfo",
                                "gettid", "getpid", "clock_gettime", "uname", "readlinkat", "mremap", "faccessat2"};
        size_t count = sizeof needed / sizeof needed[0];
        OK(nscore_seccomp_add_rule(s, needed, count, NSCORE_SECCOMP_ALLOW, 0, NULL, 0, &err));
    }
    {
        nscore_spawn_config *cfg = probe_config(calls);
        REQUIRE(cfg != NULL);
        if (nscore_spawn_config_set_no_new_privileges(cfg, 1, NULL) == 0 &&
            nscore_spawn_config_set_seccomp(cfg, s, NULL) == 0)
            st = t_run_capture(cfg, buf, sizeof buf, 10000);
        else
            st = -1;
        nscore_spawn_config_free(cfg);
    }
    CHECK_EXITED_0(st);
    CHECK(strcmp(buf, "getpgid ok 0\ngetppid -1 13\ngetpgid ok 0\n") == 0);
    if (strcmp(buf, "getpgid ok 0\ngetppid -1 13\ngetpgid ok 0\n") != 0) fprintf(stderr, "default ERRNO: %s\n", buf);
out:
    nscore_seccomp_free(s);
}

/* Argument comparisons: getpgid(ARG) fails with a different errno per operator. */
static void argument_rules(void)
{
    const char *calls[] = {"getpgid:0", "getpgid:0x1234", "getpgid:0x10000", "getpgid:0x100000001", "getpgid:7", NULL};
    const char *getpgid[] = {"getpgid"};
    nscore_seccomp_arg masked = {0, NSCORE_SECCOMP_CMP_MASKED_EQ, 0xff00, 0x1200};
    nscore_seccomp_arg big[] = {{0, NSCORE_SECCOMP_CMP_GT, 0xffff, 0}, {0, NSCORE_SECCOMP_CMP_LE, 0x10000, 0}};
    nscore_seccomp_arg high = {0, NSCORE_SECCOMP_CMP_GE, 0x100000000ull, 0};
    nscore_seccomp_arg seven = {0, NSCORE_SECCOMP_CMP_EQ, 7, 0};
    nscore_seccomp *s = NULL;
    char buf[512];
    int st;
    OK(nscore_seccomp_new(&s, NSCORE_SECCOMP_ALLOW, 0, &err));
    OK(nscore_seccomp_add_rule(s, getpgid, 1, NSCORE_SECCOMP_ERRNO, 11, &masked, 1, &err));
    /* One argument compared twice: either comparison (GT 0xffff or LE 0x10000) matches, so
     * every value that reaches this rule does. Rules are tried in order. */
    OK(nscore_seccomp_add_rule(s, getpgid, 1, NSCORE_SECCOMP_ERRNO, 12, &high, 1, &err));
    OK(nscore_seccomp_add_rule(s, getpgid, 1, NSCORE_SECCOMP_ERRNO, 14, &seven, 1, &err));
    OK(nscore_seccomp_add_rule(s, getpgid, 1, NSCORE_SECCOMP_ERRNO, 15, big, 2, &err));
    st = run_probe(s, calls, buf, sizeof buf);
    CHECK_EXITED_0(st);
    if (strcmp(buf, "getpgid -1 15\ngetpgid -1 11\ngetpgid -1 15\ngetpgid -1 12\ngetpgid -1 14\n") != 0)
        fprintf(stderr, "argument rules: probe said:\n%s", buf);
    CHECK(strcmp(buf, "getpgid -1 15\ngetpgid -1 11\ngetpgid -1 15\ngetpgid -1 12\ngetpgid -1 14\n") == 0);
    nscore_seccomp_free(s);
    s = NULL;
    /* NE: every value but 0 fails. */
    {
        nscore_seccomp_arg ne = {0, NSCORE_SECCOMP_CMP_NE, 0, 0};
        nscore_seccomp_arg lt = {0, NSCORE_SECCOMP_CMP_LT, 8, 0};
        const char *two[] = {"getpgid:0", "getpgid:7", "getpgid:9", NULL};
        OK(nscore_seccomp_new(&s, NSCORE_SECCOMP_ALLOW, 0, &err));
        OK(nscore_seccomp_add_rule(s, getpgid, 1, NSCORE_SECCOMP_ERRNO, 21, &lt, 1, &err));
        OK(nscore_seccomp_add_rule(s, getpgid, 1, NSCORE_SECCOMP_ERRNO, 22, &ne, 1, &err));
        st = run_probe(s, two, buf, sizeof buf);
        CHECK_EXITED_0(st);
        CHECK(strcmp(buf, "getpgid -1 21\ngetpgid -1 21\ngetpgid -1 22\n") == 0);
        if (strcmp(buf, "getpgid -1 21\ngetpgid -1 21\ngetpgid -1 22\n") != 0) fprintf(stderr, "NE/LT: %s\n", buf);
    }
out:
    nscore_seccomp_free(s);
}

/* Waits up to 10 s for a notification on `listener` and reads it. */
static int receive(int listener, nscore_seccomp_notification *n)
{
    struct pollfd p = {listener, POLLIN, 0};
    int r = poll(&p, 1, 10000);
    if (r != 1 || !(p.revents & POLLIN)) {
        fprintf(stderr, "no notification within 10 s (poll %d, revents 0x%x)\n", r, (unsigned)p.revents);
        return -1;
    }
    OK(nscore_seccomp_notification_receive(listener, n, &err));
    return 0;
out:
    return -1;
}

/* NOTIFY: mkdir is held until we answer: ERROR(EACCES), then VALUE(0) (nothing made), then
 * CONTINUE (the directory is made). */
static void notify(void)
{
    char a[PATH_MAX], b[PATH_MAX], c_[PATH_MAX], ca[PATH_MAX + 8], cb[PATH_MAX + 8], cc[PATH_MAX + 8];
    const char *calls[] = {ca, cb, cc, NULL};
    const char *names[] = {"mkdir", "mkdirat"};
    nscore_seccomp *s = NULL;
    nscore_spawn_config *cfg = NULL;
    nscore_container *c = NULL;
    nscore_seccomp_notification n;
    int outp[2] = {-1, -1}, listener, st = -1;
    uint32_t flags = 0;
    size_t len = 0;
    char buf[512];
    snprintf(a, sizeof a, "%s/a", base);
    snprintf(b, sizeof b, "%s/b", base);
    snprintf(c_, sizeof c_, "%s/c", base);
    snprintf(ca, sizeof ca, "mkdir:%s", a);
    snprintf(cb, sizeof cb, "mkdir:%s", b);
    snprintf(cc, sizeof cc, "mkdir:%s", c_);
    OK(nscore_seccomp_new(&s, NSCORE_SECCOMP_ALLOW, 0, &err));
    OK(nscore_seccomp_add_rule(s, names, 2, NSCORE_SECCOMP_NOTIFY, 0, NULL, 0, &err));
    OK(nscore_seccomp_compile(s, NULL, 0, &len, &flags, &err));
    CHECK(flags == 8); /* SECCOMP_FILTER_FLAG_NEW_LISTENER */
    cfg = probe_config(calls);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_seccomp(cfg, s, &err));
    REQUIRE(pipe2(outp, O_CLOEXEC) == 0);
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, outp[1], &err));
    OK(nscore_spawn(cfg, &c, &err));
    close(outp[1]);
    outp[1] = -1;
    listener = nscore_container_seccomp_listener(c);
    REQUIRE(listener >= 3);
    CHECK(fcntl(listener, F_GETFD) == FD_CLOEXEC);

    REQUIRE(receive(listener, &n) == 0);
    CHECK(n.pid == nscore_container_pid(c));
    CHECK(n.reserved == 0);
#if defined(__x86_64__)
    CHECK(n.arch == AUDIT_ARCH_X86_64 && n.nr == SYS_mkdir);
    CHECK(n.args[1] == 0755);
#elif defined(__aarch64__)
    CHECK(n.arch == AUDIT_ARCH_AARCH64 && n.nr == SYS_mkdirat);
#endif
    CHECK(nscore_seccomp_syscall_name(n.arch, n.nr) != NULL);
    if (nscore_seccomp_syscall_name(n.arch, n.nr) != NULL)
        CHECK(strncmp(nscore_seccomp_syscall_name(n.arch, n.nr), "mkdir", 5) == 0);
    FAILS(nscore_seccomp_notification_respond(listener, n.id, NSCORE_SECCOMP_RESPOND_ERROR, 0, &err), NSCORE_EINVAL,
          "1 to 4095");
    FAILS(nscore_seccomp_notification_respond(listener, n.id, 3, 0, &err), NSCORE_EINVAL, "response 3");
    OK(nscore_seccomp_notification_respond(listener, n.id, NSCORE_SECCOMP_RESPOND_ERROR, EACCES, &err));
    /* Answered already: EINPROGRESS until the thread took the answer, ENOENT after. */
    {
        nscore_error *e = NULL;
        int rc = nscore_seccomp_notification_respond(listener, n.id, NSCORE_SECCOMP_RESPOND_VALUE, 0, &e);
        CHECK(rc == NSCORE_EBUSY || rc == NSCORE_ENOTFOUND);
        CHECK(e != NULL && strstr(nscore_error_message(e), "notification") != NULL);
        nscore_error_free(e);
    }
    /* An id the kernel never gave. */
    FAILS(nscore_seccomp_notification_respond(listener, n.id ^ 0x5a5a5a5a, NSCORE_SECCOMP_RESPOND_VALUE, 0, &err),
          NSCORE_ENOTFOUND, "is gone");

    REQUIRE(receive(listener, &n) == 0);
    OK(nscore_seccomp_notification_respond(listener, n.id, NSCORE_SECCOMP_RESPOND_VALUE, 0, &err));
    REQUIRE(receive(listener, &n) == 0);
    OK(nscore_seccomp_notification_respond(listener, n.id, NSCORE_SECCOMP_RESPOND_CONTINUE, 0, &err));

    t_read_all(outp[0], buf, sizeof buf);
    OK(nscore_container_wait(c, 10000, &st, &err));
    CHECK_EXITED_0(st);
    if (strstr(buf, "mkdir -1 13\nmkdir 0 0\nmkdir 0 0\n") == NULL) fprintf(stderr, "notify: probe said:\n%s", buf);
    CHECK(strcmp(buf, "mkdir -1 13\nmkdir 0 0\nmkdir 0 0\n") == 0);
    CHECK(access(a, F_OK) != 0 && access(b, F_OK) != 0); /* ERROR and VALUE ran nothing */
    CHECK(access(c_, F_OK) == 0);                        /* CONTINUE ran it */
    rmdir(c_);
    /* Every process of the filter is gone: the listener hangs up. */
    {
        struct pollfd p = {listener, POLLIN, 0};
        CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLHUP));
    }
out:
    if (outp[0] >= 0) close(outp[0]);
    if (outp[1] >= 0) close(outp[1]);
    nscore_container_free(c); /* closes the listener */
    nscore_spawn_config_free(cfg);
    nscore_seccomp_free(s);
}

/* Unprivileged, installing a filter needs no_new_privs or a user namespace. */
static void unprivileged(void)
{
    const char *argv[] = {self, "probe", "getppid", NULL};
    nscore_seccomp *s = one_rule("getppid", NSCORE_SECCOMP_ERRNO, 77);
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    char buf[256];
    int st;
    REQUIRE(s != NULL && cfg != NULL);
    OK(nscore_spawn_config_set_seccomp(cfg, s, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EPERM, "seccomp (install the filter)");
    CHECK(c == NULL);
    OK(nscore_spawn_config_set_no_new_privileges(cfg, 1, &err));
    st = t_run_capture(cfg, buf, sizeof buf, 10000);
    CHECK_EXITED_0(st);
    CHECK_LINE(buf, "getppid -1 77\n");
out:
    nscore_container_free(c);
    nscore_seccomp_free(s);
    nscore_spawn_config_free(cfg);
}

/* A container without a notifying rule has no listener. */
static void no_listener(void)
{
    const char *calls[] = {"getppid", NULL};
    nscore_spawn_config *cfg = probe_config(calls);
    nscore_seccomp *s = one_rule("getppid", NSCORE_SECCOMP_ERRNO, 1);
    nscore_container *c = NULL;
    nscore_seccomp_notification n;
    REQUIRE(cfg != NULL && s != NULL);
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_NULL, -1, &err));
    OK(nscore_spawn_config_set_seccomp(cfg, s, &err));
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(nscore_container_seccomp_listener(c) == -1);
    CHECK(nscore_container_seccomp_listener(NULL) == -1);
    FAILS(nscore_seccomp_notification_receive(-1, &n, &err), NSCORE_EINVAL, "listener -1");
    FAILS(nscore_seccomp_notification_receive(0, NULL, &err), NSCORE_EINVAL, "out");
    FAILS(nscore_seccomp_notification_respond(-1, 1, NSCORE_SECCOMP_RESPOND_CONTINUE, 0, &err), NSCORE_EINVAL,
          "listener -1");
    OK(nscore_container_wait(c, 10000, NULL, &err));
out:
    nscore_container_free(c);
    nscore_seccomp_free(s);
    nscore_spawn_config_free(cfg);
}

/* The default profile of a container with a root filesystem, seen from outside; unconfined
 * installs nothing; a plain spawn has no filter. */
static void default_profile(void)
{
    char rootfs[PATH_MAX];
    const char *sleeper[] = {"sleep", "30", NULL};
    uint32_t ns = NSCORE_NS_MNT | NSCORE_NS_PID | NSCORE_NS_IPC | NSCORE_NS_UTS | (rootless ? NSCORE_NS_USER : 0);
    nscore_spawn_config *cfg = NULL;
    nscore_container *c = NULL;
    nscore_seccomp *s = NULL;
    char cmd[3 * PATH_MAX];
    snprintf(rootfs, sizeof rootfs, "%s/root", base);
    snprintf(cmd, sizeof cmd, "bash '%s/tools/make-test-rootfs.sh' '%s' > /dev/null", repo, rootfs);
    REQUIRE(system(cmd) == 0);
    cfg = t_config(sleeper, ns);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_root(cfg, rootfs, 0, &err));
    if (rootless) OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(seccomp_mode(nscore_container_pid(c)) == 2);
    CHECK(t_file_contains("/proc/self/status", "Seccomp:\t0")); /* not us */
    nscore_container_free(c);
    c = NULL;
    /* Unconfined: nothing installed. */
    OK(nscore_spawn_config_set_seccomp_unconfined(cfg, &err));
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(seccomp_mode(nscore_container_pid(c)) == 0);
    nscore_container_free(c);
    c = NULL;
    /* An explicit default profile is the same as none. */
    OK(nscore_seccomp_default(&s, &err));
    OK(nscore_spawn_config_set_seccomp(cfg, s, &err));
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(seccomp_mode(nscore_container_pid(c)) == 2);
    nscore_container_free(c);
    c = NULL;
    nscore_spawn_config_free(cfg);
    /* No root filesystem: no filter by default. */
    cfg = t_config(sleeper, rootless ? NSCORE_NS_USER : 0);
    REQUIRE(cfg != NULL);
    if (rootless) OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(seccomp_mode(nscore_container_pid(c)) == 0);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    nscore_seccomp_free(s);
}

/* OCI JSON in, and out again; errors name the place. */
static void json(void)
{
    static const char good[] = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                               "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":77,\"comment\":\"x\"},{\"names\":"
                               "[\"getpgid\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":5,"
                               "\"op\":\"SCMP_CMP_EQ\"}]}]}";
    static const char config[] = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":{\"defaultAction\":"
                                 "\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":"
                                 "\"SCMP_ACT_ERRNO\",\"errnoRet\":78}]}}}";
    const char *calls[] = {"getppid", "getpgid:5", "getpgid:0", NULL};
    nscore_seccomp *s = NULL, *t = NULL;
    char *text = NULL, *again = NULL, buf[512];
    int st;
    OK(nscore_seccomp_from_json(&s, good, strlen(good), &err));
    st = run_probe(s, calls, buf, sizeof buf);
    CHECK_EXITED_0(st);
    CHECK(strcmp(buf, "getppid -1 77\ngetpgid -1 1\ngetpgid ok 0\n") == 0);
    /* Written out and read back: the same document. */
    OK(nscore_seccomp_to_json(s, &text, &err));
    CHECK(strstr(text, "\"errnoRet\":77") != NULL && strstr(text, "\"op\":\"SCMP_CMP_EQ\"") != NULL);
    OK(nscore_seccomp_from_json(&t, text, strlen(text), &err));
    OK(nscore_seccomp_to_json(t, &again, &err));
    CHECK(strcmp(text, again) == 0);
    nscore_seccomp_free(s);
    s = NULL;
    /* A whole config.json; the length bounds the text (no NUL needed). */
    {
        char copy[sizeof config + 8];
        memcpy(copy, config, sizeof config - 1);
        memcpy(copy + sizeof config - 1, "garbage", 8);
        OK(nscore_seccomp_from_json(&s, copy, sizeof config - 1, &err));
    }
    st = run_probe(s, calls, buf, sizeof buf);
    CHECK_EXITED_0(st);
    CHECK_LINE(buf, "getppid -1 78\n");

    /* Bad ones: *out stays NULL. */
    {
        static const struct {
            const char *json;
            const char *needle;
        } bad[] = {
            {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\",\"fly\"],\"action\":"
             "\"SCMP_ACT_ERRNO\"}]}",
             "syscalls[0].names[1]: unknown syscall 'fly'"},
            {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":"
             "\"SCMP_ACT_ERRNO\"},{\"names\":[\"getpgid\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
             "\"value\":1,\"op\":\"SCMP_CMP_FOO\"}]}]}",
             "syscalls[1].args[0].op: unknown operator 'SCMP_CMP_FOO'"},
            {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
             "\"action\":\"SCMP_ACT_FLY\"}]}",
             "syscalls[0].action: unknown action 'SCMP_ACT_FLY'"},
            {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
             "architectures[0]: unknown architecture 'SCMP_ARCH_VAX'"},
            {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":"
             "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"op\":\"SCMP_CMP_EQ\"}]}]}",
             "syscalls[0].args[0].index"},
            {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/x.sock\"}", "listenerPath"},
            {"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[]}", "archMap"},
            {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscals\":[]}", "syscals"},
            {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"fly\"],"
             "\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
             "unknown syscall 'fly'"},
            {"{\"defaultAction\":", "not valid JSON"},
            {"", "not valid JSON"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            nscore_seccomp *x = NULL;
            FAILS(nscore_seccomp_from_json(&x, bad[i].json, strlen(bad[i].json), &err), NSCORE_EINVAL, bad[i].needle);
            CHECK(x == NULL);
            nscore_seccomp_free(x);
        }
        FAILS(nscore_seccomp_from_json(&t, "{}\0{}", 5, &err), NSCORE_EINVAL, "NUL byte at offset 2");
        FAILS(nscore_seccomp_from_json(&t, NULL, 0, &err), NSCORE_EINVAL, "json");
        FAILS(nscore_seccomp_from_json(NULL, good, strlen(good), &err), NSCORE_EINVAL, "out");
        FAILS(nscore_seccomp_from_json(&t, "\"\xff\"", 3, &err), NSCORE_EINVAL, "UTF-8");
        FAILS(nscore_seccomp_to_json(NULL, &text, &err), NSCORE_EINVAL, "seccomp");
    }
out:
    nscore_string_free(text);
    nscore_string_free(again);
    nscore_seccomp_free(s);
    nscore_seccomp_free(t);
}

/* compile(): sock_filter bytes, the size query, a buffer too small. */
static void compile(void)
{
    nscore_seccomp *s = one_rule("getppid", NSCORE_SECCOMP_ERRNO, 77);
    unsigned char small[16], *prog = NULL;
    size_t len = 0, len2 = 0;
    uint32_t flags = 99;
    REQUIRE(s != NULL);
    OK(nscore_seccomp_compile(s, NULL, 0, &len, &flags, &err));
    CHECK(len > 0 && len % 8 == 0);
    CHECK(flags == 0);
    prog = malloc(len);
    REQUIRE(prog != NULL);
    OK(nscore_seccomp_compile(s, prog, len, &len2, NULL, &err));
    CHECK(len2 == len);
    /* struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }: first `ld [4]` (the arch). */
    {
        uint16_t code;
        uint32_t k;
        memcpy(&code, prog, 2);
        memcpy(&k, prog + 4, 4);
        CHECK(code == 0x20 && k == 4);
    }
    FAILS(nscore_seccomp_compile(s, small, sizeof small, &len2, NULL, &err), NSCORE_EINVAL, "the filter needs");
    CHECK(len2 == len);
    FAILS(nscore_seccomp_compile(s, NULL, 8, &len2, NULL, &err), NSCORE_EINVAL, "buffer");
    FAILS(nscore_seccomp_compile(s, prog, len, NULL, NULL, &err), NSCORE_EINVAL, "length_out");
    FAILS(nscore_seccomp_compile(NULL, prog, len, &len2, NULL, &err), NSCORE_EINVAL, "seccomp");
    /* Flags come out as given. */
    OK(nscore_seccomp_set_flags(s, NSCORE_SECCOMP_FLAG_LOG | NSCORE_SECCOMP_FLAG_SPEC_ALLOW, &err));
    OK(nscore_seccomp_compile(s, NULL, 0, &len2, &flags, &err));
    CHECK(flags == 6);
    /* The default profile: hundreds of instructions. */
    nscore_seccomp_free(s);
    s = NULL;
    OK(nscore_seccomp_default(&s, &err));
    OK(nscore_seccomp_compile(s, NULL, 0, &len2, &flags, &err));
    CHECK(len2 / 8 > 50 && len2 / 8 <= 4096);
    {
        char *text = NULL;
        OK(nscore_seccomp_to_json(s, &text, &err));
        CHECK(strstr(text, "\"defaultAction\":\"SCMP_ACT_ERRNO\"") != NULL && strstr(text, "\"read\"") != NULL);
        nscore_string_free(text);
    }
out:
    free(prog);
    nscore_seccomp_free(s);
}

/* A profile that refuses execve (or execveat under init) is refused before anything starts,
 * naming the call. */
static void refuses_execve(void)
{
    const char *calls[] = {"getppid", NULL};
    nscore_spawn_config *cfg = probe_config(calls);
    nscore_seccomp *s = one_rule("execve", NSCORE_SECCOMP_ERRNO, 1), *k = NULL;
    nscore_container *c = NULL;
    REQUIRE(cfg != NULL && s != NULL);
    OK(nscore_spawn_config_set_seccomp(cfg, s, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "gives execve SCMP_ACT_ERRNO(1)");
    CHECK(c == NULL);
    /* compile() says so too; reading such a profile from JSON is fine (it is a profile). */
    {
        size_t len = 0;
        static const char partial[] = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
                                      "[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
        nscore_seccomp *j = NULL;
        FAILS(nscore_seccomp_compile(s, NULL, 0, &len, NULL, &err), NSCORE_EINVAL, "execve");
        OK(nscore_seccomp_from_json(&j, partial, strlen(partial), &err));
        OK(nscore_spawn_config_set_seccomp(cfg, j, &err));
        nscore_seccomp_free(j);
        FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "gives execve SCMP_ACT_ERRNO(1)");
        CHECK(c == NULL);
    }
    OK(nscore_seccomp_new(&k, NSCORE_SECCOMP_KILL_PROCESS, 0, &err));
    OK(nscore_spawn_config_set_seccomp(cfg, k, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "execve");
    CHECK(c == NULL);
    nscore_seccomp_free(s);
    s = one_rule("execveat", NSCORE_SECCOMP_ERRNO, 1);
    REQUIRE(s != NULL);
    OK(nscore_spawn_config_set_seccomp(cfg, s, &err));
    OK(nscore_spawn_config_set_init(cfg, 1, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "execveat");
    CHECK(c == NULL);
    CHECK(t_count_children() == 0);
out:
    nscore_container_free(c);
    nscore_seccomp_free(s);
    nscore_seccomp_free(k);
    nscore_spawn_config_free(cfg);
}

static void bad_input(void)
{
    nscore_seccomp *s = NULL;
    const char *names[] = {"getppid", "fly"}, *one[] = {"getppid"}, *null_name[] = {NULL};
    nscore_seccomp_arg bad_op = {0, 9, 0, 0}, bad_index = {6, NSCORE_SECCOMP_CMP_EQ, 0, 0};
    char *text = NULL;
    FAILS(nscore_seccomp_new(&s, 8, 0, &err), NSCORE_EINVAL, "default_action 8 is not an NSCORE_SECCOMP_* action");
    CHECK(s == NULL);
    FAILS(nscore_seccomp_new(&s, -1, 0, &err), NSCORE_EINVAL, "default_action -1");
    FAILS(nscore_seccomp_new(&s, NSCORE_SECCOMP_ERRNO, 4096, &err), NSCORE_EINVAL, "errno 4096 is out of range");
    FAILS(nscore_seccomp_new(&s, NSCORE_SECCOMP_TRACE, 65536, &err), NSCORE_EINVAL, "trace value 65536");
    FAILS(nscore_seccomp_new(&s, NSCORE_SECCOMP_KILL_PROCESS, 1, &err), NSCORE_EINVAL,
          "data must be 0 with NSCORE_SECCOMP_KILL_PROCESS");
    FAILS(nscore_seccomp_new(NULL, NSCORE_SECCOMP_ALLOW, 0, &err), NSCORE_EINVAL, "out");
    FAILS(nscore_seccomp_default(NULL, &err), NSCORE_EINVAL, "out");
    OK(nscore_seccomp_new(&s, NSCORE_SECCOMP_ALLOW, 0, &err));
    FAILS(nscore_seccomp_add_rule(s, names, 2, NSCORE_SECCOMP_ERRNO, 1, NULL, 0, &err), NSCORE_EINVAL,
          "names[1]: unknown syscall 'fly'");
    FAILS(nscore_seccomp_add_rule(s, one, 1, 42, 0, NULL, 0, &err), NSCORE_EINVAL, "action 42");
    FAILS(nscore_seccomp_add_rule(s, one, 1, NSCORE_SECCOMP_ERRNO, 1, &bad_op, 1, &err), NSCORE_EINVAL,
          "args[0].op 9 is not an NSCORE_SECCOMP_CMP_* operator");
    FAILS(nscore_seccomp_add_rule(s, one, 1, NSCORE_SECCOMP_ERRNO, 1, &bad_index, 1, &err), NSCORE_EINVAL,
          "args[0].index is 6");
    FAILS(nscore_seccomp_add_rule(s, one, 1, NSCORE_SECCOMP_ERRNO, 1, NULL, 1, &err), NSCORE_EINVAL, "args is NULL");
    FAILS(nscore_seccomp_add_rule(s, one, 0, NSCORE_SECCOMP_ERRNO, 1, NULL, 0, &err), NSCORE_EINVAL, "count is 0");
    FAILS(nscore_seccomp_add_rule(s, NULL, 1, NSCORE_SECCOMP_ERRNO, 1, NULL, 0, &err), NSCORE_EINVAL, "names");
    FAILS(nscore_seccomp_add_rule(s, null_name, 1, NSCORE_SECCOMP_ERRNO, 1, NULL, 0, &err), NSCORE_EINVAL, "names[0]");
    FAILS(nscore_seccomp_add_rule(NULL, one, 1, NSCORE_SECCOMP_ERRNO, 1, NULL, 0, &err), NSCORE_EINVAL, "seccomp");
    FAILS(nscore_seccomp_add_architecture(s, "SCMP_ARCH_VAX", &err), NSCORE_EINVAL,
          "unknown architecture 'SCMP_ARCH_VAX'; the known ones are SCMP_ARCH_X86_64");
    FAILS(nscore_seccomp_add_architecture(s, NULL, &err), NSCORE_EINVAL, "name");
    FAILS(nscore_seccomp_set_flags(s, 8, &err), NSCORE_EINVAL, "unknown flag bits 0x8");
    FAILS(nscore_seccomp_set_flags(s, 0x80000001u, &err), NSCORE_EINVAL, "0x80000000");
    FAILS(nscore_spawn_config_set_seccomp(NULL, s, &err), NSCORE_EINVAL, "cfg");
    FAILS(nscore_spawn_config_set_seccomp_unconfined(NULL, &err), NSCORE_EINVAL, "cfg");
    /* Nothing of the failed calls stayed. */
    OK(nscore_seccomp_add_architecture(s, "SCMP_ARCH_X86_64", &err));
    OK(nscore_seccomp_add_architecture(s, "SCMP_ARCH_X86_64", &err));
    OK(nscore_seccomp_add_architecture(s, "SCMP_ARCH_AARCH64", &err));
    OK(nscore_seccomp_set_flags(s, NSCORE_SECCOMP_FLAG_TSYNC | NSCORE_SECCOMP_FLAG_WAIT_KILLABLE_RECV, &err));
    OK(nscore_seccomp_to_json(s, &text, &err));
    {
        static const char want[] = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                                   "\"SCMP_ARCH_AARCH64\"],\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
                                   "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],\"syscalls\":[]}";
        if (strcmp(text, want) != 0) fprintf(stderr, "to_json: %s\n", text);
        CHECK(strcmp(text, want) == 0);
    }
    /* Syscall names. */
#if defined(__x86_64__)
    CHECK(nscore_seccomp_syscall_name(AUDIT_ARCH_X86_64, SYS_getppid) != NULL &&
          strcmp(nscore_seccomp_syscall_name(AUDIT_ARCH_X86_64, SYS_getppid), "getppid") == 0);
    CHECK(nscore_seccomp_syscall_name(0x40000003u, 20) != NULL &&
          strcmp(nscore_seccomp_syscall_name(0x40000003u, 20), "getpid") == 0); /* i386 */
#endif
    CHECK(nscore_seccomp_syscall_name(AUDIT_ARCH_AARCH64, 34) != NULL &&
          strcmp(nscore_seccomp_syscall_name(AUDIT_ARCH_AARCH64, 34), "mkdirat") == 0);
    CHECK(nscore_seccomp_syscall_name(AUDIT_ARCH_X86_64, 100000) == NULL);
    CHECK(nscore_seccomp_syscall_name(AUDIT_ARCH_X86_64, -1) == NULL);
    CHECK(nscore_seccomp_syscall_name(0, 0) == NULL);
    nscore_seccomp_free(NULL);
out:
    nscore_string_free(text);
    nscore_seccomp_free(s);
}


/* Finds this program and the repository, makes the scratch directory. */
static int setup(const char *argv0)
{
    if (realpath(argv0, self) == NULL && readlink("/proc/self/exe", self, sizeof self - 1) < 0) return -1;
    if (t_find_repo(repo, sizeof repo) != 0) return -1;
    snprintf(base, sizeof base, "/tmp/nscore-seccomp-XXXXXX");
    if (mkdtemp(base) == NULL || chmod(base, 0777) != 0) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        base[0] = '\0';
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int fds;
    if (argc >= 2 && strcmp(argv[1], "probe") == 0) return probe(argc, argv);
    alarm(120);
    rootless = geteuid() != 0;
    if (setup(argv[0]) != 0) return 1;
    fds = t_count_fds();
    bad_input();
    compile();
    json();
    errno_rule();
    every_action();
    argument_rules();
    notify();
    no_listener();
    refuses_execve();
    if (rootless) unprivileged();
    default_profile();
    CHECK(t_count_fds() == fds);
    CHECK(t_count_children() == 0);
    if (base[0] != '\0') {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf --one-file-system '%s'", base);
        CHECK(system(cmd) == 0);
    }
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return t_result();
}
