import CNSCoreShim
import Glibc
import Synchronization

/// Where the calling process's cgroups are: which hierarchies are mounted (cgroup v1 per
/// controller, the unified cgroup2 one), and the caller's directory in each.
///
/// - **unified**: cgroup2 only (at /sys/fs/cgroup), controllers in it;
/// - **hybrid**: v1 controllers, plus a cgroup2 mount (usually /sys/fs/cgroup/unified) with few
///   or no controllers of its own;
/// - **legacy**: v1 only.
///
/// A controller is taken from cgroup2 where the caller's cgroup2 directory offers it
/// (`cgroup.controllers`), else from its v1 hierarchy. Containers go below the caller's own
/// cgroup, never elsewhere: a caller inside a container or a systemd unit stays in its subtree.
struct CgroupLayout: Sendable {
    enum Mode: String, Sendable { case unified, hybrid, legacy }

    var mode: Mode
    /// v1: each mounted controller and the caller's directory in its hierarchy.
    var v1: [String: String]
    /// cgroup2: the caller's directory, and the controllers it offers its children.
    var unified: String?
    var unifiedControllers: Set<String>
    /// Every cgroup mount the caller is in, in mount order (for a rootfs container's view of
    /// /sys/fs/cgroup).
    var hierarchies: [Hierarchy] = []

    struct Hierarchy: Sendable {
        var mountPoint: String
        var v2: Bool
        /// v1: its controllers and `name=X`, as given to mount(2).
        var options: [String]
        /// The caller's directory in it.
        var directory: String
    }

    /// The directories of the NSCore-made cgroups (last component `nscore-*`) process `pid` is
    /// in, through this process's cgroup mounts.
    static func containerDirectories(of pid: pid_t) throws(NSCoreError) -> [String] {
        let layout = try current(cgroupFile: "/proc/\(pid)/cgroup")
        var dirs: [String] = []
        for d in Array(layout.v1.values) + (layout.unified.map { [$0] } ?? []) {
            if let leaf = d.split(separator: "/").last, leaf.hasPrefix("nscore-"), !dirs.contains(d) { dirs.append(d) }
        }
        return dirs.sorted()
    }

