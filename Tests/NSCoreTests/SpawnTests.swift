import CNSCoreShim
import Glibc
import Testing
@testable import NSCore

@Suite(.serialized)
struct SpawnTests {
    @Test func plainSpawnReportsExitCodes() throws {
        #expect(try T.run(["/bin/true"]).0 == .exited(0))
        #expect(try T.run(["sh", "-c", "exit 7"]).0 == .exited(7))
        #expect(try T.run(["sh", "-c", "kill -9 $$"]).0 == .signaled(SIGKILL))
    }

    @Test func eachNamespaceKindIsNewFromOutsideAndInside() throws {
        let me = getpid()
        for kind in NamespaceKind.allCases {
            var cfg = SpawnConfiguration(["sleep", "5"], namespaces: NamespaceSet(kind))
            if kind == .user { cfg.mapRootUser = true }
            let c = try Container.spawn(cfg)
            defer { _ = try? c.stop(timeout: .seconds(1)) }
            // From outside: the kind's inode differs from ours; a kind we did not ask for is shared.
            #expect(T.nsInode(c.pid, kind.procName) != T.nsInode(me, kind.procName), "\(kind)")
            let other: NamespaceKind = kind == .uts ? .ipc : .uts
            #expect(T.nsInode(c.pid, other.procName) == T.nsInode(me, other.procName), "\(kind) vs \(other)")
        }
        // From inside: the command sees its own namespace links differ from the host's.
        let (status, out) = try T.run(["readlink", "/proc/self/ns/net", "/proc/self/ns/uts"], [.network, .uts])
        #expect(status == .exited(0))
        let host = "net:[\(T.nsInode(me, "net")!)]"
        #expect(!out.contains(host))
    }

    @Test func hostnameIsIsolated() throws {
        let before = T.hostname()
        let (status, out) = try T.run(["hostname"], [.uts]) { $0.hostname = "nscore-box"; $0.domainname = "example" }
        #expect(status == .exited(0))
        #expect(T.trimmed(out) == "nscore-box")
        #expect(T.hostname() == before)
        let (_, dom) = try T.run(["cat", "/proc/sys/kernel/domainname"], [.uts]) { $0.domainname = "example" }
        #expect(T.trimmed(dom) == "example")
    }

    @Test func pidNamespaceMakesCommandPID1AndRemountsProc() throws {
        let (status, out) = try T.run(["sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'"], [.pid, .mount])
        #expect(status == .exited(0))
        let lines = out.split(separator: "\n")
        #expect(lines.first == "1")
        // Only sh and ls (and grep) are visible in the new PID namespace.
        #expect((Int(lines.last ?? "99") ?? 99) <= 4)
    }

    @Test func newNetworkNamespaceHasOnlyLoopbackUp() throws {
        let (status, out) = try T.run(["cat", "/proc/net/dev"], [.network])
        #expect(status == .exited(0))
        let devices = out.split(separator: "\n").dropFirst(2).map { $0.split(separator: ":")[0].trimmingSpaces() }
        #expect(devices == ["lo"])
        let (_, flags) = try T.run(["cat", "/sys/class/net/lo/operstate", "/sys/class/net/lo/flags"], [.network, .mount]) { _ in }
        // IFF_UP is bit 0 of the flags.
        let flagLine = flags.split(separator: "\n").last.map(String.init) ?? "0x0"
        #expect((Int(flagLine.dropFirst(2), radix: 16) ?? 0) & 1 == 1)
    }

    @Test func ipcObjectsAreInvisibleAcrossNamespaces() throws {
        let (status, out) = try T.run(["sh", "-c", "ipcmk -Q >/dev/null && ipcs -q | grep -c '^0x'"], [.ipc])
        #expect(status == .exited(0))
        #expect(T.trimmed(out) == "1")
        // The host's queue list does not grow.
        let hostQueues = (T.readFile("/proc/sysvipc/msg") ?? "").split(separator: "\n").count
        #expect(hostQueues <= 1)
    }

