import CNSCoreShim

/// A network interface (a "link") as rtnetlink reports it in an `RTM_NEWLINK` message.
public struct NetworkLink: Sendable, Hashable {
    /// The interface index (`ifi_index`), unique within its network namespace.
    public var index: Int32
    /// The name (`IFLA_IFNAME`).
    public var name: String
    /// The driver kind from `IFLA_LINKINFO`/`IFLA_INFO_KIND`: `"veth"`, `"bridge"`, ...;
    /// nil for links without one, such as `lo`.
    public var kind: String?
    /// The kind of the master this link is a port of (`IFLA_INFO_SLAVE_KIND`), e.g. `"bridge"`.
    public var portKind: String?
    /// The interface flags (`ifi_flags`).
    public var flags: LinkFlags
    /// The operational state (`IFLA_OPERSTATE`), as `ip link` shows it.
    public var operationalState: OperationalState
    /// The hardware address bytes (`IFLA_ADDRESS`); empty when the link has none.
    public var hardwareAddress: [UInt8]
    /// The MTU (`IFLA_MTU`).
    public var mtu: UInt32
    /// The index of the master, such as the bridge this link is attached to (`IFLA_MASTER`).
    public var masterIndex: Int32?
    /// The index of the link this one is bound to (`IFLA_LINK`). For a veth, its peer's index,
    /// counted in the peer's namespace (``linkNamespaceID`` is set when that is another one).
    public var linkIndex: Int32?
    /// The id, in this namespace, of the namespace of ``linkIndex`` (`IFLA_LINK_NETNSID`).
    public var linkNamespaceID: Int32?
    /// The ARP hardware type (`ifi_type`, `ARPHRD_*`): 1 for Ethernet, 772 for loopback.
    public var hardwareType: UInt16
    /// The transmit queue length (`IFLA_TXQLEN`).
    public var transmitQueueLength: UInt32?

    /// True when the link is administratively up (`IFF_UP`).
    public var isUp: Bool { flags.contains(.up) }
    /// The hardware address as a MAC address, when it is six bytes long.
    public var macAddress: MACAddress? { MACAddress(bytes: hardwareAddress) }
    /// For a veth, its peer's index (see ``linkIndex``); nil otherwise or when not visible.
    public var vethPeerIndex: Int32? { kind == "veth" ? linkIndex : nil }

    /// Decodes an `RTM_NEWLINK` message.
    /// - Throws: ``NSCoreError`` (`EBADMSG`) for a malformed message or one without a name.
    public init(decoding message: NetlinkMessage) throws(NSCoreError) {
        let header = try message.fixedHeader(RouteHeaderSize.link)
        let attributes = try message.attributes(after: RouteHeaderSize.link)
        hardwareType = header.netlinkLoad(UInt16.self, at: 2) ?? 0
        index = header.netlinkLoad(Int32.self, at: 4) ?? 0
        flags = LinkFlags(rawValue: header.netlinkLoad(UInt32.self, at: 8) ?? 0)
        guard let nameAttribute = attributes[LinkAttribute.name] else {
            throw .malformedNetlink("link \(index) has no IFLA_IFNAME")
        }
        name = nameAttribute.string()
        mtu = try attributes[LinkAttribute.mtu]?.uint32() ?? 0
        hardwareAddress = attributes[LinkAttribute.address]?.bytes ?? []
        operationalState = OperationalState(rawValue: try attributes[LinkAttribute.operationalState]?.uint8() ?? 0)
        masterIndex = try attributes[LinkAttribute.master]?.int32()
        linkIndex = try attributes[LinkAttribute.link]?.int32()
        linkNamespaceID = try attributes[LinkAttribute.linkNamespaceID]?.int32()
        transmitQueueLength = try attributes[LinkAttribute.transmitQueueLength]?.uint32()
        if let info = try attributes[LinkAttribute.linkInfo]?.nested() {
            kind = info[LinkAttribute.infoKind]?.string()
            portKind = info[LinkAttribute.infoPortKind]?.string()
        }
    }
}

