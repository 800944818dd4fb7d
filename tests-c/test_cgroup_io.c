/* Block io and huge page limits, and the cgroup of any process's container (nscore.h
 * "Resources (cgroups)": nscore_spawn_config_set_blkio_weight, _add_blkio_device,
 * _add_hugepage_limit, nscore_resource_stats.oom_events, the "io" of the stats JSON, and
 * nscore_cgroup_open with the calls on its handle).
 *
 * Without privilege: the setters refuse what cannot reach the engine (an unknown kind, a weight
 * above 65535, NULL and invalid UTF-8), the spawn names a device that does not exist, a
 * partition, a weight out of range and a page size the machine lacks, before anything is made;
 * set_blkio_weight(0) and nscore_spawn_config_clear_resources() remove what they set (no
 * cgroup); nscore_cgroup_open refuses NULL, pid 0, a process in no NSCore cgroup and a process
 * that is gone, and every nscore_cgroup call a NULL handle.
 * As root, on the real kernel: a write limit of 512 KiB/s on the disk that holds /tmp is in
 * blkio.throttle.write_bps_device (v2: io.max), read from outside; a 1 MiB dd with
 * oflag=direct inside takes more than 0.8 s (timed by dd inside and by this program outside);
 * the stats' io has its bytes; an update with rate 0 lifts the limit and the next dd is quick.
 * A block io weight is written where the kernel keeps one in the container's cgroup. A huge
 * page limit is in hugetlb.<size>.max (v1: .limit_in_bytes), read from outside and by the
 * container itself, and an update changes it. A container that another process (this program
 * re-executed as "spawner") started is found by nscore_cgroup_open from its pid, not from its
 * starter's; stats, freeze, thaw, update, the populated fd, kill-all and wait_empty work on it;
 * once the starter has reaped it, the handle says the cgroup is gone.
 * After every case no "nscore-<pid>-*" directory is left in any cgroup hierarchy (found by
 * walking the cgroup mounts, independently of the library). */
#include "test.h"
#include "cgroup_test.h"

#include <poll.h>
#include <stddef.h>
#include <sys/sysmacros.h>
#include <time.h>

#define KIB 1024LL

static char self[PATH_MAX]; /* this program, re-executed as the spawner */
static int rootless;

/* ---- Helpers ----------------------------------------------------------------------------- */

/* The directory among paths[] that has `file`, or NULL. */
static const char *dir_with(char paths[][PATH_MAX], int n, const char *file)
{
    char path[PATH_MAX + 64];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", paths[i], file);
        if (access(path, F_OK) == 0) return paths[i];
    }
    return NULL;
}

/* `dir`/`file` into buf (empty when unreadable). */
static const char *cg_file(const char *dir, const char *file, char *buf, size_t n)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (read_text(path, buf, n) != 0) fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
    return buf;
}

/* The number after "key": in json, or -1. */
static long long json_number(const char *json, const char *key)
{
    char pattern[64];
    const char *p;
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    p = json ? strstr(json, pattern) : NULL;
    if (p == NULL) return -1;
    p += strlen(pattern);
    return *p >= '0' && *p <= '9' ? strtoll(p, NULL, 10) : -1;
}

/* The whole disk that holds `path` (a partition's disk), as major:minor; 0, or -1 when the
 * filesystem is on no block device (tmpfs, overlay). */
static int disk_of(const char *path, unsigned *major_out, unsigned *minor_out)
{
    struct stat st;
    char sys[128], text[64];
    unsigned ma, mi;
    if (stat(path, &st) != 0) return -1;
    ma = major(st.st_dev);
    mi = minor(st.st_dev);
    snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u", ma, mi);
    if (access(sys, F_OK) != 0) return -1;
    snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u/partition", ma, mi);
    if (access(sys, F_OK) == 0) {
        snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u/../dev", ma, mi);
        if (read_text(sys, text, sizeof text) != 0 || sscanf(text, "%u:%u", &ma, &mi) != 2) return -1;
    }
    *major_out = ma;
    *minor_out = mi;
    return 0;
}

/* Some partition of this machine (major:minor), or -1 when it has none. */
static int some_partition(unsigned *major_out, unsigned *minor_out)
{
    DIR *d = opendir("/sys/class/block");
    struct dirent *e;
    int found = -1;
    if (d == NULL) return -1;
    while (found != 0 && (e = readdir(d)) != NULL) {
        char path[512], text[64];
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/sys/class/block/%s/partition", e->d_name);
        if (access(path, F_OK) != 0) continue;
        snprintf(path, sizeof path, "/sys/class/block/%s/dev", e->d_name);
        if (read_text(path, text, sizeof text) == 0 && sscanf(text, "%u:%u", major_out, minor_out) == 2) found = 0;
    }
    closedir(d);
    return found;
}

