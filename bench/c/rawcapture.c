/* rawcapture.c - see rawcapture.h. */
#define _GNU_SOURCE
#include "rawcapture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { RAW_CAPTURE_MIN_READ = 1 << 16 };

struct raw_buffer {
    char *data;
    size_t len, cap;
};

static int64_t capture_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One read into b, grown first when less than RAW_CAPTURE_MIN_READ is free: > 0 read, 0 end of
 * file, -errno. */
static ssize_t read_some(int fd, struct raw_buffer *b)
{
    if (b->cap - b->len < RAW_CAPTURE_MIN_READ) {
        size_t cap = b->cap ? b->cap * 2 : RAW_CAPTURE_MIN_READ;
        char *p = realloc(b->data, cap);
        if (!p)
            return -ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    ssize_t n;
    do
        n = read(fd, b->data + b->len, b->cap - b->len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    b->len += (size_t)n;
    return n;
}

int64_t raw_capture(char *const argv[], size_t *stdout_bytes)
{
    int64_t t0 = capture_now_ns();
    int out[2] = {-1, -1}, err[2] = {-1, -1}, rc = 0;
    struct raw_buffer bufs[2] = {{0}, {0}};
    pid_t pid = -1;
    posix_spawn_file_actions_t fa;
    int have_fa = 0;
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        rc = -errno;
        goto done;
    }
    if ((rc = -posix_spawn_file_actions_init(&fa)) != 0)
        goto done;
    have_fa = 1;
    if ((rc = -posix_spawn_file_actions_adddup2(&fa, out[1], 1)) != 0 ||
        (rc = -posix_spawn_file_actions_adddup2(&fa, err[1], 2)) != 0)
        goto done;
    if ((rc = -posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) != 0) {
        pid = -1;
        goto done;
    }
    close(out[1]);
    close(err[1]);
    out[1] = err[1] = -1;
    struct pollfd fds[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto done;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !fds[i].revents)
                continue;
            ssize_t n = read_some(fds[i].fd, &bufs[i]);
            if (n < 0) {
                rc = (int)n;
                goto done;
            }
            if (n == 0)
                fds[i].fd = -1; /* poll skips negative fds; the pipe is closed below */
        }
    }
done:
    if (pid > 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            rc = -ECHILD;
    }
    if (have_fa)
        posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
    }
    *stdout_bytes = bufs[0].len;
    free(bufs[0].data);
    free(bufs[1].data);
    return rc < 0 ? rc : capture_now_ns() - t0;
}
