/* The embedded nscore-init as PID 1: it forwards SIGTERM to the command and exits with the
 * command's status. Skips when this build of the library has no embedded init. */
#include "test.h"

int main(void)
{
    const char *argv[] = {"sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.05; done", NULL};
    nscore_spawn_config *cfg = NULL;
    nscore_container *c = NULL;
    nscore_error *e = NULL;
    int s = 0, rc;

    alarm(60);
    if (geteuid() != 0) {
        printf("needs root\n");
        return T_SKIP;
    }
    cfg = t_config(argv, NSCORE_NS_PID | NSCORE_NS_MNT);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_init(cfg, 1, &err));
    FAILS(nscore_spawn_config_set_init(cfg, 5, &err), NSCORE_EINVAL, "0 or 1");
    rc = nscore_spawn(cfg, &c, &e);
    if (rc == NSCORE_ENOTSUP) {
        printf("no embedded nscore-init in this build: %s\n", nscore_error_message(e));
        nscore_error_free(e);
        nscore_spawn_config_free(cfg);
        return T_SKIP;
    }
    if (rc != 0) {
        t_fail(__FILE__, __LINE__, "nscore_spawn(init)", rc, e);
        nscore_error_free(e);
        goto out;
    }
    /* The init is PID 1 and the shell its child: both in the new PID namespace. */
    usleep(200 * 1000); /* let the shell install its trap */
    OK(nscore_container_signal(c, SIGTERM, &err));
    OK(nscore_container_wait(c, 10000, &s, &err));
    if (!(WIFEXITED(s) && WEXITSTATUS(s) == 42)) fprintf(stderr, "wait status 0x%x\n", s);
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 42);
out:
    if (c != NULL) {
        nscore_container_stop(c, 100, &s, NULL);
        nscore_container_free(c);
    }
    nscore_spawn_config_free(cfg);
    return t_result();
}