/* Closes both ends of a pipe that are still open. */
static void close_pipe(int p[2])
{
    for (int i = 0; i < 2; i++) {
        if (p[i] >= 0) close(p[i]);
        p[i] = -1;
    }
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads fd into buf (appending, NUL-terminated) until buf holds `needle`, EOF or timeout_ms;
 * 1 when it does. */
static int read_until(int fd, char *buf, size_t n, const char *needle, int timeout_ms)
{
    size_t len = strlen(buf);
    double deadline = now() + timeout_ms / 1000.0;
    while (strstr(buf, needle) == NULL) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)((deadline - now()) * 1000);
        ssize_t r;
        if (left <= 0 || poll(&p, 1, left) != 1) return 0;
        r = read(fd, buf + len, n - 1 - len);
        if (r <= 0) return 0;
        len += (size_t)r;
        buf[len] = '\0';
        if (len + 1 >= n) return strstr(buf, needle) != NULL;
    }
    return 1;
}

/* The seconds dd reports in "... copied, 1.98 s, ..." after `from`, or -1. */
static double dd_seconds(const char *from)
{
    const char *p = strstr(from, "copied, ");
    return p ? strtod(p + strlen("copied, "), NULL) : -1;
}

/* A configuration running argv in no new namespace. */
static nscore_spawn_config *config(const char *const *argv)
{
    return t_config(argv, 0);
}

