import Glibc

// The rtnetlink requests that RouteNetlink sends, as pure functions from arguments to bytes, so
// tests can compare them with what iproute2 sends (and the kernel accepts) without a socket.
// Attribute order follows iproute2's. Names are validated here; everything that needs the
// kernel (a name resolved to an index) is done by the caller first.

/// Builders of rtnetlink request messages (without `NLM_F_REQUEST`/`NLM_F_ACK`, which
/// ``NetlinkSocket`` adds).
enum RouteRequest {
    // MARK: Links

    /// `RTM_GETLINK` dump.
    /// Without statistics (`IFLA_EXT_MASK` `RTEXT_FILTER_SKIP_STATS`, as `ip link show` asks):
    /// the kernel need not sum them over every CPU, and each answer is half as long.
    static func dumpLinks() -> NetlinkMessageBuilder {
        var m = linkMessage(.getLink, [])
        m.appendAttribute(LinkAttribute.extendedMask, uint32: LinkAttribute.skipStatistics)
        return m
    }

    /// `RTM_GETLINK` for one link, without statistics.
    static func getLink(_ link: LinkSelector, _ operation: String) throws(NSCoreError) -> NetlinkMessageBuilder {
        var m = try linkMessage(.getLink, [], selecting: link, operation)
        m.appendAttribute(LinkAttribute.extendedMask, uint32: LinkAttribute.skipStatistics)
        return m
    }

    /// `RTM_NEWLINK` creating a veth pair: `IFLA_IFNAME`, `IFLA_MTU`, `IFLA_MASTER`, then
    /// `IFLA_LINKINFO` with kind `veth` and `VETH_INFO_PEER` (a `struct ifinfomsg` and the peer's
    /// attributes). With `up`, `IFF_UP` in the first end's `ifi_flags` and `ifi_change`.
    static func createVethPair(
        _ name: String, peer: String, peerNamespace: NetworkNamespaceReference?, mtu: UInt32?,
        master: Int32? = nil, up: Bool = false
    )
        throws(NSCoreError) -> NetlinkMessageBuilder
    {
        try InterfaceName.validate(name)
        try InterfaceName.validate(peer, role: "peer name")
        let flag = up ? LinkFlags.up.rawValue : 0
        var m = linkMessage(.newLink, [.create, .exclusive], flags: flag, change: flag)
        m.appendAttribute(LinkAttribute.name, string: name)
        if let mtu { m.appendAttribute(LinkAttribute.mtu, uint32: mtu) }
        if let master { m.appendAttribute(LinkAttribute.master, uint32: UInt32(bitPattern: master)) }
        m.appendNestedAttribute(LinkAttribute.linkInfo) { info in
            appendKind("veth", to: &info)
            info.appendNestedAttribute(LinkAttribute.infoData) { data in
                data.appendNestedAttribute(LinkAttribute.vethPeer) { peerInfo in
                    appendLinkHeader(&peerInfo)
                    peerInfo.appendAttribute(LinkAttribute.name, string: peer)
                    if let mtu { peerInfo.appendAttribute(LinkAttribute.mtu, uint32: mtu) }
                    if let peerNamespace { appendNamespace(peerNamespace, to: &peerInfo) }
                }
            }
        }
        return m
    }

    /// `RTM_NEWLINK` creating a bridge.
    static func createBridge(_ name: String, mtu: UInt32?) throws(NSCoreError) -> NetlinkMessageBuilder {
        try InterfaceName.validate(name, role: "bridge name")
        var m = linkMessage(.newLink, [.create, .exclusive])
        m.appendAttribute(LinkAttribute.name, string: name)
        if let mtu { m.appendAttribute(LinkAttribute.mtu, uint32: mtu) }
        m.appendNestedAttribute(LinkAttribute.linkInfo) { info in appendKind("bridge", to: &info) }
        return m
    }

    /// `RTM_DELLINK`.
    static func deleteLink(_ link: LinkSelector, _ operation: String) throws(NSCoreError) -> NetlinkMessageBuilder {
        try linkMessage(.deleteLink, [], selecting: link, operation)
    }

