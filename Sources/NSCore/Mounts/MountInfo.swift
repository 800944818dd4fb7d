import Glibc

/// The propagation state of a mount, derived from the optional fields of its mountinfo line
/// (mount_namespaces(7)): the five states the kernel can be in.
public enum MountPropagationState: String, Sendable, Equatable, CaseIterable {
    /// In a peer group (`shared:N`): mount events propagate both ways.
    case shared
    /// The slave of a peer group (`master:N`): events come in, never go out.
    case slave
    /// Both (`shared:N master:M`): receives from its master and passes on to its own peers.
    case sharedAndSlave = "shared+slave"
    /// None of the above: no propagation either way.
    case `private`
    /// Private, and it cannot be bind-mounted (`unbindable`).
    case unbindable
}

/// One line of `/proc/PID/mountinfo` (proc(5)), typed.
public struct MountEntry: Sendable, Equatable, CustomStringConvertible, JSONWritable {
    /// The mount's unique id.
    public var id: Int
    /// The id of its parent mount (itself for the root of the namespace's tree).
    public var parentID: Int
    /// The device of the filesystem (`st_dev`), major and minor.
    public var major: UInt32
    public var minor: UInt32
    /// The path of the filesystem that forms the root of this mount (a bind mount's source).
    public var root: String
    /// Where it is mounted, relative to the process's root.
    public var mountPoint: String
    /// Per-mount options (`rw`, `nosuid`, `relatime`, ...).
    public var options: [String]
    /// `shared:N`: the peer group it belongs to.
    public var sharedGroup: Int?
    /// `master:N`: the peer group it is a slave of.
    public var masterGroup: Int?
    /// `propagate_from:N`: the closest dominant peer group it receives from, when the master is
    /// not visible in this process's root.
    public var propagateFrom: Int?
    /// `unbindable`.
    public var unbindable: Bool
    /// The filesystem type (`ext4`, `proc`, `tmpfs`, `overlay`, ...), with a subtype after a `.`.
    public var fsType: String
    /// The mount source (a device, or the fs type's own word such as `proc`), or "none".
    public var source: String
    /// Per-superblock options.
    public var superOptions: [String]

    /// The propagation state: shared, slave, shared+slave, private or unbindable.
    public var propagation: MountPropagationState {
        if unbindable { return .unbindable }
        switch (sharedGroup != nil, masterGroup != nil) {
        case (true, true): return .sharedAndSlave
        case (true, false): return .shared
        case (false, true): return .slave
        case (false, false): return .private
        }
    }

    /// True when the mount is read-only (`ro` among the per-mount options).
    public var readOnly: Bool { options.contains("ro") }

    public var description: String { "\(mountPoint) \(fsType) \(source) \(options.joined(separator: ",")) \(propagation.rawValue)" }

    /// The entry as a JSON object (findmnt-like keys).
    public var json: String { JSONWriter.document(self) }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("id", id)
        w.field("parent", parentID)
        w.field("major", major)
        w.field("minor", minor)
        w.field("root", root)
        w.field("target", mountPoint)
        w.field("source", source)
        w.field("fstype", fsType)
        w.field("options", options.joined(separator: ","))
        w.field("super_options", superOptions.joined(separator: ","))
        w.field("propagation", propagation.rawValue)
        w.key("shared")
        if let g = sharedGroup { w.value(g) } else { w.null() }
        w.key("master")
        if let g = masterGroup { w.value(g) } else { w.null() }
        w.key("propagate_from")
        if let g = propagateFrom { w.value(g) } else { w.null() }
        w.endObject()
    }

    /// Parses one mountinfo line; nil if it is not one.
    public init?(mountinfoLine line: Substring) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 10, let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 4,
              let id = Int(fields[0]), let parent = Int(fields[1]) else { return nil }
        let dev = fields[2].split(separator: ":")
        guard dev.count == 2, let major = UInt32(dev[0]), let minor = UInt32(dev[1]) else { return nil }
        self.id = id
        self.parentID = parent
        self.major = major
        self.minor = minor
        self.root = MountEntry.unescape(fields[3])
        self.mountPoint = MountEntry.unescape(fields[4])
        self.options = fields[5].split(separator: ",").map(String.init)
        self.sharedGroup = nil
        self.masterGroup = nil
        self.propagateFrom = nil
        self.unbindable = false
        for tag in fields[6..<dash] {
            if tag == "unbindable" { unbindable = true; continue }
            let kv = tag.split(separator: ":", maxSplits: 1)
            guard kv.count == 2, let n = Int(kv[1]) else { continue }
            switch kv[0] {
            case "shared": sharedGroup = n
            case "master": masterGroup = n
            case "propagate_from": propagateFrom = n
            default: break  // a tag a later kernel adds
            }
        }
        self.fsType = MountEntry.unescape(fields[dash + 1])
        self.source = MountEntry.unescape(fields[dash + 2])
        self.superOptions = fields[dash + 3].split(separator: ",").map(String.init)
    }

    /// Undoes the kernel's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
    static func unescape(_ s: Substring) -> String {
        guard s.contains("\\") else { return String(s) }
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count {
                let digits = bytes[(i + 1)...(i + 3)]
                if digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }) {
                    let v = digits.reduce(0) { $0 * 8 + Int($1 - 0x30) }
                    if v < 256 {
                        out.append(UInt8(v))
                        i += 4
                        continue
                    }
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One mount of `/proc/PID/mountstats` (proc(5)): `device D mounted on M with fstype T
/// [statvers=V]`, and the statistics lines that follow it (NFS and a few others write some).
public struct MountStats: Sendable, Equatable, JSONWritable {
    /// The mount source ("device").
    public var device: String
    /// Where it is mounted.
    public var mountPoint: String
    /// The filesystem type.
    public var fsType: String
    /// The version of the statistics format, when the filesystem writes statistics.
    public var statsVersion: String?
    /// The statistics lines, as the filesystem wrote them (trimmed).
    public var statistics: [String]

    /// The entry as a JSON object.
    public var json: String { JSONWriter.document(self) }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("device", device)
        w.field("target", mountPoint)
        w.field("fstype", fsType)
        w.key("statvers")
        if let v = statsVersion { w.value(v) } else { w.null() }
        w.key("statistics")
        w.beginArray()
        for line in statistics { w.value(line) }
        w.endArray()
        w.endObject()
    }

    /// Parses a `device ... mounted on ... with fstype ...` line; nil if it is not one.
    init?(headerLine line: Substring) {
        let f = line.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count >= 8, f[0] == "device", f[2] == "mounted", f[3] == "on", f[5] == "with", f[6] == "fstype" else {
            return nil
        }
        device = MountEntry.unescape(f[1])
        mountPoint = MountEntry.unescape(f[4])
        fsType = MountEntry.unescape(f[7])
        statsVersion = f.count > 8 && f[8].hasPrefix("statvers=") ? String(f[8].dropFirst(9)) : nil
        statistics = []
    }
}