/// Interface flags (`IFF_*` in `ifi_flags`).
public struct LinkFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The bits of `ifi_flags`.
    public var rawValue: UInt32
    /// Wraps flag bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `IFF_UP`: administratively up.
    public static let up = LinkFlags(rawValue: nsc_shim_IFF_UP)
    /// `IFF_BROADCAST`: has a broadcast address.
    public static let broadcast = LinkFlags(rawValue: nsc_shim_IFF_BROADCAST)
    /// `IFF_LOOPBACK`: a loopback device.
    public static let loopback = LinkFlags(rawValue: nsc_shim_IFF_LOOPBACK)
    /// `IFF_POINTOPOINT`: a point-to-point link.
    public static let pointToPoint = LinkFlags(rawValue: nsc_shim_IFF_POINTOPOINT)
    /// `IFF_RUNNING`: operationally up.
    public static let running = LinkFlags(rawValue: nsc_shim_IFF_RUNNING)
    /// `IFF_NOARP`: no ARP.
    public static let noARP = LinkFlags(rawValue: nsc_shim_IFF_NOARP)
    /// `IFF_PROMISC`: receives every packet.
    public static let promiscuous = LinkFlags(rawValue: nsc_shim_IFF_PROMISC)
    /// `IFF_MULTICAST`: supports multicast.
    public static let multicast = LinkFlags(rawValue: nsc_shim_IFF_MULTICAST)
    /// `IFF_LOWER_UP`: the carrier is present (for a veth: the peer is up).
    public static let lowerUp = LinkFlags(rawValue: nsc_shim_IFF_LOWER_UP)
    /// `IFF_DORMANT`: waiting for an external event.
    public static let dormant = LinkFlags(rawValue: nsc_shim_IFF_DORMANT)

    /// The names `ip link` prints, in its order (`UP,LOWER_UP`).
    public var description: String {
        let names: [(LinkFlags, String)] = [
            (.loopback, "LOOPBACK"), (.broadcast, "BROADCAST"), (.pointToPoint, "POINTOPOINT"),
            (.multicast, "MULTICAST"),
            (.noARP, "NOARP"), (.promiscuous, "PROMISC"), (.up, "UP"), (.lowerUp, "LOWER_UP"), (.dormant, "DORMANT"),
        ]
        return names.filter { contains($0.0) }.map { $0.1 }.joined(separator: ",")
    }
}

/// The RFC 2863 operational state of a link (`IF_OPER_*`).
public struct OperationalState: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The `IF_OPER_*` number.
    public var rawValue: UInt8
    /// Wraps an `IF_OPER_*` number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `IF_OPER_UNKNOWN` (e.g. `lo`, which has no carrier to watch).
    public static let unknown = OperationalState(rawValue: nsc_shim_IF_OPER_UNKNOWN)
    /// `IF_OPER_NOTPRESENT`.
    public static let notPresent = OperationalState(rawValue: nsc_shim_IF_OPER_NOTPRESENT)
    /// `IF_OPER_DOWN`.
    public static let down = OperationalState(rawValue: nsc_shim_IF_OPER_DOWN)
    /// `IF_OPER_LOWERLAYERDOWN`: up, but what it runs on is not (a veth whose peer is down).
    public static let lowerLayerDown = OperationalState(rawValue: nsc_shim_IF_OPER_LOWERLAYERDOWN)
    /// `IF_OPER_TESTING`.
    public static let testing = OperationalState(rawValue: nsc_shim_IF_OPER_TESTING)
    /// `IF_OPER_DORMANT`.
    public static let dormant = OperationalState(rawValue: nsc_shim_IF_OPER_DORMANT)
    /// `IF_OPER_UP`.
    public static let up = OperationalState(rawValue: nsc_shim_IF_OPER_UP)

    /// The name `ip link` prints: `UNKNOWN`, `DOWN`, `LOWERLAYERDOWN`, `UP`, ...
    public var description: String {
        switch self {
        case .unknown: return "UNKNOWN"
        case .notPresent: return "NOTPRESENT"
        case .down: return "DOWN"
        case .lowerLayerDown: return "LOWERLAYERDOWN"
        case .testing: return "TESTING"
        case .dormant: return "DORMANT"
        case .up: return "UP"
        default: return "state \(rawValue)"
        }
    }
}

/// Names a link by its name or its index, for the operations of ``RouteNetlink``.
/// A string literal is a name: `try netlink.setUp("eth0")`.
public enum LinkSelector: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The link with this name.
    case name(String)
    /// The link with this interface index.
    case index(Int32)

    /// A name, from a string literal.
    public init(stringLiteral name: String) { self = .name(name) }

    /// The selector's name or index, as errors print it.
    public var description: String {
        switch self {
        case .name(let name): return name
        case .index(let index): return "#\(index)"
        }
    }
}

/// How the kernel makes a link's IPv6 link-local address (`IN6_ADDR_GEN_MODE_*`).
public enum IPv6AddressGenerationMode: UInt8, Sendable, CustomStringConvertible {
    /// From the MAC address (EUI-64): the kernel's default.
    case eui64 = 0
    /// None: the link gets no link-local address, so it sends no IPv6 packet of its own
    /// (duplicate address detection, router solicitations, MLD) until given an address.
    case none = 1
    /// Stable privacy addresses (RFC 7217), from a secret.
    case stablePrivacy = 2
    /// Random.
    case random = 3

    public var description: String {
        switch self {
        case .eui64: return "eui64"
        case .none: return "none"
        case .stablePrivacy: return "stable_secret"
        case .random: return "random"
        }
    }
}
