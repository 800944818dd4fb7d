/*
 * rawonce.c - the raw baselines (rawloop.c) as a small stand-alone C process.
 *
 *   rawonce a|b|c PATH [ARG...]    one fork-style clone3 + setup + execve + waitpid, then exit
 *                                  with the command's status: what `nscore run` is measured
 *                                  against (the same work, without the engine)
 *   rawonce --batch N a|b|c        N spawns of /bin/true; prints the elapsed nanoseconds
 *   rawonce --join N PID           N joins of PID's namespaces running /bin/true; prints ns
 *
 * The --batch and --join forms let the Python and Swift hosts measure, interleaved with their
 * own rounds, the raw loop from a small C process (whose page tables are cheap to copy).
 * Modes: a = no new namespace, b = pid+ipc+uts+mnt+net, c = all eight (user, root mapped).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawloop.h"

static uint32_t mode_ns(const char *m)
{
    if (!strcmp(m, "a"))
        return 0;
    if (!strcmp(m, "b"))
        return RAW_NS_PID | RAW_NS_IPC | RAW_NS_UTS | RAW_NS_MNT | RAW_NS_NET;
    if (!strcmp(m, "c"))
        return 0xff;
    fprintf(stderr, "rawonce: unknown mode %s\n", m);
    exit(2);
}

int main(int argc, char **argv)
{
    raw_die_with_parent();
    if (argc == 4 && !strcmp(argv[1], "--batch")) {
        int64_t dt = raw_spawn_batch(mode_ns(argv[3]), "/bin/true", atoi(argv[2]));
        if (dt < 0) {
            fprintf(stderr, "rawonce: spawn: %s\n", strerror((int)-dt));
            return 1;
        }
        printf("%lld\n", (long long)dt);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "--join")) {
        raw_join j;
        int rc = raw_join_open(&j, (pid_t)atoi(argv[3]));
        int64_t dt = rc < 0 ? rc : raw_join_batch(&j, "/bin/true", atoi(argv[2]));
        if (dt < 0) {
            fprintf(stderr, "rawonce: join: %s\n", strerror((int)-dt));
            return 1;
        }
        printf("%lld\n", (long long)dt);
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: rawonce a|b|c PATH [ARG...] | --batch N a|b|c | --join N PID\n");
        return 2;
    }
    pid_t pid = raw_spawn_start(mode_ns(argv[1]), argv[2], argv + 2);
    if (pid < 0) {
        fprintf(stderr, "rawonce: clone3: %s\n", strerror(-pid));
        return 125;
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        return 125;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
