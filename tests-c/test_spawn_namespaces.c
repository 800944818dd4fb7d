/* A container with new UTS, PID, mount, network and IPC namespaces, checked from the outside
 * (/proc/PID/ns inodes) and from the inside (its own view of hostname, pid and interfaces).
 * Unprivileged (tests-c/run.sh runs it again as uid 65534), the same with a user namespace
 * that maps root to the caller, which owns the others. */
#include "test.h"

static int rootless;

/* `ns`, with a user namespace mapping root to us when unprivileged. */
static nscore_spawn_config *config(const char **argv, uint32_t ns)
{
    nscore_spawn_config *cfg = t_config(argv, rootless ? ns | NSCORE_NS_USER : ns);
    if (cfg != NULL && rootless) {
        nscore_error *e = NULL;
        if (nscore_spawn_config_set_map_root_user(cfg, 1, &e) != 0) {
            t_fail(__FILE__, __LINE__, "nscore_spawn_config_set_map_root_user", -1, e);
            nscore_error_free(e);
            nscore_spawn_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

static const char *kinds[] = {"uts", "pid", "mnt", "net", "ipc"};

static void outside_and_inside(void)
{
    /* The shell waits on `read` so that its namespaces can be inspected while it runs.
     * /proc/net/dev is read through the container's fresh /proc (auto-mounted for PID+MNT). */
    const char *argv[] = {"sh", "-c",
                          "read x; hostname; echo $$;"
                          " tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; cat /proc/self/uid_map | wc -l",
                          NULL};
    uint32_t ns = NSCORE_NS_UTS | NSCORE_NS_PID | NSCORE_NS_MNT | NSCORE_NS_NET | NSCORE_NS_IPC;
    nscore_spawn_config *cfg = config(argv, ns);
    nscore_container *c = NULL;
    int in[2] = {-1, -1}, outp[2] = {-1, -1};
    char buf[512], host_before[256], host_after[256];
    pid_t pid;
    int s;
    REQUIRE(cfg != NULL);
    REQUIRE(pipe2(in, O_CLOEXEC) == 0 && pipe2(outp, O_CLOEXEC) == 0);
    REQUIRE(gethostname(host_before, sizeof host_before) == 0);
    OK(nscore_spawn_config_set_hostname(cfg, "nscore-ctest", &err));
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
    /* Not asked for: shared (the user namespace, asked for when unprivileged, is new). */
    CHECK((t_ns_inode(0, "user") == t_ns_inode(pid, "user")) == !rootless);
    CHECK(t_ns_inode(0, "cgroup") == t_ns_inode(pid, "cgroup"));
    {
        nscore_ns_id a, b;
        int same = -1;
        OK(nscore_namespace_id(pid, NSCORE_NS_NET, &a, &err));
        OK(nscore_namespace_id(getpid(), NSCORE_NS_NET, &b, &err));
        CHECK(a.ns == NSCORE_NS_NET && a.inode == t_ns_inode(pid, "net") && a.inode != b.inode);
        CHECK(a.device == b.device && a.device != 0);
        OK(nscore_namespace_same(pid, getpid(), NSCORE_NS_NET, &same, &err));
        CHECK(same == 0);
        OK(nscore_namespace_same(pid, getpid(), NSCORE_NS_USER, &same, &err));
        CHECK(same == !rootless);
    }

    REQUIRE(write(in[1], "go\n", 3) == 3);
    t_read_all(outp[0], buf, sizeof buf);
    /* hostname, pid 1, only lo, one uid_map line (the initial user namespace's, or root mapped
     * to us). */
    if (strcmp(buf, "nscore-ctest\n1\nlo\n1\n") != 0) fprintf(stderr, "inside saw:\n%s", buf);
    CHECK(strcmp(buf, "nscore-ctest\n1\nlo\n1\n") == 0);
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    REQUIRE(gethostname(host_after, sizeof host_after) == 0);
    CHECK(strcmp(host_before, host_after) == 0);
out:
    if (in[0] >= 0) close(in[0]);
    if (in[1] >= 0) close(in[1]);
    if (outp[0] >= 0) close(outp[0]);
    if (outp[1] >= 0) close(outp[1]);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void mount_isolation(void)
{
    /* A tmpfs mounted inside never appears in our mount table (root made private). */
    const char *argv[] = {"sh", "-c", "mount -t tmpfs nscore-ctest-tmpfs /mnt && grep -c nscore-ctest-tmpfs /proc/self/mountinfo", NULL};
    nscore_spawn_config *cfg = config(argv, NSCORE_NS_MNT);
    nscore_container *c = NULL;
    int p[2] = {-1, -1};
    char buf[64];
    int s;
    REQUIRE(cfg != NULL);
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, p[1], &err));
    OK(nscore_spawn(cfg, &c, &err));
    close(p[1]);
    p[1] = -1;
    t_read_all(p[0], buf, sizeof buf);
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    CHECK(strcmp(buf, "1\n") == 0);
    CHECK(!t_file_contains("/proc/self/mountinfo", "nscore-ctest-tmpfs"));
out:
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    alarm(60);
    rootless = geteuid() != 0;
    outside_and_inside();
    mount_isolation();
    return t_result();
}
