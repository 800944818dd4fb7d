/*
 * bench.c - NSCore through its C ABI, in-process, against the raw clone3/setns loops of
 * rawloop.c run in the same process, interleaved round by round (A B, B A, A B, ...).
 *
 *   bench spawn    --rounds R --batch N [--modes a,b,c]   spawn /bin/true + wait
 *   bench join     --rounds R --batch N                   join a running container + /bin/true
 *   bench hostsize --rounds R --batch N --mib M           spawn from a host that touched M MiB
 *   bench fdcount  --rounds R --batch N --fds F           spawn from a host holding F open fds
 *   bench threads  --rounds R --total N --threads 1,2,8   spawns/s from T threads at once
 *   bench inspect  --rounds R --batch N                   nscore_inspect_* against lsns --json
 *   bench initrss  --rounds R                             RSS of nscore-init as PID 1
 *   bench scale    --total N --block B [--cmd PATH]       N live netns containers, rate per block
 *   bench rootfs   --rounds R --batch N --rootfs DIR      spawn /bin/true in a root filesystem + wait
 *   bench rootfs-threads --total N --block B --threads T --rootfs DIR [--host-mountinfo FILE]
 *                  N rootfs containers from T threads, NSCore and raw blocks alternating: rate
 *                  per block, and mountinfo line counts before and after (exit 1 if they differ)
 *   bench security --rounds R --batch N --rootfs DIR     rootfs spawn + wait with the default security
 *                  setup (+ RLIMIT_NOFILE) against the same spawn privileged and unconfined
 *
 * Modes: a = no new namespace, b = pid+ipc+uts+mnt+net, c = all eight (user with a root mapping).
 * Every result is a JSON line on stdout (benchutil.h); progress and errors go to stderr.
 */
#include "benchutil.h"

#include <nscore.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "rawloop.h"
#include "rawrootfs.h"
#include "rawveth.h"

static const char *TRUE_PATH = "/bin/true";
static const char *SLEEP_PATH = "/bin/sleep";

static int rounds = 5, batch = 10, total = 100, block = 10, mib = 2048;
static char modes[8] = "abc";
static char threads_arg[64] = "1,2,8";
static const char *scale_cmd = "/bin/sleep";
static const char *rootfs_dir = NULL;
static const char *host_mountinfo = NULL;

typedef struct {
    char letter;
    const char *name;
    uint32_t ns;
    int map_root;
} mode_t_;

static const mode_t_ MODES[] = {
    { 'a', "no new namespace", 0, 0 },
    { 'b', "pid+ipc+uts+mnt+net", NSCORE_NS_PID | NSCORE_NS_IPC | NSCORE_NS_UTS | NSCORE_NS_MNT | NSCORE_NS_NET, 0 },
    { 'c', "all eight (user, root mapped)", NSCORE_NS_ALL, 1 },
};

static const mode_t_ *mode_of(char letter)
{
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++)
        if (MODES[i].letter == letter)
            return &MODES[i];
    die("unknown mode %c", letter);
}

/* ---- NSCore side --------------------------------------------------------------------------- */

static void check(int rc, nscore_error *err, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "bench: %s: %s\n", what, err ? nscore_error_message(err) : "(no error object)");
        exit(1);
    }
}

static nscore_spawn_config *make_cfg(const mode_t_ *m, const char *const *argv, int kill_on_parent_death)
{
    nscore_spawn_config *cfg = NULL;
    nscore_error *err = NULL;
    check(nscore_spawn_config_new(&cfg, &err), err, "nscore_spawn_config_new");
    check(nscore_spawn_config_set_argv(cfg, argv, &err), err, "set_argv");
    check(nscore_spawn_config_set_namespaces(cfg, m->ns, &err), err, "set_namespaces");
    if (m->map_root)
        check(nscore_spawn_config_set_map_root_user(cfg, 1, &err), err, "set_map_root_user");
    if (kill_on_parent_death)
        check(nscore_spawn_config_set_kill_on_parent_death(cfg, 1, &err), err, "set_kill_on_parent_death");
    return cfg;
}

static nscore_spawn_config *true_cfg(const mode_t_ *m)
{
    const char *argv[] = { TRUE_PATH, NULL };
    return make_cfg(m, argv, 0);
}

static void ns_spawn_wait(const nscore_spawn_config *cfg)
{
    nscore_container *c = NULL;
    nscore_error *err = NULL;
    int status = -1;
    check(nscore_spawn(cfg, &c, &err), err, "nscore_spawn");
    check(nscore_container_wait(c, -1, &status, &err), err, "nscore_container_wait");
    nscore_container_free(c);
    if (status != 0)
        die("nscore_spawn: /bin/true exited with status 0x%x", status);
}

static double ns_spawn_batch_us(const nscore_spawn_config *cfg, int n)
{
    int64_t t0 = now_ns();
    for (int i = 0; i < n; i++)
        ns_spawn_wait(cfg);
    return (double)(now_ns() - t0) / n / 1e3;
}

static double raw_spawn_batch_us(uint32_t ns, int n)
{
    int64_t dt = raw_spawn_batch(ns, TRUE_PATH, n);
    if (dt < 0)
        die("raw spawn (ns 0x%x): %s", ns, strerror((int)-dt));
    return (double)dt / n / 1e3;
}

/* A raw loop run by a small C process (rawonce.c or rawrootfs.c, no libnscore mapped: its
 * fork-style clones copy fewer page tables than ours), which prints its own elapsed time in ns.
 * `env` names the variable holding the program's path. */
extern char **environ;

static double small_prog_us(const char *env, const char *a1, const char *a2, const char *a3, int n)
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
    char *argv[] = { (char *)prog, (char *)a1, (char *)a2, (char *)a3, NULL };
    pid_t pid;
    int rc = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0)
        die("posix_spawn %s: %s", prog, strerror(rc));
    char buf[64] = "";
    ssize_t got = 0, k;
    while ((k = read(fds[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += k;
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (status != 0 || got <= 0)
        die("%s %s %s %s failed (status 0x%x)", prog, a1, a2, a3, status);
    return atof(buf) / n / 1e3;
}

static double small_c_us(const char *a1, const char *a2, const char *a3, int n)
{
    return small_prog_us("NSBENCH_RAWONCE", a1, a2, a3, n);
}

/* ---- spawn --------------------------------------------------------------------------------- */

/* Three series per round, the order rotating: NSCore, the raw loop in a small C process (the
 * target's baseline) and the raw loop in this process. */
static void cmd_spawn(void)
{
    for (const char *p = modes; *p; p++) {
        const mode_t_ *m = mode_of(*p);
        nscore_spawn_config *cfg = true_cfg(m);
        double subj[BENCH_MAX_ROUNDS], small[BENCH_MAX_ROUNDS], same[BENCH_MAX_ROUNDS];
        char letter[2] = { m->letter, 0 }, nbuf[16], wbuf[16];
        snprintf(nbuf, sizeof nbuf, "%d", batch);
        snprintf(wbuf, sizeof wbuf, "%d", batch / 4 + 1);
        /* warm-up: page cache, the library's lazy state, the kernel's slabs */
        (void)raw_spawn_batch_us(m->ns, batch / 4 + 1);
        (void)small_c_us("--batch", wbuf, letter, batch / 4 + 1);
        (void)ns_spawn_batch_us(cfg, batch / 4 + 1);
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 3; k++) {
                switch ((k + r) % 3) {
                case 0: subj[r] = ns_spawn_batch_us(cfg, batch); break;
                case 1: small[r] = small_c_us("--batch", nbuf, letter, batch); break;
                default: same[r] = raw_spawn_batch_us(m->ns, batch); break;
                }
            }
        }
        char id[64], params[128];
        const char *sec = "1. spawn /bin/true + wait, in-process";
        snprintf(params, sizeof params, "\"mode\":\"%c\",\"namespaces\":\"%s\",\"batch\":%d", m->letter, m->name, batch);
        snprintf(id, sizeof id, "spawn.c.%c", m->letter);
        emit(id, sec, "C ABI nscore_spawn", "raw clone3 loop (small C process)", "us/op", "lower", subj, small, rounds,
             params);
        snprintf(id, sizeof id, "spawn.c.%c.inproc", m->letter);
        emit(id, sec, "C ABI nscore_spawn", "raw clone3 loop (C, in this process, libnscore loaded)", "us/op", "lower",
             subj, same, rounds, params);
        nscore_spawn_config_free(cfg);
    }
}

/* ---- join ---------------------------------------------------------------------------------- */

static nscore_container *start_target(void)
{
    const char *argv[] = { SLEEP_PATH, "100000", NULL };
    nscore_spawn_config *cfg = make_cfg(mode_of('b'), argv, 1);
    nscore_error *err = NULL;
    nscore_container *c = NULL;
    check(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_NULL, -1, &err), err, "set_stdio");
    check(nscore_spawn(cfg, &c, &err), err, "spawn the join target");
    nscore_spawn_config_free(cfg);
    return c;
}

