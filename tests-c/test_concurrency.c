/* 8 threads x 25 spawns of /bin/true in new UTS and IPC namespaces, all at once: every spawn
 * succeeds and exits 0, nothing hangs (alarm is the watchdog), nothing is left behind. */
#include "test.h"

#include <pthread.h>

#define THREADS 8
#define SPAWNS 25

static pthread_barrier_t start_line;

static void *worker(void *arg)
{
    const char *t[] = {"/bin/true", NULL};
    uint32_t ns = *(const uint32_t *)arg;
    nscore_spawn_config *cfg = NULL;
    nscore_error *e = NULL;
    long failures = 0;
    int rc;

    rc = nscore_spawn_config_new(&cfg, &e);
    if (rc == 0) rc = nscore_spawn_config_set_argv(cfg, t, &e);
    if (rc == 0) rc = nscore_spawn_config_set_namespaces(cfg, ns, &e);
    if (rc == 0 && (ns & NSCORE_NS_USER)) rc = nscore_spawn_config_set_map_root_user(cfg, 1, &e);
    pthread_barrier_wait(&start_line);
    if (rc != 0) {
        fprintf(stderr, "config: %s\n", nscore_error_message(e));
        nscore_error_free(e);
        nscore_spawn_config_free(cfg);
        return (void *)(long)SPAWNS;
    }
    for (int i = 0; i < SPAWNS; i++) {
        nscore_container *c = NULL;
        int s = -1;
        e = NULL;
        rc = nscore_spawn(cfg, &c, &e);
        if (rc == 0) rc = nscore_container_wait(c, 20000, &s, &e);
        if (rc != 0 || !WIFEXITED(s) || WEXITSTATUS(s) != 0) {
            fprintf(stderr, "spawn %d: rc %d status 0x%x: %s\n", i, rc, s, e ? nscore_error_message(e) : "");
            failures++;
        }
        nscore_error_free(e);
        nscore_container_free(c);
    }
    nscore_spawn_config_free(cfg);
    return (void *)failures;
}

int main(void)
{
    pthread_t threads[THREADS];
    uint32_t ns = geteuid() == 0 ? (NSCORE_NS_UTS | NSCORE_NS_IPC) : (NSCORE_NS_USER | NSCORE_NS_UTS | NSCORE_NS_IPC);
    long total = 0;
    int fds_before = t_count_fds();

    alarm(60);
    REQUIRE(pthread_barrier_init(&start_line, NULL, THREADS) == 0);
    for (int i = 0; i < THREADS; i++) REQUIRE(pthread_create(&threads[i], NULL, worker, &ns) == 0);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(threads[i], &r);
        total += (long)r;
    }
    pthread_barrier_destroy(&start_line);
    if (total != 0) fprintf(stderr, "%ld of %d spawns failed\n", total, THREADS * SPAWNS);
    CHECK(total == 0);
    CHECK(t_count_fds() == fds_before);
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
out:
    return t_result();
}
