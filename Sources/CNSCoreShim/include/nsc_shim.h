/*
 * nsc_shim.h - the C side of NSCore, for the Swift engine only (not installed, not public ABI).
 *
 * Two kinds of code live here:
 *   - syscalls.c: one-line wrappers for calls Swift cannot make directly (variadic prctl/ioctl,
 *     syscalls glibc 2.36 has no wrapper for). They hold no policy.
 *   - spawn.c: the child-side plan executor, the only code that runs between clone() and
 *     execve(). Swift compiles a configuration into a `struct nsc_plan`; the executor walks it
 *     with raw syscalls only.
 */
#ifndef NSC_SHIM_H
#define NSC_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <signal.h>

#include "spawn_plan.h"
#include "nsc_init_protocol.h"
#include "nsc_syscalls.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__clang__)
#pragma clang assume_nonnull begin
#define NSC_NULLABLE _Nullable
#else
#define NSC_NULLABLE
#endif

/* ---- spawn.c ---------------------------------------------------------------------------- */

/*
 * Starts the child described by `plan` and returns without waiting for it: 0 with `out` filled,
 * or -errno from clone3/clone. The child shares the caller's address space (CLONE_VM) and runs
 * on its own stack until execve, so `plan`, everything it points to and `out->stack` must stay
 * untouched until the child has exec'd (nsc_shim_spawn_wait_released for share_files, else EOF on
 * the error pipe) or has been reaped.
 * Then call nsc_shim_spawn_release(). Signals are blocked in the calling thread around clone.
 */
int nsc_shim_spawn_start(const struct nsc_plan *plan, struct nsc_spawn_result *out);

/* Non-zero makes spawns take the paths of kernels before 5.3: clone() instead of clone3, and
 * no close_range (the child unshares its whole fd table, and marks fds close-on-exec by
 * walking /proc/self/fd). For tests of those paths; never called by the library. Not
 * thread-safe: set it only while no other thread spawns. */
void nsc_shim_set_force_clone_fallback(int on);
/* Tests: enter a root filesystem by MS_MOVE and chroot, as on an initramfs root. */
void nsc_shim_set_force_chroot_fallback(int on);
/* Tests: the child's in-root lookups and mount attribute changes take the paths of kernels
 * without openat2 (5.6) and mount_setattr (5.12): a walk with O_NOFOLLOW, bind remounts. */
void nsc_shim_set_force_legacy_mount(int on);

/* For a share_files spawn: waits until the child's memory is released, that is until it has
 * exec'd or exited (result->status->failed then tells which, with the record). */
void nsc_shim_spawn_wait_released(const struct nsc_spawn_result *result);

/* Changes the credentials of the calling thread only (raw setgroups(0), setresgid, setresuid:
 * glibc's wrappers would change every thread of the process), and makes the process dumpable
 * again (a credential change clears that, process-wide). For tests that act as an unprivileged
 * caller from one thread. Returns 0 or -errno. Never called by the library. */
int nsc_shim_thread_drop_to(uid_t uid, gid_t gid);

/* Ends the calling thread at once (SYS_exit), skipping every cleanup: for tests of a spawning
 * thread that dies in the middle of a handshake. Never called by the library. */
void nsc_shim_exit_thread_now(void) __attribute__((noreturn));

/* Says "go" to a share_files child waiting in a SYNC_WAIT step (releases the lock the spawning
 * thread took before clone). Call on the spawning thread; idempotent. */
void nsc_shim_spawn_go(struct nsc_spawn_result *result);

/* Releases the child stack of a spawn whose child has exec'd or been reaped (kept for reuse).
 * Call on the spawning thread (it also says "go" if that was never said). */
void nsc_shim_spawn_release(struct nsc_spawn_result *result);

/* ---- syscalls.c ------------------------------------------------------------------------- */

