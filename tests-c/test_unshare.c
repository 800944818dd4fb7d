/* nscore_unshare on the calling process: done in forked children so that the test process
 * itself never changes. A single-threaded child gets a UTS namespace of its own; a child with
 * two threads is refused a mount namespace with NSCORE_EBUSY. */
#include "test.h"

#include <pthread.h>

/* Runs fn in a forked child and returns its exit code (or 100 + signal). */
static int in_child(int (*fn)(void))
{
    int s;
    pid_t pid = fork();
    if (pid == 0) _exit(fn());
    if (pid < 0 || waitpid(pid, &s, 0) != pid) return -1;
    return WIFEXITED(s) ? WEXITSTATUS(s) : 100 + WTERMSIG(s);
}

static int unshare_uts(void)
{
    char name[256];
    nscore_error *e = NULL;
    unsigned long long before = t_ns_inode(0, "uts");
    if (nscore_unshare(NSCORE_NS_UTS, &e) != 0) {
        fprintf(stderr, "unshare(uts): %s\n", nscore_error_message(e));
        return 1;
    }
    if (t_ns_inode(0, "uts") == before) return 2;
    if (sethostname("nscore-unshared", 15) != 0) return 3;
    if (gethostname(name, sizeof name) != 0 || strcmp(name, "nscore-unshared") != 0) return 4;
    return 0;
}

static int pipe_fds[2];

static void *blocker(void *arg)
{
    char c;
    (void)arg;
    while (read(pipe_fds[0], &c, 1) < 0 && errno == EINTR) {}
    return NULL;
}

static int unshare_mnt_two_threads(void)
{
    pthread_t t;
    nscore_error *e = NULL;
    int rc, result = 0;
    if (pipe(pipe_fds) != 0 || pthread_create(&t, NULL, blocker, NULL) != 0) return 10;
    rc = nscore_unshare(NSCORE_NS_MNT, &e);
    if (rc != NSCORE_EBUSY) {
        fprintf(stderr, "unshare(mnt) with 2 threads returned %d: %s\n", rc, e ? nscore_error_message(e) : "");
        result = 11;
    } else if (e == NULL || nscore_error_code(e) != NSCORE_EBUSY || strstr(nscore_error_message(e), "thread") == NULL) {
        fprintf(stderr, "unexpected error object: %s\n", e ? nscore_error_message(e) : "(none)");
        result = 12;
    }
    nscore_error_free(e);
    /* UTS is per-thread-safe: allowed with two threads. */
    e = NULL;
    if (geteuid() == 0 && nscore_unshare(NSCORE_NS_UTS, &e) != 0) {
        fprintf(stderr, "unshare(uts) with 2 threads: %s\n", nscore_error_message(e));
        result = 13;
    }
    nscore_error_free(e);
    if (write(pipe_fds[1], "x", 1) != 1) result = 14;
    pthread_join(t, NULL);
    return result;
}

static int unshare_user_unprivileged(void)
{
    nscore_error *e = NULL;
    unsigned long long before = t_ns_inode(0, "user");
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) return 20;
    /* Without privilege, UTS alone is refused... */
    if (nscore_unshare(NSCORE_NS_UTS, &e) != NSCORE_EPERM) return 21;
    nscore_error_free(e);
    e = NULL;
    /* ...but works together with a new user namespace. */
    if (nscore_unshare(NSCORE_NS_USER | NSCORE_NS_UTS, &e) != 0) {
        fprintf(stderr, "unshare(user,uts) as 65534: %s\n", nscore_error_message(e));
        return 22;
    }
    if (t_ns_inode(0, "user") == before) return 23;
    return 0;
}

int main(void)
{
    char before[256], after[256];
    int rc;
    alarm(60);
    if (geteuid() != 0) {
        printf("needs root\n");
        return T_SKIP;
    }
    REQUIRE(gethostname(before, sizeof before) == 0);
    rc = in_child(unshare_uts);
    if (rc != 0) fprintf(stderr, "unshare_uts child: %d\n", rc);
    CHECK(rc == 0);
    REQUIRE(gethostname(after, sizeof after) == 0);
    CHECK(strcmp(before, after) == 0);

    rc = in_child(unshare_mnt_two_threads);
    if (rc != 0) fprintf(stderr, "unshare_mnt_two_threads child: %d\n", rc);
    CHECK(rc == 0);

    rc = in_child(unshare_user_unprivileged);
    if (rc != 0) fprintf(stderr, "unshare_user_unprivileged child: %d\n", rc);
    CHECK(rc == 0);
out:
    return t_result();
}
