import CNSCoreShim
import Synchronization

/// A compiled filter: the BPF program and the seccomp(2) flags to install it with.
struct SeccompProgram: Sendable, Equatable {
    /// The program, unless ``builtin`` holds it.
    var instructions: [BPFInstruction]
    /// default_seccomp.c's program (address, instruction count): static data the plan points
    /// at, so that a spawn with it makes no array.
    var builtin: (address: UInt, count: Int)? = nil
    /// `SECCOMP_FILTER_FLAG_*`, with `NEW_LISTENER` when a rule notifies.
    var flags: UInt32
    /// True when a rule's action is ``Seccomp/Action/notify``: install returns a listener fd.
    var notifies: Bool

    static func == (a: SeccompProgram, b: SeccompProgram) -> Bool {
        a.expanded == b.expanded && a.flags == b.flags && a.notifies == b.notifies
    }

    /// The instructions, copied out of ``builtin`` when it holds them.
    var expanded: [BPFInstruction] {
        guard let (address, count) = builtin else { return instructions }
        return [BPFInstruction](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: UnsafeRawPointer(bitPattern: address)!,
                                                                    byteCount: count * 8)
            initialized = count
        }
    }
}

/// An architecture the compiler has a syscall table for.
enum SeccompTarget: Int32, Sendable, CaseIterable {
    case x86_64 = 0, i386 = 1, aarch64 = 2  // the table's columns (nsc_syscalls.h)

    /// `AUDIT_ARCH_*` (linux/audit.h): what `seccomp_data.arch` holds.
    var audit: UInt32 {
        switch self {
        case .x86_64: return 0xC000_003E
        case .i386: return 0x4000_0003
        case .aarch64: return 0xC000_00B7
        }
    }

    /// The highest syscall number the table has for this architecture.
    var highestKnownNumber: UInt32 {
        var highest: Int32 = 0
        for row in 0..<nsc_shim_syscall_count() { highest = max(highest, nsc_shim_syscall_number(row, rawValue)) }
        return UInt32(highest)
    }

    /// The targets a filter for `architectures` covers on this machine: its own first, then
    /// the 32-bit one it runs when listed.
    static func targets(for architectures: [Seccomp.Architecture]) -> [SeccompTarget] {
        #if arch(x86_64)
        return architectures.contains(.x86) ? [.x86_64, .i386] : [.x86_64]
        #else
        return [.aarch64]
        #endif
    }

    /// The OCI name.
    var architecture: Seccomp.Architecture {
        switch self {
        case .x86_64: return .x86_64
        case .i386: return .x86
        case .aarch64: return .aarch64
        }
    }
}

enum SeccompCompiler {
    /// The kernel's limit on a filter's length (`BPF_MAXINSNS`).
    static let maxInstructions = 4096

    /// The compiled program for `profile` (already resolved: no capability-dependent rules).
    /// Programs are cached per profile: a spawn with the same profile compiles nothing.
    static func compile(_ profile: Seccomp) throws(NSCoreError) -> SeccompProgram {
        if let hit = cache.withLock({ c in c.first(where: { $0.profile == profile })?.program }) { return hit }
        let program = try compileUncached(profile)
        cache.withLock { c in
            if c.count >= 8 { c.removeFirst() }
            c.append(Entry(profile: profile, program: program))
        }
        return program
    }

    /// The default profile's program for a bounding set (cached by the set). For Docker's
    /// default set, the program compiled at build time (default_seccomp.c), where there is one.
    static func compileDefault(_ bounding: CapabilitySet) throws(NSCoreError) -> SeccompProgram {
        if bounding == .dockerDefault, let built = builtDefault { return built }
        if let hit = defaults.withLock({ d in d.first(where: { $0.0 == bounding.mask })?.1 }) { return hit }
        let program = try compileUncached(Seccomp.default(capabilities: bounding))
        defaults.withLock { d in
            if d.count >= 8 { d.removeFirst() }
            d.append((bounding.mask, program))
        }
        return program
    }
    private static let defaults = Mutex<[(UInt64, SeccompProgram)]>([])