extension Inspect {
    /// The mounts of `pid`'s mount namespace with their statistics (`/proc/PID/mountstats`).
    /// - Throws: ``NSCoreError`` (process exited) for a process that is gone, (permission
    ///   denied) when the caller may not read them.
    public static func mountStats(of pid: pid_t) throws(NSCoreError) -> [MountStats] {
        let text = try readMountFile(pid, "mountstats")
        var out: [MountStats] = []
        for line in text.split(separator: "\n") {
            if let entry = MountStats(headerLine: line) {
                out.append(entry)
            } else if !out.isEmpty, line.first == " " || line.first == "\t" {
                out[out.count - 1].statistics.append(String(line.drop { $0 == " " || $0 == "\t" }))
            } else if !line.isEmpty {
                throw NSCoreError(.system, errno: Errno(rawValue: EIO), stage: "parse /proc/\(pid)/mountstats",
                                  message: "mounts: a line of /proc/\(pid)/mountstats does not parse: \(line.prefix(120))")
            }
        }
        return out
    }

    /// The JSON for ``mountStats(of:)``: `{"pid":N,"mountstats":[{"device",...},...]}`.
    public static func json(_ stats: [MountStats], pid: pid_t) -> String {
        JSONWriter.listDocument(stats, key: "mountstats", perItem: 96) { $0.field("pid", pid) }
    }

    /// The text of /proc/PID/<name>, with the errors of a mount inspection.
    private static func readMountFile(_ pid: pid_t, _ name: String) throws(NSCoreError) -> String {
        guard pid > 0 else { throw .invalid("pid", "mounts: \(pid) is not a valid pid") }
        let path = "/proc/\(pid)/\(name)"
        switch sys_readFile(path, limit: 64 << 20) {
        case .success(let b): return String(decoding: b, as: UTF8.self)
        case .failure(let e) where e.rawValue == ENOENT || e.rawValue == ESRCH:
            throw NSCoreError(.processExited, errno: e, stage: "read \(path)", message: "mounts: process \(pid) has exited")
        case .failure(let e):
            throw NSCoreError(.from(errno: e), errno: e, stage: "read \(path)", message: "mounts: cannot read \(path): \(e)")
        }
    }

    /// The mounts of `pid`'s mount namespace as `pid` sees them (`/proc/PID/mountinfo`), in the
    /// kernel's order (parents before their children).
    ///
    /// The corresponding file is `/proc/PID/mountinfo` (proc(5)).
    /// - Throws: ``NSCoreError`` (process exited) for a process that is gone, (permission
    ///   denied) when the caller may not read its mounts.
    public static func mounts(of pid: pid_t) throws(NSCoreError) -> [MountEntry] {
        let text = try readMountFile(pid, "mountinfo")
        let path = "/proc/\(pid)/mountinfo"
        var entries: [MountEntry] = []
        for line in text.split(separator: "\n") {
            guard let e = MountEntry(mountinfoLine: line) else {
                throw NSCoreError(.system, errno: Errno(rawValue: EIO), stage: "parse \(path)",
                                  message: "mounts: a line of \(path) does not parse: \(line.prefix(120))")
            }
            entries.append(e)
        }
        return entries
    }

    /// The JSON for ``mounts(of:)``: `{"pid":N,"mounts":[{"id":N,"parent":N,"target":...},...]}`.
    public static func json(_ mounts: [MountEntry], pid: pid_t) -> String {
        JSONWriter.listDocument(mounts, key: "mounts", perItem: 200) { $0.field("pid", pid) }
    }
}
