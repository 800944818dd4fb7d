/*
 * rawcgroup.c - the hand-written cgroup baseline (see rawcgroup.h).
 *
 * Built twice by bench/run.sh: into cgroupbench (the in-process routine) and, with
 * -DRAWCGROUP_MAIN (and rawloop.c), as the small stand-alone program that `nscore run
 * --memory --cpus --pids-limit` and nscore_spawn with the same limits are measured against:
 *
 *   rawcgroup a|b PATH [ARG...]   one container running PATH in a new cgroup (256 MiB memory,
 *                                 100 pids, a quota of 100000 us per 100000 us); exits with its
 *                                 status (125: the cgroup, clone3 or waitpid failed)
 *   rawcgroup --batch N a|b       N containers running /bin/true; prints one line of ns:
 *                                 "TOTAL CGROUP MKDIR LIMITS PROCS RMDIR LAYOUT", CGROUP being
 *                                 the sum of the four steps (the cgroup system calls alone)
 *
 * Directories are named $NSBENCH_CG_PREFIX-<pid>-<n> (default "nsbench-cg"), which run.sh
 * sweeps after a run that was killed. Modes: a = no new namespace, b = pid+ipc+uts+mnt+net.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rawcgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rawloop.h"

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The whole of a small file, NUL-terminated; bytes read or -errno. */
static ssize_t read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, size - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0 || got + (size_t)n >= size - 1) {
            got += (size_t)(n > 0 ? n : 0);
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = 0;
    return (ssize_t)got;
}

/* One open + write + close, as NSCore writes a cgroup file. */
static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int e = errno;
    close(fd);
    return n == (ssize_t)len ? 0 : -(n < 0 ? e : EIO);
}

/* ---- discovery --------------------------------------------------------------------------- */