    /// default_seccomp.c's program (tools/gen-default-seccomp.sh), or nil on a machine it was
    /// not made for.
    static var builtDefault: SeccompProgram? {
        var length = 0
        guard let bytes = nsc_shim_default_seccomp(&length), length > 0 else { return nil }
        return SeccompProgram(instructions: [], builtin: (UInt(bitPattern: bytes), length / 8), flags: 0, notifies: false)
    }

    private struct Entry: Sendable {
        var profile: Seccomp
        var program: SeccompProgram
    }
    private static let cache = Mutex<[Entry]>([])

    /// Compiles for `targets` (default: what ``Seccomp/architectures`` means on this machine).
    static func compileUncached(_ profile: Seccomp, targets: [SeccompTarget]? = nil) throws(NSCoreError) -> SeccompProgram {
        let rules = try resolve(profile)
        let targets = targets ?? SeccompTarget.targets(for: profile.architectures)
        let defaultReturn = profile.defaultAction.returnValue
        var blocks: [[BPFInstruction]] = []
        for t in targets {
            blocks.append(try block(for: t, rules, defaultReturn: defaultReturn,
                                    missingAbove: profile.newerSyscallsAreMissing ? t.highestKnownNumber : nil))
        }
        // Header: load arch; per target "jeq audit -> its block"; anything else is killed.
        var program: [BPFInstruction] = [.load(BPFInstruction.offsetArchitecture)]
        let headerLength = 1 + 2 * targets.count + 1
        var before = 0  // block lengths before target i
        for (i, t) in targets.enumerated() {
            // Distance from the instruction after this target's `ja` to its block.
            let distance = (headerLength - (1 + 2 * i + 2)) + before
            program.append(BPFInstruction(code: BPFInstruction.jumpEqual, jt: 0, jf: 1, k: t.audit))
            program.append(.jump(distance))
            before += blocks[i].count
        }
        program.append(.ret(Seccomp.Action.killProcess.returnValue))
        for b in blocks { program.append(contentsOf: b) }
        if program.count > maxInstructions {
            throw .invalid("seccomp", "seccomp: the filter compiles to \(program.count) BPF instructions; the kernel takes at most \(maxInstructions)")
        }
        var flags: UInt32 = 0
        for (flag, _) in Seccomp.Flags.names where profile.flags.contains(flag) { flags |= flag.rawValue }
        let notifies = profile.defaultAction == .notify || profile.syscalls.contains { $0.action == .notify }
        if notifies { flags |= 8 }  // SECCOMP_FILTER_FLAG_NEW_LISTENER
        return SeccompProgram(instructions: program, flags: flags, notifies: notifies)
    }

    // ---- Resolution ----------------------------------------------------------------------

    /// A rule with its names resolved to table rows and its comparisons as alternatives.
    struct ResolvedRule {
        var rows: [Int32]
        var returnValue: UInt32
        /// Alternatives, any of which matches; each a list of comparisons that must all hold.
        /// Empty: unconditional.
        var clauses: [[Seccomp.Argument]]
    }

    /// Checks every rule, naming what is wrong, and resolves names to table rows.
    static func resolve(_ profile: Seccomp) throws(NSCoreError) -> [ResolvedRule] {
        try check(profile.defaultAction, at: "defaultAction")
        var out: [ResolvedRule] = []
        out.reserveCapacity(profile.syscalls.count)
        for (i, rule) in profile.syscalls.enumerated() {
            try check(rule.action, at: "syscalls[\(i)].action")
            if rule.names.isEmpty {
                throw .invalid("seccomp", "seccomp: syscalls[\(i)].names is empty; name at least one syscall")
            }
            var rows: [Int32] = []
            rows.reserveCapacity(rule.names.count)
            for (j, name) in rule.names.enumerated() {
                let row = lookup(name)
                if row < 0 {
                    throw .invalid("seccomp", "seccomp: syscalls[\(i)].names[\(j)]: unknown syscall '\(name)'")
                }
                rows.append(row)
            }
            var indexes: UInt8 = 0
            var repeated = false
            for (j, a) in rule.arguments.enumerated() {
                if a.index > 5 {
                    throw .invalid("seccomp", "seccomp: syscalls[\(i)].args[\(j)].index is \(a.index); a syscall has arguments 0 to 5")
                }
                if indexes & (1 << a.index) != 0 { repeated = true }
                indexes |= 1 << a.index
            }
            let clauses: [[Seccomp.Argument]]
            if rule.arguments.isEmpty {
                clauses = []
            } else if repeated {
                clauses = rule.arguments.map { [$0] }
            } else {
                clauses = [rule.arguments]
            }
            out.append(ResolvedRule(rows: rows, returnValue: rule.action.returnValue, clauses: clauses))
        }
        return out
    }

