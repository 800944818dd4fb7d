/*
 * seccompbench.c - section 10 (security): NSCore's default seccomp profile against the same
 * policy built with libseccomp, as runc builds Docker's default profile.
 *
 *   seccompbench install --rounds R --batch N [--policy FILE]
 *       compile + install: every sample is the median of N fresh forked children, each timing
 *       (CLOCK_MONOTONIC, the fork not timed, no_new_privs set and the bounding set cut to
 *       Docker's before the clock starts) from before the filter is built to after seccomp(2)
 *       returned. Three series per round, the order rotating: NSCore uncached (children of this
 *       process, which never compiles), NSCore cached (children of a helper process that
 *       compiled the profile once) and libseccomp.
 *   seccompbench syscall --rounds R --loops N [--policy FILE]
 *       the cost of one syscall under a filter: a fresh child installs NSCore's compiled default
 *       profile, libseccomp's, or nothing, then makes N raw getppid() calls, and, in a second
 *       series, N personality(0xffffffff) calls (allowed by an argument check, so the kernel's
 *       seccomp action cache cannot skip the filter for it), timed in blocks of 1000: the
 *       sample is the fastest block's time per call. Both filters are installed from their BPF
 *       bytes with the same seccomp(2) flags (0), so only the programs differ.
 *
 *   seccompbench libseccomp-bpf --policy FILE >OUT
 *       writes libseccomp's program (struct sock_filter array) for comparing with
 *       `nscore seccomp compile default` (a check, not a benchmark)
 *
 * FILE is the policy for libseccomp: `nscore seccomp default` (Docker's capability set)
 * converted by bench/run.sh into lines of text:
 *
 *   default ACTION DATA
 *   rule ACTION DATA NARGS [INDEX OP VALUE VALUE_TWO]... NNAMES NAME...
 *
 * ACTION is ALLOW, ERRNO, KILL_PROCESS, KILL_THREAD, TRAP, TRACE or LOG; OP is libseccomp's
 * SCMP_CMP_* number. The libseccomp side does what runc does with it: seccomp_init(default),
 * x86 and x32 added (Docker's three architectures on amd64), a rule whose action is the default
 * skipped, a rule that compares one argument more than once split into one rule per comparison,
 * each name resolved (names libseccomp does not know are skipped) and added with
 * seccomp_rule_add_array, then seccomp_load.
 *
 * Built without HAVE_LIBSECCOMP (no seccomp.h: Debian's libseccomp-dev is not installed), the
 * rows that need libseccomp are skipped with a note; the others still run.
 * Every result is a JSON line on stdout (benchutil.h); progress and errors go to stderr.
 */
#include "benchutil.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <nscore.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#ifdef HAVE_LIBSECCOMP
#include <seccomp.h>
#endif

static const char *SEC = "10. security: the default seccomp profile, capabilities, no_new_privs";
static const char *NO_LIBSECCOMP = "libseccomp-dev is not installed (bench/peers.sh)";

static int rounds = 5, batch = 5;
static long loops = 100000;
static const char *policy_path = NULL;

/* ---- the child's setup (never timed) ------------------------------------------------------- */

/* Docker's default capabilities: the bounding set a rootfs container has when its filter is
 * installed, and the set `nscore seccomp default` writes the profile for. */
static const int DOCKER_CAPS[] = { 0 /* CHOWN */,   1 /* DAC_OVERRIDE */, 3 /* FOWNER */,  4 /* FSETID */,
                                   5 /* KILL */,    6 /* SETGID */,       7 /* SETUID */,  8 /* SETPCAP */,
                                   10 /* NET_BIND_SERVICE */, 13 /* NET_RAW */, 18 /* SYS_CHROOT */,
                                   27 /* MKNOD */,  29 /* AUDIT_WRITE */,  31 /* SETFCAP */ };

static void docker_bounding_set(void)
{
    for (int cap = 0; cap < 64; cap++) {
        int keep = 0;
        for (size_t i = 0; i < sizeof DOCKER_CAPS / sizeof DOCKER_CAPS[0]; i++)
            keep |= DOCKER_CAPS[i] == cap;
        if (keep)
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break; /* past the kernel's last capability */
            die("PR_CAPBSET_DROP %d: %s", cap, strerror(errno));
        }
    }
}

/* What every measuring child does first: die with its parent, no_new_privs, Docker's bounding
 * set. */
