/* No leaks: 50 failing and 50 succeeding spawns (and a few joins) leave the same open fds, no
 * zombie or other child, and the same mount table as before. */
#include "test.h"

static void spawn_once(const char *const *argv, uint32_t ns, const char *cwd, int stdout_fd, int expect_rc)
{
    nscore_spawn_config *cfg = t_config(argv, ns);
    nscore_container *c = NULL;
    nscore_error *e = NULL;
    int rc, s;
    REQUIRE(cfg != NULL);
    if (cwd != NULL) OK(nscore_spawn_config_set_cwd(cfg, cwd, &err));
    if (stdout_fd != -1) OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, stdout_fd, &err));
    rc = nscore_spawn(cfg, &c, &e);
    if (rc != expect_rc) {
        t_fail(__FILE__, __LINE__, "nscore_spawn (unexpected result)", rc, e);
    }
    if (rc == 0) {
        OK(nscore_container_wait(c, 10000, &s, &err));
        CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    } else {
        CHECK(c == NULL);
    }
out:
    nscore_error_free(e);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

/* Joins a running container `n` times (net + uts; rootless: its user namespace too, which goes
 * through nscore-init). */
static void joins(int n)
{
    const char *t[] = {"/bin/true", NULL};
    const char *sleeper[] = {"sleep", "30", NULL};
    int root = geteuid() == 0;
    nscore_spawn_config *cfg = t_config(sleeper, root ? (NSCORE_NS_NET | NSCORE_NS_UTS) : (NSCORE_NS_USER | NSCORE_NS_NET));
    nscore_join_config *j = NULL;
    nscore_container *target = NULL;
    REQUIRE(cfg != NULL);
    if (!root) OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    OK(nscore_spawn(cfg, &target, &err));
    OK(nscore_join_config_new(&j, &err));
    OK(nscore_join_config_set_argv(j, t, &err));
    OK(nscore_join_config_set_target_pid(j, nscore_container_pid(target), &err));
    for (int i = 0; i < n; i++) {
        nscore_container *c = NULL;
        int s = -1;
        nscore_error *e = NULL;
        int rc = nscore_join(j, &c, &e);
        if (rc == 0) rc = nscore_container_wait(c, 10000, &s, &e);
        if (rc != 0) t_fail(__FILE__, __LINE__, "join", rc, e);
        CHECK(s == 0);
        nscore_error_free(e);
        nscore_container_free(c);
    }
out:
    nscore_join_config_free(j);
    if (target != NULL) nscore_container_stop(target, 100, NULL, NULL);
    nscore_container_free(target);
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    const char *t[] = {"/bin/true", NULL};
    const char *missing[] = {"/nonexistent/cmd", NULL};
    int root = geteuid() == 0;
    uint32_t ns = root ? (NSCORE_NS_UTS | NSCORE_NS_IPC | NSCORE_NS_NET | NSCORE_NS_MNT | NSCORE_NS_PID)
                       : NSCORE_NS_ALL; /* unprivileged: a user namespace makes the rest possible */
    int fds_before, fds_after, mounts_before, mounts_after;

    alarm(120);
    /* Warm up once, so one-time allocations of the library (such as the sealed memfd holding
     * nscore-init, kept for the life of the process) are not counted as leaks. */
    spawn_once(t, 0, NULL, -1, 0);
    joins(1);

    fds_before = t_count_fds();
    mounts_before = t_count_lines("/proc/self/mountinfo");
    for (int i = 0; i < 50; i++) {
        switch (i % 3) {
        case 0: spawn_once(missing, ns, NULL, -1, NSCORE_ENOTFOUND); break;      /* fails in the parent */
        case 1: spawn_once(t, ns, "/nonexistent-dir", -1, NSCORE_ECHILD); break; /* fails in the child */
        default: spawn_once(t, ns, NULL, 9999, NSCORE_EINVAL); break;            /* bad stdio fd */
        }
    }
    for (int i = 0; i < 50; i++) spawn_once(t, i % 2 ? ns : 0, NULL, -1, 0);
    joins(20);
    /* Failing joins too. */
    for (int i = 0; i < 10; i++) {
        nscore_join_config *j = NULL;
        nscore_container *c = NULL;
        OK(nscore_join_config_new(&j, &err));
        OK(nscore_join_config_set_argv(j, t, &err));
        OK(nscore_join_config_set_namespace_path(j, NSCORE_NS_NET, "/etc/passwd", &err));
        FAILS(nscore_join(j, &c, &err), NSCORE_EINVAL, NULL);
        nscore_join_config_free(j);
    }
    fds_after = t_count_fds();
    mounts_after = t_count_lines("/proc/self/mountinfo");

    if (fds_before != fds_after) {
        fprintf(stderr, "open fds: %d before, %d after\n", fds_before, fds_after);
        CHECK(fds_before == fds_after);
    }
    if (mounts_before != mounts_after) {
        fprintf(stderr, "mountinfo lines: %d before, %d after\n", mounts_before, mounts_after);
        CHECK(mounts_before == mounts_after);
    }
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    CHECK(t_count_children() == 0);
out:
    return t_result();
}
