/* Joining running containers (setns, like nsenter / docker exec): by target pid, by
 * /proc/PID/ns path, and into a PID + mount namespace. The caller's namespaces never change. */
#include "test.h"

/* Starts `sleep 30` in new namespaces (and a hostname when not NULL). */
static nscore_container *start(uint32_t namespaces, const char *hostname)
{
    const char *argv[] = {"sleep", "30", NULL};
    nscore_spawn_config *cfg = t_config(argv, namespaces);
    nscore_container *c = NULL;
    REQUIRE(cfg != NULL);
    if (hostname != NULL) OK(nscore_spawn_config_set_hostname(cfg, hostname, &err));
    OK(nscore_spawn(cfg, &c, &err));
out:
    nscore_spawn_config_free(cfg);
    return c;
}

/* Kills (sleep as PID 1 ignores SIGTERM, so do not wait long) and frees. */
static void finish(nscore_container *c)
{
    int s;
    if (c == NULL) return;
    nscore_container_stop(c, 50, &s, NULL);
    nscore_container_free(c);
}

/* Runs the join configured in jcfg with stdout captured into buf; returns the wait status or -1. */
static int join_capture(nscore_join_config *jcfg, char *buf, size_t n)
{
    nscore_container *j = NULL;
    int p[2] = {-1, -1};
    int s = -1;
    buf[0] = '\0';
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    OK(nscore_join_config_set_stdio(jcfg, 1, NSCORE_STDIO_FD, p[1], &err));
    OK(nscore_join(jcfg, &j, &err));
    close(p[1]);
    p[1] = -1;
    t_read_all(p[0], buf, n);
    t_chomp(buf);
    OK(nscore_container_wait(j, 10000, &s, &err));
out:
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    if (j != NULL) {
        nscore_container_stop(j, 50, NULL, NULL);
        nscore_container_free(j);
    }
    return s;
}

static void join_by_pid_and_path(void)
{
    nscore_container *c = start(NSCORE_NS_NET | NSCORE_NS_UTS, "joined");
    nscore_join_config *jcfg = NULL;
    const char *hostname[] = {"hostname", NULL};
    const char *readlink_net[] = {"readlink", "/proc/self/ns/net", NULL};
    char buf[256], expect[64], path[64], host_before[256], host_after[256];
    unsigned long long net_before = t_ns_inode(0, "net");
    int s;
    REQUIRE(c != NULL);
    REQUIRE(gethostname(host_before, sizeof host_before) == 0);

    /* By pid: every differing namespace (net and uts). */
    OK(nscore_join_config_new(&jcfg, &err));
    OK(nscore_join_config_set_target_pid(jcfg, nscore_container_pid(c), &err));
    OK(nscore_join_config_set_argv(jcfg, hostname, &err));
    s = join_capture(jcfg, buf, sizeof buf);
    CHECK(s == 0);
    if (strcmp(buf, "joined") != 0) fprintf(stderr, "joined hostname: \"%s\"\n", buf);
    CHECK(strcmp(buf, "joined") == 0);

    /* Only the UTS namespace, explicitly; the net namespace stays ours. */
    OK(nscore_join_config_set_namespaces(jcfg, NSCORE_NS_UTS, &err));
    OK(nscore_join_config_set_argv(jcfg, readlink_net, &err));
    s = join_capture(jcfg, buf, sizeof buf);
    snprintf(expect, sizeof expect, "net:[%llu]", net_before);
    CHECK(s == 0 && strcmp(buf, expect) == 0);
    nscore_join_config_free(jcfg);
    jcfg = NULL;

    /* By path: /proc/PID/ns/net only. */
    OK(nscore_join_config_new(&jcfg, &err));
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)nscore_container_pid(c));
    OK(nscore_join_config_set_namespace_path(jcfg, NSCORE_NS_NET, path, &err));
    OK(nscore_join_config_set_argv(jcfg, readlink_net, &err));
    s = join_capture(jcfg, buf, sizeof buf);
    snprintf(expect, sizeof expect, "net:[%llu]", t_ns_inode(nscore_container_pid(c), "net"));
    if (strcmp(buf, expect) != 0) fprintf(stderr, "joined net: \"%s\", expected \"%s\"\n", buf, expect);
    CHECK(s == 0 && strcmp(buf, expect) == 0);
    /* A path of the wrong kind is refused. */
    snprintf(path, sizeof path, "/proc/%d/ns/uts", (int)nscore_container_pid(c));
    OK(nscore_join_config_set_namespace_path(jcfg, NSCORE_NS_NET, path, &err));
    {
        nscore_container *j = NULL;
        FAILS(nscore_join(jcfg, &j, &err), NSCORE_EINVAL, "uts");
        CHECK(j == NULL);
        nscore_container_free(j);
    }

    /* Our own namespaces never changed. */
    CHECK(t_ns_inode(0, "net") == net_before);
    REQUIRE(gethostname(host_after, sizeof host_after) == 0);
    CHECK(strcmp(host_before, host_after) == 0);