static double ns_join_batch_us(const nscore_join_config *cfg, int n)
{
    int64_t t0 = now_ns();
    for (int i = 0; i < n; i++) {
        nscore_container *c = NULL;
        nscore_error *err = NULL;
        int status = -1;
        check(nscore_join(cfg, &c, &err), err, "nscore_join");
        check(nscore_container_wait(c, -1, &status, &err), err, "nscore_container_wait");
        nscore_container_free(c);
        if (status != 0)
            die("nscore_join: /bin/true exited with status 0x%x", status);
    }
    return (double)(now_ns() - t0) / n / 1e3;
}

static double raw_join_batch_us(const raw_join *j, int n)
{
    int64_t dt = raw_join_batch(j, TRUE_PATH, n);
    if (dt < 0)
        die("raw join: %s", strerror((int)-dt));
    return (double)dt / n / 1e3;
}

static void cmd_join(void)
{
    nscore_container *target = start_target();
    pid_t pid = nscore_container_pid(target);
    nscore_join_config *cfg = NULL;
    nscore_error *err = NULL;
    const char *argv[] = { TRUE_PATH, NULL };
    check(nscore_join_config_new(&cfg, &err), err, "nscore_join_config_new");
    check(nscore_join_config_set_target_pid(cfg, pid, &err), err, "set_target_pid");
    check(nscore_join_config_set_argv(cfg, argv, &err), err, "set_argv");
    raw_join j;
    int rc = raw_join_open(&j, pid);
    if (rc < 0)
        die("raw_join_open: %s", strerror(-rc));

    double subj[BENCH_MAX_ROUNDS], small[BENCH_MAX_ROUNDS], same[BENCH_MAX_ROUNDS];
    char pidbuf[16], nbuf[16], wbuf[16];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
    snprintf(nbuf, sizeof nbuf, "%d", batch);
    snprintf(wbuf, sizeof wbuf, "%d", batch / 4 + 1);
    (void)raw_join_batch_us(&j, batch / 4 + 1);
    (void)small_c_us("--join", wbuf, pidbuf, batch / 4 + 1);
    (void)ns_join_batch_us(cfg, batch / 4 + 1);
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 3; k++) {
            switch ((k + r) % 3) {
            case 0: subj[r] = ns_join_batch_us(cfg, batch); break;
            case 1: small[r] = small_c_us("--join", nbuf, pidbuf, batch); break;
            default: same[r] = raw_join_batch_us(&j, batch); break;
            }
        }
    }
    char params[96];
    const char *sec = "2. join a running container + /bin/true";
    snprintf(params, sizeof params, "\"target\":\"pid+ipc+uts+mnt+net\",\"batch\":%d", batch);
    emit("join.c", sec, "C ABI nscore_join", "raw setns+clone loop (small C process)", "us/op", "lower", subj, small,
         rounds, params);
    emit("join.c.inproc", sec, "C ABI nscore_join", "raw setns+clone loop (C, in this process, libnscore loaded)",
         "us/op", "lower", subj, same, rounds, params);
    raw_join_close(&j);
    nscore_join_config_free(cfg);
    nscore_container_free(target); /* SIGKILL + reap */
}

/* ---- host size ----------------------------------------------------------------------------- */

/* One round: a small-host phase and a big-host phase, their order alternating. In the big phase
 * NSCore runs before the raw loop: a fork of a 2 GiB host leaves the machine busy for a while
 * (freeing the copied page tables, cold caches), which would otherwise be billed to NSCore. The
 * machine gets HOST_SETTLE_US after touching the big host and after freeing it: for a while after
 * 2 GiB were touched, any spawn is slower, posix_spawn(3) as much (up to 2x in a test here), and
 * that transient is not the host's size. Each phase starts with one discarded spawn of each
 * kind. NSCore's spawn is measured over HOST_NS_BATCH_FACTOR times the batch: it is ~100x shorter
 * than the raw loop's fork of a big host, and a lone scheduling blip would otherwise decide a
 * sample. */
#define HOST_NS_BATCH_FACTOR 4
#define HOST_SETTLE_US 200000
static void cmd_hostsize(void)
{
    const mode_t_ *m = mode_of('a');
    nscore_spawn_config *cfg = true_cfg(m);
    size_t bytes = (size_t)mib << 20;
    double ns_small[BENCH_MAX_ROUNDS], ns_big[BENCH_MAX_ROUNDS], raw_small[BENCH_MAX_ROUNDS], raw_big[BENCH_MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        for (int phase = 0; phase < 2; phase++) {
            int big = (phase == 0) == (r % 2 == 1); /* small first on even rounds */
            void *mem = NULL;
            if (big && !(mem = raw_big_alloc(bytes)))
                die("cannot map %d MiB", mib);
            if (big)
                usleep(HOST_SETTLE_US);
            (void)ns_spawn_batch_us(cfg, 1);
            (void)raw_spawn_batch_us(m->ns, 1);
            (void)ns_spawn_batch_us(cfg, 1);
            (big ? ns_big : ns_small)[r] = ns_spawn_batch_us(cfg, batch * HOST_NS_BATCH_FACTOR);
            (big ? raw_big : raw_small)[r] = raw_spawn_batch_us(m->ns, batch);
            raw_big_free(mem, bytes);
            if (big)
                usleep(HOST_SETTLE_US);
        }
    }
    char params[128], big_name[32], subj_name[128];
    snprintf(params, sizeof params, "\"mode\":\"a\",\"host_mib\":%d,\"batch\":%d,\"ns_batch\":%d", mib, batch,
             batch * HOST_NS_BATCH_FACTOR);
    snprintf(big_name, sizeof big_name, "%d MiB", mib);
    snprintf(subj_name, sizeof subj_name, "C ABI spawn, host touched %s", big_name);
    emit("hostsize.c", "3. host-size independence", subj_name, "C ABI spawn, small host", "us/op", "lower", ns_big,
         ns_small, rounds, params);
    snprintf(subj_name, sizeof subj_name, "raw fork-style clone3, host touched %s", big_name);
    emit("hostsize.c.raw", "3. host-size independence", subj_name, "raw fork-style clone3, small host", "us/op", "lower",
         raw_big, raw_small, rounds, params);
    snprintf(subj_name, sizeof subj_name, "C ABI spawn, host touched %s", big_name);
    char base_name[128];
    snprintf(base_name, sizeof base_name, "raw fork-style clone3, host touched %s", big_name);
    emit("hostsize.c.vsraw", "3. host-size independence", subj_name, base_name, "us/op", "lower", ns_big, raw_big,
         rounds, params);
    nscore_spawn_config_free(cfg);
}

