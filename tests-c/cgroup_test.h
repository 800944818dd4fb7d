/*
 * cgroup_test.h - helpers shared by the cgroup C tests (test_resources, test_cgroup_io,
 * test_cgroups_path, test_cgroup_join); included after "test.h". run.sh builds only test_*.c,
 * so this header is never run as a test.
 *
 * They look at the cgroups without the library: the hierarchies mounted here and this
 * process's directory in each (from /proc/self/mountinfo and /proc/self/cgroup), the
 * "nscore-<pid>-*" directories left anywhere below the cgroup mounts, and small cgroup files.
 * They also read the paths of a {"pid":N,"cgroups":[...]} document
 * (nscore_container_cgroups_json, nscore_cgroup_json).
 */
#ifndef NSCORE_CGROUP_TEST_H
#define NSCORE_CGROUP_TEST_H

#include "test.h"

#include <dirent.h>
#include <limits.h>
#include <mntent.h>

#define MIB (1024LL * 1024LL)

/* ---- Small files ------------------------------------------------------------------------- */

/* Reads a small file into buf without its trailing newlines; 0, or -1 (buf empty). */
static inline int read_text(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    buf[0] = '\0';
    if (fd < 0) return -1;
    t_read_all(fd, buf, n);
    close(fd);
    t_chomp(buf);
    return 0;
}

/* Checks that file `name` of directory `dir` can be read and holds exactly `want`. */
static inline void expect_file(const char *dir, const char *name, const char *want)
{
    char path[PATH_MAX + 64], got[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (read_text(path, got, sizeof got) != 0) {
        t_fail(__FILE__, __LINE__, path, 0, NULL);
        fprintf(stderr, "    cannot read %s: %s\n", path, strerror(errno));
        return;
    }
    if (strcmp(got, want) != 0) {
        t_failures++;
        fprintf(stderr, "%s: \"%s\", expected \"%s\"\n", path, got, want);
    }
}

/* True when `list` (separated by `,` or spaces) holds `word`. */
static inline int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        int start = p == list || p[-1] == ',' || p[-1] == ' ';
        int end = p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\n';
        if (start && end) return 1;
    }
    return 0;
}

/* ---- The cgroup hierarchies and this process's directory in each ------------------------- */

#define MAX_HIERARCHIES 32

/* One cgroup hierarchy mounted here and this process's directory in it. */
struct hierarchy {
    char mount[PATH_MAX];  /* its mount point */
    char own[PATH_MAX];    /* this process's directory in it */
    char controllers[256]; /* v1: "cpu,cpuacct"; v2: the cgroup.controllers of `own` */
    int v2;
};
static struct hierarchy hier[MAX_HIERARCHIES];
static int nhier;

/* Fills hier[] from /proc/self/mountinfo and /proc/self/cgroup. */
static inline void find_hierarchies(void)
{
    char cgroup[8192], line[4096];
    FILE *f;
    nhier = 0;
    if (read_text("/proc/self/cgroup", cgroup, sizeof cgroup) != 0) return;
    f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL) return;
    while (fgets(line, sizeof line, f) != NULL && nhier < MAX_HIERARCHIES) {
        /* id parent maj:min root mountpoint options [optional...] - fstype source superoptions */
        char root[PATH_MAX], mnt[PATH_MAX], fstype[64], super[512];
        const char *dash = strstr(line, " - ");
        char *want = NULL;
        if (dash == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2) continue;
        if (sscanf(dash + 3, "%63s %*s %511s", fstype, super) != 2) continue;
        int v2 = strcmp(fstype, "cgroup2") == 0;
        if (!v2 && strcmp(fstype, "cgroup") != 0) continue;
        /* The /proc/self/cgroup line of this hierarchy: "0::PATH" for cgroup2, else the one
         * whose controller list is within the mount's super options. */
        char copy[8192];
        snprintf(copy, sizeof copy, "%s", cgroup);
        for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
            char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (c2 == NULL) continue;
            *c2 = '\0';
            const char *names = c1 + 1;
            int match;
            if (v2) {
                match = names[0] == '\0';
            } else {
                char ns[256];
                match = names[0] != '\0';
                snprintf(ns, sizeof ns, "%s", names);
                for (char *s2 = NULL, *w = strtok_r(ns, ",", &s2); w != NULL && match; w = strtok_r(NULL, ",", &s2))
                    if (!has_word(super, w)) match = 0;
            }
            if (match) {
                want = c2 + 1;
                if (!v2) snprintf(hier[nhier].controllers, sizeof hier[nhier].controllers, "%s", names);
                break;
            }
        }
        if (want == NULL) continue;
        /* The path is relative to the mount's root when the mount is of a subtree. */
        size_t rl = strlen(root);
        const char *rel = want;
        if (strcmp(root, "/") != 0 && strncmp(want, root, rl) == 0) rel = want + rl;
        while (*rel == '/') rel++;
        /* (A path too long for the buffer is skipped.) */
        if (snprintf(hier[nhier].own, sizeof hier[nhier].own, "%s%s%s", mnt, *rel ? "/" : "", rel) >=
            (int)sizeof hier[nhier].own)
            continue;
        snprintf(hier[nhier].mount, sizeof hier[nhier].mount, "%s", mnt);
        hier[nhier].v2 = v2;
        if (v2) {
            char path[PATH_MAX + 32];
            snprintf(path, sizeof path, "%s/cgroup.controllers", hier[nhier].own);
            read_text(path, hier[nhier].controllers, sizeof hier[nhier].controllers);
        }
        nhier++;
    }
    fclose(f);
}

