/* Versions (macros vs the loaded library), error accessors and free functions on NULL, and
 * NULL handles / out-pointers on every kind of entry point. */
#include "test.h"

static void versions(void)
{
    char expect[32];
    CHECK(NSCORE_VERSION_NUMBER == 100);
    CHECK(NSCORE_VERSION_CHECK(0, 1, 0));
    CHECK(!NSCORE_VERSION_CHECK(0, 1, 1));
    CHECK(nscore_version_number() == NSCORE_VERSION_NUMBER);
    CHECK(nscore_abi_version() == NSCORE_ABI_VERSION);
    snprintf(expect, sizeof expect, "%d.%d.%d", NSCORE_VERSION_MAJOR, NSCORE_VERSION_MINOR, NSCORE_VERSION_PATCH);
    CHECK(nscore_version_string() != NULL && strcmp(nscore_version_string(), expect) == 0);
    CHECK(nscore_version_string() == nscore_version_string()); /* static storage */
}

static void null_accessors(void)
{
    CHECK(nscore_error_code(NULL) == NSCORE_EINVAL);
    CHECK(nscore_error_sys_errno(NULL) == 0);
    /* Never a NULL to print: an empty static string. */
    CHECK(nscore_error_stage(NULL) != NULL && strcmp(nscore_error_stage(NULL), "") == 0);
    CHECK(nscore_error_message(NULL) != NULL && strcmp(nscore_error_message(NULL), "") == 0);
    nscore_error_free(NULL);
    nscore_string_free(NULL);
    nscore_spawn_config_free(NULL);
    nscore_join_config_free(NULL);
    nscore_container_free(NULL);
    nscore_container_detach(NULL);
    CHECK(nscore_container_pid(NULL) == -1);
    CHECK(nscore_container_pidfd(NULL) == -1);
}

static void error_object(void)
{
    /* A real error carries all four fields; err = NULL still gets the code. */
    nscore_spawn_config *cfg = NULL;
    nscore_error *e = NULL;
    int rc;
    OK(nscore_spawn_config_new(&cfg, &err));
    rc = nscore_spawn_config_set_namespaces(cfg, 0x100, &e);
    CHECK(rc == NSCORE_EINVAL);
    REQUIRE(e != NULL);
    CHECK(nscore_error_code(e) == NSCORE_EINVAL);
    CHECK(nscore_error_sys_errno(e) == EINVAL);
    CHECK(strlen(nscore_error_stage(e)) > 0);
    CHECK(strstr(nscore_error_message(e), "0x100") != NULL);
    CHECK(nscore_spawn_config_set_namespaces(cfg, 0x100, NULL) == NSCORE_EINVAL);
    /* Success leaves *err untouched. */
    {
        nscore_error *sentinel = (nscore_error *)&rc;
        CHECK(nscore_spawn_config_set_namespaces(cfg, NSCORE_NS_UTS, &sentinel) == 0);
        CHECK(sentinel == (nscore_error *)&rc);
    }
out:
    nscore_error_free(e);
    nscore_spawn_config_free(cfg);
}

static void null_arguments(void)
{
    nscore_spawn_config *cfg = NULL;
    nscore_join_config *jcfg = NULL;
    nscore_container *c = NULL;
    const char *argv[] = {"/bin/true", NULL};
    nscore_ns_id id;
    int same, status;
    char *json = NULL;

    FAILS(nscore_spawn_config_new(NULL, &err), NSCORE_EINVAL, "out");
    FAILS(nscore_join_config_new(NULL, &err), NSCORE_EINVAL, "out");
    FAILS(nscore_spawn_config_set_argv(NULL, argv, &err), NSCORE_EINVAL, "cfg is NULL");
    FAILS(nscore_spawn_config_set_hostname(NULL, "x", &err), NSCORE_EINVAL, "cfg");
    FAILS(nscore_spawn_config_set_stdio(NULL, 0, NSCORE_STDIO_NULL, -1, &err), NSCORE_EINVAL, "cfg");
    FAILS(nscore_join_config_set_target_pid(NULL, 1, &err), NSCORE_EINVAL, "cfg");
    FAILS(nscore_spawn(NULL, &c, &err), NSCORE_EINVAL, "cfg is NULL");
    CHECK(c == NULL);
    FAILS(nscore_join(NULL, &c, &err), NSCORE_EINVAL, "cfg is NULL");
    FAILS(nscore_container_wait(NULL, 0, &status, &err), NSCORE_EINVAL, "c is NULL");
    FAILS(nscore_container_signal(NULL, SIGTERM, &err), NSCORE_EINVAL, "c is NULL");
    FAILS(nscore_container_stop(NULL, 0, &status, &err), NSCORE_EINVAL, "c is NULL");
    FAILS(nscore_namespace_id(getpid(), NSCORE_NS_NET, NULL, &err), NSCORE_EINVAL, "out is NULL");
    FAILS(nscore_namespace_id_at(NULL, &id, &err), NSCORE_EINVAL, "path is NULL");
    FAILS(nscore_namespace_same(getpid(), getpid(), NSCORE_NS_NET, NULL, &err), NSCORE_EINVAL, "same is NULL");
    FAILS(nscore_inspect_namespaces_json(getpid(), NULL, &err), NSCORE_EINVAL, "json_out is NULL");
    FAILS(nscore_inspect_list_json(NSCORE_NS_ALL, NULL, &err), NSCORE_EINVAL, "json_out");
    FAILS(nscore_inspect_pid_chain_json(getpid(), NULL, &err), NSCORE_EINVAL, "json_out");
    FAILS(nscore_inspect_processes_json(getpid(), NULL, &err), NSCORE_EINVAL, "json_out");
    FAILS(nscore_namespace_persist(getpid(), NSCORE_NS_NET, NULL, &err), NSCORE_EINVAL, "path is NULL");
    FAILS(nscore_namespace_unpersist(NULL, 1, &err), NSCORE_EINVAL, "path is NULL");

    OK(nscore_spawn_config_new(&cfg, &err));
    FAILS(nscore_spawn(cfg, NULL, &err), NSCORE_EINVAL, "out is NULL");
    FAILS(nscore_spawn_config_set_argv(cfg, NULL, &err), NSCORE_EINVAL, "argv is NULL");
    OK(nscore_join_config_new(&jcfg, &err));
    FAILS(nscore_join(jcfg, NULL, &err), NSCORE_EINVAL, "out is NULL");
    FAILS(nscore_join_config_set_argv(jcfg, NULL, &err), NSCORE_EINVAL, "argv is NULL");
    FAILS(nscore_join_config_set_namespace_path(jcfg, NSCORE_NS_NET, NULL, &err), NSCORE_EINVAL, "path is NULL");
    /* Optional strings: NULL resets. */
    OK(nscore_spawn_config_set_hostname(cfg, NULL, &err));
    OK(nscore_spawn_config_set_cwd(cfg, NULL, &err));
    OK(nscore_spawn_config_set_env(cfg, NULL, &err));
    OK(nscore_spawn_config_set_executable(cfg, NULL, &err));
    (void)same;
    (void)json;
out:
    nscore_join_config_free(jcfg);
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    alarm(60);
    versions();
    null_accessors();
    error_object();
    null_arguments();
    return t_result();
}
