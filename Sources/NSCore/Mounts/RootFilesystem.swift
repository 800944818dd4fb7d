import CNSCoreShim
import Glibc

/// A container in a root filesystem of its own: the rootfs bound onto itself, the default
/// mounts (proc, /dev and its devices, /dev/pts, /dev/shm, /dev/mqueue, sysfs), the caller's
/// mounts, masked and read-only paths, the read-only root, then pivot_root (RootFilesystem is
/// lowered by ``SpawnPlanner/lowerMounts(_:_:_:into:)``, which has cloned the bind sources).
///
/// Every target is opened from a dirfd of the rootfs with `openat2(RESOLVE_IN_ROOT |
/// RESOLVE_NO_SYMLINKS)` and every mount is moved onto that fd (``InRoot``): no path inside the
/// rootfs is resolved twice, and none through a symlink.
extension SpawnPlanner {
    /// Checks the rootfs from the parent: an existing directory, not the caller's own root.
    /// Returns its path as a C string of the plan (a Swift string handed to C directly would
    /// be copied into an array when it is short).
    static func checkRoot(_ root: Root, into plan: SpawnPlan) throws(NSCoreError) -> UnsafePointer<CChar> {
        if root.path.isEmpty || root.path.containsNUL {
            throw .invalid("root", "root: the path must be a non-empty path without NUL bytes")
        }
        let path = UnsafePointer(plan.cString(root.path))
        switch sys_stat(path) {
        case .success(let st):
            if (st.st_mode & S_IFMT) != S_IFDIR {
                throw NSCoreError(.invalidArgument, errno: Errno(rawValue: ENOTDIR), stage: "root",
                                  message: "root \(root.path): not a directory")
            }
            // pivot_root cannot enter the directory it is called from as root (EBUSY).
            if case .success(let top) = sys_stat(plan.string("/").pointer), top.st_dev == st.st_dev, top.st_ino == st.st_ino {
                throw .invalid("root", "root \(root.path): is the caller's own root directory; give another "
                               + "directory (a read-only view of the host's tree is a bind of / inside one)")
            }
            return path
        case .failure(let e):
            throw NSCoreError(.from(errno: e), errno: e, stage: "root", message: "root \(root.path): \(e)")
        }
    }

    static func lowerRoot(_ root: Root, _ c: SpawnConfiguration, _ ns: NamespaceSet, _ work: MountWork,
                          sources: [FDSlot?], idmappedRoot: FDSlot?, into plan: SpawnPlan) {
        PivotRoot.lower(rootfs: root.path, readOnly: root.readonly, idmappedTree: idmappedRoot, into: plan) { plan, new in
            if c.defaultMounts { lowerDefaultMounts(c, ns, in: new, into: plan) }
            lowerMountList(work, sources: sources, in: new, into: plan)
            lowerPaths(work, in: new, into: plan)
        }
        if c.rootPropagation == .shared || c.rootPropagation == .sharedAndSlave {
            plan.mount(source: nil, target: plan.string("/"), flags: UInt(MS_REC) | UInt(MS_SHARED),
                       what: .rootPropagation(.sharedAndSlave))
        }
    }

