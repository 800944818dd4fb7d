// Spawn+ABI.swift - nscore_spawn_config_* and nscore_spawn (nscore.h "Spawn configuration").
//
// Setters validate what can be validated without touching the system (flag bits, modes, NULL
// pointers, UTF-8); the engine validates the rest at spawn (hostname length, that stdio fds are
// open, that the command exists), because those can change between the setter and the spawn.
import Glibc
import NSCore

/// Runs a setter on a configuration handle.
private func withConfig(_ cfg: OpaquePointer?, _ function: String, _ err: UnsafeMutablePointer<OpaquePointer?>?,
                        _ body: (SpawnConfigHandle) throws(NSCoreError) -> Void) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        try body(try ABI.handle(cfg, SpawnConfigHandle.self, function, "cfg"))
    }
}

/// Creates a configuration with the defaults of nscore.h.
@c
public func nscore_spawn_config_new(_ out: UnsafeMutablePointer<OpaquePointer?>?,
                                    _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null("nscore_spawn_config_new", "out") }
        out.pointee = ABI.retain(SpawnConfigHandle())
    }
}

/// Frees a configuration; NULL is allowed.
@c
public func nscore_spawn_config_free(_ cfg: OpaquePointer?) {
    guard let cfg else { return }
    ABI.release(cfg, as: SpawnConfigHandle.self)
}

/// Copies argv (NULL-terminated); empty is NSCORE_EINVAL.
@c
public func nscore_spawn_config_set_argv(_ cfg: OpaquePointer?, _ argv: UnsafePointer<UnsafePointer<CChar>?>?,
                                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_argv"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setArgv(h.process, argv, f)
    }
}

/// The file to execute instead of resolving argv[0]; NULL resets.
@c
public func nscore_spawn_config_set_executable(_ cfg: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_executable"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setExecutable(h.process, path, f)
    }
}

/// Copies envp (NULL-terminated); NULL inherits the caller's environment.
@c
public func nscore_spawn_config_set_env(_ cfg: OpaquePointer?, _ envp: UnsafePointer<UnsafePointer<CChar>?>?,
                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_env"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setEnv(h.process, envp, f)
    }
}

/// The working directory of the command; NULL keeps the caller's.
@c
public func nscore_spawn_config_set_cwd(_ cfg: OpaquePointer?, _ dir: UnsafePointer<CChar>?,
                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_cwd"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setCwd(h.process, dir, f)
    }
}

/// The namespaces to create; unknown bits are NSCORE_EINVAL.
@c
public func nscore_spawn_config_set_namespaces(_ cfg: OpaquePointer?, _ namespaces: UInt32,
                                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withConfig(cfg, "nscore_spawn_config_set_namespaces", err) { h throws(NSCoreError) in
        h.configuration.namespaces = try ABI.namespaces(namespaces, "namespaces")
    }
}

/// The hostname in the new UTS namespace (length checked at spawn); NULL unsets.
@c
public func nscore_spawn_config_set_hostname(_ cfg: OpaquePointer?, _ hostname: UnsafePointer<CChar>?,
                                             _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_hostname"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        h.configuration.hostname = try ABI.optionalString(hostname, f, "hostname")
    }
}

/// The offset of NSCORE_CLOCK_MONOTONIC (1) or NSCORE_CLOCK_BOOTTIME (7) in the new time
/// namespace (SpawnConfiguration.timeOffsets).
@c
public func nscore_spawn_config_set_time_offset(_ cfg: OpaquePointer?, _ clock: Int32, _ seconds: Int64, _ nanoseconds: Int64,
                                                _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_time_offset"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        guard nanoseconds >= 0 && nanoseconds <= 999_999_999 else {
            throw ABI.invalid("nanoseconds", "\(f): nanoseconds must be 0 to 999999999, not \(nanoseconds)")
        }
        let offset = TimeOffsets.Offset(seconds: seconds, nanoseconds: nanoseconds)
        var t = h.configuration.timeOffsets ?? TimeOffsets()
        switch clock {
        case 1: t.monotonic = offset   // NSCORE_CLOCK_MONOTONIC
        case 7: t.boottime = offset    // NSCORE_CLOCK_BOOTTIME
        default:
            throw ABI.invalid("clock", "\(f): clock must be NSCORE_CLOCK_MONOTONIC or NSCORE_CLOCK_BOOTTIME, not \(clock)")
        }
        h.configuration.timeOffsets = t
    }
}

