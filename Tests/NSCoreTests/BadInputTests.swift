import CNSCoreShim
import Glibc
import Testing
@testable import NSCore

@Suite(.serialized)
struct BadInputTests {
    func expectError(_ cfg: SpawnConfiguration, code: NSCoreError.Code, mentions: String) {
        do {
            _ = try Container.spawn(cfg)
            Issue.record("spawn succeeded, expected \(code)")
        } catch {
            #expect(error.code == code, "\(error)")
            #expect(error.message.contains(mentions), "\(error.message)")
        }
    }

    @Test func eachBadInputHasItsOwnClearError() {
        expectError(SpawnConfiguration([]), code: .invalidArgument, mentions: "argv is empty")
        expectError(SpawnConfiguration(["/nonexistent/cmd"]), code: .notFound, mentions: "/nonexistent/cmd")
        expectError(SpawnConfiguration(["no-such-command-xyz"]), code: .notFound, mentions: "no-such-command-xyz")
        expectError(SpawnConfiguration(["/etc"]), code: .permissionDenied, mentions: "directory")
        var long = SpawnConfiguration(["true"], namespaces: [.uts])
        long.hostname = String(repeating: "x", count: 65)
        expectError(long, code: .invalidArgument, mentions: "64")
        var hostOnHost = SpawnConfiguration(["true"])
        hostOnHost.hostname = "oops"
        expectError(hostOnHost, code: .invalidArgument, mentions: "UTS")
        var procNoMount = SpawnConfiguration(["true"], namespaces: [.pid])
        procNoMount.mountProc = true
        expectError(procNoMount, code: .invalidArgument, mentions: "mount namespace")
        var sharedNoMount = SpawnConfiguration(["true"], namespaces: [.pid])
        sharedNoMount.rootPropagation = .shared
        expectError(sharedNoMount, code: .invalidArgument, mentions: "root propagation: making / shared needs a new mount namespace")
        var badFD = SpawnConfiguration(["true"])
        badFD.stdout = .fd(9999)
        expectError(badFD, code: .invalidArgument, mentions: "9999")
        var nul = SpawnConfiguration(["echo", "a\u{0}b"])
        nul.executable = "/bin/echo"
        expectError(nul, code: .invalidArgument, mentions: "NUL")
        var env = SpawnConfiguration(["true"])
        env.environment = ["NOEQUALS"]
        expectError(env, code: .invalidArgument, mentions: "NOEQUALS")
        var cwd = SpawnConfiguration(["true"])
        cwd.workingDirectory = "/nonexistent-dir"
        expectError(cwd, code: .childSetupFailed, mentions: "chdir /nonexistent-dir")
        #expect(throws: NSCoreError.self) { try NamespaceSet(validating: 0x100) }
        #expect(throws: NSCoreError.self) { try NamespaceSet(parsing: "net,bogus") }
    }

    @Test func failuresLeaveNoProcessFdOrMountBehind() throws {
        let fds = T.fdCount(), mounts = T.mountCount()
        for i in 0..<50 {
            var bad = SpawnConfiguration(["true"], namespaces: [.mount, .pid, .uts])
            if i % 2 == 0 { bad.workingDirectory = "/nonexistent-dir" } else { bad.arguments = ["/nonexistent"] }
            _ = try? Container.spawn(bad)
            _ = try T.run(["true"], [.mount, .pid, .uts])
        }
        #expect(T.fdCount() == fds)
        #expect(T.mountCount() == mounts)
        #expect(!T.hasChildren())
    }

    /// An unprivileged caller: credentials are per thread in Linux, so a thread that drops to
    /// uid 65534 with the raw syscalls calls the library as nobody while the rest of the test
    /// process stays root. Without a user namespace, a network namespace is refused with an
    /// error that says what to add; with one (root mapped) the same spawn works.
    @Test func rootlessSpawnWithoutUserNamespaceIsPermissionDenied() throws {
        final class Result: @unchecked Sendable {
            var dropped: Int32 = -1
            var denied: NSCoreError?
            var spawnedWithUser: NSCore.ExitStatus?
            var other: String?
        }
        let result = Result()
        var thread = pthread_t()
        let ctx = Unmanaged.passRetained(result).toOpaque()
        #expect(pthread_create(&thread, nil, { raw in
            let r = Unmanaged<Result>.fromOpaque(raw!).takeRetainedValue()
            r.dropped = nsc_shim_thread_drop_to(65534, 65534)
            guard r.dropped == 0 else { return nil }
            do {
                _ = try Container.spawn(SpawnConfiguration(["true"], namespaces: [.network]))
                r.other = "a network namespace was created without privilege"
            } catch {
                r.denied = error as? NSCoreError
            }
            do {
                var cfg = SpawnConfiguration(["true"], namespaces: [.network])
                cfg.mapRootUser = true
                r.spawnedWithUser = try Container.spawn(cfg).wait()
            } catch {
                r.other = "with a user namespace: \(error)"
            }
            return nil
        }, ctx) == 0)
        pthread_join(thread, nil)
        #expect(result.dropped == 0)
        #expect(result.other == nil, "\(result.other ?? "")")
        #expect(result.denied?.code == .permissionDenied)
        #expect(result.denied?.message.contains("user namespace") == true, "\(result.denied?.message ?? "")")
        #expect(result.spawnedWithUser == .exited(0))
        #expect(getuid() == 0 || !T.isRoot)  // the rest of the process kept its credentials
    }
}

