import CNSCoreShim
import Glibc

/// Mounting inside a root filesystem without following its symlinks out of it (the escape class
/// of runc CVE-2019-16884, CVE-2021-30465 and CVE-2025-31133): every target is opened from a
/// dirfd of the rootfs with `openat2(RESOLVE_IN_ROOT)`, and the mount is moved onto that fd, so
/// no path is resolved twice and nothing in the rootfs can redirect it between the check and
/// the mount.
enum InRoot {
    /// Opens the rootfs itself (an absolute path of the caller's mount namespace) into a slot.
    static func openRoot(_ rootfs: String, into plan: SpawnPlan) -> FDSlot {
        plan.openat2(.cwd, rootfs, flags: nsc_shim_O_PATH | O_DIRECTORY, resolve: 0,
                     what: .textAndString("open the rootfs ", plan.string(rootfs).pointer))
    }

    /// Opens the directory `path` inside `root` as a mount target: resolved in the root, and
    /// refused (ELOOP) when any component is a symlink, so that a `/proc` or `/sys` that is a
    /// link cannot send a mount elsewhere.
    static func openTarget(_ path: String, directory: Bool = true, in root: FDSlot, into plan: SpawnPlan,
                           what: StepDescription? = nil) -> FDSlot {
        plan.openat2(.slot(root), path, flags: nsc_shim_O_PATH | (directory ? O_DIRECTORY : 0),
                     resolve: nsc_shim_RESOLVE_IN_ROOT | nsc_shim_RESOLVE_NO_SYMLINKS | nsc_shim_RESOLVE_NO_MAGICLINKS,
                     what: what ?? .textAndString("open the mount target (no symlinks) in the rootfs: ",
                                                  plan.string(path).pointer))
    }

    /// A fresh procfs (nosuid, nodev, noexec) on `/proc` of the root: `fsopen`, `fsmount`, then
    /// `move_mount` onto the target's fd.
    static func mountProc(in root: FDSlot, into plan: SpawnPlan) {
        let target = openTarget("proc", in: root, into: plan)
        let fs = plan.fsopen("proc", what: .text("fsopen proc"))
        plan.fsconfig(.slot(fs), command: nsc_shim_FSCONFIG_SET_STRING, key: "source", value: "proc", what: .text("set the source of proc"))
        plan.fsconfig(.slot(fs), command: nsc_shim_FSCONFIG_CMD_CREATE, key: nil, value: nil, what: .text("create a procfs"))
        let mnt = plan.fsmount(.slot(fs), attributes: nsc_shim_MOUNT_ATTR_NOSUID | nsc_shim_MOUNT_ATTR_NODEV | nsc_shim_MOUNT_ATTR_NOEXEC,
                               what: .text("fsmount proc"))
        plan.moveMount(from: .slot(mnt), "", to: .slot(target), "",
                       flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH | nsc_shim_MOVE_MOUNT_T_EMPTY_PATH, what: .text("mount proc on /proc of the rootfs"))
        plan.close(mnt, what: .text("close the proc mount"))
        plan.close(fs, what: .text("close the procfs context"))
        plan.close(target, what: .text("close /proc of the rootfs"))
    }

    /// A new detached mount of a `type` filesystem: fsopen, its source set to the type's name
    /// (as mount(8) and Docker show it), `configure` (``option(_:_:_:_:)`` steps), fsconfig
    /// CREATE, fsmount with mount `attributes`. `what` names it in errors ("/dev", "pts").
    /// No array and no string operation: the rootfs spawn path stays small.
    static func newMount(_ plan: SpawnPlan, _ type: String, attributes: UInt32, what: StaticString,
                         _ configure: (FDSlot) -> Void = { _ in }) -> FDSlot {
        let shown = plan.string(what).pointer
        let fs = plan.fsopen(type, what: .textAndString("fsopen for ", shown))
        plan.fsconfig(.slot(fs), command: nsc_shim_FSCONFIG_SET_STRING, key: "source", value: type,
                      what: .textAndString("set the source of ", shown))
        configure(fs)
        plan.fsconfig(.slot(fs), command: nsc_shim_FSCONFIG_CMD_CREATE, key: nil, value: nil,
                      what: .textAndString("create the filesystem for ", shown))
        let m = plan.fsmount(.slot(fs), attributes: attributes, what: .textAndString("fsmount ", shown))
        plan.close(fs, what: .text("close the filesystem context"))
        return m
    }

    /// One option of a filesystem context: `key=value`, or the flag `key`.
    static func option(_ plan: SpawnPlan, _ fs: FDSlot, _ key: String, _ value: String?) {
        plan.fsconfig(.slot(fs), command: value == nil ? nsc_shim_FSCONFIG_SET_FLAG : nsc_shim_FSCONFIG_SET_STRING,
                      key: key, value: value, what: .textAndString("set the option ", plan.string(key).pointer))
    }
}