    private static func check(_ action: Seccomp.Action, at path: String) throws(NSCoreError) {
        if case .errno(let e) = action, e < 0 || e > 4095 {
            throw .invalid("seccomp", "seccomp: \(path): errno \(e) is out of range; an errno is 0 to 4095")
        }
    }

    /// The table row of syscall `name`, or -1 when no architecture has it.
    static func lookup(_ name: String) -> Int32 {
        var n = name
        return n.withUTF8 { b in
            guard let base = b.baseAddress, b.count > 0 else { return -1 }
            return Int32(base.withMemoryRebound(to: CChar.self, capacity: b.count) { nsc_shim_syscall_lookup($0, b.count) })
        }
    }

    // ---- One architecture -----------------------------------------------------------------

    /// What a run of syscall numbers does: one return value, or the argument rules of one
    /// syscall (an index into the per-syscall code).
    private enum Decision: Equatable {
        case action(UInt32)
        case rules(Int)
    }

    private struct Segment {
        var start: UInt32
        var decision: Decision
    }

    private static func block(for target: SeccompTarget, _ rules: [ResolvedRule], defaultReturn: UInt32,
                              missingAbove: UInt32?) throws(NSCoreError) -> [BPFInstruction] {
        // (number, rule) pairs in rule order, then grouped by number.
        var pairs: [(nr: UInt32, rule: Int)] = []
        for (r, rule) in rules.enumerated() {
            for row in rule.rows {
                let nr = nsc_shim_syscall_number(row, target.rawValue)
                if nr >= 0 { pairs.append((UInt32(nr), r)) }
            }
        }
        pairs.sort { $0.nr != $1.nr ? $0.nr < $1.nr : $0.rule < $1.rule }

        var ruleCode: [[BPFInstruction]] = []
        var segments: [Segment] = [Segment(start: 0, decision: .action(defaultReturn))]
        func add(_ start: UInt32, _ d: Decision) {
            if segments.last!.start == start { segments.removeLast() }
            if segments.last?.decision == d { return }
            segments.append(Segment(start: start, decision: d))
        }
        var i = 0
        while i < pairs.count {
            let nr = pairs[i].nr
            var conditional: [ResolvedRule] = []
            var terminal: UInt32? = nil
            while i < pairs.count && pairs[i].nr == nr {
                let rule = rules[pairs[i].rule]
                if terminal == nil {
                    if rule.clauses.isEmpty { terminal = rule.returnValue } else { conditional.append(rule) }
                }
                i += 1
            }
            let fallback = terminal ?? defaultReturn
            if conditional.isEmpty {
                add(nr, .action(fallback))
            } else {
                ruleCode.append(argumentCode(conditional, fallback: fallback))
                add(nr, .rules(ruleCode.count - 1))
            }
            if nr < UInt32.max { add(nr + 1, .action(defaultReturn)) }
        }
        if let highest = missingAbove, segments.last!.start <= highest {
            add(highest + 1, .action(Seccomp.Action.errno(38).returnValue))
        }

        var code: [BPFInstruction] = [.load(BPFInstruction.offsetNumber)]
        if target == .x86_64 {
            // x32 (__X32_SYSCALL_BIT): ENOSYS, as on a kernel built without it.
            code.append(BPFInstruction(code: BPFInstruction.jumpGreaterEqual, jt: 0, jf: 1, k: 0x4000_0000))
            code.append(.ret(Seccomp.Action.errno(38).returnValue))
        }
        code.append(contentsOf: tree(segments[...], ruleCode))
        return code
    }