    /// Docker's mounts: proc, a /dev tmpfs with its devices and links, devpts, shm, mqueue and
    /// sysfs. In a new user namespace (where mknod and some filesystems are refused) devices are
    /// the host's, bound; sysfs without a new net namespace, and proc without a new PID
    /// namespace, are the host's, bound read-only and recursively.
    static func lowerDefaultMounts(_ c: SpawnConfiguration, _ ns: NamespaceSet, in root: FDSlot, into plan: SpawnPlan) {
        let userns = ns.contains(.user)
        let hidden = nsc_shim_MOUNT_ATTR_NOSUID | nsc_shim_MOUNT_ATTR_NODEV | nsc_shim_MOUNT_ATTR_NOEXEC
        if c.mountProc ?? true {
            if userns && !ns.contains(.pid) {
                bindHost("/proc", "proc", readOnly: false, in: root, into: plan)
            } else {
                plan.mkpath(.slot(root), "proc", what: .text("create /proc in the rootfs"))
                InRoot.mountProc(in: root, into: plan)
            }
        }

        // /dev: a tmpfs, filled once it is attached.
        plan.mkpath(.slot(root), "dev", what: .text("create /dev in the rootfs"))
        let devTarget = InRoot.openTarget("dev", in: root, into: plan)
        let dev = InRoot.newMount(plan, "tmpfs", attributes: nsc_shim_MOUNT_ATTR_NOSUID | nsc_shim_MOUNT_ATTR_STRICTATIME,
                                  what: "/dev") { fs in
            InRoot.option(plan, fs, "mode", "755")
            InRoot.option(plan, fs, "size", "65536k")
        }
        plan.moveMount(from: .slot(dev), "", to: .slot(devTarget), "",
                       flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH | nsc_shim_MOVE_MOUNT_T_EMPTY_PATH, what: .text("mount /dev"))
        plan.close(devTarget, what: .text("close /dev of the rootfs"))
        // One call per device: no array on this path.
        func device(_ name: String, _ host: String, _ major: UInt32, _ minor: UInt32) {
            let shown = plan.string(name).pointer
            if userns {
                plan.mkpath(.slot(dev), name, file: true, what: .textAndString("create /dev/", shown))
                let node = plan.openTree(.cwd, host, flags: nsc_shim_OPEN_TREE_CLONE,
                                         what: .textAndString("open_tree of the host's /dev/", shown))
                plan.expectNode(.slot(node), type: UInt32(S_IFCHR), major: major, minor: minor,
                                what: .textAndString("check the host's device /dev/", shown))
                plan.moveMount(from: .slot(node), "", to: .slot(dev), name, flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH,
                               what: .textAndString("bind the host's device onto /dev/", shown))
                plan.close(node, what: .text("close the device"))
            } else {
                plan.mknod(.slot(dev), name, mode: UInt32(S_IFCHR) | 0o666, major: major, minor: minor,
                           what: .textAndString("mknod /dev/", shown))
            }
        }
        device("null", "/dev/null", 1, 3)
        device("zero", "/dev/zero", 1, 5)
        device("full", "/dev/full", 1, 7)
        device("random", "/dev/random", 1, 8)
        device("urandom", "/dev/urandom", 1, 9)
        device("tty", "/dev/tty", 5, 0)
        plan.symlink("/proc/self/fd", in: .slot(dev), "fd", what: .text("symlink /dev/fd"))
        plan.symlink("/proc/self/fd/0", in: .slot(dev), "stdin", what: .text("symlink /dev/stdin"))
        plan.symlink("/proc/self/fd/1", in: .slot(dev), "stdout", what: .text("symlink /dev/stdout"))
        plan.symlink("/proc/self/fd/2", in: .slot(dev), "stderr", what: .text("symlink /dev/stderr"))
        plan.symlink("pts/ptmx", in: .slot(dev), "ptmx", what: .text("symlink /dev/ptmx"))

        mountInDev(plan, dev, "pts", "devpts", what: "/dev/pts", attributes: nsc_shim_MOUNT_ATTR_NOSUID | nsc_shim_MOUNT_ATTR_NOEXEC) { fs in
            InRoot.option(plan, fs, "newinstance", nil)
            InRoot.option(plan, fs, "ptmxmode", "0666")
            InRoot.option(plan, fs, "mode", "0620")
            if !userns { InRoot.option(plan, fs, "gid", "5") }  // the tty group; unmapped in a user namespace
        }
        mountInDev(plan, dev, "shm", "tmpfs", what: "/dev/shm", attributes: hidden) { fs in
            InRoot.option(plan, fs, "mode", "1777")
            InRoot.option(plan, fs, "size", "65536k")
        }
        if ns.contains(.ipc) { mountInDev(plan, dev, "mqueue", "mqueue", what: "/dev/mqueue", attributes: hidden) }
        plan.close(dev, what: .text("close /dev"))

        // sysfs: its network view is the namespace's, so it is written only in a new one.
        if userns && !ns.contains(.network) {
            bindHost("/sys", "sys", readOnly: true, in: root, into: plan)
        } else {
            plan.mkpath(.slot(root), "sys", what: .text("create /sys in the rootfs"))
            let target = InRoot.openTarget("sys", in: root, into: plan)
            let sys = InRoot.newMount(plan, "sysfs", attributes: hidden | (ns.contains(.network) ? 0 : nsc_shim_MOUNT_ATTR_RDONLY),
                                      what: "/sys")
            plan.moveMount(from: .slot(sys), "", to: .slot(target), "",
                           flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH | nsc_shim_MOVE_MOUNT_T_EMPTY_PATH, what: .text("mount /sys"))
            plan.close(sys, what: .text("close sysfs"))
            plan.close(target, what: .text("close /sys of the rootfs"))
            if let view = plan.cgroupView { lowerCgroupView(view, in: root, into: plan) }
        }
    }

    /// A new filesystem on `/dev/name`.
    private static func mountInDev(_ plan: SpawnPlan, _ dev: FDSlot, _ name: String, _ type: String, what: StaticString,
                                   attributes: UInt32, _ configure: (FDSlot) -> Void = { _ in }) {
        let shown = plan.string(what).pointer
        plan.mkpath(.slot(dev), name, what: .textAndString("create ", shown))
        let m = InRoot.newMount(plan, type, attributes: attributes, what: what, configure)
        plan.moveMount(from: .slot(m), "", to: .slot(dev), name, flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH,
                       what: .textAndString("mount ", shown))
        plan.close(m, what: .text("close the mount"))
    }

    /// The host's `host` tree bound recursively onto `target` of the root.
    private static func bindHost(_ host: String, _ target: String, readOnly: Bool, in root: FDSlot,
                                 into plan: SpawnPlan) {
        let shown = plan.string(host).pointer
        plan.mkpath(.slot(root), target, what: .textAndString("create in the rootfs: ", shown))
        let t = InRoot.openTarget(target, in: root, into: plan)
        let tree = plan.openTree(.cwd, host, flags: nsc_shim_OPEN_TREE_CLONE | nsc_shim_AT_RECURSIVE,
                                 what: .textAndString("open_tree of the host's ", shown))
        plan.moveMount(from: .slot(tree), "", to: .slot(t), "",
                       flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH | nsc_shim_MOVE_MOUNT_T_EMPTY_PATH,
                       what: .textAndString("bind the host's ", shown))
        // nosuid, nodev, noexec as on a proc or sysfs of its own; read-only for sysfs.
        plan.mountSetattr(.slot(tree), "", flags: nsc_shim_AT_EMPTY_PATH | nsc_shim_AT_RECURSIVE,
                          set: UInt64((readOnly ? nsc_shim_MOUNT_ATTR_RDONLY : 0) | nsc_shim_MOUNT_ATTR_NOSUID
                                      | nsc_shim_MOUNT_ATTR_NODEV | nsc_shim_MOUNT_ATTR_NOEXEC),
                          clear: 0, propagation: 0, what: .textAndString("set the flags of the host's ", shown))
        plan.close(tree, what: .text("close the bound tree"))
        plan.close(t, what: .text("close the target"))
    }
}