static const char *const KNOWN[] = { "cpu",     "cpuacct", "cpuset",  "memory",   "pids", "blkio", "io", "freezer",
                                     "devices", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc" };

static int known(const char *name)
{
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (!strcmp(KNOWN[i], name))
            return 1;
    return 0;
}

typedef struct {
    char v1[16][1024];     /* per KNOWN index: the caller's directory in that controller's hierarchy */
    char unified[1024];    /* the caller's cgroup2 directory ("" when none) */
    char unified_controllers[256];
} layout;

static int known_index(const char *name)
{
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (!strcmp(KNOWN[i], name))
            return (int)i;
    return -1;
}

/* The caller's path (from /proc/self/cgroup) in the hierarchy whose controllers are exactly
 * the comma-separated set `key` ("" for cgroup2); NULL when absent. */
static const char *cgroup_path(char *cgroup_file, const char *key, char *out, size_t size)
{
    for (char *line = cgroup_file; line && *line;) {
        char *next = strchr(line, '\n');
        size_t len = next ? (size_t)(next - line) : strlen(line);
        char buf[2048];
        if (len < sizeof buf) {
            memcpy(buf, line, len);
            buf[len] = 0;
            char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (c2) {
                *c2 = 0;
                const char *ctrls = c1 + 1;
                int same = !strcmp(ctrls, key);
                if (!same && *key && *ctrls) {
                    /* the same set in another order */
                    char a[256], b[256];
                    snprintf(a, sizeof a, ",%s,", ctrls);
                    snprintf(b, sizeof b, "%s", key);
                    int all = 1, na = 0, nb = 0;
                    for (const char *p = a; *p; p++)
                        na += *p == ',';
                    char *save = NULL;
                    for (char *tok = strtok_r(b, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                        char t[64];
                        snprintf(t, sizeof t, ",%s,", tok);
                        all &= strstr(a, t) != NULL;
                        nb++;
                    }
                    same = all && nb == na - 1;
                }
                if (same) {
                    snprintf(out, size, "%s", c2 + 1);
                    return out;
                }
            }
        }
        line = next ? next + 1 : NULL;
    }
    return NULL;
}

/* mountpoint + the path relative to the mount's root. */
static void directory(char *out, size_t size, const char *mountpoint, const char *root, const char *path)
{
    const char *rel = path;
    size_t rl = strlen(root);
    if (strcmp(root, "/") && !strncmp(rel, root, rl))
        rel += rl;
    while (*rel == '/')
        rel++;
    if (*rel)
        snprintf(out, size, "%s/%s", mountpoint, rel);
    else
        snprintf(out, size, "%s", mountpoint);
}

static int discover(layout *l)
{
    static char mountinfo[1 << 17], cgroups[8192];
    memset(l, 0, sizeof *l);
    ssize_t n = read_text("/proc/self/mountinfo", mountinfo, sizeof mountinfo);
    if (n < 0)
        return (int)n;
    if ((n = read_text("/proc/self/cgroup", cgroups, sizeof cgroups)) < 0)
        return (int)n;
    int any = 0;
    char *lines = NULL;
    for (char *line = strtok_r(mountinfo, "\n", &lines); line; line = strtok_r(NULL, "\n", &lines)) {
        /* id parent major:minor root mountpoint options [optional...] - fstype source superoptions */
        char *f[64];
        int nf = 0;
        for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok && nf < 64; tok = strtok_r(NULL, " ", &save))
            f[nf++] = tok;
        int dash = -1;
        for (int i = 6; i < nf; i++)
            if (!strcmp(f[i], "-")) {
                dash = i;
                break;
            }
        if (dash < 0 || dash + 3 >= nf)
            continue;
        const char *fstype = f[dash + 1], *root = f[3], *mountpoint = f[4];
        char path[1024];
        if (!strcmp(fstype, "cgroup2")) {
            if (!l->unified[0] && cgroup_path(cgroups, "", path, sizeof path)) {
                directory(l->unified, sizeof l->unified, mountpoint, root, path);
                any = 1;
            }
        } else if (!strcmp(fstype, "cgroup")) {
            char key[256] = "", opts[1024];
            snprintf(opts, sizeof opts, "%s", f[dash + 3]);
            for (char *save = NULL, *tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                if (known(tok))
                    snprintf(key + strlen(key), sizeof key - strlen(key), "%s%s", key[0] ? "," : "", tok);
            if (!key[0] || !cgroup_path(cgroups, key, path, sizeof path))
                continue;
            any = 1;
            char dir[1024];
            directory(dir, sizeof dir, mountpoint, root, path);
            for (char *save = NULL, *tok = strtok_r(key, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                int i = known_index(tok);
                if (!l->v1[i][0])
                    snprintf(l->v1[i], sizeof l->v1[i], "%s", dir);
            }
        }
    }
    if (!any)
        return -ENOENT;
    if (l->unified[0]) {
        char file[1100];
        snprintf(file, sizeof file, "%s/cgroup.controllers", l->unified);
        if (read_text(file, l->unified_controllers, sizeof l->unified_controllers) < 0)
            l->unified_controllers[0] = 0;
    }
    return 0;
}

/* Controller `name`: cgroup2 when the caller's cgroup2 directory offers it, else v1. */
static int place_of(const layout *l, const char *name, const char **dir, int *v2)
{
    if (l->unified[0]) {
        char words[300], *save = NULL;
        snprintf(words, sizeof words, "%s", l->unified_controllers);
        for (char *tok = strtok_r(words, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
            if (!strcmp(tok, name)) {
                *dir = l->unified;
                *v2 = 1;
                return 0;
            }
    }
    int i = known_index(name);
    if (i >= 0 && l->v1[i][0]) {
        *dir = l->v1[i];
        *v2 = 0;
        return 0;
    }
    return -ENOTSUP;
}

static raw_cg_dir *dir_for(raw_cgroup *cg, const char *parent, int v2)
{
    for (int i = 0; i < cg->ndirs; i++)
        if (!strcmp(cg->dir[i].parent, parent))
            return &cg->dir[i];
    if (cg->ndirs == RAW_CG_MAX_DIRS)
        return NULL;
    raw_cg_dir *d = &cg->dir[cg->ndirs++];
    memset(d, 0, sizeof *d);
    snprintf(d->parent, sizeof d->parent, "%s", parent);
    d->v2 = v2;
    return d;
}

static void add_write(raw_cg_dir *d, const char *file, const char *value)
{
    if (d->nwrites == RAW_CG_MAX_WRITES)
        return;
    snprintf(d->file[d->nwrites], sizeof d->file[0], "%s", file);
    snprintf(d->value[d->nwrites], sizeof d->value[0], "%s", value);
    d->nwrites++;
}

static void add_controller(raw_cg_dir *d, const char *name)
{
    char word[32];
    snprintf(word, sizeof word, "+%s", name);
    if (!strstr(d->controllers, word))
        snprintf(d->controllers + strlen(d->controllers), sizeof d->controllers - strlen(d->controllers), "%s%s",
                 d->controllers[0] ? " " : "", word);
}

int raw_cgroup_init(raw_cgroup *cg, const char *prefix, int64_t memory, int64_t pids, int64_t quota, int64_t period)
{
    memset(cg, 0, sizeof *cg);
    snprintf(cg->prefix, sizeof cg->prefix, "%s", prefix);
    int64_t t0 = mono_ns();
    layout l;
    int rc = discover(&l);
    if (rc < 0)
        return rc;
    const char *parent;
    int v2;
    raw_cg_dir *d;
    char v[64];
    if (memory > 0) {
        if (place_of(&l, "memory", &parent, &v2) < 0 || !(d = dir_for(cg, parent, v2)))
            return -ENOTSUP;
        snprintf(v, sizeof v, "%lld", (long long)memory);
        add_write(d, v2 ? "memory.max" : "memory.limit_in_bytes", v);
        if (v2)
            add_controller(d, "memory");
    }
    if (quota > 0 || period > 0) {
        if (place_of(&l, "cpu", &parent, &v2) < 0 || !(d = dir_for(cg, parent, v2)))
            return -ENOTSUP;
        if (v2) {
            char q[32] = "max";
            if (quota > 0)
                snprintf(q, sizeof q, "%lld", (long long)quota);
            snprintf(v, sizeof v, "%s %lld", q, (long long)(period > 0 ? period : 100000));
            add_write(d, "cpu.max", v);
            add_controller(d, "cpu");
        } else {
            if (period > 0) {
                snprintf(v, sizeof v, "%lld", (long long)period);
                add_write(d, "cpu.cfs_period_us", v);
            }
            if (quota > 0) {
                snprintf(v, sizeof v, "%lld", (long long)quota);
                add_write(d, "cpu.cfs_quota_us", v);
            }
        }
    }
    if (pids > 0) {
        if (place_of(&l, "pids", &parent, &v2) < 0 || !(d = dir_for(cg, parent, v2)))
            return -ENOTSUP;
        snprintf(v, sizeof v, "%lld", (long long)pids);
        add_write(d, "pids.max", v);
        if (v2)
            add_controller(d, "pids");
    }
    /* The directory for the whole container: cgroup2 (freeze, kill, events), else v1 freezer. */
    if (l.unified[0])
        dir_for(cg, l.unified, 1);
    else if (l.v1[known_index("freezer")][0])
        dir_for(cg, l.v1[known_index("freezer")], 0);
    /* CPU usage where v1 keeps it apart from the cpu controller. */
    if ((quota > 0 || period > 0) && l.v1[known_index("cpuacct")][0] && (place_of(&l, "cpu", &parent, &v2) < 0 || !v2))
        dir_for(cg, l.v1[known_index("cpuacct")], 0);
    cg->t_layout = mono_ns() - t0;
    return 0;
}

void raw_cgroup_describe(const raw_cgroup *cg, char *out, size_t size)
{
    out[0] = 0;
    for (int i = 0; i < cg->ndirs; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? ", " : "", cg->dir[i].parent);
}

/* ---- per container ------------------------------------------------------------------------- */

static int enable(const raw_cg_dir *d)
{
    char file[1100], have[256];
    snprintf(file, sizeof file, "%s/cgroup.subtree_control", d->parent);
    if (read_text(file, have, sizeof have) < 0)
        have[0] = 0;
    char missing[64] = "", words[64], *save = NULL;
    snprintf(words, sizeof words, "%s", d->controllers);
    for (char *tok = strtok_r(words, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char name[40];
        snprintf(name, sizeof name, " %s ", tok + 1);
        char padded[260];
        snprintf(padded, sizeof padded, " %s ", have);
        for (char *p = padded; *p; p++)
            if (*p == '\n')
                *p = ' ';
        if (!strstr(padded, name))
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s", missing[0] ? " " : "", tok);
    }
    return missing[0] ? write_text(file, missing) : 0;
}

int raw_cgroup_place(pid_t pid, void *arg)
{
    raw_cgroup *cg = arg;
    unsigned n = ++cg->counter;
    cg->made = 0;
    int rc = 0;
    for (int i = 0; i < cg->ndirs && rc == 0; i++) {
        raw_cg_dir *d = &cg->dir[i];
        int64_t t0 = mono_ns();
        if (d->controllers[0] && (rc = enable(d)) < 0)
            break;
        snprintf(d->path, sizeof d->path, "%s/%s-%d-%u", d->parent, cg->prefix, (int)getpid(), n);
        if (mkdir(d->path, 0755) < 0) {
            rc = -errno;
            break;
        }
        cg->made++;
        int64_t t1 = mono_ns();
        char file[1200];
        for (int w = 0; w < d->nwrites && rc == 0; w++) {
            snprintf(file, sizeof file, "%s/%s", d->path, d->file[w]);
            rc = write_text(file, d->value[w]);
        }
        int64_t t2 = mono_ns();
        cg->t_mkdir += t1 - t0;
        cg->t_limits += t2 - t1;
    }
    if (rc == 0) {
        int64_t t0 = mono_ns();
        char file[1200], text[16];
        snprintf(text, sizeof text, "%d", (int)pid);
        for (int i = 0; i < cg->ndirs && rc == 0; i++) {
            snprintf(file, sizeof file, "%s/cgroup.procs", cg->dir[i].path);
            rc = write_text(file, text);
        }
        cg->t_procs += mono_ns() - t0;
    }
    if (rc < 0) {
        /* The child leaves its cgroups as it exits (the zombie is in none); rawloop.c reaps it. */
        siginfo_t info;
        kill(pid, SIGKILL);
        while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
        }
        raw_cgroup_remove(cg);
    }
    return rc;
}

int raw_cgroup_remove(raw_cgroup *cg)
{
    int64_t t0 = mono_ns();
    int rc = 0;
    while (cg->made > 0) {
        raw_cg_dir *d = &cg->dir[--cg->made];
        if (rmdir(d->path) < 0 && errno != ENOENT && rc == 0)
            rc = -errno;
    }
    cg->t_rmdir += mono_ns() - t0;
    return rc;
}

int64_t raw_cgroup_batch(raw_cgroup *cg, uint32_t ns, const char *path, int n)
{
    int64_t t0 = mono_ns();
    for (int i = 0; i < n; i++) {
        pid_t pid = raw_spawn_start_hook(ns, path, NULL, raw_cgroup_place, cg);
        if (pid < 0)
            return pid;
        int status = 0;
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) {
                raw_cgroup_remove(cg);
                return -errno;
            }
        int rc = raw_cgroup_remove(cg);
        if (rc < 0)
            return rc;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return -EPROTO;
    }
    return mono_ns() - t0;
}

#ifdef RAWCGROUP_MAIN
static uint32_t mode_ns(const char *m)
{
    if (!strcmp(m, "a"))
        return 0;
    if (!strcmp(m, "b"))
        return RAW_NS_PID | RAW_NS_IPC | RAW_NS_UTS | RAW_NS_MNT | RAW_NS_NET;
    fprintf(stderr, "rawcgroup: unknown mode %s\n", m);
    exit(2);
}

int main(int argc, char **argv)
{
    raw_die_with_parent();
    const char *prefix = getenv("NSBENCH_CG_PREFIX");
    static raw_cgroup cg;
    int rc = raw_cgroup_init(&cg, prefix && *prefix ? prefix : "nsbench-cg", 256LL << 20, 100, 100000, 100000);
    if (rc < 0) {
        fprintf(stderr, "rawcgroup: the caller's cgroups: %s\n", strerror(-rc));
        return 125;
    }
    if (argc == 4 && !strcmp(argv[1], "--batch")) {
        int64_t dt = raw_cgroup_batch(&cg, mode_ns(argv[3]), "/bin/true", atoi(argv[2]));
        if (dt < 0) {
            fprintf(stderr, "rawcgroup: %s\n", strerror((int)-dt));
            return 1;
        }
        printf("%lld %lld %lld %lld %lld %lld %lld\n", (long long)dt,
               (long long)(cg.t_mkdir + cg.t_limits + cg.t_procs + cg.t_rmdir), (long long)cg.t_mkdir,
               (long long)cg.t_limits, (long long)cg.t_procs, (long long)cg.t_rmdir, (long long)cg.t_layout);
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: rawcgroup a|b PATH [ARG...] | --batch N a|b\n");
        return 2;
    }
    pid_t pid = raw_spawn_start_hook(mode_ns(argv[1]), argv[2], argv + 2, raw_cgroup_place, &cg);
    if (pid < 0) {
        fprintf(stderr, "rawcgroup: spawn: %s\n", strerror(-pid));
        return 125;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            raw_cgroup_remove(&cg);
            return 125;
        }
    if ((rc = raw_cgroup_remove(&cg)) < 0) {
        fprintf(stderr, "rawcgroup: rmdir: %s\n", strerror(-rc));
        return 125;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
#endif
