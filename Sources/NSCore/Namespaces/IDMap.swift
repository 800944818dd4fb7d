import CNSCoreShim
import Glibc

/// One line of a user namespace's uid or gid map: `size` ids from `containerID` inside are
/// `hostID`... outside. The OCI runtime spec's `linux.uidMappings` / `linux.gidMappings` entry.
public struct IDMapping: Sendable, Hashable, CustomStringConvertible {
    /// The first id inside the namespace.
    public var containerID: UInt32
    /// The id it is outside (in the caller's user namespace).
    public var hostID: UInt32
    /// How many consecutive ids the line maps (at least 1).
    public var size: UInt32

    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }

    /// Parses `INNER:OUTER:COUNT` (util-linux `unshare --map-users`), e.g. `0:100000:65536`.
    /// - Throws: ``NSCoreError`` (invalid argument) naming what is wrong with `text`.
    public init(parsing text: String) throws(NSCoreError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .invalid("id mapping", "id mapping '\(text)': expected INNER:OUTER:COUNT, e.g. 0:100000:65536")
        }
        func number(_ s: Substring, _ what: String) throws(NSCoreError) -> UInt32 {
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt32(s) else {
                throw .invalid("id mapping", "id mapping '\(text)': \(what) '\(s)' is not a number from 0 to 4294967295")
            }
            return v
        }
        self.init(containerID: try number(parts[0], "INNER"), hostID: try number(parts[1], "OUTER"),
                  size: try number(parts[2], "COUNT"))
    }

    /// `INNER:OUTER:COUNT`.
    public var description: String { "\(containerID):\(hostID):\(size)" }

    /// Whether `id` (outside) is one of the ids this line maps.
    func mapsOutside(_ id: UInt32) -> Bool {
        UInt64(id) >= UInt64(hostID) && UInt64(id) < UInt64(hostID) + UInt64(size)
    }

    /// Whether `id` (inside) is one of the ids this line maps.
    func mapsInside(_ id: UInt32) -> Bool {
        UInt64(id) >= UInt64(containerID) && UInt64(id) < UInt64(containerID) + UInt64(size)
    }
}

/// The user and groups the command runs as (the OCI runtime spec's `process.user`), as ids of
/// the namespace it runs in: inside a new user namespace, ids of its maps.
public struct User: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups (`additionalGids`); empty clears the caller's.
    public var additionalGids: [UInt32]

    public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32] = []) {
        self.uid = uid
        self.gid = gid
        self.additionalGids = additionalGids
    }

    /// Parses `UID[:GID]` (numbers; without GID the group is 0, as `docker run --user UID`
    /// gives a uid that has no passwd entry).
    /// - Throws: ``NSCoreError`` (invalid argument) naming what is wrong with `text`.
    public init(parsing text: String) throws(NSCoreError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        func number(_ s: Substring, _ what: String) throws(NSCoreError) -> UInt32 {
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt32(s), v != UInt32.max else {
                throw .invalid("user", "user '\(text)': \(what) '\(s)' is not a number from 0 to 4294967294")
            }
            return v
        }
        guard parts.count == 1 || parts.count == 2 else {
            throw .invalid("user", "user '\(text)': expected UID or UID:GID (numbers)")
        }
        let uid = try number(parts[0], "UID")
        self.init(uid: uid, gid: parts.count == 2 ? try number(parts[1], "GID") : 0)
    }
}

/// Writing a user namespace's uid and gid maps from the parent, while the child waits.
///
/// The maps are ``SpawnConfiguration/uidMappings`` and ``SpawnConfiguration/gidMappings``, or,
/// with ``SpawnConfiguration/mapRootUser``, root inside to the caller's euid and egid outside
/// (`unshare --map-root-user`). Root writes `/proc/PID/uid_map` and `gid_map` itself. Another
/// user may write only a map of its own id, one line of size 1, and for gids only once
/// `setgroups` is "deny" (user_namespaces(7)); any other map goes through the setuid helpers
/// `newuidmap` and `newgidmap` (Debian's `uidmap` package), which check it against
/// `/etc/subuid` and `/etc/subgid`.
enum IDMap {
    /// The most lines a map may have (Linux 4.15 and later).
    static let maxLines = 340

    /// How the maps of one spawn are written, decided before the clone.
    struct Writing {
        var uid: [IDMapping]
        var gid: [IDMapping]
        /// Write "deny" to setgroups first (an unprivileged map of the caller's own gid).
        var denySetgroups: Bool
        var uidHelper: Bool
        var gidHelper: Bool
    }