/// The NIS domain name in the new UTS namespace; NULL unsets.
@c
public func nscore_spawn_config_set_domainname(_ cfg: OpaquePointer?, _ domainname: UnsafePointer<CChar>?,
                                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_domainname"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        h.configuration.domainname = try ABI.optionalString(domainname, f, "domainname")
    }
}

/// NSCORE_MOUNT_PROC_AUTO (-1), _NO (0) or _YES (1).
@c
public func nscore_spawn_config_set_mount_proc(_ cfg: OpaquePointer?, _ mode: Int32,
                                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_mount_proc"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        switch mode {
        case -1: h.configuration.mountProc = nil    // NSCORE_MOUNT_PROC_AUTO
        case 0: h.configuration.mountProc = false   // NSCORE_MOUNT_PROC_NO
        case 1: h.configuration.mountProc = true    // NSCORE_MOUNT_PROC_YES
        default:
            throw ABI.invalid("mode", "\(f): mode must be NSCORE_MOUNT_PROC_AUTO (-1), _NO (0) or _YES (1), "
                              + "not \(mode)")
        }
    }
}

/// NSCORE_PROPAGATION_* applied recursively to / in a new mount namespace.
@c
public func nscore_spawn_config_set_root_propagation(_ cfg: OpaquePointer?, _ propagation: Int32,
                                                     _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_root_propagation"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        if propagation == 0 {                        // NSCORE_PROPAGATION_UNCHANGED
            h.configuration.rootPropagation = nil
        } else if let p = MountPropagation(rawValue: propagation) {  // SHARED 1 ... SHARED_SLAVE 5
            h.configuration.rootPropagation = p
        } else {
            throw ABI.invalid("propagation", "\(f): propagation must be one of NSCORE_PROPAGATION_* (0-5), "
                              + "not \(propagation)")
        }
    }
}

/// Run the command under nscore-init as PID 1; 0 or 1.
@c
public func nscore_spawn_config_set_init(_ cfg: OpaquePointer?, _ enable: Int32,
                                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_init"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        h.configuration.useInit = try ABI.flag(enable, f)
    }
}

/// Map root inside a new user namespace to the caller; 0 or 1.
@c
public func nscore_spawn_config_set_map_root_user(_ cfg: OpaquePointer?, _ enable: Int32,
                                                  _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_map_root_user"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        h.configuration.mapRootUser = try ABI.flag(enable, f)
    }
}

/// Appends a line to the uid map (`which` 0) or the gid map (1).
private func addMapping(_ cfg: OpaquePointer?, _ which: Int, _ containerID: UInt32, _ hostID: UInt32, _ size: UInt32,
                        _ f: String, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withConfig(cfg, f, err) { h throws(NSCoreError) in
        if size == 0 { throw ABI.invalid("size", "\(f): size must be at least 1") }
        let line = IDMapping(containerID: containerID, hostID: hostID, size: size)
        if which == 0 { h.configuration.uidMappings.append(line) } else { h.configuration.gidMappings.append(line) }
    }
}

/// Appends `size` uids from `container_id` inside, `host_id` outside, to the uid map.
@c
public func nscore_spawn_config_add_uid_mapping(_ cfg: OpaquePointer?, _ containerID: UInt32, _ hostID: UInt32,
                                                _ size: UInt32, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    addMapping(cfg, 0, containerID, hostID, size, "nscore_spawn_config_add_uid_mapping", err)
}