/* ---- fd-count independence ---------------------------------------------------------------- */

/* As host size, with a host that holds `fds` open descriptors (a container manager's pidfds,
 * a server's sockets) instead of touched memory. */
static int nfds = 10000;

static void cmd_fdcount(void)
{
    raise_nofile();
    const mode_t_ *m = mode_of('a');
    nscore_spawn_config *cfg = true_cfg(m);
    int *held = calloc((size_t)nfds, sizeof *held);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (!held || null < 0)
        die("fdcount: setup");
    double ns_few[BENCH_MAX_ROUNDS], ns_many[BENCH_MAX_ROUNDS], raw_few[BENCH_MAX_ROUNDS], raw_many[BENCH_MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        for (int phase = 0; phase < 2; phase++) {
            int many = (phase == 0) == (r % 2 == 1);
            if (many)
                for (int i = 0; i < nfds; i++)
                    if ((held[i] = fcntl(null, F_DUPFD_CLOEXEC, 0)) < 0)
                        die("fdcount: cannot open %d fds: %s", nfds, strerror(errno));
            (void)ns_spawn_batch_us(cfg, 1);
            (void)raw_spawn_batch_us(m->ns, 1);
            (many ? ns_many : ns_few)[r] = ns_spawn_batch_us(cfg, batch);
            (many ? raw_many : raw_few)[r] = raw_spawn_batch_us(m->ns, batch);
            if (many)
                for (int i = 0; i < nfds; i++)
                    close(held[i]);
        }
    }
    char params[96], subj[96], raw_subj[96];
    snprintf(params, sizeof params, "\"mode\":\"a\",\"fds\":%d,\"batch\":%d", nfds, batch);
    snprintf(subj, sizeof subj, "C ABI spawn, host holds %d fds", nfds);
    snprintf(raw_subj, sizeof raw_subj, "raw fork-style clone3, host holds %d fds", nfds);
    const char *sec = "3. host-size independence";
    emit("fdcount.c", sec, subj, "C ABI spawn, host holds a few fds", "us/op", "lower", ns_many, ns_few, rounds, params);
    emit("fdcount.c.raw", sec, raw_subj, "raw fork-style clone3, host holds a few fds", "us/op", "lower", raw_many,
         raw_few, rounds, params);
    close(null);
    free(held);
    nscore_spawn_config_free(cfg);
}

/* ---- threads ------------------------------------------------------------------------------- */

typedef struct {
    pthread_barrier_t *start;
    int use_nscore;
    int n;
    const mode_t_ *mode;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    nscore_spawn_config *cfg = a->use_nscore ? true_cfg(a->mode) : NULL;
    pthread_barrier_wait(a->start);
    for (int i = 0; i < a->n; i++) {
        if (cfg)
            ns_spawn_wait(cfg);
        else if (raw_spawn_wait(a->mode->ns, TRUE_PATH) != 0)
            die("raw spawn failed in a thread");
    }
    nscore_spawn_config_free(cfg);
    return NULL;
}

/* Spawns per second with `nthreads` threads doing total/nthreads spawns each. */
static double run_threads(int nthreads, int use_nscore, const mode_t_ *m)
{
    pthread_t tids[64];
    worker_arg args[64];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
    int per = total / nthreads;
    for (int i = 0; i < nthreads; i++) {
        args[i] = (worker_arg){ &start, use_nscore, per, m };
        if (pthread_create(&tids[i], NULL, worker, &args[i]) != 0)
            die("pthread_create");
    }
    pthread_barrier_wait(&start);
    int64_t t0 = now_ns();
    for (int i = 0; i < nthreads; i++)
        pthread_join(tids[i], NULL);
    int64_t dt = now_ns() - t0;
    pthread_barrier_destroy(&start);
    return (double)per * nthreads / ((double)dt / 1e9);
}

static void cmd_threads(void)
{
    int counts[16];
    int nt = parse_list(threads_arg, counts, 16);
    const mode_t_ *m = mode_of('a');
    (void)run_threads(2, 0, m);
    (void)run_threads(2, 1, m);
    for (int t = 0; t < nt; t++) {
        double subj[BENCH_MAX_ROUNDS], base[BENCH_MAX_ROUNDS];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                base[r] = run_threads(counts[t], 0, m);
                subj[r] = run_threads(counts[t], 1, m);
            } else {
                subj[r] = run_threads(counts[t], 1, m);
                base[r] = run_threads(counts[t], 0, m);
            }
        }
        char id[64], params[128], sname[64], bname[64];
        snprintf(id, sizeof id, "threads.c.%d", counts[t]);
        snprintf(params, sizeof params, "\"threads\":%d,\"spawns_per_round\":%d,\"mode\":\"a\"", counts[t],
                 total / counts[t] * counts[t]);
        snprintf(sname, sizeof sname, "C ABI spawn, %d thread%s", counts[t], counts[t] > 1 ? "s" : "");
        snprintf(bname, sizeof bname, "raw fork-style clone3, %d thread%s", counts[t], counts[t] > 1 ? "s" : "");
        emit(id, "4. parallel spawns (throughput)", sname, bname, "spawns/s", "higher", subj, base, rounds, params);
    }
}

/* ---- inspection ---------------------------------------------------------------------------- */

static double lsns_batch_us(char *const argv[], int n)
{
    int64_t t = 0;
    for (int i = 0; i < n; i++) {
        int64_t dt = run_cmd(argv, -1, NULL, NULL);
        if (dt < 0)
            die("%s failed", argv[0]);
        t += dt;
    }
    return (double)t / n / 1e3;
}

static double inspect_batch_us(int list, pid_t pid, int n)
{
    int64_t t0 = now_ns();
    for (int i = 0; i < n; i++) {
        char *json = NULL;
        nscore_error *err = NULL;
        int rc = list ? nscore_inspect_list_json(NSCORE_NS_ALL, &json, &err)
                      : nscore_inspect_namespaces_json(pid, &json, &err);
        check(rc, err, list ? "nscore_inspect_list_json" : "nscore_inspect_namespaces_json");
        if (strlen(json) < 16)
            die("inspection returned %s", json);
        nscore_string_free(json);
    }
    return (double)(now_ns() - t0) / n / 1e3;
}

static void cmd_inspect(void)
{
    nscore_container *target = start_target();
    pid_t pid = nscore_container_pid(target);
    char pidtext[16];
    snprintf(pidtext, sizeof pidtext, "%d", (int)pid);
    char *lsns_pid[] = { "lsns", "--json", "-p", pidtext, NULL };
    char *lsns_all[] = { "lsns", "--json", NULL };
    for (int list = 0; list < 2; list++) {
        char *const *argv = list ? lsns_all : lsns_pid;
        double subj[BENCH_MAX_ROUNDS], base[BENCH_MAX_ROUNDS];
        (void)lsns_batch_us(argv, 1);
        (void)inspect_batch_us(list, pid, 2);
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                base[r] = lsns_batch_us(argv, batch);
                subj[r] = inspect_batch_us(list, pid, batch);
            } else {
                subj[r] = inspect_batch_us(list, pid, batch);
                base[r] = lsns_batch_us(argv, batch);
            }
        }
        char params[64];
        snprintf(params, sizeof params, "\"batch\":%d", batch);
        if (list)
            emit("inspect.c.list", "5. inspection", "nscore_inspect_list_json (in-process)", "lsns --json", "us/op",
                 "lower", subj, base, rounds, params);
        else
            emit("inspect.c.pid", "5. inspection", "nscore_inspect_namespaces_json(pid) (in-process)",
                 "lsns --json -p PID", "us/op", "lower", subj, base, rounds, params);
    }
    nscore_container_free(target);
}

