import CNSCoreShim
import Glibc

/// The mount namespace's part of a spawn, in this order:
/// 1. the sources of bind mounts are cloned (`open_tree`) while the namespace is still the
///    caller's copy, so that a clone of a shared mount joins its peer group: that is how a
///    slave or shared bind keeps receiving the host's mounts whatever `/` becomes;
/// 2. the propagation of `/`;
/// 3. with a root: the rootfs bound onto itself, the default mounts, the caller's mounts,
///    masked and read-only paths, the read-only root, then pivot_root (RootFilesystem.swift);
///    without: a fresh `/proc` for a new PID namespace, then the caller's mounts and paths
///    in the copy of the caller's tree.
extension SpawnPlanner {
    /// What ``lowerMounts`` needs beyond the configuration: the checked mounts and paths.
    struct MountWork {
        var specs: [MountSpec] = []
        /// The caller's masked and read-only paths, canonical (relative to the root).
        var masked: [String] = []
        var readonly: [String] = []
        /// Docker's lists (the shim's tables) instead, for a root whose lists were not given.
        var defaultMasked = false
        var defaultReadonly = false
        var needed: Bool { !specs.isEmpty || !masked.isEmpty || !readonly.isEmpty || defaultMasked || defaultReadonly }
    }

    static func checkMounts(_ c: SpawnConfiguration, _ ns: NamespaceSet) throws(NSCoreError) -> MountWork {
        var work = MountWork()
        work.specs = try MountSpec.parseAll(c.mounts)
        if let masked = c.maskedPaths {
            for i in 0..<masked.count { work.masked.append(try MountSpec.checkedPath(masked[i], list: "maskedPaths", index: i)) }
        } else {
            work.defaultMasked = c.root != nil
        }
        if let readonly = c.readonlyPaths {
            for i in 0..<readonly.count {
                work.readonly.append(try MountSpec.checkedPath(readonly[i], list: "readonlyPaths", index: i))
            }
        } else {
            work.defaultReadonly = c.root != nil
        }
        if (!work.specs.isEmpty || !work.masked.isEmpty || !work.readonly.isEmpty || c.root != nil) && !ns.contains(.mount) {
            let (stage, what) = c.root != nil ? ("root", "a root filesystem needs")
                : (!work.specs.isEmpty ? ("mounts", "mounts need") : ("maskedPaths", "masked and read-only paths need"))
            throw .invalid(stage, "\(what) a new mount namespace (the mount kind), or it would change the host's mounts")
        }
        let binds = work.specs.reduce(0) { $0 + ($1.isBind ? 1 : 0) }
        if binds > maxBindMounts {
            throw .invalid("mounts", "mounts: \(binds) bind mounts; a spawn makes at most \(maxBindMounts)")
        }
        return work
    }

    /// Bind sources are held open from the start of the mount work until their turn, each in
    /// a result slot: the slots that remain are enough for the rest of the work.
    static let maxBindMounts = Int(NSC_MAX_SLOTS) - 12

