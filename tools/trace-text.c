/*
 * trace-text.c - prints, one hex address a line, every instruction address a program executes
 * (and, with CLONE_VM, the children that share its memory until they exec), by single-stepping
 * it under ptrace. Used by tools/gen-cli-order.sh; slow (~1 s per million instructions) but
 * exact, and needs nothing but a C compiler.
 *
 *   trace-text LO HI COMMAND [ARG...]   addresses in [LO, HI) only (hex), sorted, unique
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t *seen; /* one bit per byte of [lo, hi) */
static uintptr_t lo, hi;

static void record(pid_t pid)
{
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0)
        return;
    uintptr_t ip = regs.rip;
    if (ip >= lo && ip < hi)
        seen[(ip - lo) >> 3] |= (uint8_t)(1u << ((ip - lo) & 7));
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: trace-text LO HI COMMAND [ARG...]\n");
        return 2;
    }
    lo = strtoull(argv[1], 0, 16);
    hi = strtoull(argv[2], 0, 16);
    seen = calloc((hi - lo) / 8 + 1, 1);
    pid_t root = fork();
    if (root == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execv(argv[3], argv + 3);
        _exit(127);
    }
    int st;
    waitpid(root, &st, 0);
    ptrace(PTRACE_SETOPTIONS, root, 0,
           PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |
               PTRACE_O_EXITKILL);
    /* Until the root's own exec, nothing of the traced program runs. */
    ptrace(PTRACE_CONT, root, 0, 0);
    int execd = 0, rc = 1;
    for (;;) {
        pid_t pid = waitpid(-1, &st, __WALL);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            if (pid == root)
                rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            continue;
        }
        int sig = WSTOPSIG(st), event = st >> 16;
        if (event == PTRACE_EVENT_EXEC) {
            if (pid == root && !execd) {
                execd = 1;
                ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
            } else {
                ptrace(PTRACE_DETACH, pid, 0, 0); /* a child became another program */
            }
            continue;
        }
        if (!execd) {
            ptrace(PTRACE_CONT, pid, 0, sig == SIGTRAP || sig == SIGSTOP ? 0 : sig);
            continue;
        }
        if (event != 0 || sig == SIGTRAP || sig == SIGSTOP) {
            record(pid);
            ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
        } else {
            ptrace(PTRACE_SINGLESTEP, pid, 0, sig);
        }
    }
    for (uintptr_t off = 0; off < hi - lo; off++)
        if (seen[off >> 3] & (1u << (off & 7)))
            printf("%lx\n", (unsigned long)(lo + off));
    return rc;
}
