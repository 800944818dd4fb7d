// Seccomp+ABI.swift - nscore_seccomp_* (nscore.h "Seccomp"): building, reading, writing and
// compiling seccomp profiles (the OCI runtime spec's linux.seccomp), giving one to a spawn, and
// the supervisor side of NSCORE_SECCOMP_NOTIFY (receive a held syscall, answer it).
//
// A profile handle wraps an NSCore.Seccomp value; nscore_spawn_config_set_seccomp copies it, so
// the handle may change or go away after the call. The C structs nscore_seccomp_arg and
// nscore_seccomp_notification are defined by nscore.h, not imported into Swift: they are read
// and written by offset (their layouts have no padding, see the comments on each).
//
// nscore_seccomp_syscall_name reads the compiler's syscall table (CNSCoreShim) directly: its
// rows are static C strings, which the call returns as they are (NSCore's
// Seccomp.syscallName(number:architecture:) returns a Swift copy, which C could not keep).
import CNSCoreShim
import Glibc
import NSCore

// MARK: - Handle

/// `nscore_seccomp`: a mutable seccomp profile. Not synchronised: nscore.h forbids modifying a
/// handle while another thread uses it.
final class SeccompHandle {
    var profile: Seccomp
    init(_ profile: Seccomp) { self.profile = profile }
}

// MARK: - Conversions

/// The numbers of nscore.h's Seccomp section, as NSCore values.
enum SeccompABI {
    /// The NSCORE_SECCOMP_* action names, by number, for messages.
    static let actionNames = ["NSCORE_SECCOMP_ALLOW", "NSCORE_SECCOMP_ERRNO", "NSCORE_SECCOMP_KILL_PROCESS",
                              "NSCORE_SECCOMP_KILL_THREAD", "NSCORE_SECCOMP_TRAP", "NSCORE_SECCOMP_TRACE",
                              "NSCORE_SECCOMP_LOG", "NSCORE_SECCOMP_NOTIFY"]

    /// The valid NSCORE_SECCOMP_FLAG_* bits: TSYNC 1, LOG 2, SPEC_ALLOW 4, WAIT_KILLABLE_RECV 32
    /// (the kernel's SECCOMP_FILTER_FLAG_* values; NEW_LISTENER, 8, is the library's own).
    static let validFlags: UInt32 = 1 | 2 | 4 | 32

    /// An action number and its datum (the errno of ERRNO, the value of TRACE; 0 otherwise).
    static func action(_ value: Int32, _ data: UInt32, _ function: String,
                       _ argument: String = "action") throws(NSCoreError) -> Seccomp.Action {
        guard (0...7).contains(value) else {
            throw ABI.invalid(argument, "\(function): \(argument) \(value) is not an NSCORE_SECCOMP_* action "
                              + "(ALLOW 0, ERRNO 1, KILL_PROCESS 2, KILL_THREAD 3, TRAP 4, TRACE 5, LOG 6, NOTIFY 7)")
        }
        switch value {
        case 1:  // NSCORE_SECCOMP_ERRNO
            guard data <= 4095 else {
                throw ABI.invalid("data", "\(function): errno \(data) is out of range; an errno is 0 to 4095")
            }
            return .errno(Int32(data))
        case 5:  // NSCORE_SECCOMP_TRACE
            guard data <= 0xffff else {
                throw ABI.invalid("data", "\(function): trace value \(data) is out of range (0 to 65535)")
            }
            return .trace(UInt16(data))
        default:
            // A datum given to an action that has none is a mistake (an errno meant for ERRNO).
            guard data == 0 else {
                throw ABI.invalid("data", "\(function): data must be 0 with \(actionNames[Int(value)]), not \(data); "
                                  + "only NSCORE_SECCOMP_ERRNO (the errno) and NSCORE_SECCOMP_TRACE (the value) "
                                  + "take one")
            }
            switch value {
            case 0: return .allow
            case 2: return .killProcess
            case 3: return .killThread
            case 4: return .trap
            case 6: return .log
            default: return .notify
            }
        }
    }

    /// NSCORE_SECCOMP_CMP_* (libseccomp's numbering: NE 1 ... MASKED_EQ 7).
    static func op(_ value: UInt32, _ function: String, _ argument: String) throws(NSCoreError) -> Seccomp.Operator {
        switch value {
        case 1: return .notEqual
        case 2: return .lessThan
        case 3: return .lessThanOrEqual
        case 4: return .equal
        case 5: return .greaterThanOrEqual
        case 6: return .greaterThan
        case 7: return .maskedEqual
        default:
            throw ABI.invalid(argument, "\(function): \(argument) \(value) is not an NSCORE_SECCOMP_CMP_* operator "
                              + "(NE 1, LT 2, LE 3, EQ 4, GE 5, GT 6, MASKED_EQ 7)")
        }
    }

