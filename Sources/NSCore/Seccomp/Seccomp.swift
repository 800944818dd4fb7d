/// A seccomp filter: which system calls the command may make, and what happens to the others
/// (the OCI runtime spec's `linux.seccomp`, seccomp(2)).
///
/// NSCore compiles it to a classic BPF program itself (no libseccomp): an architecture check,
/// then a binary search over the syscall numbers, with argument comparisons where a rule has
/// them. The filter is installed in the child after `no_new_privs`, as the last step before
/// `execve`, so the setup before it is never filtered.
///
/// For each syscall the rules that name it are tried in order; the first whose argument
/// comparisons all hold decides. A syscall no rule names gets ``defaultAction``. A rule that
/// compares the same argument more than once matches when any one of those comparisons holds
/// (runc's reading of the OCI spec); comparisons of different arguments must all hold.
///
/// ``default`` is a profile equivalent in effect to Docker's default: an allow list of about
/// 350 syscalls, the rest `EPERM`, with the syscalls that need a capability allowed only when
/// the container's bounding set has it. Every container with a root filesystem gets it unless
/// the configuration says otherwise.
public struct Seccomp: Sendable, Hashable {
    /// What a syscall that no rule matches does (OCI `defaultAction`, with `defaultErrnoRet`
    /// folded into ``Action/errno(_:)``).
    public var defaultAction: Action
    /// The architectures whose syscalls the filter admits besides the machine's own, which it
    /// always admits (OCI `architectures`, read as libseccomp and runc read it): list
    /// `SCMP_ARCH_X86` to admit 32-bit x86 calls on an x86_64 machine. Architectures this machine
    /// cannot run are accepted and ignored; a syscall from an architecture not admitted kills
    /// the process. The x32 ABI is always denied (`ENOSYS`), even when listed: its syscall
    /// numbers share x86_64's audit architecture, a classic way around a filter.
    public var architectures: [Architecture]
    /// Flags for seccomp(2) (OCI `flags`).
    public var flags: Flags
    /// The rules, tried in order for each syscall (OCI `syscalls`).
    public var syscalls: [Rule]

    /// Set for ``default``: the capability-dependent rules are chosen at spawn time from the
    /// container's bounding set.
    var followsCapabilities = false
    /// Set for ``default``: syscalls numbered above every syscall the compiler's tables know
    /// (newer than its kernel headers) fail with ENOSYS rather than the default EPERM, as on a
    /// kernel that lacks them, so that the C library falls back to an older call.
    var newerSyscallsAreMissing = false