    /// A balanced search over `segments` (A holds the syscall number).
    private static func tree(_ segments: ArraySlice<Segment>, _ ruleCode: [[BPFInstruction]]) -> [BPFInstruction] {
        if segments.count == 1 {
            switch segments.first!.decision {
            case .action(let r): return [.ret(r)]
            case .rules(let k): return ruleCode[k]
            }
        }
        let mid = segments.startIndex + segments.count / 2
        let left = tree(segments[segments.startIndex..<mid], ruleCode)
        let right = tree(segments[mid...], ruleCode)
        var code: [BPFInstruction] = []
        code.reserveCapacity(left.count + right.count + 2)
        let boundary = segments[mid].start
        if left.count <= 255 {
            code.append(BPFInstruction(code: BPFInstruction.jumpGreaterEqual, jt: UInt8(left.count), jf: 0, k: boundary))
        } else {
            code.append(BPFInstruction(code: BPFInstruction.jumpGreaterEqual, jt: 0, jf: 1, k: boundary))
            code.append(.jump(left.count))
        }
        code.append(contentsOf: left)
        code.append(contentsOf: right)
        return code
    }

    // ---- Argument comparisons ---------------------------------------------------------------

    /// Where a comparison's jump goes: the next instruction, the end of this comparison (it
    /// holds), or the end of the clause (it does not: try the next clause).
    private enum Target { case next, pass, fail }

    /// The rules of one syscall in order, then `fallback`.
    private static func argumentCode(_ rules: [ResolvedRule], fallback: UInt32) -> [BPFInstruction] {
        var code: [BPFInstruction] = []
        for rule in rules {
            for clause in rule.clauses {
                code.append(contentsOf: clauseCode(clause, returnValue: rule.returnValue))
            }
        }
        code.append(.ret(fallback))
        return code
    }

    /// Every comparison of `clause`, then `ret returnValue`; a failed comparison jumps past
    /// the `ret`.
    private static func clauseCode(_ clause: [Seccomp.Argument], returnValue: UInt32) -> [BPFInstruction] {
        var code: [BPFInstruction] = []
        var fails: [(at: Int, jt: Bool)] = []  // jumps to the clause's end, resolved last
        for arg in clause {
            var part: [(BPFInstruction, Target, Target)] = []
            comparison(arg, into: &part)
            let start = code.count
            for (insn, _, _) in part { code.append(insn) }
            let end = code.count  // "pass": the next comparison
            for (k, (_, jt, jf)) in part.enumerated() {
                let at = start + k
                for (target, isTrue) in [(jt, true), (jf, false)] {
                    switch target {
                    case .next: break
                    case .pass: set(&code[at], isTrue, end - (at + 1))
                    case .fail: fails.append((at, isTrue))
                    }
                }
            }
        }
        code.append(.ret(returnValue))
        let end = code.count
        for (at, isTrue) in fails { set(&code[at], isTrue, end - (at + 1)) }
        return code
    }

    private static func set(_ insn: inout BPFInstruction, _ isTrue: Bool, _ distance: Int) {
        precondition(distance >= 0 && distance <= 255, "a comparison jumps at most 255 instructions")
        if insn.code == BPFInstruction.jumpAlways {
            insn.k = UInt32(distance)
        } else if isTrue {
            insn.jt = UInt8(distance)
        } else {
            insn.jf = UInt8(distance)
        }
    }