static void child_setup(void)
{
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
    docker_bounding_set();
}

static int install_raw(const void *prog_bytes, size_t len, unsigned flags)
{
    struct sock_fprog prog = { .len = (unsigned short)(len / 8), .filter = (struct sock_filter *)prog_bytes };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/* ---- NSCore --------------------------------------------------------------------------------- */

static unsigned char ns_prog[4096 * 8];

static void ns_die(const char *what, nscore_error *err)
{
    die("%s: %s", what, err ? nscore_error_message(err) : "(no error object)");
}

/* nscore_seccomp_default + nscore_seccomp_compile into ns_prog; returns the length in bytes.
 * The profile is left to the caller to free (*out), after its clock stopped. */
static size_t ns_compile(uint32_t *flags, nscore_seccomp **out)
{
    nscore_seccomp *s = NULL;
    nscore_error *err = NULL;
    size_t len = 0;
    if (nscore_seccomp_default(&s, &err) < 0)
        ns_die("nscore_seccomp_default", err);
    if (nscore_seccomp_compile(s, ns_prog, sizeof ns_prog, &len, flags, &err) < 0)
        ns_die("nscore_seccomp_compile", err);
    *out = s;
    return len;
}

/* ---- libseccomp ----------------------------------------------------------------------------- */

#define MAX_RULES 256
#define MAX_NAMES 512

typedef struct {
    char action[16];
    uint32_t data;
    int nargs;
    struct {
        unsigned index, op;
        uint64_t value, value_two;
    } args[6];
    int nnames;
    char **names;
} policy_rule;

static policy_rule rules[MAX_RULES];
static int nrules;
static char default_action[16];
static uint32_t default_data;

/* Reads the policy file (before anything is timed). */
static void read_policy(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("%s: %s", path, strerror(errno));
    char tok[256];
    while (fscanf(f, "%255s", tok) == 1) {
        if (!strcmp(tok, "default")) {
            if (fscanf(f, "%15s %u", default_action, &default_data) != 2)
                die("%s: bad default line", path);
            continue;
        }
        if (strcmp(tok, "rule") || nrules == MAX_RULES)
            die("%s: unexpected '%s' (or over %d rules)", path, tok, MAX_RULES);
        policy_rule *r = &rules[nrules++];
        if (fscanf(f, "%15s %u %d", r->action, &r->data, &r->nargs) != 3 || r->nargs < 0 || r->nargs > 6)
            die("%s: bad rule %d", path, nrules);
        for (int i = 0; i < r->nargs; i++) {
            unsigned long long v, v2;
            if (fscanf(f, "%u %u %llu %llu", &r->args[i].index, &r->args[i].op, &v, &v2) != 4)
                die("%s: bad argument of rule %d", path, nrules);
            r->args[i].value = v;
            r->args[i].value_two = v2;
        }
        if (fscanf(f, "%d", &r->nnames) != 1 || r->nnames < 1 || r->nnames > MAX_NAMES)
            die("%s: bad name count of rule %d", path, nrules);
        r->names = calloc((size_t)r->nnames, sizeof *r->names);
        for (int i = 0; i < r->nnames; i++) {
            if (fscanf(f, "%255s", tok) != 1)
                die("%s: rule %d has too few names", path, nrules);
            r->names[i] = strdup(tok);
        }
    }
    fclose(f);
    if (!default_action[0] || !nrules)
        die("%s: no default action or no rule", path);
}

#ifdef HAVE_LIBSECCOMP
static uint32_t scmp_action(const char *name, uint32_t data)
{
    if (!strcmp(name, "ALLOW"))
        return SCMP_ACT_ALLOW;
    if (!strcmp(name, "ERRNO"))
        return SCMP_ACT_ERRNO(data);
    if (!strcmp(name, "KILL_PROCESS"))
        return SCMP_ACT_KILL_PROCESS;
    if (!strcmp(name, "KILL_THREAD"))
        return SCMP_ACT_KILL_THREAD;
    if (!strcmp(name, "TRAP"))
        return SCMP_ACT_TRAP;
    if (!strcmp(name, "TRACE"))
        return SCMP_ACT_TRACE(data);
    if (!strcmp(name, "LOG"))
        return SCMP_ACT_LOG;
    die("unknown action %s", name);
}

static void scmp_check(int rc, const char *what)
{
    if (rc < 0)
        die("%s: %s", what, strerror(-rc));
}

/* Builds the policy as runc does (see the top of the file); the caller loads or exports it. */
static scmp_filter_ctx scmp_build(void)
{
    uint32_t def = scmp_action(default_action, default_data);
    scmp_filter_ctx ctx = seccomp_init(def);
    if (!ctx)
        die("seccomp_init failed");
    scmp_check(seccomp_arch_add(ctx, SCMP_ARCH_X86), "seccomp_arch_add(x86)");
    scmp_check(seccomp_arch_add(ctx, SCMP_ARCH_X32), "seccomp_arch_add(x32)");
    for (int i = 0; i < nrules; i++) {
        const policy_rule *r = &rules[i];
        uint32_t act = scmp_action(r->action, r->data);
        if (act == def)
            continue; /* libseccomp refuses it (EACCES); runc skips it */
        struct scmp_arg_cmp cmp[6];
        int repeated = 0;
        for (int a = 0; a < r->nargs; a++) {
            cmp[a] = (struct scmp_arg_cmp){ r->args[a].index, (enum scmp_compare)r->args[a].op, r->args[a].value,
                                            r->args[a].value_two };
            for (int b = 0; b < a; b++)
                repeated |= r->args[b].index == r->args[a].index;
        }
        for (int n = 0; n < r->nnames; n++) {
            int nr = seccomp_syscall_resolve_name(r->names[n]);
            if (nr == __NR_SCMP_ERROR)
                continue; /* a syscall this libseccomp does not know: runc skips it too */
            if (!repeated) {
                scmp_check(seccomp_rule_add_array(ctx, act, nr, (unsigned)r->nargs, cmp), r->names[n]);
            } else {
                /* runc: comparisons of one argument are alternatives, one rule each */
                for (int a = 0; a < r->nargs; a++)
                    scmp_check(seccomp_rule_add_array(ctx, act, nr, 1, &cmp[a]), r->names[n]);
            }
        }
    }
    return ctx;
}

/* The BPF program libseccomp generates for the policy (built in this process, not loaded). */
static unsigned char *scmp_export(size_t *len)
{
    scmp_filter_ctx ctx = scmp_build();
    int fd = memfd_create("scmp-bpf", 0);
    if (fd < 0)
        die("memfd_create: %s", strerror(errno));
    scmp_check(seccomp_export_bpf(ctx, fd), "seccomp_export_bpf");
    seccomp_release(ctx);
    off_t n = lseek(fd, 0, SEEK_CUR);
    unsigned char *buf = malloc((size_t)n);
    if (n <= 0 || pread(fd, buf, (size_t)n, 0) != n)
        die("reading libseccomp's exported program: %s", strerror(errno));
    close(fd);
    *len = (size_t)n;
    return buf;
}
#endif

/* " 2.5.4", or "" without libseccomp. */
static const char *lib_version(void)
{
    static char v[32];
#ifdef HAVE_LIBSECCOMP
    const struct scmp_version *ver = seccomp_version();
    if (ver && !v[0])
        snprintf(v, sizeof v, " %u.%u.%u", ver->major, ver->minor, ver->micro);
#endif
    return v;
}

/* ---- install: one measurement per fresh child --------------------------------------------- */

typedef struct {
    int64_t ns;
    int32_t insns;
    int32_t pad;
} sample_t;

enum { NS_UNCACHED, NS_CACHED, LIBSECCOMP };

/* In the child: build and install the filter of `kind`, timed; the result goes to `fd`. */
static void __attribute__((noreturn)) measure_install(int kind, int fd)
{
    child_setup();
    sample_t s = { 0, 0, 0 };
    if (kind == LIBSECCOMP) {
#ifdef HAVE_LIBSECCOMP
        int mfd = memfd_create("scmp-bpf", 0); /* for the instruction count, after the clock */
        int64_t t0 = now_ns();
        scmp_filter_ctx ctx = scmp_build();
        scmp_check(seccomp_load(ctx), "seccomp_load");
        s.ns = now_ns() - t0;
        if (mfd >= 0 && seccomp_export_bpf(ctx, mfd) == 0)
            s.insns = (int32_t)(lseek(mfd, 0, SEEK_CUR) / 8);
#endif
    } else {
        uint32_t flags = 0;
        nscore_seccomp *profile;
        int64_t t0 = now_ns();
        size_t len = ns_compile(&flags, &profile);
        if (install_raw(ns_prog, len, flags) < 0)
            die("seccomp(SECCOMP_SET_MODE_FILTER): %s", strerror(errno));
        s.ns = now_ns() - t0;
        nscore_seccomp_free(profile);
        s.insns = (int32_t)(len / 8);
    }
    if (write(fd, &s, sizeof s) != sizeof s)
        _exit(3);
    _exit(0);
}

static sample_t read_sample(int fd, pid_t pid)
{
    sample_t s;
    ssize_t n;
    while ((n = read(fd, &s, sizeof s)) < 0 && errno == EINTR) {
    }
    int status = 0;
    if (pid > 0) {
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR)
                die("waitpid: %s", strerror(errno));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            die("a measuring child failed (status 0x%x)", status);
    }
    if (n != sizeof s)
        die("a measuring child sent no result");
    return s;
}