    /// `count` nscore_seccomp_arg structs: { uint32_t index; uint32_t op; uint64_t value;
    /// uint64_t value_two; }, 24 bytes each, no padding.
    static func arguments(_ p: UnsafeRawPointer?, _ count: Int,
                          _ function: String) throws(NSCoreError) -> [Seccomp.Argument] {
        guard count > 0 else { return [] }
        guard let p else { throw ABI.invalid("args", "\(function): args is NULL but nargs is \(count)") }
        var out: [Seccomp.Argument] = []
        out.reserveCapacity(count)
        for j in 0..<count {
            let base = p + 24 * j
            let index = base.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            guard index <= 5 else {
                throw ABI.invalid("args[\(j)].index", "\(function): args[\(j)].index is \(index); a syscall has "
                                  + "arguments 0 to 5")
            }
            let op = try op(base.loadUnaligned(fromByteOffset: 4, as: UInt32.self), function, "args[\(j)].op")
            out.append(Seccomp.Argument(index: index, value: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                                        valueTwo: base.loadUnaligned(fromByteOffset: 16, as: UInt64.self), op: op))
        }
        return out
    }

    /// Checks that every syscall name of `rules` is one the compiler knows. The engine checks
    /// names when it compiles (at the spawn); this moves the error to the call that brought
    /// them, naming the place as the profile has it ("syscalls[2].names[0]: unknown syscall
    /// 'fly'").
    static func checkNames(_ rules: [Seccomp.Rule]) throws(NSCoreError) {
        for (i, rule) in rules.enumerated() {
            for (j, name) in rule.names.enumerated() where !Seccomp.knows(syscall: name) {
                throw ABI.invalid("seccomp", "seccomp: syscalls[\(i)].names[\(j)]: unknown syscall '\(name)'")
            }
        }
    }

    /// The same for one rule's names, naming the first unknown one as `function: names[j]`.
    static func checkNames(_ rule: Seccomp.Rule, _ function: String) throws(NSCoreError) {
        for (j, name) in rule.names.enumerated() where !Seccomp.knows(syscall: name) {
            throw ABI.invalid("names[\(j)]", "\(function): names[\(j)]: unknown syscall '\(name)'")
        }
    }
}

/// Runs `body` on a required profile handle.
private func withSeccomp(_ s: OpaquePointer?, _ function: String, _ err: UnsafeMutablePointer<OpaquePointer?>?,
                         _ body: (SeccompHandle) throws(NSCoreError) -> Void) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        try body(try ABI.handle(s, SeccompHandle.self, function, "seccomp"))
    }
}

/// Stores a new handle for `profile` in *out (checked non-NULL, set to NULL first).
private func create(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ function: String,
                    _ err: UnsafeMutablePointer<OpaquePointer?>?, _ make: () throws(NSCoreError) -> Seccomp) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(function, "out") }
        out.pointee = nil
        out.pointee = ABI.retain(SeccompHandle(try make()))
    }
}

// MARK: - Profiles

/// A profile whose default action is `default_action` (with `data`), no rules.
@c
public func nscore_seccomp_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ defaultAction: Int32, _ data: UInt32,
                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_seccomp_new"
    return create(out, f, err) { () throws(NSCoreError) in
        Seccomp(defaultAction: try SeccompABI.action(defaultAction, data, f, "default_action"))
    }
}

/// NSCore's default profile (Docker's, following the container's capabilities).
@c
public func nscore_seccomp_default(_ out: UnsafeMutablePointer<OpaquePointer?>?,
                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    create(out, "nscore_seccomp_default", err) { () throws(NSCoreError) in Seccomp.default }
}

/// Parses an OCI linux.seccomp object (or a config.json) of `length` bytes; checks the syscall
/// names.
@c
public func nscore_seccomp_from_json(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ json: UnsafePointer<CChar>?,
                                     _ length: Int, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_seccomp_from_json"
    return create(out, f, err) { () throws(NSCoreError) in
        guard let json else { throw ABI.null(f, "json") }
        let bytes = UnsafeRawBufferPointer(start: json, count: max(length, 0))
        // Refuse invalid UTF-8 and NUL bytes rather than reading something else than was given.
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ABI.invalid("json", "\(f): json is not valid UTF-8")
        }
        if let nul = bytes.firstIndex(of: 0) {
            throw ABI.invalid("json", "\(f): json has a NUL byte at offset \(nul) (length is \(length))")
        }
        let profile = try Seccomp(json: text)
        // The parser leaves syscall names to the compiler: check them now, so an unknown name
        // is an error here ("syscalls[2].names[0]: unknown syscall 'foo'"), not at the spawn.
        try SeccompABI.checkNames(profile.syscalls)
        return profile
    }
}

