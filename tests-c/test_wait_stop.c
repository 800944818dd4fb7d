/* Waiting with deadlines and stopping: ETIMEDOUT while running, then stop ends it: SIGTERM
 * first, SIGKILL at once for a PID 1 that would drop SIGTERM. */
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
    /* sleep dies of SIGTERM at once. As PID 1 of a PID namespace without a SIGTERM handler it
     * would drop SIGTERM, so stop() kills it at once instead of waiting out the timeout. */
    CHECK(WIFSIGNALED(s) || (WIFEXITED(s) && WEXITSTATUS(s) == 143));
    if (namespaces & NSCORE_NS_PID)
        CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL && dt < 1000);
    else
        CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM && dt < 1900);
    CHECK(kill(nscore_container_pid(c), 0) == -1 && errno == ESRCH);
out:
    nscore_error_free(e);
    if (c != NULL) nscore_container_stop(c, 0, &s, NULL);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

/* 1 once process pid has a handler for sig (SigCgt in /proc/PID/status), within ~5 s. */
static int wait_caught(pid_t pid, int sig)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen(path, "r");
        unsigned long long mask = 0;
        if (f == NULL) return 0;
        while (fgets(line, sizeof line, f) != NULL)
            if (strncmp(line, "SigCgt:", 7) == 0) mask = strtoull(line + 7, NULL, 16);
        fclose(f);
        if (mask & (1ULL << (sig - 1))) return 1;
        usleep(50000);
    }
    return 0;
}

/* A PID 1 that traps SIGTERM gets SIGTERM (not SIGKILL) and exits through its handler, and
 * stop() with no escalation (-1) of a PID 1 without one still ends it. */
static void stop_pid1_handler(void)
{
    const char *trap_argv[] = {"sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.05; done", NULL};
    const char *sleep_argv[] = {"sleep", "30", NULL};
    nscore_spawn_config *cfg = t_config(trap_argv, NSCORE_NS_PID);
    nscore_spawn_config *cfg2 = t_config(sleep_argv, NSCORE_NS_PID);
    nscore_container *c = NULL, *c2 = NULL;
    long long t0;
    int s = -1;
    REQUIRE(cfg != NULL && cfg2 != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(wait_caught(nscore_container_pid(c), SIGTERM));
    OK(nscore_container_stop(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 3);

    OK(nscore_spawn(cfg2, &c2, &err));
    t0 = now_ms();
    OK(nscore_container_stop(c2, -1, &s, &err));
    CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL && now_ms() - t0 < 1000);
out:
    nscore_container_free(c);
    nscore_container_free(c2);
    nscore_spawn_config_free(cfg);
    nscore_spawn_config_free(cfg2);
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
    if (geteuid() == 0) stop_pid1_handler();
    stop_bad_timeout();
    return t_result();
}
