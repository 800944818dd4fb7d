/*
 * cgroupbench.c - section 11 (cgroups): containers with memory + pids + CPU limits through the
 * C ABI, against the raw cgroup routine of rawcgroup.c.
 *
 *   cgroupbench spawn --rounds R --batch N
 *       nscore_spawn of /bin/true (no new namespace) with a 256 MiB memory limit, 100 pids and
 *       a CPU quota of 100000 us per 100000 us period, + wait + free (the cgroup is made, the
 *       child placed in it while it waits, the cgroup removed after the reap). Four series per
 *       round, the order rotating: that spawn; the same spawn without limits; the raw loop of
 *       `rawcgroup --batch N a` (a small C process, $NSBENCH_RAWCGROUP: fork-style clone3, the
 *       child waiting on a pipe while the parent makes the same directories, writes the same
 *       files and cgroup.procs, execve, waitpid, rmdir), which reports its total and the time
 *       of its cgroup system calls alone, step by step; the same raw loop without the cgroup
 *       (`rawonce --batch N a`, $NSBENCH_RAWONCE). Rows: the spawn with limits against (1) the
 *       whole raw loop with the cgroup (the target's baseline), (2) the spawn without limits +
 *       the raw routine's cgroup system calls alone (a lower bound: it leaves out the handshake
 *       and what the kernel spends because the child is in new cgroups, at exec and exit);
 *       (3) what the cgroup adds to each (with - without).
 *       Before anything is timed, the directories of an NSCore container are checked to be
 *       those the raw routine makes (same hierarchies, same parents).
 *
 *   cgroupbench stats --rounds R --containers N --cmd PATH --nscore PATH
 *       N running containers (PATH: the static pause program), each with the limits above;
 *       per round, the order rotating: nscore_container_resource_stats of all N; the same
 *       cgroup files read in this process with open + read + close (the files NSCore reads a
 *       figure from: those of its read list that exist in each directory); `cat` of each
 *       container's files, one process per container; `nscore stats --json PID`, one process
 *       per container; one `nscore stats --json` over the N pids; one `cat` over every file of
 *       the N. The containers are freed at the end (kill, reap, cgroup removed), and on any
 *       failure (atexit); each directory is then checked to be gone.
 *
 *   --pidfile FILE   writes this process's pid first: NSCore names the cgroups it makes for
 *                    this process nscore-<pid>-<n>, which run.sh sweeps after a killed run.
 *
 * Every result is a JSON line on stdout (benchutil.h); progress and errors go to stderr.
 */
#include "benchutil.h"

#include <nscore.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "rawcgroup.h"
#include "rawloop.h"

static const char *SEC = "11. cgroups: memory + pids + CPU limits (a new cgroup per container, removed after the reap)";
static const int64_t MEMORY = 256LL << 20, PIDS = 100, QUOTA = 100000, PERIOD = 100000;

static int rounds = 5, batch = 10, containers = 100;
static const char *pause_cmd = "/bin/sleep", *nscore_cli = NULL;

extern char **environ;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = sig;
}

/* A SIGTERM (run.sh's timeout) or SIGINT ends the run at the next check, through exit() and so
 * the atexit cleanup, which frees the containers and their cgroups. */
static void check_stop(void)
{
    if (stop_requested) {
        fprintf(stderr, "cgroupbench: signal %d: cleaning up\n", (int)stop_requested);
        exit(128 + stop_requested);
    }
}

static void check(int rc, nscore_error *err, const char *what)
{
    if (rc < 0)
        die("%s: %s", what, err ? nscore_error_message(err) : "(no error object)");
}

static nscore_spawn_config *make_cfg(const char *const *argv, int limits, int keep)
{
    nscore_spawn_config *cfg = NULL;
    nscore_error *err = NULL;
    check(nscore_spawn_config_new(&cfg, &err), err, "nscore_spawn_config_new");
    check(nscore_spawn_config_set_argv(cfg, argv, &err), err, "set_argv");
    check(nscore_spawn_config_set_namespaces(cfg, 0, &err), err, "set_namespaces");
    if (limits) {
        check(nscore_spawn_config_set_memory(cfg, MEMORY, NSCORE_RESOURCE_UNSET, NSCORE_RESOURCE_UNSET, 0, &err), err,
              "set_memory");
        check(nscore_spawn_config_set_cpu(cfg, 0, QUOTA, (uint64_t)PERIOD, NULL, NULL, &err), err, "set_cpu");
        check(nscore_spawn_config_set_pids_limit(cfg, PIDS, &err), err, "set_pids_limit");
    }
    if (keep) {
        check(nscore_spawn_config_set_kill_on_parent_death(cfg, 1, &err), err, "set_kill_on_parent_death");
        check(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_NULL, -1, &err), err, "set_stdio");
    }
    return cfg;
}

