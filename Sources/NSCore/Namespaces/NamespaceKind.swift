import CNSCoreShim
import Glibc

/// One of the eight kinds of Linux namespace.
///
/// Each kind has a `CLONE_NEW*` flag (``cloneFlag``) and a name under `/proc/PID/ns/`
/// (``procName``). The raw values are stable and shared with the C ABI (`NSCORE_NS_*`) and
/// Python (`nscore.Namespace`): they are the bit positions of ``NamespaceSet``.
public enum NamespaceKind: Int32, CaseIterable, Sendable, CustomStringConvertible {
    /// Hostname and NIS domain name (`CLONE_NEWUTS`).
    case uts = 0
    /// System V IPC objects and POSIX message queues (`CLONE_NEWIPC`).
    case ipc = 1
    /// Process ids (`CLONE_NEWPID`); the first process is PID 1.
    case pid = 2
    /// Network devices, addresses, routes, ports (`CLONE_NEWNET`).
    case network = 3
    /// Mount points (`CLONE_NEWNS`).
    case mount = 4
    /// User and group ids and capabilities (`CLONE_NEWUSER`).
    case user = 5
    /// The cgroup root directory (`CLONE_NEWCGROUP`).
    case cgroup = 6
    /// The monotonic and boot-time clocks (`CLONE_NEWTIME`).
    case time = 7

    /// The `CLONE_NEW*` flag for this kind. The corresponding syscalls are `clone3(2)`,
    /// `unshare(2)` and `setns(2)`.
    public var cloneFlag: Int32 {
        switch self {
        case .uts: return 0x0400_0000
        case .ipc: return 0x0800_0000
        case .pid: return 0x2000_0000
        case .network: return 0x4000_0000
        case .mount: return 0x0002_0000
        case .user: return 0x1000_0000
        case .cgroup: return 0x0200_0000
        case .time: return 0x0000_0080
        }
    }

    /// The file name under `/proc/PID/ns/` (`"net"` for ``network``, `"mnt"` for ``mount``).
    public var procName: String { String(cString: cName) }

    /// ``procName`` as a static C string (valid for the life of the process), from the one
    /// table of names that Swift, the C ABI (`nscore_namespace_name`) and Python share.
    public var cName: UnsafePointer<CChar> { nsc_shim_ns_name(rawValue)! }

    /// The namespace file of this kind for process `pid`: `/proc/PID/ns/NAME`.
    public func path(of pid: pid_t) -> String { "/proc/\(pid)/ns/\(procName)" }

    /// The kind with this `/proc/PID/ns` name or util-linux spelling (`"net"`, `"network"`,
    /// `"mnt"`, `"mount"`), or `nil`.
    public init?(name: String) {
        let name = name.lowercased()
        switch name {
        case "network": self = .network
        case "mount": self = .mount
        default:
            guard let kind = NamespaceKind.allCases.first(where: { $0.procName == name }) else { return nil }
            self = kind
        }
    }

    /// The kind with this `CLONE_NEW*` flag (as `NS_GET_NSTYPE` returns it), or `nil`.
    public init?(cloneFlag: Int32) {
        for raw in Int32(0)...7 where NamespaceKind(rawValue: raw)!.cloneFlag == cloneFlag {
            self.init(rawValue: raw)
            return
        }
        return nil
    }

    /// The same as ``procName``.
    public var description: String { procName }
}

/// A set of namespace kinds, stored as bits `1 << kind.rawValue` (the C ABI's `NSCORE_NS_*`).
public struct NamespaceSet: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The set holding only `kind`.
    public init(_ kind: NamespaceKind) { self.rawValue = 1 << UInt32(kind.rawValue) }

    public static let uts = NamespaceSet(.uts)
    public static let ipc = NamespaceSet(.ipc)
    public static let pid = NamespaceSet(.pid)
    public static let network = NamespaceSet(.network)
    public static let mount = NamespaceSet(.mount)
    public static let user = NamespaceSet(.user)
    public static let cgroup = NamespaceSet(.cgroup)
    public static let time = NamespaceSet(.time)
    /// All eight kinds.
    public static let all = NamespaceSet(rawValue: 0xFF)

    /// The bits that name a kind; anything else is invalid input.
    public static let validBits: UInt32 = all.rawValue

    /// The kinds in the set, in ``NamespaceKind`` order.
    public var kinds: [NamespaceKind] { NamespaceKind.allCases.filter { contains(NamespaceSet($0)) } }

    /// The OR of the members' `CLONE_NEW*` flags.
    public var cloneFlags: Int32 {
        var flags: Int32 = 0
        var bits = rawValue & NamespaceSet.validBits
        while bits != 0 {
            flags |= NamespaceKind(rawValue: Int32(bits.trailingZeroBitCount))!.cloneFlag
            bits &= bits - 1
        }
        return flags
    }

    /// Validates raw bits from C or Python.
    /// - Throws: ``NSCoreError`` (invalid argument) naming the unknown bits.
    public init(validating bits: UInt32, stage: String = "namespaces") throws(NSCoreError) {
        let unknown = bits & ~NamespaceSet.validBits
        if unknown != 0 {
            throw .invalid(stage, "\(stage): unknown namespace flag bits 0x\(String(unknown, radix: 16))")
        }
        self.init(rawValue: bits)
    }

    /// Parses a comma-separated list such as `"net,uts"` or `"all"`.
    /// - Throws: ``NSCoreError`` (invalid argument) naming the unknown word.
    public init(parsing list: String) throws(NSCoreError) {
        var set: NamespaceSet = []
        for word in list.split(separator: ",") {
            if word == "all" {
                set.formUnion(.all)
            } else if let kind = NamespaceKind(name: String(word)) {
                set.insert(NamespaceSet(kind))
            } else {
                throw .invalid("namespaces", "unknown namespace kind '\(word)' (expected uts, ipc, pid, net, mnt, user, cgroup, time or all)")
            }
        }
        self = set
    }

    public var description: String { kinds.map(\.procName).joined(separator: ",") }
}