/* Constants from headers Swift's Glibc module does not import (constants.c). */
extern const int nsc_shim_PR_SET_PDEATHSIG;
extern const unsigned long nsc_shim_TIOCSPTLCK;
extern const unsigned long nsc_shim_TIOCGPTPEER;
extern const unsigned long nsc_shim_TIOCSWINSZ;
extern const unsigned long nsc_shim_TIOCGWINSZ;
extern const unsigned long nsc_shim_TIOCSCTTY;
extern const int nsc_shim_PR_SET_KEEPCAPS;
extern const int nsc_shim_PR_CAPBSET_DROP;
extern const int nsc_shim_PR_CAP_AMBIENT;
extern const int nsc_shim_PR_CAP_AMBIENT_RAISE;
extern const int nsc_shim_PR_CAP_AMBIENT_CLEAR_ALL;
extern const int nsc_shim_PR_SET_NO_NEW_PRIVS;
extern const int nsc_shim_O_PATH;
extern const unsigned int nsc_shim_AT_EMPTY_PATH;
extern const unsigned int nsc_shim_AT_RECURSIVE;
extern const unsigned long long nsc_shim_RESOLVE_NO_MAGICLINKS;
extern const unsigned long long nsc_shim_RESOLVE_NO_SYMLINKS;
extern const unsigned long long nsc_shim_RESOLVE_IN_ROOT;
extern const unsigned int nsc_shim_OPEN_TREE_CLONE;
extern const unsigned int nsc_shim_MOVE_MOUNT_F_EMPTY_PATH;
extern const unsigned int nsc_shim_MOVE_MOUNT_T_EMPTY_PATH;
extern const unsigned int nsc_shim_FSCONFIG_SET_STRING;
extern const unsigned int nsc_shim_FSCONFIG_CMD_CREATE;
extern const unsigned int nsc_shim_MOUNT_ATTR_RDONLY;
extern const unsigned int nsc_shim_MOUNT_ATTR_NOSUID;
extern const unsigned int nsc_shim_MOUNT_ATTR_NODEV;
extern const unsigned int nsc_shim_MOUNT_ATTR_NOEXEC;
extern const unsigned int nsc_shim_MOUNT_ATTR__ATIME;
extern const unsigned int nsc_shim_MOUNT_ATTR_RELATIME;
extern const unsigned int nsc_shim_MOUNT_ATTR_NOATIME;
extern const unsigned int nsc_shim_MOUNT_ATTR_STRICTATIME;
extern const unsigned int nsc_shim_MOUNT_ATTR_NODIRATIME;
extern const unsigned int nsc_shim_FSCONFIG_SET_FLAG;
/* Docker's default masked and read-only paths, relative to the root: entry i, or NULL past
 * the end. Static strings. */
const char *NSC_NULLABLE nsc_shim_default_masked_path(unsigned int i);
const char *NSC_NULLABLE nsc_shim_default_readonly_path(unsigned int i);
/* openat2(dir, path, {flags | O_CLOEXEC, 0, resolve}): an fd, or -errno. */
int nsc_shim_openat2(int dir, const char *path, unsigned long long flags, unsigned long long resolve);

/* Each returns what the syscall returns, with -1 and errno set on failure. */
int nsc_shim_pidfd_open(pid_t pid, unsigned int flags);
int nsc_shim_pidfd_send_signal(int pidfd, int sig, unsigned int flags);
/* waitid(P_PIDFD, pidfd, ...). `status` receives si_status, `code` si_code, `pid` si_pid
 * (0 when WNOHANG found nothing). */
int nsc_shim_waitid_pidfd(int pidfd, int options, int *status, int *code, pid_t *pid);
int nsc_shim_setns(int fd, int nstype);
int nsc_shim_unshare(int flags);
int nsc_shim_prctl_set_pdeathsig(int sig);
/* prctl(PR_CAPBSET_READ, cap): 1 when the calling thread's bounding set has cap. */
int nsc_shim_capbset_read(int cap);

