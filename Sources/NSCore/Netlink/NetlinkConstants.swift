import CNSCoreShim

// Names for the numbers of linux/netlink.h and linux/rtnetlink.h. The values come from the
// kernel headers through CNSCoreShim (constants.c exports each macro as an `extern const`), so
// no number is written twice. Attribute numbers are plain `UInt16`s grouped in caseless enums
// (`LinkAttribute.name` is `IFLA_IFNAME`); message types and flags are typed, because they
// travel through the generic message layer that a later nftables or devlink client reuses.

/// The type of a netlink message (`nlmsg_type`): one of the four control types every netlink
/// family shares, or a family's own request type (`RTM_NEWLINK`, ...).
public struct NetlinkMessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number in `nlmsg_type`.
    public var rawValue: UInt16
    /// Wraps a message type number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `NLMSG_NOOP`: nothing; skipped.
    public static let noop = NetlinkMessageType(rawValue: nsc_shim_NLMSG_NOOP)
    /// `NLMSG_ERROR`: an error, or an acknowledgement when the error number is 0.
    public static let error = NetlinkMessageType(rawValue: nsc_shim_NLMSG_ERROR)
    /// `NLMSG_DONE`: the end of a multi-part dump.
    public static let done = NetlinkMessageType(rawValue: nsc_shim_NLMSG_DONE)
    /// `NLMSG_OVERRUN`: data was lost.
    public static let overrun = NetlinkMessageType(rawValue: nsc_shim_NLMSG_OVERRUN)

    /// `RTM_NEWLINK`: create or change a link; also the type of every link in a reply.
    public static let newLink = NetlinkMessageType(rawValue: nsc_shim_RTM_NEWLINK)
    /// `RTM_DELLINK`: delete a link.
    public static let deleteLink = NetlinkMessageType(rawValue: nsc_shim_RTM_DELLINK)
    /// `RTM_GETLINK`: get one link, or dump them all.
    public static let getLink = NetlinkMessageType(rawValue: nsc_shim_RTM_GETLINK)
    /// `RTM_NEWADDR`: add an address; also the type of every address in a reply.
    public static let newAddress = NetlinkMessageType(rawValue: nsc_shim_RTM_NEWADDR)
    /// `RTM_DELADDR`: remove an address.
    public static let deleteAddress = NetlinkMessageType(rawValue: nsc_shim_RTM_DELADDR)
    /// `RTM_GETADDR`: dump addresses.
    public static let getAddress = NetlinkMessageType(rawValue: nsc_shim_RTM_GETADDR)
    /// `RTM_NEWROUTE`: add a route; also the type of every route in a reply.
    public static let newRoute = NetlinkMessageType(rawValue: nsc_shim_RTM_NEWROUTE)
    /// `RTM_DELROUTE`: remove a route.
    public static let deleteRoute = NetlinkMessageType(rawValue: nsc_shim_RTM_DELROUTE)
    /// `RTM_GETROUTE`: dump routes.
    public static let getRoute = NetlinkMessageType(rawValue: nsc_shim_RTM_GETROUTE)

    public var description: String {
        switch self {
        case .noop: return "NLMSG_NOOP"
        case .error: return "NLMSG_ERROR"
        case .done: return "NLMSG_DONE"
        case .overrun: return "NLMSG_OVERRUN"
        case .newLink: return "RTM_NEWLINK"
        case .deleteLink: return "RTM_DELLINK"
        case .getLink: return "RTM_GETLINK"
        case .newAddress: return "RTM_NEWADDR"
        case .deleteAddress: return "RTM_DELADDR"
        case .getAddress: return "RTM_GETADDR"
        case .newRoute: return "RTM_NEWROUTE"
        case .deleteRoute: return "RTM_DELROUTE"
        case .getRoute: return "RTM_GETROUTE"
        default: return "type \(rawValue)"
        }
    }
}

/// The flags of a netlink message (`nlmsg_flags`). Some bits mean different things in
/// different contexts: `NLM_F_ROOT`, `NLM_F_REPLACE` and `NLM_F_CAPPED` are the same bit, as are
/// `NLM_F_MATCH`, `NLM_F_EXCL` and `NLM_F_ACK_TLVS`.
public struct NetlinkMessageFlags: OptionSet, Hashable, Sendable {
    /// The bits of `nlmsg_flags`.
    public var rawValue: UInt16
    /// Wraps flag bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `NLM_F_REQUEST`: set on every request to the kernel.
    public static let request = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_REQUEST)
    /// `NLM_F_MULTI`: one part of a multi-part reply, ended by `NLMSG_DONE`.
    public static let multipart = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_MULTI)
    /// `NLM_F_ACK`: ask for an acknowledgement (an `NLMSG_ERROR` with error 0).
    public static let ack = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_ACK)
    /// `NLM_F_ECHO`: echo the request back.
    public static let echo = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_ECHO)
    /// `NLM_F_DUMP_INTR`: the dump changed while it ran; its result may be inconsistent.
    public static let dumpInterrupted = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_DUMP_INTR)
    /// `NLM_F_DUMP_FILTERED`: the kernel filtered the dump as the request asked.
    public static let dumpFiltered = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_DUMP_FILTERED)
    /// `NLM_F_ROOT`: return the whole table (with a GET request).
    public static let root = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_ROOT)
    /// `NLM_F_MATCH`: return every match (with a GET request).
    public static let match = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_MATCH)
    /// `NLM_F_DUMP`, that is `NLM_F_ROOT | NLM_F_MATCH`: a dump request.
    public static let dump: NetlinkMessageFlags = [.root, .match]
    /// `NLM_F_REPLACE`: replace an existing object (with a NEW request).
    public static let replace = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_REPLACE)
    /// `NLM_F_EXCL`: fail with `EEXIST` if the object exists (with a NEW request).
    public static let exclusive = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_EXCL)
    /// `NLM_F_CREATE`: create the object if it does not exist (with a NEW request).
    public static let create = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_CREATE)
    /// `NLM_F_APPEND`: add to the end of a list (with a NEW request).
    public static let append = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_APPEND)
    /// `NLM_F_CAPPED`: an error message carries only the header of the request, not its payload.
    public static let capped = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_CAPPED)
    /// `NLM_F_ACK_TLVS`: an error or done message carries extended-ack attributes.
    public static let ackTLVs = NetlinkMessageFlags(rawValue: nsc_shim_NLM_F_ACK_TLVS)
}

