/* Waiting with deadlines and stopping: ETIMEDOUT while running, then stop kills it. */
#include "test.h"

#include <time.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void timeout_then_stop(uint32_t namespaces)
{
    const char *argv[] = {"sleep", "5", NULL};
    nscore_spawn_config *cfg = t_config(argv, namespaces);
    nscore_container *c = NULL;
    nscore_error *e = NULL;
    long long t0, dt;
    int s = -1, rc;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));

    t0 = now_ms();
    rc = nscore_container_wait(c, 200, &s, &e);
    dt = now_ms() - t0;
    CHECK(rc == NSCORE_ETIMEDOUT);
    CHECK(s == -1); /* untouched */
    REQUIRE(e != NULL);
    CHECK(nscore_error_code(e) == NSCORE_ETIMEDOUT);
    CHECK(strstr(nscore_error_message(e), "still running") != NULL);
    nscore_error_free(e);
    e = NULL;
    CHECK(dt >= 190 && dt < 2000);
    /* The error object is optional. */
    CHECK(nscore_container_wait(c, 0, &s, NULL) == NSCORE_ETIMEDOUT);

    t0 = now_ms();
    OK(nscore_container_stop(c, 2000, &s, &err));
    dt = now_ms() - t0;
    /* sleep dies of SIGTERM at once; as PID 1 of a PID namespace it ignores it and is killed. */
    CHECK(WIFSIGNALED(s) || (WIFEXITED(s) && WEXITSTATUS(s) == 143));
    if (namespaces & NSCORE_NS_PID)
        CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL && dt >= 1900);
    else
        CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM && dt < 1900);
    CHECK(kill(nscore_container_pid(c), 0) == -1 && errno == ESRCH);
out:
    nscore_error_free(e);
    if (c != NULL) nscore_container_stop(c, 0, &s, NULL);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void stop_bad_timeout(void)
{
    const char *argv[] = {"/bin/true", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    int s;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    FAILS(nscore_container_stop(c, -5, &s, &err), NSCORE_EINVAL, "timeout_ms");
    OK(nscore_container_stop(c, 0, &s, &err));
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    alarm(60);
    timeout_then_stop(0);
    if (geteuid() == 0) timeout_then_stop(NSCORE_NS_PID | NSCORE_NS_MNT);
    stop_bad_timeout();
    return t_result();
}
