/*
 * watcher.c - the attacker of the join-exposure tests (tests-c/test_join_exposure.c,
 * bindings/python/tests/test_join_exposure.py).
 *
 *   watcher RESULT_FILE STOP_FILE HOST_MARKER SECRET COMMAND_MARKER
 *
 * Runs inside a container (ideally as its PID 1, root with every capability) while the host
 * joins the container thousands of times. It predicts the next pid of its PID namespace (the
 * kernel hands them out in order) and opens a pidfd on it the moment it exists, then, for as
 * long as that process has not yet become the joined command, tries every way a container can
 * observe a process:
 *   - /proc/PID/maps: are they the host's? (they name HOST_MARKER, e.g. "libnscore")
 *   - /proc/PID/mem: read the first readable mapping;
 *   - /proc/PID/environ and /proc/PID/cmdline: do they hold SECRET (in the host's environment)?
 *   - ptrace(PTRACE_SEIZE);
 *   - pidfd_getfd(2) of fds 3..63, and the fds listed in /proc/PID/fd.
 * The joined command must be a static program that opens nothing (tests-c/helpers/noop.c), so
 * that any fd above 2 is one the command was not meant to get.
 *
 * It prints "ready" on stdout once it has proved that it can observe a process of its own (a
 * child it forks: maps, mem, SEIZE), then writes counters to RESULT_FILE ("key value" lines,
 * and "leak ..." lines describing what it found) once STOP_FILE exists.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static const char *marker, *secret;
static FILE *leaks;
static long n_seen, n_probes, n_maps, n_maps_host, n_mem, n_mem_host, n_env_secret, n_seize, n_seize_host, n_getfd,
    n_fd_listed, n_preexec;
static int n_leak_lines;

static void leak(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void leak(const char *fmt, ...)
{
    if (n_leak_lines++ >= 40) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("leak ", leaks);
    vfprintf(leaks, fmt, ap);
    fputc('\n', leaks);
    va_end(ap);
}

static long read_file(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, n - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
        if (got == n - 1) break;
    }
    close(fd);
    buf[got] = 0;
    return (long)got;
}

static int contains(const char *buf, long len, const char *needle)
{
    return len > 0 && memmem(buf, (size_t)len, needle, strlen(needle)) != NULL;
}

/* Reaps what we traced or forked; a traced process that stops is let go on. */
static void reap(void)
{
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG | __WALL)) > 0)
        if (WIFSTOPPED(st)) ptrace(PTRACE_CONT, p, 0, WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st));
}

/* One round of observation. Returns 1 once the process is the joined command (or gone). */
static int probe(pid_t pid, int pidfd, const char *command)
{
    static char maps[65536], buf[65536];
    char path[64];
    n_probes++;
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    long mlen = read_file(path, maps, sizeof maps);
    int host = contains(maps, mlen, marker);
    if (mlen > 0) n_maps++;
    if (host) {
        n_maps_host++;
        leak("pid %d: maps are the host's", (int)pid);
    }
    if (contains(maps, mlen, "nscore-init")) n_preexec++;

    /* Memory: the first readable mapping. */
    unsigned long start = 0, end = 0;
    char perms[8] = "";
    if (mlen > 0 && sscanf(maps, "%lx-%lx %4s", &start, &end, perms) == 3 && perms[0] == 'r') {
        snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char b[64];
            if (pread(fd, b, sizeof b, (off_t)start) > 0) {
                n_mem++;
                if (host) {
                    n_mem_host++;
                    leak("pid %d: read host memory at %lx", (int)pid, start);
                }
            }
            close(fd);
        }
    }
    /* Environment and command line. */
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    long elen = read_file(path, buf, sizeof buf);
    if (contains(buf, elen, secret)) {
        n_env_secret++;
        leak("pid %d: environ holds the host's secret", (int)pid);
    }
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    elen = read_file(path, buf, sizeof buf);
    if (contains(buf, elen, secret)) {
        n_env_secret++;
        leak("pid %d: cmdline holds the host's secret", (int)pid);
    }
    /* ptrace: stays attached (a SEIZEd running tracee cannot be detached without stopping it);
     * reap() lets it finish. */
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
        n_seize++;
        snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
        long l = read_file(path, buf, sizeof buf);
        if (contains(buf, l, marker)) {
            n_seize_host++;
            leak("pid %d: attached to a process whose maps are the host's", (int)pid);
        }
    }
    /* fds: taken through the pidfd, and listed. */
    for (int fd = 3; fd < 64; fd++) {
        int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        if (got >= 0) {
            char self[64], target[256] = "";
            snprintf(self, sizeof self, "/proc/self/fd/%d", got);
            ssize_t n = readlink(self, target, sizeof target - 1);
            if (n > 0) target[n] = 0;
            n_getfd++;
            leak("pid %d: pidfd_getfd took its fd %d (%s)", (int)pid, fd, target);
            close(got);
        }
    }
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) < 3) continue;
            char p2[300], target[256] = "";
            snprintf(p2, sizeof p2, "/proc/%d/fd/%s", (int)pid, e->d_name);
            ssize_t n = readlink(p2, target, sizeof target - 1);
            if (n > 0) target[n] = 0;
            n_fd_listed++;
            leak("pid %d: has fd %s (%s)", (int)pid, e->d_name, target);
        }
        closedir(d);
    }
    reap();
    struct pollfd pfd = { pidfd, POLLIN, 0 };
    if (poll(&pfd, 1, 0) > 0) return 1; /* exited */
    return contains(maps, mlen, command);
}

