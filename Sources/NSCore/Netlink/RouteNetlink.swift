import Glibc

/// An rtnetlink client: links, addresses and routes of one network namespace, with no `ip`
/// subprocess.
///
/// Each value wraps a ``NetlinkSocket``, and the socket belongs to the network namespace it was
/// opened in. To configure another namespace (a container's), open the client there:
/// ``init(networkNamespaceOf:)`` enters the namespace on the calling thread only while the
/// socket is created; every request afterwards runs in that namespace from any thread.
///
/// ```swift
/// let host = try RouteNetlink(networkNamespaceOf: hostPID)
/// try host.createVethPair("veth0", peer: "eth0", peerNamespace: .pid(container.pid))
/// let inside = try RouteNetlink(networkNamespaceOf: container.pid)
/// try inside.addAddress(IPPrefix("10.0.0.2/24"), to: "eth0")
/// try inside.setUp("eth0")
/// try inside.addDefaultRoute(via: IPAddress("10.0.0.1"))
/// ```
///
/// Errors are ``NSCoreError``s whose stage names the operation and whose message adds the
/// kernel's errno and explanation: `create veth pair ve0/ve1: EEXIST (File exists): kernel
/// says "..."`. A missing link is ``NSCoreError/Code/notFound`` (`ENODEV`). Not thread-safe:
/// use one client from one thread at a time.
public struct RouteNetlink {
    /// The socket every request goes through.
    public let socket: NetlinkSocket

    /// A client for the calling thread's current network namespace.
    /// - Throws: ``NSCoreError`` when the netlink socket cannot be opened.
    public init() throws(NSCoreError) {
        socket = try NetlinkSocket(protocol: NetlinkProtocol.route)
    }

    /// A client over an existing `NETLINK_ROUTE` socket.
    public init(socket: NetlinkSocket) {
        self.socket = socket
    }

    /// A client for the network namespace of process `pid`.
    /// The corresponding syscalls are `setns(2)` (calling thread only) and `socket(2)`.
    /// - Throws: ``NSCoreError`` when the process is gone or its namespace cannot be entered.
    public init(networkNamespaceOf pid: pid_t) throws(NSCoreError) {
        socket = try NetlinkSocket.open(inNetworkNamespaceOf: pid)
    }

    /// A client for the network namespace an open namespace file refers to (borrowed).
    /// - Throws: ``NSCoreError`` when the fd is not a network namespace.
    public init(networkNamespace fd: Int32) throws(NSCoreError) {
        socket = try NetlinkSocket.open(inNetworkNamespace: fd)
    }

    /// A client for the network namespace at `path` (`/proc/PID/ns/net`, `/run/netns/NAME`).
    /// - Throws: ``NSCoreError`` when the file cannot be opened or is not a network namespace.
    public init(networkNamespaceAt path: String) throws(NSCoreError) {
        socket = try NetlinkSocket.open(inNetworkNamespaceAt: path)
    }

    /// A client for the namespace `reference` names.
    public init(_ reference: NetworkNamespaceReference) throws(NSCoreError) {
        socket = try NetlinkSocket.open(in: reference)
    }

    // MARK: - Reading links

    /// Every link in the namespace, in index order. The request is an `RTM_GETLINK` dump.
    /// - Throws: ``NSCoreError`` when the dump fails or a reply is malformed.
    public func links() throws(NSCoreError) -> [NetworkLink] {
        var links: [NetworkLink] = []
        for m in try socket.dump(RouteRequest.dumpLinks(), operation: "list links") where m.header.type == .newLink {
            links.append(try NetworkLink(decoding: m))
        }
        return links
    }

    /// The link `selector` names (`RTM_GETLINK`).
    /// - Throws: ``NSCoreError`` with ``NSCoreError/Code/notFound`` (`ENODEV`) when there is none.
    public func link(_ selector: LinkSelector) throws(NSCoreError) -> NetworkLink {
        let operation = "get link \(selector)"
        for reply in try socket.request(try RouteRequest.getLink(selector, operation), operation: operation)
        where reply.header.type == .newLink {
            return try NetworkLink(decoding: reply)
        }
        throw NSCoreError(
            .notFound, errno: Errno(rawValue: ENODEV), stage: operation,
            message: "\(operation): the kernel sent no link")
    }

    /// The link named `name`.
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when there is none.
    public func link(named name: String) throws(NSCoreError) -> NetworkLink { try link(.name(name)) }

    /// The link with interface index `index`.
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when there is none.
    public func link(index: Int32) throws(NSCoreError) -> NetworkLink { try link(.index(index)) }

    /// The link `selector` names, or nil when there is none. Other errors still throw.
    public func linkIfPresent(_ selector: LinkSelector) throws(NSCoreError) -> NetworkLink? {
        do throws(NSCoreError) {
            return try link(selector)
        } catch  where error.errno?.rawValue == ENODEV {
            return nil
        }
    }