    /// `RTM_NEWLINK` setting or clearing `IFF_UP` (`ifi_change` = `IFF_UP`).
    static func setUp(_ link: LinkSelector, _ up: Bool, _ operation: String) throws(NSCoreError)
        -> NetlinkMessageBuilder
    {
        // ifi_change names the flags to change; with it 0 the kernel would take ifi_flags as a
        // whole new flag word (the legacy meaning), clearing flags we never meant to touch.
        let flag = LinkFlags.up.rawValue
        return try linkMessage(.newLink, [], selecting: link, operation, flags: up ? flag : 0, change: flag)
    }

    /// `RTM_NEWLINK` with a new `IFLA_IFNAME` for the link at `index`.
    static func rename(_ index: Int32, to newName: String, _ operation: String) throws(NSCoreError)
        -> NetlinkMessageBuilder
    {
        try InterfaceName.validate(newName, role: "new interface name")
        var m = try linkMessage(.newLink, [], selecting: .index(index), operation)
        m.appendAttribute(LinkAttribute.name, string: newName)
        return m
    }

    /// `RTM_NEWLINK` with `IFLA_MTU`.
    static func setMTU(_ link: LinkSelector, _ mtu: UInt32, _ operation: String) throws(NSCoreError)
        -> NetlinkMessageBuilder
    {
        var m = try linkMessage(.newLink, [], selecting: link, operation)
        m.appendAttribute(LinkAttribute.mtu, uint32: mtu)
        return m
    }

    /// `RTM_NEWLINK` with `IFLA_ADDRESS`.
    static func setMACAddress(_ link: LinkSelector, _ address: MACAddress, _ operation: String) throws(NSCoreError)
        -> NetlinkMessageBuilder
    {
        var m = try linkMessage(.newLink, [], selecting: link, operation)
        m.appendAttribute(LinkAttribute.address, bytes: address.bytes)
        return m
    }

    /// `RTM_NEWLINK` with `IFLA_AF_SPEC` { `AF_INET6` { `IFLA_INET6_ADDR_GEN_MODE` } }.
    static func setIPv6AddressGenerationMode(
        _ link: LinkSelector, _ mode: IPv6AddressGenerationMode, _ operation: String
    ) throws(NSCoreError) -> NetlinkMessageBuilder {
        var m = try linkMessage(.newLink, [], selecting: link, operation)
        m.appendNestedAttribute(LinkAttribute.addressFamilySpecific) { spec in
            spec.appendNestedAttribute(UInt16(AF_INET6)) { inet6 in
                inet6.appendAttribute(LinkAttribute.inet6AddressGenerationMode, uint8: mode.rawValue)
            }
        }
        return m
    }

    /// `RTM_NEWLINK` with `IFLA_MASTER` (0 detaches).
    static func setMaster(_ link: LinkSelector, _ masterIndex: Int32, _ operation: String) throws(NSCoreError)
        -> NetlinkMessageBuilder
    {
        var m = try linkMessage(.newLink, [], selecting: link, operation)
        m.appendAttribute(LinkAttribute.master, uint32: UInt32(bitPattern: masterIndex))
        return m
    }

    /// `RTM_NEWLINK` with `IFLA_NET_NS_PID` or `IFLA_NET_NS_FD`, and a new name if given (then
    /// `link` must be an index: a name in `IFLA_IFNAME` would select the link instead).
    static func move(
        _ link: LinkSelector, to namespace: NetworkNamespaceReference, newName: String?, _ operation: String
    )
        throws(NSCoreError) -> NetlinkMessageBuilder
    {
        var m = try linkMessage(.newLink, [], selecting: link, operation)
        if let newName {
            try InterfaceName.validate(newName, role: "new interface name")
            m.appendAttribute(LinkAttribute.name, string: newName)
        }
        appendNamespace(namespace, to: &m)
        return m
    }

    // MARK: Addresses