/// The same for the gid map.
@c
public func nscore_spawn_config_add_gid_mapping(_ cfg: OpaquePointer?, _ containerID: UInt32, _ hostID: UInt32,
                                                _ size: UInt32, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    addMapping(cfg, 1, containerID, hostID, size, "nscore_spawn_config_add_gid_mapping", err)
}

/// Empties both maps.
@c
public func nscore_spawn_config_clear_id_mappings(_ cfg: OpaquePointer?,
                                                  _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withConfig(cfg, "nscore_spawn_config_clear_id_mappings", err) { h throws(NSCoreError) in
        h.configuration.uidMappings = []
        h.configuration.gidMappings = []
    }
}

/// The user the command runs as (nscore_process_config_set_user on the process part).
@c
public func nscore_spawn_config_set_user(_ cfg: OpaquePointer?, _ uid: UInt32, _ gid: UInt32,
                                         _ additionalGids: UnsafePointer<UInt32>?, _ count: Int,
                                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_user"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setUser(h.process, uid, gid, additionalGids, count, f)
    }
}

/// no_new_privs: 1 on, 0 off, -1 the default (on with a root filesystem).
@c
public func nscore_spawn_config_set_no_new_privileges(_ cfg: OpaquePointer?, _ mode: Int32,
                                                      _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_no_new_privileges"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        switch mode {
        case -1: h.configuration.noNewPrivileges = nil
        case 0, 1: h.configuration.noNewPrivileges = mode == 1
        default: throw ABI.invalid("mode", "\(f): mode \(mode) is not -1 (default), 0 or 1")
        }
    }
}

/// PR_SET_PDEATHSIG(SIGKILL) tied to the spawning thread; 0 or 1.
@c
public func nscore_spawn_config_set_kill_on_parent_death(_ cfg: OpaquePointer?, _ enable: Int32,
                                                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_kill_on_parent_death"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setKillOnParentDeath(h.process, enable, f)
    }
}

/// nscore_process_config_set_terminal on the process part.
@c
public func nscore_spawn_config_set_terminal(_ cfg: OpaquePointer?, _ enable: Int32, _ rows: UInt32, _ cols: UInt32,
                                             _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_terminal"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in try ProcessABI.setTerminal(h.process, enable, rows, cols, f) }
}

/// Where stream 0, 1 or 2 of the child comes from (the fd is checked at spawn).
@c
public func nscore_spawn_config_set_stdio(_ cfg: OpaquePointer?, _ stream: Int32, _ mode: Int32, _ fd: Int32,
                                          _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_stdio"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        try ProcessABI.setStdio(h.process, stream, mode, fd, f)
    }
}

/// The seccomp profile of the command, copied from `seccomp`; NULL goes back to the default
/// (NSCore's default profile with a root filesystem, none without).
@c
public func nscore_spawn_config_set_seccomp(_ cfg: OpaquePointer?, _ seccomp: OpaquePointer?,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withConfig(cfg, "nscore_spawn_config_set_seccomp", err) { h throws(NSCoreError) in
        // Seccomp is a value: the configuration keeps its own copy.
        h.configuration.seccomp = seccomp.map { ABI.borrow($0, as: SeccompHandle.self).profile }
    }
}

/// No seccomp filter at all, even with a root filesystem.
@c
public func nscore_spawn_config_set_seccomp_unconfined(_ cfg: OpaquePointer?,
                                                       _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withConfig(cfg, "nscore_spawn_config_set_seccomp_unconfined", err) { h throws(NSCoreError) in
        h.configuration.seccomp = .unconfined
    }
}

/// Starts the configured process; *out receives a container handle (NULL on failure).
@c
public func nscore_spawn(_ cfg: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "out") }
        out.pointee = nil
        let h = try ABI.handle(cfg, SpawnConfigHandle.self, f, "cfg")
        out.pointee = ABI.retain(ContainerHandle(try Container.spawnWithPipes(h.assembled)))
    }
}
