import Glibc
import Testing
@testable import NSCore

@Suite(.serialized)
struct JoinTests {
    /// A long-running container to join.
    static func target(_ ns: NamespaceSet, hostname: String? = nil, mapRoot: Bool = false) throws -> Container {
        var cfg = SpawnConfiguration(["sleep", "30"], namespaces: ns)
        cfg.hostname = hostname
        cfg.mapRootUser = mapRoot
        return try Container.spawn(cfg)
    }

    /// A join's handle is the command itself: the caller's own child (nscore-init, which started
    /// it, is gone and reaped), in the target's PID namespace, with nothing open but stdio.
    @Test func joinedCommandIsTheCallersChildWithOnlyStdio() throws {
        let c = try Self.target([.uts, .pid, .mount, .ipc])
        defer { _ = try? c.stop(timeout: .milliseconds(50)) }
        for target in [JoinTarget.process(c.pid), .paths([.pid: "/proc/\(c.pid)/ns/pid", .mount: "/proc/\(c.pid)/ns/mnt"])] {
            var cfg = JoinConfiguration(target: target, ["sleep", "5"])
            cfg.stdin = .null
            let j = try Container.join(cfg)
            defer { _ = try? j.stop(timeout: .milliseconds(50)) }
            let status = T.readFile("/proc/\(j.pid)/status") ?? ""
            #expect(status.contains("PPid:\t\(getpid())\n"), "\(status)")
            #expect(T.nsInode(j.pid, "pid") == T.nsInode(c.pid, "pid"))
            // Its parent (us) sees it as j.pid, the container as a small pid of its own.
            let nspid = status.split(separator: "\n").first { $0.hasPrefix("NSpid:") }?.split(separator: "\t") ?? []
            #expect(nspid.count == 3 && nspid[1] == "\(j.pid)", "\(nspid)")
            // The dynamic loader may hold the libraries open for a moment after exec.
            var fds: [String] = []
            for _ in 0..<100 {
                fds = T.listDirectory("/proc/\(j.pid)/fd")
                if fds == ["0", "1", "2"] { break }
                usleep(10_000)
            }
            #expect(fds == ["0", "1", "2"])
            #expect(T.trimmed(T.readFile("/proc/\(j.pid)/comm") ?? "") == "sleep")
            // No nscore-init left behind, not even as a zombie.
            let children = T.children()
            #expect(children.sorted() == [c.pid, j.pid].sorted(), "\(children)")
        }
    }

    /// One ProcessConfiguration, started by a spawn and by a join: the same command line,
    /// environment, working directory and executable, and the same output.
    @Test func oneProcessConfigurationForSpawnAndJoin() throws {
        var process = ProcessConfiguration(["custom-name", "-c", "echo \"$0 $GREETING\"; pwd"])
        process.executable = "/bin/sh"
        process.environment = ["GREETING=hi"]
        process.workingDirectory = "/usr"
        let spawned = try T.run(SpawnConfiguration(process, namespaces: [.uts]))
        let c = try Self.target([.uts])
        defer { _ = try? c.stop(timeout: .milliseconds(50)) }
        let joined = try T.join(JoinConfiguration(target: .process(c.pid), process, namespaces: [.uts]))
        #expect(spawned.0 == .exited(0) && joined.0 == .exited(0))
        #expect(spawned.1 == "custom-name hi\n/usr\n")
        #expect(joined.1 == spawned.1)
    }