/* Proves that this process can observe one of its own: a forked child's maps, mem, SEIZE. */
static int self_check(void)
{
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)c);
    int ok = read_file(path, buf, sizeof buf) > 0;
    unsigned long start = 0;
    ok = ok && sscanf(buf, "%lx-", &start) == 1;
    snprintf(path, sizeof path, "/proc/%d/mem", (int)c);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char b[16];
    ok = ok && fd >= 0 && pread(fd, b, sizeof b, (off_t)start) > 0;
    if (fd >= 0) close(fd);
    ok = ok && ptrace(PTRACE_SEIZE, c, 0, 0) == 0;
    kill(c, SIGKILL);
    while (waitpid(c, NULL, __WALL) < 0 && errno == EINTR) {}
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: watcher RESULT_FILE STOP_FILE HOST_MARKER SECRET COMMAND_MARKER\n");
        return 2;
    }
    const char *result = argv[1], *stop = argv[2], *command = argv[5];
    marker = argv[3];
    secret = argv[4];
    leaks = tmpfile();
    if (leaks == NULL || !self_check()) {
        fprintf(stderr, "watcher: cannot observe a process of its own (maps, mem, ptrace)\n");
        return 3;
    }
    /* A PID 1 ignores signals it has no handler for: SIGTERM would not end us. */
    signal(SIGTERM, SIG_DFL);
    pid_t next = getpid() + 1;
    printf("ready\n");
    fflush(stdout);

    struct stat st;
    for (unsigned long spin = 0;; spin++) {
        if ((spin & 1023) == 0) {
            if (stat(stop, &st) == 0) break;
            reap();
            /* A pid we never saw (it came and went between two tries): skip to the newest. */
            DIR *d = opendir("/proc");
            pid_t max = 0;
            struct dirent *e;
            while (d != NULL && (e = readdir(d)) != NULL) {
                pid_t p = (pid_t)atoi(e->d_name);
                if (p > max) max = p;
            }
            if (d != NULL) closedir(d);
            if (max >= next) next = max + 1;
        }
        int pidfd = (int)syscall(SYS_pidfd_open, next, 0);
        if (pidfd < 0) continue;
        n_seen++;
        for (int i = 0; i < 100000 && !probe(next, pidfd, command); i++) {}
        close(pidfd);
        next++;
    }
    FILE *f = fopen(result, "w");
    if (f == NULL) return 4;
    fprintf(f, "seen %ld\nprobes %ld\nmaps %ld\nmaps_host %ld\nmem %ld\nmem_host %ld\nsecret %ld\nseize %ld\n"
               "seize_host %ld\ngetfd %ld\nfd_listed %ld\npreexec %ld\n",
            n_seen, n_probes, n_maps, n_maps_host, n_mem, n_mem_host, n_env_secret, n_seize, n_seize_host, n_getfd,
            n_fd_listed, n_preexec);
    rewind(leaks);
    char line[512];
    while (fgets(line, sizeof line, leaks) != NULL) fputs(line, f);
    fclose(f);
    return 0;
}
