/* The inspection functions' JSON documents, against what /proc says. */
#include "test.h"

/* Runs f(pid, &json, &err) and returns the document (caller frees with nscore_string_free). */
#define JSON(call, out_json)                                                                                  \
    do {                                                                                                      \
        nscore_error *err = NULL;                                                                             \
        int json_rc_ = (call);                                                                                \
        if (json_rc_ != 0 || (out_json) == NULL) {                                                            \
            t_fail(__FILE__, __LINE__, #call, json_rc_, err);                                                 \
            nscore_error_free(err);                                                                           \
            goto out;                                                                                         \
        }                                                                                                     \
    } while (0)

static void container_documents(void)
{
    const char *argv[] = {"sh", "-c", "sleep 30 & wait", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_PID | NSCORE_NS_MNT | NSCORE_NS_NET);
    nscore_container *c = NULL;
    char *json = NULL, needle[128];
    pid_t pid;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    pid = nscore_container_pid(c);
    usleep(100 * 1000); /* let sh start its child */

    JSON(nscore_inspect_namespaces_json(pid, &json, &err), json);
    snprintf(needle, sizeof needle, "{\"pid\":%d,\"namespaces\":[", (int)pid);
    CHECK(strncmp(json, needle, strlen(needle)) == 0);
    snprintf(needle, sizeof needle, "{\"name\":\"net\",\"type\":\"net\",\"inode\":%llu,", t_ns_inode(pid, "net"));
    CHECK(strstr(json, needle) != NULL);
    CHECK(strstr(json, "\"name\":\"pid_for_children\"") != NULL);
    CHECK(strstr(json, "\"for_children\":true") != NULL);
    nscore_string_free(json);
    json = NULL;

    JSON(nscore_inspect_pid_chain_json(pid, &json, &err), json);
    snprintf(needle, sizeof needle, "{\"pid\":%d,\"nspid\":[%d,1]}", (int)pid, (int)pid);
    if (strcmp(json, needle) != 0) fprintf(stderr, "pid chain: %s\n", json);
    CHECK(strcmp(json, needle) == 0);
    nscore_string_free(json);
    json = NULL;

    JSON(nscore_inspect_processes_json(pid, &json, &err), json);
    snprintf(needle, sizeof needle, "{\"pid_namespace\":%llu,\"processes\":[{\"pid\":1,\"host_pid\":%d,", t_ns_inode(pid, "pid"), (int)pid);
    if (strncmp(json, needle, strlen(needle)) != 0) fprintf(stderr, "processes: %s\n", json);
    CHECK(strncmp(json, needle, strlen(needle)) == 0);
    CHECK(strstr(json, "{\"pid\":2,") != NULL && strstr(json, "sleep 30") != NULL);
    nscore_string_free(json);
    json = NULL;

    JSON(nscore_inspect_list_json(NSCORE_NS_NET, &json, &err), json);
    snprintf(needle, sizeof needle, "{\"ns\":%llu,\"type\":\"net\",\"nprocs\":2,\"pid\":%d,", t_ns_inode(pid, "net"), (int)pid);
    if (strstr(json, needle) == NULL) fprintf(stderr, "list: %s\nwanted %s\n", json, needle);
    CHECK(strncmp(json, "{\"namespaces\":[", 15) == 0);
    CHECK(strstr(json, needle) != NULL);
    CHECK(strstr(json, "\"type\":\"uts\"") == NULL); /* only the kinds asked for */
    nscore_string_free(json);
    json = NULL;
out:
    nscore_string_free(json);
    if (c != NULL) nscore_container_stop(c, 100, NULL, NULL);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void own_process(void)
{
    nscore_ns_id id;
    int same = -1;
    OK(nscore_namespace_id(getpid(), NSCORE_NS_MNT, &id, &err));
    CHECK(id.ns == NSCORE_NS_MNT && id.reserved == 0 && id.inode == t_ns_inode(0, "mnt"));
    OK(nscore_namespace_id_at("/proc/self/ns/uts", &id, &err));
    CHECK(id.ns == NSCORE_NS_UTS && id.inode == t_ns_inode(0, "uts"));
    OK(nscore_namespace_same(getpid(), getppid(), NSCORE_NS_TIME, &same, &err));
    CHECK(same == 1);
out:
    return;
}

/* nscore_namespace_name: each kind's /proc/PID/ns name, the file that exists for it. */
static void namespace_names(void)
{
    static const char *const want[] = {"uts", "ipc", "pid", "net", "mnt", "user", "cgroup", "time"};
    for (unsigned k = 0; k < 8; k++) {
        const char *name = nscore_namespace_name(1u << k);
        char path[64];
        CHECK(name != NULL && strcmp(name, want[k]) == 0);
        snprintf(path, sizeof path, "/proc/self/ns/%s", name ? name : "?");
        CHECK(access(path, F_OK) == 0);
    }
    CHECK(nscore_namespace_name(0) == NULL);
    CHECK(nscore_namespace_name(NSCORE_NS_NET | NSCORE_NS_UTS) == NULL);
    CHECK(nscore_namespace_name(1u << 8) == NULL);
}

/* nscore_inspect_mounts_json: a tmpfs a container mounts (unbindable) in its own mount
 * namespace shows up in its document, with its propagation, and not in ours. */
static void mounts_document(void)
{
    char dir[] = "/tmp/nscore-ctest-mounts-XXXXXX", script[512], ready[600], needle[600];
    nscore_spawn_config *cfg = NULL;
    nscore_container *c = NULL;
    char *json = NULL;
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(script, sizeof script,
             "mount -t tmpfs -o size=1m nscore-ctest %s && mount --make-unbindable %s && touch %s.ready && exec sleep 30",
             dir, dir, dir);
    snprintf(ready, sizeof ready, "%s.ready", dir);
    const char *argv[] = {"sh", "-c", script, NULL};
    cfg = t_config(argv, NSCORE_NS_MNT);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    for (int i = 0; i < 500 && access(ready, F_OK) != 0; i++) usleep(10000);
    JSON(nscore_inspect_mounts_json(nscore_container_pid(c), &json, &err), json);
    snprintf(needle, sizeof needle, "\"root\":\"/\",\"target\":\"%s\",\"source\":\"nscore-ctest\",\"fstype\":\"tmpfs\"", dir);
    if (strstr(json, needle) == NULL) fprintf(stderr, "mounts: %.600s\nwanted %s\n", json, needle);
    CHECK(strstr(json, needle) != NULL);
    CHECK(strstr(json, "\"propagation\":\"unbindable\"") != NULL);
    nscore_string_free(json);
    json = NULL;
    JSON(nscore_inspect_mounts_json(getpid(), &json, &err), json);
    snprintf(needle, sizeof needle, "\"target\":\"%s\"", dir);
    CHECK(strstr(json, needle) == NULL);
    FAILS(nscore_inspect_mounts_json(999999999, &json, &err), NSCORE_EEXITED, "exited");
    JSON(nscore_inspect_mountstats_json(getpid(), &json, &err), json);
    CHECK(strstr(json, "{\"device\":\"proc\",\"target\":\"/proc\",\"fstype\":\"proc\"") != NULL);
    nscore_string_free(json);
    json = NULL;
out:
    nscore_string_free(json);
    if (c != NULL) nscore_container_stop(c, 50, NULL, NULL);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    unlink(ready);
    rmdir(dir);
}

/* nscore_namespace_differing and nscore_error_is_command_failure. */
static void differing_and_command_failures(void)
{
    const char *argv[] = {"sleep", "30", NULL};
    const char *missing[] = {"/nonexistent/command", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS | NSCORE_NS_NET), *bad = NULL;
    nscore_container *c = NULL, *x = NULL;
    nscore_error *e = NULL;
    uint32_t differ = 0;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_namespace_differing(nscore_container_pid(c), NSCORE_NS_ALL, &differ, &err));
    CHECK(differ == (NSCORE_NS_UTS | NSCORE_NS_NET));
    OK(nscore_namespace_differing(getpid(), NSCORE_NS_ALL, &differ, &err));
    CHECK(differ == 0);
    FAILS(nscore_namespace_differing(999999999, NSCORE_NS_ALL, &differ, &err), NSCORE_EEXITED, NULL);
    FAILS(nscore_namespace_differing(getpid(), NSCORE_NS_ALL, NULL, &err), NSCORE_EINVAL, "differ");
    bad = t_config(missing, 0);
    REQUIRE(bad != NULL);
    CHECK(nscore_spawn(bad, &x, &e) == NSCORE_ENOTFOUND);
    CHECK(e != NULL && nscore_error_is_command_failure(e) == 1);
    nscore_error_free(e);
    e = NULL;
    OK(nscore_spawn_config_set_argv(bad, argv, &err));
    OK(nscore_spawn_config_set_cwd(bad, "/nonexistent-dir", &err));
    CHECK(nscore_spawn(bad, &x, &e) < 0);
    CHECK(e != NULL && nscore_error_is_command_failure(e) == 0);
    CHECK(nscore_error_is_command_failure(NULL) == 0);
out:
    nscore_error_free(e);
    if (c != NULL) nscore_container_stop(c, 50, NULL, NULL);
    nscore_container_free(c);
    nscore_container_free(x);
    nscore_spawn_config_free(cfg);
    nscore_spawn_config_free(bad);
}

int main(void)
{
    alarm(60);
    namespace_names();
    mounts_document();
    differing_and_command_failures();
    if (geteuid() != 0) {
        printf("needs root\n");
        return T_SKIP;
    }
    own_process();
    container_documents();
    return t_result();
}