    @Test func mountsInsideDoNotReachTheHost() throws {
        let before = T.readFile("/proc/self/mountinfo") ?? ""
        let (status, out) = try T.run(["sh", "-c", "mount -t tmpfs nscore-test-tmpfs /mnt && grep -c nscore-test-tmpfs /proc/self/mountinfo"], [.mount])
        #expect(status == .exited(0))
        #expect(T.trimmed(out) == "1")
        let after = T.readFile("/proc/self/mountinfo") ?? ""
        #expect(!after.contains("nscore-test-tmpfs"))
        #expect(before.split(separator: "\n").count == after.split(separator: "\n").count)
    }

    @Test func rootPropagationIsPrivateByDefault() throws {
        let (status, out) = try T.run(["sh", "-c", "grep ' / / ' /proc/self/mountinfo"], [.mount])
        #expect(status == .exited(0))
        #expect(!out.contains("shared:"))
        let (_, shared) = try T.run(["sh", "-c", "grep ' / / ' /proc/self/mountinfo"], [.mount]) { $0.rootPropagation = .shared }
        #expect(shared.contains("shared:"))
    }

    @Test func allEightWithMapRootUser() throws {
        let (status, out) = try T.run(["sh", "-c", "id -u; id -g; cat /proc/self/uid_map"], .all) { $0.mapRootUser = true }
        #expect(status == .exited(0))
        let lines = out.split(separator: "\n").map { $0.trimmingSpaces() }
        #expect(lines.first == "0")
        #expect(lines.dropFirst().first == "0")
        #expect(lines.last?.split(separator: " ", omittingEmptySubsequences: true) == ["0", "\(geteuid())", "1"])
    }

    @Test func timeNamespaceIsEnteredAtExec() throws {
        let (status, out) = try T.run(["readlink", "/proc/self/ns/time"], [.time])
        #expect(status == .exited(0))
        #expect(T.trimmed(out) != "time:[\(T.nsInode(getpid(), "time")!)]")
    }

