/*
 * constants.c - kernel constants from headers Swift's Glibc module does not import (they need
 * _GNU_SOURCE, or live in linux/mount.h and linux/openat2.h), exported as `extern const` so
 * that Swift reads them from the real headers instead of writing the numbers again.
 */
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "nsc_shim.h"

const int nsc_shim_PR_SET_PDEATHSIG = PR_SET_PDEATHSIG;
const unsigned long nsc_shim_TIOCSPTLCK = TIOCSPTLCK;
const unsigned long nsc_shim_TIOCGPTPEER = TIOCGPTPEER;
const unsigned long nsc_shim_TIOCSWINSZ = TIOCSWINSZ;
const unsigned long nsc_shim_TIOCGWINSZ = TIOCGWINSZ;
const unsigned long nsc_shim_TIOCSCTTY = TIOCSCTTY;
const int nsc_shim_PR_SET_KEEPCAPS = PR_SET_KEEPCAPS;
const int nsc_shim_PR_CAPBSET_DROP = PR_CAPBSET_DROP;
const int nsc_shim_PR_CAP_AMBIENT = PR_CAP_AMBIENT;
const int nsc_shim_PR_CAP_AMBIENT_RAISE = PR_CAP_AMBIENT_RAISE;
const int nsc_shim_PR_CAP_AMBIENT_CLEAR_ALL = PR_CAP_AMBIENT_CLEAR_ALL;
const int nsc_shim_PR_SET_NO_NEW_PRIVS = PR_SET_NO_NEW_PRIVS;
const int nsc_shim_O_PATH = O_PATH;
const unsigned int nsc_shim_AT_EMPTY_PATH = AT_EMPTY_PATH;
const unsigned int nsc_shim_AT_RECURSIVE = AT_RECURSIVE;
const unsigned long long nsc_shim_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;
const unsigned long long nsc_shim_RESOLVE_NO_SYMLINKS = RESOLVE_NO_SYMLINKS;
const unsigned long long nsc_shim_RESOLVE_IN_ROOT = RESOLVE_IN_ROOT;
const unsigned int nsc_shim_OPEN_TREE_CLONE = OPEN_TREE_CLONE;
const unsigned int nsc_shim_MOVE_MOUNT_F_EMPTY_PATH = MOVE_MOUNT_F_EMPTY_PATH;
const unsigned int nsc_shim_MOVE_MOUNT_T_EMPTY_PATH = MOVE_MOUNT_T_EMPTY_PATH;
const unsigned int nsc_shim_FSCONFIG_SET_STRING = FSCONFIG_SET_STRING;
const unsigned int nsc_shim_FSCONFIG_CMD_CREATE = FSCONFIG_CMD_CREATE;
const unsigned int nsc_shim_MOUNT_ATTR_RDONLY = MOUNT_ATTR_RDONLY;
const unsigned int nsc_shim_MOUNT_ATTR_NOSUID = MOUNT_ATTR_NOSUID;
const unsigned int nsc_shim_MOUNT_ATTR_NODEV = MOUNT_ATTR_NODEV;
const unsigned int nsc_shim_MOUNT_ATTR_NOEXEC = MOUNT_ATTR_NOEXEC;
const unsigned int nsc_shim_MOUNT_ATTR__ATIME = MOUNT_ATTR__ATIME;
const unsigned int nsc_shim_MOUNT_ATTR_RELATIME = MOUNT_ATTR_RELATIME;
const unsigned int nsc_shim_MOUNT_ATTR_NOATIME = MOUNT_ATTR_NOATIME;
const unsigned int nsc_shim_MOUNT_ATTR_STRICTATIME = MOUNT_ATTR_STRICTATIME;
const unsigned int nsc_shim_MOUNT_ATTR_NODIRATIME = MOUNT_ATTR_NODIRATIME;
const unsigned int nsc_shim_FSCONFIG_SET_FLAG = FSCONFIG_SET_FLAG;

