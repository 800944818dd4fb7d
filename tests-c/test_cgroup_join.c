/* test_cgroup_join.c - a command joined into a container with resources runs in the
 * container's cgroups (as runc exec puts it): it counts against pids.max, a frozen container
 * is refused, and nscore_join_config_set_join_cgroups(cfg, 0) keeps the caller's cgroups. */
#include "test.h"
#include "cgroup_test.h"

static nscore_error *err;

/* Joins `pid` with `argv`, stdout and stderr captured into buf; returns the wait status, or -1
 * when nscore_join failed with `want_code` (0: must not fail). */
static int join_capture(pid_t pid, const char *const *argv, int join_cgroups, char *buf, size_t n, int want_code,
                        const char *needle)
{
    nscore_join_config *cfg = NULL;
    nscore_container *c = NULL;
    int p[2] = {-1, -1}, s = -1;
    buf[0] = '\0';
    OK(nscore_join_config_new(&cfg, &err));
    OK(nscore_join_config_set_target_pid(cfg, pid, &err));
    OK(nscore_join_config_set_argv(cfg, argv, &err));
    if (join_cgroups >= 0) OK(nscore_join_config_set_join_cgroups(cfg, join_cgroups, &err));
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    OK(nscore_join_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, p[1], &err));
    OK(nscore_join_config_set_stdio(cfg, 2, NSCORE_STDIO_FD, p[1], &err));
    if (want_code != 0) {
        FAILS(nscore_join(cfg, &c, &err), want_code, needle);
        goto out;
    }
    OK(nscore_join(cfg, &c, &err));
    close(p[1]);
    p[1] = -1;
    t_read_all(p[0], buf, n);
    OK(nscore_container_wait(c, 30000, &s, &err));
out:
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    nscore_container_free(c);
    nscore_join_config_free(cfg);
    return s;
}

int main(void)
{
    if (geteuid() != 0) {
        printf("cgroups need root here\n");
        return T_SKIP;
    }
    if (access("/sys/fs/cgroup/pids", F_OK) != 0 && access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0) {
        printf("no pids controller\n");
        return T_SKIP;
    }
    const char *const sleeper[] = {"sleep", "30", NULL};
    nscore_spawn_config *cfg = t_config(sleeper, NSCORE_NS_PID | NSCORE_NS_MNT);
    nscore_container *c = NULL;
    char paths[8][PATH_MAX], buf[8192], leaf[128] = "";
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_pids_limit(cfg, 6, &err));
    OK(nscore_spawn(cfg, &c, &err));
    {
        /* The leaf name of the first directory: "nscore-PID-N". */
        const char *base;
        REQUIRE(container_paths(c, paths, 8) >= 1);
        base = strrchr(paths[0], '/');
        REQUIRE(base != NULL && strncmp(base + 1, "nscore-", strlen("nscore-")) == 0);
        snprintf(leaf, sizeof leaf, "%s", base + 1);
    }

    /* Joined (the default): in the container's cgroups, and its forks are limited. */
    const char *const bomb[] = {"sh", "-c", "cat /proc/self/cgroup; for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait", NULL};
    join_capture(nscore_container_pid(c), bomb, -1, buf, sizeof buf, 0, NULL);
    CHECK(strstr(buf, leaf) != NULL);
    CHECK(strstr(buf, "fork") != NULL || strstr(buf, "Resource temporarily unavailable") != NULL);
    if (t_failures) fprintf(stderr, "leaf %s, output:\n%s\n", leaf, buf);

    /* Frozen: refused, not hung. */
    const char *const truth[] = {"true", NULL};
    OK(nscore_container_freeze(c, &err));
    join_capture(nscore_container_pid(c), truth, 1, buf, sizeof buf, NSCORE_EBUSY, "frozen; thaw it first");
    OK(nscore_container_thaw(c, &err));

    /* Not joined: the caller's cgroups. */
    const char *const cat[] = {"cat", "/proc/self/cgroup", NULL};
    int s = join_capture(nscore_container_pid(c), cat, 0, buf, sizeof buf, 0, NULL);
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    CHECK(strstr(buf, leaf) == NULL);

    /* Bad input. */
    {
        nscore_join_config *j = NULL;
        OK(nscore_join_config_new(&j, &err));
        FAILS(nscore_join_config_set_join_cgroups(j, 2, &err), NSCORE_EINVAL, "enable");
        FAILS(nscore_join_config_set_join_cgroups(NULL, 1, &err), NSCORE_EINVAL, "cfg");
        nscore_join_config_free(j);
    }
out:
    if (c != NULL) {
        int st;
        nscore_container_signal(c, SIGKILL, &err);
        nscore_container_wait(c, 10000, &st, &err);
    }
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    nscore_error_free(err);
    return t_result();
}