    @Test func joinByPidSeesTheContainersNamespaces() throws {
        let c = try Self.target([.uts, .network, .ipc, .pid, .mount], hostname: "joined")
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        let (status, out) = try T.join(JoinConfiguration(target: .process(c.pid),
            ["sh", "-c", "hostname; readlink /proc/self/ns/net /proc/self/ns/pid; grep NSpid /proc/self/status"]))
        #expect(status == .exited(0))
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "joined")
        #expect(lines.contains("net:[\(T.nsInode(c.pid, "net")!)]"))
        #expect(lines.contains("pid:[\(T.nsInode(c.pid, "pid")!)]"))
        // Read through the container's /proc, NSpid holds just the inner pid, a small number.
        let inner = lines.last?.split(separator: "\t").last.flatMap { Int($0) } ?? 0
        #expect(inner > 1 && inner < 100)
        // The host's own namespaces did not change.
        #expect(T.hostname() != "joined")
    }

    @Test func joinAChosenSubset() throws {
        let c = try Self.target([.uts, .network], hostname: "subset")
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        let (_, out) = try T.join(JoinConfiguration(target: .process(c.pid), ["sh", "-c", "hostname; readlink /proc/self/ns/net"], namespaces: [.uts]))
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "subset")
        #expect(lines.last == "net:[\(T.nsInode(getpid(), "net")!)]")
    }

    @Test func joinByPath() throws {
        let c = try Self.target([.network, .uts], hostname: "bypath")
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        let (status, out) = try T.join(JoinConfiguration(
            target: .paths([.network: "/proc/\(c.pid)/ns/net", .uts: "/proc/\(c.pid)/ns/uts"]),
            ["sh", "-c", "hostname; readlink /proc/self/ns/net"]))
        #expect(status == .exited(0))
        #expect(out == "bypath\nnet:[\(T.nsInode(c.pid, "net")!)]\n")
    }

    @Test func joinAUserNamespaceContainer() throws {
        let c = try Self.target(.all, hostname: "userns", mapRoot: true)
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        let (status, out) = try T.join(JoinConfiguration(target: .process(c.pid),
            ["sh", "-c", "hostname; id -u; readlink /proc/self/ns/user /proc/self/ns/time"]))
        #expect(status == .exited(0))
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "userns")
        #expect(lines.contains("user:[\(T.nsInode(c.pid, "user")!)]"))
        #expect(lines.contains("time:[\(T.nsInode(c.pid, "time")!)]"))
    }

    @Test func interopWithUnshareAndNsenter() throws {
        // A namespace made by util-linux, joined by NSCore; and one made by NSCore, joined by nsenter.
        let u = try Container.spawn(SpawnConfiguration(["unshare", "--net", "--uts", "sleep", "30"]))
        defer { _ = try? u.stop(timeout: .seconds(1)) }
        usleep(100_000)
        let (_, out) = try T.join(JoinConfiguration(target: .process(u.pid), ["readlink", "/proc/self/ns/net"], namespaces: [.network]))
        #expect(T.trimmed(out) == "net:[\(T.nsInode(u.pid, "net")!)]")

        let c = try Self.target([.network])
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        let (_, viaNsenter) = try T.run(["nsenter", "-t", "\(c.pid)", "-n", "readlink", "/proc/self/ns/net"])
        #expect(T.trimmed(viaNsenter) == "net:[\(T.nsInode(c.pid, "net")!)]")
    }

    @Test func joinErrors() throws {
        #expect { try Container.join(JoinConfiguration(target: .process(999_999_999), ["true"])) } throws: {
            ($0 as? NSCoreError)?.code == .notFound && "\($0)".contains("999999999")
        }
        #expect { try Container.join(JoinConfiguration(target: .process(-1), ["true"])) } throws: {
            ($0 as? NSCoreError)?.code == .invalidArgument
        }
        #expect { try Container.join(JoinConfiguration(target: .paths([.network: "/etc/passwd"]), ["true"])) } throws: {
            ($0 as? NSCoreError)?.code == .invalidArgument && "\($0)".contains("not a namespace")
        }
        #expect { try Container.join(JoinConfiguration(target: .paths([.network: "/nonexistent/ns"]), ["true"])) } throws: {
            ($0 as? NSCoreError)?.code == .notFound
        }
        #expect { try Container.join(JoinConfiguration(target: .paths([.uts: "/proc/self/ns/net"]), ["true"])) } throws: {
            "\($0)".contains("net namespace, not uts")
        }
        // An exited pid.
        let gone = try Container.spawn(SpawnConfiguration(["true"]))
        let pid = gone.pid
        _ = try gone.wait()
        #expect { try Container.join(JoinConfiguration(target: .process(pid), ["true"])) } throws: {
            let c = ($0 as? NSCoreError)?.code
            return c == .notFound || c == .processExited
        }
    }
}