/* ---- nscore-init's memory -------------------------------------------------------------------- */

static long status_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = atol(line + n + 1);
    fclose(f);
    return v;
}

static pid_t first_child(pid_t pid)
{
    char path[96], buf[64] = "";
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    pid_t c = -1;
    if (fgets(buf, sizeof buf, f))
        c = (pid_t)atoi(buf);
    fclose(f);
    return c > 0 ? c : -1;
}

static void cmd_initrss(void)
{
    const char *argv[] = { SLEEP_PATH, "100000", NULL };
    mode_t_ m = { 'i', "pid+mnt, --init", NSCORE_NS_PID | NSCORE_NS_MNT, 0 };
    double init_kib[BENCH_MAX_ROUNDS], cmd_kib[BENCH_MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        nscore_spawn_config *cfg = make_cfg(&m, argv, 1);
        nscore_error *err = NULL;
        nscore_container *c = NULL;
        check(nscore_spawn_config_set_init(cfg, 1, &err), err, "set_init");
        check(nscore_spawn(cfg, &c, &err), err, "spawn with init");
        pid_t pid = nscore_container_pid(c), child = -1;
        for (int i = 0; i < 2000 && child < 0; i++) {
            child = first_child(pid);
            if (child < 0)
                usleep(1000);
        }
        /* wait until the command has exec'd sleep (its comm changes), then let it settle */
        char comm_path[64], comm[32] = "";
        snprintf(comm_path, sizeof comm_path, "/proc/%d/comm", (int)child);
        for (int i = 0; i < 2000 && strncmp(comm, "sleep", 5) != 0; i++) {
            FILE *f = fopen(comm_path, "r");
            if (f) {
                if (!fgets(comm, sizeof comm, f))
                    comm[0] = 0;
                fclose(f);
            }
            if (strncmp(comm, "sleep", 5) != 0)
                usleep(1000);
        }
        usleep(20000);
        init_kib[r] = (double)status_kib(pid, "VmHWM");
        cmd_kib[r] = (double)status_kib(child, "VmHWM");
        if (init_kib[r] <= 0 || cmd_kib[r] <= 0)
            die("cannot read VmHWM of init %d / command %d", (int)pid, (int)child);
        nscore_container_free(c);
        nscore_spawn_config_free(cfg);
    }
    emit("mem.init", "6. memory", "nscore-init as PID 1 (VmHWM)", "the sleep(1) it supervises (VmHWM)", "KiB", "lower",
         init_kib, cmd_kib, rounds, "\"how\":\"/proc/PID/status VmHWM\"");
}

/* ---- scale: many live network-namespace containers ------------------------------------------ */

/* `total` live containers in a row, each in a new network namespace, running a static pause
 * program until the end; blocks of `block`, NSCore and raw alternating by pairs of blocks (the
 * order flipping from pair to pair), so each kind makes total/2 of them and both see the same
 * number of live namespaces. Every block is timed; teardown likewise. */
static void cmd_scale(void)
{
    raise_nofile();
    int npairs = total / block / 2;
    if (npairs < 1 || npairs > BENCH_MAX_ROUNDS)
        die("scale: need at least two blocks");
    const mode_t_ net = { 'n', "net", NSCORE_NS_NET, 0 };
    const char *argv[] = { scale_cmd, "100000", NULL };
    char *raw_argv[] = { (char *)scale_cmd, "100000", NULL };
    nscore_spawn_config *cfg = make_cfg(&net, argv, 1);
    nscore_error *err = NULL;
    check(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_NULL, -1, &err), err, "set_stdio");
    int per_kind = npairs * block;
    nscore_container **cs = calloc((size_t)per_kind, sizeof *cs);
    pid_t *raw = calloc((size_t)per_kind, sizeof *raw);
    double ns_rate[BENCH_MAX_ROUNDS], raw_rate[BENCH_MAX_ROUNDS], first[BENCH_MAX_ROUNDS], raw_first[BENCH_MAX_ROUNDS];
    double ns_down[BENCH_MAX_ROUNDS], raw_down[BENCH_MAX_ROUNDS];
    raw_pdeathsig = SIGKILL;
    raw_wait_exec = 1; /* as nscore_spawn, return once the command is exec'd */
    for (int k = 0; k < npairs; k++) {
        for (int phase = 0; phase < 2; phase++) {
            int use_ns = (phase == 0) == (k % 2 == 0);
            int64_t t0 = now_ns();
            for (int i = k * block; i < (k + 1) * block; i++) {
                if (use_ns) {
                    check(nscore_spawn(cfg, &cs[i], &err), err, "nscore_spawn (scale)");
                } else if ((raw[i] = raw_spawn_start(RAW_NS_NET, scale_cmd, raw_argv)) < 0) {
                    die("raw spawn (scale) #%d: %s", i, strerror(-raw[i]));
                }
            }
            (use_ns ? ns_rate : raw_rate)[k] = block / ((double)(now_ns() - t0) / 1e9);
        }
        fprintf(stderr, "scale: %d live network-namespace containers\n", 2 * (k + 1) * block);
    }
    for (int k = 0; k < npairs; k++) {
        first[k] = ns_rate[0];
        raw_first[k] = raw_rate[0];
    }
    for (int k = 0; k < npairs; k++) {
        for (int phase = 0; phase < 2; phase++) {
            int use_ns = (phase == 0) == (k % 2 == 0);
            int64_t t0 = now_ns();
            for (int i = k * block; i < (k + 1) * block; i++) {
                if (use_ns) {
                    nscore_container_free(cs[i]); /* SIGKILL + reap through the pidfd */
                } else {
                    kill(raw[i], SIGKILL);
                    while (waitpid(raw[i], NULL, 0) < 0 && errno == EINTR) {
                    }
                }
            }
            (use_ns ? ns_down : raw_down)[k] = block / ((double)(now_ns() - t0) / 1e9);
        }
    }

    char params[160];
    const char *base = strrchr(scale_cmd, '/');
    snprintf(params, sizeof params, "\"containers\":%d,\"per_kind\":%d,\"block\":%d,\"command\":\"%s\"", 2 * per_kind,
             per_kind, block, base ? base + 1 : scale_cmd);
    const char *sec = "8. scale: live network-namespace containers";
    emit("scale.rate", sec, "C ABI spawn rate, per block", "raw clone3 rate (waits for exec), paired block",
         "spawns/s", "higher", ns_rate, raw_rate, npairs, params);
    emit("scale.decay", sec, "C ABI spawn rate, per block", "C ABI spawn rate, first block", "spawns/s", "higher",
         ns_rate, first, npairs, params);
    emit("scale.decay.raw", sec, "raw clone3 rate, per block", "raw clone3 rate, first block", "spawns/s", "higher",
         raw_rate, raw_first, npairs, params);
    emit("scale.teardown", sec, "nscore_container_free (kill + reap), per block", "kill + waitpid (raw), paired block",
         "containers/s", "higher", ns_down, raw_down, npairs, params);
    free(cs);
    free(raw);
    nscore_spawn_config_free(cfg);
}