    @Test func commandStartsWithCleanSignalStateAndOnlyStdio() throws {
        // Ignore SIGTERM and block SIGUSR1 in the host; leak an fd without CLOEXEC.
        signal(SIGTERM, SIG_IGN)
        defer { signal(SIGTERM, SIG_DFL) }
        var set = sigset_t(), old = sigset_t()
        sigemptyset(&set); sigaddset(&set, SIGUSR1)
        pthread_sigmask(SIG_BLOCK, &set, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        let leaked = open("/dev/null", O_RDONLY)  // deliberately without O_CLOEXEC
        defer { close(leaked) }
        let (status, out) = try T.run(["sh", "-c", "grep -E 'SigBlk|SigIgn' /proc/self/status; ls /proc/self/fd"])
        #expect(status == .exited(0))
        let lines = out.split(separator: "\n")
        #expect(lines.contains("SigBlk:\t0000000000000000"))
        // sh ignores nothing by itself for a non-interactive -c.
        #expect(lines.contains("SigIgn:\t0000000000000000"))
        let fds = lines.filter { Int($0) != nil }.compactMap { Int($0) }
        #expect(!fds.contains(Int(leaked)) || leaked <= 3)
        #expect(fds.allSatisfy { $0 <= 3 })  // 0,1,2 and ls's own directory fd
    }

    @Test func aHostWithThousandsOfFdsKeepsThemAndTheCommandGetsOnlyStdio() throws {
        // The child shares the host's fd table at clone and unshares a small copy itself: the
        // host's table must come out untouched, and the command must get only 0-2, even with
        // stdio sources placed above thousands of fds.
        var host: [Int32] = []
        for i in 0..<3000 {
            let fd = i % 2 == 0 ? open("/dev/null", O_RDONLY) : open("/dev/null", O_RDONLY | O_CLOEXEC)
            #expect(fd >= 0)
            host.append(fd)
        }
        defer { host.forEach { close($0) } }
        let flagsBefore = host.map { fcntl($0, F_GETFD) }
        for (ns, mapRoot): (NamespaceSet, Bool) in [([], false), ([.network, .mount, .pid], false), ([.user, .network], true)] {
            let (status, out) = try T.run(["sh", "-c", "ls /proc/self/fd | wc -l; cat"], ns) {
                $0.stdin = .null
                $0.stderr = .null
                $0.mapRootUser = mapRoot  // the handshake: the child waits on the parent's lock
            }
            #expect(status == .exited(0))
            #expect(T.trimmed(out) == "4")  // 0, 1, 2 and ls's directory
        }
        #expect(host.map { fcntl($0, F_GETFD) } == flagsBefore)
        // Joins too: the child setns-es through the fds opened for the call, then keeps 0-2.
        let target = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.network, .uts]))
        defer { _ = try? target.stop(timeout: .seconds(1)) }
        let net = "net:[\(T.nsInode(target.pid, "net")!)]"
        let script = ["sh", "-c", "ls /proc/self/fd | wc -l; readlink /proc/self/ns/net"]
        for joinTarget in [JoinTarget.process(target.pid), .paths([.network: "/proc/\(target.pid)/ns/net"])] {
            let (joined, listed) = try T.join(JoinConfiguration(target: joinTarget, script))
            #expect(joined == .exited(0))
            #expect(listed == "4\n\(net)\n", "\(joinTarget)")
        }
        #expect(host.map { fcntl($0, F_GETFD) } == flagsBefore)
        // A failure after clone (in the child) also leaves the host's table alone.
        #expect(throws: NSCoreError.self) { _ = try T.run(["true"]) { $0.workingDirectory = "/nonexistent-dir" } }
        #expect(host.map { fcntl($0, F_GETFD) } == flagsBefore)
        #expect(fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0)
    }

    @Test func stdioSources() throws {
        let (status, out) = try T.run(["sh", "-c", "cat; echo done"]) { $0.stdin = .null }
        #expect(status == .exited(0))
        #expect(T.trimmed(out) == "done")
    }

    @Test func environmentAndWorkingDirectory() throws {
        let (status, out) = try T.run(["sh", "-c", "echo $FOO; pwd"]) {
            $0.environment = ["FOO=bar", "PATH=/usr/bin:/bin"]
            $0.workingDirectory = "/tmp"
        }
        #expect(status == .exited(0))
        #expect(out == "bar\n/tmp\n")
    }

    @Test func argumentsAndEnvironmentFromCStringsArePassedByteForByte() throws {
        // Bytes that are not UTF-8 reach the command unchanged (a String would repair them).
        let raw: [[CChar]] = [Array("sh".utf8CString), Array("-c".utf8CString),
                              Array("printf '%s|%s|%s' \"$1\" \"$FOO\" \"$#\" | od -An -tx1".utf8CString),
                              Array("x".utf8CString), [CChar(bitPattern: 0xff), CChar(bitPattern: 0xfe), 0]]
        let env: [[CChar]] = [Array("FOO=b\u{e9}".utf8CString), Array("PATH=/usr/bin:/bin".utf8CString)]
        var pointers = raw.map { strdup($0)! } as [UnsafeMutablePointer<CChar>?]
        var envPointers = env.map { strdup($0)! } as [UnsafeMutablePointer<CChar>?]
        envPointers.append(nil)
        defer { pointers.forEach { free($0) }; envPointers.forEach { free($0) } }
        var cfg = SpawnConfiguration([])
        cfg.setArguments(cStrings: &pointers, count: pointers.count)
        cfg.setEnvironment(cStrings: &envPointers)
        #expect(cfg.arguments.count == 5)
        #expect(cfg.arguments[2].hasPrefix("printf"))
        #expect(cfg.environment == ["FOO=b\u{e9}", "PATH=/usr/bin:/bin"])
        let (status, out) = try T.run(cfg)
        #expect(status == .exited(0))
        // "\xff\xfe|b\xc3\xa9|1" in hex ($0 is "x").
        #expect(out.split(whereSeparator: { $0 == " " || $0 == "\n" }) == ["ff", "fe", "7c", "62", "c3", "a9", "7c", "31"])
        // Assigning `arguments` replaces what the C strings set; nil inherits the environment.
        cfg.arguments = ["true"]
        cfg.setEnvironment(cStrings: nil)
        #expect(cfg.environment == nil)
        #expect(try T.run(cfg).0 == .exited(0))
    }

    @Test func commandSearchFollowsTheChildsPath() throws {
        // The child's PATH decides, as execvp would; an empty entry is the current directory.
        var template = Array("/tmp/nscore-path.XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        func create(_ name: String, _ text: String, mode: mode_t) {
            let fd = open(dir + "/" + name, O_WRONLY | O_CREAT | O_CLOEXEC, mode)
            _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
            close(fd)
        }
        create("tool", "#!/bin/sh\necho found-it\n", mode: 0o755)
        create("noexec", "x", mode: 0o644)
        defer { unlink(dir + "/tool"); unlink(dir + "/noexec"); rmdir(dir) }

        var (status, out) = try T.run(["tool"]) { $0.environment = ["PATH=/nonexistent:\(dir)"] }
        #expect(status == .exited(0) && out == "found-it\n")

        var saved = [CChar](repeating: 0, count: Int(PATH_MAX))
        _ = getcwd(&saved, saved.count)
        _ = chdir(dir)
        let relative = Result { try T.run(["tool"]) { $0.environment = ["PATH=/nonexistent::/bin"] } }
        _ = chdir(saved)
        (status, out) = try relative.get()
        #expect(status == .exited(0) && out == "found-it\n")

        var noexec = SpawnConfiguration(["noexec"])
        noexec.environment = ["PATH=\(dir)"]
        do {
            _ = try Container.spawn(noexec)
            Issue.record("a file without x permission was run")
        } catch {
            #expect(error.code == .permissionDenied && error.message.contains("not executable"), "\(error)")
        }
        var elsewhere = SpawnConfiguration(["tool"])
        elsewhere.environment = ["PATH=/a:/b"]
        do {
            _ = try Container.spawn(elsewhere)
            Issue.record("found a command outside PATH")
        } catch {
            #expect(error.code == .notFound && error.message.contains("PATH=/a:/b"), "\(error)")
        }
    }

    @Test func waitTimeoutSignalAndStop() throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"]))
        #expect(try c.wait(timeout: .milliseconds(100)) == nil)
        #expect(try c.poll() == nil)
        let status = try c.stop(timeout: .seconds(2))
        #expect(status == .signaled(SIGTERM))
        #expect(try c.wait() == .signaled(SIGTERM))
        #expect(throws: NSCoreError.self) { try c.signal(SIGTERM) }
        // A process that ignores SIGTERM is killed after the timeout.
        // In a PID namespace, so that the SIGKILL of sh (PID 1) also ends its sleep.
        let stubborn = try Container.spawn(SpawnConfiguration(["sh", "-c", "trap '' TERM; sleep 30"], namespaces: [.pid]))
        usleep(200_000)  // let sh install its trap
        #expect(try stubborn.stop(timeout: .milliseconds(200)) == .signaled(SIGKILL))
    }

    @Test func droppingAHandleKillsAndReaps() throws {
        var pid: pid_t = 0
        do {
            let c = try Container.spawn(SpawnConfiguration(["sleep", "30"]))
            pid = c.pid
        }
        #expect(kill(pid, 0) != 0)
        #expect(!T.hasChildren())
    }
}

