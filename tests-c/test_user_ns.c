/* All eight namespaces with root mapped to the caller, as `unshare --map-root-user --all`.
 * Works as root and unprivileged (run.sh runs it as uid 65534 too). */
#include "test.h"

static void all_eight_map_root(void)
{
    const char *argv[] = {"sh", "-c", "read x; id -u; id -g; cat /proc/self/uid_map | tr -s ' '; hostname", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_ALL);
    nscore_container *c = NULL;
    int in[2] = {-1, -1}, outp[2] = {-1, -1};
    char buf[512], expect[256];
    static const char *kinds[] = {"user", "uts", "ipc", "pid", "net", "mnt", "cgroup", "time"};
    pid_t pid;
    int s;
    REQUIRE(cfg != NULL);
    REQUIRE(pipe2(in, O_CLOEXEC) == 0 && pipe2(outp, O_CLOEXEC) == 0);
    OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    OK(nscore_spawn_config_set_hostname(cfg, "userns", &err));
    OK(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_FD, in[0], &err));
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, outp[1], &err));
    OK(nscore_spawn(cfg, &c, &err));
    close(outp[1]);
    outp[1] = -1;
    close(in[0]);
    in[0] = -1;
    pid = nscore_container_pid(c);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        unsigned long long mine = t_ns_inode(0, kinds[i]), theirs = t_ns_inode(pid, kinds[i]);
        if (mine == 0 || theirs == 0 || mine == theirs) {
            fprintf(stderr, "%s namespace: ours %llu, container's %llu\n", kinds[i], mine, theirs);
            CHECK(mine != 0 && theirs != 0 && mine != theirs);
        }
    }
    REQUIRE(write(in[1], "go\n", 3) == 3);
    t_read_all(outp[0], buf, sizeof buf);
    snprintf(expect, sizeof expect, "0\n0\n 0 %u 1\nuserns\n", (unsigned)geteuid());
    if (strcmp(buf, expect) != 0) fprintf(stderr, "inside saw:\n%sexpected:\n%s", buf, expect);
    CHECK(strcmp(buf, expect) == 0);
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    if (in[0] >= 0) close(in[0]);
    if (in[1] >= 0) close(in[1]);
    if (outp[0] >= 0) close(outp[0]);
    if (outp[1] >= 0) close(outp[1]);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void map_root_implies_user(void)
{
    const char *argv[] = {"/bin/true", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    int s;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    FAILS(nscore_spawn_config_set_map_root_user(cfg, 2, &err), NSCORE_EINVAL, "0 or 1");
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void unprivileged_without_userns_is_eperm(void)
{
    const char *argv[] = {"/bin/true", NULL};
    nscore_spawn_config *cfg;
    nscore_container *c = NULL;
    if (geteuid() == 0) return;
    cfg = t_config(argv, NSCORE_NS_NET);
    REQUIRE(cfg != NULL);
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EPERM, "CAP_SYS_ADMIN");
    CHECK(c == NULL);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}


/* Runs cfg with stdout captured into buf; the exit status in *status. 0, or -1 on failure. */
static int run_captured(nscore_spawn_config *cfg, char *buf, size_t n, int *status)
{
    nscore_container *c = NULL;
    nscore_error *err = NULL;
    int outp[2] = {-1, -1}, rc = -1;
    if (pipe2(outp, O_CLOEXEC) != 0) return -1;
    if (nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, outp[1], &err) == 0 && nscore_spawn(cfg, &c, &err) == 0) {
        close(outp[1]);
        outp[1] = -1;
        t_read_all(outp[0], buf, n);
        rc = nscore_container_wait(c, 10000, status, &err);
    }
    if (err != NULL) fprintf(stderr, "run_captured: %s\n", nscore_error_message(err));
    nscore_error_free(err);
    if (outp[0] >= 0) close(outp[0]);
    if (outp[1] >= 0) close(outp[1]);
    nscore_container_free(c);
    return rc;
}

