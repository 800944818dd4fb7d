import CNSCoreShim
import Glibc

/// Entering a root filesystem with `pivot_root(2)`, never a bare chroot: the old root is
/// detached, so nothing of the host's tree stays reachable from the container.
///
/// The sequence is runc's and crun's: bind the rootfs onto itself (pivot_root needs a mount
/// point), hold fds on the old and the new root, `pivot_root(".", ".")` from inside the new one
/// (the old root is then stacked on top of it), make the old root a recursive slave so that
/// detaching it cannot propagate to the host, detach it, and `chdir("/")`. All in the child's
/// new mount namespace, whose `/` the spawn has already made private (or slave).
enum PivotRoot {

    /// Lowers the pivot into `rootfs` (an absolute path of the caller's mount namespace), and
    /// then, when `readOnly`, makes the new root mount read-only (`mount_setattr`, which keeps
    /// the mount's other flags, where a remount would have to restate them). `mounts` lowers
    /// what is mounted inside the new root before the pivot, relative to the slot holding it
    /// (``InRoot``): after the self-bind, so that they land in the mount the pivot enters.
    static func lower(rootfs: String, readOnly: Bool, into plan: SpawnPlan,
                      mounts: (SpawnPlan, FDSlot) -> Void = { _, _ in }) {
        let root = plan.string(rootfs)
        plan.mount(source: root, target: root, flags: UInt(MS_BIND) | UInt(MS_REC),
                   what: .textAndString("bind the rootfs onto itself: ", root.pointer))
        let old = plan.openat2(.cwd, "/", flags: O_DIRECTORY | O_RDONLY, resolve: 0, what: .text("open the old root"))
        let new = InRoot.openRoot(rootfs, into: plan)
        mounts(plan, new)
        plan.fchdir(.slot(new), what: .textAndString("chdir into the rootfs ", root.pointer))
        let dot = plan.string(".")
        plan.pivotRoot(dot, dot, what: .textAndString("pivot_root into ", root.pointer))
        plan.fchdir(.slot(old), what: .text("chdir to the old root"))
        plan.mount(source: nil, target: dot, flags: UInt(MS_SLAVE) | UInt(MS_REC),
                   what: .text("make the old root a slave before detaching it"))
        plan.umount(dot, flags: Int32(MNT_DETACH), what: .text("detach the old root"))
        plan.chdir("/")
        plan.close(old, what: .text("close the old root"))
        plan.close(new, what: .text("close the rootfs"))
        if readOnly {
            plan.mountSetattr(.cwd, "/", flags: 0, set: UInt64(nsc_shim_MOUNT_ATTR_RDONLY), clear: 0, propagation: 0,
                              what: .text("make the root read-only"))
        }
    }
}
