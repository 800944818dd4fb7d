import CNSCoreShim

/// The container's root filesystem: the OCI runtime spec's `root` object.
///
/// The spawn binds ``path`` onto itself, mounts the default and the caller's mounts inside it
/// (every target resolved in it, never through a symlink), then `pivot_root`s into it and
/// detaches the old root: nothing of the host's tree stays reachable.
public struct Root: Sendable, Equatable {
    /// The root directory, an absolute path of the caller's mount namespace (`root.path`).
    public var path: String
    /// Make the root mount read-only (`root.readonly`). Mounts on top of it keep their own
    /// flags (a tmpfs on `/tmp` stays writable).
    public var readonly: Bool
    /// Mount the root idmapped (`mount_setattr(MOUNT_ATTR_IDMAP)`, Linux 5.12; crun's
    /// `idmap` for the rootfs): files the host's ids own appear owned by the same ids of the
    /// container's user namespace (host root's files are the container root's), and what the
    /// container writes is owned by those host ids, without a chown of the tree. Needs a new
    /// user namespace with mappings, a caller with CAP_SYS_ADMIN over the filesystem (root),
    /// and a filesystem that supports it (ext4, xfs, btrfs, tmpfs since 6.3, ...).
    public var idmap: Bool

    public init(path: String, readonly: Bool = false, idmap: Bool = false) {
        self.path = path
        self.readonly = readonly
        self.idmap = idmap
    }
}

/// One mount: an entry of the OCI runtime spec's `mounts` array, with its field names and its
/// option words.
///
/// - `type` `"bind"` (or a `bind`/`rbind` option) binds ``source``, a path of the caller's mount
///   namespace; any other type is a new filesystem (`tmpfs`, `proc`, `sysfs`, `mqueue`,
///   `devpts`, `overlay`, ...) made with `fsopen` from ``source`` and the data options.
/// - ``options``: the words of mount(8) and the OCI spec.
///   - Flags: `ro`, `rw`, `nosuid`, `suid`, `nodev`, `dev`, `noexec`, `exec`, `noatime`,
///     `relatime`, `strictatime`, `nodiratime`.
///   - `bind` (this mount only) or `rbind` (with its submounts); type `"bind"` with neither
///     binds the one mount, as runc does.
///   - Propagation: `private`, `shared`, `slave`, `unbindable`, or `shared+slave` (a slave of
///     the source's peer group that has peers of its own); each with an `r` prefix for the
///     whole tree (`rslave`).
///   - `idmap` (`ridmap`: with its submounts): an idmapped bind, mapped with the container's
///     user namespace (see ``Root/idmap``).
///   - Anything else (`size=64m`, `mode=1777`, `lowerdir=...`, `newinstance`) is filesystem data,
///     handed to the filesystem as `key=value` or as a flag.
/// - A read-only bind with submounts is read-only all the way down (`mount_setattr` with
///   `AT_RECURSIVE`).
///
/// The ``destination`` is an absolute path inside the container. It is resolved in the root
/// filesystem with `openat2(RESOLVE_IN_ROOT)` and no symlinks. Missing directories are created;
/// for a bind of a file, an empty file is created.
public struct Mount: Sendable, Equatable, CustomStringConvertible {
    /// Where it is mounted, inside the container (`destination`).
    public var destination: String
    /// The filesystem type (`type`): `"bind"`, `"tmpfs"`, `"proc"`, `"overlay"`, ...; nil means
    /// a bind mount when the options say `bind` or `rbind`.
    public var type: String?
    /// What is mounted (`source`): for a bind, a path of the caller's mount namespace; for
    /// other types the filesystem's source word (`"tmpfs"`, a device), or nil.
    public var source: String?
    /// OCI mount options (see above).
    public var options: [String]

    public init(destination: String, type: String? = nil, source: String? = nil, options: [String] = []) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
    }

    /// A bind mount of `source` (a host path) on `destination`.
    /// - Parameters:
    ///   - readOnly: read-only, with every submount.
    ///   - recursive: bring the submounts of `source` too (`rbind`), as Docker's volumes do.
    ///   - propagation: how mount events flow between the host's `source` and the container.
    public static func bind(_ source: String, to destination: String, readOnly: Bool = false, recursive: Bool = true,
                            propagation: MountPropagation? = nil, options: [String] = []) -> Mount {
        var o = [recursive ? "rbind" : "bind"]
        if readOnly { o.append("ro") }
        if let p = propagation { o.append((recursive ? "r" : "") + p.description) }
        return Mount(destination: destination, type: "bind", source: source, options: o + options)
    }

    /// A tmpfs on `destination`, with a size limit (`"64m"`, `"1g"`, bytes) and a mode for its root.
    public static func tmpfs(_ destination: String, size: String? = nil, mode: UInt32? = nil,
                             options: [String] = ["nosuid", "nodev"]) -> Mount {
        var o = options
        if let s = size { o.append("size=" + s) }
        if let m = mode { o.append("mode=" + String(m, radix: 8)) }
        return Mount(destination: destination, type: "tmpfs", source: "tmpfs", options: o)
    }

    /// An overlay on `destination`: `lower` layers (top first, read-only), and the `upper` and
    /// `work` directories (on one filesystem) that receive the container's writes. Without an
    /// upper directory the overlay is read-only.
    public static func overlay(_ destination: String, lower: [String], upper: String? = nil, work: String? = nil,
                               options: [String] = []) -> Mount {
        var o = ["lowerdir=" + lower.joined(separator: ":")]
        if let u = upper { o.append("upperdir=" + u) }
        if let w = work { o.append("workdir=" + w) }
        return Mount(destination: destination, type: "overlay", source: "overlay", options: o + options)
    }

    public var description: String {
        let kind = type ?? "bind"
        if let s = source, s != kind { return "\(kind) \(s) on \(destination)" }
        return "\(kind) on \(destination)"
    }

    /// The paths Docker masks by default (`linux.maskedPaths`): an empty read-only tmpfs over a
    /// directory, /dev/null over a file. Those the kernel does not have are skipped.
    public static var defaultMaskedPaths: [String] { defaultList(nsc_shim_default_masked_path) }

    /// The paths Docker makes read-only by default (`linux.readonlyPaths`).
    public static var defaultReadonlyPaths: [String] { defaultList(nsc_shim_default_readonly_path) }

    /// One of the shim's NULL-terminated lists (relative paths), made absolute.
    private static func defaultList(_ entry: (UInt32) -> UnsafePointer<CChar>?) -> [String] {
        var out: [String] = []
        var i: UInt32 = 0
        while let p = entry(i) {
            out.append("/" + String(cString: p))
            i += 1
        }
        return out
    }
}
