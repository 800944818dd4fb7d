/* nscore_container_pidfd() in an epoll(7) loop: one thread waits for 20 containers at once; each
 * pidfd turns readable when its process exits, and nscore_container_wait(c, 0, ...) then reaps it
 * without blocking. */
#include "test.h"

#include <sys/epoll.h>
#include <time.h>

#define N 20

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void epoll_many(void)
{
    nscore_container *c[N] = {0};
    nscore_spawn_config *cfg[N] = {0};
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int seen[N] = {0};
    int left = N;
    long long t0;
    REQUIRE(ep >= 0);
    for (int i = 0; i < N; i++) {
        char script[64];
        /* Different exit codes and exit times, so each status is matched to its container. */
        snprintf(script, sizeof script, "sleep 0.%d; exit %d", 3 + i % 5, i);
        const char *argv[] = {"sh", "-c", script, NULL};
        cfg[i] = t_config(argv, 0);
        REQUIRE(cfg[i] != NULL);
        OK(nscore_spawn(cfg[i], &c[i], &err));
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        REQUIRE(nscore_container_pidfd(c[i]) >= 0);
        REQUIRE(epoll_ctl(ep, EPOLL_CTL_ADD, nscore_container_pidfd(c[i]), &ev) == 0);
    }
    /* All still run: nothing is readable, and a wait with timeout 0 reports ETIMEDOUT. */
    {
        struct epoll_event ev;
        CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
        CHECK(nscore_container_wait(c[0], 0, NULL, NULL) == NSCORE_ETIMEDOUT);
    }
    t0 = now_ms();
    while (left > 0 && now_ms() - t0 < 10000) {
        struct epoll_event ev[8];
        int n = epoll_wait(ep, ev, 8, 1000);
        REQUIRE(n >= 0);
        for (int k = 0; k < n; k++) {
            int i = (int)ev[k].data.u32, s = -1;
            REQUIRE(i >= 0 && i < N && !seen[i]);
            CHECK(ev[k].events & EPOLLIN);
            seen[i] = 1;
            left--;
            REQUIRE(epoll_ctl(ep, EPOLL_CTL_DEL, nscore_container_pidfd(c[i]), NULL) == 0);
            OK(nscore_container_wait(c[i], 0, &s, &err));
            CHECK(WIFEXITED(s) && WEXITSTATUS(s) == i);
        }
    }
    CHECK(left == 0);
    /* The exits overlap: the whole set takes about the longest sleep, not the sum. */
    CHECK(now_ms() - t0 < 3000);
out:
    for (int i = 0; i < N; i++) {
        nscore_container_free(c[i]);
        nscore_spawn_config_free(cfg[i]);
    }
    if (ep >= 0) close(ep);
}

static void pidfd_null_and_detached(void)
{
    const char *argv[] = {"true", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    REQUIRE(cfg != NULL);
    CHECK(nscore_container_pidfd(NULL) == -1);
    OK(nscore_spawn(cfg, &c, &err));
    nscore_container_detach(c);
    CHECK(nscore_container_pidfd(c) == -1);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    alarm(60);
    epoll_many();
    pidfd_null_and_detached();
    return t_result();
}
