/* One process configuration for spawns and joins (nscore_process_config): the same setters,
 * the same result, and the spawn/join setters of old doing the same thing. */
#include "test.h"

/* Sets argv, env, cwd and stdout (a pipe) on `p`; returns the pipe's read end or -1. */
static int configure(nscore_process_config *p, int *write_end)
{
    const char *argv[] = {"sh", "-c", "echo \"$GREETING\"; pwd", NULL};
    const char *env[] = {"GREETING=hello from one config", "PATH=/usr/bin:/bin", NULL};
    int fds[2] = {-1, -1};
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    OK(nscore_process_config_set_argv(p, argv, &err));
    OK(nscore_process_config_set_env(p, env, &err));
    OK(nscore_process_config_set_cwd(p, "/usr", &err));
    OK(nscore_process_config_set_stdio(p, 1, NSCORE_STDIO_FD, fds[1], &err));
    OK(nscore_process_config_set_kill_on_parent_death(p, 1, &err));
    *write_end = fds[1];
    return fds[0];
out:
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    return -1;
}

static void same_process_for_spawn_and_join(void)
{
    nscore_spawn_config *scfg = NULL, *tcfg = NULL;
    nscore_join_config *jcfg = NULL;
    nscore_container *target = NULL, *c = NULL, *j = NULL;
    const char *sleep_argv[] = {"sleep", "30", NULL};
    char spawned[256] = "", joined[256] = "";
    int r = -1, w = -1, status = -1;

    OK(nscore_spawn_config_new(&scfg, &err));
    CHECK(nscore_spawn_config_process(scfg) != NULL);
    CHECK(nscore_spawn_config_process(scfg) == nscore_spawn_config_process(scfg)); /* borrowed, stable */
    r = configure(nscore_spawn_config_process(scfg), &w);
    REQUIRE(r >= 0);
    OK(nscore_spawn_config_set_namespaces(scfg, NSCORE_NS_UTS, &err));
    OK(nscore_spawn(scfg, &c, &err));
    close(w);
    w = -1;
    t_read_all(r, spawned, sizeof spawned);
    close(r);
    r = -1;
    OK(nscore_container_wait(c, 10000, &status, &err));
    CHECK(status == 0);
    CHECK(strcmp(spawned, "hello from one config\n/usr\n") == 0);

    /* The same settings through a join configuration's process part. */
    tcfg = t_config(sleep_argv, NSCORE_NS_UTS | NSCORE_NS_PID | NSCORE_NS_MNT);
    REQUIRE(tcfg != NULL);
    OK(nscore_spawn(tcfg, &target, &err));
    OK(nscore_join_config_new(&jcfg, &err));
    OK(nscore_join_config_set_target_pid(jcfg, nscore_container_pid(target), &err));
    r = configure(nscore_join_config_process(jcfg), &w);
    REQUIRE(r >= 0);
    OK(nscore_join(jcfg, &j, &err));
    close(w);
    w = -1;
    t_read_all(r, joined, sizeof joined);
    OK(nscore_container_wait(j, 10000, &status, &err));
    CHECK(status == 0);
    if (strcmp(joined, spawned) != 0) fprintf(stderr, "spawned [%s] joined [%s]\n", spawned, joined);
    CHECK(strcmp(joined, spawned) == 0);

    /* The executable is a process setting, so joins have it too. */
    {
        const char *argv[] = {"not-a-command", "-c", "echo $0", NULL};
        char buf[64] = "";
        int fds[2];
        nscore_container *k = NULL;
        REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
        OK(nscore_process_config_set_argv(nscore_join_config_process(jcfg), argv, &err));
        OK(nscore_process_config_set_executable(nscore_join_config_process(jcfg), "/bin/sh", &err));
        OK(nscore_process_config_set_stdio(nscore_join_config_process(jcfg), 1, NSCORE_STDIO_FD, fds[1], &err));
        OK(nscore_join(jcfg, &k, &err));
        close(fds[1]);
        t_read_all(fds[0], buf, sizeof buf);
        close(fds[0]);
        OK(nscore_container_wait(k, 10000, &status, &err));
        nscore_container_free(k);
        CHECK(strcmp(buf, "not-a-command\n") == 0);
    }
out:
    if (r >= 0) close(r);
    if (w >= 0) close(w);
    nscore_container_free(c);
    nscore_container_free(j);
    if (target != NULL) nscore_container_stop(target, 50, NULL, NULL);
    nscore_container_free(target);
    nscore_spawn_config_free(scfg);
    nscore_spawn_config_free(tcfg);
    nscore_join_config_free(jcfg);
}

static void bad_input(void)
{
    const char *empty[] = {NULL};
    nscore_spawn_config *cfg = NULL;
    CHECK(nscore_spawn_config_process(NULL) == NULL);
    CHECK(nscore_join_config_process(NULL) == NULL);
    FAILS(nscore_process_config_set_argv(NULL, empty, &err), NSCORE_EINVAL, "p is NULL");
    OK(nscore_spawn_config_new(&cfg, &err));
    FAILS(nscore_process_config_set_argv(nscore_spawn_config_process(cfg), empty, &err), NSCORE_EINVAL, "argv is empty");
    FAILS(nscore_process_config_set_argv(nscore_spawn_config_process(cfg), NULL, &err), NSCORE_EINVAL, "argv is NULL");
    FAILS(nscore_process_config_set_stdio(nscore_spawn_config_process(cfg), 3, NSCORE_STDIO_NULL, -1, &err),
          NSCORE_EINVAL, "stream");
    FAILS(nscore_process_config_set_kill_on_parent_death(nscore_spawn_config_process(cfg), 2, &err), NSCORE_EINVAL, NULL);
out:
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    same_process_for_spawn_and_join();
    bad_input();
    return t_result();
}