/// The profile as an OCI linux.seccomp object, malloc'd for nscore_string_free.
@c
public func nscore_seccomp_to_json(_ s: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_seccomp_to_json"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "json_out") }
        out.pointee = nil
        let h = try ABI.handle(s, SeccompHandle.self, f, "seccomp")
        try ABI.copyOut(h.profile.json, out, f)
    }
}

/// Appends a rule: `count` syscall names, an action with its datum, `nargs` comparisons.
@c
public func nscore_seccomp_add_rule(_ s: OpaquePointer?, _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int,
                                    _ action: Int32, _ data: UInt32, _ args: UnsafeRawPointer?, _ nargs: Int,
                                    _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_seccomp_add_rule"
    return withSeccomp(s, f, err) { h throws(NSCoreError) in
        guard count > 0 else { throw ABI.invalid("count", "\(f): count is 0; name at least one syscall") }
        guard let names else { throw ABI.null(f, "names") }
        var list: [String] = []
        list.reserveCapacity(count)
        for j in 0..<count {
            list.append(try ABI.string(names[j], f, "names[\(j)]"))
        }
        let rule = Seccomp.Rule(names: list, action: try SeccompABI.action(action, data, f),
                                arguments: try SeccompABI.arguments(args, nargs, f))
        try SeccompABI.checkNames(rule, f)
        h.profile.syscalls.append(rule)
    }
}

/// Adds an architecture (SCMP_ARCH_*) the filter admits; one already there is kept once.
@c
public func nscore_seccomp_add_architecture(_ s: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_seccomp_add_architecture"
    return withSeccomp(s, f, err) { h throws(NSCoreError) in
        let text = try ABI.string(name, f, "name")
        guard let arch = Seccomp.Architecture(rawValue: text) else {
            throw ABI.invalid("name", "\(f): unknown architecture '\(text)'; the known ones are "
                              + Seccomp.Architecture.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if !h.profile.architectures.contains(arch) { h.profile.architectures.append(arch) }
    }
}

/// Replaces the seccomp(2) flags (NSCORE_SECCOMP_FLAG_* bits; others are NSCORE_EINVAL).
@c
public func nscore_seccomp_set_flags(_ s: OpaquePointer?, _ flags: UInt32,
                                     _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_seccomp_set_flags"
    return withSeccomp(s, f, err) { h throws(NSCoreError) in
        let unknown = flags & ~SeccompABI.validFlags
        guard unknown == 0 else {
            throw ABI.invalid("flags", "\(f): unknown flag bits 0x\(String(unknown, radix: 16)); the valid ones are "
                              + "NSCORE_SECCOMP_FLAG_TSYNC (1), _LOG (2), _SPEC_ALLOW (4) and _WAIT_KILLABLE_RECV (32)")
        }
        h.profile.flags = Seccomp.Flags(rawValue: flags)
    }
}

/// The classic BPF program (struct sock_filter bytes) and seccomp(2) flags for this machine.
/// *length_out always gets the size; buffer NULL with capacity 0 asks for the size only.
@c
public func nscore_seccomp_compile(_ s: OpaquePointer?, _ buffer: UnsafeMutableRawPointer?, _ capacity: Int,
                                   _ lengthOut: UnsafeMutablePointer<Int>?, _ flagsOut: UnsafeMutablePointer<UInt32>?,
                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_seccomp_compile"
    return withSeccomp(s, f, err) { h throws(NSCoreError) in
        guard let lengthOut else { throw ABI.null(f, "length_out") }
        let filter = try h.profile.compile()
        lengthOut.pointee = filter.bytes.count
        flagsOut?.pointee = filter.flags
        if buffer == nil && capacity == 0 { return }  // a size query
        guard let buffer else { throw ABI.invalid("buffer", "\(f): buffer is NULL but capacity is \(capacity)") }
        guard capacity >= filter.bytes.count else {
            throw ABI.invalid("capacity", "\(f): the buffer holds \(capacity) bytes; the filter needs "
                              + "\(filter.bytes.count) (\(filter.count) instructions of 8 bytes), given in *length_out")
        }
        filter.bytes.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) }
        }
    }
}

