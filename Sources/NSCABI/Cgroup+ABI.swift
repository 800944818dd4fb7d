// Cgroup+ABI.swift - the calls on a running container's cgroup (nscore.h "Resources (cgroups)",
// from nscore_container_cgroups_json on): nscore_container_cgroups_json, _resource_stats,
// _resource_stats_json, _freeze, _thaw, _kill_all, _update_resources, _cgroup_event_fd and
// _wait_empty on a container this process spawned, and the same calls on an nscore_cgroup
// handle, which nscore_cgroup_open() makes from the pid of any process in a container's cgroup
// (a container another process started, as `nscore stats PID` finds it).
//
// Both kinds of entry go through the functions of `CgroupCalls`, over the engine's CgroupSet
// (NSCore/Cgroups/CgroupControl.swift): a container's is `Container.cgroupSet`, an
// nscore_cgroup's the one `CgroupSet.of(pid:)` found. Only the handle and the function's name
// differ. The engine names a container spawned without resources (NSCORE_EINVAL) and one whose
// cgroup is gone (NSCORE_EEXITED).
import Glibc
import NSCore

/// The handle argument of a cgroup call: a container (`c`) or an nscore_cgroup (`cg`).
private enum Target {
    case container(OpaquePointer?)
    case cgroup(OpaquePointer?)

    /// The cgroup directories the call acts on, and the pid they belong to (for the JSON).
    func resolve(_ function: String) throws(NSCoreError) -> (set: CgroupSet, pid: pid_t) {
        switch self {
        case .container(let c):
            let container = try ABI.handle(c, ContainerHandle.self, function, "c").container
            return (container.cgroupSet, container.pid)
        case .cgroup(let cg):
            let h = try ABI.handle(cg, CgroupHandle.self, function, "cg")
            return (h.set, h.pid)
        }
    }

    func set(_ function: String) throws(NSCoreError) -> CgroupSet { try resolve(function).set }
}

/// NSCORE_RESOURCE_STAT_NONE (UINT64_MAX): a figure this machine's hierarchy does not keep.
private let statNone = UInt64.max

/// The figures in nscore_resource_stats order (twelve uint64_t, no padding). nscore.h is not
/// imported into Swift, so the struct is written by offset; its _Static_assert holds the size.
private func fields(_ s: ResourceStats) -> [UInt64?] {
    [s.memoryCurrent, s.memoryPeak, s.memoryLimit, s.memoryLimitHits, s.oomKills, s.cpuUsageNanoseconds, s.cpuPeriods,
     s.cpuThrottledPeriods, s.cpuThrottledNanoseconds, s.pidsCurrent, s.pidsLimit, s.oomEvents]
}

/// The shared bodies of the nscore_container_* and nscore_cgroup_* cgroup calls.
private enum CgroupCalls {
    typealias Err = UnsafeMutablePointer<OpaquePointer?>?
    typealias JSONOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    /// {"pid":N,"cgroups":[...]}.
    static func json(_ t: Target, _ f: String, _ out: JSONOut, _ err: Err) -> Int32 {
        ABI.run(err) { () throws(NSCoreError) in
            guard let out else { throw ABI.null(f, "json_out") }
            out.pointee = nil
            let (set, pid) = try t.resolve(f)
            try ABI.copyOut(set.json(pid: pid), out, f)
        }
    }

    /// Fills an nscore_resource_stats; NSCORE_RESOURCE_STAT_NONE where a figure is unavailable.
    static func stats(_ t: Target, _ f: String, _ out: UnsafeMutableRawPointer?, _ err: Err) -> Int32 {
        ABI.run(err) { () throws(NSCoreError) in
            guard let out else { throw ABI.null(f, "out") }
            for (i, v) in fields(try t.set(f).resourceStats()).enumerated() {
                out.storeBytes(of: v ?? statNone, toByteOffset: 8 * i, as: UInt64.self)
            }
        }
    }

    /// ResourceStats.json(): the camelCase figures, null where unavailable, and "io".
    static func statsJSON(_ t: Target, _ f: String, _ out: JSONOut, _ err: Err) -> Int32 {
        ABI.run(err) { () throws(NSCoreError) in
            guard let out else { throw ABI.null(f, "json_out") }
            out.pointee = nil
            try ABI.copyOut(try t.set(f).resourceStats().json(), out, f)
        }
    }

