/* Where a container's cgroup goes (nscore.h "Resources (cgroups)":
 * nscore_spawn_config_set_cgroups_path, the OCI runtime spec's linux.cgroupsPath).
 *
 * Without privilege: the setter refuses a NULL handle and invalid UTF-8; a path that names no
 * cgroup ("a/../b", "", "/", "a/./b") fails the spawn with NSCORE_EINVAL quoting it, before
 * anything is made; a path without any limit is ignored (no cgroup).
 * As root, with a memory limit, on the real kernel: a relative path puts the container's cgroup
 * below this process's own cgroup in each hierarchy (nscore_container_cgroups_json, and the
 * container's own /proc/self/cgroup), under that name, gone after the reap; an absolute path
 * puts it at each hierarchy's root (/sys/fs/cgroup/memory/<name> on a hybrid machine); a cgroup
 * that exists already is refused (EEXIST, "must not exist yet") and kept, in every hierarchy
 * and in only the last one made (the ones made before it are removed); a missing parent is
 * named (NSCORE_ENOTFOUND); NULL removes the path (the default "nscore-<pid>-<n>" again);
 * nscore_spawn_config_clear_resources() keeps it.
 * After every case no directory named "cgpath-<pid>-*" or "nscore-<pid>-*" is left in any
 * cgroup hierarchy (found by walking the cgroup mounts, independently of the library); the
 * directories the test makes itself are removed whatever happened. */
#include "test.h"
#include "cgroup_test.h"

#include <ftw.h>

#define MAX_DIRS 16

static int rootless;
static char prefix[64]; /* "cgpath-<pid>-": every cgroup this test names */

/* ---- The cgroup hierarchies (cgroup_test.h fills hier[]) ---------------------------------- */

/* The hierarchy whose mount holds `path`, or NULL. */
static const struct hierarchy *hierarchy_of(const char *path)
{
    const struct hierarchy *best = NULL;
    for (int i = 0; i < nhier; i++) {
        size_t n = strlen(hier[i].mount);
        if (strncmp(path, hier[i].mount, n) == 0 && path[n] == '/' && (best == NULL || n > strlen(best->mount)))
            best = &hier[i];
    }
    return best;
}

/* ---- Leftovers, and the test's own directories --------------------------------------------- */

/* The "cgpath-<pid>-*" and "nscore-<pid>-*" directories in every cgroup mount, each printed. */
static int left_behind(void)
{
    return leftovers_also(0, prefix);
}

static int remove_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP && strstr(path, prefix) != NULL) rmdir(path);
    return 0;
}

/* Removes every "cgpath-<pid>-*" directory (and what is below it), deepest first. */
static void remove_test_dirs(void)
{
    for (int i = 0; i < nhier; i++) nftw(hier[i].mount, remove_visit, 16, FTW_PHYS | FTW_DEPTH);
}

/* ---- Helpers ----------------------------------------------------------------------------- */

/* `sh -c 'cat /proc/self/cgroup'` with a 64 MiB memory limit (stdout /dev/null until spawn_at()
 * captures it); NULL on failure. */
static nscore_spawn_config *config(void)
{
    const char *argv[] = {"sh", "-c", "cat /proc/self/cgroup", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    if (cfg == NULL) return NULL;
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_NULL, -1, &err));
    OK(nscore_spawn_config_set_memory(cfg, 64 * MIB, NSCORE_RESOURCE_UNSET, NSCORE_RESOURCE_UNSET, 0, &err));
    return cfg;
out:
    nscore_spawn_config_free(cfg);
    return NULL;
}

/* Spawns cfg, whose cgroup must be `name` below each hierarchy's root (`absolute`) or below
 * this process's directory in it; checks that the directories exist until the reap, that the
 * command sees them in /proc/self/cgroup, and that they are gone after the reap. 0 when it ran. */
