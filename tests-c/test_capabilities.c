/* Capability sets and no_new_privs, read back from /proc/self/status inside the command.
 * Works as root and unprivileged (then in a user namespace with root mapped). */
#include "test.h"

static nscore_spawn_config *status_config(void)
{
    const char *argv[] = {"sh", "-c", "grep -E '^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status | tr -d ' \\t'",
                          NULL};
    nscore_spawn_config *cfg = t_config(argv, geteuid() == 0 ? 0 : NSCORE_NS_USER);
    if (cfg != NULL && geteuid() != 0) {
        nscore_error *e = NULL;
        if (nscore_spawn_config_set_map_root_user(cfg, 1, &e) != 0) {
            nscore_error_free(e);
            nscore_spawn_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

/* Runs cfg with stdout captured into buf; 0 when it exited 0. */
static int run_status(nscore_spawn_config *cfg, char *buf, size_t n)
{
    nscore_container *c = NULL;
    nscore_error *e = NULL;
    int outp[2] = {-1, -1}, s = -1, rc = -1;
    buf[0] = 0;
    if (pipe2(outp, O_CLOEXEC) != 0) return -1;
    if (nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, outp[1], &e) == 0 && nscore_spawn(cfg, &c, &e) == 0) {
        close(outp[1]);
        outp[1] = -1;
        t_read_all(outp[0], buf, n);
        if (nscore_container_wait(c, 10000, &s, &e) == 0 && WIFEXITED(s) && WEXITSTATUS(s) == 0) rc = 0;
    }
    if (e != NULL) fprintf(stderr, "run_status: %s\n", nscore_error_message(e));
    nscore_error_free(e);
    if (outp[0] >= 0) close(outp[0]);
    if (outp[1] >= 0) close(outp[1]);
    nscore_container_free(c);
    return rc;
}

static void sets_as_given(void)
{
    nscore_spawn_config *cfg = status_config();
    const char *two[] = {"CAP_CHOWN", "net_raw", NULL}, *none[] = {NULL}, *all[] = {"ALL", NULL};
    char buf[512];
    REQUIRE(cfg != NULL);
    OK(nscore_process_config_set_capabilities(nscore_spawn_config_process(cfg),
                                              NSCORE_CAPS_BOUNDING | NSCORE_CAPS_EFFECTIVE | NSCORE_CAPS_PERMITTED, two, &err));
    OK(nscore_spawn_config_set_no_new_privileges(cfg, 1, &err));
    REQUIRE(run_status(cfg, buf, sizeof buf) == 0);
    if (strstr(buf, "CapPrm:0000000000002001\nCapEff:0000000000002001\nCapBnd:0000000000002001\nCapAmb:0000000000000000\n"
                    "NoNewPrivs:1\n") == NULL)
        fprintf(stderr, "inside saw:\n%s", buf);
    CHECK(strstr(buf, "CapEff:0000000000002001\nCapBnd:0000000000002001\nCapAmb:0000000000000000\nNoNewPrivs:1") != NULL);
    /* Docker's --cap-drop ALL: nothing left; no_new_privs back to the default (off here). */
    OK(nscore_process_config_adjust_capabilities(nscore_spawn_config_process(cfg), NULL, all, &err));
    OK(nscore_spawn_config_set_no_new_privileges(cfg, -1, &err));
    REQUIRE(run_status(cfg, buf, sizeof buf) == 0);
    CHECK(strstr(buf, "CapEff:0000000000000000\nCapBnd:0000000000000000") != NULL && strstr(buf, "NoNewPrivs:0") != NULL);
    /* An empty list empties a set. */
    OK(nscore_process_config_set_capabilities(nscore_spawn_config_process(cfg), NSCORE_CAPS_AMBIENT, none, &err));
out:
    nscore_spawn_config_free(cfg);
}

static void bad_capabilities(void)
{
    nscore_spawn_config *cfg = status_config();
    nscore_container *c = NULL;
    const char *fly[] = {"CAP_FLY", NULL}, *chown_[] = {"CHOWN", NULL}, *none[] = {NULL};
    REQUIRE(cfg != NULL);
    FAILS(nscore_process_config_set_capabilities(nscore_spawn_config_process(cfg), NSCORE_CAPS_EFFECTIVE, fly, &err),
          NSCORE_EINVAL, "unknown capability 'CAP_FLY'; the valid names are CAP_CHOWN");
    FAILS(nscore_process_config_set_capabilities(nscore_spawn_config_process(cfg), 0, chown_, &err), NSCORE_EINVAL,
          "NSCORE_CAPS_");
    FAILS(nscore_process_config_set_capabilities(nscore_spawn_config_process(cfg), 64, chown_, &err), NSCORE_EINVAL,
          "NSCORE_CAPS_");
    FAILS(nscore_process_config_set_capabilities(nscore_spawn_config_process(cfg), NSCORE_CAPS_AMBIENT, NULL, &err),
          NSCORE_EINVAL, "names");
    FAILS(nscore_spawn_config_set_no_new_privileges(cfg, 2, &err), NSCORE_EINVAL, "-1 (default), 0 or 1");
    /* Effective outside permitted: refused at spawn, nothing started. */
    OK(nscore_process_config_set_capabilities(nscore_spawn_config_process(cfg), NSCORE_CAPS_PERMITTED, none, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "which is not permitted");
    CHECK(c == NULL);
    CHECK(t_count_children() == 0);
    OK(nscore_process_config_clear_capabilities(nscore_spawn_config_process(cfg), &err));
out:
    nscore_spawn_config_free(cfg);
}

/* nscore_inspect_credentials_json of a running container. */
static void inspect_credentials(void)
{
    const char *argv[] = {"sleep", "30", NULL}, *two[] = {"CHOWN", "KILL", NULL};
    nscore_spawn_config *cfg = t_config(argv, geteuid() == 0 ? 0 : NSCORE_NS_USER);
    nscore_container *c = NULL;
    char *json = NULL;
    REQUIRE(cfg != NULL);
    if (geteuid() != 0) OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    OK(nscore_process_config_set_capabilities(nscore_spawn_config_process(cfg),
                                              NSCORE_CAPS_BOUNDING | NSCORE_CAPS_EFFECTIVE | NSCORE_CAPS_PERMITTED, two, &err));
    OK(nscore_spawn_config_set_no_new_privileges(cfg, 1, &err));
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_inspect_credentials_json(nscore_container_pid(c), &json, &err));
    if (strstr(json, "\"effective\":[\"CAP_CHOWN\",\"CAP_KILL\"]") == NULL || strstr(json, "\"noNewPrivileges\":true") == NULL)
        fprintf(stderr, "credentials: %s\n", json);
    CHECK(strstr(json, "\"effective\":[\"CAP_CHOWN\",\"CAP_KILL\"]") != NULL);
    CHECK(strstr(json, "\"noNewPrivileges\":true") != NULL);
    CHECK(strstr(json, geteuid() == 0 ? "\"setgroups\":\"allow\"" : "\"setgroups\":\"deny\"") != NULL);
    nscore_string_free(json);
    json = NULL;
    FAILS(nscore_inspect_credentials_json(0, &json, &err), NSCORE_EINVAL, "pid");
out:
    nscore_string_free(json);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void limits_and_oom_score(void)
{
    const char *argv[] = {"sh", "-c", "ulimit -Sn; ulimit -Hn; cat /proc/self/oom_score_adj", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_process_config *p;
    char buf[128];
    REQUIRE(cfg != NULL);
    p = nscore_spawn_config_process(cfg);
    OK(nscore_process_config_add_rlimit(p, "nofile", 64, 128, &err));
    OK(nscore_process_config_set_oom_score_adj(p, 300, &err));
    REQUIRE(run_status(cfg, buf, sizeof buf) == 0);
    if (strcmp(buf, "64\n128\n300\n") != 0) fprintf(stderr, "inside saw:\n%s", buf);
    CHECK(strcmp(buf, "64\n128\n300\n") == 0);
    FAILS(nscore_process_config_add_rlimit(p, "RLIMIT_NOFILE", 1, 1, &err), NSCORE_EINVAL, "already set");
    FAILS(nscore_process_config_add_rlimit(p, "fly", 1, 1, &err), NSCORE_EINVAL, "unknown resource 'fly'");
    FAILS(nscore_process_config_add_rlimit(p, "core", 2, 1, &err), NSCORE_EINVAL, "above its hard limit");
    FAILS(nscore_process_config_add_rlimit(p, NULL, 2, 1, &err), NSCORE_EINVAL, "type");
    FAILS(nscore_process_config_set_oom_score_adj(p, 1001, &err), NSCORE_EINVAL, "-1000 to 1000");
    OK(nscore_process_config_clear_rlimits(p, &err));
    OK(nscore_process_config_clear_oom_score_adj(p, &err));
    OK(nscore_process_config_add_rlimit(p, "core", 0, NSCORE_RLIM_INFINITY, &err));
out:
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    alarm(60);
    sets_as_given();
    bad_capabilities();
    inspect_credentials();
    limits_and_oom_score();
    return t_result();
}