/* ---- veth: a container with a veth network -------------------------------------------------- */

static const char *VETH_SEC =
    "9. veth network: a new network namespace with eth0 on a bridge, one IPv4 address and the default route";
static const char *VETH_BRIDGE = "nsbbr0", *VETH_BRIDGE_CIDR = "10.99.0.1/16", *VETH_CIDR = "10.99.0.2/16",
                  *VETH_GATEWAY = "10.99.0.1";

/* Never configure the machine's own network namespace: run.sh starts these benchmarks in one
 * of their own (unshare --net), which their parent is not in. */
static void require_own_netns(void)
{
    struct stat self, parent;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)getppid());
    if (stat("/proc/self/ns/net", &self) < 0 || stat(path, &parent) < 0)
        die("veth: cannot stat the network namespaces: %s", strerror(errno));
    if (self.st_ino == parent.st_ino && self.st_dev == parent.st_dev)
        die("veth: run this benchmark in a network namespace of its own (unshare --net), not its parent's");
}

/* `nscore run -n --network veth --bridge B:CIDR [--ip A --gateway G]` for `argv`. With
 * `address` NULL the container gets the next free address of the bridge's subnet. */
static nscore_spawn_config *veth_cfg(const char *const *argv, const char *address, int kill_on_parent_death)
{
    const mode_t_ net = { 'n', "net", NSCORE_NS_NET, 0 };
    nscore_spawn_config *cfg = make_cfg(&net, argv, kill_on_parent_death);
    nscore_error *err = NULL;
    check(nscore_spawn_config_set_network(cfg, NSCORE_NETWORK_VETH, &err), err, "set_network");
    check(nscore_spawn_config_set_bridge(cfg, VETH_BRIDGE, VETH_BRIDGE_CIDR, 1, &err), err, "set_bridge");
    if (address) {
        check(nscore_spawn_config_add_address(cfg, address, &err), err, "add_address");
        check(nscore_spawn_config_set_gateway(cfg, VETH_GATEWAY, &err), err, "set_gateway");
    }
    return cfg;
}

/* n containers running /bin/true, one after the other: *ready gets the mean time (µs) from the
 * call to the command's exec (nscore_spawn returns then), the result is the mean whole cycle
 * (spawn, wait, the host end deleted at the reap). */
static double ns_veth_batch_us(const nscore_spawn_config *cfg, int n, double *ready)
{
    int64_t t0 = now_ns(), spawning = 0;
    for (int i = 0; i < n; i++) {
        nscore_container *c = NULL;
        nscore_error *err = NULL;
        int status = -1;
        int64_t s0 = now_ns();
        check(nscore_spawn(cfg, &c, &err), err, "nscore_spawn (veth)");
        spawning += now_ns() - s0;
        check(nscore_container_wait(c, -1, &status, &err), err, "nscore_container_wait (veth)");
        nscore_container_free(c);
        if (status != 0)
            die("nscore_spawn (veth): /bin/true exited with status 0x%x", status);
    }
    *ready = (double)spawning / n / 1e3;
    return (double)(now_ns() - t0) / n / 1e3;
}

static double raw_veth_batch_us(raw_veth *v, int n, double *ready)
{
    int64_t t0 = now_ns(), spawning = 0;
    for (int i = 0; i < n; i++) {
        char host[16];
        int64_t s0 = now_ns();
        pid_t pid = raw_veth_start(v, host, TRUE_PATH, NULL);
        if (pid < 0)
            die("raw veth spawn: %s", strerror(-pid));
        spawning += now_ns() - s0;
        int st = raw_veth_finish(v, pid, host);
        if (st != 0)
            die("raw veth: %s", st < 0 ? strerror(-st) : "/bin/true failed");
    }
    *ready = (double)spawning / n / 1e3;
    return (double)(now_ns() - t0) / n / 1e3;
}

/* NSCore and the raw netlink loop (rawveth.c), in this process, the order alternating. */
static void cmd_veth(void)
{
    require_own_netns();
    const char *argv[] = { TRUE_PATH, NULL };
    nscore_spawn_config *cfg = veth_cfg(argv, VETH_CIDR, 0);
    raw_veth v;
    int rc = raw_veth_open(&v, VETH_BRIDGE, VETH_BRIDGE_CIDR, VETH_CIDR, VETH_GATEWAY);
    if (rc < 0)
        die("raw_veth_open: %s", strerror(-rc));
    raw_wait_exec = 1; /* as nscore_spawn, return once the command is exec'd */
    double ready[BENCH_MAX_ROUNDS], raw_ready[BENCH_MAX_ROUNDS], cycle[BENCH_MAX_ROUNDS], raw_cycle[BENCH_MAX_ROUNDS];
    double scratch;
    int warm = batch / 4 + 1;
    (void)ns_veth_batch_us(cfg, warm, &scratch);
    (void)raw_veth_batch_us(&v, warm, &scratch);
    for (int r = 0; r < rounds; r++) {
        if (r % 2 == 0) {
            cycle[r] = ns_veth_batch_us(cfg, batch, &ready[r]);
            raw_cycle[r] = raw_veth_batch_us(&v, batch, &raw_ready[r]);
        } else {
            raw_cycle[r] = raw_veth_batch_us(&v, batch, &raw_ready[r]);
            cycle[r] = ns_veth_batch_us(cfg, batch, &ready[r]);
        }
    }
    char params[96];
    snprintf(params, sizeof params, "\"batch\":%d,\"how\":\"in-process\"", batch);
    emit("veth.c.ready", VETH_SEC, "C ABI nscore_spawn, until the command's exec (network ready)",
         "raw netlink loop (C, in this process): the same requests", "us/op", "lower", ready, raw_ready, rounds,
         params);
    emit("veth.c.cycle", VETH_SEC, "C ABI spawn + wait (host end deleted at the reap)",
         "raw netlink loop: spawn + waitpid + RTM_DELLINK", "us/op", "lower", cycle, raw_cycle, rounds, params);
    raw_veth_close(&v);
    nscore_spawn_config_free(cfg);
}

static long self_kib(const char *field)
{
    return status_kib(getpid(), field);
}

