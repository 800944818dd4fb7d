import CNSCoreShim
import Glibc
import Synchronization

/// A container's cgroup: one directory below the caller's in each hierarchy that holds a
/// controller its ``Resources`` need, with what to write in it.
///
/// Everything is checked and laid out before the clone (``plan(_:)``); the parent makes the
/// directories and writes the limits just before it, and the child starts in its cgroup
/// (``SpawnPlanner/lowerResources``), so the command never runs outside its limits. The
/// directories are removed once the container is reaped, or when the spawn fails.
struct CgroupPlan: Sendable {
    struct Directory: Sendable {
        var path: String
        var v2: Bool
        /// cgroup2: the controllers it needs its parent to enable (`cgroup.subtree_control`).
        var controllers: [String] = []
        /// (file, value) in the order written.
        var writes: [(String, String)]
    }
    var directories: [Directory]

    /// Lays out `r` on the caller's cgroups.
    /// - Throws: ``NSCoreError`` naming a bad value, or a controller this machine lacks.
    /// With `path` (``SpawnConfiguration/cgroupsPath``), the container's cgroup is there.
    static func plan(_ r: Resources, path: String? = nil) throws(NSCoreError) -> CgroupPlan {
        var layout = try CgroupLayout.current()
        var name = "nscore-\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)"
        if let path { name = try layout.moveParents(to: path) }
        let planned = try plan(r, name: name, layout: layout, control: true)
        // The controllers its cgroup2 directory needs may send it below a delegated ancestor.
        if path == nil, layout.useDelegatedParent(needing: planned.directories.filter(\.v2).flatMap(\.controllers)) {
            return try plan(r, name: name, layout: layout, control: true)
        }
        return planned
    }

