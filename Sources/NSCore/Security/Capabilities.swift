import CNSCoreShim
import Glibc

/// A Linux capability (capabilities(7)), by number; its name is `CAP_` and the constant's.
public struct Capability: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt8

    /// The capabilities this library knows, in number order (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40).
    static let names: [StaticString] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// How many capabilities this library knows (the count of ``names``, which the spawn path
    /// does not touch).
    static let known: UInt8 = 41

    /// The capability numbered `rawValue`; nil past the last one this library knows.
    public init?(rawValue: UInt8) {
        guard rawValue < Self.known else { return nil }
        self.rawValue = rawValue
    }

    /// The capability named `name`: `CAP_NET_ADMIN`, `NET_ADMIN` or `net_admin`.
    /// - Throws: ``NSCoreError`` (invalid argument) that lists the valid names.
    public init(named name: String) throws(NSCoreError) {
        var upper = name.uppercased()
        if !upper.hasPrefix("CAP_") { upper = "CAP_" + upper }
        guard let i = Self.names.firstIndex(where: { $0.description == upper }) else {
            throw .invalid("capabilities", "capabilities: unknown capability '\(name)'; the valid names are "
                           + Self.names.map(\.description).joined(separator: ", ") + " (or ALL)")
        }
        self.rawValue = UInt8(i)
    }

    /// `CAP_...`.
    public var description: String { Self.names[Int(rawValue)].description }

    public static func < (a: Capability, b: Capability) -> Bool { a.rawValue < b.rawValue }

    /// The last capability the running kernel has: the last number `PR_CAPBSET_READ` knows
    /// (it fails with EINVAL past it), at most the last this library knows.
    static let lastSupported: UInt8 = {
        var last: UInt8 = 0
        while last + 1 < known && nsc_shim_capbset_read(Int32(last) + 1) >= 0 { last += 1 }
        return last
    }()
}

/// A set of capabilities, as the kernel's 64-bit mask.
public struct CapabilitySet: Sendable, Hashable, SetAlgebra, CustomStringConvertible {
    public var mask: UInt64

    public init() { mask = 0 }
    public init(mask: UInt64) { self.mask = mask }
    public init<S: Sequence>(_ capabilities: S) where S.Element == Capability {
        mask = 0
        for c in capabilities { mask |= 1 << UInt64(c.rawValue) }
    }

    /// Parses names (`CAP_CHOWN`, `chown`); `ALL` is every capability the kernel has.
    /// - Throws: ``NSCoreError`` naming an unknown capability and listing the valid ones.
    public init(names: [String]) throws(NSCoreError) {
        mask = 0
        for n in names {
            if n.uppercased() == "ALL" || n.uppercased() == "CAP_ALL" { formUnion(.all); continue }
            insert(try Capability(named: n))
        }
    }

    /// Every capability the running kernel has.
    public static var all: CapabilitySet {
        CapabilitySet(mask: Capability.lastSupported >= 63 ? .max : (1 << (UInt64(Capability.lastSupported) + 1)) - 1)
    }

    /// Docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID,
    /// SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
    public static let dockerDefault = CapabilitySet(mask: 0xa804_25fb)

    public var members: [Capability] {
        (0..<64).compactMap { i in mask & (1 << UInt64(i)) != 0 ? Capability(rawValue: UInt8(i)) : nil }
    }

    public var description: String { members.map(\.description).joined(separator: ",") }

    public func contains(_ member: Capability) -> Bool { mask & (1 << UInt64(member.rawValue)) != 0 }
    public func union(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(mask: mask | other.mask) }
    public func intersection(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(mask: mask & other.mask) }
    public func symmetricDifference(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(mask: mask ^ other.mask) }
    @discardableResult
    public mutating func insert(_ newMember: Capability) -> (inserted: Bool, memberAfterInsert: Capability) {
        let had = contains(newMember)
        mask |= 1 << UInt64(newMember.rawValue)
        return (!had, newMember)
    }
    @discardableResult
    public mutating func remove(_ member: Capability) -> Capability? {
        let had = contains(member)
        mask &= ~(1 << UInt64(member.rawValue))
        return had ? member : nil
    }
    @discardableResult
    public mutating func update(with newMember: Capability) -> Capability? {
        let had = contains(newMember)
        mask |= 1 << UInt64(newMember.rawValue)
        return had ? newMember : nil
    }
    public mutating func formUnion(_ other: CapabilitySet) { mask |= other.mask }
    public mutating func formIntersection(_ other: CapabilitySet) { mask &= other.mask }
    public mutating func formSymmetricDifference(_ other: CapabilitySet) { mask ^= other.mask }
}

/// The five capability sets of the command (the OCI runtime spec's `process.capabilities`).
public struct Capabilities: Sendable, Hashable {
    public var bounding: CapabilitySet
    public var effective: CapabilitySet
    public var inheritable: CapabilitySet
    public var permitted: CapabilitySet
    public var ambient: CapabilitySet

