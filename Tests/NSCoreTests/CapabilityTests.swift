import Glibc
import Testing

@testable import NSCore

/// Capability sets and no_new_privs, read back from /proc/self/status inside the command, and
/// checked to deny what they drop.
@Suite(.serialized)
struct CapabilityTests {
    /// The capability and no_new_privs lines of /proc/self/status, as the command saw them.
    struct Status {
        var fields: [String: String] = [:]
        init(_ text: String) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = parts[1].split(separator: "\t").joined().split(separator: " ").joined() }
            }
        }
        func mask(_ name: String) -> UInt64? { fields[name].flatMap { UInt64($0, radix: 16) } }
    }

    static let statusScript = "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status"

    static func status(_ c: SpawnConfiguration) throws -> Status {
        let (status, out) = try T.run(c)
        #expect(status == .exited(0), "\(out)")
        return Status(out)
    }

    @Test func aRootfsContainerGetsDockersDefaultSetAndNoNewPrivileges() throws {
        try RootfsTests.withRootfs(extra: ["true"]) { rootfs, _ in
            let s = try Self.status(RootfsTests.config(rootfs, Self.statusScript))
            let docker = CapabilitySet.dockerDefault.mask
            #expect(s.mask("CapBnd") == docker && s.mask("CapEff") == docker && s.mask("CapPrm") == docker, "\(s.fields)")
            #expect(s.mask("CapInh") == 0 && s.mask("CapAmb") == 0, "\(s.fields)")
            #expect(s.fields["NoNewPrivs"] == "1")
            // Without CAP_SYS_ADMIN, mount and sethostname fail inside.
            let (st, out) = try T.run(RootfsTests.config(rootfs, """
                mount -t tmpfs t /mnt 2>/dev/null && echo mounted || echo mount-refused
                echo box > /proc/sys/kernel/hostname 2>/dev/null && echo named || echo hostname-refused
                """))
            #expect(st == .exited(0))
            #expect(out == "mount-refused\nhostname-refused\n", "\(out)")
        }
    }

    @Test func aPlainSpawnKeepsItsCapabilitiesUnlessGivenSome() throws {
        // Default: the caller's (root's) sets, and no no_new_privs.
        let mine = Status(T.readFile("/proc/self/status") ?? "")
        let plain = try Self.status(SpawnConfiguration(["sh", "-c", Self.statusScript]))
        #expect(plain.mask("CapEff") == mine.mask("CapEff") && plain.mask("CapBnd") == mine.mask("CapBnd"))
        #expect(plain.fields["NoNewPrivs"] == "0")

        // Given: exactly those, in every set asked for; the others are denied.
        var c = SpawnConfiguration(["sh", "-c", Self.statusScript + "; hostname box 2>/dev/null && echo named || echo refused"],
                                   namespaces: [.uts])
        c.capabilities = Capabilities(try CapabilitySet(names: ["CAP_CHOWN", "net_raw"]))
        c.noNewPrivileges = true
        let (status, out) = try T.run(c)
        #expect(status == .exited(0))
        let s = Status(out)
        #expect(s.mask("CapEff") == 0x2001 && s.mask("CapPrm") == 0x2001 && s.mask("CapBnd") == 0x2001, "\(out)")
        #expect(s.fields["NoNewPrivs"] == "1")
        #expect(out.hasSuffix("refused\n"), "sethostname without CAP_SYS_ADMIN: \(out)")

        // ALL is every capability the caller can give: its own bounding set.
        var all = SpawnConfiguration(["sh", "-c", Self.statusScript])
        all.capabilities = .all
        let s3 = try Self.status(all)
        #expect(s3.mask("CapBnd") == mine.mask("CapBnd") && s3.mask("CapEff") == mine.mask("CapBnd"), "\(s3.fields)")
    }

    @Test func aUserKeepsTheCapabilitiesGivenThroughAmbient() throws {
        // uid 1000 keeps NET_BIND_SERVICE across its exec only as an ambient capability.
        var c = SpawnConfiguration(["sh", "-c", "id -u; " + Self.statusScript])
        c.user = User(uid: 1000, gid: 1000)
        let bind = CapabilitySet([try Capability(named: "NET_BIND_SERVICE")])
        c.capabilities = Capabilities(bounding: .dockerDefault, effective: bind, inheritable: bind, permitted: bind, ambient: bind)
        let (status, out) = try T.run(c)
        #expect(status == .exited(0))
        #expect(out.hasPrefix("1000\n"), "\(out)")
        let s = Status(out)
        #expect(s.mask("CapAmb") == bind.mask && s.mask("CapEff") == bind.mask && s.mask("CapBnd") == CapabilitySet.dockerDefault.mask,
                "\(out)")

        // Without ambient, a non-root user has no effective capability after exec.
        c.capabilities = Capabilities(.dockerDefault)
        let s2 = try Self.status(c)
        #expect(s2.mask("CapEff") == 0 && s2.mask("CapAmb") == 0, "\(s2.fields)")
    }

    @Test func resourceLimitsAndTheOOMScore() throws {
        var c = SpawnConfiguration(["sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -c; cat /proc/self/oom_score_adj"],
                                   namespaces: [.pid, .mount])
        c.rlimits = [try ResourceLimit(parsing: "nofile=100:200"), try ResourceLimit("RLIMIT_CORE", soft: 0, hard: 0)]
        c.oomScoreAdj = 500
        let (status, out) = try T.run(c)
        #expect(status == .exited(0))
        #expect(out == "100\n200\n0\n500\n", "\(out)")
        // The host's own limits are untouched.
        var mine = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &mine)
        #expect(mine.rlim_cur != 100)

        #expect(try ResourceLimit(parsing: "core=unlimited") == ResourceLimit("core", soft: .max, hard: .max))
        for (text, expected) in [("nofile", "expected TYPE=SOFT[:HARD]"), ("fly=1", "unknown resource 'fly'"),
                                 ("nofile=10:5", "soft limit 10 is above its hard limit 5"), ("nofile=x", "'x' is not a number")] {
            do {
                _ = try ResourceLimit(parsing: text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
        for tweak: (inout SpawnConfiguration) throws -> Void in [
            { $0.rlimits = [try ResourceLimit(parsing: "nofile=1"), try ResourceLimit(parsing: "NOFILE=2")] },
            { $0.oomScoreAdj = 2000 },
        ] {
            var bad = SpawnConfiguration(["true"])
            try tweak(&bad)
            #expect(throws: NSCoreError.self) { _ = try Container.spawn(bad) }
            #expect(T.children().isEmpty)
        }
    }

    @Test func capAddAndCapDropAsDocker() throws {
        func names(_ l: [String]) throws -> CapabilitySet { try CapabilitySet(names: l) }
        let base = Capabilities.dockerDefault
        #expect(base.adding(try names(["CHOWN", "NET_RAW"]), dropping: try names(["ALL"])).effective == (try names(["CHOWN", "NET_RAW"])))
        #expect(base.adding(try names(["NET_RAW"]), dropping: try names(["NET_RAW"])).effective.contains(try Capability(named: "NET_RAW")))
        #expect(base.adding(try names(["ALL"]), dropping: try names(["NET_RAW"])).bounding == CapabilitySet.all.subtracting(try names(["NET_RAW"])))
        #expect(!base.adding([], dropping: try names(["MKNOD"])).permitted.contains(try Capability(named: "MKNOD")))
    }

    @Test func badCapabilitiesAreRefusedBeforeAnythingRuns() throws {
        do {
            _ = try CapabilitySet(names: ["CAP_FLY"])
            Issue.record("an unknown capability was accepted")
        } catch {
            #expect(error.message.contains("unknown capability 'CAP_FLY'") && error.message.contains("CAP_SYS_ADMIN"))
        }
        #expect(try CapabilitySet(names: ["ALL"]) == CapabilitySet.all)
        let chown = CapabilitySet([try Capability(named: "chown")])
        for (caps, expected) in [
            (Capabilities(bounding: .all, effective: chown, permitted: []), "effective has CAP_CHOWN, which is not permitted"),
            (Capabilities(bounding: .all, effective: [], inheritable: [], permitted: chown, ambient: chown),
             "ambient has CAP_CHOWN, which is not both permitted and inheritable"),
            (Capabilities(bounding: [], effective: chown, inheritable: chown, permitted: chown, ambient: chown),
             "inheritable has CAP_CHOWN, which is not in the bounding set"),
        ] {
            var c = SpawnConfiguration(["true"])
            c.capabilities = caps
            do {
                _ = try Container.spawn(c)
                Issue.record("spawned with \(caps)")
            } catch {
                #expect(error.message.contains(expected), "\(error.message)")
            }
            #expect(T.children().isEmpty)
        }
    }
}
