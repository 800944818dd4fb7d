import CNSCoreShim
import Glibc

/// Idmapped mounts (`mount_setattr(MOUNT_ATTR_IDMAP)`, Linux 5.12): the root or a bind seen
/// through the container's user namespace, as crun makes them.
///
/// Only a process with CAP_SYS_ADMIN over the filesystem may idmap a mount, and only a detached
/// one: the child, root in its new user namespace only, cannot. So the parent does it during the
/// handshake, once the child's uid/gid maps are written: it clones each tree
/// (`open_tree(OPEN_TREE_CLONE)`), idmaps it with the child's user namespace, and sends the
/// detached mounts over the handshake socket after "go". The child receives them (one step
/// each, right after its wait) and moves them where the self-bind of the root, or the bind's
/// own clone, would have gone.
struct IDMappedSlots {
    var root: FDSlot?
    /// Per mount spec, the received tree of an idmapped bind.
    var binds: [FDSlot?]
}

extension SpawnPlanner {
    /// Refuses idmapping where it cannot work, before the clone.
    static func checkIDMapped(_ c: SpawnConfiguration, _ work: MountWork, _ idMaps: IDMap.Writing?) throws(NSCoreError) {
        let any = c.root?.idmap == true || work.specs.contains { $0.idmap }
        guard any else { return }
        if idMaps == nil {
            throw .invalid("idmap", "idmap: an idmapped mount is seen through the container's user namespace; "
                           + "give it one with uid/gid mappings (uidMappings and gidMappings, or mapRootUser)")
        }
    }

    /// The parent's action (clone and idmap each tree, queued to send after "go") and the
    /// child's steps that receive them, in the same order: the root first, then the binds.
    static func lowerIDMapped(_ c: SpawnConfiguration, _ work: MountWork, into plan: SpawnPlan) -> IDMappedSlots? {
        let rootIDMap = c.root?.idmap == true
        guard rootIDMap || work.specs.contains(where: { $0.idmap }) else { return nil }
        // (path, recursive, label) in the order sent.
        var trees: [(String, Bool, String)] = []
        if let root = c.root, root.idmap { trees.append((root.path, true, "the root \(root.path)")) }
        for spec in work.specs where spec.idmap {
            trees.append((spec.mount.source ?? "", spec.idmapRecursive || spec.recursive, spec.label))
        }
        let queue = plan.fdsForChild
        plan.parentActions.append(ParentAction { pid throws(NSCoreError) in
            let userns: OwnedFD
            switch sys_open("/proc/\(pid)/ns/user", O_RDONLY) {
            case .success(let fd): userns = fd
            case .failure(let e): throw .sys(e, "open /proc/\(pid)/ns/user (for idmapped mounts)")
            }
            for (path, recursive, label) in trees {
                let r = nsc_shim_idmap_tree(path, recursive ? 1 : 0, userns.rawValue)
                if r >= 0 {
                    queue.append(r)
                    continue
                }
                queue.closeAll()
                let setattr = r <= -10000
                let e = Errno(rawValue: setattr ? -r - 10000 : -r)
                let stage = setattr ? "mount_setattr(MOUNT_ATTR_IDMAP)" : "open_tree"
                var why = "\(label): \(stage): \(e)"
                if e.rawValue == EPERM {
                    why += "; idmapping a mount needs CAP_SYS_ADMIN over its filesystem (root on the host)"
                } else if setattr && e.rawValue == EINVAL {
                    why += "; the filesystem of \(path) cannot be idmapped (Linux 5.12+, and a filesystem that supports it: ext4, xfs, btrfs, tmpfs 6.3+, ...)"
                }
                throw NSCoreError(.from(errno: e), errno: e, stage: "idmap", message: "idmap: \(why)")
            }
            return { queue.closeAll() }
        })
        var slots = IDMappedSlots(root: nil, binds: [])
        if rootIDMap { slots.root = plan.receiveFromParent(what: .text("receive the idmapped root")) }
        slots.binds.reserveCapacity(work.specs.count)
        for spec in work.specs {
            slots.binds.append(spec.idmap ? plan.receiveFromParent(what: .labeled(plan.string(spec.label).pointer, "receive the idmapped source", nil)) : nil)
        }
        return slots
    }
}

/// Fds the parent sends to the child after "go" (``Spawner``), owned until sent.
final class FDQueue: @unchecked Sendable {
    private var fds: [Int32] = []

    func append(_ fd: Int32) { fds.append(fd) }

    /// The queued fds, which the caller now owns.
    func take() -> [Int32] {
        defer { fds = [] }
        return fds
    }

    func closeAll() {
        for fd in take() { sys_close(fd) }
    }

    deinit { closeAll() }
}
