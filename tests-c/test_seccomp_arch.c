/*
 * test_seccomp_arch.c - the compiled filters on the kernel, for the other ABIs of an x86_64
 * machine: 32-bit x86 calls (int $0x80 from this 64-bit process, which the kernel runs as
 * AUDIT_ARCH_I386 calls with their own numbers) and x32 calls (bit 30 of the number).
 *
 * Each case installs a filter compiled by nscore_seccomp_compile() in a forked child (after
 * no_new_privs) and reports what the calls returned through a pipe.
 */
#include "test.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)

/* A 32-bit x86 syscall from a 64-bit process. */
static long int80(long nr, long a, long b, long c)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

/* Compiles `s` and, in a child, installs it, makes the calls and writes their results. Returns
 * the child's wait status; results[] receives what it reported (getppid through int 0x80,
 * add_key through int 0x80, getpid as x32, getppid native). */
static int run_filter(nscore_seccomp *s, long results[4])
{
    static unsigned char buf[64 * 1024];
    size_t len = 0;
    uint32_t flags = 0;
    nscore_error *err = NULL;
    int rc = nscore_seccomp_compile(s, buf, sizeof(buf), &len, &flags, &err);
    if (rc != 0) {
        t_fail(__FILE__, __LINE__, "nscore_seccomp_compile", rc, err);
        nscore_error_free(err);
        return -1;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        struct sock_fprog prog = { .len = (unsigned short)(len / 8), .filter = (struct sock_filter *)buf };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0)
            _exit(90);
        long r[4];
        r[3] = syscall(SYS_getppid);
        r[0] = int80(64, 0, 0, 0);                     /* i386 getppid */
        r[1] = int80(286, 0, 0, 0);                    /* i386 add_key */
        r[2] = syscall(0x40000000L | SYS_getpid);      /* x32 getpid */
        r[2] = r[2] < 0 ? -errno : r[2];
        if (write(p[1], r, sizeof(r)) != (ssize_t)sizeof(r))
            _exit(91);
        _exit(0);
    }
    close(p[1]);
    memset(results, 0, 4 * sizeof(long));
    ssize_t n = read(p[0], results, 4 * sizeof(long));
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (n != (ssize_t)(4 * sizeof(long)))
        results[0] = results[1] = results[2] = results[3] = 12345;
    return status;
}

/* The default profile admits 32-bit x86 calls with their own table (add_key refused, getppid
 * allowed) and refuses every x32 call with ENOSYS. */
static void default_profile_covers_the_32_bit_abi(void)
{
    nscore_seccomp *s = NULL;
    long r[4];
    OK(nscore_seccomp_default(&s, &err));
    int status = run_filter(s, r);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(r[3] == getpid());
    CHECK(r[0] == getpid());   /* int 0x80 getppid: its parent is us */
    CHECK(r[1] == -EPERM);     /* int 0x80 add_key: never allowed */
    CHECK(r[2] == -ENOSYS);    /* x32 */
out:
    nscore_seccomp_free(s);
}

/* A profile that lists no 32-bit architecture kills the process at its first int 0x80 call
 * (the machine's own calls still run). */
static void an_architecture_not_admitted_is_killed(void)
{
    nscore_seccomp *s = NULL, *t = NULL;
    long r[4];
    int status;
    OK(nscore_seccomp_new(&s, NSCORE_SECCOMP_ALLOW, 0, &err));
    OK(nscore_seccomp_add_architecture(s, "SCMP_ARCH_X86_64", &err));
    status = run_filter(s, r);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);

    /* Listing SCMP_ARCH_X86 admits it; x32 stays denied even when listed. */
    OK(nscore_seccomp_new(&t, NSCORE_SECCOMP_ALLOW, 0, &err));
    OK(nscore_seccomp_add_architecture(t, "SCMP_ARCH_X86", &err));
    OK(nscore_seccomp_add_architecture(t, "SCMP_ARCH_X32", &err));
    status = run_filter(t, r);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(r[0] == getpid());
    CHECK(r[2] == -ENOSYS);
out:
    nscore_seccomp_free(s);
    nscore_seccomp_free(t);
}

int main(void)
{
    default_profile_covers_the_32_bit_abi();
    an_architecture_not_admitted_is_killed();
    return t_failures ? 1 : 0;
}

#else

int main(void)
{
    fprintf(stderr, "x86_64 only\n");
    return T_SKIP;
}

#endif