    /// `RTM_NEWADDR` or `RTM_DELADDR`: `struct ifaddrmsg`, `IFA_LOCAL`, `IFA_ADDRESS`, and
    /// `IFA_BROADCAST` if given. IPv6 additions carry `IFA_F_NODAD`; 127.0.0.0/8 gets host scope.
    static func address(
        _ type: NetlinkMessageType, _ flags: NetlinkMessageFlags, _ prefix: IPPrefix, index: Int32,
        broadcast: IPv4Address? = nil
    ) -> NetlinkMessageBuilder {
        var m = NetlinkMessageBuilder(type: type, flags: flags)
        // ip's default scope: loopback addresses are host-only, everything else global. The
        // kernel computes link-local scope for fe80::/10 itself.
        var scope = RouteScope.universe
        if case .v4(let a) = prefix.address, a.rawValue >> 24 == 127 { scope = .host }
        // IFA_F_NODAD fits in the u8 ifa_flags, so no IFA_FLAGS attribute is needed (ip sends
        // one only for flags above 0xff).
        let addressFlags: AddressFlags = prefix.family == .v6 && type == .newAddress ? .noDAD : []
        appendAddressHeader(
            &m, family: prefix.family.addressFamily, prefixLength: prefix.length,
            flags: UInt8(truncatingIfNeeded: addressFlags.rawValue), scope: scope.rawValue, index: index)
        m.appendAttribute(AddressAttribute.local, address: prefix.address)
        m.appendAttribute(AddressAttribute.address, address: prefix.address)
        if let broadcast { m.appendAttribute(AddressAttribute.broadcast, address: .v4(broadcast)) }
        return m
    }

    /// `RTM_GETADDR` dump of one family (`AF_UNSPEC` for both) and one link (0 for all).
    static func dumpAddresses(family: IPAddress.Family?, index: Int32) -> NetlinkMessageBuilder {
        var m = NetlinkMessageBuilder(type: .getAddress, flags: [])
        appendAddressHeader(&m, family: family?.addressFamily ?? UInt8(AF_UNSPEC), index: index)
        return m
    }

    // MARK: Routes

    /// `RTM_NEWROUTE` or `RTM_DELROUTE`: `struct rtmsg`, then `RTA_DST` (unless a default
    /// route), `RTA_GATEWAY`, `RTA_PRIORITY`, `RTA_OIF`, `RTA_PREFSRC`, `RTA_TABLE` (above 255).
    static func route(
        _ type: NetlinkMessageType, _ flags: NetlinkMessageFlags, to destination: IPPrefix,
        gateway: IPAddress?, outputIndex: Int32?, metric: UInt32?, source: IPAddress?, table: UInt32,
        protocol routeProtocol: RouteProtocol, scope: RouteScope, type routeType: RouteType
    ) -> NetlinkMessageBuilder {
        // rtm_table holds tables up to 255; larger ones go in RTA_TABLE with rtm_table 0
        // (RT_TABLE_UNSPEC). A deletion with scope "nowhere" and type/protocol unspecified
        // matches a route whatever its scope, type and origin, as `ip route del` does.
        var m = NetlinkMessageBuilder(type: type, flags: flags)
        appendRouteHeader(
            &m, family: destination.family.addressFamily, destinationLength: destination.length,
            table: table <= 255 ? UInt8(table) : 0, protocol: routeProtocol.rawValue, scope: scope.rawValue,
            type: routeType.rawValue)
        if destination.length > 0 { m.appendAttribute(RouteAttribute.destination, address: destination.address) }
        if let gateway { m.appendAttribute(RouteAttribute.gateway, address: gateway) }
        if let metric { m.appendAttribute(RouteAttribute.priority, uint32: metric) }
        if let outputIndex {
            m.appendAttribute(RouteAttribute.outputInterface, uint32: UInt32(bitPattern: outputIndex))
        }
        if let source { m.appendAttribute(RouteAttribute.preferredSource, address: source) }
        if table > 255 { m.appendAttribute(RouteAttribute.table, uint32: table) }
        return m
    }

    /// `RTM_GETROUTE` dump of one family and table. With `NETLINK_GET_STRICT_CHK` the kernel
    /// filters by `rtm_table`, or `RTA_TABLE` for tables above 255.
    static func dumpRoutes(family: IPAddress.Family, table: UInt32) -> NetlinkMessageBuilder {
        var m = NetlinkMessageBuilder(type: .getRoute, flags: [])
        appendRouteHeader(&m, family: family.addressFamily, table: table <= 255 ? UInt8(table) : 0)
        if table > 255 { m.appendAttribute(RouteAttribute.table, uint32: table) }
        return m
    }

