import Glibc
import Testing

@testable import NSCore

/// uid/gid map ranges and the user the command runs as, checked from outside
/// (/proc/PID/uid_map, /proc/PID/status, file ownership on the host) and from inside.
@Suite(.serialized)
struct UserNamespaceTests {
    static let range = [IDMapping(containerID: 0, hostID: 100_000, size: 65536)]

    /// A directory every uid may write to, removed afterwards.
    static func withSharedDirectory(_ body: (String) throws -> Void) throws {
        var template = Array("/tmp/nscore-userns-XXXXXX".utf8CString)
        let dir = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        defer { _ = try? T.run(["rm", "-rf", dir]) }
        chmod(dir, 0o1777)
        try body(dir)
    }

    @Test func aRangeMapsRootInsideToASubordinateIdOutside() throws {
        try Self.withSharedDirectory { dir in
            // Inside: root, and the maps as written.
            var c = SpawnConfiguration(["sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch \(dir)/made"],
                                       namespaces: [.user])
            c.uidMappings = Self.range
            c.gidMappings = Self.range
            let (status, out) = try T.run(c)
            #expect(status == .exited(0))
            let lines = out.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            #expect(lines == ["0", "0", "0 100000 65536", "0 100000 65536"], "\(out)")
            // The file it made belongs to the mapped ids on the host.
            var st = stat()
            #expect(stat("\(dir)/made", &st) == 0 && st.st_uid == 100_000 && st.st_gid == 100_000)

            // Outside: the maps, and the credentials the host sees.
            var sleeper = SpawnConfiguration(["sleep", "30"], namespaces: [.user])
            sleeper.uidMappings = Self.range
            sleeper.gidMappings = Self.range
            let ctr = try Container.spawn(sleeper)
            defer { _ = try? ctr.stop(timeout: .zero) }
            let uidMap = (T.readFile("/proc/\(ctr.pid)/uid_map") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
            #expect(uidMap == ["0", "100000", "65536"])
            let procStatus = T.readFile("/proc/\(ctr.pid)/status") ?? ""
            #expect(procStatus.contains("Uid:\t100000\t100000\t100000\t100000"), "\(procStatus)")
            #expect(procStatus.contains("Gid:\t100000\t100000\t100000\t100000"), "\(procStatus)")
        }
    }

    @Test func theCommandRunsAsTheUserGiven() throws {
        // In a user namespace with a range: uid, gid and groups are ids of the maps.
        var c = SpawnConfiguration(["sh", "-c", "id -u; id -g; id -G; grep -E '^(Uid|Gid|Groups|CapEff)' /proc/self/status"],
                                   namespaces: [.user])
        c.uidMappings = Self.range
        c.gidMappings = Self.range
        c.user = User(uid: 1000, gid: 1001, additionalGids: [10, 20])
        let (status, out) = try T.run(c)
        #expect(status == .exited(0))
        let lines = out.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(3)) == ["1000", "1001", "1001 10 20"], "\(out)")
        #expect(out.contains("CapEff:\t0000000000000000"), "a non-root user keeps no capability: \(out)")