static long mem_available_kib(void)
{
    FILE *f = fopen("/proc/meminfo", "re");
    char line[128];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %ld kB", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

/* `total` veth containers on one bridge, all alive until the end, in blocks of `block`; NSCore
 * and the raw loop alternate by pairs of blocks (the order flipping from pair to pair), so both
 * see the same number of links on the bridge. Addresses come from the bridge's /16 (NSCore's
 * pool; the raw loop gives every container the same one, in its own namespace). Reports the
 * rate per block, its decay, the teardown, this process's peak RSS and the memory the machine
 * gave per container. */
static void cmd_veth_scale(void)
{
    require_own_netns();
    raise_nofile();
    int npairs = total / block / 2;
    if (npairs < 1 || npairs > BENCH_MAX_ROUNDS)
        die("veth-scale: need at least two blocks");
    const char *argv[] = { scale_cmd, "100000", NULL };
    char *raw_argv[] = { (char *)scale_cmd, "100000", NULL };
    nscore_spawn_config *cfg = veth_cfg(argv, NULL, 1);
    nscore_error *err = NULL;
    check(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_NULL, -1, &err), err, "set_stdio");
    raw_veth v;
    int rc = raw_veth_open(&v, VETH_BRIDGE, VETH_BRIDGE_CIDR, "10.99.255.254/16", VETH_GATEWAY);
    if (rc < 0)
        die("raw_veth_open: %s", strerror(-rc));
    int per_kind = npairs * block;
    nscore_container **cs = calloc((size_t)per_kind, sizeof *cs);
    pid_t *raw = calloc((size_t)per_kind, sizeof *raw);
    char (*hosts)[16] = calloc((size_t)per_kind, sizeof *hosts);
    double ns_rate[BENCH_MAX_ROUNDS], raw_rate[BENCH_MAX_ROUNDS], first[BENCH_MAX_ROUNDS], raw_first[BENCH_MAX_ROUNDS];
    double ns_down[BENCH_MAX_ROUNDS], raw_down[BENCH_MAX_ROUNDS];
    raw_pdeathsig = SIGKILL;
    raw_wait_exec = 1;
    long avail0 = mem_available_kib(), rss0 = self_kib("VmRSS");
    for (int k = 0; k < npairs; k++) {
        for (int phase = 0; phase < 2; phase++) {
            int use_ns = (phase == 0) == (k % 2 == 0);
            int64_t t0 = now_ns();
            for (int i = k * block; i < (k + 1) * block; i++) {
                if (use_ns) {
                    check(nscore_spawn(cfg, &cs[i], &err), err, "nscore_spawn (veth scale)");
                } else if ((raw[i] = raw_veth_start(&v, hosts[i], scale_cmd, raw_argv)) < 0) {
                    die("raw veth spawn (scale) #%d: %s", i, strerror(-raw[i]));
                }
            }
            (use_ns ? ns_rate : raw_rate)[k] = block / ((double)(now_ns() - t0) / 1e9);
        }
        fprintf(stderr, "veth-scale: %d live veth containers\n", 2 * (k + 1) * block);
    }
    long avail1 = mem_available_kib(), hwm = self_kib("VmHWM");
    for (int k = 0; k < npairs; k++) {
        first[k] = ns_rate[0];
        raw_first[k] = raw_rate[0];
    }
    for (int k = 0; k < npairs; k++) {
        for (int phase = 0; phase < 2; phase++) {
            int use_ns = (phase == 0) == (k % 2 == 0);
            int64_t t0 = now_ns();
            for (int i = k * block; i < (k + 1) * block; i++) {
                if (use_ns) {
                    nscore_container_free(cs[i]); /* SIGKILL + reap; the reap deletes the host end */
                } else {
                    kill(raw[i], SIGKILL);
                    int st = raw_veth_finish(&v, raw[i], hosts[i]);
                    if (st < 0)
                        die("raw veth teardown: %s", strerror(-st));
                }
            }
            (use_ns ? ns_down : raw_down)[k] = block / ((double)(now_ns() - t0) / 1e9);
        }
    }
    char params[256];
    const char *base = strrchr(scale_cmd, '/');
    snprintf(params, sizeof params,
             "\"containers\":%d,\"per_kind\":%d,\"block\":%d,\"command\":\"%s\",\"peak_rss_kib\":%ld,"
             "\"rss_before_kib\":%ld,\"mem_available_drop_kib_per_container\":%ld",
             2 * per_kind, per_kind, block, base ? base + 1 : scale_cmd, hwm, rss0,
             (avail0 - avail1) / (2 * per_kind));
    emit("veth.scale.rate", VETH_SEC, "C ABI veth spawn rate, per block", "raw netlink loop rate, paired block",
         "spawns/s", "higher", ns_rate, raw_rate, npairs, params);
    emit("veth.scale.decay", VETH_SEC, "C ABI veth spawn rate, per block", "C ABI veth spawn rate, first block",
         "spawns/s", "higher", ns_rate, first, npairs, params);
    emit("veth.scale.decay.raw", VETH_SEC, "raw netlink loop rate, per block", "raw netlink loop rate, first block",
         "spawns/s", "higher", raw_rate, raw_first, npairs, params);
    emit("veth.scale.teardown", VETH_SEC, "nscore_container_free (kill, reap, host end deleted), per block",
         "kill + waitpid + RTM_DELLINK (raw), paired block", "containers/s", "higher", ns_down, raw_down, npairs,
         params);
    double peak[1] = { (double)hwm / 1024.0 }, before[1] = { (double)rss0 / 1024.0 };
    snprintf(params, sizeof params, "\"containers\":%d,\"how\":\"VmHWM of the benchmark process\",\"ratio\":false",
             2 * per_kind);
    emit("veth.scale.rss", VETH_SEC, "peak RSS of the host process with all containers alive",
         "its RSS before the first spawn", "MiB", "lower", peak, before, 1, params);
    free(cs);
    free(raw);
    free(hosts);
    raw_veth_close(&v);
    nscore_spawn_config_free(cfg);
}

/* ---- rootfs: a container in a root filesystem ------------------------------------------------ */

static const char *ROOTFS_SEC =
    "7. rootfs container: /bin/true in a root filesystem (pid+ipc+uts+mnt+net, default mounts, masked paths, "
    "read-only root)";

/* What `nscore run -p -i -u -m -n --rootfs DIR --read-only -- /bin/true` asks for: mode b, the
 * root read-only, the default mounts, masked and read-only paths (the defaults, spelled out). */
static nscore_spawn_config *rootfs_cfg(void)
{
    nscore_spawn_config *cfg = true_cfg(mode_of('b'));
    nscore_error *err = NULL;
    check(nscore_spawn_config_set_root(cfg, rootfs_dir, 1, &err), err, "set_root");
    check(nscore_spawn_config_set_default_mounts(cfg, 1, &err), err, "set_default_mounts");
    check(nscore_spawn_config_set_masked_paths(cfg, NULL, &err), err, "set_masked_paths");
    check(nscore_spawn_config_set_readonly_paths(cfg, NULL, &err), err, "set_readonly_paths");
    return cfg;
}

static double raw_rootfs_batch_us(int n)
{
    int64_t dt = raw_rootfs_batch(rootfs_dir, TRUE_PATH, n);
    if (dt < 0)
        die("raw rootfs spawn: %s", strerror((int)-dt));
    return (double)dt / n / 1e3;
}

/* As cmd_spawn: NSCore, the raw rootfs loop in a small C process (rawrootfs --batch) and the
 * same loop in this process, the order rotating from round to round. */
static void cmd_rootfs(void)
{
    nscore_spawn_config *cfg = rootfs_cfg();
    double subj[BENCH_MAX_ROUNDS], small[BENCH_MAX_ROUNDS], same[BENCH_MAX_ROUNDS];
    char nbuf[16], wbuf[16];
    int warm = batch / 4 + 1;
    snprintf(nbuf, sizeof nbuf, "%d", batch);
    snprintf(wbuf, sizeof wbuf, "%d", warm);
    (void)raw_rootfs_batch_us(warm);
    (void)small_prog_us("NSBENCH_RAWROOTFS", "--batch", wbuf, rootfs_dir, warm);
    (void)ns_spawn_batch_us(cfg, warm);
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 3; k++) {
            switch ((k + r) % 3) {
            case 0: subj[r] = ns_spawn_batch_us(cfg, batch); break;
            case 1: small[r] = small_prog_us("NSBENCH_RAWROOTFS", "--batch", nbuf, rootfs_dir, batch); break;
            default: same[r] = raw_rootfs_batch_us(batch); break;
            }
        }
    }
    char params[96];
    snprintf(params, sizeof params, "\"batch\":%d,\"how\":\"in-process\"", batch);
    emit("rootfs.c", ROOTFS_SEC, "C ABI nscore_spawn + wait, in-process", "raw rootfs loop (small C process)", "us/op",
         "lower", subj, small, rounds, params);
    emit("rootfs.c.inproc", ROOTFS_SEC, "C ABI nscore_spawn + wait, in-process",
         "raw rootfs loop (C, in this process, libnscore loaded)", "us/op", "lower", subj, same, rounds, params);
    nscore_spawn_config_free(cfg);
}

