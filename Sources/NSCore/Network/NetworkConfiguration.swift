import Glibc

/// How a container's network namespace is connected (`--network`).
public enum NetworkConfiguration: Sendable, Equatable {
    /// Only `lo`, up: the default for a new network namespace.
    case none
    /// A veth pair set up by the parent while the child waits: one end inside (``Veth/interface``,
    /// `eth0` by default) with its addresses, MTU, MAC and default route; the other in the
    /// caller's network namespace, on a bridge when one is named. The command starts with the
    /// network ready. Needs a new network namespace.
    case veth(Veth)
    /// Join an existing network namespace, named by its file (`/run/netns/NAME`,
    /// `/proc/PID/ns/net`): the child is cloned from a thread inside it instead of getting a
    /// new one. Exclusive with a new network namespace.
    case namespace(String)
    /// Share the network namespace of a running process, as `docker run --network
    /// container:ID` does.
    case container(pid_t)
}

/// The settings of a ``NetworkConfiguration/veth(_:)`` network.
public struct Veth: Sendable, Equatable {
    /// The interface inside the container (at most 15 bytes).
    public var interface: String
    /// The end in the caller's namespace; nil generates a free `nsc` name.
    public var hostInterface: String?
    /// A bridge in the caller's namespace the host end is attached to.
    public var bridge: Bridge?
    /// Addresses of the inside interface, with their prefix length (IPv4 and IPv6; IPv6 ones
    /// are usable at once, without duplicate address detection). Empty, with a ``bridge`` that
    /// has an IPv4 ``Bridge/address``: the next address of its subnet that this process has
    /// not handed out, with the bridge as the default gateway (given back when the container
    /// is reaped). With no IPv6 address the interface gets no IPv6 link-local address either
    /// (it sends no IPv6 packet of its own, as Docker's IPv4-only containers).
    public var addresses: [IPPrefix]
    /// The default route's gateway; it must lie in one of ``addresses``' subnets.
    public var gateway: IPAddress?
    /// The MTU of both ends.
    public var mtu: UInt32?
    /// The inside interface's MAC address.
    public var mac: MACAddress?

    public init(interface: String = "eth0", hostInterface: String? = nil, bridge: Bridge? = nil,
                addresses: [IPPrefix] = [], gateway: IPAddress? = nil, mtu: UInt32? = nil, mac: MACAddress? = nil) {
        self.interface = interface
        self.hostInterface = hostInterface
        self.bridge = bridge
        self.addresses = addresses
        self.gateway = gateway
        self.mtu = mtu
        self.mac = mac
    }
}

/// A bridge in the caller's network namespace (docker0-like).
public struct Bridge: Sendable, Equatable {
    /// Its name (at most 15 bytes).
    public var name: String
    /// Its own address, the containers' gateway; given to a bridge that does not have it.
    public var address: IPPrefix?
    /// Create the bridge (up) when it does not exist. A bridge made for containers stays for
    /// reuse; ``Bridge/remove(_:)`` deletes it.
    public var create: Bool

    public init(_ name: String, address: IPPrefix? = nil, create: Bool = true) {
        self.name = name
        self.address = address
        self.create = create
    }

    /// Deletes the bridge `name` from the calling thread's network namespace; its ports are
    /// detached (their containers keep their own ends).
    /// - Throws: ``NSCoreError``: ``NSCoreError/Code/notFound`` when there is no such link,
    ///   invalid argument when the link is not a bridge (it is left alone) or the name is not a
    ///   valid interface name.
    public static func remove(_ name: String) throws(NSCoreError) {
        try InterfaceName.validate(name, role: "bridge name")
        let rt = try RouteNetlink()
        let link = try rt.link(.name(name))
        guard link.kind == "bridge" else {
            throw .invalid("remove bridge \(name)",
                           "remove bridge \(name): '\(name)' is not a bridge (its kind is \(link.kind ?? "none")); it is left alone")
        }
        try rt.deleteLink(.index(link.index))
        BridgeCache.forget(name)
    }
}