        // Without a user namespace, as root: the host's ids, supplementary groups cleared.
        var plain = SpawnConfiguration(["sh", "-c", "id -u; id -g; id -G"])
        plain.user = User(uid: 65534, gid: 65534)
        let (s2, o2) = try T.run(plain)
        #expect(s2 == .exited(0))
        #expect(o2 == "65534\n65534\n65534\n", "\(o2)")
    }

    @Test func inspectingCredentialsAndTheUserNamespace() throws {
        var c = SpawnConfiguration(["sleep", "30"], namespaces: [.user])
        c.uidMappings = Self.range
        c.gidMappings = Self.range
        c.user = User(uid: 1000, gid: 1001, additionalGids: [7])
        c.capabilities = Capabilities(.dockerDefault)
        c.noNewPrivileges = true
        let ctr = try Container.spawn(c)
        defer { _ = try? ctr.stop(timeout: .zero) }
        let creds = try Inspect.credentials(of: ctr.pid)
        #expect(creds.uids == [101_000, 101_000, 101_000, 101_000] && creds.gids == [101_001, 101_001, 101_001, 101_001])
        #expect(creds.groups == [100_007])
        #expect(creds.uidMap == Self.range && creds.gidMap == Self.range && creds.setgroups == "allow")
        #expect(creds.owner == 0, "root made the namespace")
        #expect(creds.parent == (try Inspect.namespace(.user, of: getpid())))
        #expect(creds.userNamespace == (try Inspect.namespace(.user, of: ctr.pid)))
        // uid 1000 after exec: Docker's bounding set, nothing effective without ambient.
        #expect(creds.capabilities.bounding == .dockerDefault && creds.capabilities.effective.isEmpty)
        #expect(creds.noNewPrivileges)
        #expect(creds.json.contains("\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]"), "\(creds.json)")
        // The caller itself: the initial namespace has no parent.
        let mine = try Inspect.credentials(of: getpid())
        #expect(mine.parent == nil && mine.uidMap == [IDMapping(containerID: 0, hostID: 0, size: 4_294_967_295)])
    }

    /// Maps written for a process that has exited: the error names the map file (and the
    /// helper's, for newuidmap), never a crash.
    @Test func aMapForAProcessThatExitedIsAnError() throws {
        let c = try Container.spawn(SpawnConfiguration(["true"], namespaces: [.user]))
        let pid = c.pid
        #expect(try c.wait() == .exited(0))
        let writing = IDMap.Writing(uid: Self.range, gid: Self.range, denySetgroups: false, uidHelper: false, gidHelper: false)
        #expect {
            try IDMap.write(writing, pid: pid)
        } throws: { e in
            let m = (e as? NSCoreError)?.message ?? ""
            return m.hasPrefix("write \"0 100000 65536\" to /proc/\(pid)/uid_map: ") && (m.contains("ENOENT") || m.contains("ESRCH"))
        }
    }

    @Test func badMapsAndUsersAreRefusedBeforeAnythingRuns() throws {
        func refused(_ tweak: (inout SpawnConfiguration) throws -> Void, _ expected: String) throws {
            var c = SpawnConfiguration(["true"], namespaces: [.user])
            c.uidMappings = Self.range
            c.gidMappings = Self.range
            try tweak(&c)
            do {
                _ = try Container.spawn(c)
                Issue.record("spawned; expected an error mentioning \(expected)")
            } catch {
                #expect(error.message.contains(expected), "\(error.message)")
                #expect(error.code == .invalidArgument || error.code == .notFound, "\(error)")
            }
            #expect(T.children().isEmpty)
        }
        try refused({ $0.uidMappings.append(IDMapping(containerID: 1000, hostID: 300_000, size: 10)) }, "overlaps uid mappings[0]")
        try refused({ $0.gidMappings.append(IDMapping(containerID: 70000, hostID: 100_010, size: 10)) },
                    "overlaps gid mappings[0] 0:100000:65536 outside the namespace")
        try refused({ $0.uidMappings[0].size = 0 }, "the size must be at least 1")
        try refused({ $0.uidMappings = [IDMapping(containerID: 4_294_967_295, hostID: 0, size: 1)] }, "past id 4294967294")
        try refused({ $0.uidMappings = [IDMapping(containerID: 4_294_967_290, hostID: 0, size: 10)] }, "past id 4294967294")
        try refused({ c in
            c.uidMappings = (0..<341).map { IDMapping(containerID: UInt32($0) * 10, hostID: 100_000 + UInt32($0) * 10, size: 1) }
        }, "341 lines; the kernel takes at most 340")
        try refused({ $0.user = User(uid: 70000, gid: 0) }, "uid 70000 is not in the uid map")
        try refused({ $0.user = User(uid: 0, gid: 0, additionalGids: [99999]) }, "gid 99999 is not in the gid map")
        try refused({ $0.mapRootUser = true }, "exclusive")
        try refused({ $0.uidMappings = [IDMapping(containerID: 5, hostID: 100_005, size: 1)] }, "maps neither your uid")
        #expect(throws: NSCoreError.self) { _ = try IDMapping(parsing: "0:1") }
        #expect(throws: NSCoreError.self) { _ = try IDMapping(parsing: "0:-1:5") }
        #expect(try IDMapping(parsing: "0:100000:65536") == Self.range[0])
        #expect(try User(parsing: "1000") == User(uid: 1000, gid: 0))
        #expect(try User(parsing: "1000:5") == User(uid: 1000, gid: 5))
        #expect(throws: NSCoreError.self) { _ = try User(parsing: "root") }
    }
}