    /// Checks the maps and the user against each other; nil when there is no map to write.
    static func check(_ c: SpawnConfiguration, _ ns: NamespaceSet) throws(NSCoreError) -> Writing? {
        let hasMaps = !c.uidMappings.isEmpty || !c.gidMappings.isEmpty
        if c.mapRootUser && hasMaps {
            throw .invalid("id mappings", "id mappings: mapRootUser and explicit uid/gid mappings are exclusive; "
                           + "give the mapping 0:\(geteuid()):1 instead")
        }
        // Maps imply a new user namespace (SpawnPlanner.plan adds it).
        if !ns.contains(.user) {
            if c.process.user != nil && geteuid() != 0 {
                throw .invalid("user", "user: running the command as another user needs root, or a new user "
                               + "namespace whose maps give it that user")
            }
            return nil
        }
        let euid = geteuid(), egid = getegid()
        let uid = c.mapRootUser ? [IDMapping(containerID: 0, hostID: euid, size: 1)] : c.uidMappings
        let gid = c.mapRootUser ? [IDMapping(containerID: 0, hostID: egid, size: 1)] : c.gidMappings
        if uid.isEmpty && gid.isEmpty { return nil }
        try checkLines(uid, "uid")
        try checkLines(gid, "gid")
        if c.process.user == nil && !c.mapRootUser {
            if !uid.isEmpty && !uid.contains(where: { $0.mapsOutside(euid) }) && !uid.contains(where: { $0.mapsInside(0) }) {
                throw .invalid("user", "user: the uid map (\(uid.map(\.description).joined(separator: ", "))) maps "
                               + "neither your uid \(euid) nor uid 0, which the command would run as; map one or give a user")
            }
            if !gid.isEmpty && !gid.contains(where: { $0.mapsOutside(egid) }) && !gid.contains(where: { $0.mapsInside(0) }) {
                throw .invalid("user", "user: the gid map (\(gid.map(\.description).joined(separator: ", "))) maps "
                               + "neither your gid \(egid) nor gid 0, which the command would run as; map one or give a user")
            }
        }
        if let u = c.process.user {
            if !uid.isEmpty && !uid.contains(where: { $0.mapsInside(u.uid) }) {
                throw .invalid("user", "user: uid \(u.uid) is not in the uid map (\(uid.map(\.description).joined(separator: ", ")))")
            }
            for g in [u.gid] + u.additionalGids where !gid.isEmpty && !gid.contains(where: { $0.mapsInside(g) }) {
                throw .invalid("user", "user: gid \(g) is not in the gid map (\(gid.map(\.description).joined(separator: ", ")))")
            }
        }
        let privileged = euid == 0
        func own(_ map: [IDMapping], _ id: UInt32) -> Bool { map.count == 1 && map[0].size == 1 && map[0].hostID == id }
        let gidHelper = !privileged && !gid.isEmpty && !own(gid, egid)
        let writing = Writing(uid: uid, gid: gid, denySetgroups: !privileged && !gid.isEmpty && !gidHelper,
                              uidHelper: !privileged && !uid.isEmpty && !own(uid, euid), gidHelper: gidHelper)
        if writing.denySetgroups, let u = c.process.user, !u.additionalGids.isEmpty {
            throw .invalid("user", "user: supplementary groups need setgroups(2), which the kernel denies in a user "
                           + "namespace whose single gid line an unprivileged caller wrote itself; map gids "
                           + "through newgidmap and /etc/subgid instead")
        }
        if writing.uidHelper { try requireHelper("newuidmap") }
        if writing.gidHelper { try requireHelper("newgidmap") }
        return writing
    }

    private static func requireHelper(_ tool: String) throws(NSCoreError) {
        if helperPath(tool) == nil {
            throw NSCoreError(.notFound, errno: Errno(rawValue: ENOENT), stage: "id mappings",
                              message: "id mappings: an unprivileged caller maps ranges of ids through \(tool), "
                              + "which is not installed (Debian package uidmap; it checks /etc/subuid and "
                              + "/etc/subgid); without it, map only your own id (mapRootUser)")
        }
    }

