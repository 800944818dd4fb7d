/* Bad input: each mistake gets its own code and a message that names the thing, and nothing
 * is left behind (no handle, no child). */
#include "test.h"

static void spawn_errors(void)
{
    const char *empty[] = {NULL};
    const char *missing[] = {"/nonexistent/cmd", "arg", NULL};
    const char *missing_path[] = {"nscore-no-such-command", NULL};
    const char *t[] = {"/bin/true", NULL};
    const char *bad_utf8[] = {"/bin/true", "\xff\xfe", NULL};
    const char *bad_env[] = {"NOEQUALS", NULL};
    char long_name[80];
    nscore_spawn_config *cfg = NULL;
    nscore_container *c = NULL;

    OK(nscore_spawn_config_new(&cfg, &err));
    /* argv not set yet */
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "argv is empty");
    CHECK(c == NULL);
    FAILS(nscore_spawn_config_set_argv(cfg, empty, &err), NSCORE_EINVAL, "argv is empty");
    FAILS(nscore_spawn_config_set_argv(cfg, bad_utf8, &err), NSCORE_EINVAL, "argv[1] is not valid UTF-8");

    OK(nscore_spawn_config_set_argv(cfg, missing, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ENOTFOUND, "/nonexistent/cmd");
    CHECK(c == NULL);
    OK(nscore_spawn_config_set_argv(cfg, missing_path, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ENOTFOUND, "nscore-no-such-command");
    OK(nscore_spawn_config_set_argv(cfg, t, &err));
    OK(nscore_spawn_config_set_executable(cfg, "/nonexistent/exe", &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ENOTFOUND, "/nonexistent/exe");
    OK(nscore_spawn_config_set_executable(cfg, NULL, &err));

    /* Hostname: 65 bytes is one too many (checked at spawn); 64 is fine. */
    memset(long_name, 'h', 65);
    long_name[65] = '\0';
    OK(nscore_spawn_config_set_namespaces(cfg, NSCORE_NS_UTS, &err));
    OK(nscore_spawn_config_set_hostname(cfg, long_name, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "64");
    CHECK(c == NULL);
    if (geteuid() == 0) {
        long_name[64] = '\0';
        OK(nscore_spawn_config_set_hostname(cfg, long_name, &err));
        OK(nscore_spawn(cfg, &c, &err));
        OK(nscore_container_wait(c, 5000, NULL, &err));
        nscore_container_free(c);
        c = NULL;
    }
    /* A hostname without a new UTS namespace would change the host's: refused. */
    OK(nscore_spawn_config_set_namespaces(cfg, 0, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "UTS");
    OK(nscore_spawn_config_set_hostname(cfg, NULL, &err));

    /* Flags and modes. */
    FAILS(nscore_spawn_config_set_namespaces(cfg, 0x100, &err), NSCORE_EINVAL, "0x100");
    FAILS(nscore_spawn_config_set_namespaces(cfg, 0x80000001u, &err), NSCORE_EINVAL, "0x80000000");
    FAILS(nscore_spawn_config_set_mount_proc(cfg, 2, &err), NSCORE_EINVAL, "mode");
    FAILS(nscore_spawn_config_set_root_propagation(cfg, 6, &err), NSCORE_EINVAL, "propagation");
    FAILS(nscore_spawn_config_set_stdio(cfg, 3, NSCORE_STDIO_NULL, -1, &err), NSCORE_EINVAL, "stream");
    FAILS(nscore_spawn_config_set_stdio(cfg, 1, 7, -1, &err), NSCORE_EINVAL, "mode");
    FAILS(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, -1, &err), NSCORE_EINVAL, "fd -1");
    /* mount proc without a mount namespace would cover the host's /proc. */
    OK(nscore_spawn_config_set_mount_proc(cfg, NSCORE_MOUNT_PROC_YES, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "mount namespace");
    OK(nscore_spawn_config_set_mount_proc(cfg, NSCORE_MOUNT_PROC_AUTO, &err));
    /* A propagation of / other than the default would have no mount namespace to apply to:
     * refused. The default (PRIVATE) and UNCHANGED are accepted. */
    OK(nscore_spawn_config_set_root_propagation(cfg, NSCORE_PROPAGATION_SHARED, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "needs a new mount namespace");
    OK(nscore_spawn_config_set_root_propagation(cfg, NSCORE_PROPAGATION_UNCHANGED, &err));
    OK(nscore_spawn_config_set_root_propagation(cfg, NSCORE_PROPAGATION_PRIVATE, &err));

    /* An fd that is not open: checked at spawn, named in the message. */
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, 9999, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "9999");
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_INHERIT, -1, &err));

    /* Environment entries must be NAME=value. */
    OK(nscore_spawn_config_set_env(cfg, bad_env, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "NOEQUALS");
    OK(nscore_spawn_config_set_env(cfg, NULL, &err));

    /* A working directory that does not exist fails in the child, naming the step. */
    OK(nscore_spawn_config_set_cwd(cfg, "/nonexistent-dir", &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ECHILD, "/nonexistent-dir");
    CHECK(c == NULL);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void join_errors(void)
{
    const char *t[] = {"/bin/true", NULL};
    nscore_join_config *jcfg = NULL;
    nscore_container *c = NULL;
    nscore_error *e = NULL;
    int rc;

    OK(nscore_join_config_new(&jcfg, &err));
    OK(nscore_join_config_set_argv(jcfg, t, &err));
    OK(nscore_join_config_set_target_pid(jcfg, 999999999, &err));
    rc = nscore_join(jcfg, &c, &e);
    CHECK(rc == NSCORE_ENOTFOUND || rc == NSCORE_EEXITED);
    CHECK(e != NULL && nscore_error_code(e) == rc && strstr(nscore_error_message(e), "999999999") != NULL);
    CHECK(c == NULL);
    nscore_error_free(e);
    e = NULL;

    OK(nscore_join_config_set_namespace_path(jcfg, NSCORE_NS_NET, "/etc/passwd", &err));
    FAILS(nscore_join(jcfg, &c, &err), NSCORE_EINVAL, "not a namespace");
    OK(nscore_join_config_set_namespace_path(jcfg, NSCORE_NS_NET, "/nonexistent/ns", &err));
    FAILS(nscore_join(jcfg, &c, &err), NSCORE_ENOTFOUND, "/nonexistent/ns");
    CHECK(c == NULL);
    FAILS(nscore_join_config_set_stdio(jcfg, 1, NSCORE_STDIO_FD, -3, &err), NSCORE_EINVAL, "fd");
    FAILS(nscore_join_config_set_kill_on_parent_death(jcfg, -1, &err), NSCORE_EINVAL, "0 or 1");
out:
    nscore_error_free(e);
    nscore_container_free(c);
    nscore_join_config_free(jcfg);
}

static void inspect_errors(void)
{
    nscore_ns_id id;
    int same;
    char *json = NULL;
    FAILS(nscore_namespace_id(getpid(), 0x3, &id, &err), NSCORE_EINVAL, "exactly one");
    FAILS(nscore_namespace_id(getpid(), 0x100, &id, &err), NSCORE_EINVAL, "exactly one");
    FAILS(nscore_namespace_id(999999999, NSCORE_NS_NET, &id, &err), NSCORE_ENOTFOUND, "999999999");
    FAILS(nscore_namespace_id(-4, NSCORE_NS_NET, &id, &err), NSCORE_EINVAL, "-4");
    FAILS(nscore_namespace_id_at("/etc/passwd", &id, &err), NSCORE_EINVAL, "not a namespace");
    FAILS(nscore_namespace_id_at("/nonexistent/x", &id, &err), NSCORE_ENOTFOUND, "/nonexistent/x");
    FAILS(nscore_namespace_same(getpid(), 999999999, NSCORE_NS_NET, &same, &err), NSCORE_ENOTFOUND, "999999999");
    FAILS(nscore_inspect_namespaces_json(999999999, &json, &err), NSCORE_ENOTFOUND, "999999999");
    CHECK(json == NULL);
    FAILS(nscore_inspect_pid_chain_json(0, &json, &err), NSCORE_EINVAL, NULL);
    FAILS(nscore_inspect_processes_json(999999999, &json, &err), NSCORE_ENOTFOUND, "999999999");
    FAILS(nscore_inspect_list_json(0x1000, &json, &err), NSCORE_EINVAL, "0x1000");
    FAILS(nscore_unshare(0x400, &err), NSCORE_EINVAL, "0x400");
    FAILS(nscore_unshare(0, &err), NSCORE_EINVAL, NULL);
    nscore_string_free(json);
}

int main(void)
{
    alarm(60);
    spawn_errors();
    join_errors();
    inspect_errors();
    /* Nothing was left behind: no child to reap. */
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return t_result();
}
