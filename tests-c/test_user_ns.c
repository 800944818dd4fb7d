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

int main(void)
{
    alarm(60);
    all_eight_map_root();
    map_root_implies_user();
    unprivileged_without_userns_is_eperm();
    return t_result();
}