static int spawn_at(nscore_spawn_config *cfg, const char *name, int absolute)
{
    nscore_container *c = NULL;
    char paths[MAX_DIRS][PATH_MAX], out[4096], suffix[PATH_MAX];
    int p[2] = {-1, -1}, n = -1, s = -1, rc = -1;
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, p[1], &err));
    OK(nscore_spawn(cfg, &c, &err));
    close(p[1]);
    p[1] = -1;
    n = container_paths(c, paths, MAX_DIRS);
    CHECK(n >= 1);
    for (int i = 0; i < n; i++) {
        const struct hierarchy *h = hierarchy_of(paths[i]);
        char want[2 * PATH_MAX + 2];
        CHECK(h != NULL);
        if (h == NULL) continue;
        snprintf(want, sizeof want, "%s/%s", absolute ? h->mount : h->own, name);
        if (strcmp(paths[i], want) != 0) {
            t_failures++;
            fprintf(stderr, "the container's cgroup is %s, expected %s\n", paths[i], want);
        }
        /* Reaped only below: the directory is there. */
        CHECK(access(paths[i], F_OK) == 0);
    }
    t_read_all(p[0], out, sizeof out);
    OK(nscore_container_wait(c, 30000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    /* The command is in them: a line of its /proc/self/cgroup ends with the name. */
    snprintf(suffix, sizeof suffix, "/%s\n", name);
    if (strstr(out, suffix) == NULL) {
        t_failures++;
        fprintf(stderr, "no line of the container's /proc/self/cgroup ends with /%s:\n%s", name, out);
    }
    for (int i = 0; i < n; i++) CHECK(access(paths[i], F_OK) != 0);
    rc = 0;
out:
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    nscore_container_free(c);
    return rc;
}

/* mkdir `name` in each hierarchy of the container's (absolute: at its root, else below this
 * process's directory); `only_last`: in the last of them only. The count made, or -1. */
static int make_in(char paths[][PATH_MAX], int n, const char *name, int absolute, int only_last)
{
    int made = 0;
    for (int i = only_last ? n - 1 : 0; i < n; i++) {
        const struct hierarchy *h = hierarchy_of(paths[i]);
        char dir[2 * PATH_MAX + 2];
        if (h == NULL) return -1;
        snprintf(dir, sizeof dir, "%s/%s", absolute ? h->mount : h->own, name);
        if (mkdir(dir, 0755) != 0) {
            fprintf(stderr, "mkdir %s: %s\n", dir, strerror(errno));
            return -1;
        }
        made++;
    }
    return made;
}

/* ---- Cases without privilege ------------------------------------------------------------- */

static void setter(void)
{
    const char *argv[] = {"true", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    char paths[MAX_DIRS][PATH_MAX], path[128];
    int s = -1;
    REQUIRE(cfg != NULL);

    FAILS(nscore_spawn_config_set_cgroups_path(NULL, "x", &err), NSCORE_EINVAL, "cfg is NULL");
    CHECK(nscore_spawn_config_set_cgroups_path(NULL, "x", NULL) == NSCORE_EINVAL); /* err may be NULL */
    FAILS(nscore_spawn_config_set_cgroups_path(cfg, "a\xff" "b", &err), NSCORE_EINVAL, "path is not valid UTF-8");
    /* Without any limit the path is ignored: no cgroup. */
    snprintf(path, sizeof path, "/%signored", prefix);
    OK(nscore_spawn_config_set_cgroups_path(cfg, path, &err));
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(container_paths(c, paths, MAX_DIRS) == 0);
    OK(nscore_container_wait(c, 30000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
    OK(nscore_spawn_config_set_cgroups_path(cfg, NULL, &err));
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    CHECK(left_behind() == 0);
}

/* Paths that name no cgroup, refused before anything is made (also unprivileged). */
static void bad_paths(void)
{
    static const char *const bad[] = {"a/../b", "", "/", "a/./b", "..", "//"};
    nscore_spawn_config *cfg = config();
    REQUIRE(cfg != NULL);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "cgroupsPath '%s' must name a cgroup", bad[i]);
        OK(nscore_spawn_config_set_cgroups_path(cfg, bad[i], &err));
        spawn_fails(cfg, NSCORE_EINVAL, needle);
    }
out:
    nscore_spawn_config_free(cfg);
    CHECK(left_behind() == 0);
}

/* ---- Cases as root ----------------------------------------------------------------------- */

/* NULL (the default name), a relative path (below this process's cgroup), an absolute one (at
 * each hierarchy's root), one below a parent the test made, and one kept across
 * nscore_spawn_config_clear_resources(). Returns 0, or T_SKIP without a memory controller. */
static int placed(void)
{
    nscore_spawn_config *cfg = config();
    nscore_container *c = NULL;
    char name[128], path[256], paths[MAX_DIRS][PATH_MAX], want[64];
    int n = -1, rc = 0;
    REQUIRE(cfg != NULL);

    /* NULL: "nscore-<pid>-<n>"; this also finds the hierarchies a memory limit uses. */
    OK(nscore_spawn_config_set_cgroups_path(cfg, "x", &err));
    OK(nscore_spawn_config_set_cgroups_path(cfg, NULL, &err));
    {
        nscore_error *err = NULL;
        if (nscore_spawn(cfg, &c, &err) == NSCORE_ENOTSUP) {
            printf("no memory controller: %s\n", nscore_error_message(err));
            nscore_error_free(err);
            rc = T_SKIP;
            goto out;
        }
        if (c == NULL) t_fail(__FILE__, __LINE__, "nscore_spawn", -1, err);
        nscore_error_free(err);
        REQUIRE(c != NULL);
    }
    n = container_paths(c, paths, MAX_DIRS);
    OK(nscore_container_wait(c, 30000, NULL, &err));
    nscore_container_free(c);
    c = NULL;
    REQUIRE(n >= 1);
    snprintf(want, sizeof want, "nscore-%d-", (int)getpid());
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(paths[i], '/');
        CHECK(hierarchy_of(paths[i]) != NULL);
        CHECK(base != NULL && strncmp(base + 1, want, strlen(want)) == 0);
    }

    /* Relative: below the caller's own cgroup. */
    snprintf(name, sizeof name, "%srel", prefix);
    OK(nscore_spawn_config_set_cgroups_path(cfg, name, &err));
    CHECK(spawn_at(cfg, name, 0) == 0);
    CHECK(left_behind() == 0);

    /* Absolute: at the root of each hierarchy (/sys/fs/cgroup/memory/<name>). */
    snprintf(name, sizeof name, "%sabs", prefix);
    snprintf(path, sizeof path, "/%s", name);
    OK(nscore_spawn_config_set_cgroups_path(cfg, path, &err));
    CHECK(spawn_at(cfg, name, 1) == 0);
    CHECK(left_behind() == 0);

    /* Below a parent the test made (relative, so below its own cgroup), which stays. */
    snprintf(name, sizeof name, "%sparent", prefix);
    REQUIRE(make_in(paths, n, name, 0, 0) == n);
    snprintf(path, sizeof path, "%sparent/%schild", prefix, prefix);
    OK(nscore_spawn_config_set_cgroups_path(cfg, path, &err));
    CHECK(spawn_at(cfg, path, 0) == 0);
    for (int i = 0; i < n; i++) {
        char dir[2 * PATH_MAX + 2];
        snprintf(dir, sizeof dir, "%s/%s", hierarchy_of(paths[i])->own, name);
        CHECK(access(dir, F_OK) == 0);
    }
    remove_test_dirs();
    CHECK(left_behind() == 0);

    /* clear_resources() keeps the path; a new limit goes there. */
    snprintf(name, sizeof name, "%skept", prefix);
    snprintf(path, sizeof path, "/%s", name);
    OK(nscore_spawn_config_set_cgroups_path(cfg, path, &err));
    OK(nscore_spawn_config_clear_resources(cfg, &err));
    OK(nscore_spawn_config_set_memory(cfg, 64 * MIB, NSCORE_RESOURCE_UNSET, NSCORE_RESOURCE_UNSET, 0, &err));
    CHECK(spawn_at(cfg, name, 1) == 0);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    remove_test_dirs();
    CHECK(left_behind() == 0);
    return rc;
}

/* A cgroup that exists already (in every hierarchy, then in the last one made only), and a
 * missing parent: refused, the existing ones kept, nothing else left. */
static void refused(void)
{
    nscore_spawn_config *cfg = config();
    nscore_container *c = NULL;
    char name[128], path[256], msg[PATH_MAX + 320], paths[MAX_DIRS][PATH_MAX];
    int n = -1;
    REQUIRE(cfg != NULL);

    /* The hierarchies a container with this limit uses, and the order they are made in. */
    OK(nscore_spawn(cfg, &c, &err));
    n = container_paths(c, paths, MAX_DIRS);
    OK(nscore_container_wait(c, 30000, NULL, &err));
    nscore_container_free(c);
    c = NULL;
    REQUIRE(n >= 1);

    snprintf(name, sizeof name, "%sexists", prefix);
    snprintf(path, sizeof path, "/%s", name);
    REQUIRE(make_in(paths, n, name, 1, 0) == n);
    OK(nscore_spawn_config_set_cgroups_path(cfg, path, &err));
    spawn_fails(cfg, NSCORE_ESYS, "the container's cgroup must not exist yet");
    for (int i = 0; i < n; i++) {
        char dir[2 * PATH_MAX + 2];
        snprintf(dir, sizeof dir, "%s%s", hierarchy_of(paths[i])->mount, path);
        CHECK(access(dir, F_OK) == 0); /* kept */
    }
    remove_test_dirs();
    CHECK(left_behind() == 0);

    if (n >= 2) {
        /* Only the last one exists: the ones made before it are removed again. */
        REQUIRE(make_in(paths, n, name, 1, 1) == 1);
        snprintf(msg, sizeof msg, "cgroups: %s%s: EEXIST", hierarchy_of(paths[n - 1])->mount, path);
        spawn_fails(cfg, NSCORE_ESYS, msg);
        for (int i = 0; i < n; i++) {
            char dir[2 * PATH_MAX + 2];
            snprintf(dir, sizeof dir, "%s%s", hierarchy_of(paths[i])->mount, path);
            if (i == n - 1)
                CHECK(access(dir, F_OK) == 0);
            else if (access(dir, F_OK) == 0) {
                t_failures++;
                fprintf(stderr, "left behind by a failed spawn: %s\n", dir);
            }
        }
        remove_test_dirs();
        CHECK(left_behind() == 0);
    }

    /* A missing parent is named (in the mkdir of the container's cgroup, or on cgroup2 first in
     * the parent's cgroup.subtree_control). */
    snprintf(msg, sizeof msg, "/%smissing: ENOENT", prefix);
    snprintf(path, sizeof path, "/%smissing/x", prefix);
    OK(nscore_spawn_config_set_cgroups_path(cfg, path, &err));
    spawn_fails(cfg, NSCORE_ENOTFOUND, msg);
    snprintf(path, sizeof path, "%smissing/x", prefix);
    OK(nscore_spawn_config_set_cgroups_path(cfg, path, &err));
    spawn_fails(cfg, NSCORE_ENOTFOUND, msg);
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    remove_test_dirs();
    CHECK(left_behind() == 0);
}

int main(void)
{
    int fds, rc = 0;
    alarm(120);
    rootless = geteuid() != 0;
    snprintf(prefix, sizeof prefix, "cgpath-%d-", (int)getpid());
    find_hierarchies();
    if (nhier == 0) {
        printf("no cgroup hierarchy is mounted\n");
        return T_SKIP;
    }
    fds = t_count_fds();
    setter();
    bad_paths();
    if (rootless) {
        fprintf(stderr, "note: not root: the cases that make cgroups are skipped\n");
    } else {
        rc = placed();
        if (rc != T_SKIP) refused();
    }
    remove_test_dirs();
    CHECK(t_count_fds() == fds);
    CHECK(t_count_children() == 0);
    CHECK(left_behind() == 0);
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    if (t_failures == 0 && rc == T_SKIP) return T_SKIP;
    return t_result();
}
