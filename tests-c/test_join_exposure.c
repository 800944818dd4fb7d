/* A join must never expose the host to the container it joins (runc's CVE-2016-9962 class).
 *
 * A container's PID 1 is an attacker with every capability it can have (tests-c/helpers/watcher.c):
 * it predicts each new pid of its PID namespace and tries /proc/PID/maps, /proc/PID/mem,
 * /proc/PID/environ, ptrace(PTRACE_SEIZE) and pidfd_getfd(2) on it until it has become the joined
 * command. Meanwhile this program joins the container thousands of times, by pid and by
 * /proc/PID/ns paths, running a static program that opens nothing. It holds a host fd the
 * command must not get, and its environment holds a secret the command is not given.
 *
 * Expected: the watcher observed the joining processes (so it was really watching) and never
 * saw the host's maps, read the host's memory or environment, attached to a process whose maps
 * are the host's, or found any fd above 2.
 *
 * As root the container has no user namespace (its root has CAP_SYS_PTRACE over the host's user
 * namespace: the strongest attacker). Run unprivileged (run.sh does, as uid 65534), the
 * container maps root to the caller: a rootless host joining a rootless container.
 *
 * NSCORE_TEST_HELPERS names the directory with the built watcher and noop (run.sh sets it);
 * NSCORE_EXPOSURE_JOINS the number of joins (default 5000, half by pid, half by path, then a
 * tenth more by pid without the PID namespace). */
#include "test.h"

#include <sys/syscall.h>
#include <time.h>

#define SECRET_VAR "NSCORE_EXPOSURE_SECRET"

static int joins_wanted(void)
{
    const char *s = getenv("NSCORE_EXPOSURE_JOINS");
    int n = s != NULL ? atoi(s) : 0;
    return n > 0 ? n : 5000;
}

/* The value of "key N" in the watcher's result text, or -1. */
static long result_value(const char *text, const char *key)
{
    char needle[64];
    snprintf(needle, sizeof needle, "%s ", key);
    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, needle, strlen(needle)) == 0) return atol(p + strlen(needle));
    return -1;
}

/* Runs `n` joins of `noop` into `target`: by pid when by_path is 0, else by its ns files;
 * by pid without its PID namespace (the command stays in ours) when by_path is 2. */
static int join_many(pid_t target, const char *noop, int n, int by_path)
{
    static const char *const kinds[] = {"pid", "mnt", "ipc", "uts", "user"};
    static const uint32_t bits[] = {NSCORE_NS_PID, NSCORE_NS_MNT, NSCORE_NS_IPC, NSCORE_NS_UTS, NSCORE_NS_USER};
    const char *argv[] = {noop, NULL};
    const char *env[] = {"PATH=/usr/bin:/bin", NULL};
    nscore_join_config *cfg = NULL;
    int done = 0;
    OK(nscore_join_config_new(&cfg, &err));
    if (by_path == 2) {
        OK(nscore_join_config_set_target_pid(cfg, target, &err));
        uint32_t kinds = NSCORE_NS_MNT | NSCORE_NS_IPC | NSCORE_NS_UTS;
        if (t_ns_inode(target, "user") != t_ns_inode(0, "user")) kinds |= NSCORE_NS_USER;
        OK(nscore_join_config_set_namespaces(cfg, kinds, &err));
    } else if (by_path) {
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char path[64];
            /* The user namespace only when the container has its own (rootless runs). */
            if (bits[k] == NSCORE_NS_USER && t_ns_inode(target, "user") == t_ns_inode(0, "user")) continue;
            snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)target, kinds[k]);
            OK(nscore_join_config_set_namespace_path(cfg, bits[k], path, &err));
        }
    } else {
        OK(nscore_join_config_set_target_pid(cfg, target, &err));
    }
    OK(nscore_join_config_set_argv(cfg, argv, &err));
    OK(nscore_join_config_set_env(cfg, env, &err));
    for (; done < n; done++) {
        nscore_container *c = NULL;
        int status = -1;
        OK(nscore_join(cfg, &c, &err));
        OK(nscore_container_wait(c, 30000, &status, &err));
        nscore_container_free(c);
        if (status != 0) {
            fprintf(stderr, "join %d: the command ended with status 0x%x\n", done, status);
            t_failures++;
            break;
        }
    }
out:
    nscore_join_config_free(cfg);
    return done;
}