/* One fresh child of this process. */
static sample_t fork_measure(int kind)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        measure_install(kind, p[1]);
    }
    close(p[1]);
    sample_t s = read_sample(p[0], pid);
    close(p[0]);
    return s;
}

/* The cached series: a helper forked before this process ever compiled, which compiles the
 * default profile once (for Docker's bounding set, as its children have) and then forks one
 * measuring child per request. */
static int helper_cmd = -1, helper_res = -1;
static pid_t helper_pid = -1;

static void start_helper(void)
{
    int cmd[2], res[2];
    if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
        die("pipe: %s", strerror(errno));
    helper_pid = fork();
    if (helper_pid < 0)
        die("fork: %s", strerror(errno));
    if (helper_pid == 0) {
        close(cmd[1]);
        close(res[0]);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        docker_bounding_set();
        uint32_t flags;
        nscore_seccomp *profile;
        (void)ns_compile(&flags, &profile);
        nscore_seccomp_free(profile);
        char c;
        while (read(cmd[0], &c, 1) == 1) {
            sample_t s = fork_measure(NS_CACHED);
            if (write(res[1], &s, sizeof s) != sizeof s)
                _exit(3);
        }
        _exit(0);
    }
    close(cmd[0]);
    close(res[1]);
    helper_cmd = cmd[1];
    helper_res = res[0];
}