/* Root maps a range and runs the command as a user of it, with supplementary groups. */
static void ranges_and_a_user(void)
{
    const char *argv[] = {"sh", "-c", "id -u; id -g; id -G; tr -s ' ' < /proc/self/uid_map", NULL};
    const uint32_t groups[] = {10, 20};
    nscore_spawn_config *cfg;
    char buf[512];
    int s = -1;
    if (geteuid() != 0) return; /* ranges as another user need newuidmap: see tests-cli */
    cfg = t_config(argv, 0);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_add_uid_mapping(cfg, 0, 100000, 65536, &err));
    OK(nscore_spawn_config_add_gid_mapping(cfg, 0, 100000, 65536, &err));
    OK(nscore_spawn_config_set_user(cfg, 1000, 1001, groups, 2, &err));
    REQUIRE(run_captured(cfg, buf, sizeof buf, &s) == 0);
    if (strcmp(buf, "1000\n1001\n1001 10 20\n 0 100000 65536\n") != 0) fprintf(stderr, "inside saw:\n%s", buf);
    CHECK(strcmp(buf, "1000\n1001\n1001 10 20\n 0 100000 65536\n") == 0);
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    /* The user alone, through the process part: root of the range (no user: uid 0 of the map). */
    OK(nscore_process_config_clear_user(nscore_spawn_config_process(cfg), &err));
    REQUIRE(run_captured(cfg, buf, sizeof buf, &s) == 0);
    CHECK(strncmp(buf, "0\n0\n", 4) == 0);
out:
    nscore_spawn_config_free(cfg);
}

/* Any caller maps its own uid and gid: one line each, written without a helper. */
static void own_ids(void)
{
    const char *argv[] = {"sh", "-c", "id -u; id -g; cat /proc/self/setgroups", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    char buf[256], expect[64];
    int s = -1;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_add_uid_mapping(cfg, 7, geteuid(), 1, &err));
    OK(nscore_spawn_config_add_gid_mapping(cfg, 8, getegid(), 1, &err));
    REQUIRE(run_captured(cfg, buf, sizeof buf, &s) == 0);
    /* The caller's ids stay, seen as 7 and 8; setgroups is denied only for an unprivileged caller. */
    snprintf(expect, sizeof expect, "7\n8\n%s\n", geteuid() == 0 ? "allow" : "deny");
    if (strcmp(buf, expect) != 0) fprintf(stderr, "inside saw:\n%sexpected:\n%s", buf, expect);
    CHECK(strcmp(buf, expect) == 0);
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    nscore_spawn_config_free(cfg);
}

static void bad_maps_and_users(void)
{
    const char *argv[] = {"/bin/true", NULL};
    const uint32_t groups[] = {10, UINT32_MAX};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_join_config *jcfg = NULL;
    nscore_container *c = NULL;
    REQUIRE(cfg != NULL);
    FAILS(nscore_spawn_config_add_uid_mapping(cfg, 0, 100000, 0, &err), NSCORE_EINVAL, "at least 1");
    FAILS(nscore_spawn_config_set_user(cfg, UINT32_MAX, 0, NULL, 0, &err), NSCORE_EINVAL, "not a valid id");
    FAILS(nscore_spawn_config_set_user(cfg, 0, 0, NULL, 2, &err), NSCORE_EINVAL, "additional_gids");
    FAILS(nscore_spawn_config_set_user(cfg, 0, 0, groups, 2, &err), NSCORE_EINVAL, "not a valid gid");
    FAILS(nscore_process_config_set_user(NULL, 0, 0, NULL, 0, &err), NSCORE_EINVAL, "p");
    /* Overlapping lines, and a map with map_root_user: refused at spawn, nothing started. */
    OK(nscore_spawn_config_add_uid_mapping(cfg, 0, 100000, 1000, &err));
    OK(nscore_spawn_config_add_uid_mapping(cfg, 500, 200000, 10, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "overlaps uid mappings[0]");
    CHECK(c == NULL);
    OK(nscore_spawn_config_clear_id_mappings(cfg, &err));
    OK(nscore_spawn_config_add_gid_mapping(cfg, 0, getegid(), 1, &err));
    OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "exclusive");
    CHECK(c == NULL);
    CHECK(t_count_children() == 0);
    /* A join runs as the caller: a user there is refused. */
    OK(nscore_join_config_new(&jcfg, &err));
    OK(nscore_join_config_set_argv(jcfg, argv, &err));
    OK(nscore_join_config_set_target_pid(jcfg, getpid(), &err));
    OK(nscore_process_config_set_user(nscore_join_config_process(jcfg), 0, 0, NULL, 0, &err));
    FAILS(nscore_join(jcfg, &c, &err), NSCORE_EINVAL, "a join runs as the caller's user");
    CHECK(c == NULL);
out:
    nscore_join_config_free(jcfg);
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    alarm(60);
    all_eight_map_root();
    map_root_implies_user();
    unprivileged_without_userns_is_eperm();
    ranges_and_a_user();
    own_ids();
    bad_maps_and_users();
    return t_result();
}