    /// The caller's layout, from /proc/self/mountinfo and /proc/self/cgroup (or `cgroupFile`:
    /// another process's cgroups, through this process's mounts).
    static func current(cgroupFile: String = "/proc/self/cgroup") throws(NSCoreError) -> CgroupLayout {
        let mounts = try cgroupMounts()
        let bytes: [UInt8]
        switch sys_readFile(cgroupFile) {
        case .success(let b): bytes = b
        case .failure(let e) where e.rawValue == ENOENT && cgroupFile != "/proc/self/cgroup":
            throw NSCoreError(.processExited, errno: e, stage: "cgroups", message: "cgroups: \(cgroupFile): no such process")
        case .failure(let e):
            throw NSCoreError(.unsupported, errno: e, stage: "cgroups", message: "cgroups: \(cgroupFile) cannot be read: \(e)")
        }
        // hierarchy controllers ("" for cgroup2) -> the caller's path in it
        var paths: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            paths[String(f[1])] = String(f[2])
        }
        var layout = CgroupLayout(mode: .legacy, v1: [:], unified: nil, unifiedControllers: [])
        var sawV1 = false
        for m in mounts {
            if m.fsType == "cgroup2", layout.unified == nil, let p = paths[""] {
                layout.unified = directory(m, p)
                layout.hierarchies.append(Hierarchy(mountPoint: m.mountPoint, v2: true, options: [], directory: layout.unified!))
            } else if m.fsType == "cgroup" {
                let controllers = m.superOptions.filter { known.contains($0) }
                let named = m.superOptions.filter { $0.hasPrefix("name=") }
                let key = (controllers + named).joined(separator: ",")
                guard !key.isEmpty, let p = paths[key]
                        ?? paths.first(where: { Set($0.key.split(separator: ",").map(String.init)) == Set(controllers + named) })?.value
                else { continue }
                if layout.hierarchies.contains(where: { !$0.v2 && $0.options == controllers + named }) { continue }
                layout.hierarchies.append(Hierarchy(mountPoint: m.mountPoint, v2: false, options: controllers + named,
                                                    directory: directory(m, p)))
                guard !controllers.isEmpty else { continue }
                sawV1 = true
                for c in controllers where layout.v1[c] == nil { layout.v1[c] = directory(m, p) }
            }
        }
        if let u = layout.unified, case .success(let c) = sys_readFile(u + "/cgroup.controllers") {
            layout.unifiedControllers = Set(String(decoding: c, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }
        layout.mode = layout.unified == nil ? .legacy : (sawV1 ? .hybrid : .unified)
        if layout.unified == nil && !sawV1 {
            throw NSCoreError(.unsupported, errno: Errno(rawValue: ENOENT), stage: "cgroups",
                              message: "cgroups: no cgroup hierarchy is mounted (neither cgroup2 nor a v1 controller)")
        }
        return layout
    }

    /// This process's cgroup mounts (`cgroup`, `cgroup2`), parsed again only when
    /// /proc/self/mountinfo changed: a spawn with resources reads it every time, and parsing a
    /// whole mount table is most of a layout's cost.
    static func cgroupMounts() throws(NSCoreError) -> [MountEntry] {
        let bytes: [UInt8]
        switch sys_readFile("/proc/self/mountinfo") {
        case .success(let b): bytes = b
        case .failure(let e):
            throw NSCoreError(.system, errno: e, stage: "cgroups", message: "cgroups: read /proc/self/mountinfo: \(e)")
        }
        if let cached = mountCache.withLock({ $0 }), cached.bytes == bytes { return cached.mounts }
        var mounts: [MountEntry] = []
        let marker = Array(" - cgroup".utf8)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            // Only the lines whose filesystem type (after " - ") starts with "cgroup".
            guard let at = line.firstRange(of: marker) else { continue }
            let after = line[at.upperBound...]
            guard after.first == UInt8(ascii: " ") || after.starts(with: Array("2 ".utf8)) else { continue }
            guard let e = MountEntry(mountinfoLine: Substring(String(decoding: line, as: UTF8.self))) else {
                throw NSCoreError(.system, errno: Errno(rawValue: EIO), stage: "cgroups",
                                  message: "cgroups: a line of /proc/self/mountinfo does not parse: \(String(decoding: line.prefix(120), as: UTF8.self))")
            }
            mounts.append(e)
        }
        mountCache.withLock { $0 = (bytes, mounts) }
        return mounts
    }

    private static let mountCache = Mutex<(bytes: [UInt8], mounts: [MountEntry])?>(nil)

    /// The v1 controllers NSCore uses (and the others a hierarchy may be named by).
    static let known: Set<String> = ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "io", "freezer",
                                     "devices", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc"]

    /// The directory of cgroup `path` in the hierarchy mounted by `m` (whose root may itself be
    /// a cgroup, as inside a container: the path is then relative to it).
    private static func directory(_ m: MountEntry, _ path: String) -> String {
        var rel = Substring(path)
        if m.root != "/" && rel.hasPrefix(m.root) { rel = rel.dropFirst(m.root.count) }
        while rel.hasPrefix("/") { rel = rel.dropFirst() }
        return rel.isEmpty ? m.mountPoint : m.mountPoint + "/" + rel
    }

    /// Where controller `name` is: cgroup2 when the caller's cgroup2 directory offers it, else
    /// its v1 hierarchy; nil when neither has it.
    func place(of name: String) -> (directory: String, v2: Bool)? {
        if let u = unified, unifiedControllers.contains(name) { return (u, true) }
        if let d = v1[name] { return (d, false) }
        return nil
    }