/* Docker's default linux.maskedPaths and linux.readonlyPaths, relative to the root (the Swift
 * side walks these without making a String of each). NULL-terminated. */
static const char *const default_masked_paths[] = {
    "proc/asound", "proc/acpi", "proc/interrupts", "proc/kcore", "proc/keys", "proc/latency_stats",
    "proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi", "sys/firmware",
    "sys/devices/virtual/powercap", NULL,
};
static const char *const default_readonly_paths[] = {
    "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger", NULL,
};

const char *nsc_shim_default_masked_path(unsigned int i)
{
    return i < sizeof default_masked_paths / sizeof *default_masked_paths ? default_masked_paths[i] : NULL;
}

const char *nsc_shim_default_readonly_path(unsigned int i)
{
    return i < sizeof default_readonly_paths / sizeof *default_readonly_paths ? default_readonly_paths[i] : NULL;
}

/* ---- rtnetlink (Sources/NSCore/Netlink) ------------------------------------------------------
 * Message types, flags and attribute numbers of linux/netlink.h, linux/rtnetlink.h,
 * linux/if_link.h, linux/if_addr.h and linux/veth.h. The Swift side encodes nlmsghdr, nlattr,
 * ifinfomsg, ifaddrmsg, rtmsg and sockaddr_nl by hand at the offsets asserted here. */
#include <stddef.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

_Static_assert(sizeof(struct nlmsghdr) == 16, "nlmsghdr");
_Static_assert(offsetof(struct nlmsghdr, nlmsg_type) == 4 && offsetof(struct nlmsghdr, nlmsg_flags) == 6 &&
                   offsetof(struct nlmsghdr, nlmsg_seq) == 8 && offsetof(struct nlmsghdr, nlmsg_pid) == 12,
               "nlmsghdr layout");
_Static_assert(sizeof(struct nlattr) == 4 && offsetof(struct nlattr, nla_type) == 2, "nlattr");
_Static_assert(sizeof(struct rtattr) == 4 && offsetof(struct rtattr, rta_type) == 2, "rtattr");
_Static_assert(sizeof(struct nlmsgerr) == 20 && offsetof(struct nlmsgerr, msg) == 4, "nlmsgerr");
_Static_assert(sizeof(struct sockaddr_nl) == 12 && offsetof(struct sockaddr_nl, nl_pid) == 4 &&
                   offsetof(struct sockaddr_nl, nl_groups) == 8,
               "sockaddr_nl");
_Static_assert(sizeof(struct ifinfomsg) == 16 && offsetof(struct ifinfomsg, ifi_type) == 2 &&
                   offsetof(struct ifinfomsg, ifi_index) == 4 && offsetof(struct ifinfomsg, ifi_flags) == 8 &&
                   offsetof(struct ifinfomsg, ifi_change) == 12,
               "ifinfomsg");
_Static_assert(sizeof(struct ifaddrmsg) == 8 && offsetof(struct ifaddrmsg, ifa_prefixlen) == 1 &&
                   offsetof(struct ifaddrmsg, ifa_flags) == 2 && offsetof(struct ifaddrmsg, ifa_scope) == 3 &&
                   offsetof(struct ifaddrmsg, ifa_index) == 4,
               "ifaddrmsg");
_Static_assert(sizeof(struct rtmsg) == 12 && offsetof(struct rtmsg, rtm_dst_len) == 1 &&
                   offsetof(struct rtmsg, rtm_table) == 4 && offsetof(struct rtmsg, rtm_protocol) == 5 &&
                   offsetof(struct rtmsg, rtm_scope) == 6 && offsetof(struct rtmsg, rtm_type) == 7 &&
                   offsetof(struct rtmsg, rtm_flags) == 8,
               "rtmsg");
_Static_assert(sizeof(struct ifa_cacheinfo) == 16 && offsetof(struct ifa_cacheinfo, ifa_valid) == 4, "ifa_cacheinfo");