    static func freeze(_ t: Target, _ f: String, _ err: Err) -> Int32 {
        ABI.run(err) { () throws(NSCoreError) in try t.set(f).freeze() }
    }

    static func thaw(_ t: Target, _ f: String, _ err: Err) -> Int32 {
        ABI.run(err) { () throws(NSCoreError) in try t.set(f).thaw() }
    }

    static func killAll(_ t: Target, _ f: String, _ err: Err) -> Int32 {
        ABI.run(err) { () throws(NSCoreError) in try t.set(f).killAll() }
    }

    /// Writes the resources of `cfg` (the rest of it is ignored) into the cgroup.
    static func update(_ t: Target, _ f: String, _ cfg: OpaquePointer?, _ err: Err) -> Int32 {
        ABI.run(err) { () throws(NSCoreError) in
            let set = try t.set(f)
            guard let r = try ABI.handle(cfg, SpawnConfigHandle.self, f, "cfg").configuration.resources else {
                throw ABI.invalid("cfg", "\(f): cfg sets no resource limit; set one with nscore_spawn_config_set_memory, "
                                      + "_set_cpu, _set_pids_limit, _set_blkio_weight, _add_blkio_device or "
                                      + "_add_hugepage_limit")
            }
            try set.updateResources(r)
        }
    }

    /// A new pollable fd for NSCORE_CGROUP_EVENT_POPULATED (0) or _OOM (1), owned by the caller.
    static func eventFD(_ t: Target, _ f: String, _ event: Int32, _ fdOut: UnsafeMutablePointer<Int32>?,
                        _ err: Err) -> Int32 {
        ABI.run(err) { () throws(NSCoreError) in
            guard let fdOut else { throw ABI.null(f, "fd_out") }
            fdOut.pointee = -1
            let set = try t.set(f)
            let kind: CgroupEvent
            switch event {
            case 0: kind = .populated  // NSCORE_CGROUP_EVENT_POPULATED
            case 1: kind = .oom        // NSCORE_CGROUP_EVENT_OOM
            default:
                throw ABI.invalid("event", "\(f): event must be NSCORE_CGROUP_EVENT_POPULATED or _OOM, not \(event)")
            }
            fdOut.pointee = try set.cgroupEventFD(kind)
        }
    }

    /// Waits up to timeout_ms (-1: forever, 0: poll) until no process is left in the cgroup;
    /// *empty_out is 1 then, 0 on timeout.
    static func waitEmpty(_ t: Target, _ f: String, _ timeoutMS: Int32, _ emptyOut: UnsafeMutablePointer<Int32>?,
                          _ err: Err) -> Int32 {
        ABI.run(err) { () throws(NSCoreError) in
            guard let emptyOut else { throw ABI.null(f, "empty_out") }
            emptyOut.pointee = 0
            guard timeoutMS >= -1 else {
                throw ABI.invalid("timeout_ms", "\(f): timeout_ms must be -1 (forever) or >= 0, not \(timeoutMS)")
            }
            emptyOut.pointee = try t.set(f).waitUntilEmpty(timeoutMilliseconds: timeoutMS) ? 1 : 0
        }
    }
}

// MARK: - A container this process spawned

/// {"pid":N,"cgroups":["/sys/fs/cgroup/memory/.../nscore-PID-N",...]}, malloc'd for
/// nscore_string_free.
@c
public func nscore_container_cgroups_json(_ c: OpaquePointer?,
                                          _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                          _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.json(.container(c), "nscore_container_cgroups_json", out, err)
}

/// Fills an nscore_resource_stats; NSCORE_RESOURCE_STAT_NONE where a figure is unavailable.
@c
public func nscore_container_resource_stats(_ c: OpaquePointer?, _ out: UnsafeMutableRawPointer?,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.stats(.container(c), "nscore_container_resource_stats", out, err)
}

/// {"memoryCurrent":N,...,"io":[...]}: the same figures, null where unavailable, malloc'd for
/// nscore_string_free.
@c
public func nscore_container_resource_stats_json(_ c: OpaquePointer?,
                                                 _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                                 _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.statsJSON(.container(c), "nscore_container_resource_stats_json", out, err)
}

/// Freezes every process of the container; returns once they are frozen.
@c
public func nscore_container_freeze(_ c: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.freeze(.container(c), "nscore_container_freeze", err)
}

/// Lets a frozen container run again.
@c
public func nscore_container_thaw(_ c: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.thaw(.container(c), "nscore_container_thaw", err)
}

