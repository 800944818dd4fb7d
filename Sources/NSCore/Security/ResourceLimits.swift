import CNSCoreShim
import Glibc

/// A resource limit of the command (an entry of the OCI runtime spec's `process.rlimits`):
/// `RLIMIT_NOFILE`, `RLIMIT_NPROC`, ... with its soft and hard values.
public struct ResourceLimit: Sendable, Hashable, CustomStringConvertible {
    /// The kernel's resources, in number order (`RLIMIT_CPU` = 0 ... `RLIMIT_RTTIME` = 15).
    static let names: [String] = [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
        "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ]
    /// No limit (`RLIM_INFINITY`).
    public static let unlimited = UInt64.max

    /// The resource's number.
    public let resource: Int32
    /// The soft limit (what the process gets) and the hard limit (how far it may raise it).
    public var soft: UInt64
    public var hard: UInt64

    /// `type` is the OCI name (`RLIMIT_NOFILE`) or the `ulimit` one (`nofile`).
    /// - Throws: ``NSCoreError`` (invalid argument) naming an unknown resource (and listing the
    ///   valid ones) or a soft limit above the hard one.
    public init(_ type: String, soft: UInt64, hard: UInt64) throws(NSCoreError) {
        var upper = type.uppercased()
        if !upper.hasPrefix("RLIMIT_") { upper = "RLIMIT_" + upper }
        guard let i = Self.names.firstIndex(of: upper) else {
            throw .invalid("rlimits", "rlimits: unknown resource '\(type)'; the valid ones are "
                           + Self.names.joined(separator: ", "))
        }
        guard soft <= hard else {
            throw .invalid("rlimits", "rlimits: \(upper) soft limit \(soft) is above its hard limit \(hard)")
        }
        self.resource = Int32(i)
        self.soft = soft
        self.hard = hard
    }

    /// Parses `--ulimit` style text: `nofile=1024:2048`, `nofile=1024` (both), `core=unlimited`
    /// or `-1` for no limit.
    /// - Throws: ``NSCoreError`` (invalid argument) naming what is wrong with `text`.
    public init(parsing text: String) throws(NSCoreError) {
        guard let eq = text.firstIndex(of: "=") else {
            throw .invalid("rlimits", "rlimit '\(text)': expected TYPE=SOFT[:HARD], e.g. nofile=1024:2048")
        }
        let values = text[text.index(after: eq)...].split(separator: ":", omittingEmptySubsequences: false)
        guard values.count == 1 || values.count == 2 else {
            throw .invalid("rlimits", "rlimit '\(text)': expected TYPE=SOFT[:HARD], e.g. nofile=1024:2048")
        }
        func value(_ s: Substring) throws(NSCoreError) -> UInt64 {
            if s == "unlimited" || s == "-1" { return Self.unlimited }
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt64(s) else {
                throw .invalid("rlimits", "rlimit '\(text)': '\(s)' is not a number, 'unlimited' or -1")
            }
            return v
        }
        let soft = try value(values[0])
        try self.init(String(text[..<eq]), soft: soft, hard: values.count == 2 ? try value(values[1]) : soft)
    }

    /// The OCI name, `RLIMIT_NOFILE`.
    public var type: String { Self.names[Int(resource)] }

    /// `RLIMIT_NOFILE=1024:2048`.
    public var description: String {
        func v(_ x: UInt64) -> String { x == Self.unlimited ? "unlimited" : String(x) }
        return "\(type)=\(v(soft)):\(v(hard))"
    }
}

extension SpawnPlanner {
    static func checkSecurityProcess(_ c: SpawnConfiguration) throws(NSCoreError) {
        var seen: UInt32 = 0
        for l in c.process.rlimits {
            if seen & (1 << UInt32(l.resource)) != 0 { throw .invalid("rlimits", "rlimits: \(l.type) is given twice") }
            seen |= 1 << UInt32(l.resource)
        }
        if let adj = c.process.oomScoreAdj, adj < -1000 || adj > 1000 {
            throw .invalid("oomScoreAdj", "oomScoreAdj: \(adj) is out of range (-1000 to 1000)")
        }
    }

    /// In the child, first thing after the parent's go (still with the caller's privileges,
    /// before any mount or user switch): the resource limits (`prlimit64`) and the OOM score
    /// adjustment, written to `/proc/self/oom_score_adj` of the caller's /proc.
    static func lowerLimits(_ c: SpawnConfiguration, into plan: SpawnPlan) {
        for l in c.process.rlimits {
            let values = plan.allocate(16).bindMemory(to: UInt64.self, capacity: 2)
            values[0] = l.soft
            values[1] = l.hard
            plan.prlimit(l.resource, UnsafePointer(values))
        }
        if let adj = c.process.oomScoreAdj {
            let file = plan.openat2(.cwd, "/proc/self/oom_score_adj", flags: O_WRONLY, resolve: 0,
                                    what: .text("open /proc/self/oom_score_adj"))
            let text = "\(adj)"
            plan.write(file, plan.cString(text), count: text.utf8.count, what: .text("write /proc/self/oom_score_adj"))
            plan.close(file, what: .text("close /proc/self/oom_score_adj"))
        }
    }
}