/// Netlink protocol numbers for ``NetlinkSocket/init(protocol:receiveBufferSize:)``.
public enum NetlinkProtocol {
    /// `NETLINK_ROUTE`: links, addresses, routes, neighbours (rtnetlink).
    public static let route: Int32 = nsc_shim_NETLINK_ROUTE
}

/// Attribute numbers of extended acknowledgements (`enum nlmsgerr_attrs`).
enum NetlinkErrorAttribute {
    static let message = nsc_shim_NLMSGERR_ATTR_MSG
    static let offset = nsc_shim_NLMSGERR_ATTR_OFFS
    static let missingType = nsc_shim_NLMSGERR_ATTR_MISS_TYPE
}

/// `IFLA_*`: attributes of a link message (after `struct ifinfomsg`).
enum LinkAttribute {
    static let address = nsc_shim_IFLA_ADDRESS
    static let broadcast = nsc_shim_IFLA_BROADCAST
    static let name = nsc_shim_IFLA_IFNAME
    static let mtu = nsc_shim_IFLA_MTU
    static let link = nsc_shim_IFLA_LINK
    static let master = nsc_shim_IFLA_MASTER
    static let transmitQueueLength = nsc_shim_IFLA_TXQLEN
    static let operationalState = nsc_shim_IFLA_OPERSTATE
    static let linkInfo = nsc_shim_IFLA_LINKINFO
    static let namespacePID = nsc_shim_IFLA_NET_NS_PID
    static let namespaceFD = nsc_shim_IFLA_NET_NS_FD
    static let linkNamespaceID = nsc_shim_IFLA_LINK_NETNSID
    /// `IFLA_INFO_*`, inside `IFLA_LINKINFO`.
    static let infoKind = nsc_shim_IFLA_INFO_KIND
    static let infoData = nsc_shim_IFLA_INFO_DATA
    static let infoPortKind = nsc_shim_IFLA_INFO_SLAVE_KIND
    /// `VETH_INFO_PEER`, inside `IFLA_INFO_DATA` of a veth: a `struct ifinfomsg` and the peer's
    /// own link attributes.
    static let vethPeer = nsc_shim_VETH_INFO_PEER
    /// `IFLA_EXT_MASK` (u32): what a `RTM_GETLINK` answer leaves out or adds (`RTEXT_FILTER_*`).
    static let extendedMask = nsc_shim_IFLA_EXT_MASK
    /// `RTEXT_FILTER_SKIP_STATS`: no statistics in the answer (``NetworkLink`` reads none).
    static let skipStatistics = nsc_shim_RTEXT_FILTER_SKIP_STATS
    /// `IFLA_AF_SPEC`: per address family settings, one nested attribute per family.
    static let addressFamilySpecific = nsc_shim_IFLA_AF_SPEC
    /// `IFLA_INET6_ADDR_GEN_MODE` (u8), inside the `AF_INET6` entry of `IFLA_AF_SPEC`.
    static let inet6AddressGenerationMode = nsc_shim_IFLA_INET6_ADDR_GEN_MODE
}

/// `IFA_*`: attributes of an address message (after `struct ifaddrmsg`).
enum AddressAttribute {
    static let address = nsc_shim_IFA_ADDRESS
    static let local = nsc_shim_IFA_LOCAL
    static let label = nsc_shim_IFA_LABEL
    static let broadcast = nsc_shim_IFA_BROADCAST
    static let cacheInfo = nsc_shim_IFA_CACHEINFO
    static let flags = nsc_shim_IFA_FLAGS
}

/// `RTA_*`: attributes of a route message (after `struct rtmsg`).
enum RouteAttribute {
    static let destination = nsc_shim_RTA_DST
    static let source = nsc_shim_RTA_SRC
    static let outputInterface = nsc_shim_RTA_OIF
    static let gateway = nsc_shim_RTA_GATEWAY
    static let priority = nsc_shim_RTA_PRIORITY
    static let preferredSource = nsc_shim_RTA_PREFSRC
    static let table = nsc_shim_RTA_TABLE
}

/// Sizes of the fixed headers after `struct nlmsghdr` (asserted against the C structs in
/// constants.c).
enum RouteHeaderSize {
    /// `struct ifinfomsg`: family u8, pad u8, type u16, index s32, flags u32, change u32.
    static let link = 16
    /// `struct ifaddrmsg`: family, prefixlen, flags, scope (u8 each), index u32.
    static let address = 8
    /// `struct rtmsg`: family, dst_len, src_len, tos, table, protocol, scope, type (u8 each), flags u32.
    static let route = 12
}