const int nsc_shim_AF_NETLINK = AF_NETLINK;
const int nsc_shim_NETLINK_ROUTE = NETLINK_ROUTE;
const int nsc_shim_SOL_NETLINK = SOL_NETLINK;
const int nsc_shim_NETLINK_EXT_ACK = NETLINK_EXT_ACK;
const int nsc_shim_NETLINK_CAP_ACK = NETLINK_CAP_ACK;
const int nsc_shim_NETLINK_GET_STRICT_CHK = NETLINK_GET_STRICT_CHK;

const unsigned short nsc_shim_NLM_F_REQUEST = NLM_F_REQUEST;
const unsigned short nsc_shim_NLM_F_MULTI = NLM_F_MULTI;
const unsigned short nsc_shim_NLM_F_ACK = NLM_F_ACK;
const unsigned short nsc_shim_NLM_F_ECHO = NLM_F_ECHO;
const unsigned short nsc_shim_NLM_F_DUMP_INTR = NLM_F_DUMP_INTR;
const unsigned short nsc_shim_NLM_F_DUMP_FILTERED = NLM_F_DUMP_FILTERED;
const unsigned short nsc_shim_NLM_F_ROOT = NLM_F_ROOT;
const unsigned short nsc_shim_NLM_F_MATCH = NLM_F_MATCH;
const unsigned short nsc_shim_NLM_F_REPLACE = NLM_F_REPLACE;
const unsigned short nsc_shim_NLM_F_EXCL = NLM_F_EXCL;
const unsigned short nsc_shim_NLM_F_CREATE = NLM_F_CREATE;
const unsigned short nsc_shim_NLM_F_APPEND = NLM_F_APPEND;
const unsigned short nsc_shim_NLM_F_CAPPED = NLM_F_CAPPED;
const unsigned short nsc_shim_NLM_F_ACK_TLVS = NLM_F_ACK_TLVS;
const unsigned short nsc_shim_NLMSG_NOOP = NLMSG_NOOP;
const unsigned short nsc_shim_NLMSG_ERROR = NLMSG_ERROR;
const unsigned short nsc_shim_NLMSG_DONE = NLMSG_DONE;
const unsigned short nsc_shim_NLMSG_OVERRUN = NLMSG_OVERRUN;
const unsigned short nsc_shim_NLMSGERR_ATTR_MSG = NLMSGERR_ATTR_MSG;
const unsigned short nsc_shim_NLMSGERR_ATTR_OFFS = NLMSGERR_ATTR_OFFS;
const unsigned short nsc_shim_NLMSGERR_ATTR_MISS_TYPE = NLMSGERR_ATTR_MISS_TYPE; /* Linux 6.0 */
const unsigned short nsc_shim_NLA_F_NESTED = NLA_F_NESTED;
const unsigned short nsc_shim_NLA_F_NET_BYTEORDER = NLA_F_NET_BYTEORDER;
const unsigned short nsc_shim_NLA_TYPE_MASK = (unsigned short)NLA_TYPE_MASK; /* ~(NESTED | NET_BYTEORDER): 0x3fff */

const unsigned short nsc_shim_RTM_NEWLINK = RTM_NEWLINK;
const unsigned short nsc_shim_RTM_DELLINK = RTM_DELLINK;
const unsigned short nsc_shim_RTM_GETLINK = RTM_GETLINK;
const unsigned short nsc_shim_RTM_NEWADDR = RTM_NEWADDR;
const unsigned short nsc_shim_RTM_DELADDR = RTM_DELADDR;
const unsigned short nsc_shim_RTM_GETADDR = RTM_GETADDR;
const unsigned short nsc_shim_RTM_NEWROUTE = RTM_NEWROUTE;
const unsigned short nsc_shim_RTM_DELROUTE = RTM_DELROUTE;
const unsigned short nsc_shim_RTM_GETROUTE = RTM_GETROUTE;