    /// Makes the parents of ``SpawnConfiguration/cgroupsPath`` `path` this layout's directories:
    /// from each hierarchy's root when absolute, else from the caller's directories. Returns
    /// its last component, the container's cgroup.
    mutating func moveParents(to path: String) throws(NSCoreError) -> String {
        let parts = path.split(separator: "/")
        guard !path.isEmpty, !path.utf8.contains(0), !parts.isEmpty,
              !parts.contains(where: { $0 == "." || $0 == ".." }) else {
            throw .invalid("cgroupsPath", "cgroupsPath '\(path)' must name a cgroup: a path of names, without '.' or '..'")
        }
        let below = parts.dropLast().joined(separator: "/")
        func moved(_ base: String) -> String { below.isEmpty ? base : base + "/" + below }
        let absolute = path.hasPrefix("/")
        for (i, h) in hierarchies.enumerated() {
            let parent = moved(absolute ? h.mountPoint : h.directory)
            for (c, d) in v1 where d == h.directory && !h.v2 { v1[c] = parent }
            if h.v2 { unified = parent }
            hierarchies[i].directory = parent
        }
        if let u = unified, case .success(let c) = sys_readFile(u + "/cgroup.controllers") {
            unifiedControllers = Set(String(decoding: c, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }
        return String(parts.last!)
    }

    /// cgroup2 lets a cgroup that holds processes give no controller to children. For a
    /// caller whose own cgroup holds processes (its own, at least) and does not give the
    /// `needed` controllers, the parent of the container's cgroup becomes the nearest ancestor inside
    /// the caller's delegated subtree that gives them all. The delegated subtree is the
    /// nearest cgroup systemd marked delegated (xattr `trusted.delegate` or `user.delegate`,
    /// as for `Delegate=` and `DelegateSubgroup=` units) and what is below it; for a user who is
    /// not root, also the cgroups it owns. Nothing outside it is used.
    /// Returns true when it moved the parent.
    mutating func useDelegatedParent(needing needed: [String]) -> Bool {
        guard let own = unified, let mount = hierarchies.first(where: \.v2)?.mountPoint else { return false }
        func gives(_ dir: String) -> Bool {
            let enabled = Set(((try? CgroupPlan.readText(dir + "/cgroup.subtree_control")) ?? "").split(separator: " ").map(String.init))
            return needed.allSatisfy { enabled.contains($0) }
        }
        if needed.isEmpty || gives(own) { return false }
        // The ancestors, nearest first, down to the hierarchy's root (as this process sees it).
        var chain: [String] = []
        var dir = own
        while dir.count > mount.count, let slash = dir.lastIndex(of: "/") {
            dir = String(dir[..<slash])
            chain.append(dir)
        }
        // The top of the delegated subtree: the nearest marked cgroup (own included), else for
        // a user the highest of the cgroups it owns in a row above its own.
        var top: Int? = nil
        if Self.delegated(own) {
            top = -1
        } else if let i = chain.firstIndex(where: Self.delegated) {
            top = i
        }
        if top == nil && geteuid() != 0 {
            for (i, d) in chain.enumerated() {
                var st = stat()
                guard stat(d, &st) == 0, st.st_uid == geteuid() else { break }
                top = i
            }
        }
        guard let top, top >= 0 else { return false }
        for d in chain[...top] where access(d, W_OK) == 0 && gives(d) {
            unified = d
            hierarchies = hierarchies.map { h in var h = h; if h.v2 { h.directory = d }; return h }
            return true
        }
        return false
    }

    /// True when systemd marked cgroup `dir` as delegated.
    static func delegated(_ dir: String) -> Bool {
        var byte: UInt8 = 0
        for name in ["trusted.delegate", "user.delegate"] where nsc_shim_getxattr(dir, name, &byte, 1) == 1 && byte == UInt8(ascii: "1") {
            return true
        }
        return false
    }
}