    /// A filter with `defaultAction` for every syscall no rule in `syscalls` matches.
    public init(defaultAction: Action, architectures: [Architecture] = [], flags: Flags = [],
                syscalls: [Rule] = []) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.flags = flags
        self.syscalls = syscalls
    }

    /// No filter at all (what `--security-opt seccomp=unconfined` means to Docker). A spawn
    /// with it, or with any profile that allows everything and lists no architecture,
    /// installs nothing.
    public static let unconfined = Seccomp(defaultAction: .allow)

    /// True when the filter would allow every syscall of every architecture (no architecture is
    /// listed, so none is refused either): nothing is installed for it.
    var isUnconfined: Bool {
        defaultAction == .allow && !followsCapabilities && architectures.isEmpty && flags.isEmpty
            && syscalls.allSatisfy { $0.action == .allow }
    }

    /// What a filter does with a syscall (`SECCOMP_RET_*`).
    public enum Action: Sendable, Hashable, CustomStringConvertible {
        /// Run it (`SCMP_ACT_ALLOW`).
        case allow
        /// Fail it with this errno, 0 to 4095, without running it (`SCMP_ACT_ERRNO` and `errnoRet`).
        case errno(Int32)
        /// Kill the whole process with SIGSYS (`SCMP_ACT_KILL_PROCESS`).
        case killProcess
        /// Kill the calling thread with SIGSYS (`SCMP_ACT_KILL_THREAD`, and `SCMP_ACT_KILL`).
        case killThread
        /// Send the thread SIGSYS, which it may catch (`SCMP_ACT_TRAP`).
        case trap
        /// Stop for a ptrace tracer with this value (`PTRACE_EVENT_SECCOMP`); with no tracer the
        /// call fails with ENOSYS (`SCMP_ACT_TRACE`).
        case trace(UInt16)
        /// Run it and log it to the audit log (`SCMP_ACT_LOG`).
        case log
        /// Hold the thread until a supervisor answers on the listener fd
        /// (``Container/seccompListener``) (`SCMP_ACT_NOTIFY`, Linux 5.0).
        case notify

        /// The OCI spelling: `SCMP_ACT_ERRNO`, ...
        public var description: String {
            switch self {
            case .allow: return "SCMP_ACT_ALLOW"
            case .errno(let e): return "SCMP_ACT_ERRNO(\(e))"
            case .killProcess: return "SCMP_ACT_KILL_PROCESS"
            case .killThread: return "SCMP_ACT_KILL_THREAD"
            case .trap: return "SCMP_ACT_TRAP"
            case .trace(let v): return "SCMP_ACT_TRACE(\(v))"
            case .log: return "SCMP_ACT_LOG"
            case .notify: return "SCMP_ACT_NOTIFY"
            }
        }

        /// The filter's return value.
        var returnValue: UInt32 {
            switch self {
            case .allow: return 0x7fff_0000
            case .errno(let e): return 0x0005_0000 | (UInt32(bitPattern: e) & 0xffff)
            case .killProcess: return 0x8000_0000
            case .killThread: return 0
            case .trap: return 0x0003_0000
            case .trace(let v): return 0x7ff0_0000 | UInt32(v)
            case .log: return 0x7ffc_0000
            case .notify: return 0x7fc0_0000
            }
        }
    }

    /// One rule: what the syscalls it names do when its argument comparisons hold (an OCI
    /// `syscalls` entry).
    public struct Rule: Sendable, Hashable {
        /// Syscall names (`names`). A name this architecture lacks is skipped for it; a name no
        /// architecture has is an error.
        public var names: [String]
        public var action: Action
        /// The comparisons (`args`).
        public var arguments: [Argument]

        public init(names: [String], action: Action, arguments: [Argument] = []) {
            self.names = names
            self.action = action
            self.arguments = arguments
        }
    }

    /// A comparison of one syscall argument with a value (an OCI `args` entry).
    public struct Argument: Sendable, Hashable {
        /// Which argument, 0 to 5 (`index`).
        public var index: UInt32
        public var value: UInt64
        /// For ``Operator/maskedEqual``: the value the masked argument must equal (`valueTwo`;
        /// ``value`` is the mask).
        public var valueTwo: UInt64
        public var op: Operator

        public init(index: UInt32, value: UInt64, valueTwo: UInt64 = 0, op: Operator) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }

    /// How an argument is compared, as 64-bit unsigned integers (`SCMP_CMP_*`).
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case notEqual = "SCMP_CMP_NE"
        case lessThan = "SCMP_CMP_LT"
        case lessThanOrEqual = "SCMP_CMP_LE"
        case equal = "SCMP_CMP_EQ"
        case greaterThanOrEqual = "SCMP_CMP_GE"
        case greaterThan = "SCMP_CMP_GT"
        /// `(argument & value) == valueTwo`.
        case maskedEqual = "SCMP_CMP_MASKED_EQ"
    }

    /// An architecture (`SCMP_ARCH_*`).
    public enum Architecture: String, Sendable, Hashable, CaseIterable {
        case x86_64 = "SCMP_ARCH_X86_64"
        case x86 = "SCMP_ARCH_X86"
        case x32 = "SCMP_ARCH_X32"
        case aarch64 = "SCMP_ARCH_AARCH64"
        case arm = "SCMP_ARCH_ARM"
        case mips = "SCMP_ARCH_MIPS"
        case mips64 = "SCMP_ARCH_MIPS64"
        case mips64n32 = "SCMP_ARCH_MIPS64N32"
        case mipsel = "SCMP_ARCH_MIPSEL"
        case mipsel64 = "SCMP_ARCH_MIPSEL64"
        case mipsel64n32 = "SCMP_ARCH_MIPSEL64N32"
        case ppc = "SCMP_ARCH_PPC"
        case ppc64 = "SCMP_ARCH_PPC64"
        case ppc64le = "SCMP_ARCH_PPC64LE"
        case s390 = "SCMP_ARCH_S390"
        case s390x = "SCMP_ARCH_S390X"
        case parisc = "SCMP_ARCH_PARISC"
        case parisc64 = "SCMP_ARCH_PARISC64"
        case riscv64 = "SCMP_ARCH_RISCV64"
        case loongarch64 = "SCMP_ARCH_LOONGARCH64"
        case m68k = "SCMP_ARCH_M68K"
        case sh = "SCMP_ARCH_SH"
        case sheb = "SCMP_ARCH_SHEB"

        /// The machine's own architecture.
        public static var native: Architecture {
            #if arch(x86_64)
            return .x86_64
            #elseif arch(arm64)
            return .aarch64
            #else
            #error("NSCore's seccomp compiler knows x86_64 and aarch64")
            #endif
        }
    }

    /// Flags of seccomp(2)'s `SECCOMP_SET_MODE_FILTER` (OCI `flags`).
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// `SECCOMP_FILTER_FLAG_TSYNC`: the child is single-threaded, so this changes nothing.
        public static let threadSync = Flags(rawValue: 1)
        /// `SECCOMP_FILTER_FLAG_LOG`: log every action but allow.
        public static let log = Flags(rawValue: 2)
        /// `SECCOMP_FILTER_FLAG_SPEC_ALLOW`: do not force speculative store bypass mitigation.
        public static let specAllow = Flags(rawValue: 4)
        /// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` (Linux 5.19): a notified thread waits
        /// killably once its notification was received.
        public static let waitKillableReceive = Flags(rawValue: 32)

        /// The OCI names, in bit order.
        static let names: [(Flags, String)] = [
            (.threadSync, "SECCOMP_FILTER_FLAG_TSYNC"), (.log, "SECCOMP_FILTER_FLAG_LOG"),
            (.specAllow, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
            (.waitKillableReceive, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
        ]
    }
}