    /// The interface index of the link `selector` names (no request for an index).
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when there is no such link.
    public func index(of selector: LinkSelector) throws(NSCoreError) -> Int32 {
        if case .index(let index) = selector { return index }
        return try link(selector).index
    }

    // MARK: - Creating and deleting links

    /// Creates a veth pair: two links joined back to back, `name` here and `peer` here or in
    /// `peerNamespace` (created there directly, so it never appears in this namespace).
    ///
    /// Both ends start down unless `up` is set. The request is one `RTM_NEWLINK` with
    /// `NLM_F_CREATE | NLM_F_EXCL`, kind `veth` and the peer in `VETH_INFO_PEER`: it creates
    /// both ends (this one up and on its bridge when asked) or neither.
    /// - Parameters:
    ///   - name: this end's name.
    ///   - peer: the other end's name.
    ///   - peerNamespace: where the other end goes (`IFLA_NET_NS_PID` or `IFLA_NET_NS_FD`);
    ///     nil for this namespace.
    ///   - mtu: the MTU of both ends; nil for the default (1500).
    ///   - master: the index of a bridge this end becomes a port of (`IFLA_MASTER`); nil for none.
    ///   - up: bring this end up (`IFF_UP`).
    /// - Throws: ``NSCoreError``: invalid argument for a bad name; `EEXIST` when a name is taken
    ///   (on either side); ``NSCoreError/Code/processExited`` (`ESRCH`) for a pid that does not
    ///   exist; `EINVAL` for an fd that is not a network namespace or a master index that names
    ///   no link; `EOPNOTSUPP` when the master cannot take ports.
    public func createVethPair(
        _ name: String, peer: String, peerNamespace: NetworkNamespaceReference? = nil,
        mtu: UInt32? = nil, master: Int32? = nil, up: Bool = false
    ) throws(NSCoreError) {
        var operation = "create veth pair \(name)/\(peer)"
        if let peerNamespace { operation += " with \(peer) in \(peerNamespace)" }
        if let master { operation += " on bridge index \(master)" }
        let request = try RouteRequest.createVethPair(
            name, peer: peer, peerNamespace: peerNamespace, mtu: mtu, master: master, up: up)
        try socket.request(request, operation: operation)
    }

    /// Creates a bridge named `name` (down, with no ports).
    /// The request is `RTM_NEWLINK` with `NLM_F_CREATE | NLM_F_EXCL` and kind `bridge`.
    /// - Throws: ``NSCoreError``: invalid argument for a bad name, `EEXIST` when it is taken.
    public func createBridge(_ name: String, mtu: UInt32? = nil) throws(NSCoreError) {
        try socket.request(try RouteRequest.createBridge(name, mtu: mtu), operation: "create bridge \(name)")
    }

    /// Deletes a link (`RTM_DELLINK`). Deleting one end of a veth pair deletes both.
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when there is no such link.
    public func deleteLink(_ link: LinkSelector) throws(NSCoreError) {
        let operation = "delete link \(link)"
        try socket.request(try RouteRequest.deleteLink(link, operation), operation: operation)
    }

    // MARK: - Changing links

    /// Brings a link up (`IFF_UP` set through `RTM_NEWLINK`, as `ip link set up`).
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when there is no such link.
    public func setUp(_ link: LinkSelector) throws(NSCoreError) {
        let operation = "set link \(link) up"
        try socket.request(try RouteRequest.setUp(link, true, operation), operation: operation)
    }

    /// Brings a link down (`IFF_UP` cleared).
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when there is no such link.
    public func setDown(_ link: LinkSelector) throws(NSCoreError) {
        let operation = "set link \(link) down"
        try socket.request(try RouteRequest.setUp(link, false, operation), operation: operation)
    }

    /// Renames a link (`IFLA_IFNAME` on its index). Some kernels and drivers refuse (`EBUSY`)
    /// to rename a link that is up: bring it down first to be portable.
    /// - Throws: ``NSCoreError``: invalid argument for a bad name, `EEXIST` when it is taken,
    ///   ``NSCoreError/Code/notFound`` when there is no such link.
    public func renameLink(_ link: LinkSelector, to newName: String) throws(NSCoreError) {
        let operation = "rename link \(link) to \(newName)"
        try InterfaceName.validate(newName, role: "new interface name")
        let request = try RouteRequest.rename(try index(of: link, operation), to: newName, operation)
        try socket.request(request, operation: operation)
    }

