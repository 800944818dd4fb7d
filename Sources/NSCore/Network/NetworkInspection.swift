import Glibc

/// One interface of a network namespace, with its addresses: what `ip -j addr` shows of it.
public struct NetworkInterface: Sendable, Hashable, JSONWritable {
    /// The link itself: index, name, kind, flags, operstate, MAC, MTU, master, veth peer.
    public var link: NetworkLink
    /// Its addresses, with prefix lengths (IPv4 and IPv6).
    public var addresses: [IPPrefix]

    public var index: Int32 { link.index }
    public var name: String { link.name }
    /// For a veth: the index of its peer in the peer's namespace (the host end of a container's
    /// `eth0`).
    public var vethPeerIndex: Int32? { link.vethPeerIndex }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("index", link.index)
        w.field("name", link.name)
        w.key("kind")
        if let k = link.kind { w.value(k) } else { w.null() }
        w.field("up", link.isUp)
        w.field("state", link.operationalState.description)
        w.key("mac")
        if let m = link.macAddress { w.value(m.description) } else { w.null() }
        w.field("mtu", link.mtu)
        w.key("master")
        if let m = link.masterIndex { w.value(m) } else { w.null() }
        w.key("veth_peer")
        if let p = link.vethPeerIndex { w.value(p) } else { w.null() }
        w.key("addresses")
        w.beginArray()
        for a in addresses { w.value(a.description) }
        w.endArray()
        w.endObject()
    }
}

/// A network namespace's interfaces and routes (main table), read through rtnetlink.
public struct NetworkInspection: Sendable, Hashable {
    public var interfaces: [NetworkInterface]
    public var routes: [Route]
}

extension Route: JSONWritable {
    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("destination", destination.description)
        w.key("gateway")
        if let g = gateway { w.value(g.description) } else { w.null() }
        w.key("interface")
        if let i = outputInterface { w.value(i) } else { w.null() }
        w.key("metric")
        if let m = metric { w.value(m) } else { w.null() }
        w.field("default", isDefault)
        w.endObject()
    }
}

extension Inspect {
    /// The interfaces (with their addresses) and the main table's routes of the network
    /// namespace of process `pid`, read through a netlink socket opened in it (the calling
    /// thread enters the namespace only while the socket is created).
    /// - Throws: ``NSCoreError``: not found when there is no such process; a system error when
    ///   its namespace cannot be entered (root, or the namespace's owner, is needed).
    public static func network(of pid: pid_t) throws(NSCoreError) -> NetworkInspection {
        guard pid > 0 else { throw .invalid("pid", "pid \(pid) is not a valid pid") }
        let rt = try RouteNetlink(networkNamespaceOf: pid)
        let links = try rt.links()
        let addresses = try rt.addresses()
        var interfaces: [NetworkInterface] = []
        for link in links {
            interfaces.append(NetworkInterface(link: link,
                                               addresses: addresses.filter { $0.interfaceIndex == link.index }.map(\.prefix)))
        }
        return NetworkInspection(interfaces: interfaces, routes: try rt.routes())
    }

    /// `{"pid":N,"interfaces":[...],"routes":[...]}`.
    public static func json(_ n: NetworkInspection, pid: pid_t) -> String {
        var w = JSONWriter(capacity: 256 * (n.interfaces.count + n.routes.count) + 48)
        w.beginObject()
        w.field("pid", pid)
        w.key("interfaces")
        w.beginArray()
        for i in n.interfaces { i.write(to: &w) }
        w.endArray()
        w.key("routes")
        w.beginArray()
        for r in n.routes { r.write(to: &w) }
        w.endArray()
        w.endObject()
        return w.string
    }
}