    /// `r` laid out as directories named `name`. With `control`, also the directories that
    /// freezing and killing the whole container need: the cgroup2 one where there is a cgroup2
    /// hierarchy (its core files `cgroup.freeze`, `cgroup.kill` and `cgroup.events` need no
    /// controller, so a hybrid machine has them too), else v1's freezer.
    static func plan(_ r: Resources, name: String, layout: CgroupLayout, control: Bool) throws(NSCoreError) -> CgroupPlan {
        try check(r)
        var byPath: [String: Directory] = [:]
        var order: [String] = []
        func add(_ controller: String, _ what: String, _ writes: (Bool) throws(NSCoreError) -> [(String, String)]) throws(NSCoreError) {
            guard let (parent, v2) = layout.place(of: controller) else {
                var where_ = "no v1 hierarchy has it"
                if let u = layout.unified { where_ += ", and \(u)/cgroup.controllers does not offer it" }
                throw NSCoreError(.unsupported, errno: Errno(rawValue: ENOTSUP), stage: "cgroups",
                                  message: "cgroups: \(what) needs the \(controller) controller, which this machine lacks "
                                  + "(\(layout.mode.rawValue) cgroups: \(where_))")
            }
            let path = parent + "/" + name
            if byPath[path] == nil {
                byPath[path] = Directory(path: path, v2: v2, writes: [])
                order.append(path)
            }
            byPath[path]!.writes += try writes(v2)
            if v2 && !byPath[path]!.controllers.contains(controller) { byPath[path]!.controllers.append(controller) }
        }
        if let m = r.memory {
            try add("memory", "a memory limit") { v2 throws(NSCoreError) in
                var w: [(String, String)] = []
                if v2 {
                    if m.disableOOMKiller == true {
                        throw .invalid("resources", "resources: memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer")
                    }
                    if let l = m.limit { w.append(("memory.max", max(l))) }
                    if let s = m.reservation { w.append(("memory.low", max(s))) }  // as runc and crun
                    if let s = m.swap {
                        let limit = m.limit ?? -1
                        w.append(("memory.swap.max", s < 0 || limit < 0 ? "max" : String(s - limit)))
                    }
                } else {
                    if let l = m.limit { w.append(("memory.limit_in_bytes", String(l))) }
                    if let s = m.reservation { w.append(("memory.soft_limit_in_bytes", String(s))) }
                    if let s = m.swap {
                        if access((layout.v1["memory"] ?? "") + "/memory.memsw.limit_in_bytes", F_OK) != 0 {
                            throw NSCoreError(.unsupported, errno: Errno(rawValue: ENOTSUP), stage: "resources",
                                              message: "resources: memory.swap needs swap accounting, which this kernel has off "
                                              + "(boot with swapaccount=1, or leave swap unlimited)")
                        }
                        w.append(("memory.memsw.limit_in_bytes", String(s)))
                    }
                    if m.disableOOMKiller == true { w.append(("memory.oom_control", "1")) }
                }
                return w
            }
        }
        if let c = r.cpu {
            if c.shares != nil || c.quota != nil || c.period != nil {
                try add("cpu", "a cpu limit") { v2 in
                    var w: [(String, String)] = []
                    if v2 {
                        if let s = c.shares { w.append(("cpu.weight", String(1 + ((s - 2) * 9999) / 262142))) }
                        if c.quota != nil || c.period != nil {
                            let q = c.quota.map { $0 < 0 ? "max" : String($0) } ?? "max"
                            w.append(("cpu.max", "\(q) \(c.period ?? 100_000)"))
                        }
                    } else {
                        if let s = c.shares { w.append(("cpu.shares", String(s))) }
                        if let p = c.period { w.append(("cpu.cfs_period_us", String(p))) }
                        if let q = c.quota { w.append(("cpu.cfs_quota_us", String(q))) }
                    }
                    return w
                }
            }
            if c.cpus != nil || c.mems != nil {
                try add("cpuset", "cpus/mems") { v2 in
                    var w: [(String, String)] = []
                    if let s = c.cpus { w.append(("cpuset.cpus", s)) }
                    if let s = c.mems { w.append(("cpuset.mems", s)) }
                    return w
                }
            }
        }
        if let p = r.pids {
            try add("pids", "a pids limit") { _ in [("pids.max", p.limit <= 0 ? "max" : String(p.limit))] }
        }
        if let b = r.blockIO, !b.isEmpty {
            let controller = layout.place(of: "io")?.v2 == true || layout.v1["blkio"] == nil ? "io" : "blkio"
            try add(controller, "an io limit") { v2 throws(NSCoreError) in try blockIOWrites(b, v2: v2, layout: layout) }
        }
        if !r.hugepageLimits.isEmpty {
            try add("hugetlb", "a huge page limit") { v2 in
                r.hugepageLimits.map { ("hugetlb.\($0.pageSize).\(v2 ? "max" : "limit_in_bytes")", String($0.limit)) }
            }
        }
        if control {
            if let u = layout.unified {
                let path = u + "/" + name
                if byPath[path] == nil {
                    byPath[path] = Directory(path: path, v2: true, writes: [])
                    order.append(path)
                }
            } else if let f = layout.v1["freezer"] {
                let path = f + "/" + name
                if byPath[path] == nil {
                    byPath[path] = Directory(path: path, v2: false, writes: [])
                    order.append(path)
                }
            }
            // cpu usage for the stats, where v1 keeps it apart from the cpu controller.
            if r.cpu != nil, let a = layout.v1["cpuacct"], layout.place(of: "cpu")?.v2 != true {
                let path = a + "/" + name
                if byPath[path] == nil {
                    byPath[path] = Directory(path: path, v2: false, writes: [])
                    order.append(path)
                }
            }
        }
        // A new v1 cpuset cgroup starts with no CPUs and no memory nodes: it takes its parent's
        // unless given, or no task could join it.
        if let c = layout.v1["cpuset"], let i = order.firstIndex(where: { $0 == c + "/" + name }) {
            var d = byPath[order[i]]!
            for file in ["cpuset.cpus", "cpuset.mems"] where !d.writes.contains(where: { $0.0 == file }) {
                let inherited = (try? readText(c + "/" + file)) ?? ""
                d.writes.insert((file, inherited), at: 0)
            }
            byPath[order[i]] = d
        }
        return CgroupPlan(directories: order.map { byPath[$0]! })
    }

    private static let counter = Atomic<Int>(0)

