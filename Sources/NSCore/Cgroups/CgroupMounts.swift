import CNSCoreShim
import Glibc

/// What a container in a root filesystem sees at /sys/fs/cgroup: its own cgroups, read-only,
/// never the host's tree.
///
/// - With a cgroup namespace, new cgroup filesystems, which the kernel roots at the
///   namespace's root (the container's cgroup when it has resources, else the caller's): on a
///   unified machine one cgroup2 on /sys/fs/cgroup; on a hybrid or legacy one a tmpfs holding a
///   mount per hierarchy, named as on the host (`memory`, `cpu,cpuacct`, `unified`, ...).
///   A user namespace cannot mount cgroup v1: there its hierarchies are bound as below.
/// - Without one, the container's own cgroup directories bound (the kernel would show the
///   whole hierarchy in a new mount); without resources, nothing.
struct CgroupView: Sendable {
    enum Source: Sendable {
        /// A new cgroup filesystem (v1 with these mount options).
        case fresh(v2: Bool, options: [String])
        /// A bind of this directory of the caller's hierarchy.
        case bind(String)
    }
    /// A mount on /sys/fs/cgroup itself (a unified machine).
    var top: Source?
    /// Otherwise a tmpfs with these mounts, and these symlinks (`cpu` -> `cpu,cpuacct`).
    var below: [(name: String, source: Source)] = []
    var links: [(name: String, target: String)] = []

    /// The view for a container with namespaces `ns` and cgroup `cgroup`; nil when it would
    /// show nothing.
    static func make(_ ns: NamespaceSet, _ cgroup: CgroupPlan?) -> CgroupView? {
        guard cgroup != nil || ns.contains(.cgroup), let layout = try? CgroupLayout.current() else { return nil }
        let mine = cgroup?.directories.map(\.path) ?? []
        func source(_ h: CgroupLayout.Hierarchy) -> Source? {
            // A new cgroup2 may be mounted in a user namespace that owns the cgroup namespace; v1 not.
            if ns.contains(.cgroup) && (h.v2 || !ns.contains(.user)) { return .fresh(v2: h.v2, options: h.options) }
            // The container's directory in this hierarchy, wherever it is (below the caller's
            // cgroup, a delegated ancestor, or at its cgroupsPath).
            return mine.first { $0.hasPrefix(h.mountPoint + "/") }.map { .bind($0) }
        }
        let top = "/sys/fs/cgroup"
        if layout.mode == .unified, let h = layout.hierarchies.first(where: { $0.v2 && $0.mountPoint == top }) {
            return source(h).map { CgroupView(top: $0) }
        }
        var view = CgroupView()
        for h in layout.hierarchies where h.mountPoint.hasPrefix(top + "/") {
            let name = String(h.mountPoint.dropFirst(top.count + 1))
            guard !name.isEmpty, !name.contains("/"), let s = source(h) else { continue }
            view.below.append((name, s))
        }
        // Each controller of a co-mounted hierarchy by its own name, as hosts have them.
        for (name, _) in view.below where name.contains(",") {
            for part in name.split(separator: ",").map(String.init)
            where !view.below.contains(where: { $0.name == part }) && !view.links.contains(where: { $0.name == part }) {
                view.links.append((part, name))
            }
        }
        return view.below.isEmpty ? nil : view
    }
}

extension SpawnPlanner {
    /// Mounts `view` on /sys/fs/cgroup of the rootfs (a new sysfs is already there).
    static func lowerCgroupView(_ view: CgroupView, in root: FDSlot, into plan: SpawnPlan) {
        let readOnly = nsc_shim_MOUNT_ATTR_RDONLY | nsc_shim_MOUNT_ATTR_NOSUID | nsc_shim_MOUNT_ATTR_NODEV | nsc_shim_MOUNT_ATTR_NOEXEC
        let target = InRoot.openTarget("sys/fs/cgroup", in: root, into: plan)
        func mount(_ s: CgroupView.Source, on dir: FDSlot, _ path: String) {
            let shown = plan.string("/sys/fs/cgroup/" + path).pointer
            let m: FDSlot
            switch s {
            case .fresh(let v2, let options):
                m = InRoot.newMount(plan, v2 ? "cgroup2" : "cgroup", attributes: UInt32(readOnly), what: "cgroupfs") { fs in
                    for o in options {
                        if o.hasPrefix("name=") { InRoot.option(plan, fs, "name", String(o.dropFirst(5))) }
                        else { InRoot.option(plan, fs, o, nil) }
                    }
                }
            case .bind(let host):
                m = plan.openTree(.cwd, host, flags: nsc_shim_OPEN_TREE_CLONE, what: .textAndString("open_tree of the container's cgroup for ", shown))
                plan.mountSetattr(.slot(m), "", flags: nsc_shim_AT_EMPTY_PATH, set: UInt64(readOnly), clear: 0, propagation: 0,
                                  what: .textAndString("make read-only ", shown))
            }
            plan.moveMount(from: .slot(m), "", to: .slot(dir), path,
                           flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH | (path.isEmpty ? nsc_shim_MOVE_MOUNT_T_EMPTY_PATH : 0),
                           what: .textAndString("mount ", shown))
            plan.close(m, what: .text("close the cgroup mount"))
        }
        if let top = view.top {
            mount(top, on: target, "")
        } else {
            let tmpfs = InRoot.newMount(plan, "tmpfs", attributes: nsc_shim_MOUNT_ATTR_NOSUID | nsc_shim_MOUNT_ATTR_NODEV | nsc_shim_MOUNT_ATTR_NOEXEC,
                                        what: "/sys/fs/cgroup") { fs in
                InRoot.option(plan, fs, "mode", "755")
                InRoot.option(plan, fs, "size", "64k")
            }
            plan.moveMount(from: .slot(tmpfs), "", to: .slot(target), "",
                           flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH | nsc_shim_MOVE_MOUNT_T_EMPTY_PATH, what: .text("mount /sys/fs/cgroup"))
            for (name, s) in view.below {
                plan.mkpath(.slot(tmpfs), name, what: .textAndString("create /sys/fs/cgroup/", plan.string(name).pointer))
                mount(s, on: tmpfs, name)
            }
            for (name, to) in view.links {
                plan.symlink(to, in: .slot(tmpfs), name, what: .textAndString("symlink /sys/fs/cgroup/", plan.string(name).pointer))
            }
            plan.mountSetattr(.slot(tmpfs), "", flags: nsc_shim_AT_EMPTY_PATH, set: UInt64(nsc_shim_MOUNT_ATTR_RDONLY), clear: 0,
                              propagation: 0, what: .text("make /sys/fs/cgroup read-only"))
            plan.close(tmpfs, what: .text("close /sys/fs/cgroup"))
        }
        plan.close(target, what: .text("close /sys/fs/cgroup of the rootfs"))
    }
}
