/* test_time_offsets.c - the clock offsets of a new time namespace
 * (nscore_spawn_config_set_time_offset), read from inside, and bad input. */
#include "test.h"

#include <time.h>

static nscore_error *err;

static double now(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
    const char *const argv[] = {"python3", "-c",
                                "import time; print(time.clock_gettime(time.CLOCK_MONOTONIC), "
                                "time.clock_gettime(time.CLOCK_BOOTTIME))",
                                NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_TIME | NSCORE_NS_USER);
    char out[256];
    double mono = 0, boot = 0;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    OK(nscore_spawn_config_set_time_offset(cfg, NSCORE_CLOCK_MONOTONIC, 864000, 250000000, &err));
    OK(nscore_spawn_config_set_time_offset(cfg, NSCORE_CLOCK_BOOTTIME, 3600, 0, &err));
    int s = t_run_capture(cfg, out, sizeof out, 30000);
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    CHECK(sscanf(out, "%lf %lf", &mono, &boot) == 2);
    CHECK(mono - now(CLOCK_MONOTONIC) > 864000 - 5 && mono - now(CLOCK_MONOTONIC) < 864000 + 5);
    CHECK(boot - now(CLOCK_BOOTTIME) > 3600 - 5 && boot - now(CLOCK_BOOTTIME) < 3600 + 5);
    if (t_failures) fprintf(stderr, "inside: %s", out);

    /* Bad input: named by the setter, or at spawn. */
    FAILS(nscore_spawn_config_set_time_offset(cfg, 0, 1, 0, &err), NSCORE_EINVAL, "clock must be");
    FAILS(nscore_spawn_config_set_time_offset(cfg, NSCORE_CLOCK_BOOTTIME, 1, 1000000000, &err), NSCORE_EINVAL,
          "nanoseconds must be");
    FAILS(nscore_spawn_config_set_time_offset(NULL, NSCORE_CLOCK_BOOTTIME, 1, 0, &err), NSCORE_EINVAL, "cfg");
    OK(nscore_spawn_config_set_namespaces(cfg, NSCORE_NS_UTS | NSCORE_NS_USER, &err));
    {
        nscore_container *c = NULL;
        FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "needs a new time namespace");
        nscore_container_free(c);
    }
    CHECK(t_count_children() == 0);
out:
    nscore_spawn_config_free(cfg);
    nscore_error_free(err);
    return t_result();
}
