// Process+ABI.swift - nscore_process_config_* (nscore.h "Process configuration"): the command,
// environment, working directory, stdio and parent-death signal of a spawn or a join, set once
// here for both. The nscore_spawn_config_set_argv / nscore_join_config_set_argv family of
// setters forward to the same functions.
import Glibc
import NSCore

/// `nscore_process_config`: the ProcessConfiguration of a spawn or join configuration handle,
/// which owns it (the C caller borrows it through nscore_spawn_config_process and
/// nscore_join_config_process).
final class ProcessConfigHandle {
    var process = ProcessConfiguration()
}

/// The setters, shared by nscore_process_config_* and the spawn and join config setters. `f`
/// is the C function's name, for the messages.
enum ProcessABI {
    static func setArgv(_ h: ProcessConfigHandle, _ argv: UnsafePointer<UnsafePointer<CChar>?>?,
                        _ f: String) throws(NSCoreError) {
        guard let args = try ABI.stringArray(argv, f, "argv") else { throw ABI.null(f, "argv") }
        if args.isEmpty { throw ABI.invalid("argv", "\(f): argv is empty; give at least the command to run") }
        h.process.arguments = args
    }

    static func setExecutable(_ h: ProcessConfigHandle, _ path: UnsafePointer<CChar>?, _ f: String) throws(NSCoreError) {
        h.process.executable = try ABI.optionalString(path, f, "path")
    }

    static func setEnv(_ h: ProcessConfigHandle, _ envp: UnsafePointer<UnsafePointer<CChar>?>?,
                       _ f: String) throws(NSCoreError) {
        h.process.environment = try ABI.stringArray(envp, f, "envp")
    }

    static func setCwd(_ h: ProcessConfigHandle, _ dir: UnsafePointer<CChar>?, _ f: String) throws(NSCoreError) {
        h.process.workingDirectory = try ABI.optionalString(dir, f, "dir")
    }

    static func setStdio(_ h: ProcessConfigHandle, _ stream: Int32, _ mode: Int32, _ fd: Int32,
                         _ f: String) throws(NSCoreError) {
        let (n, source) = try ABI.stdio(stream: stream, mode: mode, fd: fd, f)
        switch n {
        case 0: h.process.stdin = source
        case 1: h.process.stdout = source
        default: h.process.stderr = source
        }
    }

    static func setKillOnParentDeath(_ h: ProcessConfigHandle, _ enable: Int32, _ f: String) throws(NSCoreError) {
        h.process.killOnParentDeath = try ABI.flag(enable, f)
    }

    static func setTerminal(_ h: ProcessConfigHandle, _ enable: Int32, _ rows: UInt32, _ cols: UInt32,
                            _ f: String) throws(NSCoreError) {
        let on = try ABI.flag(enable, f)
        if rows > UInt32(UInt16.max) || cols > UInt32(UInt16.max) {
            throw ABI.invalid("rows", "\(f): rows \(rows) and cols \(cols) must each be at most 65535")
        }
        if !on && (rows != 0 || cols != 0) {
            throw ABI.invalid("rows", "\(f): a size (rows \(rows), cols \(cols)) needs enable 1")
        }
        h.process.terminal = on
        h.process.consoleSize = rows == 0 && cols == 0 ? nil : ConsoleSize(height: UInt16(rows), width: UInt16(cols))
    }

    static func setCapabilities(_ h: ProcessConfigHandle, _ which: UInt32, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                                _ f: String) throws(NSCoreError) {
        if which == 0 || which & ~UInt32(31) != 0 {
            throw ABI.invalid("which", "\(f): which 0x\(String(which, radix: 16)) is not a non-empty set of NSCORE_CAPS_* bits")
        }
        guard let list = try ABI.stringArray(names, f, "names") else { throw ABI.null(f, "names") }
        let set = try CapabilitySet(names: list)
        var caps = h.process.capabilities ?? .dockerDefault
        // The NSCORE_CAPS_* bits.
        if which & 1 != 0 { caps.bounding = set }
        if which & 2 != 0 { caps.effective = set }
        if which & 4 != 0 { caps.inheritable = set }
        if which & 8 != 0 { caps.permitted = set }
        if which & 16 != 0 { caps.ambient = set }
        h.process.capabilities = caps
    }

