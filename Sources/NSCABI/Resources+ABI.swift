// Resources+ABI.swift - nscore_spawn_config_set_memory, _set_cpu, _set_pids_limit,
// _clear_resources, nscore_container_cgroups_json, and the calls on a running container's
// cgroup (stats, freeze, thaw, kill-all, update, events) (nscore.h "Resources (cgroups)").
//
// The setters fill SpawnConfiguration.resources (the OCI runtime spec's linux.resources) one
// part at a time: each call replaces its part (memory, cpu or pids) and leaves the others. A
// part whose every argument says "not set" is removed, and a configuration with no part left
// has no resources at all, so it gets no cgroup (the engine makes one for any non-nil
// Resources). The values themselves are checked by the engine at nscore_spawn(), before
// anything is created: whether they are valid depends on the machine (its CPUs, memory nodes
// and cgroup hierarchies), and the relation between the memory values is only known once all
// are given. The setters check what is theirs: NULL handles, the 0/1 flag, UTF-8.
import Glibc
import NSCore

/// NSCORE_RESOURCE_UNSET (INT64_MIN): "not set" for the int64_t arguments.
private let unset = Int64.min

/// Runs a setter on a configuration handle.
private func withConfig(_ cfg: OpaquePointer?, _ function: String, _ err: UnsafeMutablePointer<OpaquePointer?>?,
                        _ body: (SpawnConfigHandle) throws(NSCoreError) -> Void) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        try body(try ABI.handle(cfg, SpawnConfigHandle.self, function, "cfg"))
    }
}

/// Changes the configuration's resources; none left means no cgroup.
private func update(_ h: SpawnConfigHandle, _ change: (inout Resources) -> Void) {
    var r = h.configuration.resources ?? Resources()
    change(&r)
    h.configuration.resources = r.memory == nil && r.cpu == nil && r.pids == nil ? nil : r
}

/// An int64_t argument: NSCORE_RESOURCE_UNSET is nil, anything else is passed on as given
/// (the engine names a bad value at spawn).
private func given(_ v: Int64) -> Int64? { v == unset ? nil : v }

/// Memory limits (OCI linux.resources.memory); every value NSCORE_RESOURCE_UNSET and
/// disable_oom_killer 0 removes them.
@c
public func nscore_spawn_config_set_memory(_ cfg: OpaquePointer?, _ limit: Int64, _ reservation: Int64, _ swap: Int64,
                                           _ disableOOMKiller: Int32,
                                           _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_memory"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        // 0 is "not set": on cgroup v1 nothing is written for false either, and cgroup v2 has
        // no such switch (true is refused there at spawn).
        let disable = try ABI.flag(disableOOMKiller, f, "disable_oom_killer") ? true : nil
        let m = Resources.Memory(limit: given(limit), reservation: given(reservation), swap: given(swap),
                                 disableOOMKiller: disable)
        let empty = m.limit == nil && m.reservation == nil && m.swap == nil && m.disableOOMKiller == nil
        update(h) { $0.memory = empty ? nil : m }
    }
}

/// CPU limits (OCI linux.resources.cpu); shares 0, quota NSCORE_RESOURCE_UNSET, period 0 and
/// NULL cpus and mems remove them.
@c
public func nscore_spawn_config_set_cpu(_ cfg: OpaquePointer?, _ shares: UInt64, _ quota: Int64, _ period: UInt64,
                                        _ cpus: UnsafePointer<CChar>?, _ mems: UnsafePointer<CChar>?,
                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_cpu"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        let c = Resources.CPU(shares: shares == 0 ? nil : shares, quota: given(quota),
                              period: period == 0 ? nil : period, cpus: try ABI.optionalString(cpus, f, "cpus"),
                              mems: try ABI.optionalString(mems, f, "mems"))
        let empty = c.shares == nil && c.quota == nil && c.period == nil && c.cpus == nil && c.mems == nil
        update(h) { $0.cpu = empty ? nil : c }
    }
}

/// The most processes and threads (OCI linux.resources.pids.limit); NSCORE_RESOURCE_UNSET
/// removes it.
@c
public func nscore_spawn_config_set_pids_limit(_ cfg: OpaquePointer?, _ limit: Int64,
                                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withConfig(cfg, "nscore_spawn_config_set_pids_limit", err) { h throws(NSCoreError) in
        update(h) { $0.pids = given(limit).map { Resources.Pids(limit: $0) } }
    }
}

/// Removes every resource limit: the container gets no cgroup of its own.
@c
public func nscore_spawn_config_clear_resources(_ cfg: OpaquePointer?,
                                                _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withConfig(cfg, "nscore_spawn_config_clear_resources", err) { h throws(NSCoreError) in
        h.configuration.resources = nil
    }
}

/// {"pid":N,"cgroups":["/sys/fs/cgroup/memory/.../nscore-PID-N",...]}, malloc'd for
/// nscore_string_free.
@c
public func nscore_container_cgroups_json(_ c: OpaquePointer?,
                                          _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                          _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_cgroups_json"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "json_out") }
        out.pointee = nil
        let container = try ABI.handle(c, ContainerHandle.self, f, "c").container
        try ABI.copyOut(container.cgroupSet.json(pid: container.pid), out, f)
    }
}