/* ---- security: a rootfs container's default security setup against none ------------------- */

static const char *SECURITY_SEC = "10. security: the default seccomp profile, capabilities, no_new_privs";

/* The rootfs spawn of section 7 with its security defaults, spelled out (Docker's capabilities,
 * no_new_privs, NSCore's default seccomp profile) and one resource limit (RLIMIT_NOFILE
 * 1024:1024); or privileged: every capability, no_new_privs off, no seccomp filter. */
static nscore_spawn_config *security_cfg(int secure)
{
    nscore_spawn_config *cfg = rootfs_cfg();
    nscore_process_config *p = nscore_spawn_config_process(cfg);
    nscore_error *err = NULL;
    if (secure) {
        check(nscore_process_config_clear_capabilities(p, &err), err, "clear_capabilities");
        check(nscore_spawn_config_set_no_new_privileges(cfg, 1, &err), err, "set_no_new_privileges");
        check(nscore_spawn_config_set_seccomp(cfg, NULL, &err), err, "set_seccomp");
        check(nscore_process_config_add_rlimit(p, "RLIMIT_NOFILE", 1024, 1024, &err), err, "add_rlimit");
    } else {
        const char *all[] = { "ALL", NULL };
        check(nscore_process_config_set_capabilities(
                  p, NSCORE_CAPS_BOUNDING | NSCORE_CAPS_EFFECTIVE | NSCORE_CAPS_PERMITTED, all, &err),
              err, "set_capabilities");
        check(nscore_spawn_config_set_no_new_privileges(cfg, 0, &err), err, "set_no_new_privileges");
        check(nscore_spawn_config_set_seccomp_unconfined(cfg, &err), err, "set_seccomp_unconfined");
    }
    return cfg;
}

/* Both spawns + wait, `batch` of each per round, interleaved one by one (A B, B A, ...): the
 * difference is a few percent of a spawn, and on a busy machine load that comes and goes within
 * a batch would otherwise decide a round. A sample is the mean of the round's spawns. */
static void cmd_security(void)
{
    nscore_spawn_config *secure = security_cfg(1), *open_cfg = security_cfg(0);
    double subj[BENCH_MAX_ROUNDS], base[BENCH_MAX_ROUNDS];
    int warm = batch / 4 + 1;
    (void)ns_spawn_batch_us(secure, warm); /* the first compiles the profile (then cached) */
    (void)ns_spawn_batch_us(open_cfg, warm);
    for (int r = 0; r < rounds; r++) {
        double s = 0, b = 0;
        for (int i = 0; i < batch; i++) {
            if ((i + r) % 2 == 0) {
                s += ns_spawn_batch_us(secure, 1);
                b += ns_spawn_batch_us(open_cfg, 1);
            } else {
                b += ns_spawn_batch_us(open_cfg, 1);
                s += ns_spawn_batch_us(secure, 1);
            }
        }
        subj[r] = s / batch;
        base[r] = b / batch;
    }
    char params[64];
    snprintf(params, sizeof params, "\"batch\":%d", batch);
    emit("security.spawn", SECURITY_SEC,
         "rootfs spawn + wait, default security: Docker's capabilities, no_new_privs, default seccomp profile, "
         "RLIMIT_NOFILE",
         "the same spawn privileged: every capability, no_new_privs off, seccomp unconfined", "us/op", "lower", subj,
         base, rounds, params);
    nscore_spawn_config_free(secure);
    nscore_spawn_config_free(open_cfg);
}

/* A mountinfo file: its lines, NUL-separated in a malloc'd buffer; *count gets their number. */
static char *read_mountinfo(const char *path, int *count)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    ssize_t k;
    while (buf && (k = read(fd, buf + len, cap - len)) > 0) {
        len += (size_t)k;
        if (len == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    close(fd);
    if (!buf)
        die("read %s", path);
    buf[len] = 0;
    *count = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n') {
            buf[i] = 0;
            ++*count;
        }
    return buf;
}

/* Prints to stderr the lines of `a` missing from `b`, prefixed with `tag`. */
static void print_missing(const char *tag, const char *a, int na, const char *b, int nb)
{
    const char *p = a;
    for (int i = 0; i < na; i++, p += strlen(p) + 1) {
        const char *q = b;
        int found = 0;
        for (int j = 0; j < nb && !found; j++, q += strlen(q) + 1)
            found = !strcmp(p, q);
        if (!found)
            fprintf(stderr, "  %s %s\n", tag, p);
    }
}

typedef struct {
    pthread_barrier_t *start;
    nscore_spawn_config *cfg; /* NULL: the raw loop */
    atomic_int *next;
    int end;
} rootfs_worker_arg;

static void *rootfs_worker(void *p)
{
    rootfs_worker_arg *a = p;
    pthread_barrier_wait(a->start);
    while (atomic_fetch_add(a->next, 1) < a->end) {
        if (a->cfg) {
            ns_spawn_wait(a->cfg);
        } else {
            int st = raw_rootfs_wait(rootfs_dir, TRUE_PATH);
            if (st != 0)
                die("raw rootfs spawn in a thread: status %d", st);
        }
    }
    return NULL;
}

/* One block: `n` containers started and waited for by `nthreads` threads taking them from a
 * shared counter. Returns containers per second. */
static double rootfs_block(int nthreads, nscore_spawn_config **cfgs, int n)
{
    pthread_t tids[64];
    rootfs_worker_arg args[64];
    pthread_barrier_t start;
    atomic_int next = 0;
    pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
    for (int i = 0; i < nthreads; i++) {
        args[i] = (rootfs_worker_arg){ &start, cfgs ? cfgs[i] : NULL, &next, n };
        if (pthread_create(&tids[i], NULL, rootfs_worker, &args[i]) != 0)
            die("pthread_create");
    }
    pthread_barrier_wait(&start);
    int64_t t0 = now_ns();
    for (int i = 0; i < nthreads; i++)
        pthread_join(tids[i], NULL);
    int64_t dt = now_ns() - t0;
    pthread_barrier_destroy(&start);
    return n / ((double)dt / 1e9);
}

/* `total` NSCore rootfs containers from `nthreads` threads in blocks of `block`, each followed
 * or preceded (the order flipping from block to block) by a block of the raw loop, so both see
 * the same kernel state (the network and mount namespaces still being torn down). The mountinfo
 * of this process's mount namespace and of the host's (--host-mountinfo) are counted before and
 * after: a container that left a mount behind fails the benchmark. */