const unsigned short nsc_shim_IFLA_ADDRESS = IFLA_ADDRESS;
const unsigned short nsc_shim_IFLA_BROADCAST = IFLA_BROADCAST;
const unsigned short nsc_shim_IFLA_IFNAME = IFLA_IFNAME;
const unsigned short nsc_shim_IFLA_MTU = IFLA_MTU;
const unsigned short nsc_shim_IFLA_LINK = IFLA_LINK;
const unsigned short nsc_shim_IFLA_MASTER = IFLA_MASTER;
const unsigned short nsc_shim_IFLA_TXQLEN = IFLA_TXQLEN;
const unsigned short nsc_shim_IFLA_OPERSTATE = IFLA_OPERSTATE;
const unsigned short nsc_shim_IFLA_LINKINFO = IFLA_LINKINFO;
const unsigned short nsc_shim_IFLA_NET_NS_PID = IFLA_NET_NS_PID;
const unsigned short nsc_shim_IFLA_NET_NS_FD = IFLA_NET_NS_FD;
const unsigned short nsc_shim_IFLA_LINK_NETNSID = IFLA_LINK_NETNSID;
const unsigned short nsc_shim_IFLA_INFO_KIND = IFLA_INFO_KIND;
const unsigned short nsc_shim_IFLA_INFO_DATA = IFLA_INFO_DATA;
const unsigned short nsc_shim_IFLA_INFO_SLAVE_KIND = IFLA_INFO_SLAVE_KIND;
const unsigned short nsc_shim_VETH_INFO_PEER = VETH_INFO_PEER;
const unsigned short nsc_shim_IFLA_AF_SPEC = IFLA_AF_SPEC;
const unsigned short nsc_shim_IFLA_EXT_MASK = IFLA_EXT_MASK;
const unsigned int nsc_shim_RTEXT_FILTER_SKIP_STATS = RTEXT_FILTER_SKIP_STATS;
const unsigned short nsc_shim_IFLA_INET6_ADDR_GEN_MODE = IFLA_INET6_ADDR_GEN_MODE;

const unsigned short nsc_shim_IFA_ADDRESS = IFA_ADDRESS;
const unsigned short nsc_shim_IFA_LOCAL = IFA_LOCAL;
const unsigned short nsc_shim_IFA_LABEL = IFA_LABEL;
const unsigned short nsc_shim_IFA_BROADCAST = IFA_BROADCAST;
const unsigned short nsc_shim_IFA_CACHEINFO = IFA_CACHEINFO;
const unsigned short nsc_shim_IFA_FLAGS = IFA_FLAGS;

const unsigned short nsc_shim_RTA_DST = RTA_DST;
const unsigned short nsc_shim_RTA_SRC = RTA_SRC;
const unsigned short nsc_shim_RTA_OIF = RTA_OIF;
const unsigned short nsc_shim_RTA_GATEWAY = RTA_GATEWAY;
const unsigned short nsc_shim_RTA_PRIORITY = RTA_PRIORITY;
const unsigned short nsc_shim_RTA_PREFSRC = RTA_PREFSRC;
const unsigned short nsc_shim_RTA_TABLE = RTA_TABLE;

const unsigned int nsc_shim_IFF_UP = IFF_UP;
const unsigned int nsc_shim_IFF_BROADCAST = IFF_BROADCAST;
const unsigned int nsc_shim_IFF_LOOPBACK = IFF_LOOPBACK;
const unsigned int nsc_shim_IFF_POINTOPOINT = IFF_POINTOPOINT;
const unsigned int nsc_shim_IFF_RUNNING = IFF_RUNNING;
const unsigned int nsc_shim_IFF_NOARP = IFF_NOARP;
const unsigned int nsc_shim_IFF_PROMISC = IFF_PROMISC;
const unsigned int nsc_shim_IFF_MULTICAST = IFF_MULTICAST;
const unsigned int nsc_shim_IFF_LOWER_UP = IFF_LOWER_UP;
const unsigned int nsc_shim_IFF_DORMANT = IFF_DORMANT;
const unsigned int nsc_shim_IFNAMSIZ = IFNAMSIZ;

