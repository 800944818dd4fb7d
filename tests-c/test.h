/*
 * test.h - tiny helpers shared by the C tests of libnscore (tests-c/run.sh builds each *.c).
 *
 * Each test program runs cases on the real kernel and exits 0 (pass), 77 (skip) or 1 (fail).
 * A failed check prints file:line, the expression and, for nscore calls, the library's code,
 * stage and message. Checks that must hold for a case to go on jump to the case's `out:` label,
 * where it cleans up (stops containers, removes files) whether it passed or not.
 */
#ifndef NSCORE_TEST_H
#define NSCORE_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nscore.h"

#define T_SKIP 77

static int t_failures;

static inline void t_fail(const char *file, int line, const char *what, int rc, const nscore_error *err)
{
    t_failures++;
    if (err != NULL) {
        fprintf(stderr, "%s:%d: FAILED %s -> %d (code %d, errno %d, stage \"%s\"): %s\n", file, line, what, rc,
                nscore_error_code(err), nscore_error_sys_errno(err), nscore_error_stage(err),
                nscore_error_message(err));
    } else if (rc != 0) {
        fprintf(stderr, "%s:%d: FAILED %s -> %d (no error object)\n", file, line, what, rc);
    } else {
        fprintf(stderr, "%s:%d: FAILED %s\n", file, line, what);
    }
}