    /// One 64-bit comparison as 32-bit compares of the high word, then the low word.
    private static func comparison(_ a: Seccomp.Argument, into p: inout [(BPFInstruction, Target, Target)]) {
        let lo = BPFInstruction.load(BPFInstruction.offsetArgument(a.index, high: false))
        let hi = BPFInstruction.load(BPFInstruction.offsetArgument(a.index, high: true))
        let vhi = UInt32(truncatingIfNeeded: a.value >> 32), vlo = UInt32(truncatingIfNeeded: a.value)
        func j(_ code: UInt16, _ k: UInt32) -> BPFInstruction { BPFInstruction(code: code, jt: 0, jf: 0, k: k) }
        let eq = BPFInstruction.jumpEqual, gt = BPFInstruction.jumpGreater, ge = BPFInstruction.jumpGreaterEqual
        let none = Target.next
        switch a.op {
        case .equal:
            p += [(hi, none, none), (j(eq, vhi), .next, .fail), (lo, none, none), (j(eq, vlo), .pass, .fail)]
        case .notEqual:
            p += [(hi, none, none), (j(eq, vhi), .next, .pass), (lo, none, none), (j(eq, vlo), .fail, .pass)]
        case .greaterThan, .greaterThanOrEqual:
            p += [(hi, none, none), (j(gt, vhi), .pass, .next), (j(eq, vhi), .next, .fail), (lo, none, none),
                  (j(a.op == .greaterThan ? gt : ge, vlo), .pass, .fail)]
        case .lessThan, .lessThanOrEqual:
            // Not (>=) and not (>).
            p += [(hi, none, none), (j(gt, vhi), .fail, .next), (j(eq, vhi), .next, .pass), (lo, none, none),
                  (j(a.op == .lessThan ? ge : gt, vlo), .fail, .pass)]
        case .maskedEqual:
            let mask = a.value, datum = a.valueTwo
            if datum & ~mask != 0 {
                // Bits the mask clears can never equal set bits: never holds.
                p.append((.jump(0), .fail, .fail))
                return
            }
            let mhi = UInt32(truncatingIfNeeded: mask >> 32), mlo = UInt32(truncatingIfNeeded: mask)
            let dhi = UInt32(truncatingIfNeeded: datum >> 32), dlo = UInt32(truncatingIfNeeded: datum)
            if mhi != 0 {
                p += [(hi, none, none), (.and(mhi), none, none), (j(eq, dhi), .next, .fail)]
            }
            if mlo != 0 {
                p += [(lo, none, none), (.and(mlo), none, none), (j(eq, dlo), .pass, .fail)]
            }
        }
    }
}

extension Seccomp {
    /// A filter compiled for this machine: classic BPF as `struct sock_filter` bytes, ready
    /// for `seccomp(SECCOMP_SET_MODE_FILTER, flags, &(struct sock_fprog){count, bytes})`.
    public struct CompiledFilter: Sendable, Hashable {
        /// `count` instructions of 8 bytes each.
        public var bytes: [UInt8]
        public var count: Int { bytes.count / 8 }
        /// `SECCOMP_FILTER_FLAG_*` (with `NEW_LISTENER` when a rule notifies).
        public var flags: UInt32
        /// The architectures it admits, the machine's own first.
        public var architectures: [Architecture]
    }

    /// Compiles the filter for this machine. ``default`` takes the calling thread's bounding
    /// set (a spawn takes the command's: Docker's set for a rootfs container; use
    /// ``default(capabilities:)`` for a set of your choice). Compiled programs are cached per
    /// profile.
    /// - Throws: ``NSCoreError`` naming a bad rule, or saying the filter refuses `execve`
    ///   (a command could never start under it).
    public func compile() throws(NSCoreError) -> CompiledFilter {
        let r = resolved(capabilities: followsCapabilities ? .currentBounding : CapabilitySet())
        let p = try SeccompCompiler.compile(r)
        try SpawnPlanner.checkCallsAfterInstall(p, execveat: false)
        let bytes = p.instructions.withUnsafeBytes { [UInt8]($0) }
        return CompiledFilter(bytes: bytes, flags: p.flags,
                              architectures: SeccompTarget.targets(for: r.architectures).map(\.architecture))
    }
}