// MARK: - A running container's cgroup
//
// nscore_container_resource_stats, _resource_stats_json, _freeze, _thaw, _kill_all,
// _update_resources, _cgroup_event_fd and _wait_empty (nscore.h "Resources (cgroups)", the
// part after nscore_container_cgroups_json). Each is a thin call of the engine's Container
// method (NSCore/Cgroups/CgroupControl.swift): it names a container spawned without resources
// (NSCORE_EINVAL) and one already reaped, whose cgroup is gone (NSCORE_EEXITED).

/// The container behind a required handle argument `c`.
private func container(_ c: OpaquePointer?, _ function: String) throws(NSCoreError) -> Container {
    try ABI.handle(c, ContainerHandle.self, function, "c").container
}

/// NSCORE_RESOURCE_STAT_NONE (UINT64_MAX): a figure this machine's hierarchy does not keep.
private let statNone = UInt64.max

/// The figures in nscore_resource_stats order (eleven uint64_t, no padding), each with its
/// JSON key. nscore.h is not imported into Swift, so the struct is written by offset.
private func fields(_ s: ResourceStats) -> [(String, UInt64?)] {
    [("memory_current", s.memoryCurrent), ("memory_peak", s.memoryPeak), ("memory_limit", s.memoryLimit),
     ("memory_limit_hits", s.memoryLimitHits), ("oom_kills", s.oomKills),
     ("cpu_usage_ns", s.cpuUsageNanoseconds), ("cpu_periods", s.cpuPeriods),
     ("cpu_throttled_periods", s.cpuThrottledPeriods), ("cpu_throttled_ns", s.cpuThrottledNanoseconds),
     ("pids_current", s.pidsCurrent), ("pids_limit", s.pidsLimit)]
}

/// Fills an nscore_resource_stats; NSCORE_RESOURCE_STAT_NONE where a figure is unavailable.
@c
public func nscore_container_resource_stats(_ c: OpaquePointer?, _ out: UnsafeMutableRawPointer?,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_resource_stats"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "out") }
        let all = fields(try container(c, f).resourceStats())
        for (i, (_, v)) in all.enumerated() {
            out.storeBytes(of: v ?? statNone, toByteOffset: 8 * i, as: UInt64.self)
        }
    }
}

/// {"memory_current":N,...,"pids_limit":null}: the same figures, null where unavailable,
/// malloc'd for nscore_string_free.
@c
public func nscore_container_resource_stats_json(_ c: OpaquePointer?,
                                                 _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                                 _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_resource_stats_json"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "json_out") }
        out.pointee = nil
        try ABI.copyOut(try container(c, f).resourceStats().json(), out, f)
    }
}

/// Freezes every process of the container; returns once they are frozen.
@c
public func nscore_container_freeze(_ c: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in try container(c, "nscore_container_freeze").freeze() }
}

/// Lets a frozen container run again.
@c
public func nscore_container_thaw(_ c: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in try container(c, "nscore_container_thaw").thaw() }
}

/// SIGKILL to every process in the container's cgroup, descendants and orphans included.
@c
public func nscore_container_kill_all(_ c: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in try container(c, "nscore_container_kill_all").killAll() }
}

/// Writes the resource limits of `cfg` (set with the nscore_spawn_config_set_memory/_cpu/
/// _pids_limit setters; the rest of cfg is ignored) into the running container's cgroup.
@c
public func nscore_container_update_resources(_ c: OpaquePointer?, _ cfg: OpaquePointer?,
                                              _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_update_resources"
    return ABI.run(err) { () throws(NSCoreError) in
        let box = try container(c, f)
        guard let r = try ABI.handle(cfg, SpawnConfigHandle.self, f, "cfg").configuration.resources else {
            throw ABI.invalid("cfg", "\(f): cfg sets no resource limit; set one with nscore_spawn_config_set_memory, "
                                  + "_set_cpu or _set_pids_limit")
        }
        try box.updateResources(r)
    }
}

/// A new pollable fd for NSCORE_CGROUP_EVENT_POPULATED (0) or _OOM (1), owned by the caller.
@c
public func nscore_container_cgroup_event_fd(_ c: OpaquePointer?, _ event: Int32, _ fdOut: UnsafeMutablePointer<Int32>?,
                                             _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_cgroup_event_fd"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let fdOut else { throw ABI.null(f, "fd_out") }
        fdOut.pointee = -1
        let box = try container(c, f)
        let kind: Container.CgroupEvent
        switch event {
        case 0: kind = .populated  // NSCORE_CGROUP_EVENT_POPULATED
        case 1: kind = .oom        // NSCORE_CGROUP_EVENT_OOM
        default:
            throw ABI.invalid("event", "\(f): event must be NSCORE_CGROUP_EVENT_POPULATED or _OOM, not \(event)")
        }
        fdOut.pointee = try box.cgroupEventFD(kind)
    }
}

/// Waits up to timeout_ms (-1: forever, 0: poll) until no process is left in the container's
/// cgroup; *empty_out is 1 then, 0 on timeout.
@c
public func nscore_container_wait_empty(_ c: OpaquePointer?, _ timeoutMS: Int32,
                                        _ emptyOut: UnsafeMutablePointer<Int32>?,
                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_wait_empty"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let emptyOut else { throw ABI.null(f, "empty_out") }
        emptyOut.pointee = 0
        guard timeoutMS >= -1 else {
            throw ABI.invalid("timeout_ms", "\(f): timeout_ms must be -1 (forever) or >= 0, not \(timeoutMS)")
        }
        emptyOut.pointee = try container(c, f).waitUntilEmpty(timeoutMilliseconds: timeoutMS) ? 1 : 0
    }
}