/* Spawns cfg (`true`) and expects it to run without a cgroup of its own. */
static void spawns_without_cgroup(nscore_spawn_config *cfg)
{
    nscore_container *c = NULL;
    char paths[4][PATH_MAX];
    int s = -1;
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(container_paths(c, paths, 4) == 0);
    OK(nscore_container_wait(c, 30000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    nscore_container_free(c);
}

/* ---- Cases without privilege ------------------------------------------------------------- */

/* What the setters refuse themselves; what the spawn refuses before anything is made; what
 * removes the settings again. */
static void setters(void)
{
    const char *argv[] = {"true", NULL};
    nscore_spawn_config *cfg = config(argv);
    unsigned ma = 0, mi = 0;
    char msg[128];
    REQUIRE(cfg != NULL);

    FAILS(nscore_spawn_config_set_blkio_weight(NULL, 500, &err), NSCORE_EINVAL, "cfg is NULL");
    FAILS(nscore_spawn_config_add_blkio_device(NULL, NSCORE_BLKIO_READ_BPS, 8, 0, 1, &err), NSCORE_EINVAL, "cfg is NULL");
    FAILS(nscore_spawn_config_add_hugepage_limit(NULL, "2MB", 1, &err), NSCORE_EINVAL, "cfg is NULL");
    CHECK(nscore_spawn_config_set_blkio_weight(NULL, 500, NULL) == NSCORE_EINVAL); /* err may be NULL */
    FAILS(nscore_spawn_config_add_blkio_device(cfg, -1, 8, 0, 1, &err), NSCORE_EINVAL, "kind must be one of");
    FAILS(nscore_spawn_config_add_blkio_device(cfg, 5, 8, 0, 1, &err), NSCORE_EINVAL, "NSCORE_BLKIO_WRITE_IOPS");
    FAILS(nscore_spawn_config_set_blkio_weight(cfg, 70000, &err), NSCORE_EINVAL, "weight 70000 is out of range");
    FAILS(nscore_spawn_config_add_blkio_device(cfg, NSCORE_BLKIO_WEIGHT_DEVICE, 8, 0, 65536, &err), NSCORE_EINVAL,
          "value 65536 is out of range");
    FAILS(nscore_spawn_config_add_hugepage_limit(cfg, NULL, 1, &err), NSCORE_EINVAL, "page_size is NULL");
    FAILS(nscore_spawn_config_add_hugepage_limit(cfg, "2\xffMB", 1, &err), NSCORE_EINVAL, "not valid UTF-8");
    /* Nothing of that was kept: no cgroup. */
    spawns_without_cgroup(cfg);

    /* Refused at the spawn, naming the entry, before anything is made. */
    OK(nscore_spawn_config_add_blkio_device(cfg, NSCORE_BLKIO_WRITE_BPS, 4000, 999999, 1 << 20, &err));
    spawn_fails(cfg, NSCORE_EINVAL, "blockIO.throttleWriteBpsDevice[0]: no block device 4000:999999");
    OK(nscore_spawn_config_clear_resources(cfg, &err));
    OK(nscore_spawn_config_add_blkio_device(cfg, NSCORE_BLKIO_READ_IOPS, -1, 0, 100, &err));
    spawn_fails(cfg, NSCORE_EINVAL, "-1:0 is not a device number");
    OK(nscore_spawn_config_clear_resources(cfg, &err));
    if (some_partition(&ma, &mi) == 0) {
        OK(nscore_spawn_config_add_blkio_device(cfg, NSCORE_BLKIO_READ_BPS, ma, mi, 1 << 20, &err));
        snprintf(msg, sizeof msg, "%u:%u is a partition; io limits apply to whole disks", ma, mi);
        spawn_fails(cfg, NSCORE_EINVAL, msg);
        OK(nscore_spawn_config_clear_resources(cfg, &err));
    } else {
        fprintf(stderr, "note: this machine has no partition: that check is skipped\n");
    }
    OK(nscore_spawn_config_set_blkio_weight(cfg, 5, &err));
    spawn_fails(cfg, NSCORE_EINVAL, "blockIO.weight is 5; the kernel takes 10 to 1000");
    OK(nscore_spawn_config_set_blkio_weight(cfg, 0, &err));
    if (disk_of("/", &ma, &mi) == 0) {
        OK(nscore_spawn_config_add_blkio_device(cfg, NSCORE_BLKIO_WEIGHT_DEVICE, ma, mi, 1001, &err));
        spawn_fails(cfg, NSCORE_EINVAL, "blockIO.weightDevice[0].weight is 1001");
        OK(nscore_spawn_config_clear_resources(cfg, &err));
    }
    OK(nscore_spawn_config_add_hugepage_limit(cfg, "3MB", 64 * MIB, &err));
    spawn_fails(cfg, NSCORE_EINVAL, "hugepageLimits[0].pageSize '3MB' is not a huge page size of this machine");
    /* A page size given again replaces its limit: still one entry, [0]. */
    OK(nscore_spawn_config_add_hugepage_limit(cfg, "3MB", 32 * MIB, &err));
    spawn_fails(cfg, NSCORE_EINVAL, "hugepageLimits[0].pageSize '3MB'");

    /* clear_resources empties the lists; a weight set to 0 leaves no part: no cgroup. */
    OK(nscore_spawn_config_clear_resources(cfg, &err));
    spawns_without_cgroup(cfg);
    OK(nscore_spawn_config_set_blkio_weight(cfg, 500, &err));
    OK(nscore_spawn_config_set_blkio_weight(cfg, 0, &err));
    spawns_without_cgroup(cfg);

    /* The struct keeps its layout: oom_events appended last. */
    CHECK(sizeof(nscore_resource_stats) == 12 * 8);
    CHECK(offsetof(nscore_resource_stats, oom_events) == 11 * 8);
out:
    nscore_spawn_config_free(cfg);
    CHECK(leftovers(0) == 0);
}

/* nscore_cgroup_open and its calls refuse bad arguments, and processes that are not a
 * container's or are gone. */
static void cgroup_bad_input(void)
{
    nscore_cgroup *cg = NULL;
    nscore_resource_stats st;
    nscore_spawn_config *upd = limits();
    char *json = NULL;
    int fd = -1, empty = -1;
    pid_t gone;
    REQUIRE(upd != NULL);
    FAILS(nscore_cgroup_open(getpid(), NULL, &err), NSCORE_EINVAL, "out is NULL");
    FAILS(nscore_cgroup_open(0, &cg, &err), NSCORE_EINVAL, "pid must be a process id");
    FAILS(nscore_cgroup_open(-4, &cg, &err), NSCORE_EINVAL, "not -4");
    CHECK(cg == NULL);
    FAILS(nscore_cgroup_open(getpid(), &cg, &err), NSCORE_EINVAL, "is in no cgroup NSCore made");
    CHECK(cg == NULL);
    /* A process that has been reaped. */
    gone = fork();
    REQUIRE(gone >= 0);
    if (gone == 0) _exit(0);
    REQUIRE(waitpid(gone, NULL, 0) == gone);
    FAILS(nscore_cgroup_open(gone, &cg, &err), NSCORE_EEXITED, "no such process");
    CHECK(cg == NULL);

    FAILS(nscore_cgroup_json(NULL, &json, &err), NSCORE_EINVAL, "cg is NULL");
    CHECK(json == NULL);
    FAILS(nscore_cgroup_resource_stats(NULL, &st, &err), NSCORE_EINVAL, "cg is NULL");
    FAILS(nscore_cgroup_resource_stats_json(NULL, &json, &err), NSCORE_EINVAL, "cg is NULL");
    FAILS(nscore_cgroup_freeze(NULL, &err), NSCORE_EINVAL, "cg is NULL");
    FAILS(nscore_cgroup_thaw(NULL, &err), NSCORE_EINVAL, "cg is NULL");
    FAILS(nscore_cgroup_kill_all(NULL, &err), NSCORE_EINVAL, "cg is NULL");
    FAILS(nscore_cgroup_update_resources(NULL, upd, &err), NSCORE_EINVAL, "cg is NULL");
    FAILS(nscore_cgroup_event_fd(NULL, NSCORE_CGROUP_EVENT_POPULATED, &fd, &err), NSCORE_EINVAL, "cg is NULL");
    CHECK(fd == -1);
    FAILS(nscore_cgroup_wait_empty(NULL, 0, &empty, &err), NSCORE_EINVAL, "cg is NULL");
    CHECK(nscore_cgroup_freeze(NULL, NULL) == NSCORE_EINVAL);
    nscore_cgroup_free(NULL);
out:
    nscore_spawn_config_free(upd);
}

/* ---- Cases on the real kernel (root) ---------------------------------------------------------- */

/* 512 KiB/s of writes to the disk of /tmp: in its file, felt by a direct 1 MiB write, counted
 * in the stats; lifted by an update (rate 0). */
static void write_throttle(void)
{
    char dir[] = "/tmp/nscore-ctest-io-XXXXXX", file[64], want[128], got[512], out[4096] = "", paths[8][PATH_MAX];
    const char *script = "read a; dd if=/dev/zero of=\"$0\" bs=64k count=16 oflag=direct 2>&1; echo done1; "
                         "read b; dd if=/dev/zero of=\"$0\" bs=64k count=16 oflag=direct 2>&1; echo done2; read c";
    const char *argv[] = {"sh", "-c", script, file, NULL};
    nscore_spawn_config *cfg = NULL, *upd = NULL;
    nscore_container *c = NULL;
    const char *blkio;
    char *json = NULL, *io;
    unsigned ma, mi;
    int made = 0, in[2] = {-1, -1}, outp[2] = {-1, -1}, n, s = -1, v2;
    double start, outside, inside;
    if (disk_of("/tmp", &ma, &mi) != 0) {
        fprintf(stderr, "note: /tmp is on no block device: write_throttle skipped\n");
        return;
    }
    REQUIRE(mkdtemp(dir) != NULL);
    made = 1;
    snprintf(file, sizeof file, "%s/x", dir);
    REQUIRE(pipe2(in, O_CLOEXEC) == 0 && pipe2(outp, O_CLOEXEC) == 0);
    cfg = config(argv);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_FD, in[0], &err));
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, outp[1], &err));
    OK(nscore_spawn_config_add_blkio_device(cfg, NSCORE_BLKIO_WRITE_BPS, ma, mi, 512 * KIB, &err));
    OK(nscore_spawn(cfg, &c, &err));
    close(in[0]);
    close(outp[1]);
    in[0] = outp[1] = -1;
    n = container_paths(c, paths, 8);
    REQUIRE(n >= 1);

    /* From outside: the container's blkio (v1) or io (v2) cgroup holds the limit. */
    blkio = dir_with(paths, n, "blkio.throttle.write_bps_device");
    v2 = blkio == NULL;
    if (v2) blkio = dir_with(paths, n, "io.max");
    REQUIRE(blkio != NULL);
    if (v2) {
        snprintf(want, sizeof want, "%u:%u rbps=max wbps=524288 riops=max wiops=max", ma, mi);
        expect_file(blkio, "io.max", want);
    } else {
        snprintf(want, sizeof want, "%u:%u 524288", ma, mi);
        expect_file(blkio, "blkio.throttle.write_bps_device", want);
    }

    /* From inside: dd's own time, and the time it took as seen from here. */
    start = now();
    REQUIRE(write(in[1], "go\n", 3) == 3);
    REQUIRE(read_until(outp[0], out, sizeof out, "done1\n", 60000));
    outside = now() - start;
    inside = dd_seconds(out);
    fprintf(stderr, "note: 1 MiB at 512 KiB/s to %u:%u: %.3f s (dd), %.3f s (outside)\n", ma, mi, inside, outside);
    if (!(inside > 0.8 && outside > 0.8)) {
        t_failures++;
        fprintf(stderr, "1 MiB at 512 KiB/s: dd says %.3f s, %.3f s from outside; expected > 0.8 s\n%s", inside,
                outside, out);
    }

    /* The stats count the bytes and operations on the disk. */
    OK(nscore_container_resource_stats_json(c, &json, &err));
    snprintf(want, sizeof want, "{\"major\":%u,\"minor\":%u,", ma, mi);
    io = strstr(json, "\"io\":[");
    REQUIRE(io != NULL);
    io = strstr(io, want);
    if (io == NULL || json_number(io, "writeBytes") < 1 * MIB || json_number(io, "writeOperations") < 16) {
        t_failures++;
        fprintf(stderr, "the stats do not count 1 MiB in 16 writes to %u:%u: %s\n", ma, mi, json);
    }
    CHECK(json_number(json, "oomEvents") == -1); /* null: no memory limit */

    /* Rate 0 lifts the limit; the next write is not held. */
    upd = limits();
    REQUIRE(upd != NULL);
    OK(nscore_spawn_config_add_blkio_device(upd, NSCORE_BLKIO_WRITE_BPS, ma, mi, 0, &err));
    OK(nscore_container_update_resources(c, upd, &err));
    cg_file(blkio, v2 ? "io.max" : "blkio.throttle.write_bps_device", got, sizeof got);
    snprintf(want, sizeof want, v2 ? "%u:%u rbps=max wbps=524288" : "%u:%u ", ma, mi);
    if (strstr(got, want) != NULL) {
        t_failures++;
        fprintf(stderr, "after an update with rate 0 the limit is still there: \"%s\"\n", got);
    }
    out[0] = '\0';
    REQUIRE(write(in[1], "go\n", 3) == 3);
    REQUIRE(read_until(outp[0], out, sizeof out, "done2\n", 60000));
    inside = dd_seconds(out);
    if (!(inside >= 0 && inside < 0.8)) {
        t_failures++;
        fprintf(stderr, "without the limit dd took %.3f s:\n%s", inside, out);
    }

    close(in[1]);
    in[1] = -1;
    OK(nscore_container_wait(c, 30000, &s, &err));
    CHECK(WIFEXITED(s));
    for (int i = 0; i < n; i++) CHECK(access(paths[i], F_OK) != 0);