    static func adjustCapabilities(_ h: ProcessConfigHandle, _ add: UnsafePointer<UnsafePointer<CChar>?>?,
                                   _ drop: UnsafePointer<UnsafePointer<CChar>?>?, _ f: String) throws(NSCoreError) {
        let added = try CapabilitySet(names: try ABI.stringArray(add, f, "add") ?? [])
        let dropped = try CapabilitySet(names: try ABI.stringArray(drop, f, "drop") ?? [])
        h.process.capabilities = (h.process.capabilities ?? .dockerDefault).adding(added, dropping: dropped)
    }

    static func setUser(_ h: ProcessConfigHandle, _ uid: UInt32, _ gid: UInt32, _ gids: UnsafePointer<UInt32>?,
                        _ count: Int, _ f: String) throws(NSCoreError) {
        if uid == UInt32.max || gid == UInt32.max {
            throw ABI.invalid(uid == UInt32.max ? "uid" : "gid", "\(f): 4294967295 (-1) is not a valid id")
        }
        if count < 0 || count > 65536 { throw ABI.invalid("count", "\(f): count \(count) is out of range (0-65536)") }
        if count > 0 && gids == nil { throw ABI.null(f, "additional_gids") }
        let extra = (0..<count).map { gids![$0] }
        if let bad = extra.first(where: { $0 == UInt32.max }) {
            throw ABI.invalid("additional_gids", "\(f): \(bad) (-1) is not a valid gid")
        }
        h.process.user = User(uid: uid, gid: gid, additionalGids: extra)
    }
}

/// Runs a setter on a process configuration handle.
private func withProcess(_ p: OpaquePointer?, _ function: String, _ err: UnsafeMutablePointer<OpaquePointer?>?,
                         _ body: (ProcessConfigHandle) throws(NSCoreError) -> Void) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        try body(try ABI.handle(p, ProcessConfigHandle.self, function, "p"))
    }
}

/// The process part of a spawn configuration, borrowed; NULL for NULL.
@c
public func nscore_spawn_config_process(_ cfg: OpaquePointer?) -> OpaquePointer? {
    guard let cfg else { return nil }
    return OpaquePointer(Unmanaged.passUnretained(ABI.borrow(cfg, as: SpawnConfigHandle.self).process).toOpaque())
}

/// The process part of a join configuration, borrowed; NULL for NULL.
@c
public func nscore_join_config_process(_ cfg: OpaquePointer?) -> OpaquePointer? {
    guard let cfg else { return nil }
    return OpaquePointer(Unmanaged.passUnretained(ABI.borrow(cfg, as: JoinConfigHandle.self).process).toOpaque())
}

/// Copies argv (NULL-terminated); empty is NSCORE_EINVAL.
@c
public func nscore_process_config_set_argv(_ p: OpaquePointer?, _ argv: UnsafePointer<UnsafePointer<CChar>?>?,
                                           _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_argv"
    return withProcess(p, f, err) { h throws(NSCoreError) in try ProcessABI.setArgv(h, argv, f) }
}

/// The file to execute instead of resolving argv[0]; NULL resets.
@c
public func nscore_process_config_set_executable(_ p: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                                                 _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_executable"
    return withProcess(p, f, err) { h throws(NSCoreError) in try ProcessABI.setExecutable(h, path, f) }
}

/// Copies envp (NULL-terminated); NULL inherits the caller's environment.
@c
public func nscore_process_config_set_env(_ p: OpaquePointer?, _ envp: UnsafePointer<UnsafePointer<CChar>?>?,
                                          _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_env"
    return withProcess(p, f, err) { h throws(NSCoreError) in try ProcessABI.setEnv(h, envp, f) }
}

/// The working directory; NULL resets.
@c
public func nscore_process_config_set_cwd(_ p: OpaquePointer?, _ dir: UnsafePointer<CChar>?,
                                          _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_cwd"
    return withProcess(p, f, err) { h throws(NSCoreError) in try ProcessABI.setCwd(h, dir, f) }
}

/// Where stream 0, 1 or 2 comes from.
@c
public func nscore_process_config_set_stdio(_ p: OpaquePointer?, _ stream: Int32, _ mode: Int32, _ fd: Int32,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_stdio"
    return withProcess(p, f, err) { h throws(NSCoreError) in try ProcessABI.setStdio(h, stream, mode, fd, f) }
}

/// PR_SET_PDEATHSIG(SIGKILL) tied to the starting thread; 0 or 1.
@c
public func nscore_process_config_set_kill_on_parent_death(_ p: OpaquePointer?, _ enable: Int32,
                                                           _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_kill_on_parent_death"
    return withProcess(p, f, err) { h throws(NSCoreError) in try ProcessABI.setKillOnParentDeath(h, enable, f) }
}