    /// Stands for the io weight file in a directory's writes until ``resolveWeight`` picks it.
    static let weightFile = "<io weight>"

    /// The file and value for an io weight entry (`default W` or `MAJ:MIN W`, W of OCI's 10 to
    /// 1000) in cgroup `dir`: BFQ's weight where the kernel has it, else the generic one (v2's
    /// `io.weight` takes 1 to 10000).
    static func resolveWeight(_ value: String, in dir: String, v2: Bool) throws(NSCoreError) -> (String, String) {
        let f = value.split(separator: " ")
        guard f.count == 2, let w = Int(f[1]) else { return (weightFile, value) }
        let isDefault = f[0] == "default"
        if v2 {
            if access(dir + "/io.bfq.weight", F_OK) == 0 { return ("io.bfq.weight", value) }
            if access(dir + "/io.weight", F_OK) == 0 { return ("io.weight", "\(f[0]) \(1 + (w - 10) * 9999 / 990)") }
        } else {
            for file in ["blkio.bfq.weight", "blkio.weight"] where access(dir + "/" + file, F_OK) == 0 {
                return isDefault ? (file, String(w)) : (file + "_device", value)
            }
        }
        throw NSCoreError(.unsupported, errno: Errno(rawValue: ENOTSUP), stage: "resources",
                          message: "resources: blockIO.\(isDefault ? "weight" : "weightDevice"): this kernel keeps no io weight "
                          + (v2 ? "(neither io.bfq.weight nor io.weight: no BFQ scheduler and no io cost model)"
                             : "(neither blkio.bfq.weight nor blkio.weight: no io scheduler here honours one)"))
    }

    /// What `b` writes: v1 one line per device in each `blkio.*` file, v2 one `io.max` line per
    /// device with all its rates.
    private static func blockIOWrites(_ b: Resources.BlockIO, v2: Bool, layout: CgroupLayout) throws(NSCoreError) -> [(String, String)] {
        var w: [(String, String)] = []
        func dev(_ major: Int64, _ minor: Int64) -> String { "\(major):\(minor)" }
        // The weight file depends on the io scheduler (BFQ's, or the generic one: v1 CFQ, gone
        // since Linux 5.0; v2's io cost model), and only a non-root cgroup has one: it is
        // chosen in the container's new directory (``resolveWeight``).
        if let x = b.weight { w.append((weightFile, "default \(x)")) }
        for d in b.weightDevice { w.append((weightFile, "\(dev(d.major, d.minor)) \(d.weight)")) }
        let throttles: [(String, String, [Resources.ThrottleDevice])] = [
            ("read_bps_device", "rbps", b.throttleReadBpsDevice), ("write_bps_device", "wbps", b.throttleWriteBpsDevice),
            ("read_iops_device", "riops", b.throttleReadIOPSDevice), ("write_iops_device", "wiops", b.throttleWriteIOPSDevice),
        ]
        if v2 {
            var lines: [String: String] = [:]
            var order: [String] = []
            for (_, key, list) in throttles {
                for d in list {
                    let k = dev(d.major, d.minor)
                    if lines[k] == nil { lines[k] = k; order.append(k) }
                    lines[k]! += " \(key)=\(d.rate == 0 ? "max" : String(d.rate))"
                }
            }
            for k in order { w.append(("io.max", lines[k]!)) }
        } else {
            for (file, _, list) in throttles {
                for d in list { w.append(("blkio.throttle." + file, "\(dev(d.major, d.minor)) \(d.rate)")) }
            }
        }
        return w
    }

    private static func max(_ v: Int64) -> String { v < 0 ? "max" : String(v) }

