import CNSCoreShim

/// A route, as rtnetlink reports it in an `RTM_NEWROUTE` message.
public struct Route: Sendable, Hashable {
    /// The destination (`RTA_DST` and `rtm_dst_len`); `0.0.0.0/0` or `::/0` for a default route.
    public var destination: IPPrefix
    /// The next hop (`RTA_GATEWAY`); nil for a route to a directly connected network.
    public var gateway: IPAddress?
    /// The index of the output link (`RTA_OIF`).
    public var outputInterface: Int32?
    /// The source address preferred for traffic on this route (`RTA_PREFSRC`).
    public var preferredSource: IPAddress?
    /// The routing table (`RTA_TABLE`, or `rtm_table`): 254 is main, 255 local.
    public var table: UInt32
    /// Who installed the route (`rtm_protocol`): kernel, boot, static, ...
    public var `protocol`: RouteProtocol
    /// The scope (`rtm_scope`): universe for routes via a gateway, link for connected networks.
    public var scope: RouteScope
    /// The route type (`rtm_type`): unicast, local, broadcast, ...
    public var type: RouteType
    /// The metric (`RTA_PRIORITY`); lower wins.
    public var metric: UInt32?

    /// The address family.
    public var family: IPAddress.Family { destination.family }
    /// True for a default route (prefix length 0).
    public var isDefault: Bool { destination.length == 0 }

    /// Decodes an `RTM_NEWROUTE` message.
    /// - Throws: ``NSCoreError`` (`EBADMSG`) for a malformed message or an unknown family.
    public init(decoding message: NetlinkMessage) throws(NSCoreError) {
        let header = try message.fixedHeader(RouteHeaderSize.route)
        let attributes = try message.attributes(after: RouteHeaderSize.route)
        let familyNumber = header.netlinkLoad(UInt8.self, at: 0) ?? 0
        guard let family = IPAddress.Family(addressFamily: familyNumber) else {
            throw .malformedNetlink("route message of unknown family \(familyNumber)")
        }
        let length = Int(header.netlinkLoad(UInt8.self, at: 1) ?? 0)
        let destinationAddress = try attributes[RouteAttribute.destination]?.ipAddress(family)
        do throws(NSCoreError) {
            destination = try IPPrefix(address: destinationAddress ?? IPPrefix.any(family).address, length: length)
        } catch {
            throw .malformedNetlink("route destination has prefix length \(length)")
        }
        table = try attributes[RouteAttribute.table]?.uint32() ?? UInt32(header.netlinkLoad(UInt8.self, at: 4) ?? 0)
        `protocol` = RouteProtocol(rawValue: header.netlinkLoad(UInt8.self, at: 5) ?? 0)
        scope = RouteScope(rawValue: header.netlinkLoad(UInt8.self, at: 6) ?? 0)
        type = RouteType(rawValue: header.netlinkLoad(UInt8.self, at: 7) ?? 0)
        gateway = try attributes[RouteAttribute.gateway]?.ipAddress(family)
        outputInterface = try attributes[RouteAttribute.outputInterface]?.int32()
        preferredSource = try attributes[RouteAttribute.preferredSource]?.ipAddress(family)
        metric = try attributes[RouteAttribute.priority]?.uint32()
    }
}

/// The scope of an address or route (`RT_SCOPE_*`).
public struct RouteScope: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The `RT_SCOPE_*` number.
    public var rawValue: UInt8
    /// Wraps a scope number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `RT_SCOPE_UNIVERSE`: everywhere (`ip` prints "global").
    public static let universe = RouteScope(rawValue: nsc_shim_RT_SCOPE_UNIVERSE)
    /// `RT_SCOPE_SITE`.
    public static let site = RouteScope(rawValue: nsc_shim_RT_SCOPE_SITE)
    /// `RT_SCOPE_LINK`: on the directly attached link.
    public static let link = RouteScope(rawValue: nsc_shim_RT_SCOPE_LINK)
    /// `RT_SCOPE_HOST`: on this host only.
    public static let host = RouteScope(rawValue: nsc_shim_RT_SCOPE_HOST)
    /// `RT_SCOPE_NOWHERE`: no destination.
    public static let nowhere = RouteScope(rawValue: nsc_shim_RT_SCOPE_NOWHERE)

    /// The name `ip` prints.
    public var description: String {
        switch self {
        case .universe: return "global"
        case .site: return "site"
        case .link: return "link"
        case .host: return "host"
        case .nowhere: return "nowhere"
        default: return "\(rawValue)"
        }
    }
}