out:
    nscore_string_free(json);
    free_case(c, cfg, upd);
    close_pipe(in);
    close_pipe(outp);
    if (made) {
        unlink(file);
        rmdir(dir);
    }
    CHECK(leftovers(0) == 0);
}

/* A block io weight is written where the kernel keeps one in a container's cgroup (v1
 * blkio.bfq.weight or blkio.weight, v2 io.bfq.weight or io.weight): found in the cgroup of a
 * first container given only a throttle. A device's weight needs that device to use BFQ (or
 * the generic weight): else the kernel refuses it, and the spawn names the file. */
static void blkio_weight(void)
{
    const char *argv[] = {"sleep", "30", NULL};
    static const char *const files[] = {"blkio.bfq.weight", "blkio.weight", "io.bfq.weight", "io.weight"};
    nscore_spawn_config *cfg = NULL;
    nscore_container *c = NULL;
    char paths[8][PATH_MAX], sched[256] = "", want[64];
    const char *dir = NULL, *file = NULL;
    unsigned ma, mi;
    int n, s;
    if (disk_of("/", &ma, &mi) != 0) {
        fprintf(stderr, "note: / is on no block device: blkio_weight skipped\n");
        return;
    }
    cfg = config(argv);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_add_blkio_device(cfg, NSCORE_BLKIO_READ_BPS, ma, mi, 1ULL << 40, &err));
    OK(nscore_spawn(cfg, &c, &err));
    n = container_paths(c, paths, 8);
    REQUIRE(n >= 1);
    for (size_t i = 0; i < sizeof files / sizeof files[0] && dir == NULL; i++)
        if ((dir = dir_with(paths, n, files[i])) != NULL) file = files[i];
    OK(nscore_container_stop(c, 0, &s, &err));
    nscore_container_free(c);
    c = NULL;
    if (file == NULL) {
        fprintf(stderr, "note: the kernel keeps no block io weight in a container's cgroup here: weights skipped\n");
        goto out;
    }

    OK(nscore_spawn_config_clear_resources(cfg, &err));
    OK(nscore_spawn_config_set_blkio_weight(cfg, 500, &err));
    OK(nscore_spawn(cfg, &c, &err));
    n = container_paths(c, paths, 8);
    REQUIRE(n >= 1 && (dir = dir_with(paths, n, file)) != NULL);
    if (strcmp(file, "io.weight") == 0)
        expect_file(dir, file, "default 4950"); /* 1 + (500 - 10) * 9999 / 990 */
    else
        expect_file(dir, file, strncmp(file, "io.", 3) == 0 ? "default 500" : "500");
    OK(nscore_container_stop(c, 0, &s, &err));
    nscore_container_free(c);
    c = NULL;

    OK(nscore_spawn_config_add_blkio_device(cfg, NSCORE_BLKIO_WEIGHT_DEVICE, ma, mi, 200, &err));
    snprintf(want, sizeof want, "/sys/dev/block/%u:%u/queue/scheduler", ma, mi);
    read_text(want, sched, sizeof sched);
    if (strstr(sched, "[bfq]") != NULL || strcmp(file, "io.weight") == 0) {
        OK(nscore_spawn(cfg, &c, &err));
        n = container_paths(c, paths, 8);
        REQUIRE(n >= 1 && (dir = dir_with(paths, n, file)) != NULL);
        snprintf(want, sizeof want, "%s_device", file);
        if (strncmp(file, "blkio.", 6) == 0) {
            char got[256], line[64];
            snprintf(line, sizeof line, "%u:%u 200", ma, mi);
            CHECK(strstr(cg_file(dir, want, got, sizeof got), line) != NULL);
        }
    } else {
        /* The disk's io scheduler keeps no weight: the kernel refuses it, naming the file. */
        nscore_container *none = NULL;
        nscore_error *err = NULL;
        CHECK(nscore_spawn(cfg, &none, &err) < 0 && none == NULL);
        if (err != NULL && strstr(nscore_error_message(err), "weight_device") == NULL) {
            t_failures++;
            fprintf(stderr, "a device weight with scheduler \"%s\": %s\n", sched, nscore_error_message(err));
        }
        nscore_error_free(err);
    }
