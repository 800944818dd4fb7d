/*
 * rawveth.c - the hand-written veth-network baseline (see rawveth.h).
 *
 * Built twice by bench/run.sh: into bench (the in-process loop) and, with -DRAWVETH_MAIN, as
 * the small stand-alone program that `nscore run --network veth` is measured against:
 *
 *   rawveth BRIDGE BRIDGE_CIDR CIDR GATEWAY PATH [ARG...]
 *                   one container running PATH; exits with its status (125: setup failed)
 *   rawveth --batch N BRIDGE BRIDGE_CIDR CIDR GATEWAY
 *                   N containers running /bin/true; prints the elapsed ns
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rawveth.h"
#include "rawloop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- a netlink request --------------------------------------------------------------------- */

typedef struct req {
    struct nlmsghdr *h;
    char buf[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
} req;

static void *req_init(req *r, uint16_t type, uint16_t flags, size_t body)
{
    memset(r->buf, 0, sizeof r->buf);
    r->h = (struct nlmsghdr *)r->buf;
    r->h->nlmsg_type = type;
    r->h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    r->h->nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
    return NLMSG_DATA(r->h);
}

static struct rtattr *put(req *r, uint16_t type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)(r->buf + NLMSG_ALIGN(r->h->nlmsg_len));
    a->rta_type = type;
    a->rta_len = (uint16_t)RTA_LENGTH(len);
    if (len)
        memcpy(RTA_DATA(a), data, len);
    r->h->nlmsg_len = (uint32_t)(NLMSG_ALIGN(r->h->nlmsg_len) + RTA_ALIGN(a->rta_len));
    return a;
}

static struct rtattr *nest(req *r, uint16_t type)
{
    return put(r, type, NULL, 0);
}

static void nest_end(req *r, struct rtattr *a)
{
    a->rta_len = (uint16_t)(r->buf + r->h->nlmsg_len - (char *)a);
}

/* Sends the request and reads its reply: 0 on ack; -errno on an error reply. With `index`, a
 * RTM_NEWLINK reply's ifi_index is stored there (for RTM_GETLINK). */
static int talk(int fd, req *r, int *index)
{
    static uint32_t seq;
    r->h->nlmsg_seq = ++seq;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(fd, r->buf, r->h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
        return -errno;
    char reply[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n = recv(fd, reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != r->h->nlmsg_seq)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR)
                return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
            if (h->nlmsg_type == RTM_NEWLINK && index) {
                *index = ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
                return 0;
            }
        }
    }
}