@Suite(.serialized)
struct ConcurrencyTests {
    @Test func twoHundredParallelSpawnsFromManyThreads() throws {
        let threads = 8, perThread = 25
        final class Box: @unchecked Sendable { var ok = 0; var failures: [String] = []; var lock = pthread_mutex_t() }
        let box = Box()
        pthread_mutex_init(&box.lock, nil)
        var tids: [pthread_t] = []
        for _ in 0..<threads {
            var tid = pthread_t()
            let ctx = Unmanaged.passRetained(box).toOpaque()
            pthread_create(&tid, nil, { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                for _ in 0..<25 {
                    do {
                        let c = try Container.spawn(SpawnConfiguration(["/bin/true"], namespaces: [.uts, .ipc]))
                        let s = try c.wait()
                        pthread_mutex_lock(&box.lock)
                        if s == .exited(0) { box.ok += 1 } else { box.failures.append("\(s)") }
                        pthread_mutex_unlock(&box.lock)
                    } catch let error as NSCoreError {
                        pthread_mutex_lock(&box.lock)
                        box.failures.append(error.message)
                        pthread_mutex_unlock(&box.lock)
                    } catch {
                        pthread_mutex_lock(&box.lock)
                        box.failures.append("\(error)")
                        pthread_mutex_unlock(&box.lock)
                    }
                }
                return nil
            }, ctx)
            tids.append(tid)
        }
        for t in tids { pthread_join(t, nil) }
        #expect(box.failures.isEmpty, "\(box.failures.prefix(3))")
        #expect(box.ok == threads * perThread)
        #expect(!T.hasChildren())
    }

}

@Suite(.serialized)
struct HandshakeTests {
    @Test func aChildThatDiesBeforeGoIsAnErrorNotASIGPIPE() throws {
        // With SIGPIPE at its default action, a plain write to the dead child's socket would
        // end this test process.
        let old = signal(SIGPIPE, SIG_DFL)
        defer { signal(SIGPIPE, old) }
        var cfg = SpawnConfiguration(["true"], namespaces: [.user])
        cfg.mapRootUser = true
        let plan = try SpawnPlanner.plan(cfg)
        plan.parentActions = [ParentAction { pid throws(NSCoreError) in
            kill(pid, SIGKILL)
            // Wait until it is a zombie, so its end of the socket is closed.
            while let stat = T.readFile("/proc/\(pid)/stat"), !stat.contains(") Z ") { usleep(1000) }
            return nil
        }]
        #expect {
            _ = try Spawner.run(plan)
        } throws: { error in
            // The go byte cannot reach a dead child: depending on how the spawn learns of exec,
            // the send fails (EPIPE) or the spawn sees the child die before exec.
            let e = error as? NSCoreError
            return (e?.stage == "handshake (send go)" && e?.errno?.rawValue == EPIPE)
                || (e?.code == .childSetupFailed && e?.message.contains("killed by signal 9 before it could exec") == true)
        }
        #expect(!T.hasChildren())
    }

    /// The spawning thread dies while the child waits for "go" (the maps are never written):
    /// the child must notice and exit, not wait forever.
    @Test func aChildWhoseSpawningThreadDiesBeforeGoExitsInsteadOfHanging() throws {
        final class Shared: @unchecked Sendable { var pid: pid_t = 0 }
        let shared = Shared()
        var cfg = SpawnConfiguration(["true"], namespaces: [.user, .network])
        cfg.mapRootUser = true
        let plan = try SpawnPlanner.plan(cfg)
        final class Context: @unchecked Sendable {
            let plan: SpawnPlan, shared: Shared
            init(_ plan: SpawnPlan, _ shared: Shared) { self.plan = plan; self.shared = shared }
        }
        let context = Unmanaged.passRetained(Context(plan, shared)).toOpaque()
        var thread = pthread_t()
        #expect(pthread_create(&thread, nil, { raw in
            let c = Unmanaged<Context>.fromOpaque(raw!).takeUnretainedValue()
            c.plan.parentActions = [ParentAction { pid throws(NSCoreError) in
                c.shared.pid = pid
                nsc_shim_exit_thread_now()  // dies holding the lock the child waits on
            }]
            _ = try? Spawner.run(c.plan)
            return nil
        }, context) == 0)
        pthread_join(thread, nil)
        let pid = shared.pid
        #expect(pid > 0)
        // The child reports ECONNABORTED and exits 127, within the 1 s futex safety net at most.
        var status: Int32 = 0
        var reaped: pid_t = 0
        for _ in 0..<500 where reaped == 0 {
            reaped = waitpid(pid, &status, WNOHANG)
            if reaped == 0 { usleep(10_000) }
        }
        #expect(reaped == pid, "the child still waits for go")
        #expect((status & 0x7f) == 0 && (status >> 8) & 0xff == 127)
        if reaped == 0 { kill(pid, SIGKILL); waitpid(pid, &status, 0) }
    }
}