out:
    if (c != NULL) nscore_container_stop(c, 0, NULL, NULL);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    CHECK(leftovers(0) == 0);
}

/* A 64 MiB limit of 2 MB huge pages: in the container's hugetlb file, read from outside and by
 * the container itself; an update changes it. */
static void hugetlb(void)
{
    /* The container prints its own limit: its cgroup2 directory, from its mountinfo and its
     * /proc/self/cgroup (v1: the hugetlb hierarchy's). */
    const char *script =
        "m=$(awk '{ for (i = 7; $i != \"-\"; i++); if ($(i + 1) == \"cgroup2\") { print $5; exit } }' /proc/self/mountinfo);"
        "p=$(sed -n 's/^0:://p' /proc/self/cgroup);"
        "v1=$(awk '{ for (i = 7; $i != \"-\"; i++); if ($(i + 1) == \"cgroup\" && $(i + 3) ~ /hugetlb/) { print $5; exit } }' "
        "/proc/self/mountinfo);"
        "q=$(sed -n 's/^[0-9]*:hugetlb://p' /proc/self/cgroup);"
        "cat \"$m$p/hugetlb.2MB.max\" 2>/dev/null || cat \"$v1$q/hugetlb.2MB.limit_in_bytes\"; read x";
    const char *argv[] = {"sh", "-c", script, NULL};
    nscore_spawn_config *cfg = NULL, *upd = NULL;
    nscore_container *c = NULL;
    char paths[8][PATH_MAX], out[256] = "";
    const char *dir, *file = "hugetlb.2MB.max";
    int in[2] = {-1, -1}, outp[2] = {-1, -1}, n, s = -1;
    if (access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) != 0) {
        fprintf(stderr, "note: no 2 MB huge pages here: hugetlb skipped\n");
        return;
    }
    REQUIRE(pipe2(in, O_CLOEXEC) == 0 && pipe2(outp, O_CLOEXEC) == 0);
    cfg = config(argv);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_FD, in[0], &err));
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, outp[1], &err));
    OK(nscore_spawn_config_add_hugepage_limit(cfg, "2MB", 64 * MIB, &err));
    {
        nscore_error *err = NULL;
        int rc = nscore_spawn(cfg, &c, &err);
        if (rc == NSCORE_ENOTSUP && strstr(nscore_error_message(err), "hugetlb controller") != NULL) {
            fprintf(stderr, "note: %s: hugetlb skipped\n", nscore_error_message(err));
            nscore_error_free(err);
            goto out;
        }
        if (rc != 0) t_fail(__FILE__, __LINE__, "nscore_spawn (hugetlb)", rc, err);
        nscore_error_free(err);
        REQUIRE(rc == 0);
    }
    close(in[0]);
    close(outp[1]);
    in[0] = outp[1] = -1;
    n = container_paths(c, paths, 8);
    REQUIRE(n >= 1);
    dir = dir_with(paths, n, file);
    if (dir == NULL) dir = dir_with(paths, n, file = "hugetlb.2MB.limit_in_bytes");
    REQUIRE(dir != NULL);
    expect_file(dir, file, "67108864");
    REQUIRE(read_until(outp[0], out, sizeof out, "\n", 30000));
    if (strcmp(t_chomp(out), "67108864") != 0) {
        t_failures++;
        fprintf(stderr, "the container reads its huge page limit as \"%s\", expected 67108864\n", out);
    }
    upd = limits();
    REQUIRE(upd != NULL);
    OK(nscore_spawn_config_add_hugepage_limit(upd, "2MB", 32 * MIB, &err));
    OK(nscore_container_update_resources(c, upd, &err));
    expect_file(dir, file, "33554432");
    close(in[1]);
    in[1] = -1;
    OK(nscore_container_wait(c, 30000, &s, &err));
    for (int i = 0; i < n; i++) CHECK(access(paths[i], F_OK) != 0);
