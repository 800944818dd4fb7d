/*
 * benchutil.h - shared by the C benchmark programs: argument helpers, running a command as a
 * whole process (wall time and peak RSS through wait4), and the JSON line every benchmark
 * prints for bench/report.py:
 *
 *   {"id":..., "section":..., "subject":..., "baseline":..., "unit":..., "better":"lower"|"higher",
 *    "subject_samples":[one value per round], "baseline_samples":[same rounds], "params":{...}}
 *
 * Samples of one line are paired by round (subject and baseline measured back to back, their
 * order alternating between rounds); report.py takes the ratio of each pair.
 */
#ifndef NSBENCH_UTIL_H
#define NSBENCH_UTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_ROUNDS 256

static inline __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A JSON string (ASCII control characters escaped). */
static inline void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static inline void json_arr(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.6g", i ? "," : "", v[i]);
    fputc(']', f);
}

/* One result line. params: a JSON object body such as "\"batch\":20" (or NULL). */
static inline void emit(const char *id, const char *section, const char *subject, const char *baseline,
                        const char *unit, const char *better, const double *subj, const double *base, int n,
                        const char *params)
{
    FILE *f = stdout;
    fputs("{\"id\":", f);
    json_str(f, id);
    fputs(",\"section\":", f);
    json_str(f, section);
    fputs(",\"subject\":", f);
    json_str(f, subject);
    fputs(",\"baseline\":", f);
    json_str(f, baseline);
    fputs(",\"unit\":", f);
    json_str(f, unit);
    fputs(",\"better\":", f);
    json_str(f, better);
    fputs(",\"subject_samples\":", f);
    json_arr(f, subj, n);
    fputs(",\"baseline_samples\":", f);
    json_arr(f, base, n);
    fprintf(f, ",\"params\":{%s}}\n", params ? params : "");
    fflush(f);
}

/* A skipped measurement, with the reason (shown as a note in the table). */
static inline void emit_skip(const char *id, const char *section, const char *subject, const char *baseline,
                             const char *why)
{
    fputs("{\"id\":", stdout);
    json_str(stdout, id);
    fputs(",\"section\":", stdout);
    json_str(stdout, section);
    fputs(",\"subject\":", stdout);
    json_str(stdout, subject);
    fputs(",\"baseline\":", stdout);
    json_str(stdout, baseline);
    fputs(",\"skipped\":", stdout);
    json_str(stdout, why);
    fputs("}\n", stdout);
    fflush(stdout);
}

/* Splits a command line on spaces (no quoting: the benchmark commands need none). The result
 * points into a strdup'd copy that lives for the program's lifetime. */
static inline char **split_cmd(const char *line)
{
    char *copy = strdup(line);
    size_t cap = 8, n = 0;
    char **argv = malloc(cap * sizeof *argv);
    for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
        if (n + 2 > cap)
            argv = realloc(argv, (cap *= 2) * sizeof *argv);
        argv[n++] = tok;
    }
    argv[n] = NULL;
    return argv;
}

/* Where run_cmd sends the command's stdout: -1 for /dev/null. */
static int bench_stdout_fd = -1;

/* Runs argv as a whole process (fork + execvp, stdout to /dev/null (or bench_stdout_fd), stderr to errfd or
 * /dev/null) and waits with wait4. Returns the wall time in ns, or -1 if it did not exit 0.
 * *maxrss_kib gets ru_maxrss (KiB): the peak RSS of the process and any descendant it reaped.
 * Plain fork (not vfork/posix_spawn): with CLONE_VM the exec'ing child would report our own
 * peak RSS, since the kernel folds the pre-exec mm's high-water mark into ru_maxrss. */
static inline int64_t run_cmd(char *const argv[], int errfd, long *maxrss_kib, int *status_out)
{
    int64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(bench_stdout_fd >= 0 ? bench_stdout_fd : null, 1);
        dup2(errfd >= 0 ? errfd : null, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
            die("wait4: %s", strerror(errno));
    int64_t dt = now_ns() - t0;
    if (maxrss_kib)
        *maxrss_kib = ru.ru_maxrss;
    if (status_out)
        *status_out = status;
    return (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? dt : -1;
}

/* Parses a comma-separated list of positive integers into out (at most max); returns count. */
static inline int parse_list(const char *s, int *out, int max)
{
    int n = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save))
        out[n++] = atoi(tok);
    free(copy);
    return n;
}

static inline void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

#endif
