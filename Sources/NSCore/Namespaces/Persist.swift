import CNSCoreShim
import Glibc

/// Keeping a namespace alive without a process in it, as `ip netns add` does: bind-mount
/// `/proc/PID/ns/KIND` onto a file. Join it later by path (``JoinTarget/paths(_:)``).
public enum Persist {
    /// Bind-mounts the `kind` namespace of `pid` onto `path`, creating the file if needed.
    ///
    /// The mount is made in the caller's mount namespace. A persisted PID namespace whose
    /// init has exited still exists, but no process can be created in it.
    /// The corresponding syscall is `mount(2)` with `MS_BIND`.
    /// - Throws: ``NSCoreError``: not found for a missing pid or directory, busy if `path`
    ///   already holds a mount, permission denied without CAP_SYS_ADMIN.
    public static func persist(_ kind: NamespaceKind, of pid: pid_t, at path: String) throws(NSCoreError) {
        guard pid > 0 else { throw .invalid("pid", "persist: pid \(pid) is not a valid pid") }
        guard !path.isEmpty, !path.containsNUL else { throw .invalid("path", "persist: the target path is empty or contains NUL") }
        let source = kind.path(of: pid)
        let nsfd: OwnedFD
        switch sys_open(source, O_RDONLY) {
        case .success(let f): nsfd = f
        case .failure(let e):
            throw NSCoreError(e.rawValue == ENOENT ? .notFound : .from(errno: e), errno: e, stage: "open \(source)",
                              message: "persist: no process with pid \(pid) (\(source): \(e))")
        }
        if isPersisted(path) {
            throw NSCoreError(.busy, errno: Errno(rawValue: EBUSY), stage: "persist",
                              message: "persist: \(path) already has something mounted on it")
        }
        var created = false
        switch sys_open(path, O_RDONLY | O_CREAT | O_EXCL, 0o444) {
        case .success(let f):
            f.close()
            created = true
        case .failure(let e) where e.rawValue == EEXIST:
            break
        case .failure(let e):
            throw NSCoreError(.from(errno: e), errno: e, stage: "create \(path)", message: "persist: cannot create \(path): \(e)")
        }
        let fdPath = "/proc/self/fd/\(nsfd.rawValue)"
        if case .failure(let e) = sys_mount(fdPath, path, nil, UInt(MS_BIND)) {
            if created { _ = sys_unlink(path) }
            throw NSCoreError(.from(errno: e), errno: e, stage: "mount --bind \(source) \(path)",
                              message: "persist: bind-mount \(source) on \(path): \(e)")
        }
    }

    /// Undoes ``persist(_:of:at:)``: unmounts `path` (lazily, so joined processes keep the
    /// namespace) and, if `remove` is true, deletes the file.
    /// The corresponding syscall is `umount2(2)` with `MNT_DETACH`.
    /// - Throws: ``NSCoreError``: invalid argument if `path` is not a persisted namespace.
    public static func unpersist(at path: String, remove: Bool = true) throws(NSCoreError) {
        guard !path.isEmpty, !path.containsNUL else { throw .invalid("path", "unpersist: the path is empty or contains NUL") }
        switch sys_open(path, O_RDONLY) {
        case .success(let f):
            let isNamespace = nsc_shim_ns_get_nstype(f.rawValue) >= 0
            f.close()
            if !isNamespace {
                throw .invalid("unpersist", "unpersist: \(path) is not a persisted namespace")
            }
        case .failure(let e):
            throw NSCoreError(.from(errno: e), errno: e, stage: "open \(path)", message: "unpersist: \(path): \(e)")
        }
        if case .failure(let e) = sys_umount2(path, Int32(MNT_DETACH)) {
            throw NSCoreError(.from(errno: e), errno: e, stage: "umount \(path)", message: "unpersist: umount \(path): \(e)")
        }
        if remove, case .failure(let e) = sys_unlink(path), e.rawValue != ENOENT {
            throw NSCoreError(.from(errno: e), errno: e, stage: "unlink \(path)", message: "unpersist: remove \(path): \(e)")
        }
    }

    /// True if `path` already is a namespace file (something is persisted on it).
    static func isPersisted(_ path: String) -> Bool {
        guard case .success(let fd) = sys_open(path, O_RDONLY) else { return false }
        return nsc_shim_ns_get_nstype(fd.rawValue) >= 0
    }
}