    static func lowerMounts(_ c: SpawnConfiguration, _ ns: NamespaceSet, _ work: MountWork, idmapped: IDMappedSlots?,
                            into plan: SpawnPlan) {
        guard ns.contains(.mount) else { return }
        var sources: [FDSlot?] = []
        if !work.specs.isEmpty {
            sources.reserveCapacity(work.specs.count)
            for (i, spec) in work.specs.enumerated() {
                sources.append(idmapped?.binds[i] ?? cloneBindSource(spec, into: plan))
            }
        }
        // With a root, a shared `/` would make the rootfs bind and every mount in it a peer of
        // the host's: `/` is made a slave instead, and the new root shared after the pivot
        // (``lowerRoot``), which leaves it shared+slave: events come in, never go out.
        let sharedRoot = c.root != nil && (c.rootPropagation == .shared || c.rootPropagation == .sharedAndSlave)
        if sharedRoot {
            plan.mount(source: nil, target: plan.string("/"), flags: UInt(MS_REC) | UInt(MS_SLAVE),
                       what: .text("make / a slave (recursive) before binding the rootfs"))
        } else if let propagation = c.rootPropagation {
            let root = plan.string("/")
            if propagation == .sharedAndSlave {
                plan.mount(source: nil, target: root, flags: UInt(MS_REC) | UInt(MS_SLAVE), what: .rootPropagation(propagation))
            }
            plan.mount(source: nil, target: root, flags: UInt(MS_REC) | propagation.mountFlag, what: .rootPropagation(propagation))
        }
        if let root = c.root {
            lowerRoot(root, c, ns, work, sources: sources, idmappedRoot: idmapped?.root, into: plan)
            return
        }
        let mountProc = c.mountProc ?? ns.contains(.pid)
        if mountProc {
            // The copied /proc may be a shared mount (when / was left shared): make it private
            // first, or the new proc would propagate back over the host's /proc.
            let proc = plan.string("/proc")
            plan.mount(source: nil, target: proc, flags: UInt(MS_REC) | UInt(MS_PRIVATE),
                       what: .text("make /proc private before mounting proc"))
            plan.mount(source: plan.string("proc"), target: proc, fstype: plan.string("proc"),
                       flags: UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC),
                       what: .text("mount proc on /proc"))
        }
        guard work.needed else { return }
        let top = plan.openat2(.cwd, "/", flags: nsc_shim_O_PATH | O_DIRECTORY, resolve: 0, what: .text("open /"))
        lowerMountList(work, sources: sources, in: top, create: false, into: plan)
        lowerPaths(work, in: top, into: plan)
        plan.close(top, what: .text("close /"))
    }

    /// The caller's mounts, in order, each on its target opened in `root`.
    /// `create`: make missing targets (in a rootfs); without a root, targets are the caller's
    /// own paths and must exist, so that a spawn never creates anything in the host's tree.
    static func lowerMountList(_ work: MountWork, sources: [FDSlot?], in root: FDSlot, create: Bool = true,
                               into plan: SpawnPlan) {
        for i in 0..<work.specs.count {
            lowerMount(work.specs[i], source: sources[i], in: root, create: create, into: plan)
        }
    }

    /// `open_tree(source, OPEN_TREE_CLONE)` of a bind mount. Its flags are set once it is
    /// attached (``lowerMount``), where a remount can do it too on kernels before 5.12.
    private static func cloneBindSource(_ spec: MountSpec, into plan: SpawnPlan) -> FDSlot? {
        guard spec.isBind, let source = spec.mount.source else { return nil }
        let label = plan.string(spec.label).pointer
        let recursive = spec.recursive ? nsc_shim_AT_RECURSIVE : 0
        return plan.openTree(.cwd, source, flags: nsc_shim_OPEN_TREE_CLONE | recursive,
                             what: .labeled(label, "open_tree of the source", nil))
    }

    /// One mount: its target created and opened in `root` without following symlinks, the
    /// mount (a bind's clone, or a new filesystem) moved onto the opened target, then its
    /// propagation.
    static func lowerMount(_ spec: MountSpec, source: FDSlot?, in root: FDSlot, create: Bool, into plan: SpawnPlan) {
        let label = plan.string(spec.label).pointer
        if create {
            plan.mkpath(.slot(root), spec.destination, file: spec.fileTarget, what: .labeled(label, "create the target", nil))
        }
        let target = InRoot.openTarget(spec.destination, directory: !spec.fileTarget, in: root, into: plan,
                                       what: .labeled(label, "open the target (never through a symlink)", nil))
        let mnt: FDSlot
        if let tree = source {
            mnt = tree
        } else {
            let type = spec.mount.type ?? "none"
            let fs = plan.fsopen(type, what: .labeled(label, "fsopen ", plan.string(type).pointer))
            if let s = spec.mount.source {
                plan.fsconfig(.slot(fs), command: nsc_shim_FSCONFIG_SET_STRING, key: "source", value: s,
                              what: .labeled(label, "set the source", nil))
            }
            for (key, value) in spec.data {
                let shown = plan.string(value.map { key + "=" + $0 } ?? key).pointer
                plan.fsconfig(.slot(fs), command: value == nil ? nsc_shim_FSCONFIG_SET_FLAG : nsc_shim_FSCONFIG_SET_STRING,
                              key: key, value: value, what: .labeled(label, "option ", shown))
            }
            plan.fsconfig(.slot(fs), command: nsc_shim_FSCONFIG_CMD_CREATE, key: nil, value: nil,
                          what: .labeled(label, "create the filesystem", nil))
            mnt = plan.fsmount(.slot(fs), attributes: UInt32(truncatingIfNeeded: spec.attrSet),
                               what: .labeled(label, "fsmount", nil))
            plan.close(fs, what: .labeled(label, "close the filesystem context", nil))
        }
        plan.moveMount(from: .slot(mnt), "", to: .slot(target), "",
                       flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH | nsc_shim_MOVE_MOUNT_T_EMPTY_PATH,
                       what: .labeled(label, "move it onto the target", nil))
        // A bind's flags (recursive for an rbind: every submount read-only, ...). Nothing runs
        // in the namespace yet, so setting them once attached leaves no window.
        if spec.isBind && (spec.attrSet != 0 || spec.attrClear != 0) {
            plan.mountSetattr(.slot(mnt), "", flags: nsc_shim_AT_EMPTY_PATH | (spec.recursive ? nsc_shim_AT_RECURSIVE : 0),
                              set: spec.attrSet, clear: spec.attrClear, propagation: 0, what: .labeled(label, "set its flags", nil))
        }
        // Without a propagation option a bind is private (Docker's default, rprivate for an
        // rbind): a clone of a shared mount would otherwise stay a peer of the host's, and
        // what the container mounts under it would appear on the host.
        if spec.isBind && spec.propagation == nil {
            plan.mountSetattr(.slot(mnt), "", flags: nsc_shim_AT_EMPTY_PATH | (spec.recursive ? nsc_shim_AT_RECURSIVE : 0),
                              set: 0, clear: 0, propagation: UInt64(MS_PRIVATE), what: .labeled(label, "make it private", nil))
        }
        if let p = spec.propagation {
            let flags = nsc_shim_AT_EMPTY_PATH | (spec.recursivePropagation ? nsc_shim_AT_RECURSIVE : 0)
            if p == .sharedAndSlave {
                plan.mountSetattr(.slot(mnt), "", flags: flags, set: 0, clear: 0, propagation: UInt64(MS_SLAVE),
                                  what: .labeled(label, "make it a slave", nil))
            }
            plan.mountSetattr(.slot(mnt), "", flags: flags, set: 0, clear: 0, propagation: UInt64(p.mountFlag),
                              what: .labeled(label, "set its propagation", nil))
        }
        plan.close(mnt, what: .labeled(label, "close the mount", nil))
        plan.close(target, what: .labeled(label, "close the target", nil))
    }

    /// Masked paths (an empty read-only tmpfs over a directory, the host's /dev/null, checked
    /// to be the char device 1:3, over anything else), then read-only paths.
    static func lowerPaths(_ work: MountWork, in root: FDSlot, into plan: SpawnPlan) {
        if !work.masked.isEmpty || work.defaultMasked {
            let null = plan.openTree(.cwd, "/dev/null", flags: nsc_shim_OPEN_TREE_CLONE, what: .text("open_tree /dev/null to mask paths with"))
            plan.expectNode(.slot(null), type: UInt32(S_IFCHR), major: 1, minor: 3,
                            what: .text("check that /dev/null is the char device 1:3"))
            let empty = InRoot.newMount(plan, "tmpfs", attributes: nsc_shim_MOUNT_ATTR_RDONLY | nsc_shim_MOUNT_ATTR_NOSUID
                                            | nsc_shim_MOUNT_ATTR_NODEV | nsc_shim_MOUNT_ATTR_NOEXEC,
                                        what: "the tmpfs for masked directories") { fs in
                InRoot.option(plan, fs, "mode", "555")
            }
            for p in work.masked {
                let path = plan.string(p).pointer
                plan.mask(.slot(root), path, null: .slot(null), emptyDir: .slot(empty), what: .textAndString("mask /", path))
            }
            if work.defaultMasked {
                var i = 0
                while let path = nsc_shim_default_masked_path(UInt32(i)) {
                    plan.mask(.slot(root), path, null: .slot(null), emptyDir: .slot(empty), what: .textAndString("mask /", path))
                    i += 1
                }
            }
            plan.close(empty, what: .text("close the masking tmpfs"))
            plan.close(null, what: .text("close /dev/null"))
        }
        for p in work.readonly {
            let path = plan.string(p).pointer
            plan.makeReadonly(.slot(root), path, what: .textAndString("make read-only: /", path))
        }
        if work.defaultReadonly {
            var i = 0
            while let path = nsc_shim_default_readonly_path(UInt32(i)) {
                plan.makeReadonly(.slot(root), path, what: .textAndString("make read-only: /", path))
                i += 1
            }
        }
    }
}
