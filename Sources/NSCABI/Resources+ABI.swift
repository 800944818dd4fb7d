// Resources+ABI.swift - the resource setters of nscore_spawn_config: nscore_spawn_config_set_memory,
// _set_cpu, _set_pids_limit, _set_blkio_weight, _add_blkio_device, _add_hugepage_limit,
// _clear_resources and _set_cgroups_path (nscore.h "Resources (cgroups)"). The calls on a
// running container's cgroup are in Cgroup+ABI.swift.
//
// The setters fill SpawnConfiguration.resources (the OCI runtime spec's linux.resources) one
// part at a time: each call replaces its part (memory, cpu, pids, the block io weight) or adds
// an entry to a list (block io devices, huge page limits), and leaves the others. A part whose
// every argument says "not set" is removed, and a configuration with no part left has no
// resources at all, so it gets no cgroup (the engine makes one for any non-nil Resources). The
// values themselves are checked by the engine at nscore_spawn(), before anything is created:
// whether they are valid depends on the machine (its CPUs, memory nodes, block devices, huge
// page sizes and cgroup hierarchies), and the relation between the memory values is only known
// once all are given. The setters check what is theirs: NULL handles, the 0/1 flag, the block
// io kind, values that do not fit the engine's types, UTF-8. The cgroups path
// (SpawnConfiguration.cgroupsPath, the OCI runtime spec's linux.cgroupsPath) is kept apart from
// the limits: clearing them leaves it, and the engine checks its form and uses it only when
// there are limits.
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
    if r.blockIO == Resources.BlockIO() { r.blockIO = nil }
    let empty = r.memory == nil && r.cpu == nil && r.pids == nil && r.blockIO == nil && r.hugepageLimits.isEmpty
    h.configuration.resources = empty ? nil : r
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

/// The block io weight (OCI linux.resources.blockIO.weight); 0 removes it.
@c
public func nscore_spawn_config_set_blkio_weight(_ cfg: OpaquePointer?, _ weight: UInt32,
                                                 _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_blkio_weight"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        let w = try weight16(UInt64(weight), f, "weight")
        update(h) { r in
            var b = r.blockIO ?? Resources.BlockIO()
            b.weight = w == 0 ? nil : w
            r.blockIO = b
        }
    }
}

/// NSCORE_BLKIO_WEIGHT_DEVICE (0) and the four throttles, in nscore.h's order.
private let blkioKinds = ["NSCORE_BLKIO_WEIGHT_DEVICE", "NSCORE_BLKIO_READ_BPS", "NSCORE_BLKIO_WRITE_BPS",
                          "NSCORE_BLKIO_READ_IOPS", "NSCORE_BLKIO_WRITE_IOPS"]

/// A device's weight (kind NSCORE_BLKIO_WEIGHT_DEVICE) or rate (the throttle kinds), as an
/// entry of the matching OCI linux.resources.blockIO list. An entry for the same device
/// replaces the one given before.
@c
public func nscore_spawn_config_add_blkio_device(_ cfg: OpaquePointer?, _ kind: Int32, _ major: Int64, _ minor: Int64,
                                                 _ value: UInt64,
                                                 _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_add_blkio_device"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        guard kind >= 0, Int(kind) < blkioKinds.count else {
            throw ABI.invalid("kind", "\(f): kind must be one of \(blkioKinds.joined(separator: ", ")) (0 to "
                                  + "\(blkioKinds.count - 1)), not \(kind)")
        }
        let weight = kind == 0 ? try weight16(value, f, "value") : 0
        update(h) { r in
            var b = r.blockIO ?? Resources.BlockIO()
            func put(_ list: inout [Resources.ThrottleDevice]) {
                list.removeAll { $0.major == major && $0.minor == minor }
                list.append(Resources.ThrottleDevice(major: major, minor: minor, rate: value))
            }
            switch kind {
            case 0:
                b.weightDevice.removeAll { $0.major == major && $0.minor == minor }
                b.weightDevice.append(Resources.WeightDevice(major: major, minor: minor, weight: weight))
            case 1: put(&b.throttleReadBpsDevice)
            case 2: put(&b.throttleWriteBpsDevice)
            case 3: put(&b.throttleReadIOPSDevice)
            default: put(&b.throttleWriteIOPSDevice)
            }
            r.blockIO = b
        }
    }
}

/// A weight as the engine holds it (UInt16); larger values cannot reach it intact.
private func weight16(_ value: UInt64, _ function: String, _ argument: String) throws(NSCoreError) -> UInt16 {
    guard let w = UInt16(exactly: value) else {
        throw ABI.invalid(argument, "\(function): \(argument) \(value) is out of range; a weight is 10 to 1000")
    }
    return w
}

/// At most `limit` bytes of huge pages of `page_size` (OCI linux.resources.hugepageLimits[]);
/// a page size given again replaces its limit.
@c
public func nscore_spawn_config_add_hugepage_limit(_ cfg: OpaquePointer?, _ pageSize: UnsafePointer<CChar>?,
                                                   _ limit: UInt64,
                                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_add_hugepage_limit"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        let size = try ABI.string(pageSize, f, "page_size")
        update(h) { r in
            r.hugepageLimits.removeAll { $0.pageSize == size }
            r.hugepageLimits.append(Resources.HugepageLimit(pageSize: size, limit: limit))
        }
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

/// Where the container's cgroup goes (OCI linux.cgroupsPath); NULL removes it. The path is
/// checked by the engine at nscore_spawn(), where its parents are known.
@c
public func nscore_spawn_config_set_cgroups_path(_ cfg: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                                                 _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_cgroups_path"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        h.configuration.cgroupsPath = try ABI.optionalString(path, f, "path")
    }
}
