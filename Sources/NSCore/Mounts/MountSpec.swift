import CNSCoreShim
import Glibc

/// A ``Mount`` checked and decoded for lowering: its options sorted into mount attributes,
/// propagation and filesystem data, its destination made canonical. Every error names the
/// mount ("mounts[2] (tmpfs on /tmp): ...").
struct MountSpec {
    let label: String
    let mount: Mount
    /// The destination without leading slash, ".", ".." or repeated slashes ("" is the root).
    let destination: String
    let isBind: Bool
    var recursive = false
    var attrSet: UInt64 = 0
    var attrClear: UInt64 = 0
    var propagation: MountPropagation? = nil
    var recursivePropagation = false
    /// Filesystem data: `key=value` (a string) or `key` (a flag), in order.
    var data: [(key: String, value: String?)] = []
    /// A bind of something that is not a directory: its target is an empty file.
    var fileTarget = false
    /// `idmap` / `ridmap`: the bind is idmapped with the container's user namespace.
    var idmap = false
    var idmapRecursive = false

    static func parseAll(_ mounts: [Mount]) throws(NSCoreError) -> [MountSpec] {
        // No array storage (nor its metadata) for a spawn without mounts: `nscore run` stays small.
        if mounts.isEmpty { return [] }
        var specs: [MountSpec] = []
        specs.reserveCapacity(mounts.count)
        for i in 0..<mounts.count { specs.append(try parse(mounts[i], index: i)) }
        return specs
    }

    static func parse(_ m: Mount, index i: Int) throws(NSCoreError) -> MountSpec {
        let label = "mounts[\(i)] (\(m))"
        func bad(_ why: String) -> NSCoreError { .invalid("mounts[\(i)]", "\(label): \(why)") }

        guard m.destination.hasPrefix("/") else {
            throw bad("destination '\(m.destination)' is not an absolute path")
        }
        if m.destination.containsNUL { throw bad("destination contains a NUL byte") }
        let destination = canonical(m.destination)
        if destination.isEmpty { throw bad("destination is the root itself; use the root setting for that") }
        let words = m.options
        let isBind = m.type == "bind" || ((m.type == nil || m.type == "none")
                                           && (words.contains("bind") || words.contains("rbind")))
        guard isBind || m.type != nil else {
            throw bad("no type: give a filesystem type, or the option bind or rbind for a bind mount")
        }
        if let t = m.type, t.isEmpty || t.containsNUL { throw bad("type '\(t)' is not a filesystem type") }
        if let s = m.source, s.isEmpty || s.containsNUL { throw bad("source must be a non-empty path without NUL bytes") }

        var spec = MountSpec(label: label, mount: m, destination: destination, isBind: isBind)
        // As in the OCI spec (and runc): recursive only with "rbind"; type "bind" alone binds one mount.
        spec.recursive = isBind && words.contains("rbind")
        if isBind {
            guard let source = m.source else { throw bad("a bind mount needs a source") }
            switch sys_stat(source) {
            case .success(let st): spec.fileTarget = (st.st_mode & S_IFMT) != S_IFDIR
            case .failure(let e):
                throw NSCoreError(.from(errno: e), errno: e, stage: "mounts[\(i)]", message: "\(label): source \(source): \(e)")
            }
        }
        for word in words {
            if word.containsNUL || word.isEmpty { throw bad("an option is empty or contains a NUL byte") }
            if let (set, clear) = attribute(word) {
                spec.attrSet = (spec.attrSet & ~clear) | set
                spec.attrClear = (spec.attrClear & ~set) | clear
                continue
            }
            if word == "bind" || word == "rbind" { continue }
            if word == "idmap" || word == "ridmap" {
                guard isBind else { throw bad("option '\(word)' applies to bind mounts only") }
                spec.idmap = true
                spec.idmapRecursive = word == "ridmap"
                continue
            }
            var w = Substring(word)
            let recursive = w.hasPrefix("r") && !w.hasPrefix("rw")
            if recursive { w = w.dropFirst() }
            if let p = MountPropagation.allCases.first(where: { $0.description == w }) {
                spec.propagation = p
                spec.recursivePropagation = recursive
                continue
            }
            if isBind {
                throw bad("option '\(word)' does not apply to a bind mount (flags: ro, rw, nosuid, nodev, noexec, "
                          + "atime words; bind, rbind; idmap, ridmap; propagation: private, shared, slave, unbindable, shared+slave, "
                          + "and their r forms)")
            }
            if let eq = word.firstIndex(of: "=") {
                let key = String(word[..<eq]), value = String(word[word.index(after: eq)...])
                if key.isEmpty { throw bad("option '\(word)' has no key") }
                if key == "lowerdir" && value.utf8.count > maxFSConfigValue {
                    // Past fsconfig's limit, one layer at a time (Linux 6.7's "lowerdir+").
                    for layer in value.split(separator: ":") { spec.data.append(("lowerdir+", String(layer))) }
                    continue
                }
                if value.utf8.count > maxFSConfigValue {
                    throw bad("option '\(key)' is longer than \(maxFSConfigValue) bytes, the kernel's limit for a filesystem option")
                }
                spec.data.append((key, value))
            } else {
                spec.data.append((word, nil))
            }
        }
        if m.type == "overlay" && !spec.data.contains(where: { ($0.key == "lowerdir" || $0.key == "lowerdir+") && !($0.value ?? "").isEmpty }) {
            throw bad("an overlay needs at least one lower directory (lowerdir=DIR[:DIR...])")
        }
        return spec
    }

