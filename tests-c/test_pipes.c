/* NSCORE_STDIO_PIPE: the caller's ends from nscore_container_stdio_fd() (O_CLOEXEC, handed out
 * once), 1 MiB through a `cat` container with poll(2), SIGPIPE for a command whose reader is
 * gone (never for us), bad stream numbers, and a join with pipes. */
#include "test.h"

#include <poll.h>

#define MIB (1 << 20)

/* Writes `in` (n bytes) to `wfd` and reads `rfd` into `out` (cap bytes) together with poll(2),
 * closing `wfd` once everything is written. Returns the bytes read, -1 on error. */
static long pump(int wfd, const unsigned char *in, size_t n, int rfd, unsigned char *out, size_t cap)
{
    size_t sent = 0, got = 0;
    int flags = fcntl(wfd, F_GETFL);
    fcntl(wfd, F_SETFL, flags | O_NONBLOCK);
    for (;;) {
        struct pollfd p[2] = {{wfd, POLLOUT, 0}, {rfd, POLLIN, 0}};
        if (wfd < 0 && rfd < 0) break;
        if (poll(p, 2, 10000) <= 0) return -1;
        if (wfd >= 0 && p[0].revents) {
            ssize_t k = write(wfd, in + sent, n - sent > 65536 ? 65536 : n - sent);
            if (k < 0 && errno != EAGAIN) return -1;
            if (k > 0) sent += (size_t)k;
            if (sent == n) {
                close(wfd);
                wfd = -1;
            }
        }
        if (rfd >= 0 && p[1].revents) {
            ssize_t k = read(rfd, out + got, cap - got);
            if (k < 0) return -1;
            if (k == 0) {
                close(rfd);
                rfd = -1;
            } else {
                got += (size_t)k;
            }
        }
    }
    return (long)got;
}

static void cat_one_mebibyte(void)
{
    const char *argv[] = {"cat", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_PID);
    nscore_container *c = NULL;
    unsigned char *in = malloc(MIB), *out = malloc(MIB + 1);
    int wfd = -1, rfd = -1, s = -1, fds = t_count_fds();
    REQUIRE(cfg != NULL && in != NULL && out != NULL);
    for (size_t i = 0; i < MIB; i++) in[i] = (unsigned char)(i * 7 + (i >> 11));
    OK(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_PIPE, -1, &err));
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_PIPE, -1, &err));
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_container_stdio_fd(c, 0, &wfd, &err));
    OK(nscore_container_stdio_fd(c, 1, &rfd, &err));
    /* Ours, close-on-exec; stdin's is the write end, stdout's the read end. */
    CHECK(fcntl(wfd, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(rfd, F_GETFD) & FD_CLOEXEC);
    CHECK((fcntl(wfd, F_GETFL) & O_ACCMODE) == O_WRONLY);
    CHECK((fcntl(rfd, F_GETFL) & O_ACCMODE) == O_RDONLY);
    /* Handed out once. */
    {
        int again = -1;
        FAILS(nscore_container_stdio_fd(c, 1, &again, &err), NSCORE_EINVAL, "handed out");
        CHECK(again == -1);
    }
    {
        long got = pump(wfd, in, MIB, rfd, out, MIB + 1);
        wfd = rfd = -1; /* pump closed them */
        CHECK(got == MIB);
        CHECK(got == MIB && memcmp(in, out, MIB) == 0);
    }
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    if (wfd >= 0) close(wfd);
    if (rfd >= 0) close(rfd);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    free(in);
    free(out);
    CHECK(t_count_fds() == fds);
}

