import CNSCoreShim
import Glibc

/// Namespace operations on the calling process itself: `unshare(2)`.
public enum Unshare {
    /// Moves the calling process (the calling thread, for some kinds) into new namespaces.
    ///
    /// A new PID or time namespace applies to children created afterwards, not to the caller
    /// (its pid cannot change). User and mount namespaces can only be unshared by a
    /// single-threaded process; this is checked first so that the error says so instead of
    /// the kernel's bare EINVAL. In a multi-threaded host, prefer ``Container/spawn(_:)``.
    /// The corresponding syscall is `unshare(2)`.
    /// - Parameter namespaces: the kinds to unshare; must not be empty.
    /// - Throws: ``NSCoreError``: invalid argument for an empty set, busy when the process has
    ///   more than one thread and a kind needs a single thread, permission denied without
    ///   CAP_SYS_ADMIN (unless `.user` is included).
    public static func unshare(_ namespaces: NamespaceSet) throws(NSCoreError) {
        if namespaces.isEmpty { throw .invalid("unshare", "unshare: no namespace kinds given") }
        _ = try NamespaceSet(validating: namespaces.rawValue, stage: "unshare")
        let singleThreaded: NamespaceSet = [.user, .mount]
        if !namespaces.intersection(singleThreaded).isEmpty, let n = sys_threadCount(), n > 1 {
            throw NSCoreError(.busy, errno: Errno(rawValue: EINVAL), stage: "unshare(\(namespaces))",
                              message: "unshare(\(namespaces.intersection(singleThreaded))) needs a single-threaded process, and this process has \(n) threads; spawn a container instead")
        }
        if nsc_shim_unshare(namespaces.cloneFlags) != 0 {
            let e = Errno.current
            var message = "unshare(\(namespaces)): \(e)"
            if e.rawValue == EPERM { message += "; this needs CAP_SYS_ADMIN, or include a user namespace" }
            throw NSCoreError(.from(errno: e), errno: e, stage: "unshare(\(namespaces))", message: message)
        }
    }
}