static void exposure(const char *helpers)
{
    char watcher[512], noop[512], dir[] = "/tmp/nscore-exposure-XXXXXX", result[600], stop[600];
    char text[1 << 16] = "", ready[16] = "";
    const char *secret = getenv(SECRET_VAR);
    int pipefd[2] = {-1, -1}, host_fd = -1, n = joins_wanted();
    nscore_spawn_config *cfg = NULL;
    nscore_container *c = NULL;
    int is_root = geteuid() == 0, joined = 0;

    snprintf(watcher, sizeof watcher, "%s/watcher", helpers);
    snprintf(noop, sizeof noop, "%s/noop", helpers);
    REQUIRE(access(watcher, X_OK) == 0 && access(noop, X_OK) == 0);
    REQUIRE(mkdtemp(dir) != NULL);
    REQUIRE(chmod(dir, 0777) == 0); /* the container's root may be an unmapped uid */
    snprintf(result, sizeof result, "%s/result", dir);
    snprintf(stop, sizeof stop, "%s/stop", dir);

    /* A host fd no joined command is meant to get. */
    host_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    REQUIRE(host_fd >= 0);

    const char *argv[] = {watcher, result, stop, "libnscore", secret, noop, NULL};
    uint32_t ns = NSCORE_NS_PID | NSCORE_NS_MNT | NSCORE_NS_IPC | NSCORE_NS_UTS;
    cfg = t_config(argv, ns);
    REQUIRE(cfg != NULL);
    if (!is_root) OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    REQUIRE(pipe2(pipefd, O_CLOEXEC) == 0);
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, pipefd[1], &err));
    OK(nscore_spawn(cfg, &c, &err));
    close(pipefd[1]);
    pipefd[1] = -1;
    REQUIRE(read(pipefd[0], ready, sizeof ready - 1) > 0);
    REQUIRE(strncmp(ready, "ready", 5) == 0);

    joined = join_many(nscore_container_pid(c), noop, n / 2, 0);
    joined += join_many(nscore_container_pid(c), noop, n - n / 2, 1);
    /* And some that leave the PID namespace out: nothing of them may show up either. */
    joined += join_many(nscore_container_pid(c), noop, n / 10, 2);
    CHECK(joined == n + n / 10);

    {
        int fd = open(stop, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        close(fd);
        int status = -1;
        OK(nscore_container_wait(c, 60000, &status, &err));
        CHECK(status == 0);
    }
    {
        int fd = open(result, O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        t_read_all(fd, text, sizeof text);
        close(fd);
    }
    fprintf(stderr, "%d joins (%s host and container); the watcher reported:\n%s", joined,
            is_root ? "root" : "rootless", text);
    /* It was watching: it caught a good share of the joining processes (it competes with us for
     * the CPUs) and read their maps. As root (CAP_SYS_PTRACE over the initial user namespace) it
     * also read some before their exec, in nscore-init's image; in a user namespace it cannot:
     * a process that is not dumpable is out of its reach until the command's exec. */
    CHECK(result_value(text, "seen") >= joined / 10);
    CHECK(result_value(text, "maps") > 0);
    if (is_root) CHECK(result_value(text, "preexec") > 0);
    /* And it never reached the host. */
    CHECK(result_value(text, "maps_host") == 0);
    CHECK(result_value(text, "mem_host") == 0);
    CHECK(result_value(text, "secret") == 0);
    CHECK(result_value(text, "seize_host") == 0);
    CHECK(result_value(text, "getfd") == 0);
    CHECK(result_value(text, "fd_listed") == 0);
out:
    if (c != NULL) {
        nscore_container_stop(c, 100, NULL, NULL);
        nscore_container_free(c);
    }
    nscore_spawn_config_free(cfg);
    if (pipefd[0] >= 0) close(pipefd[0]);
    if (pipefd[1] >= 0) close(pipefd[1]);
    if (host_fd >= 0) close(host_fd);
    unlink(result);
    unlink(stop);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    (void)argc;
    const char *helpers = getenv("NSCORE_TEST_HELPERS");
    if (helpers == NULL) {
        fprintf(stderr, "NSCORE_TEST_HELPERS is not set (tests-c/run.sh builds the helpers and sets it)\n");
        return 1;
    }
    /* The secret must be in the environment this process was exec'd with: that area is what
     * /proc/PID/environ shows of a process sharing our memory. */
    if (getenv(SECRET_VAR) == NULL) {
        char value[64];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(value, sizeof value, "host-secret-%ld-%ld-%d", (long)ts.tv_sec, ts.tv_nsec, (int)getpid());
        setenv(SECRET_VAR, value, 1);
        execv("/proc/self/exe", argv);
        perror("re-exec with the secret");
        return 1;
    }
    exposure(helpers);
    return t_result();
}