out:
    nscore_join_config_free(jcfg);
    finish(c);
}

static void join_pid_and_mount(void)
{
    nscore_container *c = start(NSCORE_NS_PID | NSCORE_NS_MNT, NULL);
    nscore_join_config *jcfg = NULL;
    const char *argv[] = {"sh", "-c", "echo $$; readlink /proc/self/ns/pid; grep NSpid /proc/$$/status | tr -s '\\t ' ' '", NULL};
    char buf[256], expect[128];
    unsigned long long pid_before = t_ns_inode(0, "pid"), mnt_before = t_ns_inode(0, "mnt");
    int s;
    REQUIRE(c != NULL);
    OK(nscore_join_config_new(&jcfg, &err));
    OK(nscore_join_config_set_target_pid(jcfg, nscore_container_pid(c), &err));
    OK(nscore_join_config_set_argv(jcfg, argv, &err));
    s = join_capture(jcfg, buf, sizeof buf);
    CHECK(s == 0);
    /* Inside: pid 2 (sleep is 1) in the container's PID namespace. Its /proc shows "NSpid: 2"
     * (the host's /proc would show "NSpid: HOST 2"): the mount namespace was joined too. */
    snprintf(expect, sizeof expect, "2\npid:[%llu]\nNSpid: 2", t_ns_inode(nscore_container_pid(c), "pid"));
    if (strcmp(buf, expect) != 0) fprintf(stderr, "joined saw:\n%s\nexpected:\n%s\n", buf, expect);
    CHECK(strcmp(buf, expect) == 0);
    CHECK(t_ns_inode(0, "pid") == pid_before && t_ns_inode(0, "mnt") == mnt_before);
    CHECK(t_ns_inode(0, "pid_for_children") == pid_before);
out:
    nscore_join_config_free(jcfg);
    finish(c);
}

static void join_user_namespace(void)
{
    /* A rootless-style container (user namespace): joining it goes through nscore-init. */
    const char *sleep_argv[] = {"sleep", "30", NULL};
    const char *argv[] = {"sh", "-c", "id -u; readlink /proc/self/ns/user; pwd", NULL};
    nscore_spawn_config *cfg = t_config(sleep_argv, NSCORE_NS_USER | NSCORE_NS_NET);
    nscore_container *c = NULL;
    nscore_join_config *jcfg = NULL;
    char buf[256], expect[128];
    int s;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_join_config_new(&jcfg, &err));
    OK(nscore_join_config_set_target_pid(jcfg, nscore_container_pid(c), &err));
    OK(nscore_join_config_set_argv(jcfg, argv, &err));
    OK(nscore_join_config_set_cwd(jcfg, "/tmp", &err));
    s = join_capture(jcfg, buf, sizeof buf);
    CHECK(s == 0);
    snprintf(expect, sizeof expect, "0\nuser:[%llu]\n/tmp", t_ns_inode(nscore_container_pid(c), "user"));
    if (strcmp(buf, expect) != 0) fprintf(stderr, "joined saw:\n%s\nexpected:\n%s\n", buf, expect);
    CHECK(strcmp(buf, expect) == 0);
out:
    nscore_join_config_free(jcfg);
    finish(c);
    nscore_spawn_config_free(cfg);
}

static void join_without_target(void)
{
    nscore_join_config *jcfg = NULL;
    nscore_container *j = NULL;
    const char *argv[] = {"/bin/true", NULL};
    OK(nscore_join_config_new(&jcfg, &err));
    OK(nscore_join_config_set_argv(jcfg, argv, &err));
    FAILS(nscore_join(jcfg, &j, &err), NSCORE_EINVAL, "no target");
    FAILS(nscore_join_config_set_target_pid(jcfg, 0, &err), NSCORE_EINVAL, "pid");
    FAILS(nscore_join_config_set_namespace_path(jcfg, NSCORE_NS_NET | NSCORE_NS_UTS, "/proc/self/ns/net", &err),
          NSCORE_EINVAL, "exactly one");
    FAILS(nscore_join_config_set_namespaces(jcfg, 0x200, &err), NSCORE_EINVAL, "0x200");
    /* Our own pid: nothing differs, nothing to join. */
    OK(nscore_join_config_set_target_pid(jcfg, getpid(), &err));
    FAILS(nscore_join(jcfg, &j, &err), NSCORE_EINVAL, "nothing to join");
out:
    nscore_container_free(j);
    nscore_join_config_free(jcfg);
}

int main(void)
{
    alarm(60);
    if (geteuid() != 0) {
        printf("needs root\n");
        return T_SKIP;
    }
    join_by_pid_and_path();
    join_pid_and_mount();
    join_user_namespace();
    join_without_target();
    return t_result();
}