static int rtnl_socket(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct sockaddr_nl self = { .nl_family = AF_NETLINK };
    if (bind(fd, (struct sockaddr *)&self, sizeof self) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static int get_index(int fd, const char *name, int *index)
{
    req r;
    req_init(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
    put(&r, IFLA_IFNAME, name, strlen(name) + 1);
    r.h->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
    return talk(fd, &r, index);
}

static int set_up(int fd, int index)
{
    req r;
    struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof *ifi);
    ifi->ifi_index = index;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return talk(fd, &r, NULL);
}

/* RTM_NEWLINK with IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE none } }: no IPv6
 * link-local address on eth0, as NSCore does for a container with no IPv6 address. */
static int no_link_local(int fd, int index)
{
    req r;
    struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof *ifi);
    ifi->ifi_index = index;
    struct rtattr *spec = nest(&r, IFLA_AF_SPEC);
    struct rtattr *inet6 = nest(&r, AF_INET6);
    uint8_t mode = IN6_ADDR_GEN_MODE_NONE;
    put(&r, IFLA_INET6_ADDR_GEN_MODE, &mode, 1);
    nest_end(&r, inet6);
    nest_end(&r, spec);
    return talk(fd, &r, NULL);
}

static int add_address(int fd, int index, const uint8_t a[4], int prefix)
{
    req r;
    struct ifaddrmsg *ifa = req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (uint8_t)prefix;
    ifa->ifa_index = (uint32_t)index;
    put(&r, IFA_LOCAL, a, 4);
    put(&r, IFA_ADDRESS, a, 4);
    return talk(fd, &r, NULL);
}

static int parse_cidr(const char *s, uint8_t a[4], int *prefix)
{
    char copy[32];
    snprintf(copy, sizeof copy, "%s", s);
    char *slash = strchr(copy, '/');
    if (!slash)
        return -EINVAL;
    *slash = 0;
    *prefix = atoi(slash + 1);
    return inet_pton(AF_INET, copy, a) == 1 && *prefix >= 0 && *prefix <= 32 ? 0 : -EINVAL;
}

/* ---- open / close ---------------------------------------------------------------------------- */

int raw_veth_open(raw_veth *v, const char *bridge, const char *bridge_cidr, const char *cidr, const char *gateway)
{
    memset(v, 0, sizeof *v);
    v->rtnl = v->self_netns = -1;
    uint8_t baddr[4];
    int bprefix, rc;
    if (parse_cidr(bridge_cidr, baddr, &bprefix) < 0 || parse_cidr(cidr, v->address, &v->prefix) < 0 ||
        inet_pton(AF_INET, gateway, v->gateway) != 1)
        return -EINVAL;
    if ((v->rtnl = rtnl_socket()) < 0)
        return v->rtnl;
    if ((v->self_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
        rc = -errno;
        goto fail;
    }
    if (get_index(v->rtnl, bridge, &v->bridge_index) == -ENODEV) {
        req r;
        struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
        (void)ifi;
        put(&r, IFLA_IFNAME, bridge, strlen(bridge) + 1);
        struct rtattr *info = nest(&r, IFLA_LINKINFO);
        put(&r, IFLA_INFO_KIND, "bridge", 6);
        nest_end(&r, info);
        if ((rc = talk(v->rtnl, &r, NULL)) < 0 || (rc = get_index(v->rtnl, bridge, &v->bridge_index)) < 0 ||
            (rc = add_address(v->rtnl, v->bridge_index, baddr, bprefix)) < 0)
            goto fail;
    }
    if (v->bridge_index <= 0 || (rc = set_up(v->rtnl, v->bridge_index)) < 0) {
        rc = v->bridge_index <= 0 ? -ENODEV : rc;
        goto fail;
    }
    return 0;
fail:
    raw_veth_close(v);
    return rc;
}

void raw_veth_close(raw_veth *v)
{
    if (v->rtnl >= 0)
        close(v->rtnl);
    if (v->self_netns >= 0)
        close(v->self_netns);
    v->rtnl = v->self_netns = -1;
}

/* ---- one container ---------------------------------------------------------------------------- */

struct setup {
    raw_veth *v;
    const char *host;
};

/* A route socket inside the network namespace of pid: this thread enters it for socket(2). */
static int socket_in(raw_veth *v, pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0)
        return -errno;
    int fd = setns(ns, CLONE_NEWNET) < 0 ? -errno : rtnl_socket();
    close(ns);
    if (setns(v->self_netns, CLONE_NEWNET) < 0)
        abort(); /* this thread would stay in the container's namespace */
    return fd;
}

static int setup(pid_t pid, void *arg)
{
    struct setup *s = arg;
    raw_veth *v = s->v;
    req r;
    struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    put(&r, IFLA_IFNAME, s->host, strlen(s->host) + 1);
    uint32_t master = (uint32_t)v->bridge_index;
    put(&r, IFLA_MASTER, &master, 4);
    struct rtattr *info = nest(&r, IFLA_LINKINFO);
    put(&r, IFLA_INFO_KIND, "veth", 4);
    struct rtattr *data = nest(&r, IFLA_INFO_DATA);
    struct rtattr *peer = nest(&r, VETH_INFO_PEER);
    r.h->nlmsg_len += (uint32_t)sizeof(struct ifinfomsg); /* the peer's ifinfomsg, zeroed */
    put(&r, IFLA_IFNAME, "eth0", 5);
    uint32_t p = (uint32_t)pid;
    put(&r, IFLA_NET_NS_PID, &p, 4);
    nest_end(&r, peer);
    nest_end(&r, data);
    nest_end(&r, info);
    int rc = talk(v->rtnl, &r, NULL);
    if (rc < 0)
        return rc;
    int fd = socket_in(v, pid), index = 0;
    if (fd < 0) {
        rc = fd;
    } else {
        if ((rc = get_index(fd, "eth0", &index)) == 0 && (rc = add_address(fd, index, v->address, v->prefix)) == 0 &&
            (rc = no_link_local(fd, index)) == 0 && (rc = set_up(fd, index)) == 0) {
            struct rtmsg *rt = req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *rt);
            rt->rtm_family = AF_INET;
            rt->rtm_table = RT_TABLE_MAIN;
            rt->rtm_protocol = RTPROT_BOOT;
            rt->rtm_scope = RT_SCOPE_UNIVERSE;
            rt->rtm_type = RTN_UNICAST;
            put(&r, RTA_GATEWAY, v->gateway, 4);
            uint32_t oif = (uint32_t)index;
            put(&r, RTA_OIF, &oif, 4);
            rc = talk(fd, &r, NULL);
        }
        close(fd);
    }
    if (rc < 0)
        (void)raw_veth_delete(v, s->host);
    return rc;
}