@Suite(.serialized)
struct ParentDeathTests {
    /// Spawns `sleep 30` from a short-lived thread and returns the container once the thread ended.
    static func spawnFromExitingThread(killOnParentDeath: Bool) throws -> Container {
        final class Box: @unchecked Sendable { var container: Container?; var error: NSCoreError?; var kill = false }
        let box = Box()
        box.kill = killOnParentDeath
        var tid = pthread_t()
        let ctx = Unmanaged.passRetained(box).toOpaque()
        pthread_create(&tid, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            var cfg = SpawnConfiguration(["sleep", "30"])
            cfg.killOnParentDeath = box.kill
            do { box.container = try Container.spawn(cfg) } catch let e as NSCoreError { box.error = e } catch {}
            return nil
        }, ctx)
        pthread_join(tid, nil)
        if let e = box.error { throw e }
        return box.container!
    }

    @Test func killOnParentDeathFollowsTheSpawningThread() throws {
        let killed = try Self.spawnFromExitingThread(killOnParentDeath: true)
        #expect(try killed.wait(timeout: .seconds(5)) == .signaled(SIGKILL))
        // Without the option, a thread that ends does not take its containers with it.
        let kept = try Self.spawnFromExitingThread(killOnParentDeath: false)
        #expect(try kept.wait(timeout: .milliseconds(300)) == nil)
        #expect(try kept.stop(timeout: .seconds(1)) == .signaled(SIGTERM))
    }
}