const unsigned int nsc_shim_IFA_F_SECONDARY = IFA_F_SECONDARY;
const unsigned int nsc_shim_IFA_F_NODAD = IFA_F_NODAD;
const unsigned int nsc_shim_IFA_F_OPTIMISTIC = IFA_F_OPTIMISTIC;
const unsigned int nsc_shim_IFA_F_DADFAILED = IFA_F_DADFAILED;
const unsigned int nsc_shim_IFA_F_HOMEADDRESS = IFA_F_HOMEADDRESS;
const unsigned int nsc_shim_IFA_F_DEPRECATED = IFA_F_DEPRECATED;
const unsigned int nsc_shim_IFA_F_TENTATIVE = IFA_F_TENTATIVE;
const unsigned int nsc_shim_IFA_F_PERMANENT = IFA_F_PERMANENT;
const unsigned int nsc_shim_IFA_F_NOPREFIXROUTE = IFA_F_NOPREFIXROUTE;

const unsigned char nsc_shim_RT_TABLE_UNSPEC = RT_TABLE_UNSPEC;
const unsigned char nsc_shim_RT_TABLE_MAIN = RT_TABLE_MAIN;
const unsigned char nsc_shim_RT_TABLE_LOCAL = RT_TABLE_LOCAL;
const unsigned char nsc_shim_RT_SCOPE_UNIVERSE = RT_SCOPE_UNIVERSE;
const unsigned char nsc_shim_RT_SCOPE_SITE = RT_SCOPE_SITE;
const unsigned char nsc_shim_RT_SCOPE_LINK = RT_SCOPE_LINK;
const unsigned char nsc_shim_RT_SCOPE_HOST = RT_SCOPE_HOST;
const unsigned char nsc_shim_RT_SCOPE_NOWHERE = RT_SCOPE_NOWHERE;
const unsigned char nsc_shim_RTN_UNSPEC = RTN_UNSPEC;
const unsigned char nsc_shim_RTN_UNICAST = RTN_UNICAST;
const unsigned char nsc_shim_RTN_LOCAL = RTN_LOCAL;
const unsigned char nsc_shim_RTN_BROADCAST = RTN_BROADCAST;
const unsigned char nsc_shim_RTN_ANYCAST = RTN_ANYCAST;
const unsigned char nsc_shim_RTN_MULTICAST = RTN_MULTICAST;
const unsigned char nsc_shim_RTN_BLACKHOLE = RTN_BLACKHOLE;
const unsigned char nsc_shim_RTN_UNREACHABLE = RTN_UNREACHABLE;
const unsigned char nsc_shim_RTN_PROHIBIT = RTN_PROHIBIT;
const unsigned char nsc_shim_RTPROT_UNSPEC = RTPROT_UNSPEC;
const unsigned char nsc_shim_RTPROT_KERNEL = RTPROT_KERNEL;
const unsigned char nsc_shim_RTPROT_BOOT = RTPROT_BOOT;
const unsigned char nsc_shim_RTPROT_STATIC = RTPROT_STATIC;
const unsigned char nsc_shim_RTPROT_RA = RTPROT_RA;
const unsigned int nsc_shim_RTM_F_CLONED = RTM_F_CLONED;

const unsigned char nsc_shim_IF_OPER_UNKNOWN = IF_OPER_UNKNOWN;
const unsigned char nsc_shim_IF_OPER_NOTPRESENT = IF_OPER_NOTPRESENT;
const unsigned char nsc_shim_IF_OPER_DOWN = IF_OPER_DOWN;
const unsigned char nsc_shim_IF_OPER_LOWERLAYERDOWN = IF_OPER_LOWERLAYERDOWN;
const unsigned char nsc_shim_IF_OPER_TESTING = IF_OPER_TESTING;
const unsigned char nsc_shim_IF_OPER_DORMANT = IF_OPER_DORMANT;
const unsigned char nsc_shim_IF_OPER_UP = IF_OPER_UP;
