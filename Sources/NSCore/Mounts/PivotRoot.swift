import CNSCoreShim
import Glibc

/// Entering a root filesystem with `pivot_root(2)`, never a bare chroot: the old root is
/// detached, so nothing of the host's tree stays reachable from the container.
///
/// The sequence is runc's and crun's: bind the rootfs onto itself (pivot_root needs a mount
/// point), hold fds on the old and the new root, `pivot_root(".", ".")` from inside the new one
/// (the old root is then stacked on top of it), make the old root a recursive slave so that
/// detaching it cannot propagate to the host, detach it, and `chdir("/")`. All in the child's
/// new mount namespace, whose `/` the spawn has already made private (or slave). Where the old
/// root is the initramfs (pivot_root refuses it with EINVAL), the rootfs is moved onto `/`
/// with `MS_MOVE` and entered with `chroot`, as runc does.
enum PivotRoot {

    /// Lowers the pivot into `rootfs` (an absolute path of the caller's mount namespace), and
    /// then, when `readOnly`, makes the new root mount read-only (`mount_setattr`, which keeps
    /// the mount's other flags, where a remount would have to restate them). `mounts` lowers
    /// what is mounted inside the new root before the pivot, relative to the slot holding it
    /// (``InRoot``): after the self-bind, so that they land in the mount the pivot enters.
    /// `idmappedTree`: a detached idmapped clone of the rootfs (``IDMappedSlots``), moved onto
    /// it instead of the self-bind.
    static func lower(rootfs: String, readOnly: Bool, idmappedTree: FDSlot? = nil, into plan: SpawnPlan,
                      mounts: (SpawnPlan, FDSlot) -> Void = { _, _ in }) {
        let root = plan.string(rootfs)
        if let tree = idmappedTree {
            plan.moveMount(from: .slot(tree), "", to: .cwd, rootfs, flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH,
                           what: .textAndString("move the idmapped rootfs onto ", root.pointer))
            plan.close(tree, what: .text("close the idmapped rootfs"))
        } else {
            plan.mount(source: root, target: root, flags: UInt(MS_BIND) | UInt(MS_REC),
                       what: .textAndString("bind the rootfs onto itself: ", root.pointer))
        }
        let old = plan.openat2(.cwd, "/", flags: O_DIRECTORY | O_RDONLY, resolve: 0, what: .text("open the old root"))
        let new = InRoot.openRoot(rootfs, into: plan)
        mounts(plan, new)
        if readOnly {
            plan.mountSetattr(.slot(new), "", flags: nsc_shim_AT_EMPTY_PATH, set: UInt64(nsc_shim_MOUNT_ATTR_RDONLY),
                              clear: 0, propagation: 0, what: .text("make the root read-only"))
        }
        // pivot_root(".", "."), the old root made a slave and detached (or, on an initramfs,
        // MS_MOVE and chroot), then chdir("/"): one step, because the fallback is the kernel's
        // answer to the first call.
        plan.enterRoot(old: .slot(old), new: .slot(new), what: .textAndString("pivot_root into ", root.pointer))
        plan.close(old, what: .text("close the old root"))
        plan.close(new, what: .text("close the rootfs"))
    }
}