    public init(bounding: CapabilitySet, effective: CapabilitySet, inheritable: CapabilitySet = CapabilitySet(),
                permitted: CapabilitySet, ambient: CapabilitySet = CapabilitySet()) {
        self.bounding = bounding
        self.effective = effective
        self.inheritable = inheritable
        self.permitted = permitted
        self.ambient = ambient
    }

    /// `set` as bounding, effective and permitted; no inheritable or ambient one.
    public init(_ set: CapabilitySet) {
        self.init(bounding: set, effective: set, permitted: set)
    }

    /// Docker's default: ``CapabilitySet/dockerDefault`` bounding, effective and permitted.
    public static let dockerDefault = Capabilities(bounding: .dockerDefault, effective: .dockerDefault,
                                                   inheritable: CapabilitySet(), permitted: .dockerDefault,
                                                   ambient: CapabilitySet())

    /// Every capability the kernel has ("privileged").
    public static var all: Capabilities { Capabilities(.all) }

    /// Docker's `--cap-add`/`--cap-drop`: `drop` is taken from bounding, effective and
    /// permitted first, then `add` is added to them, so `--cap-drop ALL --cap-add CHOWN` leaves
    /// CHOWN; an `add` of every capability (`ALL`) gives them all but `drop`. `drop` also leaves
    /// inheritable and ambient.
    public func adding(_ add: CapabilitySet, dropping drop: CapabilitySet) -> Capabilities {
        var c = self
        let everything = add.isSuperset(of: .all)
        for keyPath in [\Capabilities.bounding, \.effective, \.permitted] {
            if everything {
                c[keyPath: keyPath] = CapabilitySet.all.subtracting(drop)
            } else {
                c[keyPath: keyPath].subtract(drop)
                c[keyPath: keyPath].formUnion(add)
            }
        }
        c.inheritable.subtract(drop)
        c.ambient.subtract(drop)
        return c
    }
}

extension SpawnPlanner {
    /// The capabilities a spawn sets: the configuration's, or Docker's default for a container
    /// with a root filesystem; nil leaves the child's as they are (a plain namespace spawn).
    ///
    /// Each set is limited to the spawning thread's bounding set: no process it starts can
    /// hold a capability outside it, so `ALL` means every capability the caller can give.
    static func capabilities(_ c: SpawnConfiguration) -> Capabilities? {
        guard var caps = c.process.capabilities ?? (c.root != nil ? .dockerDefault : nil) else { return nil }
        let bounding = CapabilitySet.currentBounding.mask
        caps.bounding.mask &= bounding
        caps.effective.mask &= bounding
        caps.permitted.mask &= bounding
        caps.inheritable.mask &= bounding
        caps.ambient.mask &= bounding
        return caps
    }

    /// Whether the command gets no_new_privs: the configuration's choice, or on for a
    /// container with a root filesystem and off for a plain namespace spawn.
    static func noNewPrivileges(_ c: SpawnConfiguration) -> Bool {
        c.noNewPrivileges ?? (c.root != nil)
    }

    /// The kernel's rules, checked before the clone to name what is wrong: every capability
    /// known to the running kernel, ambient within permitted and inheritable, effective within
    /// permitted.
    static func checkCapabilities(_ caps: Capabilities?) throws(NSCoreError) {
        guard let caps else { return }
        // Sets are limited to the bounding set (capabilities(_:)), so nothing is unknown to the
        // kernel here; what is left are the kernel's rules between the sets.
        if caps.effective.mask & ~caps.permitted.mask != 0 {
            let outside = CapabilitySet(mask: caps.effective.mask & ~caps.permitted.mask)
            throw .invalid("capabilities", "capabilities: effective has \(outside), which is not permitted")
        }
        if caps.inheritable.mask & ~caps.bounding.mask != 0 {
            // The bounding set is dropped before capset, which then refuses an inheritable
            // capability outside it.
            let outside = CapabilitySet(mask: caps.inheritable.mask & ~caps.bounding.mask)
            throw .invalid("capabilities", "capabilities: inheritable has \(outside), which is not in the bounding set")
        }
        if caps.ambient.mask & ~(caps.permitted.mask & caps.inheritable.mask) != 0 {
            let ambient = CapabilitySet(mask: caps.ambient.mask & ~(caps.permitted.mask & caps.inheritable.mask))
            throw .invalid("capabilities", "capabilities: ambient has \(ambient), which is not both permitted and inheritable")
        }
    }

    /// The steps, in the child after its mounts:
    /// 1. the bounding set (`PR_CAPBSET_DROP` of every capability not in it);
    /// 2. (the user switch, done by ``lowerUser(_:_:into:)``, with `PR_SET_KEEPCAPS` around it
    ///    so that the permitted set survives a uid other than 0);
    /// 3. `capset` of effective, permitted and inheritable, then the ambient set.
    static func lowerBoundingSet(_ caps: Capabilities?, into plan: SpawnPlan) {
        guard let caps else { return }
        for i in 0...Capability.lastSupported where caps.bounding.mask & (1 << UInt64(i)) == 0 {
            plan.prctl(nsc_shim_PR_CAPBSET_DROP, UInt64(i), what: .capability("drop from the bounding set: ", i))
        }
    }