    /// The checks the kernel would make, before anything exists, naming the setting.
    static func check(_ r: Resources) throws(NSCoreError) {
        func bad(_ what: String, _ why: String) -> NSCoreError { .invalid("resources", "resources: \(what) \(why)") }
        if let m = r.memory {
            for (name, v) in [("memory.limit", m.limit), ("memory.reservation", m.reservation), ("memory.swap", m.swap)] {
                guard let v else { continue }
                if v < -1 || v == 0 { throw bad(name, "is \(v); give a size in bytes, or -1 for no limit") }
                if v > 0 && v < 4096 { throw bad(name, "is \(v) bytes, below one page (4096): the kernel cannot hold a process in it") }
            }
            if let s = m.swap, let l = m.limit, s >= 0, l >= 0, s < l {
                throw bad("memory.swap", "(\(s)) is memory plus swap, and must be at least memory.limit (\(l))")
            }
            if let r = m.reservation, let l = m.limit, r >= 0, l >= 0, r > l {
                throw bad("memory.reservation", "(\(r)) is above memory.limit (\(l))")
            }
            if m.swap != nil && m.swap! >= 0 && (m.limit == nil || m.limit! < 0) {
                throw bad("memory.swap", "needs memory.limit (it is memory plus swap)")
            }
        }
        if let c = r.cpu {
            if let s = c.shares, s < 2 || s > 262_144 { throw bad("cpu.shares", "is \(s); the kernel takes 2 to 262144") }
            if let p = c.period, p < 1000 || p > 1_000_000 { throw bad("cpu.period", "is \(p) µs; the kernel takes 1000 to 1000000") }
            if let q = c.quota, q != -1 && q < 1000 { throw bad("cpu.quota", "is \(q) µs; give at least 1000, or -1 for no limit") }
            if let s = c.cpus { try checkList(s, "cpu.cpus", online: "/sys/devices/system/cpu/online", what: "CPU") }
            if let s = c.mems { try checkList(s, "cpu.mems", online: "/sys/devices/system/node/online", what: "memory node") }
        }
        if let p = r.pids, p.limit < -1 { throw bad("pids.limit", "is \(p.limit); give a count, or -1 for no limit") }
        if let b = r.blockIO {
            if let w = b.weight, w < 10 || w > 1000 { throw bad("blockIO.weight", "is \(w); the kernel takes 10 to 1000") }
            for (i, d) in b.weightDevice.enumerated() {
                let name = "blockIO.weightDevice[\(i)]"
                if d.weight < 10 || d.weight > 1000 { throw bad(name + ".weight", "is \(d.weight); the kernel takes 10 to 1000") }
                try checkDevice(d.major, d.minor, name)
            }
            for (field, list) in [("throttleReadBpsDevice", b.throttleReadBpsDevice), ("throttleWriteBpsDevice", b.throttleWriteBpsDevice),
                                  ("throttleReadIOPSDevice", b.throttleReadIOPSDevice), ("throttleWriteIOPSDevice", b.throttleWriteIOPSDevice)] {
                for (i, d) in list.enumerated() { try checkDevice(d.major, d.minor, "blockIO.\(field)[\(i)]") }
            }
        }
        var sizes: Set<String> = []
        for (i, h) in r.hugepageLimits.enumerated() {
            let have = hugePageSizes()
            if !have.contains(h.pageSize) {
                throw bad("hugepageLimits[\(i)].pageSize", "'\(h.pageSize)' is not a huge page size of this machine "
                          + "(it has \(have.isEmpty ? "none" : have.joined(separator: ", ")))")
            }
            if !sizes.insert(h.pageSize).inserted { throw bad("hugepageLimits[\(i)]", "repeats page size \(h.pageSize)") }
        }
    }

    /// A block device that exists, as a whole disk (the kernel keeps io limits per disk).
    private static func checkDevice(_ major: Int64, _ minor: Int64, _ name: String) throws(NSCoreError) {
        guard major >= 0, minor >= 0, major < 1 << 12, minor < 1 << 20 else {
            throw .invalid("resources", "resources: \(name): \(major):\(minor) is not a device number")
        }
        let sys = "/sys/dev/block/\(major):\(minor)"
        if access(sys, F_OK) != 0 {
            throw .invalid("resources", "resources: \(name): no block device \(major):\(minor) on this machine (\(sys) does not exist)")
        }
        if access(sys + "/partition", F_OK) == 0 {
            let disk = (try? readText(sys + "/../dev")) ?? "its disk"
            throw .invalid("resources", "resources: \(name): \(major):\(minor) is a partition; io limits apply to whole disks (\(disk))")
        }
    }