/* struct seccomp_notif and struct seccomp_notif_resp (linux/seccomp.h, Linux 5.0). */
struct nsc_seccomp_notif {
    uint64_t id;
    uint32_t pid;
    uint32_t flags;
    int32_t nr;
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t args[6];
};
struct nsc_seccomp_notif_resp {
    uint64_t id;
    int64_t val;
    int32_t error;
    uint32_t flags;
};
/* NSCore's default seccomp profile for Docker's default capability set, compiled for this
 * machine at build time (default_seccomp.c, tools/gen-default-seccomp.sh): the struct
 * sock_filter bytes and their length, or NULL where there is none (not x86_64). */
const unsigned char *NSC_NULLABLE nsc_shim_default_seccomp(size_t *length);
/* eventfd(0, EFD_CLOEXEC): an fd, or -1 with errno. */
int nsc_shim_eventfd_cloexec(void);
/* signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK): an fd, or -1 with errno. */
int nsc_shim_signalfd(const sigset_t *set);
/* Reads one signal from a signalfd: 1 with *signo and *code (si_code) set, 0 when none is
 * pending, or -errno. */
int nsc_shim_signalfd_read(int fd, int *signo, int *code);

/* TIOCGWINSZ on fd: 0 with *rows and *cols set, or -1 with errno. */
int nsc_shim_get_winsize(int fd, unsigned short *rows, unsigned short *cols);
/* TIOCSWINSZ on fd (pixel sizes 0): 0, or -1 with errno. */
int nsc_shim_set_winsize(int fd, unsigned short rows, unsigned short cols);

/* epoll_create1(EPOLL_CLOEXEC): an fd, or -1 with errno. */
int nsc_shim_epoll_create(void);
/* epoll_ctl(epfd, EPOLL_CTL_ADD, fd) for EPOLLIN with data.u64 = token: 0, or -1 with errno. */
int nsc_shim_epoll_add(int epfd, int fd, uint64_t token);
/* epoll_ctl(epfd, EPOLL_CTL_DEL, fd): 0, or -1 with errno. */
int nsc_shim_epoll_del(int epfd, int fd);
/* epoll_wait(epfd, ..., max, timeout_ms), storing each ready event's data.u64 in tokens[0..n):
 * n, or -1 with errno. (struct epoll_event is packed on x86-64, so Swift never sees it.) */
int nsc_shim_epoll_wait_tokens(int epfd, uint64_t *tokens, int max, int timeout_ms);
/* prctl(PR_SET_NAME, name): names the calling thread; 0, or -1 with errno. */
int nsc_shim_prctl_set_name(const char *name);
/* getxattr(path, name, value, size): the value's length, or -1 with errno. */
long nsc_shim_getxattr(const char *path, const char *name, void *value, size_t size);
/* Receives one fd sent with SCM_RIGHTS on `sock`, without waiting (MSG_CMSG_CLOEXEC): the fd,
 * -EAGAIN when nothing is queued, or -errno. */
int nsc_shim_recv_fd(int sock);
/* Sends `fd` on `sock` with SCM_RIGHTS (one byte of data): 0 or -errno. */
int nsc_shim_send_fd(int sock, int fd);
/* An idmapped clone of the tree at `path`: open_tree(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
 * [| AT_RECURSIVE]), then mount_setattr(MOUNT_ATTR_IDMAP, userns) [AT_RECURSIVE]. The detached
 * mount's fd; -errno when open_tree failed, -(10000 + errno) when mount_setattr did. */
int nsc_shim_idmap_tree(const char *path, int recursive, int userns);
/* SECCOMP_IOCTL_NOTIF_RECV / _SEND / _ID_VALID on a listener: 0 or -errno. */
int nsc_shim_seccomp_notify_receive(int fd, struct nsc_seccomp_notif *n);
int nsc_shim_seccomp_notify_respond(int fd, const struct nsc_seccomp_notif_resp *r);
int nsc_shim_seccomp_notify_id_valid(int fd, uint64_t id);
/* ioctl(fd, NS_GET_NSTYPE / NS_GET_PARENT / NS_GET_USERNS / NS_GET_OWNER_UID) */
int nsc_shim_ns_get_nstype(int fd);

