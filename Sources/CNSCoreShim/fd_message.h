/*
 * fd_message.h - one fd passed over a unix socket (SCM_RIGHTS, with one byte of data), for both
 * ends of the handshake: the child's executor (raw syscalls only) and the parent's shim. Only the
 * message is built and read here; each side makes the sendmsg/recvmsg call its own way.
 * Async-signal-safe: no libc call, no allocation.
 */
#ifndef NSC_FD_MESSAGE_H
#define NSC_FD_MESSAGE_H

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct nsc_fd_message {
    struct msghdr msg;
    struct iovec iov;
    char byte;
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
};

/* Prepares `m` to carry `fd` (fd >= 0), or to receive one (fd < 0). `m` must not move after. */
static inline void nsc_fd_message_init(struct nsc_fd_message *m, int fd)
{
    __builtin_memset(m, 0, sizeof(*m));
    m->byte = 'f';
    m->iov.iov_base = &m->byte;
    m->iov.iov_len = 1;
    m->msg.msg_iov = &m->iov;
    m->msg.msg_iovlen = 1;
    m->msg.msg_control = m->control.space;
    m->msg.msg_controllen = sizeof(m->control.space);
    if (fd >= 0) {
        struct cmsghdr *c = CMSG_FIRSTHDR(&m->msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        __builtin_memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
}

/* The fd a recvmsg that returned `n` (or -errno) brought in `m`: the fd, or -errno
 * (-ECONNABORTED at end of stream, -EPROTO for a message without exactly one fd). */
static inline long nsc_fd_message_take(struct nsc_fd_message *m, long n)
{
    if (n < 0)
        return n;
    if (n == 0)
        return -ECONNABORTED;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m->msg);
    if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -EPROTO;
    int fd;
    __builtin_memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

#endif