    /// The machine's huge page sizes as the cgroup files name them (`2MB`, `1GB`).
    static func hugePageSizes() -> [String] {
        guard let dir = opendir("/sys/kernel/mm/hugepages") else { return [] }
        defer { closedir(dir) }
        var kbs: [Int] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name.hasPrefix("hugepages-") && name.hasSuffix("kB"), let kb = Int(name.dropFirst(10).dropLast(2)) { kbs.append(kb) }
        }
        return kbs.sorted().map { kb in
            kb >= 1 << 20 && kb % (1 << 20) == 0 ? "\(kb >> 20)GB" : kb >= 1 << 10 && kb % (1 << 10) == 0 ? "\(kb >> 10)MB" : "\(kb)KB"
        }
    }

    /// A cpuset list (`0-2,4`) whose every member the machine has.
    private static func checkList(_ text: String, _ name: String, online: String, what: String) throws(NSCoreError) {
        guard let wanted = parseList(text), !wanted.isEmpty else {
            throw .invalid("resources", "resources: \(name) '\(text)' is not a list such as 0-2,4")
        }
        let have = (try? readText(online)).flatMap(parseList) ?? [0]
        if let missing = wanted.sorted().first(where: { !have.contains($0) }) {
            throw .invalid("resources", "resources: \(name) '\(text)' names \(what) \(missing), which this machine does not have "
                           + "(it has \((try? readText(online)) ?? "0"))")
        }
    }

    static func parseList(_ text: String) -> Set<Int>? {
        var out: Set<Int> = []
        for part in text.split(separator: ",") {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count <= 2, let lo = Int(ends[0]), lo >= 0 else { return nil }
            let hi = ends.count == 2 ? Int(ends[1]) : lo
            guard let hi, hi >= lo, hi - lo < 65536 else { return nil }
            for i in lo...hi { out.insert(i) }
        }
        return out
    }

    static func readText(_ path: String) throws(NSCoreError) -> String {
        switch sys_readFile(path) {
        case .success(let b):
            var s = String(decoding: b, as: UTF8.self)
            while s.hasSuffix("\n") { s.removeLast() }
            return s
        case .failure(let e): throw .sys(e, "read \(path)")
        }
    }

    // ---- The parent's side -----------------------------------------------------------------

    /// Makes the directories and writes the limits. On failure, removes what it made.
    /// Returns the directories.
    func make() throws(NSCoreError) -> [String] {
        var made: [String] = []
        do throws(NSCoreError) {
            for d in directories {
                // Before anything changes: the parent must exist and the cgroup must not.
                let parent = String(d.path[..<d.path.lastIndex(of: "/")!])
                for (path, want, e, hint) in [(parent, true, ENOENT, "the parent of the container's cgroup must exist"),
                                              (d.path, false, EEXIST, "the container's cgroup must not exist yet (cgroupsPath names a new cgroup)")]
                where (access(path, F_OK) == 0) != want {
                    throw NSCoreError(.from(errno: Errno(rawValue: e)), errno: Errno(rawValue: e), stage: "cgroups",
                                      message: "cgroups: \(path): \(Errno(rawValue: e)); \(hint)")
                }
                if !d.controllers.isEmpty {
                    try CgroupPlan.checkNoProcesses(above: d.path)
                    try CgroupPlan.enable(d.controllers, below: d.path)
                }
                if CgroupPlan.injected() || mkdir(d.path, 0o755) != 0 {
                    let e = Errno.current
                    var hint = ""
                    if e.rawValue == EACCES || e.rawValue == EPERM || e.rawValue == EROFS {
                        hint = d.v2 ? "; cgroup limits need write access to the caller's cgroup (root, or a cgroup2 subtree delegated to this user)"
                            : "; cgroup limits need write access to the caller's cgroup v1 hierarchies (root)"
                    } else if e.rawValue == EEXIST {
                        hint = "; the container's cgroup must not exist yet (cgroupsPath names a new cgroup)"
                    } else if e.rawValue == ENOENT {
                        hint = "; the parent of the container's cgroup must exist"
                    }
                    throw NSCoreError(.from(errno: e), errno: e, stage: "cgroups", message: "cgroups: mkdir \(d.path): \(e)\(hint)")
                }
                made.append(d.path)
                for (planned, value) in d.writes {
                    var (file, value) = (planned, value)
                    if file == CgroupPlan.weightFile { (file, value) = try CgroupPlan.resolveWeight(value, in: d.path, v2: d.v2) }
                    if case .failure(let e) = CgroupPlan.injected() ? .failure(Errno(rawValue: EIO)) : sys_writeFile(d.path + "/" + file, value) {
                        throw NSCoreError(.from(errno: e), errno: e, stage: "cgroups",
                                          message: "cgroups: write \(value) to \(d.path)/\(file): \(e)\(CgroupPlan.hint(file, e))")
                    }
                }
            }
        } catch {
            CgroupPlan.remove(made)
            throw error
        }
        return made
    }

    /// Tests only: the cgroup operation (mkdir, write, open, placement) numbered this (from 1)
    /// fails with EIO, as if the kernel had refused it; 0: none.
    static let failOperation = Atomic<Int>(0)
    private static let operations = Atomic<Int>(0)

    /// True (errno EIO) when this operation is the one ``failOperation`` names.
    static func injected() -> Bool {
        let target = failOperation.load(ordering: .relaxed)
        guard target > 0 else { return false }
        if operations.add(1, ordering: .relaxed).newValue == target {
            errno = EIO
            return true
        }
        return false
    }

    /// Tests only: counts the operations anew and fails number `n` (0: none).
    static func injectFailure(at n: Int) {
        operations.store(0, ordering: .relaxed)
        failOperation.store(n, ordering: .relaxed)
    }

    /// Why the kernel may refuse `file`'s value with `e`, for the error message.
    static func hint(_ file: String, _ e: Errno) -> String {
        if file.hasPrefix("memory.") && (e.rawValue == EBUSY || e.rawValue == EINVAL) {
            return " (the kernel refuses a limit below what the cgroup already uses, or out of its range)"
        }
        if (file.hasPrefix("blkio.") || file.hasPrefix("io.")) && (e.rawValue == EINVAL || e.rawValue == ENODEV) {
            return " (the kernel takes io limits for whole disks only, not partitions)"
        }
        if e.rawValue == ENOENT {
            return " (this kernel's cgroup has no such file)"
        }
        return ""
    }

    /// Writes `pid` into the `cgroup.procs` of each directory of ``directories`` that `into`
    /// selects (those the child was not cloned into).
    func place(_ pid: pid_t, where into: (Directory) -> Bool) throws(NSCoreError) {
        for d in directories where into(d) {
            if case .failure(let e) = CgroupPlan.injected() ? .failure(Errno(rawValue: EIO)) : sys_writeFile(d.path + "/cgroup.procs", String(pid)) {
                throw NSCoreError(.from(errno: e), errno: e, stage: "cgroups",
                                  message: "cgroups: place pid \(pid) in \(d.path): \(e)")
            }
        }
    }

    /// cgroup2's rule: a cgroup that holds processes (other than the root) can have no child
    /// with controllers. Checked before anything is enabled, which would otherwise leave the
    /// caller's cgroup changed (a threaded controller such as pids can be enabled there, and
    /// then no child is a valid domain).
    static func checkNoProcesses(above path: String) throws(NSCoreError) {
        let parent = String(path[..<path.lastIndex(of: "/")!])
        guard access(parent + "/cgroup.type", F_OK) == 0,  // the root has none
              let procs = try? readText(parent + "/cgroup.procs"), !procs.isEmpty else { return }
        throw NSCoreError(.busy, errno: Errno(rawValue: EBUSY), stage: "cgroups",
                          message: "cgroups: \(parent) holds processes (the caller's own cgroup), and cgroup2 gives controllers "
                          + "only to the children of a cgroup without processes: run the caller in a leaf below a delegated cgroup "
                          + "(systemd's DelegateSubgroup=), or give cgroupsPath a cgroup whose parent holds none")
    }

    /// Enables `controllers` for the children of `path`'s parent (cgroup2's
    /// `cgroup.subtree_control`), those it does not enable yet.
    static func enable(_ controllers: [String], below path: String) throws(NSCoreError) {
        let parent = String(path[..<path.lastIndex(of: "/")!])
        let enabled = Set(((try? readText(parent + "/cgroup.subtree_control")) ?? "").split(separator: " ").map(String.init))
        let missing = controllers.filter { !enabled.contains($0) }
        if missing.isEmpty { return }
        if case .failure(let e) = sys_writeFile(parent + "/cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " ")) {
            var hint = ""
            if e.rawValue == EBUSY {
                hint = "; cgroup2 lets a cgroup enable controllers for its children only when it holds no process itself: "
                    + "run the caller in a leaf of a cgroup it manages (a delegated subtree), as systemd's Delegate= gives"
            }
            throw NSCoreError(.from(errno: e), errno: e, stage: "cgroups",
                              message: "cgroups: enable \(missing.joined(separator: " ")) in \(parent)/cgroup.subtree_control: \(e)\(hint)")
        }
    }

    /// Removes `paths` (the last made first), waiting briefly for tasks that are still leaving;
    /// any process still listed is the container's and is killed first. Gives up after about
    /// 200 ms a directory.
    static func remove(_ paths: [String]) {
        for path in paths.reversed() {
            for attempt in 0..<200 {
                if rmdir(path) == 0 || errno == ENOENT { break }
                guard errno == EBUSY else { break }
                if attempt % 20 == 0, let procs = try? readText(path + "/cgroup.procs") {
                    for line in procs.split(separator: "\n") { if let p = pid_t(line) { kill(p, SIGKILL) } }
                }
                usleep(1000)
            }
        }
    }
}

