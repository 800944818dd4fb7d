// Mounts+ABI.swift - nscore_spawn_config_set_root, _add_mount, _set_default_mounts,
// _set_masked_paths, _set_readonly_paths (nscore.h "Root filesystem and mounts"). The settings
// carry the names and meanings of the OCI runtime spec's root, mounts, linux.maskedPaths and
// linux.readonlyPaths; the engine checks them at spawn, where every error names the mount.
import Glibc
import NSCore

private func withConfig(_ cfg: OpaquePointer?, _ function: String, _ err: UnsafeMutablePointer<OpaquePointer?>?,
                        _ body: (SpawnConfigHandle) throws(NSCoreError) -> Void) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        try body(try ABI.handle(cfg, SpawnConfigHandle.self, function, "cfg"))
    }
}

/// The root filesystem (OCI root.path, root.readonly) and NSCORE_ROOT_* flags; NULL path: none.
@c
public func nscore_spawn_config_set_root(_ cfg: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ flags: Int32,
                                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_root"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        // NSCORE_ROOT_READONLY (1; the old `readonly` argument) and NSCORE_ROOT_IDMAP (2).
        guard flags & ~3 == 0 else {
            throw ABI.invalid("flags", "\(f): flags \(flags) has bits other than NSCORE_ROOT_READONLY (1) and NSCORE_ROOT_IDMAP (2)")
        }
        guard let p = try ABI.optionalString(path, f, "path") else {
            h.configuration.root = nil
            return
        }
        if p.isEmpty { throw ABI.invalid("path", "\(f): path is empty") }
        h.configuration.root = Root(path: p, readonly: flags & 1 != 0, idmap: flags & 2 != 0)
    }
}

/// Appends one mount (an OCI mounts[] entry); options is NULL-terminated, or NULL.
@c
public func nscore_spawn_config_add_mount(_ cfg: OpaquePointer?, _ destination: UnsafePointer<CChar>?,
                                          _ type: UnsafePointer<CChar>?, _ source: UnsafePointer<CChar>?,
                                          _ options: UnsafePointer<UnsafePointer<CChar>?>?,
                                          _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_add_mount"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        let m = Mount(destination: try ABI.string(destination, f, "destination"),
                      type: try ABI.optionalString(type, f, "type"),
                      source: try ABI.optionalString(source, f, "source"),
                      options: try ABI.stringArray(options, f, "options") ?? [])
        h.configuration.mounts.append(m)
    }
}

/// Drops every mount added with nscore_spawn_config_add_mount.
@c
public func nscore_spawn_config_clear_mounts(_ cfg: OpaquePointer?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withConfig(cfg, "nscore_spawn_config_clear_mounts", err) { h throws(NSCoreError) in
        h.configuration.mounts = []
    }
}

/// Docker's default mounts in the root (proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, sysfs); 0 or 1.
@c
public func nscore_spawn_config_set_default_mounts(_ cfg: OpaquePointer?, _ enable: Int32,
                                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_default_mounts"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        h.configuration.defaultMounts = try ABI.flag(enable, f)
    }
}

/// linux.maskedPaths: NULL restores the default, an empty array masks nothing.
@c
public func nscore_spawn_config_set_masked_paths(_ cfg: OpaquePointer?, _ paths: UnsafePointer<UnsafePointer<CChar>?>?,
                                                 _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_masked_paths"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        h.configuration.maskedPaths = try ABI.stringArray(paths, f, "paths")
    }
}

/// linux.readonlyPaths: NULL restores the default, an empty array makes nothing read-only.
@c
public func nscore_spawn_config_set_readonly_paths(_ cfg: OpaquePointer?, _ paths: UnsafePointer<UnsafePointer<CChar>?>?,
                                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_readonly_paths"
    return withConfig(cfg, f, err) { h throws(NSCoreError) in
        h.configuration.readonlyPaths = try ABI.stringArray(paths, f, "paths")
    }
}
