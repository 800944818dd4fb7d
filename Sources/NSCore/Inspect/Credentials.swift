import CNSCoreShim
import Glibc

/// Who a process is: its ids, groups, capability sets and no_new_privs (`/proc/PID/status`),
/// and its user namespace: the uid and gid maps, `setgroups`, the namespace's owner and parent.
public struct ProcessCredentials: Sendable, Hashable, JSONWritable {
    /// Real, effective, saved and filesystem uid, as seen from the caller's user namespace.
    public var uids: [UInt32]
    /// Real, effective, saved and filesystem gid.
    public var gids: [UInt32]
    /// Supplementary groups.
    public var groups: [UInt32]
    /// The five capability sets.
    public var capabilities: Capabilities
    /// `NoNewPrivs`.
    public var noNewPrivileges: Bool
    /// The process's user namespace.
    public var userNamespace: NamespaceID
    /// The uid that created it (`NS_GET_OWNER_UID`).
    public var owner: UInt32
    /// Its parent user namespace; nil for the initial one, or when the parent is outside the
    /// caller's view (`EPERM`).
    public var parent: NamespaceID?
    /// `/proc/PID/uid_map` and `gid_map`, as the caller's user namespace sees them.
    public var uidMap: [IDMapping]
    public var gidMap: [IDMapping]
    /// `/proc/PID/setgroups`: "allow" or "deny".
    public var setgroups: String

    func write(to w: inout JSONWriter) {
        func ids(_ name: String, _ list: [UInt32]) {
            w.key(name)
            w.beginArray()
            for i in list { w.value(i) }
            w.endArray()
        }
        func map(_ name: String, _ lines: [IDMapping]) {
            w.key(name)
            w.beginArray()
            for l in lines {
                w.beginObject()
                w.field("containerID", l.containerID)
                w.field("hostID", l.hostID)
                w.field("size", l.size)
                w.endObject()
            }
            w.endArray()
        }
        w.beginObject()
        ids("uids", uids)
        ids("gids", gids)
        ids("groups", groups)
        w.key("capabilities")
        w.beginObject()
        for (name, set) in [("bounding", capabilities.bounding), ("effective", capabilities.effective),
                            ("inheritable", capabilities.inheritable), ("permitted", capabilities.permitted),
                            ("ambient", capabilities.ambient)] {
            w.key(name)
            w.beginArray()
            for c in set.members { w.value(c.description) }
            w.endArray()
        }
        w.endObject()
        w.field("noNewPrivileges", noNewPrivileges)
        w.key("userNamespace")
        userNamespace.write(to: &w)
        w.field("owner", owner)
        w.key("parent")
        if let parent { parent.write(to: &w) } else { w.null() }
        map("uidMappings", uidMap)
        map("gidMappings", gidMap)
        w.field("setgroups", setgroups)
        w.endObject()
    }

    /// The JSON form: `{"uids":[...],"gids":[...],"groups":[...],"capabilities":{"bounding":
    /// ["CAP_CHOWN",...],...},"noNewPrivileges":false,"userNamespace":{...},"owner":0,"parent":
    /// null,"uidMappings":[{"containerID":0,"hostID":0,"size":4294967295}],...,"setgroups":"allow"}`.
    public var json: String { JSONWriter.document(self) }
}

extension Inspect {
    /// The credentials and user namespace of process `pid`.
    /// - Throws: ``NSCoreError``: ``NSCoreError/Code/notFound`` when there is no such process.
    public static func credentials(of pid: pid_t) throws(NSCoreError) -> ProcessCredentials {
        guard pid > 0 else { throw .invalid("pid", "pid \(pid) is not a process id") }
        func text(_ file: String) throws(NSCoreError) -> String {
            switch sys_readFile("/proc/\(pid)/\(file)", limit: 1 << 16) {
            case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
            case .failure(let e):
                throw NSCoreError(.from(errno: e), errno: e, stage: "inspect credentials",
                                  message: "read /proc/\(pid)/\(file): \(e)")
            }
        }
        var fields: [Substring: Substring] = [:]
        for line in try text("status").split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon]] = line[line.index(after: colon)...]
        }
        func numbers(_ key: Substring) -> [UInt32] {
            (fields[key] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
        }
        func mask(_ key: Substring) -> CapabilitySet {
            CapabilitySet(mask: UInt64((fields[key] ?? "").filter { $0.isHexDigit }, radix: 16) ?? 0)
        }
        func lines(_ file: String) throws(NSCoreError) -> [IDMapping] {
            try text(file).split(separator: "\n").compactMap { line in
                let n = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
                return n.count == 3 ? IDMapping(containerID: n[0], hostID: n[1], size: n[2]) : nil
            }
        }
        let user = try namespace(.user, of: pid)
        var owner: uid_t = 0
        var parent: NamespaceID? = nil
        if case .success(let fd) = sys_open("/proc/\(pid)/ns/user", O_RDONLY) {
            _ = nsc_shim_ns_get_owner_uid(fd.rawValue, &owner)
            let p = nsc_shim_ns_get_parent(fd.rawValue)
            if p >= 0 {
                let parentFD = OwnedFD(p)
                if case .success(let st) = sys_fstat(parentFD.rawValue) {
                    parent = NamespaceID(kind: .user, inode: UInt64(st.st_ino), device: UInt64(st.st_dev))
                }
            }
        }
        return ProcessCredentials(
            uids: numbers("Uid"), gids: numbers("Gid"), groups: numbers("Groups"),
            capabilities: Capabilities(bounding: mask("CapBnd"), effective: mask("CapEff"), inheritable: mask("CapInh"),
                                       permitted: mask("CapPrm"), ambient: mask("CapAmb")),
            noNewPrivileges: (fields["NoNewPrivs"] ?? "").contains("1"), userNamespace: user, owner: UInt32(owner),
            parent: parent, uidMap: try lines("uid_map"), gidMap: try lines("gid_map"),
            setgroups: try text("setgroups").trimmingTrailingNewline)
    }
}
