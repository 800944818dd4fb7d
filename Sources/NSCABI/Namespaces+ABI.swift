// Namespaces+ABI.swift - nscore_unshare, nscore_namespace_persist / _unpersist
// (nscore.h "Unshare and persist").
import Glibc
import NSCore

/// The /proc/PID/ns name of the single kind `ns`, static; NULL unless exactly one valid bit.
@c
public func nscore_namespace_name(_ ns: UInt32) -> UnsafePointer<CChar>? {
    guard ns != 0, ns & (ns - 1) == 0, ns & NamespaceSet.validBits != 0 else { return nil }
    return NamespaceKind(rawValue: Int32(ns.trailingZeroBitCount))?.cName
}

/// unshare(2) for the calling process (NSCORE_EBUSY when a kind needs one thread).
@c
public func nscore_unshare(_ namespaces: UInt32, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        try Unshare.unshare(try ABI.namespaces(namespaces, "unshare"))
    }
}

/// Bind-mounts /proc/PID/ns/KIND onto `path`, like `ip netns add`.
@c
public func nscore_namespace_persist(_ pid: pid_t, _ ns: UInt32, _ path: UnsafePointer<CChar>?,
                                     _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_namespace_persist"
    return ABI.run(err) { () throws(NSCoreError) in
        let kind = try ABI.kind(ns, f)
        let p = try ABI.string(path, f, "path")
        try Persist.persist(kind, of: pid, at: p)
    }
}

/// Unmounts a persisted namespace file, and removes it if remove_file is non-zero.
@c
public func nscore_namespace_unpersist(_ path: UnsafePointer<CChar>?, _ removeFile: Int32,
                                       _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_namespace_unpersist"
    return ABI.run(err) { () throws(NSCoreError) in
        try Persist.unpersist(at: try ABI.string(path, f, "path"), remove: removeFile != 0)
    }
}