/* A check that lets the case continue. */
#define CHECK(cond)                                                                                           \
    do {                                                                                                      \
        if (!(cond)) t_fail(__FILE__, __LINE__, #cond, 0, NULL);                                              \
    } while (0)

/* A check the rest of the case depends on: on failure, go to `out` (cleanup). */
#define REQUIRE(cond)                                                                                         \
    do {                                                                                                      \
        if (!(cond)) {                                                                                        \
            t_fail(__FILE__, __LINE__, #cond, 0, NULL);                                                       \
            goto out;                                                                                         \
        }                                                                                                     \
    } while (0)

/* An nscore call that must succeed. The call names a local `err` (declared by the macro). */
#define OK(call)                                                                                              \
    do {                                                                                                      \
        nscore_error *err = NULL;                                                                             \
        int ok_rc_ = (call);                                                                                  \
        if (ok_rc_ != 0 || err != NULL) {                                                                     \
            t_fail(__FILE__, __LINE__, #call, ok_rc_, err);                                                   \
            nscore_error_free(err);                                                                           \
            goto out;                                                                                         \
        }                                                                                                     \
    } while (0)

/* An nscore call that must fail with `code`, an error object of that code, and a message that
 * contains `needle` (NULL: any message). */
#define FAILS(call, code, needle)                                                                             \
    do {                                                                                                      \
        nscore_error *err = NULL;                                                                             \
        int fails_rc_ = (call);                                                                               \
        t_check_fail(__FILE__, __LINE__, #call, fails_rc_, err, (code), (needle));                            \
        nscore_error_free(err);                                                                               \
    } while (0)

static inline void t_check_fail(const char *file, int line, const char *what, int rc, const nscore_error *err, int code,
                         const char *needle)
{
    if (rc != code) {
        t_failures++;
        fprintf(stderr, "%s:%d: %s returned %d, expected %d%s%s\n", file, line, what, rc, code,
                err ? "; message: " : "", err ? nscore_error_message(err) : "");
        return;
    }
    if (err == NULL) {
        t_failures++;
        fprintf(stderr, "%s:%d: %s returned %d but set no error object\n", file, line, what, rc);
        return;
    }
    if (nscore_error_code(err) != code) {
        t_failures++;
        fprintf(stderr, "%s:%d: %s: error object code %d, expected %d\n", file, line, what, nscore_error_code(err),
                code);
    }
    if (needle != NULL && strstr(nscore_error_message(err), needle) == NULL) {
        t_failures++;
        fprintf(stderr, "%s:%d: %s: message \"%s\" does not mention \"%s\"\n", file, line, what,
                nscore_error_message(err), needle);
    }
}

/* Ends main: exit status for run.sh. */
static inline int t_result(void)
{
    return t_failures == 0 ? 0 : 1;
}

/* ---- Small utilities --------------------------------------------------------------------- */

/* A configuration running argv (NULL-terminated) with `namespaces`; NULL on failure. */
static inline nscore_spawn_config *t_config(const char *const *argv, uint32_t namespaces)
{
    nscore_spawn_config *cfg = NULL;
    nscore_error *err = NULL;
    int rc = nscore_spawn_config_new(&cfg, &err);
    if (rc == 0) rc = nscore_spawn_config_set_argv(cfg, argv, &err);
    if (rc == 0) rc = nscore_spawn_config_set_namespaces(cfg, namespaces, &err);
    if (rc != 0) {
        t_fail(__FILE__, __LINE__, "t_config", rc, err);
        nscore_error_free(err);
        nscore_spawn_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* Reads fd to EOF into buf (NUL-terminated, truncated to n - 1 bytes); returns the length. */
static inline size_t t_read_all(int fd, char *buf, size_t n)
{
    size_t len = 0;
    for (;;) {
        char chunk[512];
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; i++)
            if (len + 1 < n) buf[len++] = chunk[i];
    }
    if (n > 0) buf[len] = '\0';
    return len;
}

/* Spawns cfg with stdout captured into buf (t_read_all) and waits up to timeout_ms for it: the
 * wait status, or -1 (reported as a failure). */
static inline int t_run_capture(nscore_spawn_config *cfg, char *buf, size_t n, int timeout_ms)
{
    nscore_container *c = NULL;
    int p[2] = {-1, -1}, s = -1;
    if (n > 0) buf[0] = '\0';
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, p[1], &err));
    OK(nscore_spawn(cfg, &c, &err));
    close(p[1]);
    p[1] = -1;
    t_read_all(p[0], buf, n);
    OK(nscore_container_wait(c, timeout_ms, &s, &err));
out:
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    nscore_container_free(c);
    return s;
}

/* The repository, for its tools (tools/make-test-rootfs.sh) into repo[n]: NSCORE_TEST_REPO when
 * set (tests-c/run.sh points it at a copy that uid 65534 can read: the checkout may lie below a
 * directory closed to other users), else the directory above the one of this header. 0, or -1
 * with a message. */
static inline int t_find_repo(char *repo, size_t n)
{
    const char *env = getenv("NSCORE_TEST_REPO");
    char path[PATH_MAX];
    char *slash;
    if (env != NULL && env[0] != '\0') return (size_t)snprintf(repo, n, "%s", env) >= n ? -1 : 0;
    if (realpath(__FILE__, path) == NULL) {
        fprintf(stderr, "cannot find the repository from %s: %s\n", __FILE__, strerror(errno));
        return -1;
    }
    for (int i = 0; i < 2; i++)
        if ((slash = strrchr(path, '/')) != NULL) *slash = '\0';
    return (size_t)snprintf(repo, n, "%s", path) >= n ? -1 : 0;
}

/* Removes trailing newlines in place. */
static inline char *t_chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

/* The inode of /proc/PID/ns/NAME (pid 0: this process), or 0. */
static inline unsigned long long t_ns_inode(pid_t pid, const char *name)
{
    char path[64];
    struct stat st;
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/ns/%s", name);
    else
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
    if (stat(path, &st) != 0) return 0;
    return (unsigned long long)st.st_ino;
}

/* Counts entries of /proc/self/fd (minus the one opendir uses). */
static inline int t_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1;
}

/* Counts lines of a file, or -1. */
/* The children of every thread of this process (/proc/self/task/TID/children), each one
 * printed to stderr; -1 if /proc cannot be read. */
static inline int t_count_children(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL) {
        char path[320], buf[4096];
        int fd;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        if (t_read_all(fd, buf, sizeof buf) > 0) {
            fprintf(stderr, "task %s has children: %s\n", e->d_name, buf);
            for (char *tok = strtok(buf, " \n"); tok != NULL; tok = strtok(NULL, " \n")) n++;
        }
        close(fd);
    }
    closedir(d);
    return n;
}

static inline int t_count_lines(const char *path)
{
    FILE *f = fopen(path, "re");
    int n = 0, c;
    if (f == NULL) return -1;
    while ((c = fgetc(f)) != EOF)
        if (c == '\n') n++;
    fclose(f);
    return n;
}

/* True if the file contains `needle`. */
static inline int t_file_contains(const char *path, const char *needle)
{
    char buf[1 << 16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    t_read_all(fd, buf, sizeof buf);
    close(fd);
    return strstr(buf, needle) != NULL;
}

#endif /* NSCORE_TEST_H */