/// The type of a route (`RTN_*`).
public struct RouteType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The `RTN_*` number.
    public var rawValue: UInt8
    /// Wraps a route type number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `RTN_UNSPEC`.
    public static let unspecified = RouteType(rawValue: nsc_shim_RTN_UNSPEC)
    /// `RTN_UNICAST`: a gateway or direct route.
    public static let unicast = RouteType(rawValue: nsc_shim_RTN_UNICAST)
    /// `RTN_LOCAL`: an address of this host.
    public static let local = RouteType(rawValue: nsc_shim_RTN_LOCAL)
    /// `RTN_BROADCAST`.
    public static let broadcast = RouteType(rawValue: nsc_shim_RTN_BROADCAST)
    /// `RTN_ANYCAST`.
    public static let anycast = RouteType(rawValue: nsc_shim_RTN_ANYCAST)
    /// `RTN_MULTICAST`.
    public static let multicast = RouteType(rawValue: nsc_shim_RTN_MULTICAST)
    /// `RTN_BLACKHOLE`: drop silently.
    public static let blackhole = RouteType(rawValue: nsc_shim_RTN_BLACKHOLE)
    /// `RTN_UNREACHABLE`: answer "host unreachable".
    public static let unreachable = RouteType(rawValue: nsc_shim_RTN_UNREACHABLE)
    /// `RTN_PROHIBIT`: answer "administratively prohibited".
    public static let prohibit = RouteType(rawValue: nsc_shim_RTN_PROHIBIT)

    public var description: String {
        switch self {
        case .unspecified: return "unspec"
        case .unicast: return "unicast"
        case .local: return "local"
        case .broadcast: return "broadcast"
        case .anycast: return "anycast"
        case .multicast: return "multicast"
        case .blackhole: return "blackhole"
        case .unreachable: return "unreachable"
        case .prohibit: return "prohibit"
        default: return "\(rawValue)"
        }
    }
}

/// Who installed a route (`RTPROT_*`).
public struct RouteProtocol: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The `RTPROT_*` number.
    public var rawValue: UInt8
    /// Wraps a protocol number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `RTPROT_UNSPEC`.
    public static let unspecified = RouteProtocol(rawValue: nsc_shim_RTPROT_UNSPEC)
    /// `RTPROT_KERNEL`: added by the kernel (a connected network's route).
    public static let kernel = RouteProtocol(rawValue: nsc_shim_RTPROT_KERNEL)
    /// `RTPROT_BOOT`: added by an administrator (what `ip route add` uses).
    public static let boot = RouteProtocol(rawValue: nsc_shim_RTPROT_BOOT)
    /// `RTPROT_STATIC`: added by an administrator, meant to persist.
    public static let `static` = RouteProtocol(rawValue: nsc_shim_RTPROT_STATIC)
    /// `RTPROT_RA`: from an IPv6 router advertisement.
    public static let routerAdvertisement = RouteProtocol(rawValue: nsc_shim_RTPROT_RA)

    public var description: String {
        switch self {
        case .unspecified: return "unspec"
        case .kernel: return "kernel"
        case .boot: return "boot"
        case .static: return "static"
        case .routerAdvertisement: return "ra"
        default: return "\(rawValue)"
        }
    }
}

/// Routing table numbers.
public enum RouteTable {
    /// `RT_TABLE_MAIN` (254): the table `ip route` shows.
    public static let main = UInt32(nsc_shim_RT_TABLE_MAIN)
    /// `RT_TABLE_LOCAL` (255): routes to this host's own addresses.
    public static let local = UInt32(nsc_shim_RT_TABLE_LOCAL)
}
