/* Spawning plain processes: exit statuses in waitpid format, signals, wait semantics, detach.
 * Needs no privilege (run.sh runs it as root and as uid 65534). */
#include "test.h"

#include <pthread.h>

/* Spawns argv, waits forever, returns the wait status (or -1 after reporting a failure). */
static int run_status(const char *const *argv)
{
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    int status = -1;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(nscore_container_pid(c) > 0);
    CHECK(nscore_container_pidfd(c) >= 0);
    OK(nscore_container_wait(c, -1, &status, &err));
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    return status;
}

static void exit_codes(void)
{
    const char *t[] = {"/bin/true", NULL};
    const char *seven[] = {"sh", "-c", "exit 7", NULL};
    const char *killed[] = {"sh", "-c", "kill -9 $$", NULL};
    const char *big[] = {"sh", "-c", "exit 255", NULL};
    int s;

    s = run_status(t);
    CHECK(s != -1 && WIFEXITED(s) && WEXITSTATUS(s) == 0);
    s = run_status(seven);
    CHECK(s != -1 && WIFEXITED(s) && WEXITSTATUS(s) == 7);
    s = run_status(big);
    CHECK(s != -1 && WIFEXITED(s) && WEXITSTATUS(s) == 255);
    s = run_status(killed);
    CHECK(s != -1 && WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL);
}

static void signal_and_wait_semantics(void)
{
    const char *argv[] = {"sleep", "10", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    int s = 0, s2 = 0;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    FAILS(nscore_container_wait(c, 0, &s, &err), NSCORE_ETIMEDOUT, "still running");
    FAILS(nscore_container_wait(c, -2, &s, &err), NSCORE_EINVAL, "timeout_ms");
    OK(nscore_container_signal(c, SIGUSR1, &err));
    OK(nscore_container_wait(c, 5000, &s, &err));
    CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGUSR1);
    /* Later waits return the same status; the process is gone for signals. */
    OK(nscore_container_wait(c, -1, &s2, &err));
    CHECK(s2 == s);
    OK(nscore_container_wait(c, 0, NULL, &err));
    FAILS(nscore_container_signal(c, SIGTERM, &err), NSCORE_EEXITED, NULL);
    FAILS(nscore_container_signal(c, 1000, &err), NSCORE_EINVAL, "1000");
    /* stop on a finished process just returns its status. */
    OK(nscore_container_stop(c, 100, &s2, &err));
    CHECK(s2 == s);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void stop_without_escalation(void)
{
    const char *argv[] = {"sleep", "10", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    int s = 0;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_container_stop(c, -1, &s, &err)); /* SIGTERM, wait forever */
    CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void free_kills_and_detach_does_not(void)
{
    const char *argv[] = {"sleep", "30", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    pid_t pid = -1;
    int s;
    REQUIRE(cfg != NULL);

    /* Freeing a running handle kills and reaps it: no process, no zombie. */
    OK(nscore_spawn(cfg, &c, &err));
    pid = nscore_container_pid(c);
    nscore_container_free(c);
    c = NULL;
    CHECK(kill(pid, 0) == -1 && errno == ESRCH);
    pid = -1;

    /* Detach: the process outlives the handle; we reap it ourselves. */
    OK(nscore_spawn(cfg, &c, &err));
    pid = nscore_container_pid(c);
    nscore_container_detach(c);
    CHECK(nscore_container_pidfd(c) == -1);
    CHECK(nscore_container_pid(c) == pid);
    FAILS(nscore_container_wait(c, 0, &s, &err), NSCORE_EINVAL, "detached");
    nscore_container_free(c);
    c = NULL;
    CHECK(kill(pid, 0) == 0);
out:
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &s, 0);
    }
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void stdio_env_cwd(void)
{
    const char *argv[] = {"sh", "-c", "echo \"$NSCORE_T\"; pwd; echo err >&2", NULL};
    const char *env[] = {"NSCORE_T=hello world", "PATH=/usr/bin:/bin", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    int p[2] = {-1, -1};
    char buf[256];
    int s;
    REQUIRE(cfg != NULL);
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    OK(nscore_spawn_config_set_env(cfg, env, &err));
    OK(nscore_spawn_config_set_cwd(cfg, "/tmp", &err));
    OK(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_NULL, -1, &err));
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, p[1], &err));
    OK(nscore_spawn_config_set_stdio(cfg, 2, NSCORE_STDIO_NULL, -1, &err));
    OK(nscore_spawn(cfg, &c, &err));
    close(p[1]);
    p[1] = -1;
    t_read_all(p[0], buf, sizeof buf);
    CHECK(strcmp(buf, "hello world\n/tmp\n") == 0);
    OK(nscore_container_wait(c, -1, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

/* One thread waits forever on a handle while another signals it (nscore.h allows this). */
static void *wait_forever(void *arg)
{
    static int status;
    nscore_error *e = NULL;
    status = -1;
    if (nscore_container_wait(arg, -1, &status, &e) != 0) {
        fprintf(stderr, "wait: %s\n", nscore_error_message(e));
        nscore_error_free(e);
    }
    return &status;
}

static void wait_and_signal_from_two_threads(void)
{
    const char *argv[] = {"sleep", "10", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    pthread_t t;
    void *r = NULL;
    int started = 0, s = 0;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    REQUIRE(pthread_create(&t, NULL, wait_forever, c) == 0);
    started = 1;
    usleep(50 * 1000);
    OK(nscore_container_signal(c, SIGTERM, &err));
    pthread_join(t, &r);
    started = 0;
    CHECK(r != NULL && WIFSIGNALED(*(int *)r) && WTERMSIG(*(int *)r) == SIGTERM);
    OK(nscore_container_wait(c, 0, &s, &err));
    CHECK(r != NULL && s == *(int *)r);
out:
    if (started) {
        nscore_container_signal(c, SIGKILL, NULL);
        pthread_join(t, NULL);
    }
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    alarm(60);
    exit_codes();
    signal_and_wait_semantics();
    stop_without_escalation();
    free_kills_and_detach_does_not();
    stdio_env_cwd();
    wait_and_signal_from_two_threads();
    return t_result();
}