/* ---- Leftovers: directories left anywhere in a cgroup hierarchy -------------------------- */

/* The directories below `dir` (not following links) whose name starts with `p1` or, when it is
 * not NULL, `p2`, each printed. */
static inline int leftovers_below(const char *dir, const char *p1, const char *p2)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (d == NULL) return 0;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        if (e->d_type == DT_UNKNOWN && (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))) continue;
        if (strncmp(e->d_name, p1, strlen(p1)) == 0 || (p2 != NULL && strncmp(e->d_name, p2, strlen(p2)) == 0)) {
            fprintf(stderr, "left behind: %s\n", path);
            n++;
        }
        n += leftovers_below(path, p1, p2);
    }
    closedir(d);
    return n;
}

/* The "nscore-<pid>-*" directories (pid 0: this process's), and those whose name starts with
 * `also` when it is not NULL, anywhere in every cgroup mount of /proc/self/mounts, each
 * printed; -1 when the mounts cannot be read. */
static inline int leftovers_also(pid_t pid, const char *also)
{
    FILE *f = setmntent("/proc/self/mounts", "re");
    struct mntent *m;
    char prefix[64];
    int n = 0;
    if (f == NULL) return -1;
    snprintf(prefix, sizeof prefix, "nscore-%d-", (int)(pid ? pid : getpid()));
    while ((m = getmntent(f)) != NULL)
        if (strcmp(m->mnt_type, "cgroup") == 0 || strcmp(m->mnt_type, "cgroup2") == 0)
            n += leftovers_below(m->mnt_dir, prefix, also);
    endmntent(f);
    return n;
}

/* The "nscore-<pid>-*" directories (pid 0: this process's) in every cgroup mount, each printed. */
static inline int leftovers(pid_t pid)
{
    return leftovers_also(pid, NULL);
}

/* ---- A container's cgroup directories ---------------------------------------------------- */

/* The "cgroups" of a {"pid":N,"cgroups":[...]} document into paths[] (at most max); their count,
 * or -1 when the document is not of that shape. */
static inline int json_paths(const char *json, char paths[][PATH_MAX], int max)
{
    const char *p = json ? strstr(json, "\"cgroups\":[") : NULL;
    int n = 0;
    if (p == NULL) return -1;
    p += strlen("\"cgroups\":[");
    while (*p == '"' && n < max) {
        size_t k = 0;
        for (p++; *p != '\0' && *p != '"'; p++) {
            if (*p == '\\' && p[1] != '\0') p++;
            if (k + 1 < PATH_MAX) paths[n][k++] = *p;
        }
        paths[n++][k] = '\0';
        if (*p == '"') p++;
        if (*p == ',') p++;
    }
    return *p == ']' ? n : -1;
}

/* The container's cgroup directories (nscore_container_cgroups_json); their count, or -1 (a
 * failure when the call fails or its document is not of that shape, or has more than max). */
static inline int container_paths(nscore_container *c, char paths[][PATH_MAX], int max)
{
    char *json = NULL;
    int n = -1;
    OK(nscore_container_cgroups_json(c, &json, &err));
    n = json_paths(json, paths, max);
    if (n < 0) {
        t_failures++;
        fprintf(stderr, "nscore_container_cgroups_json: not a document of at most %d cgroups: %s\n", max,
                json != NULL ? json : "(null)");
    }
out:
    nscore_string_free(json);
    return n;
}

/* ---- Configurations ---------------------------------------------------------------------- */

/* A configuration holding only resources, for the update calls; NULL on failure. */
static inline nscore_spawn_config *limits(void)
{
    nscore_spawn_config *cfg = NULL;
    OK(nscore_spawn_config_new(&cfg, &err));
out:
    return cfg;
}

/* A case's cleanup: kills what is left of c (kill-all), then frees c, cfg and upd (each may be
 * NULL). */
static inline void free_case(nscore_container *c, nscore_spawn_config *cfg, nscore_spawn_config *upd)
{
    if (c != NULL) nscore_container_kill_all(c, NULL);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    nscore_spawn_config_free(upd);
}

/* Spawns cfg and expects it to fail with `code` and `needle`, leaving no child and no
 * "nscore-<pid>-*" cgroup. */
static inline void spawn_fails(nscore_spawn_config *cfg, int code, const char *needle)
{
    nscore_container *c = NULL;
    FAILS(nscore_spawn(cfg, &c, &err), code, needle);
    CHECK(c == NULL);
    nscore_container_free(c);
    CHECK(t_count_children() == 0);
    CHECK(leftovers(0) == 0);
}

#endif /* NSCORE_CGROUP_TEST_H */
