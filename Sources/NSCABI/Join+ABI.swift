// Join+ABI.swift - nscore_join_config_* and nscore_join (nscore.h "Join").
import Glibc
import NSCore

private func withJoinConfig(_ cfg: OpaquePointer?, _ function: String, _ err: UnsafeMutablePointer<OpaquePointer?>?,
                            _ body: (JoinConfigHandle) throws(NSCoreError) -> Void) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        try body(try ABI.handle(cfg, JoinConfigHandle.self, function, "cfg"))
    }
}

/// Creates an empty join configuration (no target, no argv).
@c
public func nscore_join_config_new(_ out: UnsafeMutablePointer<OpaquePointer?>?,
                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null("nscore_join_config_new", "out") }
        out.pointee = ABI.retain(JoinConfigHandle())
    }
}

/// Frees a join configuration; NULL is allowed.
@c
public func nscore_join_config_free(_ cfg: OpaquePointer?) {
    guard let cfg else { return }
    ABI.release(cfg, as: JoinConfigHandle.self)
}

/// Targets a process; replaces namespace paths set earlier.
@c
public func nscore_join_config_set_target_pid(_ cfg: OpaquePointer?, _ pid: pid_t,
                                              _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join_config_set_target_pid"
    return withJoinConfig(cfg, f, err) { h throws(NSCoreError) in
        guard pid > 0 else { throw ABI.invalid("pid", "\(f): \(pid) is not a valid pid (must be > 0)") }
        h.targetPID = pid
        h.paths = [:]
    }
}

/// Targets a namespace file for one kind; replaces a target pid.
@c
public func nscore_join_config_set_namespace_path(_ cfg: OpaquePointer?, _ ns: UInt32, _ path: UnsafePointer<CChar>?,
                                                  _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join_config_set_namespace_path"
    return withJoinConfig(cfg, f, err) { h throws(NSCoreError) in
        let kind = try ABI.kind(ns, f)
        let p = try ABI.string(path, f, "path")
        if p.isEmpty { throw ABI.invalid("path", "\(f): path is empty") }
        h.targetPID = nil
        h.paths[kind] = p
    }
}

/// The kinds to join for a pid target (validated bits).
@c
public func nscore_join_config_set_namespaces(_ cfg: OpaquePointer?, _ namespaces: UInt32,
                                              _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withJoinConfig(cfg, "nscore_join_config_set_namespaces", err) { h throws(NSCoreError) in
        h.namespaces = try ABI.namespaces(namespaces, "namespaces")
    }
}

/// Copies argv (NULL-terminated); empty is NSCORE_EINVAL.
@c
public func nscore_join_config_set_argv(_ cfg: OpaquePointer?, _ argv: UnsafePointer<UnsafePointer<CChar>?>?,
                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join_config_set_argv"
    return withJoinConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setArgv(h.process, argv, f)
    }
}

/// Copies envp (NULL-terminated); NULL inherits the caller's environment.
@c
public func nscore_join_config_set_env(_ cfg: OpaquePointer?, _ envp: UnsafePointer<UnsafePointer<CChar>?>?,
                                       _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join_config_set_env"
    return withJoinConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setEnv(h.process, envp, f)
    }
}

/// The working directory of the command; NULL resets.
@c
public func nscore_join_config_set_cwd(_ cfg: OpaquePointer?, _ dir: UnsafePointer<CChar>?,
                                       _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join_config_set_cwd"
    return withJoinConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setCwd(h.process, dir, f)
    }
}

/// Where stream 0, 1 or 2 of the command comes from.
@c
public func nscore_join_config_set_stdio(_ cfg: OpaquePointer?, _ stream: Int32, _ mode: Int32, _ fd: Int32,
                                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join_config_set_stdio"
    return withJoinConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setStdio(h.process, stream, mode, fd, f)
    }
}

/// PR_SET_PDEATHSIG(SIGKILL) tied to the joining thread; 0 or 1.
@c
public func nscore_join_config_set_kill_on_parent_death(_ cfg: OpaquePointer?, _ enable: Int32,
                                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join_config_set_kill_on_parent_death"
    return withJoinConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setKillOnParentDeath(h.process, enable, f)
    }
}

/// nscore_process_config_set_terminal on the process part.
@c
public func nscore_join_config_set_terminal(_ cfg: OpaquePointer?, _ enable: Int32, _ rows: UInt32, _ cols: UInt32,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join_config_set_terminal"
    return withJoinConfig(cfg, f, err) { h throws(NSCoreError) in try ProcessABI.setTerminal(h.process, enable, rows, cols, f) }
}

/// 1 (the default): a command joining an NSCore container with resources joins its cgroups
/// too; 0: it stays in the caller's.
@c
public func nscore_join_config_set_join_cgroups(_ cfg: OpaquePointer?, _ enable: Int32,
                                                _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join_config_set_join_cgroups"
    return withJoinConfig(cfg, f, err) { h throws(NSCoreError) in
        h.joinCgroups = try ABI.flag(enable, f)
    }
}

/// Runs the configured command inside the target's namespaces.
@c
public func nscore_join(_ cfg: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_join"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "out") }
        out.pointee = nil
        let h = try ABI.handle(cfg, JoinConfigHandle.self, f, "cfg")
        let target: JoinTarget
        if let pid = h.targetPID {
            target = .process(pid)
        } else if !h.paths.isEmpty {
            target = .paths(h.paths)
        } else {
            throw ABI.invalid("target", "\(f): no target; call nscore_join_config_set_target_pid or "
                              + "nscore_join_config_set_namespace_path first")
        }
        var config = JoinConfiguration(target: target, h.process.process, namespaces: h.namespaces)
        config.joinCgroups = h.joinCgroups
        out.pointee = ABI.retain(ContainerHandle(try Container.joinWithPipes(config)))
    }
}