/* The container's cgroup directories (nscore_container_cgroups_json), malloc'd strings; the
 * count is returned. */
static int container_dirs(const nscore_container *c, char **out, int max)
{
    char *json = NULL;
    nscore_error *err = NULL;
    check(nscore_container_cgroups_json(c, &json, &err), err, "nscore_container_cgroups_json");
    int n = 0;
    const char *p = strstr(json, "\"cgroups\":[");
    if (!p)
        die("unexpected cgroups JSON: %s", json);
    p += strlen("\"cgroups\":[");
    while (*p == '"' && n < max) {
        const char *end = strchr(p + 1, '"');
        if (!end)
            die("unexpected cgroups JSON: %s", json);
        out[n++] = strndup(p + 1, (size_t)(end - p - 1));
        p = end + 1;
        if (*p == ',')
            p++;
    }
    nscore_string_free(json);
    return n;
}

/* ---- spawn --------------------------------------------------------------------------------- */

/* The container of a spawn that failed half-way, freed (with its cgroup) at exit. */
static nscore_container *current;

static void free_current(void)
{
    if (current)
        nscore_container_free(current);
    current = NULL;
}

static double ns_batch_us(const nscore_spawn_config *cfg, int n)
{
    int64_t t0 = now_ns();
    for (int i = 0; i < n; i++) {
        nscore_error *err = NULL;
        int status = -1;
        check(nscore_spawn(cfg, &current, &err), err, "nscore_spawn");
        check(nscore_container_wait(current, -1, &status, &err), err, "nscore_container_wait");
        nscore_container_free(current);
        current = NULL;
        if (status != 0)
            die("nscore_spawn: /bin/true exited with status 0x%x", status);
    }
    return (double)(now_ns() - t0) / n / 1e3;
}

/* A small C program run with `--batch n a`, which prints its elapsed ns (rawonce) or a line of
 * ns (rawcgroup: see rawcgroup.c): fills v[0..nv-1] with them, each divided by n and in µs
 * except the 7th (rawcgroup's one-time discovery). `env` names the variable holding its path. */