static sample_t helper_measure(void)
{
    if (write(helper_cmd, "m", 1) != 1)
        die("the cached-profile helper is gone");
    return read_sample(helper_res, -1);
}

static void stop_helper(void)
{
    close(helper_cmd);
    close(helper_res);
    int status;
    while (waitpid(helper_pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("the cached-profile helper failed (status 0x%x)", status);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The median of n fresh children (a child that another process preempted moves it little). */
static double batch_us(int kind, int n, int32_t *insns)
{
    int64_t v[BENCH_MAX_ROUNDS];
    if (n > BENCH_MAX_ROUNDS)
        n = BENCH_MAX_ROUNDS;
    for (int i = 0; i < n; i++) {
        sample_t s = kind == NS_CACHED ? helper_measure() : fork_measure(kind);
        v[i] = s.ns;
        *insns = s.insns;
    }
    qsort(v, (size_t)n, sizeof v[0], cmp_i64);
    double med = n % 2 ? (double)v[n / 2] : (double)(v[n / 2 - 1] + v[n / 2]) / 2;
    return med / 1e3;
}

static void cmd_install(void)
{
#ifdef HAVE_LIBSECCOMP
    const int have_lib = 1;
#else
    const int have_lib = 0;
#endif
    const char *subj_unc = "NSCore default profile, uncached: nscore_seccomp_default + compile + seccomp(2)";
    const char *subj_cac = "NSCore default profile, cached: nscore_seccomp_default + compile + seccomp(2)";
    const char *base_fmt = "libseccomp%s: seccomp_init + arch_add x86, x32 + rule_add_array per rule + seccomp_load";
    char base_lib[160];
    if (!have_lib) {
        snprintf(base_lib, sizeof base_lib, base_fmt, "");
        emit_skip("seccomp.install", SEC, subj_unc, base_lib, NO_LIBSECCOMP);
        emit_skip("seccomp.install.cached", SEC, subj_cac, base_lib, NO_LIBSECCOMP);
    }
    start_helper();
    int kinds[3] = { NS_UNCACHED, NS_CACHED, LIBSECCOMP };
    int nk = have_lib ? 3 : 2;
    int32_t insns[3] = { 0, 0, 0 };
    double v[3][BENCH_MAX_ROUNDS];
    /* warm-up: the page cache, the kernel's slabs */
    for (int k = 0; k < nk; k++)
        (void)batch_us(kinds[k], 2, &insns[k]);
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nk; i++) {
            int k = (i + r) % nk;
            v[k][r] = batch_us(kinds[k], batch, &insns[k]);
        }
    stop_helper();
    char s1[256], s2[256], b[256], params[128];
    snprintf(params, sizeof params, "\"batch\":%d,\"nscore_insns\":%d,\"libseccomp_insns\":%d", batch, insns[0],
             insns[2]);
    snprintf(s1, sizeof s1, "%s [%d BPF instructions]", subj_unc, insns[0]);
    snprintf(s2, sizeof s2, "%s [%d BPF instructions]", subj_cac, insns[1]);
    if (have_lib) {
        /* (the version only now: this process calls nothing in libseccomp before its children) */
        snprintf(base_lib, sizeof base_lib, base_fmt, lib_version());
        snprintf(b, sizeof b, "%s [%d BPF instructions]", base_lib, insns[2]);
        emit("seccomp.install", SEC, s1, b, "us/op", "lower", v[0], v[2], rounds, params);
        emit("seccomp.install.cached", SEC, s2, b, "us/op", "lower", v[1], v[2], rounds, params);
    }
    emit("seccomp.install.cache", SEC, s2, s1, "us/op", "lower", v[1], v[0], rounds, params);
}

/* ---- syscall: the cost of one syscall under each filter -------------------------------------- */

static unsigned char *lib_prog;
static size_t lib_len;
static size_t ns_len;
static uint32_t ns_flags;

enum { F_NSCORE, F_LIBSECCOMP, F_NONE };
enum { C_GETPPID, C_PERSONALITY };

#define SUB 1000

static inline long the_call(int call)
{
    return call == C_GETPPID ? syscall(SYS_getppid) : syscall(SYS_personality, 0xffffffffUL);
}

/* In a fresh child: install filter `f`, check the call works, warm up, time `loops` calls. */
static double syscall_ns(int f, int call)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        child_setup();
        if (f == F_NSCORE && install_raw(ns_prog, ns_len, ns_flags) < 0)
            die("seccomp (NSCore's program): %s", strerror(errno));
        if (f == F_LIBSECCOMP && install_raw(lib_prog, lib_len, 0) < 0)
            die("seccomp (libseccomp's program): %s", strerror(errno));
        if (the_call(call) < 0)
            die("the filter refused %s: %s", call == C_GETPPID ? "getppid" : "personality(0xffffffff)",
                strerror(errno));
        for (long i = 0; i < loops / 10 + 1; i++)
            (void)the_call(call);
        /* Blocks of SUB calls; the sample is the fastest block's time per call, robust to the
         * other processes of a busy machine (the time they take only ever adds). */
        int64_t best = INT64_MAX;
        for (long done = 0; done < loops; done += SUB) {
            int64_t t0 = now_ns();
            for (int i = 0; i < SUB; i++)
                (void)the_call(call);
            int64_t dt = now_ns() - t0;
            if (dt < best)
                best = dt;
        }
        sample_t s = { best, 0, 0 };
        if (write(p[1], &s, sizeof s) != sizeof s)
            _exit(3);
        _exit(0);
    }
    close(p[1]);
    sample_t s = read_sample(p[0], pid);
    close(p[0]);
    return (double)s.ns / SUB;
}

