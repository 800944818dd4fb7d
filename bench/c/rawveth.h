/*
 * rawveth.h - the hand-written baseline for a container with a veth network.
 *
 * No libnscore and no `ip`: one process that sends the rtnetlink messages itself, as a careful
 * C programmer would, for what `nscore run -n --network veth --bridge BR:CIDR --ip A/P
 * --gateway G -- /bin/true` asks:
 *   - at open: a route socket; the bridge looked up (created with its address and brought up
 *     when missing, as NSCore does); the caller's own network namespace kept open;
 *   - per spawn: a fork-style clone3 into a new network namespace (rawloop.c, lo up in the
 *     child) whose child waits on a pipe while the parent
 *       1. creates the pair in one RTM_NEWLINK: the host end named HOST, up, on the bridge
 *          (IFLA_MASTER), its peer "eth0" created directly in the child's namespace
 *          (IFLA_NET_NS_PID);
 *       2. opens a route socket inside the child's namespace (setns to it, socket, setns back);
 *       3. looks up eth0's index there (RTM_GETLINK by name), adds the address (RTM_NEWADDR),
 *          turns off its IPv6 link-local address (RTM_NEWLINK, IFLA_INET6_ADDR_GEN_MODE none,
 *          as NSCore does for a container with no IPv6 address), brings it up (RTM_NEWLINK)
 *          and adds the default route via the gateway (RTM_NEWROUTE);
 *     then lets the child exec; after waitpid the host end is deleted (RTM_DELLINK by name;
 *     ENODEV when the kernel already removed it with the namespace).
 * Each request waits for the kernel's ack.
 */
#ifndef NSBENCH_RAWVETH_H
#define NSBENCH_RAWVETH_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct raw_veth {
    int rtnl;           /* route socket in the caller's network namespace */
    int self_netns;     /* the caller's network namespace, to go back to */
    int bridge_index;
    uint8_t address[4]; /* the container's IPv4 address, network order */
    int prefix;
    uint8_t gateway[4];
    unsigned serial;    /* host end names: "rv", this process's pid in hex, a serial */
} raw_veth;

/** Opens the socket and finds (or makes) the bridge `bridge` with address `bridge_cidr`
 *  ("10.0.0.1/24"); the container gets `cidr` and the default route via `gateway`.
 *  Returns 0 or -errno. */
int raw_veth_open(raw_veth *v, const char *bridge, const char *bridge_cidr, const char *cidr, const char *gateway);
void raw_veth_close(raw_veth *v);

/** One container: clone3 (new network namespace), the setup above, execve(path). Returns the
 *  pid, or -errno (nothing is left behind); `host` gets the host end's name. */
pid_t raw_veth_start(raw_veth *v, char host[16], const char *path, char *const argv[]);

/** waitpid + delete the host end `host`. Returns the wait status, or -errno. */
int raw_veth_finish(raw_veth *v, pid_t pid, const char *host);

/** Deletes the host end `host` (kill + reap the container first). 0, or -errno. */
int raw_veth_delete(raw_veth *v, const char *host);

/** n times start + finish of /bin/true; elapsed nanoseconds, or -errno (-EPROTO: a non-zero
 *  exit status). */
int64_t raw_veth_batch(raw_veth *v, const char *path, int n);

#ifdef __cplusplus
}
#endif
#endif
