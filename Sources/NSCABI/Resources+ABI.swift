// Resources+ABI.swift - nscore_spawn_config_set_memory, _set_cpu, _set_pids_limit,
// _clear_resources and nscore_container_cgroups_json (nscore.h "Resources (cgroups)").
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

/// `s` as a JSON string: quote, backslash and control characters escaped (RFC 8259). Swift
/// strings are valid UTF-8, so the rest is copied as it is.
private func quoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
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
        let list = container.cgroups.map(quoted).joined(separator: ",")
        try ABI.copyOut("{\"pid\":\(container.pid),\"cgroups\":[\(list)]}", out, f)
    }
}