@Suite(.serialized)
struct PersistUnshareTests {
    @Test func persistJoinByPathUnpersist() throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.network]))
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        let path = "/tmp/nscore-test-netns-\(getpid())"
        try Persist.persist(.network, of: c.pid, at: path)
        var st = stat()
        #expect(stat(path, &st) == 0 && UInt64(st.st_ino) == T.nsInode(c.pid, "net"))
        #expect((T.readFile("/proc/self/mountinfo") ?? "").contains(path))
        // Persisting twice onto the same file is refused.
        #expect(throws: NSCoreError.self) { try Persist.persist(.network, of: c.pid, at: path) }
        _ = try c.stop(timeout: .seconds(1))
        // The namespace outlives its last process.
        let (_, out) = try T.join(JoinConfiguration(target: .paths([.network: path]), ["readlink", "/proc/self/ns/net"]))
        #expect(T.trimmed(out) == "net:[\(st.st_ino)]")
        try Persist.unpersist(at: path)
        #expect(access(path, F_OK) != 0)
        #expect(!(T.readFile("/proc/self/mountinfo") ?? "").contains(path))
        #expect(throws: NSCoreError.self) { try Persist.unpersist(at: "/etc/passwd", remove: false) }
    }

    @Test func persistedPIDNamespaceWithoutInitCannotBeJoined() throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.pid]))
        let path = "/tmp/nscore-test-pidns-\(getpid())"
        try Persist.persist(.pid, of: c.pid, at: path)
        defer { try? Persist.unpersist(at: path) }
        _ = try c.stop(timeout: .seconds(1))
        #expect { try Container.join(JoinConfiguration(target: .paths([.pid: path]), ["true"])) } throws: {
            let e = $0 as? NSCoreError
            return e?.code == .processExited && "\($0)".contains("no init")
        }
        #expect(!T.hasChildren())
    }

    @Test func unshareRefusesMountInAThreadedProcess() throws {
        // The test runner has several threads.
        #expect { try Unshare.unshare([.mount]) } throws: {
            ($0 as? NSCoreError)?.code == .busy && "\($0)".contains("threads")
        }
        #expect { try Unshare.unshare([]) } throws: { ($0 as? NSCoreError)?.code == .invalidArgument }
    }

    @Test func threadNamespaceRunsInsideAndRestores() throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.network, .uts]) )
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        let mine = T.readFile("/proc/thread-self/ns/net")
        _ = mine
        var mineSt = stat(), inside = stat(), after = stat()
        stat("/proc/thread-self/ns/net", &mineSt)
        _ = try ThreadNamespace.run(in: [.network], of: c.pid) { () throws(NSCoreError) in
            stat("/proc/thread-self/ns/net", &inside)
        }
        stat("/proc/thread-self/ns/net", &after)
        #expect(UInt64(inside.st_ino) == T.nsInode(c.pid, "net"))
        #expect(after.st_ino == mineSt.st_ino)
        // Restored even when the body throws.
        #expect(throws: NSCoreError.self) {
            try ThreadNamespace.run(in: [.network], of: c.pid) { () throws(NSCoreError) in
                throw NSCoreError(.system, stage: "test")
            }
        }
        stat("/proc/thread-self/ns/net", &after)
        #expect(after.st_ino == mineSt.st_ino)
        #expect(throws: NSCoreError.self) { try ThreadNamespace.run(in: [.mount], of: c.pid) { () throws(NSCoreError) in } }
    }
}

@Suite(.serialized)
struct JoinWorkingDirectoryTests {
    @Test func workingDirectoryOnBothJoinPaths() throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.uts, .mount]))
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        var cfg = JoinConfiguration(target: .process(c.pid), ["pwd"])
        cfg.workingDirectory = "/tmp"
        #expect(try T.join(cfg).1 == "/tmp\n")
        let u = try Container.spawn({ var s = SpawnConfiguration(["sleep", "30"], namespaces: [.uts, .mount]); s.mapRootUser = true; return s }())
        defer { _ = try? u.stop(timeout: .seconds(1)) }
        var ucfg = JoinConfiguration(target: .process(u.pid), ["pwd"])
        ucfg.workingDirectory = "/tmp"
        #expect(try T.join(ucfg).1 == "/tmp\n")
        ucfg.workingDirectory = "/nonexistent-dir"
        #expect { try T.join(ucfg) } throws: { "\($0)".contains("chdir") }
    }
}

@Suite(.serialized)
struct IPNetnsInteropTests {
    @Test func joinANamespaceMadeByIPNetnsAdd() throws {
        let name = "nscore-test-\(getpid())"
        // `ip netns add` makes /run/netns a shared mount the first time; undo that afterwards
        // if it was not there before, so that the test leaves the host's mounts as it found them.
        let hadRunNetns = (T.readFile("/proc/self/mountinfo") ?? "").contains(" /run/netns ")
        #expect(try T.run(["ip", "netns", "add", name]).0 == .exited(0))
        defer {
            _ = try? T.run(["ip", "netns", "delete", name])
            if !hadRunNetns { _ = umount2("/run/netns", Int32(MNT_DETACH)) }
        }
        let path = "/run/netns/\(name)"
        let id = try Inspect.namespace(atPath: path)
        #expect(id.kind == .network)
        let (status, out) = try T.join(JoinConfiguration(target: .paths([.network: path]), ["readlink", "/proc/self/ns/net"]))
        #expect(status == .exited(0))
        #expect(T.trimmed(out) == "net:[\(id.inode)]")
        // And `ip netns exec` sees a namespace NSCore persisted.
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.network]))
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        let mine = "nscore-test-p\(getpid())"
        try Persist.persist(.network, of: c.pid, at: "/run/netns/\(mine)")
        defer { try? Persist.unpersist(at: "/run/netns/\(mine)") }
        let (_, viaIP) = try T.run(["ip", "netns", "exec", mine, "readlink", "/proc/self/ns/net"])
        #expect(T.trimmed(viaIP) == "net:[\(T.nsInode(c.pid, "net")!)]")
    }
}