extension SpawnPlanner {
    /// A cgroup for a spawn with ``SpawnConfiguration/resources``. The parent makes its
    /// directories and writes the limits just before the clone. The child starts in the cgroup2
    /// one (`CLONE_INTO_CGROUP`); v1 hierarchies have no such flag, so the child then waits
    /// (early, with the id maps' wait when there is one) until the parent has written its pid in
    /// their `cgroup.procs`. Either way the command never runs outside its limits.
    static func lowerResources(_ cgroup: CgroupPlan?, into plan: SpawnPlan) {
        guard let cgroup else { return }
        plan.makesCgroup = true
        let made = plan.cgroupDirectories
        // At most one: a machine has one cgroup2 hierarchy.
        let intoV2 = cgroup.directories.first(where: { $0.v2 })?.path
        plan.beforeClone = { () throws(NSCoreError) -> (undo: () -> Void, cgroupFD: Int32) in
            let paths = try cgroup.make()
            made.set(paths)
            let undo = {
                // The child (if the clone succeeded) is killed, and leaves the cgroup as it exits.
                CgroupPlan.remove(paths)
                made.set([])
            }
            var fd: Int32 = -1
            if let intoV2 {
                fd = CgroupPlan.injected() ? -1 : open(intoV2, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if fd < 0 {
                    let e = Errno.current
                    undo()
                    throw NSCoreError(.from(errno: e), errno: e, stage: "cgroups", message: "cgroups: open \(intoV2): \(e)")
                }
            }
            return (undo, fd)
        }
        if cgroup.directories.contains(where: { !$0.v2 }) {
            plan.waitForParentOnce(what: .text("wait for the parent to place it in its cgroup"))
            plan.parentActions.append(ParentAction { pid throws(NSCoreError) in
                try cgroup.place(pid, where: { !$0.v2 })
                return { kill(pid, SIGKILL) }
            })
        }
        plan.reapCleanups.append { CgroupPlan.remove(made.get()) }
    }
}

/// The directories a spawn's cgroup was made in, filled by the parent's action.
final class CgroupDirectories: Sendable {
    private let paths = Mutex<[String]>([])
    func set(_ p: [String]) { paths.withLock { $0 = p } }
    func get() -> [String] { paths.withLock { $0 } }
}