static void modes_and_bad_streams(void)
{
    const char *argv[] = {"sh", "-c", "echo err >&2", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS);
    nscore_container *c = NULL;
    char buf[64];
    int fd = -1, s = -1, fds = t_count_fds();
    REQUIRE(cfg != NULL);
    FAILS(nscore_spawn_config_set_stdio(cfg, 1, 4, -1, &err), NSCORE_EINVAL, "mode");
    FAILS(nscore_spawn_config_set_stdio(cfg, 3, NSCORE_STDIO_PIPE, -1, &err), NSCORE_EINVAL, "stream");
    OK(nscore_spawn_config_set_stdio(cfg, 2, NSCORE_STDIO_PIPE, -1, &err));
    OK(nscore_spawn(cfg, &c, &err));
    FAILS(nscore_container_stdio_fd(c, 3, &fd, &err), NSCORE_EINVAL, "stream");
    FAILS(nscore_container_stdio_fd(c, -1, &fd, &err), NSCORE_EINVAL, "stream");
    FAILS(nscore_container_stdio_fd(c, 0, &fd, &err), NSCORE_EINVAL, "not a pipe");
    FAILS(nscore_container_stdio_fd(c, 2, NULL, &err), NSCORE_EINVAL, "fd_out");
    FAILS(nscore_container_stdio_fd(NULL, 2, &fd, &err), NSCORE_EINVAL, NULL);
    CHECK(fd == -1);
    OK(nscore_container_stdio_fd(c, 2, &fd, &err));
    CHECK(t_read_all(fd, buf, sizeof buf) == 4 && strcmp(buf, "err\n") == 0);
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    if (fd >= 0) close(fd);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    CHECK(t_count_fds() == fds);
}

static void unclaimed_ends_are_closed_by_free(void)
{
    const char *argv[] = {"sleep", "10", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS);
    nscore_container *c = NULL;
    int fds = t_count_fds();
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_PIPE, -1, &err));
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_PIPE, -1, &err));
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(t_count_fds() == fds + 3); /* the pidfd and our two ends */
    nscore_container_free(c);
    c = NULL;
    CHECK(t_count_fds() == fds);
    /* A failed spawn leaves no end of any pipe behind. */
    {
        const char *missing[] = {"/nonexistent/command", NULL};
        OK(nscore_spawn_config_set_argv(cfg, missing, &err));
        FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ENOTFOUND, NULL);
        CHECK(c == NULL);
        CHECK(t_count_fds() == fds);
    }
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void early_close_gives_the_command_sigpipe(void)
{
    /* Not PID 1 of a new PID namespace: the kernel drops SIGPIPE for an init without a handler. */
    const char *argv[] = {"sh", "-c", "sleep 0.2; exec yes", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS);
    nscore_container *c = NULL;
    int fd = -1, s = -1;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_PIPE, -1, &err));
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_container_stdio_fd(c, 1, &fd, &err));
    close(fd);
    fd = -1;
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGPIPE);
out:
    if (fd >= 0) close(fd);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

static void join_with_pipes(void)
{
    const char *argv[] = {"sleep", "10", NULL};
    const char *jargv[] = {"sh", "-c", "tr a-z A-Z", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS);
    nscore_join_config *j = NULL;
    nscore_container *target = NULL, *c = NULL;
    int wfd = -1, rfd = -1, s = -1;
    char buf[64];
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &target, &err));
    OK(nscore_join_config_new(&j, &err));
    OK(nscore_join_config_set_target_pid(j, nscore_container_pid(target), &err));
    OK(nscore_join_config_set_argv(j, jargv, &err));
    OK(nscore_join_config_set_stdio(j, 0, NSCORE_STDIO_PIPE, -1, &err));
    OK(nscore_join_config_set_stdio(j, 1, NSCORE_STDIO_PIPE, -1, &err));
    OK(nscore_join(j, &c, &err));
    OK(nscore_container_stdio_fd(c, 0, &wfd, &err));
    OK(nscore_container_stdio_fd(c, 1, &rfd, &err));
    CHECK(fcntl(rfd, F_GETFD) & FD_CLOEXEC);
    CHECK(write(wfd, "joined\n", 7) == 7);
    close(wfd);
    wfd = -1;
    CHECK(t_read_all(rfd, buf, sizeof buf) == 7 && strcmp(buf, "JOINED\n") == 0);
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    if (wfd >= 0) close(wfd);
    if (rfd >= 0) close(rfd);
    nscore_container_free(c);
    nscore_container_stop(target, 1000, NULL, NULL);
    nscore_container_free(target);
    nscore_join_config_free(j);
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    alarm(60);
    if (geteuid() != 0) {
        printf("needs root\n");
        return T_SKIP;
    }
    cat_one_mebibyte();
    modes_and_bad_streams();
    unclaimed_ends_are_closed_by_free();
    early_close_gives_the_command_sigpipe();
    join_with_pipes();
    return t_result();
}