static void cmd_syscall(void)
{
#ifdef HAVE_LIBSECCOMP
    const int have_lib = 1;
    lib_prog = scmp_export(&lib_len);
#else
    const int have_lib = 0;
#endif
    /* The program a container with Docker's bounding set gets: compiled with that set. */
    pid_t pid;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        die("pipe: %s", strerror(errno));
    if ((pid = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        docker_bounding_set();
        uint32_t flags = 0;
        nscore_seccomp *profile;
        size_t len = ns_compile(&flags, &profile);
        if (write(p[1], &flags, sizeof flags) != sizeof flags || write(p[1], &len, sizeof len) != sizeof len ||
            write(p[1], ns_prog, len) != (ssize_t)len)
            _exit(3);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &ns_flags, sizeof ns_flags) != sizeof ns_flags || read(p[0], &ns_len, sizeof ns_len) != sizeof ns_len)
        die("compiling NSCore's default profile in a child failed");
    for (size_t got = 0; got < ns_len;) {
        ssize_t n = read(p[0], ns_prog + got, ns_len - got);
        if (n <= 0)
            die("compiling NSCore's default profile in a child failed");
        got += (size_t)n;
    }
    close(p[0]);
    waitpid(pid, NULL, 0);

    static const char *const CALL_NAME[] = { "getppid()", "personality(0xffffffff)" };
    static const char *const CALL_ID[] = { "getppid", "personality" };
    int nf = have_lib ? 3 : 2;
    int filters[3] = { F_NSCORE, F_NONE, F_LIBSECCOMP };
    for (int call = C_GETPPID; call <= C_PERSONALITY; call++) {
        double v[3][BENCH_MAX_ROUNDS], ovn[BENCH_MAX_ROUNDS], ovl[BENCH_MAX_ROUNDS];
        for (int i = 0; i < nf; i++)
            (void)syscall_ns(filters[i], call); /* warm-up */
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < nf; i++) {
                int k = (i + r) % nf;
                v[filters[k]][r] = syscall_ns(filters[k], call);
            }
            ovn[r] = v[F_NSCORE][r] - v[F_NONE][r];
            ovl[r] = have_lib ? v[F_LIBSECCOMP][r] - v[F_NONE][r] : 0;
        }
        char id[64], s[256], b[256], params[160];
        snprintf(params, sizeof params, "\"loops\":%ld,\"nscore_insns\":%zu,\"libseccomp_insns\":%zu", loops, ns_len / 8,
                 lib_len / 8);
        snprintf(s, sizeof s, "%s under NSCore's default filter [%zu BPF instructions]", CALL_NAME[call], ns_len / 8);
        snprintf(id, sizeof id, "seccomp.syscall.%s", CALL_ID[call]);
        if (have_lib) {
            snprintf(b, sizeof b, "the same under libseccomp%s's [%zu BPF instructions]", lib_version(), lib_len / 8);
            emit(id, SEC, s, b, "ns/call", "lower", v[F_NSCORE], v[F_LIBSECCOMP], rounds, params);
        } else {
            emit_skip(id, SEC, s, "the same under libseccomp's", NO_LIBSECCOMP);
        }
        snprintf(id, sizeof id, "seccomp.syscall.%s.none", CALL_ID[call]);
        emit(id, SEC, s, "the same without a filter", "ns/call", "lower", v[F_NSCORE], v[F_NONE], rounds, params);
        if (call == C_PERSONALITY) {
            /* The filter's own cost: each side minus the same round's unfiltered time. */
            snprintf(id, sizeof id, "seccomp.syscall.%s.filter", CALL_ID[call]);
            snprintf(s, sizeof s, "%s: time in NSCore's filter (minus no filter)", CALL_NAME[call]);
            if (have_lib)
                emit(id, SEC, s, "time in libseccomp's filter (minus no filter)", "ns/call", "lower", ovn, ovl, rounds,
                     params);
            else
                emit_skip(id, SEC, s, "time in libseccomp's filter (minus no filter)", NO_LIBSECCOMP);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: seccompbench install|syscall [--rounds R] [--batch N] [--loops N] [--policy FILE]");
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--rounds"))
            rounds = atoi(v);
        else if (!strcmp(k, "--batch"))
            batch = atoi(v);
        else if (!strcmp(k, "--loops"))
            loops = atol(v);
        else if (!strcmp(k, "--policy"))
            policy_path = v;
        else
            die("unknown option %s", k);
    }
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS || batch < 1 || loops < 1)
        die("bad sizes");
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with run.sh's timeout */
#ifdef HAVE_LIBSECCOMP
    if (!policy_path)
        die("--policy FILE is needed (the libseccomp side's rules)");
    read_policy(policy_path);
#else
    (void)read_policy;
#endif
    if (!strcmp(argv[1], "install"))
        cmd_install();
    else if (!strcmp(argv[1], "syscall"))
        cmd_syscall();
#ifdef HAVE_LIBSECCOMP
    else if (!strcmp(argv[1], "libseccomp-bpf")) {
        size_t len;
        unsigned char *prog = scmp_export(&len);
        if (isatty(1) || fwrite(prog, 1, len, stdout) != len)
            die("libseccomp-bpf writes the program to a file or pipe");
    }
#endif
    else
        die("unknown benchmark %s", argv[1]);
    return 0;
}