    /// fsconfig copies at most 256 bytes of a string value, its NUL included.
    static let maxFSConfigValue = 255

    /// The mount attributes (`MOUNT_ATTR_*`) a flag word sets and clears.
    static func attribute(_ word: String) -> (set: UInt64, clear: UInt64)? {
        let atime = UInt64(nsc_shim_MOUNT_ATTR__ATIME)
        switch word {
        case "ro": return (UInt64(nsc_shim_MOUNT_ATTR_RDONLY), 0)
        case "rw": return (0, UInt64(nsc_shim_MOUNT_ATTR_RDONLY))
        case "nosuid": return (UInt64(nsc_shim_MOUNT_ATTR_NOSUID), 0)
        case "suid": return (0, UInt64(nsc_shim_MOUNT_ATTR_NOSUID))
        case "nodev": return (UInt64(nsc_shim_MOUNT_ATTR_NODEV), 0)
        case "dev": return (0, UInt64(nsc_shim_MOUNT_ATTR_NODEV))
        case "noexec": return (UInt64(nsc_shim_MOUNT_ATTR_NOEXEC), 0)
        case "exec": return (0, UInt64(nsc_shim_MOUNT_ATTR_NOEXEC))
        case "nodiratime": return (UInt64(nsc_shim_MOUNT_ATTR_NODIRATIME), 0)
        case "diratime": return (0, UInt64(nsc_shim_MOUNT_ATTR_NODIRATIME))
        case "noatime": return (UInt64(nsc_shim_MOUNT_ATTR_NOATIME), atime)
        case "strictatime": return (UInt64(nsc_shim_MOUNT_ATTR_STRICTATIME), atime)
        case "relatime": return (UInt64(nsc_shim_MOUNT_ATTR_RELATIME), atime)
        default: return nil
        }
    }

    /// `path` without its leading slash, ".", ".." (which stops at the root, as it does inside
    /// one) and repeated slashes.
    static func canonical(_ path: String) -> String {
        var parts: [Substring] = []
        for c in path.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(c)
        }
        return parts.joined(separator: "/")
    }

    /// Checks a masked or read-only path and makes it canonical.
    static func checkedPath(_ p: String, list: String, index i: Int) throws(NSCoreError) -> String {
        guard p.hasPrefix("/"), !p.containsNUL else {
            throw .invalid(list, "\(list)[\(i)] '\(p)' is not an absolute path without NUL bytes")
        }
        let c = canonical(p)
        if c.isEmpty { throw .invalid(list, "\(list)[\(i)] is the root itself") }
        return c
    }
}
