/* nscore_process_config_set_terminal and nscore_container_terminal_fd: the command leads a new
 * session on a new pty of the requested size, its input and output go through the multiplexer,
 * a join gets a terminal too, the multiplexer is handed out once and closed by free, and bad
 * arguments are refused with a message naming them. */
#include "test.h"

#include <poll.h>

/* Reads `fd` into buf (NUL-terminated) until `needle` appears, EOF/EIO, or 10 s. Returns the
 * length read. */
static size_t read_until(int fd, char *buf, size_t n, const char *needle)
{
    size_t got = 0;
    buf[0] = 0;
    for (int i = 0; i < 100 && got + 1 < n; i++) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t k = read(fd, buf + got, n - 1 - got);
        if (k <= 0) break;
        got += (size_t)k;
        buf[got] = 0;
        if (needle && strstr(buf, needle)) break;
    }
    return got;
}

/* Field `k` (1-based, after the command name) of /proc/PID/stat, or -1. */
static long stat_field(pid_t pid, int k)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = t_read_all(fd, buf, sizeof buf);
    close(fd);
    char *p = n ? strrchr(buf, ')') : NULL;
    if (!p) return -1;
    for (int i = 0; i < k && p; i++) p = strchr(p + 1, ' ');
    return p ? strtol(p + 1, NULL, 10) : -1;
}

static void session_size_and_io(void)
{
    const char *argv[] = {"sh", "-c", "stty size; tty; read x; echo got:$x", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS | NSCORE_NS_PID);
    nscore_container *c = NULL;
    char buf[4096];
    int m = -1, s = -1, fds = t_count_fds();
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_terminal(cfg, 1, 40, 120, &err));
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_container_terminal_fd(c, &m, &err));
    CHECK(fcntl(m, F_GETFD) & FD_CLOEXEC);
    {
        int again = -1;
        FAILS(nscore_container_terminal_fd(c, &again, &err), NSCORE_EINVAL, "handed out");
        CHECK(again == -1);
        /* No stream is a pipe: every one is the terminal. */
        FAILS(nscore_container_stdio_fd(c, 1, &again, &err), NSCORE_EINVAL, "not a pipe");
    }
    read_until(m, buf, sizeof buf, "/dev/pts/");
    CHECK(strstr(buf, "40 120\r\n") != NULL);
    CHECK(strstr(buf, "/dev/pts/") != NULL);
    /* From outside: it leads its own session (field 4), has a controlling terminal (5) whose
     * foreground group is its own (6). */
    {
        pid_t pid = nscore_container_pid(c);
        CHECK(stat_field(pid, 4) == pid);
        CHECK(stat_field(pid, 5) > 0);
        CHECK(stat_field(pid, 6) == pid);
    }
    CHECK(write(m, "abc\n", 4) == 4);
    read_until(m, buf, sizeof buf, NULL); /* to EIO: every copy of the terminal is closed */
    CHECK(strstr(buf, "got:abc") != NULL);
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    if (m >= 0) close(m);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    CHECK(t_count_fds() == fds);
}

static void join_gets_a_terminal(void)
{
    const char *sleeper[] = {"sleep", "30", NULL};
    const char *argv[] = {"sh", "-c", "tty; stty size", NULL};
    nscore_spawn_config *cfg = t_config(sleeper, NSCORE_NS_UTS);
    nscore_join_config *j = NULL;
    nscore_container *target = NULL, *c = NULL;
    char buf[4096];
    int m = -1, s = -1;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &target, &err));
    OK(nscore_join_config_new(&j, &err));
    OK(nscore_join_config_set_target_pid(j, nscore_container_pid(target), &err));
    OK(nscore_join_config_set_namespaces(j, NSCORE_NS_UTS, &err));
    OK(nscore_join_config_set_argv(j, argv, &err));
    OK(nscore_process_config_set_terminal(nscore_join_config_process(j), 1, 12, 34, &err));
    OK(nscore_join(j, &c, &err));
    OK(nscore_container_terminal_fd(c, &m, &err));
    read_until(m, buf, sizeof buf, NULL);
    CHECK(strncmp(buf, "/dev/pts/", 9) == 0);
    CHECK(strstr(buf, "12 34\r\n") != NULL);
    OK(nscore_container_wait(c, 10000, &s, &err));
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
out:
    if (m >= 0) close(m);
    nscore_container_free(c);
    nscore_container_stop(target, 1000, NULL, NULL);
    nscore_container_free(target);
    nscore_join_config_free(j);
    nscore_spawn_config_free(cfg);
}

