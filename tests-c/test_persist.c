/* Persisting a network namespace on a file (like `ip netns add`), joining it by that path, and
 * unpersisting it: the mount and the file are gone afterwards. */
#include "test.h"

static void persist_join_unpersist(void)
{
    const char *sleep_argv[] = {"sleep", "30", NULL};
    const char *readlink_net[] = {"readlink", "/proc/self/ns/net", NULL};
    nscore_spawn_config *cfg = t_config(sleep_argv, NSCORE_NS_NET);
    nscore_container *c = NULL, *j = NULL;
    nscore_join_config *jcfg = NULL;
    nscore_ns_id by_pid, by_path;
    char path[64], buf[128], expect[64];
    int p[2] = {-1, -1};
    int persisted = 0, fd, s;
    struct stat st;

    snprintf(path, sizeof path, "/tmp/nscore-ctest-netns-XXXXXX");
    fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));

    OK(nscore_namespace_persist(nscore_container_pid(c), NSCORE_NS_NET, path, &err));
    persisted = 1;
    CHECK(t_file_contains("/proc/self/mountinfo", path));
    OK(nscore_namespace_id(nscore_container_pid(c), NSCORE_NS_NET, &by_pid, &err));
    OK(nscore_namespace_id_at(path, &by_path, &err));
    CHECK(by_path.ns == NSCORE_NS_NET && by_path.inode == by_pid.inode && by_path.device == by_pid.device);
    /* Persisting twice on the same file is refused. */
    FAILS(nscore_namespace_persist(nscore_container_pid(c), NSCORE_NS_NET, path, &err), NSCORE_EBUSY, path);

    /* The namespace outlives its last process. */
    OK(nscore_container_stop(c, 1000, &s, &err));
    nscore_container_free(c);
    c = NULL;
    OK(nscore_namespace_id_at(path, &by_path, &err));
    CHECK(by_path.inode == by_pid.inode);

    /* Join it by path. */
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    OK(nscore_join_config_new(&jcfg, &err));
    OK(nscore_join_config_set_namespace_path(jcfg, NSCORE_NS_NET, path, &err));
    OK(nscore_join_config_set_argv(jcfg, readlink_net, &err));
    OK(nscore_join_config_set_stdio(jcfg, 1, NSCORE_STDIO_FD, p[1], &err));
    OK(nscore_join(jcfg, &j, &err));
    close(p[1]);
    p[1] = -1;
    t_read_all(p[0], buf, sizeof buf);
    t_chomp(buf);
    OK(nscore_container_wait(j, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    snprintf(expect, sizeof expect, "net:[%llu]", (unsigned long long)by_pid.inode);
    CHECK(strcmp(buf, expect) == 0);

    /* Unpersist: unmounted and removed. */
    OK(nscore_namespace_unpersist(path, 1, &err));
    persisted = 0;
    CHECK(stat(path, &st) == -1 && errno == ENOENT);
    CHECK(!t_file_contains("/proc/self/mountinfo", path));
    FAILS(nscore_namespace_id_at(path, &by_path, &err), NSCORE_ENOTFOUND, path);
out:
    if (persisted) nscore_namespace_unpersist(path, 1, NULL);
    unlink(path);
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    if (j != NULL) nscore_container_stop(j, 100, NULL, NULL);
    nscore_container_free(j);
    nscore_join_config_free(jcfg);
    if (c != NULL) nscore_container_stop(c, 100, NULL, NULL);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void persist_errors(void)
{
    char path[64];
    int fd;
    snprintf(path, sizeof path, "/tmp/nscore-ctest-plain-XXXXXX");
    fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    FAILS(nscore_namespace_persist(getpid(), NSCORE_NS_NET | NSCORE_NS_UTS, path, &err), NSCORE_EINVAL, "exactly one");
    FAILS(nscore_namespace_persist(getpid(), 0, path, &err), NSCORE_EINVAL, "exactly one");
    FAILS(nscore_namespace_persist(getpid(), NSCORE_NS_NET, "/nonexistent-dir/ns", &err), NSCORE_ENOTFOUND, NULL);
    FAILS(nscore_namespace_persist(999999999, NSCORE_NS_NET, path, &err), NSCORE_ENOTFOUND, "999999999");
    FAILS(nscore_namespace_unpersist(path, 1, &err), NSCORE_EINVAL, "not a persisted namespace");
    FAILS(nscore_namespace_id_at("/etc/passwd", &(nscore_ns_id){0}, &err), NSCORE_EINVAL, "not a namespace");
out:
    unlink(path);
}

int main(void)
{
    alarm(60);
    if (geteuid() != 0) {
        printf("needs root\n");
        return T_SKIP;
    }
    persist_join_unpersist();
    persist_errors();
    return t_result();
}