    /// Sets a link's MTU (`IFLA_MTU`). The kernel checks the driver's range (68...65535 for a veth).
    /// - Throws: ``NSCoreError`` (`EINVAL` with the kernel's reason) for an MTU out of range,
    ///   ``NSCoreError/Code/notFound`` when there is no such link.
    public func setMTU(_ link: LinkSelector, _ mtu: UInt32) throws(NSCoreError) {
        let operation = "set mtu of \(link) to \(mtu)"
        try socket.request(try RouteRequest.setMTU(link, mtu, operation), operation: operation)
    }

    /// Sets a link's MAC address (`IFLA_ADDRESS`).
    /// - Throws: ``NSCoreError``: invalid argument for a multicast address (a link's own address
    ///   must be unicast), ``NSCoreError/Code/notFound`` when there is no such link.
    public func setMACAddress(_ link: LinkSelector, _ address: MACAddress) throws(NSCoreError) {
        let operation = "set mac address of \(link) to \(address)"
        if address.isMulticast {
            throw .invalid(operation, "\(operation): \(address) is a multicast address; a link needs a unicast one")
        }
        try socket.request(try RouteRequest.setMACAddress(link, address, operation), operation: operation)
    }

    /// How the kernel makes the IPv6 link-local address of a link when it comes up
    /// (`IFLA_INET6_ADDR_GEN_MODE`, as `ip link set DEV addrgenmode none`). Set it while the link
    /// is down: it applies at the next `up`.
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when there is no such link;
    ///   `EAFNOSUPPORT` or `EINVAL` when IPv6 is off in the kernel.
    public func setIPv6AddressGenerationMode(_ link: LinkSelector, _ mode: IPv6AddressGenerationMode)
        throws(NSCoreError)
    {
        let operation = "set the IPv6 address generation mode of \(link) to \(mode)"
        try socket.request(
            try RouteRequest.setIPv6AddressGenerationMode(link, mode, operation), operation: operation)
    }

    /// Attaches a link to a bridge as one of its ports (`IFLA_MASTER`).
    /// - Throws: ``NSCoreError``: ``NSCoreError/Code/notFound`` when either does not exist;
    ///   invalid argument (`EOPNOTSUPP`) when `bridge` is not a bridge.
    public func attach(_ link: LinkSelector, toBridge bridge: LinkSelector) throws(NSCoreError) {
        let operation = "attach \(link) to bridge \(bridge)"
        let request = try RouteRequest.setMaster(link, try index(of: bridge, operation), operation)
        do throws(NSCoreError) {
            try socket.request(request, operation: operation)
        } catch  where error.errno?.rawValue == EOPNOTSUPP {
            // The master's driver cannot take ports: the user named something that is no bridge.
            throw NSCoreError(
                .invalidArgument, errno: error.errno, stage: operation,
                message: "\(error.message): \(bridge) cannot take ports (is it a bridge?)")
        }
    }

    /// Detaches a link from its bridge (`IFLA_MASTER` 0). A link without a master is left as it is.
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when there is no such link.
    public func detachFromBridge(_ link: LinkSelector) throws(NSCoreError) {
        let operation = "detach \(link) from its bridge"
        try socket.request(try RouteRequest.setMaster(link, 0, operation), operation: operation)
    }

    /// Moves a link into another network namespace (`IFLA_NET_NS_PID` or `IFLA_NET_NS_FD`),
    /// optionally renaming it on the way (as a container's `eth0`). It arrives down, and keeps
    /// neither addresses nor routes.
    /// - Parameters:
    ///   - link: the link, in this client's namespace.
    ///   - namespace: where it goes.
    ///   - newName: its name there; nil to keep it.
    /// - Throws: ``NSCoreError``: ``NSCoreError/Code/notFound`` when there is no such link,
    ///   ``NSCoreError/Code/processExited`` (`ESRCH`) when the pid does not exist, `EEXIST` when
    ///   the name is taken there, invalid argument for a bad name or fd.
    public func moveLink(_ link: LinkSelector, to namespace: NetworkNamespaceReference, newName: String? = nil)
        throws(NSCoreError)
    {
        var operation = "move link \(link) into \(namespace)"
        if let newName {
            operation += " as \(newName)"
            try InterfaceName.validate(newName, role: "new interface name")
        }
        // A name in IFLA_IFNAME would select the link; to rename as well, select by index.
        let selector = newName == nil ? link : .index(try index(of: link, operation))
        try socket.request(
            try RouteRequest.move(selector, to: namespace, newName: newName, operation), operation: operation)
    }

    /// ``index(of:)`` for an operation: a missing link reports the operation.
    func index(of selector: LinkSelector, _ operation: String) throws(NSCoreError) -> Int32 {
        if case .index(let index) = selector { return index }
        do throws(NSCoreError) {
            return try link(selector).index
        } catch {
            var e = error
            e.stage = operation
            e.message = "\(operation): \(error.message)"
            throw e
        }
    }
}