out:
    free_case(c, cfg, upd);
    close_pipe(in);
    close_pipe(outp);
    CHECK(leftovers(0) == 0);
}

/* The spawner (this program re-executed): starts `sh -c 'sleep 1000 & wait'` with a pids limit
 * in a PID namespace (its end ends both), prints "pid N", and once its stdin has a line (or
 * EOF) waits for it, which removes its cgroup, and prints "status S". */
static int run_spawner(void)
{
    const char *argv[] = {"sh", "-c", "sleep 1000 & wait", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_PID);
    nscore_container *c = NULL;
    int s = -1;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_NULL, -1, &err));
    OK(nscore_spawn_config_set_kill_on_parent_death(cfg, 1, &err));
    OK(nscore_spawn_config_set_pids_limit(cfg, 20, &err));
    OK(nscore_spawn(cfg, &c, &err));
    printf("pid %d\n", (int)nscore_container_pid(c));
    fflush(stdout);
    {
        char go[8];
        ssize_t r;
        do r = read(0, go, sizeof go);
        while (r < 0 && errno == EINTR);
    }
    OK(nscore_container_wait(c, -1, &s, &err));
    printf("status %d\n", s);
    fflush(stdout);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    return t_result();
}

/* The cgroup of a container another process started, from the pid of any of its processes. */
static void other_process(void)
{
    nscore_cgroup *cg = NULL, *cg2 = NULL;
    nscore_spawn_config *upd = NULL;
    nscore_resource_stats st;
    char line[256] = "", *json = NULL, *json2 = NULL, paths[8][PATH_MAX], paths2[8][PATH_MAX], prefix[64], got[256];
    const char *pids, *events, *freezer;
    pid_t spawner = -1, ctr = -1, other = -1, starter = -1;
    int in[2] = {-1, -1}, outp[2] = {-1, -1}, n, n2, fd = -1, empty = -1, s = -1;
    REQUIRE(pipe2(in, O_CLOEXEC) == 0 && pipe2(outp, O_CLOEXEC) == 0);
    spawner = fork();
    REQUIRE(spawner >= 0);
    if (spawner == 0) {
        dup2(in[0], 0);
        dup2(outp[1], 1);
        execl(self, self, "spawner", (char *)NULL);
        _exit(127);
    }
    starter = spawner;
    close(in[0]);
    close(outp[1]);
    in[0] = outp[1] = -1;
    REQUIRE(read_until(outp[0], line, sizeof line, "\n", 30000));
    REQUIRE(sscanf(line, "pid %d", &ctr) == 1 && ctr > 0);

    /* The starter is in no container cgroup; the container's first process is. */
    FAILS(nscore_cgroup_open(spawner, &cg, &err), NSCORE_EINVAL, "is in no cgroup NSCore made");
    OK(nscore_cgroup_open(ctr, &cg, &err));
    OK(nscore_cgroup_json(cg, &json, &err));
    CHECK(json_number(json, "pid") == ctr);
    n = json_paths(json, paths, 8);
    REQUIRE(n >= 1);
    snprintf(prefix, sizeof prefix, "/nscore-%d-", (int)spawner);
    for (int i = 0; i < n; i++) CHECK(strstr(paths[i], prefix) != NULL && access(paths[i], F_OK) == 0);
    pids = dir_with(paths, n, "pids.max");
    REQUIRE(pids != NULL);
    /* Both processes are in (sh and sleep). */
    for (int i = 0; i < 200; i++) {
        OK(nscore_cgroup_resource_stats(cg, &st, &err));
        if (st.pids_current == 2) break;
        usleep(10000);
    }
    CHECK(st.pids_current == 2);
    /* Any process of the container gives the same cgroups. */
    {
        char procs[256], path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/cgroup.procs", pids);
        REQUIRE(read_text(path, procs, sizeof procs) == 0);
        for (char *save = NULL, *tok = strtok_r(procs, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
            if (atoi(tok) != ctr) other = atoi(tok);
    }
    REQUIRE(other > 0);
    OK(nscore_cgroup_open(other, &cg2, &err));
    OK(nscore_cgroup_json(cg2, &json2, &err));
    n2 = json_paths(json2, paths2, 8);
    CHECK(n2 == n);
    for (int i = 0; i < n && i < n2; i++) CHECK(strcmp(paths[i], paths2[i]) == 0);

    memset(&st, 0xab, sizeof st);
    OK(nscore_cgroup_resource_stats(cg, &st, &err));
    CHECK(st.pids_limit == 20);
    {
        /* No memory limit: no memory figures, unless cgroup2 gives the container's one directory
         * the memory controller anyway (its parent enables it). */
        int has_memory = 0;
        for (int i = 0; i < n; i++) {
            char f[PATH_MAX + 32];
            snprintf(f, sizeof f, "%s/memory.events", paths[i]);
            if (access(f, F_OK) == 0) has_memory = 1;
        }
        CHECK(has_memory ? st.oom_events != NSCORE_RESOURCE_STAT_NONE : st.oom_events == NSCORE_RESOURCE_STAT_NONE);
    }
    nscore_string_free(json);
    json = NULL;
    OK(nscore_cgroup_resource_stats_json(cg, &json, &err));
    CHECK(strstr(json, "\"pidsLimit\":20,") != NULL && strstr(json, "\"io\":[]}") != NULL);

    /* Freeze and thaw, seen in cgroup.events (cgroup2) or else freezer.state (v1). */
    events = dir_with(paths, n, "cgroup.events");
    freezer = events == NULL ? dir_with(paths, n, "freezer.state") : NULL;
    OK(nscore_cgroup_freeze(cg, &err));
    if (events != NULL) CHECK(strstr(cg_file(events, "cgroup.events", got, sizeof got), "frozen 1") != NULL);
    if (freezer != NULL) expect_file(freezer, "freezer.state", "FROZEN");
    OK(nscore_cgroup_thaw(cg, &err));
    if (events != NULL) CHECK(strstr(cg_file(events, "cgroup.events", got, sizeof got), "frozen 0") != NULL);
    if (freezer != NULL) expect_file(freezer, "freezer.state", "THAWED");

    upd = limits();
    REQUIRE(upd != NULL);
    OK(nscore_spawn_config_set_pids_limit(upd, 30, &err));
    OK(nscore_cgroup_update_resources(cg2, upd, &err));
    expect_file(pids, "pids.max", "30");
    FAILS(nscore_cgroup_event_fd(cg, 9, &fd, &err), NSCORE_EINVAL, "event must be");
    FAILS(nscore_cgroup_wait_empty(cg, -2, &empty, &err), NSCORE_EINVAL, "timeout_ms must be");
    if (events != NULL) {
        struct pollfd p;
        char buf[256];
        OK(nscore_cgroup_event_fd(cg, NSCORE_CGROUP_EVENT_POPULATED, &fd, &err));
        CHECK(fd >= 0 && pread(fd, buf, sizeof buf, 0) > 0);
        OK(nscore_cgroup_wait_empty(cg, 0, &empty, &err));
        CHECK(empty == 0);
        OK(nscore_cgroup_kill_all(cg, &err));
        p = (struct pollfd){.fd = fd, .events = POLLPRI};
        CHECK(poll(&p, 1, 10000) == 1);
        OK(nscore_cgroup_wait_empty(cg, 10000, &empty, &err));
        CHECK(empty == 1);
    } else {
        OK(nscore_cgroup_kill_all(cg, &err));
    }

    /* The starter reaps it and removes the cgroup; the handles then say it is gone. */
    REQUIRE(write(in[1], "reap\n", 5) == 5);
    line[0] = '\0';
    REQUIRE(read_until(outp[0], line, sizeof line, "\n", 30000));
    REQUIRE(sscanf(line, "status %d", &s) == 1);
    CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL);
    REQUIRE(waitpid(spawner, &s, 0) == spawner);
    spawner = -1;
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    for (int i = 0; i < n; i++) CHECK(access(paths[i], F_OK) != 0);
    FAILS(nscore_cgroup_resource_stats(cg, &st, &err), NSCORE_EEXITED, "cgroup is gone");
    FAILS(nscore_cgroup_freeze(cg2, &err), NSCORE_EEXITED, "cgroup is gone");
    FAILS(nscore_cgroup_kill_all(cg, &err), NSCORE_EEXITED, "cgroup is gone");
    nscore_cgroup_free(cg2);
    cg2 = NULL;
    FAILS(nscore_cgroup_open(ctr, &cg2, &err), NSCORE_EEXITED, "no such process");
    CHECK(cg2 == NULL);
    /* The JSON stays as opened. */
    nscore_string_free(json);
    json = NULL;
    OK(nscore_cgroup_json(cg, &json, &err));
    CHECK(json_paths(json, paths2, 8) == n);
out:
    if (fd >= 0) close(fd);
    nscore_string_free(json);
    nscore_string_free(json2);
    /* Whatever failed: end the container and let its starter reap it and remove its cgroup. */
    if (spawner > 0) {
        if (cg == NULL || nscore_cgroup_kill_all(cg, NULL) != 0)
            if (ctr > 0) kill(ctr, SIGKILL);
        if (in[1] >= 0) close(in[1]);
        in[1] = -1;
        waitpid(spawner, NULL, 0);
    }
    nscore_cgroup_free(cg);
    nscore_cgroup_free(cg2);
    nscore_spawn_config_free(upd);
    close_pipe(in);
    close_pipe(outp);
    CHECK(leftovers(0) == 0);
    if (starter > 0) CHECK(leftovers(starter) == 0);
}

int main(int argc, char **argv)
{
    int fds;
    if (argc >= 2 && strcmp(argv[1], "spawner") == 0) return run_spawner();
    alarm(240);
    if (realpath(argv[0], self) == NULL) {
        perror("realpath");
        return 1;
    }
    rootless = geteuid() != 0;
    if (access("/proc/self/cgroup", F_OK) != 0) {
        printf("no /proc/self/cgroup\n");
        return T_SKIP;
    }
    fds = t_count_fds();
    setters();
    cgroup_bad_input();
    if (rootless) {
        fprintf(stderr, "note: not root: the cases that make cgroups are skipped\n");
    } else {
        write_throttle();
        blkio_weight();
        hugetlb();
        other_process();
    }
    CHECK(t_count_fds() == fds);
    CHECK(t_count_children() == 0);
    CHECK(leftovers(0) == 0);
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return t_result();
}