/// SIGKILL to every process in the container's cgroup, descendants and orphans included.
@c
public func nscore_container_kill_all(_ c: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.killAll(.container(c), "nscore_container_kill_all", err)
}

/// Writes the resource limits of `cfg` into the running container's cgroup.
@c
public func nscore_container_update_resources(_ c: OpaquePointer?, _ cfg: OpaquePointer?,
                                              _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.update(.container(c), "nscore_container_update_resources", cfg, err)
}

/// A new pollable fd for NSCORE_CGROUP_EVENT_POPULATED (0) or _OOM (1), owned by the caller.
@c
public func nscore_container_cgroup_event_fd(_ c: OpaquePointer?, _ event: Int32, _ fdOut: UnsafeMutablePointer<Int32>?,
                                             _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.eventFD(.container(c), "nscore_container_cgroup_event_fd", event, fdOut, err)
}

/// Waits up to timeout_ms until no process is left in the container's cgroup.
@c
public func nscore_container_wait_empty(_ c: OpaquePointer?, _ timeoutMS: Int32,
                                        _ emptyOut: UnsafeMutablePointer<Int32>?,
                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.waitEmpty(.container(c), "nscore_container_wait_empty", timeoutMS, emptyOut, err)
}

// MARK: - Any process's container cgroup (nscore_cgroup)

/// The NSCore-made cgroups process `pid` is in (CgroupSet.of(pid:)), as a new handle.
@c
public func nscore_cgroup_open(_ pid: pid_t, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_cgroup_open"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "out") }
        out.pointee = nil
        guard pid > 0 else { throw ABI.invalid("pid", "\(f): pid must be a process id (> 0), not \(pid)") }
        out.pointee = ABI.retain(CgroupHandle(pid: pid, set: try CgroupSet.of(pid: pid)))
    }
}

/// Releases the handle; the cgroup and its processes are untouched. NULL ok.
@c
public func nscore_cgroup_free(_ cg: OpaquePointer?) {
    guard let cg else { return }
    ABI.release(cg, as: CgroupHandle.self)
}

/// {"pid":N,"cgroups":[...]}, malloc'd for nscore_string_free.
@c
public func nscore_cgroup_json(_ cg: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.json(.cgroup(cg), "nscore_cgroup_json", out, err)
}

/// As nscore_container_resource_stats.
@c
public func nscore_cgroup_resource_stats(_ cg: OpaquePointer?, _ out: UnsafeMutableRawPointer?,
                                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.stats(.cgroup(cg), "nscore_cgroup_resource_stats", out, err)
}

/// As nscore_container_resource_stats_json.
@c
public func nscore_cgroup_resource_stats_json(_ cg: OpaquePointer?,
                                              _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                              _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.statsJSON(.cgroup(cg), "nscore_cgroup_resource_stats_json", out, err)
}

/// As nscore_container_freeze.
@c
public func nscore_cgroup_freeze(_ cg: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.freeze(.cgroup(cg), "nscore_cgroup_freeze", err)
}

/// As nscore_container_thaw.
@c
public func nscore_cgroup_thaw(_ cg: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.thaw(.cgroup(cg), "nscore_cgroup_thaw", err)
}

/// As nscore_container_kill_all.
@c
public func nscore_cgroup_kill_all(_ cg: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.killAll(.cgroup(cg), "nscore_cgroup_kill_all", err)
}

/// As nscore_container_update_resources.
@c
public func nscore_cgroup_update_resources(_ cg: OpaquePointer?, _ cfg: OpaquePointer?,
                                           _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.update(.cgroup(cg), "nscore_cgroup_update_resources", cfg, err)
}

/// As nscore_container_cgroup_event_fd.
@c
public func nscore_cgroup_event_fd(_ cg: OpaquePointer?, _ event: Int32, _ fdOut: UnsafeMutablePointer<Int32>?,
                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.eventFD(.cgroup(cg), "nscore_cgroup_event_fd", event, fdOut, err)
}

/// As nscore_container_wait_empty.
@c
public func nscore_cgroup_wait_empty(_ cg: OpaquePointer?, _ timeoutMS: Int32, _ emptyOut: UnsafeMutablePointer<Int32>?,
                                     _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    CgroupCalls.waitEmpty(.cgroup(cg), "nscore_cgroup_wait_empty", timeoutMS, emptyOut, err)
}
