import CNSCoreShim
import Glibc

/// Mounting inside a root filesystem without following its symlinks out of it (the escape class
/// of runc CVE-2019-16884, CVE-2021-30465 and CVE-2025-31133): every target is opened from a
/// dirfd of the rootfs with `openat2(RESOLVE_IN_ROOT)`, and the mount is moved onto that fd, so
/// no path is resolved twice and nothing in the rootfs can redirect it between the check and
/// the mount.
enum InRoot {
    static let O_PATH: Int32 = 0o10000000  // fcntl.h with _GNU_SOURCE, which Swift's Glibc lacks
    static let RESOLVE_NO_MAGICLINKS: UInt64 = 0x02  // linux/openat2.h
    static let RESOLVE_NO_SYMLINKS: UInt64 = 0x04
    static let RESOLVE_IN_ROOT: UInt64 = 0x10
    static let MOUNT_ATTR_NOSUID: UInt32 = 0x2  // linux/mount.h
    static let MOUNT_ATTR_NODEV: UInt32 = 0x4
    static let MOUNT_ATTR_NOEXEC: UInt32 = 0x8
    static let MOVE_MOUNT_F_EMPTY_PATH: UInt32 = 0x4
    static let MOVE_MOUNT_T_EMPTY_PATH: UInt32 = 0x40
    static let FSCONFIG_CMD_CREATE: UInt32 = 6

    /// Opens the rootfs itself (an absolute path of the caller's mount namespace) into a slot.
    static func openRoot(_ rootfs: String, into plan: SpawnPlan) -> FDSlot {
        plan.openat2(.cwd, rootfs, flags: O_PATH | O_DIRECTORY, resolve: 0,
                     what: .textAndString("open the rootfs ", plan.string(rootfs).pointer))
    }

    /// Opens the directory `path` inside `root` as a mount target: resolved in the root, and
    /// refused (ELOOP) when any component is a symlink, so that a `/proc` or `/sys` that is a
    /// link cannot send a mount elsewhere.
    static func openTarget(_ path: String, in root: FDSlot, into plan: SpawnPlan) -> FDSlot {
        plan.openat2(.slot(root), path, flags: O_PATH | O_DIRECTORY,
                     resolve: RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
                     what: .textAndString("open the mount target (no symlinks) in the rootfs: ",
                                          plan.string(path).pointer))
    }

    /// A fresh procfs (nosuid, nodev, noexec) on `/proc` of the root: `fsopen`, `fsmount`, then
    /// `move_mount` onto the target's fd.
    static func mountProc(in root: FDSlot, into plan: SpawnPlan) {
        let target = openTarget("proc", in: root, into: plan)
        let fs = plan.fsopen("proc", what: .text("fsopen proc"))
        plan.fsconfig(.slot(fs), command: FSCONFIG_CMD_CREATE, key: nil, value: nil, what: .text("create a procfs"))
        let mnt = plan.fsmount(.slot(fs), attributes: MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                               what: .text("fsmount proc"))
        plan.moveMount(from: .slot(mnt), "", to: .slot(target), "",
                       flags: MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH, what: .text("mount proc on /proc of the rootfs"))
        plan.close(mnt, what: .text("close the proc mount"))
        plan.close(fs, what: .text("close the procfs context"))
        plan.close(target, what: .text("close /proc of the rootfs"))
    }
}