pid_t raw_veth_start(raw_veth *v, char host[16], const char *path, char *const argv[])
{
    snprintf(host, 16, "rv%x_%u", (unsigned)getpid() & 0xffffff, v->serial++ % 100000);
    struct setup s = { v, host };
    return raw_spawn_start_hook(RAW_NS_NET, path, argv, setup, &s);
}

int raw_veth_delete(raw_veth *v, const char *host)
{
    req r;
    req_init(&r, RTM_DELLINK, 0, sizeof(struct ifinfomsg));
    put(&r, IFLA_IFNAME, host, strlen(host) + 1);
    int rc = talk(v->rtnl, &r, NULL);
    return rc == -ENODEV ? 0 : rc;
}

int raw_veth_finish(raw_veth *v, pid_t pid, const char *host)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    int rc = raw_veth_delete(v, host);
    return rc < 0 ? rc : status;
}

int64_t raw_veth_batch(raw_veth *v, const char *path, int n)
{
    int64_t t0 = raw_now_ns();
    for (int i = 0; i < n; i++) {
        char host[16];
        pid_t pid = raw_veth_start(v, host, path, NULL);
        if (pid < 0)
            return pid;
        int st = raw_veth_finish(v, pid, host);
        if (st < 0)
            return st;
        if (st != 0)
            return -EPROTO;
    }
    return raw_now_ns() - t0;
}

#ifdef RAWVETH_MAIN
int main(int argc, char **argv)
{
    raw_die_with_parent(); /* die with run.sh's timeout */
    raw_veth v;
    if (argc == 7 && !strcmp(argv[1], "--batch")) {
        int rc = raw_veth_open(&v, argv[3], argv[4], argv[5], argv[6]);
        int64_t dt = rc < 0 ? rc : raw_veth_batch(&v, "/bin/true", atoi(argv[2]));
        if (dt < 0) {
            fprintf(stderr, "rawveth: %s\n", strerror((int)-dt));
            return 1;
        }
        printf("%lld\n", (long long)dt);
        return 0;
    }
    if (argc < 6 || argv[1][0] == '-') {
        fprintf(stderr, "usage: rawveth BRIDGE BRIDGE_CIDR CIDR GATEWAY PATH [ARG...] | --batch N BRIDGE BRIDGE_CIDR CIDR GATEWAY\n");
        return 2;
    }
    int rc = raw_veth_open(&v, argv[1], argv[2], argv[3], argv[4]);
    char host[16];
    pid_t pid = rc < 0 ? rc : raw_veth_start(&v, host, argv[5], argv + 5);
    if (pid < 0) {
        fprintf(stderr, "rawveth: %s\n", strerror(-pid));
        return 125;
    }
    int status = raw_veth_finish(&v, pid, host);
    if (status < 0)
        return 125;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
#endif