/* The /proc/PID/ns name of kind k (0..7: uts ipc pid net mnt user cgroup time), static; NULL
 * for any other k. */
const char *NSC_NULLABLE nsc_shim_ns_name(int kind);

/* For each kind in `mask` (bit k = NSCore kind k: uts ipc pid net mnt user cgroup time), sets
 * bit k of *differ if process `pid`'s namespace is not the calling thread's
 * (/proc/thread-self/ns). When the pid kind is in `mask` and pid_link is not NULL, copies the
 * target's link text ("pid:[INODE]") there. Returns 0, or -errno when the target's cannot be
 * read, with *failed_kind = the kind (-1: its ns directory), ENOENT or ESRCH when the process
 * is gone. Two path lookups, then one readlinkat per file. */
int nsc_shim_ns_differ(pid_t pid, uint32_t mask, uint32_t *differ, int *failed_kind, char *NSC_NULLABLE pid_link,
                       size_t pid_link_size);
int nsc_shim_ns_get_parent(int fd);
int nsc_shim_ns_get_userns(int fd);
int nsc_shim_ns_get_owner_uid(int fd, uid_t *uid);
/* pipe2(fds, O_CLOEXEC) */
int nsc_shim_pipe2_cloexec(int *fds);
/* memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING) */
int nsc_shim_memfd_create(const char *name);
/* fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) */
int nsc_shim_seal_all(int fd);
/* fcntl(fd, F_GETFD) / fcntl(fd, F_GETFL) helpers for tests */
int nsc_shim_fd_flags(int fd);
/* fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) */
int nsc_shim_set_nonblocking(int fd);
int nsc_shim_open(const char *path, int flags, unsigned int mode);
int nsc_shim_openat(int dirfd, const char *path, int flags, unsigned int mode);

/* The GNU strerror_r: a message for err, in buf or static storage; thread-safe. */
const char *nsc_shim_strerror(int err, char *buf, size_t len);
/* The symbolic name of an errno value ("ENOENT"), or NULL. */
const char *NSC_NULLABLE nsc_shim_errno_name(int err);
/* The name of a plan step kind ("mount"), never NULL. */
const char *nsc_shim_step_name(int kind);

/* A new pty from the multiplexer at `path` below `dir` (openat2 with `resolve`): the node is
 * opened O_PATH and checked to be the multiplexer (char 5:2) before it is opened for real
 * (through /proc/self/fd, so that it cannot be swapped in between), unlocked, given the size
 * rows x cols (0 x 0: left as it is), and its peer opened with TIOCGPTPEER. Returns the
 * multiplexer and stores the peer in *peer, both O_RDWR | O_NOCTTY | O_CLOEXEC; -errno on
 * failure (-ENODEV: the node is not the multiplexer). */
int nsc_shim_pty_open(int dir, const char *path, unsigned long long resolve, unsigned short rows,
                      unsigned short cols, int *peer);

/* The embedded nscore-init program (a static, freestanding ELF); size 0 when not built in. */
const unsigned char *NSC_NULLABLE nsc_shim_init_image(size_t *size);