@Suite(.serialized)
struct POSIXMessageQueueTests {
    /// A POSIX message queue tool in Python (glibc's mq_open through ctypes): prints whether
    /// queue `argv[1]` can be opened, then creates queue `argv[2]` if given.
    static let tool = """
        import ctypes, os, sys
        rt = ctypes.CDLL("librt.so.1", use_errno=True)
        fd = rt.mq_open(sys.argv[1].encode(), os.O_RDONLY)
        print("visible" if fd >= 0 else "invisible")
        if len(sys.argv) > 2 and sys.argv[2] == "unlink": rt.mq_unlink(sys.argv[1].encode())
        if len(sys.argv) > 2 and sys.argv[2] == "create":
            rt.mq_open(sys.argv[1].encode() + b"-created", os.O_CREAT | os.O_RDWR, 0o600, None)
        """

    @Test func queuesAreInvisibleAcrossIPCNamespaces() throws {
        let host = "/nscore-test-host-\(getpid())"
        // The host creates a queue (tool run in the host's IPC namespace).
        _ = try T.run(["python3", "-c", Self.tool + "\nrt.mq_open(b'\(host)', os.O_CREAT | os.O_RDWR, 0o600, None)", "/unused"])
        defer { _ = try? T.run(["python3", "-c", Self.tool, host, "unlink"]) }
        #expect(try T.run(["python3", "-c", Self.tool, host]).1 == "visible\n")
        // Inside a new IPC namespace the host's queue is invisible; one made inside stays inside.
        let inside = "/nscore-test-inside-\(getpid())"
        #expect(try T.run(["python3", "-c", Self.tool, host], [.ipc]).1 == "invisible\n")
        _ = try T.run(["python3", "-c", Self.tool, inside, "create"], [.ipc])
        #expect(try T.run(["python3", "-c", Self.tool, inside + "-created"]).1 == "invisible\n")
    }
}

@Suite(.serialized)
struct CloneFallbackTests {
    /// The clone() path that kernels without clone3 take, forced on this kernel.
    @Test func spawnAndJoinThroughTheCloneFallback() throws {
        nsc_shim_set_force_clone_fallback(1)
        defer { nsc_shim_set_force_clone_fallback(0) }
        #expect(try T.run(["sh", "-c", "exit 3"]).0 == .exited(3))
        let (status, out) = try T.run(["sh", "-c", "hostname; echo $$; id -u"], [.uts, .pid, .mount, .network, .ipc, .user]) {
            $0.hostname = "fallback"
            $0.mapRootUser = true
        }
        #expect(status == .exited(0))
        #expect(out == "fallback\n1\n0\n")
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.uts, .pid, .mount]))
        defer { _ = try? c.stop(timeout: .seconds(1)) }
        #expect(c.pidfd >= 0)
        let (_, joined) = try T.join(JoinConfiguration(target: .process(c.pid), ["readlink", "/proc/self/ns/pid"]))
        #expect(T.trimmed(joined) == "pid:[\(T.nsInode(c.pid, "pid")!)]")
        #expect { try T.run(["true"], [.uts]) { $0.workingDirectory = "/nonexistent-dir" } } throws: {
            ($0 as? NSCoreError)?.stage == "chdir /nonexistent-dir"
        }
        // Without close_range the child unshares a full copy of the fd table and walks
        // /proc/self/fd: still only 0-2 reach the command, and the host's fds are untouched.
        var host: [Int32] = []
        for _ in 0..<200 { host.append(open("/dev/null", O_RDONLY)) }
        defer { host.forEach { close($0) } }
        let (st, listed) = try T.run(["sh", "-c", "ls /proc/self/fd | wc -l"], [.network]) { $0.stdin = .null }
        #expect(st == .exited(0) && T.trimmed(listed) == "4")
        #expect(host.allSatisfy { fcntl($0, F_GETFD) == 0 })
    }
}