    // MARK: Fixed headers

    /// A link message: `struct ifinfomsg` (family `AF_UNSPEC`), nothing after it.
    static func linkMessage(
        _ type: NetlinkMessageType, _ flags: NetlinkMessageFlags, index: Int32 = 0,
        flags linkFlags: UInt32 = 0, change: UInt32 = 0
    ) -> NetlinkMessageBuilder {
        var m = NetlinkMessageBuilder(type: type, flags: flags)
        appendLinkHeader(&m, index: index, flags: linkFlags, change: change)
        return m
    }

    /// A link message for the link `selector` names: its index in `ifi_index`, or its name in
    /// `IFLA_IFNAME` with index 0 (the kernel looks the name up itself).
    static func linkMessage(
        _ type: NetlinkMessageType, _ flags: NetlinkMessageFlags, selecting selector: LinkSelector,
        _ operation: String, flags linkFlags: UInt32 = 0, change: UInt32 = 0
    )
        throws(NSCoreError) -> NetlinkMessageBuilder
    {
        switch selector {
        case .index(let index):
            guard index > 0 else { throw .invalid(operation, "\(operation): \(index) is not an interface index") }
            return linkMessage(type, flags, index: index, flags: linkFlags, change: change)
        case .name(let name):
            // rtnetlink looks a link up by IFLA_IFNAME when ifi_index is 0 (GETLINK, NEWLINK,
            // DELLINK), which saves a round trip to resolve the name first.
            try InterfaceName.validate(name)
            var m = linkMessage(type, flags, flags: linkFlags, change: change)
            m.appendAttribute(LinkAttribute.name, string: name)
            return m
        }
    }

    /// `IFLA_INFO_KIND` without a NUL, as iproute2 sends it (the policy is `NLA_STRING`, which
    /// takes either).
    static func appendKind(_ kind: String, to m: inout NetlinkMessageBuilder) {
        m.appendAttribute(LinkAttribute.infoKind, bytes: kind.utf8)
    }

    /// Appends a `struct ifinfomsg`: family, pad, type (u16), index (s32), flags, change (u32).
    static func appendLinkHeader(
        _ m: inout NetlinkMessageBuilder, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0
    ) {
        m.append(UInt8(AF_UNSPEC))
        m.append(UInt8(0))
        m.append(UInt16(0))
        m.append(index)
        m.append(flags)
        m.append(change)
    }

    /// Appends `IFLA_NET_NS_PID` or `IFLA_NET_NS_FD`.
    static func appendNamespace(_ namespace: NetworkNamespaceReference, to m: inout NetlinkMessageBuilder) {
        switch namespace {
        case .pid(let pid): m.appendAttribute(LinkAttribute.namespacePID, uint32: UInt32(bitPattern: pid))
        case .fd(let fd): m.appendAttribute(LinkAttribute.namespaceFD, uint32: UInt32(bitPattern: fd))
        }
    }

    /// Appends a `struct ifaddrmsg`: family, prefixlen, flags, scope (u8 each), index (u32).
    static func appendAddressHeader(
        _ m: inout NetlinkMessageBuilder, family: UInt8, prefixLength: UInt8 = 0,
        flags: UInt8 = 0, scope: UInt8 = 0, index: Int32
    ) {
        m.append(family)
        m.append(prefixLength)
        m.append(flags)
        m.append(scope)
        m.append(index)
    }

    /// Appends a `struct rtmsg`: family, dst_len, src_len, tos, table, protocol, scope, type
    /// (u8 each), flags (u32).
    static func appendRouteHeader(
        _ m: inout NetlinkMessageBuilder, family: UInt8, destinationLength: UInt8 = 0, table: UInt8 = 0,
        protocol routeProtocol: UInt8 = 0, scope: UInt8 = 0, type: UInt8 = 0
    ) {
        m.append(family)
        m.append(destinationLength)
        m.append(UInt8(0))
        m.append(UInt8(0))
        m.append(table)
        m.append(routeProtocol)
        m.append(scope)
        m.append(type)
        m.append(UInt32(0))
    }
}