/* ---- rtnetlink constants (constants.c; linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h, veth.h) */
extern const int nsc_shim_AF_NETLINK;
extern const int nsc_shim_NETLINK_ROUTE;
extern const int nsc_shim_SOL_NETLINK;
extern const int nsc_shim_NETLINK_EXT_ACK;
extern const int nsc_shim_NETLINK_CAP_ACK;
extern const int nsc_shim_NETLINK_GET_STRICT_CHK;
extern const unsigned short nsc_shim_NLM_F_REQUEST;
extern const unsigned short nsc_shim_NLM_F_MULTI;
extern const unsigned short nsc_shim_NLM_F_ACK;
extern const unsigned short nsc_shim_NLM_F_ECHO;
extern const unsigned short nsc_shim_NLM_F_DUMP_INTR;
extern const unsigned short nsc_shim_NLM_F_DUMP_FILTERED;
extern const unsigned short nsc_shim_NLM_F_ROOT;
extern const unsigned short nsc_shim_NLM_F_MATCH;
extern const unsigned short nsc_shim_NLM_F_REPLACE;
extern const unsigned short nsc_shim_NLM_F_EXCL;
extern const unsigned short nsc_shim_NLM_F_CREATE;
extern const unsigned short nsc_shim_NLM_F_APPEND;
extern const unsigned short nsc_shim_NLM_F_CAPPED;
extern const unsigned short nsc_shim_NLM_F_ACK_TLVS;
extern const unsigned short nsc_shim_NLMSG_NOOP;
extern const unsigned short nsc_shim_NLMSG_ERROR;
extern const unsigned short nsc_shim_NLMSG_DONE;
extern const unsigned short nsc_shim_NLMSG_OVERRUN;
extern const unsigned short nsc_shim_NLMSGERR_ATTR_MSG;
extern const unsigned short nsc_shim_NLMSGERR_ATTR_OFFS;
extern const unsigned short nsc_shim_NLMSGERR_ATTR_MISS_TYPE;
extern const unsigned short nsc_shim_NLA_F_NESTED;
extern const unsigned short nsc_shim_NLA_F_NET_BYTEORDER;
extern const unsigned short nsc_shim_NLA_TYPE_MASK;
extern const unsigned short nsc_shim_RTM_NEWLINK;
extern const unsigned short nsc_shim_RTM_DELLINK;
extern const unsigned short nsc_shim_RTM_GETLINK;
extern const unsigned short nsc_shim_RTM_NEWADDR;
extern const unsigned short nsc_shim_RTM_DELADDR;
extern const unsigned short nsc_shim_RTM_GETADDR;
extern const unsigned short nsc_shim_RTM_NEWROUTE;
extern const unsigned short nsc_shim_RTM_DELROUTE;
extern const unsigned short nsc_shim_RTM_GETROUTE;
extern const unsigned short nsc_shim_IFLA_ADDRESS;
extern const unsigned short nsc_shim_IFLA_BROADCAST;
extern const unsigned short nsc_shim_IFLA_IFNAME;
extern const unsigned short nsc_shim_IFLA_MTU;
extern const unsigned short nsc_shim_IFLA_LINK;
extern const unsigned short nsc_shim_IFLA_MASTER;
extern const unsigned short nsc_shim_IFLA_TXQLEN;
extern const unsigned short nsc_shim_IFLA_OPERSTATE;
extern const unsigned short nsc_shim_IFLA_LINKINFO;
extern const unsigned short nsc_shim_IFLA_NET_NS_PID;
extern const unsigned short nsc_shim_IFLA_NET_NS_FD;
extern const unsigned short nsc_shim_IFLA_LINK_NETNSID;
extern const unsigned short nsc_shim_IFLA_INFO_KIND;
extern const unsigned short nsc_shim_IFLA_INFO_DATA;
extern const unsigned short nsc_shim_IFLA_INFO_SLAVE_KIND;
extern const unsigned short nsc_shim_VETH_INFO_PEER;
extern const unsigned short nsc_shim_IFLA_AF_SPEC;
extern const unsigned short nsc_shim_IFLA_EXT_MASK;
extern const unsigned int nsc_shim_RTEXT_FILTER_SKIP_STATS;
extern const unsigned short nsc_shim_IFLA_INET6_ADDR_GEN_MODE;
extern const unsigned short nsc_shim_IFA_ADDRESS;
extern const unsigned short nsc_shim_IFA_LOCAL;
extern const unsigned short nsc_shim_IFA_LABEL;
extern const unsigned short nsc_shim_IFA_BROADCAST;
extern const unsigned short nsc_shim_IFA_CACHEINFO;
extern const unsigned short nsc_shim_IFA_FLAGS;
extern const unsigned short nsc_shim_RTA_DST;
extern const unsigned short nsc_shim_RTA_SRC;
extern const unsigned short nsc_shim_RTA_OIF;
extern const unsigned short nsc_shim_RTA_GATEWAY;
extern const unsigned short nsc_shim_RTA_PRIORITY;
extern const unsigned short nsc_shim_RTA_PREFSRC;
extern const unsigned short nsc_shim_RTA_TABLE;
extern const unsigned int nsc_shim_IFF_UP;
extern const unsigned int nsc_shim_IFF_BROADCAST;
extern const unsigned int nsc_shim_IFF_LOOPBACK;
extern const unsigned int nsc_shim_IFF_POINTOPOINT;
extern const unsigned int nsc_shim_IFF_RUNNING;
extern const unsigned int nsc_shim_IFF_NOARP;
extern const unsigned int nsc_shim_IFF_PROMISC;
extern const unsigned int nsc_shim_IFF_MULTICAST;
extern const unsigned int nsc_shim_IFF_LOWER_UP;
extern const unsigned int nsc_shim_IFF_DORMANT;
extern const unsigned int nsc_shim_IFNAMSIZ;
extern const unsigned int nsc_shim_IFA_F_SECONDARY;
extern const unsigned int nsc_shim_IFA_F_NODAD;
extern const unsigned int nsc_shim_IFA_F_OPTIMISTIC;
extern const unsigned int nsc_shim_IFA_F_DADFAILED;
extern const unsigned int nsc_shim_IFA_F_HOMEADDRESS;
extern const unsigned int nsc_shim_IFA_F_DEPRECATED;
extern const unsigned int nsc_shim_IFA_F_TENTATIVE;
extern const unsigned int nsc_shim_IFA_F_PERMANENT;
extern const unsigned int nsc_shim_IFA_F_NOPREFIXROUTE;
extern const unsigned char nsc_shim_RT_TABLE_UNSPEC;
extern const unsigned char nsc_shim_RT_TABLE_MAIN;
extern const unsigned char nsc_shim_RT_TABLE_LOCAL;
extern const unsigned char nsc_shim_RT_SCOPE_UNIVERSE;
extern const unsigned char nsc_shim_RT_SCOPE_SITE;
extern const unsigned char nsc_shim_RT_SCOPE_LINK;
extern const unsigned char nsc_shim_RT_SCOPE_HOST;
extern const unsigned char nsc_shim_RT_SCOPE_NOWHERE;
extern const unsigned char nsc_shim_RTN_UNSPEC;
extern const unsigned char nsc_shim_RTN_UNICAST;
extern const unsigned char nsc_shim_RTN_LOCAL;
extern const unsigned char nsc_shim_RTN_BROADCAST;
extern const unsigned char nsc_shim_RTN_ANYCAST;
extern const unsigned char nsc_shim_RTN_MULTICAST;
extern const unsigned char nsc_shim_RTN_BLACKHOLE;
extern const unsigned char nsc_shim_RTN_UNREACHABLE;
extern const unsigned char nsc_shim_RTN_PROHIBIT;
extern const unsigned char nsc_shim_RTPROT_UNSPEC;
extern const unsigned char nsc_shim_RTPROT_KERNEL;
extern const unsigned char nsc_shim_RTPROT_BOOT;
extern const unsigned char nsc_shim_RTPROT_STATIC;
extern const unsigned char nsc_shim_RTPROT_RA;
extern const unsigned int nsc_shim_RTM_F_CLONED;
extern const unsigned char nsc_shim_IF_OPER_UNKNOWN;
extern const unsigned char nsc_shim_IF_OPER_NOTPRESENT;
extern const unsigned char nsc_shim_IF_OPER_DOWN;
extern const unsigned char nsc_shim_IF_OPER_LOWERLAYERDOWN;
extern const unsigned char nsc_shim_IF_OPER_TESTING;
extern const unsigned char nsc_shim_IF_OPER_DORMANT;
extern const unsigned char nsc_shim_IF_OPER_UP;

#if defined(__clang__)
#pragma clang assume_nonnull end
#endif

#ifdef __cplusplus
}
#endif
#endif