    /// Size at least 1, no overflow, no two lines overlapping inside or outside, at most
    /// ``maxLines`` (the kernel's rules, checked here to name the line).
    private static func checkLines(_ map: [IDMapping], _ kind: String) throws(NSCoreError) {
        let stage = "\(kind) mappings"
        if map.count > maxLines {
            throw .invalid(stage, "\(stage): \(map.count) lines; the kernel takes at most \(maxLines)")
        }
        for i in map.indices {
            let m = map[i]
            if m.size == 0 { throw .invalid(stage, "\(stage)[\(i)] \(m): the size must be at least 1") }
            // 4294967295 is no id (it is -1): the last id a line may map is 4294967294.
            if UInt64(m.containerID) + UInt64(m.size) >= 1 << 32 || UInt64(m.hostID) + UInt64(m.size) >= 1 << 32 {
                throw .invalid(stage, "\(stage)[\(i)] \(m): the range goes past id 4294967294 (the last id)")
            }
            for j in 0..<i {
                let o = map[j]
                func overlap(_ a: UInt32, _ b: UInt32) -> Bool {
                    UInt64(a) < UInt64(b) + UInt64(o.size) && UInt64(b) < UInt64(a) + UInt64(m.size)
                }
                if overlap(m.containerID, o.containerID) {
                    throw .invalid(stage, "\(stage)[\(i)] \(m) overlaps \(stage)[\(j)] \(o) inside the namespace")
                }
                if overlap(m.hostID, o.hostID) {
                    throw .invalid(stage, "\(stage)[\(i)] \(m) overlaps \(stage)[\(j)] \(o) outside the namespace")
                }
            }
        }
    }

    /// Lowers the maps: the child waits at this point of its plan while the parent writes them.
    static func lower(_ writing: Writing?, into plan: SpawnPlan) {
        guard let writing else { return }
        plan.waitForParentOnce(what: .text("wait for the parent to write uid/gid maps"))
        // No undo: the maps go with the user namespace, which goes with the child.
        plan.parentActions.append(ParentAction { pid throws(NSCoreError) in
            try write(writing, pid: pid)
            return nil
        })
        // Maps that leave the caller's own ids out (a range for root): until it changes them,
        // the child is nobody in its namespace, and what it creates (the /dev of a rootfs)
        // fails with EOVERFLOW. It becomes the namespace's root first, as runc and crun do;
        // its full capabilities there stay (root of the namespace keeps them).
        if !writing.gid.isEmpty && !writing.gid.contains(where: { $0.mapsOutside(getegid()) })
            && writing.gid.contains(where: { $0.containerID == 0 }) {
            plan.setresgid(0)
        }
        if !writing.uid.isEmpty && !writing.uid.contains(where: { $0.mapsOutside(geteuid()) })
            && writing.uid.contains(where: { $0.containerID == 0 }) {
            plan.setresuid(0)
        }
    }

    /// Writes the maps of `pid`'s user namespace.
    /// - Throws: ``NSCoreError`` naming the /proc file or the helper that failed.
    static func write(_ w: Writing, pid: pid_t) throws(NSCoreError) {
        if w.denySetgroups { try writeFile("/proc/\(pid)/setgroups", "deny") }
        if !w.uid.isEmpty {
            if w.uidHelper { try runHelper("newuidmap", pid, w.uid) } else { try writeFile("/proc/\(pid)/uid_map", text(w.uid)) }
        }
        if !w.gid.isEmpty {
            if w.gidHelper { try runHelper("newgidmap", pid, w.gid) } else { try writeFile("/proc/\(pid)/gid_map", text(w.gid)) }
        }
    }

    /// The map file's text: `INSIDE OUTSIDE COUNT` a line.
    static func text(_ map: [IDMapping]) -> String {
        var text = ""
        for m in map { text += "\(m.containerID) \(m.hostID) \(m.size)\n" }
        return text
    }

    private static func writeFile(_ path: String, _ text: String) throws(NSCoreError) {
        if case .failure(let e) = sys_writeFile(path, text) {
            var hint = ""
            if e.rawValue == EPERM && path.hasSuffix("_map") {
                hint = " (the caller may map only ids it holds: root, or its own id; ranges need newuidmap/newgidmap)"
            }
            throw NSCoreError(.from(errno: e), errno: e, stage: "write \(path)",
                              message: "write \"\(text.trimmingTrailingNewline.replacingNewlines)\" to \(path): \(e)\(hint)")
        }
    }