static void bad_input_and_unclaimed(void)
{
    const char *argv[] = {"sleep", "10", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS);
    nscore_container *c = NULL;
    int fd = -1, fds = t_count_fds();
    REQUIRE(cfg != NULL);
    FAILS(nscore_spawn_config_set_terminal(cfg, 2, 0, 0, &err), NSCORE_EINVAL, "enable");
    FAILS(nscore_spawn_config_set_terminal(cfg, 1, 70000, 10, &err), NSCORE_EINVAL, "65535");
    FAILS(nscore_spawn_config_set_terminal(cfg, 0, 10, 10, &err), NSCORE_EINVAL, "enable 1");
    FAILS(nscore_spawn_config_set_terminal(NULL, 1, 0, 0, &err), NSCORE_EINVAL, NULL);
    FAILS(nscore_process_config_set_terminal(NULL, 1, 0, 0, &err), NSCORE_EINVAL, NULL);
    /* No terminal asked for: none to hand out. */
    OK(nscore_spawn(cfg, &c, &err));
    FAILS(nscore_container_terminal_fd(c, &fd, &err), NSCORE_EINVAL, "no terminal");
    FAILS(nscore_container_terminal_fd(c, NULL, &err), NSCORE_EINVAL, "fd_out");
    FAILS(nscore_container_terminal_fd(NULL, &fd, &err), NSCORE_EINVAL, NULL);
    CHECK(fd == -1);
    nscore_container_free(c);
    c = NULL;
    /* A multiplexer never handed out is closed by free. */
    OK(nscore_spawn_config_set_terminal(cfg, 1, 0, 0, &err));
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(t_count_fds() == fds + 2); /* the pidfd and the multiplexer */
    nscore_container_free(c);
    c = NULL;
    CHECK(t_count_fds() == fds);
    /* A failed spawn leaves no pty behind. */
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

/* A plain spawn leads a new session (TIOCSTI on an inherited terminal cannot reach the caller's
 * shell); set_new_session(0) keeps the caller's. */
static void new_session_by_default(void)
{
    const char *argv[] = {"sleep", "10", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS);
    nscore_container *c = NULL, *d = NULL;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    CHECK(stat_field(nscore_container_pid(c), 4) == nscore_container_pid(c));
    FAILS(nscore_process_config_set_new_session(nscore_spawn_config_process(cfg), 2, &err), NSCORE_EINVAL, "enable");
    FAILS(nscore_process_config_set_new_session(NULL, 1, &err), NSCORE_EINVAL, NULL);
    OK(nscore_process_config_set_new_session(nscore_spawn_config_process(cfg), 0, &err));
    OK(nscore_spawn(cfg, &d, &err));
    CHECK(stat_field(nscore_container_pid(d), 4) == getsid(0));
out:
    nscore_container_stop(c, 0, NULL, NULL);
    nscore_container_stop(d, 0, NULL, NULL);
    nscore_container_free(c);
    nscore_container_free(d);
    nscore_spawn_config_free(cfg);
}

int main(void)
{
    alarm(60);
    if (geteuid() != 0) {
        printf("needs root\n");
        return T_SKIP;
    }
    session_size_and_io();
    join_gets_a_terminal();
    bad_input_and_unclaimed();
    new_session_by_default();
    return t_result();
}