static void small_batch(const char *env, int n, double *v, int nv)
{
    const char *prog = getenv(env);
    if (!prog)
        die("%s is not set", env);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        die("pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    char nbuf[16];
    snprintf(nbuf, sizeof nbuf, "%d", n);
    char *argv[] = { (char *)prog, "--batch", nbuf, "a", NULL };
    pid_t pid;
    int rc = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0)
        die("posix_spawn %s: %s", prog, strerror(rc));
    char buf[256] = "";
    ssize_t got = 0, k;
    while ((k = read(fds[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += k;
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    long long x[7] = { 0 };
    int got_n = sscanf(buf, "%lld %lld %lld %lld %lld %lld %lld", &x[0], &x[1], &x[2], &x[3], &x[4], &x[5], &x[6]);
    if (status != 0 || got_n != nv)
        die("%s --batch %d a failed (status 0x%x, output '%s')", prog, n, status, buf);
    for (int i = 0; i < nv; i++)
        v[i] = i == 6 ? (double)x[i] / 1e3 : (double)x[i] / n / 1e3;
}

static double median(double *v, int n)
{
    double s[BENCH_MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *v);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
            double t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The parent directory of each of NSCore's directories must be one the raw routine uses, and
 * the other way round. */
static void check_same_dirs(void)
{
    raw_cgroup cg;
    int rc = raw_cgroup_init(&cg, "x", MEMORY, PIDS, QUOTA, PERIOD);
    if (rc < 0)
        die("the raw routine's cgroup layout: %s", strerror(-rc));
    const char *argv[] = { "/bin/sleep", "1000", NULL };
    nscore_spawn_config *keep = make_cfg(argv, 1, 1);
    nscore_container *c = NULL;
    nscore_error *err = NULL;
    check(nscore_spawn(keep, &c, &err), err, "nscore_spawn (layout check)");
    char *dirs[16];
    int n = container_dirs(c, dirs, 16);
    nscore_container_free(c);
    nscore_spawn_config_free(keep);
    char raw[4096];
    raw_cgroup_describe(&cg, raw, sizeof raw);
    int ok = n == cg.ndirs;
    for (int i = 0; i < n; i++) {
        char *slash = strrchr(dirs[i], '/');
        *slash = 0;
        int found = 0;
        for (int j = 0; j < cg.ndirs; j++)
            found |= !strcmp(cg.dir[j].parent, dirs[i]);
        ok &= found;
        *slash = '/';
    }
    if (!ok) {
        fprintf(stderr, "NSCore's cgroup directories:");
        for (int i = 0; i < n; i++)
            fprintf(stderr, " %s", dirs[i]);
        die("\nthe raw routine's parents differ: %s", raw);
    }
    for (int i = 0; i < n; i++) {
        if (access(dirs[i], F_OK) == 0)
            die("%s is still there after nscore_container_free", dirs[i]);
        free(dirs[i]);
    }
    fprintf(stderr, "cgroupbench: %d directories below %s\n", n, raw);
}

static void cmd_spawn(void)
{
    const char *argv[] = { "/bin/true", NULL };
    nscore_spawn_config *lim = make_cfg(argv, 1, 0), *nolim = make_cfg(argv, 0, 0);
    check_same_dirs();
    atexit(free_current);
    double with[BENCH_MAX_ROUNDS], without[BENCH_MAX_ROUNDS], raw_total[BENCH_MAX_ROUNDS], raw_cg[BENCH_MAX_ROUNDS];
    double raw_none[BENCH_MAX_ROUNDS], sum[BENCH_MAX_ROUNDS], cost[BENCH_MAX_ROUNDS], raw_cost[BENCH_MAX_ROUNDS];
    double steps[4][BENCH_MAX_ROUNDS], layout[BENCH_MAX_ROUNDS];
    int warm = batch / 4 + 1;
    double v[7];
    (void)ns_batch_us(lim, warm);
    (void)ns_batch_us(nolim, warm);
    small_batch("NSBENCH_RAWCGROUP", warm, v, 7);
    small_batch("NSBENCH_RAWONCE", warm, v, 1);
    /* Four series per round, the order rotating: NSCore with and without limits, the raw loop
     * with the cgroup routine (rawcgroup) and without (rawonce), both small C processes. */
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 4; k++) {
            check_stop();
            switch ((k + r) % 4) {
            case 0: with[r] = ns_batch_us(lim, batch); break;
            case 1: without[r] = ns_batch_us(nolim, batch); break;
            case 2:
                small_batch("NSBENCH_RAWCGROUP", batch, v, 7);
                raw_total[r] = v[0];
                raw_cg[r] = v[1];
                for (int s = 0; s < 4; s++)
                    steps[s][r] = v[2 + s];
                layout[r] = v[6];
                break;
            default:
                small_batch("NSBENCH_RAWONCE", batch, v, 1);
                raw_none[r] = v[0];
                break;
            }
        }
        sum[r] = without[r] + raw_cg[r];
        cost[r] = with[r] - without[r];
        raw_cost[r] = raw_total[r] - raw_none[r];
    }
    char params[512], detail[1024];
    snprintf(params, sizeof params,
             "\"batch\":%d,\"namespaces\":\"no new namespace\",\"limits\":\"memory 256 MiB, pids 100, cpu quota 100000 "
             "us / period 100000 us\",\"raw_steps_us\":{\"mkdir\":%.1f,\"limits\":%.1f,\"cgroup.procs\":%.1f,"
             "\"rmdir\":%.1f,\"discovery_once\":%.1f}",
             batch, median(steps[0], rounds), median(steps[1], rounds), median(steps[2], rounds),
             median(steps[3], rounds), median(layout, rounds));
    snprintf(detail, sizeof detail,
             "%s,\"detail\":\"its system calls per container: mkdir %.0f µs, limit files %.0f µs, cgroup.procs %.0f µs, "
             "rmdir %.0f µs; finding the caller's cgroups, once per process: %.0f µs\"",
             params, median(steps[0], rounds), median(steps[1], rounds), median(steps[2], rounds),
             median(steps[3], rounds), median(layout, rounds));
    fprintf(stderr, "cgroupbench: raw cgroup steps per container (median µs): mkdir %.1f, limits %.1f, cgroup.procs "
                    "%.1f, rmdir %.1f; discovery once per process %.1f\n",
            median(steps[0], rounds), median(steps[1], rounds), median(steps[2], rounds), median(steps[3], rounds),
            median(layout, rounds));
    const char *subj = "C ABI nscore_spawn with limits + wait (cgroup made, removed)";
    emit("cgroup.c", SEC, subj, "raw clone3 + the same cgroup work, waitpid, rmdir (small C process, rawcgroup)", "us/op",
         "lower", with, raw_total, rounds, params);
    emit("cgroup.c.sum", SEC, subj,
         "nscore_spawn without limits + the raw routine's cgroup system calls alone (mkdir, limit files, cgroup.procs, "
         "rmdir; a lower bound)",
         "us/op", "lower", with, sum, rounds, params);
    emit("cgroup.c.cost", SEC, "what the cgroup adds to nscore_spawn (with limits - without)",
         "what it adds to the raw loop (rawcgroup - rawonce)", "us/op", "lower", cost, raw_cost, rounds, detail);
    nscore_spawn_config_free(lim);
    nscore_spawn_config_free(nolim);
}

/* ---- stats --------------------------------------------------------------------------------- */

/* What NSCore reads a figure from, in each directory (CgroupSet.resourceStats): those that
 * exist there are the files every baseline reads. */
static const char *const STAT_FILES[] = { "memory.usage_in_bytes", "memory.max_usage_in_bytes", "memory.limit_in_bytes",
                                          "memory.failcnt",        "memory.memsw.failcnt",      "memory.oom_control",
                                          "memory.current",        "memory.peak",               "memory.max",
                                          "memory.events",         "cpuacct.usage",             "cpu.stat",
                                          "pids.current",          "pids.max" };
#define NSTAT (sizeof STAT_FILES / sizeof STAT_FILES[0])

typedef struct {
    nscore_container *c;
    pid_t pid;
    char *dirs[16];
    int ndirs;
    char *files[16 * NSTAT];
    int nfiles;
} live;

static live *lives;
static int nlive;

static void free_all(void)
{
    for (int i = 0; i < nlive; i++)
        if (lives[i].c) {
            nscore_container_free(lives[i].c); /* SIGKILL, reap, the cgroup removed */
            lives[i].c = NULL;
        }
}

/* posix_spawn (no page-table copy, whatever this process's size) + wait; stdout and stderr to
 * /dev/null. Dies unless it exits 0. */
static void run_quiet(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        die("posix_spawn %s: %s", argv[0], strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    if (status != 0)
        die("%s %s ... failed (status 0x%x)", argv[0], argv[1] ? argv[1] : "", status);
}

static uint64_t sink;

/* One file, as a careful C programmer reads a cgroup figure: open, read, close, parse. */
static void raw_read(const char *path)
{
    char buf[1024];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open %s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        die("read %s: %s", path, n < 0 ? strerror(errno) : "empty");
    buf[n] = 0;
    /* "123\n", or "key value" lines */
    for (char *p = buf; *p;) {
        char *end;
        while (*p && (*p < '0' || *p > '9'))
            p++;
        if (!*p)
            break;
        sink += strtoull(p, &end, 10);
        p = end;
    }
}

static double stats_capi_ms(void)
{
    int64_t t0 = now_ns();
    for (int i = 0; i < nlive; i++) {
        nscore_resource_stats s;
        nscore_error *err = NULL;
        check(nscore_container_resource_stats(lives[i].c, &s, &err), err, "nscore_container_resource_stats");
        sink += s.memory_current;
    }
    return (double)(now_ns() - t0) / 1e6;
}

static double stats_raw_ms(void)
{
    int64_t t0 = now_ns();
    for (int i = 0; i < nlive; i++)
        for (int f = 0; f < lives[i].nfiles; f++)
            raw_read(lives[i].files[f]);
    return (double)(now_ns() - t0) / 1e6;
}

static double stats_cat_each_ms(void)
{
    int64_t t0 = now_ns();
    for (int i = 0; i < nlive; i++) {
        char *argv[2 + 16 * NSTAT];
        int a = 0;
        argv[a++] = "cat";
        for (int f = 0; f < lives[i].nfiles; f++)
            argv[a++] = lives[i].files[f];
        argv[a] = NULL;
        run_quiet(argv);
    }
    return (double)(now_ns() - t0) / 1e6;
}

static double stats_cli_each_ms(void)
{
    int64_t t0 = now_ns();
    for (int i = 0; i < nlive; i++) {
        char pid[16];
        snprintf(pid, sizeof pid, "%d", (int)lives[i].pid);
        char *argv[] = { (char *)nscore_cli, "stats", "--json", pid, NULL };
        run_quiet(argv);
    }
    return (double)(now_ns() - t0) / 1e6;
}

static char **all_cli_argv, **all_cat_argv;

static double stats_cli_all_ms(void)
{
    int64_t t0 = now_ns();
    run_quiet(all_cli_argv);
    return (double)(now_ns() - t0) / 1e6;
}

static double stats_cat_all_ms(void)
{
    int64_t t0 = now_ns();
    run_quiet(all_cat_argv);
    return (double)(now_ns() - t0) / 1e6;
}

static void cmd_stats(void)
{
    if (!nscore_cli)
        die("stats needs --nscore PATH");
    raise_nofile();
    const char *argv[] = { pause_cmd, "100000", NULL };
    nscore_spawn_config *cfg = make_cfg(argv, 1, 1);
    lives = calloc((size_t)containers, sizeof *lives);
    atexit(free_all);
    for (int i = 0; i < containers; i++) {
        check_stop();
        nscore_error *err = NULL;
        check(nscore_spawn(cfg, &lives[i].c, &err), err, "nscore_spawn (stats)");
        nlive = i + 1;
        lives[i].pid = nscore_container_pid(lives[i].c);
        lives[i].ndirs = container_dirs(lives[i].c, lives[i].dirs, 16);
        for (int d = 0; d < lives[i].ndirs; d++)
            for (size_t f = 0; f < NSTAT; f++) {
                char path[1200];
                snprintf(path, sizeof path, "%s/%s", lives[i].dirs[d], STAT_FILES[f]);
                if (access(path, R_OK) == 0)
                    lives[i].files[lives[i].nfiles++] = strdup(path);
            }
    }
    nscore_spawn_config_free(cfg);
    fprintf(stderr, "cgroupbench: %d containers, %d files each (", nlive, lives[0].nfiles);
    for (int f = 0; f < lives[0].nfiles; f++)
        fprintf(stderr, "%s%s", f ? " " : "", strrchr(lives[0].files[f], '/') + 1);
    fprintf(stderr, ")\n");

    /* The figures are the ones asked for. */
    nscore_resource_stats s;
    nscore_error *err = NULL;
    check(nscore_container_resource_stats(lives[0].c, &s, &err), err, "nscore_container_resource_stats");
    if (s.memory_limit != (uint64_t)MEMORY || s.pids_limit != (uint64_t)PIDS || s.pids_current < 1 ||
        s.memory_current == NSCORE_RESOURCE_STAT_NONE || s.cpu_usage_ns == NSCORE_RESOURCE_STAT_NONE)
        die("unexpected stats: memory limit %llu, pids %llu/%llu, memory %llu, cpu %llu",
            (unsigned long long)s.memory_limit, (unsigned long long)s.pids_current, (unsigned long long)s.pids_limit,
            (unsigned long long)s.memory_current, (unsigned long long)s.cpu_usage_ns);

    all_cli_argv = calloc((size_t)nlive + 4, sizeof *all_cli_argv);
    int a = 0;
    all_cli_argv[a++] = (char *)nscore_cli;
    all_cli_argv[a++] = "stats";
    all_cli_argv[a++] = "--json";
    for (int i = 0; i < nlive; i++) {
        char pid[16];
        snprintf(pid, sizeof pid, "%d", (int)lives[i].pid);
        all_cli_argv[a++] = strdup(pid);
    }
    int nfiles = 0;
    for (int i = 0; i < nlive; i++)
        nfiles += lives[i].nfiles;
    all_cat_argv = calloc((size_t)nfiles + 2, sizeof *all_cat_argv);
    a = 0;
    all_cat_argv[a++] = "cat";
    for (int i = 0; i < nlive; i++)
        for (int f = 0; f < lives[i].nfiles; f++)
            all_cat_argv[a++] = lives[i].files[f];

    double capi[BENCH_MAX_ROUNDS], raw[BENCH_MAX_ROUNDS], cat_each[BENCH_MAX_ROUNDS], cli_each[BENCH_MAX_ROUNDS];
    double cli_all[BENCH_MAX_ROUNDS], cat_all[BENCH_MAX_ROUNDS];
    /* warm-up: the page cache of cat and nscore, the library's lazy state */
    (void)stats_capi_ms();
    (void)stats_raw_ms();
    (void)stats_cli_all_ms();
    (void)stats_cat_all_ms();
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 6; k++) {
            check_stop();
            switch ((k + r) % 6) {
            case 0: capi[r] = stats_capi_ms(); break;
            case 1: raw[r] = stats_raw_ms(); break;
            case 2: cat_each[r] = stats_cat_each_ms(); break;
            case 3: cli_each[r] = stats_cli_each_ms(); break;
            case 4: cli_all[r] = stats_cli_all_ms(); break;
            default: cat_all[r] = stats_cat_all_ms(); break;
            }
        }
    }

    /* The containers go, and so must every directory they had. */
    int64_t t0 = now_ns();
    free_all();
    double down_ms = (double)(now_ns() - t0) / 1e6;
    int left = 0;
    for (int i = 0; i < nlive; i++)
        for (int d = 0; d < lives[i].ndirs; d++)
            if (access(lives[i].dirs[d], F_OK) == 0) {
                fprintf(stderr, "cgroupbench: %s is still there\n", lives[i].dirs[d]);
                left++;
            }
    if (left)
        die("%d cgroup directories left after nscore_container_free", left);
    fprintf(stderr, "cgroupbench: %d containers freed (kill, reap, rmdir) in %.1f ms\n", nlive, down_ms);

    char params[256];
    snprintf(params, sizeof params, "\"containers\":%d,\"files_per_container\":%d,\"command\":\"%s\"", nlive,
             lives[0].nfiles, strrchr(pause_cmd, '/') ? strrchr(pause_cmd, '/') + 1 : pause_cmd);
    char subj[160], base[200];
    snprintf(subj, sizeof subj, "C ABI nscore_container_resource_stats, %d containers", nlive);
    snprintf(base, sizeof base, "open + read + close of the same %d files each, in C (in this process)",
             lives[0].nfiles);
    emit("cgroup.stats.c", SEC, subj, base, "ms/run", "lower", capi, raw, rounds, params);
    snprintf(base, sizeof base, "cat of the same files, one process per container (%d)", nlive);
    emit("cgroup.stats.c.cat", SEC, subj, base, "ms/run", "lower", capi, cat_each, rounds, params);
    snprintf(subj, sizeof subj, "nscore stats --json PID, one process per container (%d)", nlive);
    emit("cgroup.stats.cli", SEC, subj, base, "ms/run", "lower", cli_each, cat_each, rounds, params);
    snprintf(subj, sizeof subj, "nscore stats --json PID1 ... PID%d (one process)", nlive);
    snprintf(base, sizeof base, "one cat over the %d containers' files", nlive);
    emit("cgroup.stats.cli.all", SEC, subj, base, "ms/run", "lower", cli_all, cat_all, rounds, params);
}

int main(int argc, char **argv)
{
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with run.sh's timeout (the containers with us) */
    if (argc < 2)
        die("usage: cgroupbench spawn|stats [options]");
    const char *cmd = argv[1], *pidfile = NULL;
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i];
        if (i + 1 >= argc)
            die("cgroupbench: %s needs a value", k);
        if (!strcmp(k, "--rounds"))
            rounds = atoi(argv[++i]);
        else if (!strcmp(k, "--batch"))
            batch = atoi(argv[++i]);
        else if (!strcmp(k, "--containers"))
            containers = atoi(argv[++i]);
        else if (!strcmp(k, "--cmd"))
            pause_cmd = argv[++i];
        else if (!strcmp(k, "--nscore"))
            nscore_cli = argv[++i];
        else if (!strcmp(k, "--pidfile"))
            pidfile = argv[++i];
        else
            die("cgroupbench: bad argument %s", k);
    }
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS || batch < 1 || containers < 1)
        die("cgroupbench: bad sizes");
    if (pidfile) {
        FILE *f = fopen(pidfile, "w");
        if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
            die("%s: %s", pidfile, strerror(errno));
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (!strcmp(cmd, "spawn"))
        cmd_spawn();
    else if (!strcmp(cmd, "stats"))
        cmd_stats();
    else
        die("cgroupbench: unknown command %s", cmd);
    return 0;
}