/// Frees a profile; NULL is allowed.
@c
public func nscore_seccomp_free(_ s: OpaquePointer?) {
    guard let s else { return }
    ABI.release(s, as: SeccompHandle.self)
}

// MARK: - Notifications

/// Waits for the next notification on `listener`; fills an nscore_seccomp_notification:
/// { uint64_t id; int32_t pid; int32_t nr; uint32_t arch; uint32_t reserved;
///   uint64_t instruction_pointer; uint64_t args[6]; }: 8 + 4 + 4 + 4 + 4 + 8 + 48 = 80 bytes.
@c
public func nscore_seccomp_notification_receive(_ listener: Int32, _ out: UnsafeMutableRawPointer?,
                                                _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_seccomp_notification_receive"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "out") }
        guard listener >= 0 else {
            throw ABI.invalid("listener", "\(f): listener \(listener) is not a file descriptor (a container "
                              + "without an NSCORE_SECCOMP_NOTIFY rule has none)")
        }
        let n = try Seccomp.receiveNotification(from: listener)
        out.storeBytes(of: n.id, toByteOffset: 0, as: UInt64.self)
        out.storeBytes(of: n.pid, toByteOffset: 8, as: Int32.self)
        out.storeBytes(of: n.number, toByteOffset: 12, as: Int32.self)
        out.storeBytes(of: n.architecture, toByteOffset: 16, as: UInt32.self)
        out.storeBytes(of: UInt32(0), toByteOffset: 20, as: UInt32.self)
        out.storeBytes(of: n.instructionPointer, toByteOffset: 24, as: UInt64.self)
        for i in 0..<6 {
            out.storeBytes(of: i < n.arguments.count ? n.arguments[i] : 0, toByteOffset: 32 + 8 * i, as: UInt64.self)
        }
    }
}

/// Answers notification `id`: NSCORE_SECCOMP_RESPOND_CONTINUE (0), _ERROR (1, errno `value`)
/// or _VALUE (2, the syscall returns `value`).
@c
public func nscore_seccomp_notification_respond(_ listener: Int32, _ id: UInt64, _ response: Int32, _ value: Int64,
                                                _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_seccomp_notification_respond"
    return ABI.run(err) { () throws(NSCoreError) in
        guard listener >= 0 else {
            throw ABI.invalid("listener", "\(f): listener \(listener) is not a file descriptor")
        }
        let answer: Seccomp.Response
        switch response {
        case 0:  // NSCORE_SECCOMP_RESPOND_CONTINUE
            guard value == 0 else {
                throw ABI.invalid("value", "\(f): value must be 0 with NSCORE_SECCOMP_RESPOND_CONTINUE, not \(value)")
            }
            answer = .continue
        case 1:  // NSCORE_SECCOMP_RESPOND_ERROR
            guard value > 0 && value <= 4095 else {
                throw ABI.invalid("value", "\(f): the errno of NSCORE_SECCOMP_RESPOND_ERROR must be 1 to 4095, "
                                  + "not \(value)")
            }
            answer = .error(Int32(value))
        case 2:  // NSCORE_SECCOMP_RESPOND_VALUE
            answer = .value(value)
        default:
            throw ABI.invalid("response", "\(f): response \(response) is not NSCORE_SECCOMP_RESPOND_CONTINUE (0), "
                              + "_ERROR (1) or _VALUE (2)")
        }
        try Seccomp.respond(toID: id, on: listener, with: answer)
    }
}

/// The rows of the compiler's syscall table are static C strings, returned as they are.
/// The table's columns by audit architecture (linux/audit.h AUDIT_ARCH_*, as in NSCore's
/// SeccompTarget).
private func tableColumn(_ arch: UInt32) -> Int32? {
    switch arch {
    case 0xC000_003E: return 0  // AUDIT_ARCH_X86_64: NSC_ARCH_X86_64
    case 0x4000_0003: return 1  // AUDIT_ARCH_I386: NSC_ARCH_I386
    case 0xC000_00B7: return 2  // AUDIT_ARCH_AARCH64: NSC_ARCH_AARCH64
    default: return nil
    }
}

/// The name of syscall `nr` on audit architecture `arch` (static storage), or NULL.
@c
public func nscore_seccomp_syscall_name(_ arch: UInt32, _ nr: Int32) -> UnsafePointer<CChar>? {
    guard let column = tableColumn(arch) else { return nil }
    let row = nsc_shim_syscall_name_row(column, nr)
    return row < 0 ? nil : nsc_shim_syscall_row_name(row)
}