    /// `newuidmap`/`newgidmap` in /usr/bin, /bin, /usr/sbin or /sbin (a fixed list: the
    /// caller's PATH does not choose a setuid helper).
    static func helperPath(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] where access("\(dir)/\(tool)", X_OK) == 0 {
            return "\(dir)/\(tool)"
        }
        return nil
    }

    /// Runs `tool PID INSIDE OUTSIDE COUNT...` and waits; its error output goes into the error.
    private static func runHelper(_ tool: String, _ pid: pid_t, _ map: [IDMapping]) throws(NSCoreError) {
        guard let path = helperPath(tool) else {
            throw NSCoreError(.notFound, errno: Errno(rawValue: ENOENT), stage: tool, message: "\(tool) is not installed")
        }
        var args = [tool, "\(pid)"]
        for m in map { args += ["\(m.containerID)", "\(m.hostID)", "\(m.size)"] }
        let (status, errors) = try HelperProcess.run(path, args)
        if status != 0 {
            let said = errors.isEmpty ? "" : ": \(errors.trimmingTrailingNewline.replacingNewlines)"
            throw NSCoreError(.permissionDenied, errno: Errno(rawValue: EPERM), stage: tool,
                              message: "\(tool) \(args.dropFirst().joined(separator: " ")) failed (exit status "
                              + "\(status))\(said); the ranges must be in /etc/\(tool == "newuidmap" ? "subuid" : "subgid") "
                              + "for this user")
        }
    }
}

/// A helper program run from the parent (posix_spawn, CLONE_VFORK: safe in threaded hosts):
/// stdin and stdout /dev/null, its stderr collected.
enum HelperProcess {
    static func run(_ path: String, _ args: [String]) throws(NSCoreError) -> (Int32, String) {
        var pipe: FDPair
        switch sys_pipe() {
        case .success(let p): pipe = p
        case .failure(let e): throw .sys(e, "pipe for \(path)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe.write.rawValue, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The helper starts with the default signal mask and dispositions, whatever the host's.
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, &argv, [nil])
        pipe.write = OwnedFD(-1)  // closed: the helper holds the only write end
        if rc != 0 { throw .sys(Errno(rawValue: rc), "start \(path)") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = read(pipe.read.rawValue, &buffer, buffer.count)
            if n > 0 { if output.count < 4096 { output += buffer[0..<n] }; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
            if errno != EINTR { throw .sys(.current, "wait for \(path)") }
        }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: output, as: UTF8.self))
    }
}

extension String {
    var trimmingTrailingNewline: String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }

    /// Newlines as "; ", for an error message of one line.
    var replacingNewlines: String {
        split(separator: "\n").joined(separator: "; ")
    }
}

extension SpawnPlanner {
    static func lowerIDMaps(_ writing: IDMap.Writing?, into plan: SpawnPlan) { IDMap.lower(writing, into: plan) }

    /// The user the command runs as. With a ``ProcessConfiguration/user`` the child sets its
    /// groups, gid and uid after its mounts, before the working directory and exec. Without
    /// one, under explicit uid/gid maps, the child keeps the caller's ids where a map maps them
    /// (as `unshare --map-user`), and otherwise becomes 0 of the map: it would else keep an id
    /// the namespace does not map (root outside, nobody inside). Supplementary groups are set
    /// (cleared when none are given) whenever the gid changes, unless setgroups is denied.
    /// With `keepCapabilities` (capability sets follow), `PR_SET_KEEPCAPS` keeps the permitted
    /// set through a uid change, so that `capset` can then set the sets the command gets.
    static func lowerUser(_ c: SpawnConfiguration, _ writing: IDMap.Writing?, keepCapabilities: Bool,
                          into plan: SpawnPlan) {
        let explicit = writing != nil && !c.mapRootUser
        if c.process.user == nil && !explicit { return }
        let user = c.process.user ?? User(uid: 0, gid: 0)
        let gidMap = writing?.gid ?? [], uidMap = writing?.uid ?? []
        let setGID = c.process.user != nil
            || (explicit && !gidMap.isEmpty && !gidMap.contains(where: { $0.mapsOutside(getegid()) }))
        let setUID = c.process.user != nil
            || (explicit && !uidMap.isEmpty && !uidMap.contains(where: { $0.mapsOutside(geteuid()) }))
        if setGID {
            if !(writing?.denySetgroups ?? false) {
                let n = user.additionalGids.count
                let list = plan.allocate(max(n, 1) * MemoryLayout<gid_t>.stride).bindMemory(to: gid_t.self, capacity: max(n, 1))
                for (i, g) in user.additionalGids.enumerated() { list[i] = gid_t(g) }
                plan.setgroups(UnsafePointer(list), count: n)
            }
            plan.setresgid(gid_t(user.gid))
        }
        if setUID {
            if keepCapabilities { plan.prctl(nsc_shim_PR_SET_KEEPCAPS, 1, what: .text("prctl(PR_SET_KEEPCAPS)")) }
            plan.setresuid(uid_t(user.uid))
        }
    }
}