static void cmd_rootfs_threads(int nthreads)
{
    int nblocks = total / block;
    if (nblocks < 2 || nblocks > BENCH_MAX_ROUNDS || nthreads < 1 || nthreads > 64)
        die("rootfs-threads: need 2..%d blocks and 1..64 threads", BENCH_MAX_ROUNDS);
    nscore_spawn_config *cfgs[64];
    for (int i = 0; i < nthreads; i++)
        cfgs[i] = rootfs_cfg();
    /* warm-up, outside the mount counts' window as well */
    (void)rootfs_block(nthreads, cfgs, nthreads);
    (void)rootfs_block(nthreads, NULL, nthreads);

    int self_before, self_after, host_before = 0, host_after = 0;
    char *self0 = read_mountinfo("/proc/self/mountinfo", &self_before);
    char *host0 = host_mountinfo ? read_mountinfo(host_mountinfo, &host_before) : NULL;
    double ns_rate[BENCH_MAX_ROUNDS], raw_rate[BENCH_MAX_ROUNDS], first[BENCH_MAX_ROUNDS], raw_first[BENCH_MAX_ROUNDS];
    for (int k = 0; k < nblocks; k++) {
        for (int phase = 0; phase < 2; phase++) {
            int use_ns = (phase == 0) == (k % 2 == 0);
            (use_ns ? ns_rate : raw_rate)[k] = rootfs_block(nthreads, use_ns ? cfgs : NULL, block);
        }
    }
    char *self1 = read_mountinfo("/proc/self/mountinfo", &self_after);
    char *host1 = host_mountinfo ? read_mountinfo(host_mountinfo, &host_after) : NULL;
    for (int k = 0; k < nblocks; k++) {
        first[k] = ns_rate[0];
        raw_first[k] = raw_rate[0];
    }

    char params[256];
    snprintf(params, sizeof params,
             "\"threads\":%d,\"containers\":%d,\"block\":%d,\"first\":%.1f,\"last\":%.1f,\"raw_first\":%.1f,"
             "\"raw_last\":%.1f",
             nthreads, nblocks * block, block, ns_rate[0], ns_rate[nblocks - 1], raw_rate[0], raw_rate[nblocks - 1]);
    char sname[128], bname[128];
    snprintf(sname, sizeof sname, "C ABI rootfs spawn + wait, %d threads, per block of %d", nthreads, block);
    snprintf(bname, sizeof bname, "raw rootfs loop, %d threads, paired block", nthreads);
    emit("rootfs.threads.rate", ROOTFS_SEC, sname, bname, "spawns/s", "higher", ns_rate, raw_rate, nblocks, params);
    snprintf(bname, sizeof bname, "C ABI rootfs spawn, first block of %d", block);
    emit("rootfs.threads.decay", ROOTFS_SEC, sname, bname, "spawns/s", "higher", ns_rate, first, nblocks, params);
    snprintf(sname, sizeof sname, "C ABI rootfs spawn, last block of %d (#%d)", block, nblocks);
    emit("rootfs.threads.last", ROOTFS_SEC, sname, bname, "spawns/s", "higher", &ns_rate[nblocks - 1], first, 1,
         params);
    snprintf(sname, sizeof sname, "raw rootfs loop, %d threads, per block of %d", nthreads, block);
    snprintf(bname, sizeof bname, "raw rootfs loop, first block of %d", block);
    emit("rootfs.threads.decay.raw", ROOTFS_SEC, sname, bname, "spawns/s", "higher", raw_rate, raw_first, nblocks,
         params);

    double a[1] = { self_after }, b[1] = { self_before };
    snprintf(sname, sizeof sname, "mountinfo lines after %d + %d rootfs containers (the benchmark's mount namespace)",
             nblocks * block, nblocks * block);
    emit("rootfs.threads.mounts", ROOTFS_SEC, sname, "mountinfo lines before", "lines", "lower", a, b, 1,
         "\"file\":\"/proc/self/mountinfo\"");
    if (host_mountinfo) {
        a[0] = host_after;
        b[0] = host_before;
        snprintf(sname, sizeof sname, "mountinfo lines after %d + %d rootfs containers (the host's)", nblocks * block,
                 nblocks * block);
        snprintf(params, sizeof params, "\"file\":\"%s\"", host_mountinfo);
        emit("rootfs.threads.mounts.host", ROOTFS_SEC, sname, "mountinfo lines before", "lines", "lower", a, b, 1,
             params);
    }
    int leaked = 0;
    if (self_after != self_before) {
        fprintf(stderr, "bench: rootfs-threads: /proc/self/mountinfo had %d lines, now %d:\n", self_before, self_after);
        print_missing("+", self1, self_after, self0, self_before);
        print_missing("-", self0, self_before, self1, self_after);
        leaked = 1;
    }
    if (host_mountinfo && host_after != host_before) {
        fprintf(stderr, "bench: rootfs-threads: %s had %d lines, now %d:\n", host_mountinfo, host_before, host_after);
        print_missing("+", host1, host_after, host0, host_before);
        print_missing("-", host0, host_before, host1, host_after);
        leaked = 1;
    }
    free(self0);
    free(self1);
    free(host0);
    free(host1);
    for (int i = 0; i < nthreads; i++)
        nscore_spawn_config_free(cfgs[i]);
    if (leaked)
        die("rootfs-threads: the mount table changed (see above): a container left a mount behind");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: bench spawn|join|hostsize|fdcount|threads|inspect|initrss|scale|veth|veth-scale|rootfs|rootfs-threads|"
            "security [options]");
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--rounds"))
            rounds = atoi(v);
        else if (!strcmp(k, "--batch"))
            batch = atoi(v);
        else if (!strcmp(k, "--total"))
            total = atoi(v);
        else if (!strcmp(k, "--block"))
            block = atoi(v);
        else if (!strcmp(k, "--mib"))
            mib = atoi(v);
        else if (!strcmp(k, "--fds"))
            nfds = atoi(v);
        else if (!strcmp(k, "--modes")) {
            size_t n = 0;
            for (const char *p = v; *p && n + 1 < sizeof modes; p++)
                if (*p != ',')
                    modes[n++] = *p;
            modes[n] = 0;
        } else if (!strcmp(k, "--cmd"))
            scale_cmd = v;
        else if (!strcmp(k, "--threads"))
            snprintf(threads_arg, sizeof threads_arg, "%s", v);
        else if (!strcmp(k, "--rootfs"))
            rootfs_dir = v;
        else if (!strcmp(k, "--host-mountinfo"))
            host_mountinfo = v;
        else
            die("unknown option %s", k);
    }
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS || batch < 1 || total < 1 || block < 1)
        die("bad sizes");
    /* Die with our parent (run.sh's timeout), so that nothing outlives a killed run. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "spawn"))
        cmd_spawn();
    else if (!strcmp(cmd, "join"))
        cmd_join();
    else if (!strcmp(cmd, "hostsize"))
        cmd_hostsize();
    else if (!strcmp(cmd, "fdcount"))
        cmd_fdcount();
    else if (!strcmp(cmd, "threads"))
        cmd_threads();
    else if (!strcmp(cmd, "inspect"))
        cmd_inspect();
    else if (!strcmp(cmd, "initrss"))
        cmd_initrss();
    else if (!strcmp(cmd, "scale"))
        cmd_scale();
    else if (!strcmp(cmd, "veth"))
        cmd_veth();
    else if (!strcmp(cmd, "veth-scale"))
        cmd_veth_scale();
    else if (!strcmp(cmd, "rootfs") || !strcmp(cmd, "rootfs-threads") || !strcmp(cmd, "security")) {
        if (!rootfs_dir || rootfs_dir[0] != '/')
            die("%s needs --rootfs DIR (absolute)", cmd);
        if (!strcmp(cmd, "rootfs"))
            cmd_rootfs();
        else if (!strcmp(cmd, "security"))
            cmd_security();
        else
            cmd_rootfs_threads(atoi(threads_arg));
    }
    else
        die("unknown benchmark %s", cmd);
    return 0;
}