    static func lowerCapabilitySets(_ caps: Capabilities?, noNewPrivileges: Bool, into plan: SpawnPlan) {
        if let caps {
            plan.capset(effective: caps.effective.mask, permitted: caps.permitted.mask,
                        inheritable: caps.inheritable.mask)
            plan.prctl(nsc_shim_PR_CAP_AMBIENT, UInt64(nsc_shim_PR_CAP_AMBIENT_CLEAR_ALL), what: .text("clear the ambient capabilities"))
            for i in 0...Capability.lastSupported where caps.ambient.mask & (1 << UInt64(i)) != 0 {
                plan.prctl(nsc_shim_PR_CAP_AMBIENT, UInt64(nsc_shim_PR_CAP_AMBIENT_RAISE), UInt64(i),
                           what: .capability("raise the ambient capability ", i))
            }
        }
        if noNewPrivileges {
            plan.prctl(nsc_shim_PR_SET_NO_NEW_PRIVS, 1, what: .text("prctl(PR_SET_NO_NEW_PRIVS)"))
        }
    }
}

/// The capabilities by name (`Capability.sysAdmin` is CAP_SYS_ADMIN).
extension Capability {
    public static let chown = Capability(number: 0)  // CAP_CHOWN
    public static let dacOverride = Capability(number: 1)  // CAP_DAC_OVERRIDE
    public static let dacReadSearch = Capability(number: 2)  // CAP_DAC_READ_SEARCH
    public static let fowner = Capability(number: 3)  // CAP_FOWNER
    public static let fsetid = Capability(number: 4)  // CAP_FSETID
    public static let kill = Capability(number: 5)  // CAP_KILL
    public static let setgid = Capability(number: 6)  // CAP_SETGID
    public static let setuid = Capability(number: 7)  // CAP_SETUID
    public static let setpcap = Capability(number: 8)  // CAP_SETPCAP
    public static let linuxImmutable = Capability(number: 9)  // CAP_LINUX_IMMUTABLE
    public static let netBindService = Capability(number: 10)  // CAP_NET_BIND_SERVICE
    public static let netBroadcast = Capability(number: 11)  // CAP_NET_BROADCAST
    public static let netAdmin = Capability(number: 12)  // CAP_NET_ADMIN
    public static let netRaw = Capability(number: 13)  // CAP_NET_RAW
    public static let ipcLock = Capability(number: 14)  // CAP_IPC_LOCK
    public static let ipcOwner = Capability(number: 15)  // CAP_IPC_OWNER
    public static let sysModule = Capability(number: 16)  // CAP_SYS_MODULE
    public static let sysRawio = Capability(number: 17)  // CAP_SYS_RAWIO
    public static let sysChroot = Capability(number: 18)  // CAP_SYS_CHROOT
    public static let sysPtrace = Capability(number: 19)  // CAP_SYS_PTRACE
    public static let sysPacct = Capability(number: 20)  // CAP_SYS_PACCT
    public static let sysAdmin = Capability(number: 21)  // CAP_SYS_ADMIN
    public static let sysBoot = Capability(number: 22)  // CAP_SYS_BOOT
    public static let sysNice = Capability(number: 23)  // CAP_SYS_NICE
    public static let sysResource = Capability(number: 24)  // CAP_SYS_RESOURCE
    public static let sysTime = Capability(number: 25)  // CAP_SYS_TIME
    public static let sysTtyConfig = Capability(number: 26)  // CAP_SYS_TTY_CONFIG
    public static let mknod = Capability(number: 27)  // CAP_MKNOD
    public static let lease = Capability(number: 28)  // CAP_LEASE
    public static let auditWrite = Capability(number: 29)  // CAP_AUDIT_WRITE
    public static let auditControl = Capability(number: 30)  // CAP_AUDIT_CONTROL
    public static let setfcap = Capability(number: 31)  // CAP_SETFCAP
    public static let macOverride = Capability(number: 32)  // CAP_MAC_OVERRIDE
    public static let macAdmin = Capability(number: 33)  // CAP_MAC_ADMIN
    public static let syslog = Capability(number: 34)  // CAP_SYSLOG
    public static let wakeAlarm = Capability(number: 35)  // CAP_WAKE_ALARM
    public static let blockSuspend = Capability(number: 36)  // CAP_BLOCK_SUSPEND
    public static let auditRead = Capability(number: 37)  // CAP_AUDIT_READ
    public static let perfmon = Capability(number: 38)  // CAP_PERFMON
    public static let bpf = Capability(number: 39)  // CAP_BPF
    public static let checkpointRestore = Capability(number: 40)  // CAP_CHECKPOINT_RESTORE

    private init(number: UInt8) { rawValue = number }
}

extension CapabilitySet {
    /// The calling thread's bounding set.
    static var currentBounding: CapabilitySet {
        var mask: UInt64 = 0
        for i in 0...Capability.lastSupported where nsc_shim_capbset_read(Int32(i)) == 1 { mask |= 1 << UInt64(i) }
        return CapabilitySet(mask: mask)
    }
}