/// 1 (the default): the command starts in a new session (ProcessConfiguration.newSession).
@c
public func nscore_process_config_set_new_session(_ p: OpaquePointer?, _ enable: Int32,
                                                  _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_new_session"
    return withProcess(p, f, err) { h throws(NSCoreError) in h.process.newSession = try ABI.flag(enable, f) }
}

/// A new pty for the command (OCI process.terminal), of `rows` x `cols` (0 x 0: no size).
@c
public func nscore_process_config_set_terminal(_ p: OpaquePointer?, _ enable: Int32, _ rows: UInt32, _ cols: UInt32,
                                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_terminal"
    return withProcess(p, f, err) { h throws(NSCoreError) in try ProcessABI.setTerminal(h, enable, rows, cols, f) }
}

/// The user the command runs as, with its supplementary groups (`additional_gids`, `count` of
/// them; NULL with 0 clears them).
@c
public func nscore_process_config_set_user(_ p: OpaquePointer?, _ uid: UInt32, _ gid: UInt32,
                                           _ additionalGids: UnsafePointer<UInt32>?, _ count: Int,
                                           _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_user"
    return withProcess(p, f, err) { h throws(NSCoreError) in
        try ProcessABI.setUser(h, uid, gid, additionalGids, count, f)
    }
}

/// Back to the caller's user.
@c
public func nscore_process_config_clear_user(_ p: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withProcess(p, "nscore_process_config_clear_user", err) { h throws(NSCoreError) in h.process.user = nil }
}

/// Sets the capability sets named in `which` (NSCORE_CAPS_* bits) to `names`.
@c
public func nscore_process_config_set_capabilities(_ p: OpaquePointer?, _ which: UInt32,
                                                   _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_capabilities"
    return withProcess(p, f, err) { h throws(NSCoreError) in try ProcessABI.setCapabilities(h, which, names, f) }
}

/// Docker's --cap-add / --cap-drop.
@c
public func nscore_process_config_adjust_capabilities(_ p: OpaquePointer?,
                                                      _ add: UnsafePointer<UnsafePointer<CChar>?>?,
                                                      _ drop: UnsafePointer<UnsafePointer<CChar>?>?,
                                                      _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_adjust_capabilities"
    return withProcess(p, f, err) { h throws(NSCoreError) in try ProcessABI.adjustCapabilities(h, add, drop, f) }
}

/// Back to the default capabilities.
@c
public func nscore_process_config_clear_capabilities(_ p: OpaquePointer?,
                                                     _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withProcess(p, "nscore_process_config_clear_capabilities", err) { h throws(NSCoreError) in
        h.process.capabilities = nil
    }
}

/// Adds a resource limit (OCI process.rlimits); UINT64_MAX is no limit.
@c
public func nscore_process_config_add_rlimit(_ p: OpaquePointer?, _ type: UnsafePointer<CChar>?, _ soft: UInt64,
                                             _ hard: UInt64, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_add_rlimit"
    return withProcess(p, f, err) { h throws(NSCoreError) in
        let limit = try ResourceLimit(try ABI.string(type, f, "type"), soft: soft, hard: hard)
        if h.process.rlimits.contains(where: { $0.resource == limit.resource }) {
            throw ABI.invalid("type", "\(f): \(limit.type) is already set (nscore_process_config_clear_rlimits first)")
        }
        h.process.rlimits.append(limit)
    }
}

/// Removes every resource limit set.
@c
public func nscore_process_config_clear_rlimits(_ p: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withProcess(p, "nscore_process_config_clear_rlimits", err) { h throws(NSCoreError) in h.process.rlimits = [] }
}

/// The OOM score adjustment, -1000 to 1000.
@c
public func nscore_process_config_set_oom_score_adj(_ p: OpaquePointer?, _ adj: Int32,
                                                    _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_process_config_set_oom_score_adj"
    return withProcess(p, f, err) { h throws(NSCoreError) in
        if adj < -1000 || adj > 1000 { throw ABI.invalid("adj", "\(f): \(adj) is out of range (-1000 to 1000)") }
        h.process.oomScoreAdj = adj
    }
}

/// Back to the caller's OOM score adjustment.
@c
public func nscore_process_config_clear_oom_score_adj(_ p: OpaquePointer?,
                                                      _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withProcess(p, "nscore_process_config_clear_oom_score_adj", err) { h throws(NSCoreError) in h.process.oomScoreAdj = nil }
}
