import Glibc

// Netlink sockets for another network namespace. A netlink socket belongs to the namespace of
// the thread that created it, for its whole life: so the calling thread enters the namespace
// just long enough to call socket(2), and goes back before anything else runs on it. The socket
// then works from any thread. The process as a whole never changes namespace.

/// A network namespace named by a process or an open namespace file.
public enum NetworkNamespaceReference: Sendable, Hashable, CustomStringConvertible {
    /// The network namespace of process `pid` (`IFLA_NET_NS_PID`).
    case pid(pid_t)
    /// The network namespace of an open `/proc/PID/ns/net` or bind-mounted namespace file
    /// (`IFLA_NET_NS_FD`). The descriptor is borrowed for the call.
    case fd(Int32)

    public var description: String {
        switch self {
        case .pid(let pid): return "the network namespace of pid \(pid)"
        case .fd(let fd): return "the network namespace of fd \(fd)"
        }
    }
}

extension NetlinkSocket {
    /// Opens a netlink socket inside the network namespace of process `pid`.
    ///
    /// Only the calling thread enters the namespace, and only while the socket is created
    /// (through ``ThreadNamespace/run(in:of:_:)``).
    /// The corresponding syscalls are `setns(2)` and `socket(2)`.
    /// - Throws: ``NSCoreError`` when the process does not exist, its namespace cannot be
    ///   entered, or the socket cannot be opened.
    public static func open(
        protocol netlinkProtocol: Int32 = NetlinkProtocol.route,
        inNetworkNamespaceOf pid: pid_t
    ) throws(NSCoreError) -> NetlinkSocket {
        try ThreadNamespace.run(in: [.network], of: pid) { () throws(NSCoreError) -> NetlinkSocket in
            try NetlinkSocket(protocol: netlinkProtocol)
        }
    }

    /// Opens a netlink socket inside the network namespace that `namespaceFD` refers to (an open
    /// `/proc/PID/ns/net`, or a file that `ip netns add` bind-mounted). The fd is borrowed.
    /// The corresponding syscalls are `setns(2)` and `socket(2)`.
    /// - Throws: ``NSCoreError`` when the fd is not a network namespace or cannot be entered.
    public static func open(
        protocol netlinkProtocol: Int32 = NetlinkProtocol.route,
        inNetworkNamespace namespaceFD: Int32
    ) throws(NSCoreError) -> NetlinkSocket {
        try ThreadNamespace.run(inNetworkNamespace: namespaceFD) { () throws(NSCoreError) -> NetlinkSocket in
            try NetlinkSocket(protocol: netlinkProtocol)
        }
    }

    /// Opens a netlink socket inside the network namespace at `path` (`/proc/PID/ns/net`, or a
    /// bind-mounted namespace such as `/run/netns/NAME`).
    /// - Throws: ``NSCoreError`` when the file cannot be opened or is not a network namespace.
    public static func open(
        protocol netlinkProtocol: Int32 = NetlinkProtocol.route,
        inNetworkNamespaceAt path: String
    ) throws(NSCoreError) -> NetlinkSocket {
        if path.containsNUL { throw .invalid("namespace path", "the namespace path contains a NUL byte") }
        let fd: OwnedFD
        switch sys_open(path, O_RDONLY) {
        case .success(let f): fd = f
        case .failure(let e): throw .sys(e, "open \(path)")
        }
        return try open(protocol: netlinkProtocol, inNetworkNamespace: fd.rawValue)
    }

    /// Opens a netlink socket inside the namespace `reference` names.
    public static func open(
        protocol netlinkProtocol: Int32 = NetlinkProtocol.route,
        in reference: NetworkNamespaceReference
    ) throws(NSCoreError) -> NetlinkSocket {
        switch reference {
        case .pid(let pid): return try open(protocol: netlinkProtocol, inNetworkNamespaceOf: pid)
        case .fd(let fd): return try open(protocol: netlinkProtocol, inNetworkNamespace: fd)
        }
    }
}
