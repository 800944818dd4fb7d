import Glibc

extension RouteNetlink {
    /// Adds a route (`RTM_NEWROUTE` with `NLM_F_CREATE | NLM_F_EXCL`, protocol boot, type
    /// unicast), as `ip route add` does.
    ///
    /// A route via a gateway has universe scope; a route without one (a directly connected
    /// network) has link scope and needs `device`.
    /// - Parameters:
    ///   - destination: the network, with its host bits clear (`10.1.0.0/16`); `IPPrefix.any(.v4)`
    ///     for a default route.
    ///   - gateway: the next hop, of the same family; it must be reachable through a route that
    ///     already exists (e.g. the prefix route of a link's address).
    ///   - device: the output link (`RTA_OIF`).
    ///   - metric: the priority (`RTA_PRIORITY`); lower wins.
    ///   - source: the preferred source address (`RTA_PREFSRC`).
    ///   - table: the routing table, ``RouteTable/main`` by default.
    /// - Throws: ``NSCoreError``: invalid argument for host bits in `destination` or a family
    ///   mismatch; `EEXIST` when the route exists; `ENETUNREACH` when the gateway is not reachable;
    ///   ``NSCoreError/Code/notFound`` when `device` does not exist.
    public func addRoute(
        to destination: IPPrefix, via gateway: IPAddress? = nil, device: LinkSelector? = nil,
        metric: UInt32? = nil, source: IPAddress? = nil, table: UInt32 = RouteTable.main
    ) throws(NSCoreError) {
        let operation = Self.describeRoute("add route", destination, gateway, device)
        let scope: RouteScope = gateway == nil && destination.family == .v4 ? .link : .universe
        let request = try routeMessage(
            .newRoute, [.create, .exclusive], destination, gateway, device, metric, source, table,
            protocol: .boot, scope: scope, type: .unicast, operation)
        try socket.request(request, operation: operation)
    }

    /// Adds a default route via `gateway` (`0.0.0.0/0` or `::/0`, by the gateway's family).
    /// - Parameters:
    ///   - gateway: the next hop, reachable through an existing route.
    ///   - device: the output link; nil lets the kernel find it from the gateway.
    ///   - metric: the priority; nil for the kernel's default (0 for IPv4, 1024 for IPv6).
    /// - Throws: ``NSCoreError``, as ``addRoute(to:via:device:metric:source:table:)``.
    public func addDefaultRoute(via gateway: IPAddress, device: LinkSelector? = nil, metric: UInt32? = nil)
        throws(NSCoreError)
    {
        try addRoute(to: .any(gateway.family), via: gateway, device: device, metric: metric)
    }

    /// Removes a route (`RTM_DELROUTE`). Fields left nil match any route with that destination,
    /// as `ip route del` does.
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when no route matches (the
    ///   kernel says `ESRCH`).
    public func removeRoute(
        to destination: IPPrefix, via gateway: IPAddress? = nil, device: LinkSelector? = nil,
        metric: UInt32? = nil, table: UInt32 = RouteTable.main
    ) throws(NSCoreError) {
        let operation = Self.describeRoute("remove route", destination, gateway, device)
        let request = try routeMessage(
            .deleteRoute, [], destination, gateway, device, metric, nil, table,
            protocol: .unspecified, scope: .nowhere, type: .unspecified, operation)
        do throws(NSCoreError) {
            try socket.request(request, operation: operation)
        } catch  where error.errno?.rawValue == ESRCH {
            // fib_table_delete reports a missing route as ESRCH ("No such process").
            throw NSCoreError(
                .notFound, errno: error.errno, stage: operation, message: "\(error.message) (no such route)")
        }
    }

    /// The routes of one table (`RTM_GETROUTE` dump), by default the main table that `ip route`
    /// shows: prefix routes of the links' addresses, gateways, defaults. Cached (cloned) routes
    /// are left out.
    /// - Parameters:
    ///   - family: IPv4 or IPv6; nil for both.
    ///   - table: the table, ``RouteTable/main`` by default.
    /// - Throws: ``NSCoreError`` when the dump fails or a reply is malformed.
    public func routes(family: IPAddress.Family? = nil, table: UInt32 = RouteTable.main) throws(NSCoreError) -> [Route]
    {
        var result: [Route] = []
        for f in family.map({ [$0] }) ?? [.v4, .v6] {
            // The kernel filters by table with NETLINK_GET_STRICT_CHK; so does the loop, for
            // kernels without it.
            let request = RouteRequest.dumpRoutes(family: f, table: table)
            for m in try socket.dump(request, operation: "list \(f) routes") where m.header.type == .newRoute {
                let route = try Route(decoding: m)
                if route.table == table { result.append(route) }
            }
        }
        return result
    }

    /// Checks a route's arguments, resolves its device and builds the request
    /// (``RouteRequest/route(_:_:to:gateway:outputIndex:metric:source:table:protocol:scope:type:)``).
    private func routeMessage(
        _ type: NetlinkMessageType, _ flags: NetlinkMessageFlags, _ destination: IPPrefix,
        _ gateway: IPAddress?, _ device: LinkSelector?, _ metric: UInt32?, _ source: IPAddress?,
        _ table: UInt32, protocol routeProtocol: RouteProtocol, scope: RouteScope, type routeType: RouteType,
        _ operation: String
    ) throws(NSCoreError) -> NetlinkMessageBuilder {
        guard destination.isNetwork else {
            throw .invalid(
                operation,
                "\(operation): the destination \(destination) has host bits set; the network is \(destination.network)")
        }
        for (what, address) in [("gateway", gateway), ("source", source)] {
            if let address, address.family != destination.family {
                throw .invalid(
                    operation,
                    "\(operation): the \(what) \(address) is \(address.family), the destination \(destination.family)")
            }
        }
        let outputIndex = try device.map { (d) throws(NSCoreError) in try index(of: d, operation) }
        return RouteRequest.route(
            type, flags, to: destination, gateway: gateway, outputIndex: outputIndex, metric: metric,
            source: source, table: table, protocol: routeProtocol, scope: scope, type: routeType)
    }

    /// `add route default via 10.0.0.1 dev eth0`, for errors.
    private static func describeRoute(
        _ verb: String, _ destination: IPPrefix, _ gateway: IPAddress?, _ device: LinkSelector?
    ) -> String {
        var text = "\(verb) \(destination.length == 0 ? "default" : destination.description)"
        if let gateway { text += " via \(gateway)" }
        if let device { text += " dev \(device)" }
        return text
    }
}
