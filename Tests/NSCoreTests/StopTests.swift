import Glibc
import Testing
@testable import NSCore

/// `Container.stop(timeout:)` and the signal dispositions it reads.
@Suite(.serialized)
struct StopTests {
    private static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
    }

    /// Waits (up to 10 s) until process `pid` has a handler for `signal`.
    private static func waitCaught(_ c: Container, _ signal: Int32) -> Bool {
        for _ in 0..<200 {
            if let d = try? c.signalDisposition(), d.catches(signal) { return true }
            usleep(50_000)
        }
        return false
    }

    @Test func parsesStatusMasks() {
        let text = """
            Name:\tsleep
            Pid:\t4242
            NSpid:\t4242\t1
            TracerPid:\t0
            SigBlk:\t0000000000000000
            SigIgn:\t0000000000000004
            SigCgt:\t0000000000001002

            """
        let d = SignalDisposition.parse(Array(text.utf8))
        #expect(d == SignalDisposition(caught: 0x1002, ignored: 0x4, isNamespaceInit: true))
        #expect(d?.catches(SIGINT) == true && d?.catches(SIGTERM) == false)
        #expect(d?.ignores(SIGQUIT) == true)
        // PID 1 drops what it does not handle; never SIGKILL.
        #expect(d?.drops(SIGTERM) == true && d?.drops(SIGINT) == false && d?.drops(SIGKILL) == false)
        let notInit = SignalDisposition(caught: 0, ignored: 1 << (UInt64(SIGTERM) - 1), isNamespaceInit: false)
        #expect(notInit.drops(SIGTERM) && !notInit.drops(SIGINT))
        var blocked = SignalDisposition(caught: 0, ignored: 0, blocked: 1 << (UInt64(SIGTERM) - 1),
                                        isNamespaceInit: true)
        #expect(!blocked.drops(SIGTERM))
        // Blocked but ignored: discarded once unblocked.
        blocked.ignored = blocked.blocked
        #expect(blocked.drops(SIGTERM))
        #expect(SignalDisposition.parse(Array("Name:\tx\n".utf8)) == nil)
        // Waiting in rt_sigtimedwait: every signal counts as received.
        var waiting = SignalDisposition(caught: 0, ignored: 0, isNamespaceInit: true)
        #expect(waiting.drops(SIGTERM))
        waiting.isWaitingForSignals = true
        #expect(!waiting.drops(SIGTERM))
        #expect(!SignalDisposition.isSigtimedwait(Array("running\n".utf8)))
        #expect(!SignalDisposition.isSigtimedwait(Array("-1 0x7ffd 0x0\n".utf8)))
        #if arch(x86_64)
        #expect(SignalDisposition.isSigtimedwait(Array("128 0x7ffd 0x0 0x0 0x8 0x0 0x0 0x7ffd 0x4011\n".utf8)))
        #endif
    }

    @Test(.enabled(if: T.isRoot)) func pid1InitRelaysSigterm() throws {
        var config = SpawnConfiguration(["sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.05; done"],
                                        namespaces: [.pid])
        config.useInit = true
        let c = try Container.spawn(config)
        defer { _ = try? c.stop(timeout: .zero) }
        // The init waits in rt_sigtimedwait: SigCgt and SigBlk show nothing for SIGTERM.
        var waiting = false
        for _ in 0..<200 {
            if let d = try? c.signalDisposition(), d.isWaitingForSignals { waiting = true; break }
            usleep(20_000)
        }
        #expect(waiting)
        #expect(try !c.signalDisposition().drops(SIGTERM))
        // Once sh (the init's child) has set its trap, stop: the init relays SIGTERM, sh exits 3.
        var trapped = false
        for _ in 0..<200 {
            let children = T.readFile("/proc/\(c.pid)/task/\(c.pid)/children") ?? ""
            if let sh = children.split(separator: " ").first.flatMap({ pid_t($0) }),
               let d = try? SignalDisposition.read(pid: sh), d.catches(SIGTERM) {
                trapped = true
                break
            }
            usleep(20_000)
        }
        #expect(trapped)
        #expect(try c.stop(timeout: .seconds(10)) == .exited(3))
    }

    @Test(.enabled(if: T.isRoot)) func pid1WithoutHandlerIsKilledAtOnce() throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.pid]))
        defer { _ = try? c.stop(timeout: .zero) }
        let d = try c.signalDisposition()
        #expect(d.isNamespaceInit && !d.catches(SIGTERM) && d.drops(SIGTERM))
        let t0 = Self.now()
        let status = try c.stop(timeout: .seconds(10))
        #expect(status == .signaled(SIGKILL))
        #expect(Self.now() - t0 < 2000)
        // No timeout at all: still killed, not waited for forever.
        let d2 = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.pid]))
        defer { _ = try? d2.stop(timeout: .zero) }
        #expect(try d2.stop(timeout: nil) == .signaled(SIGKILL))
    }

    @Test(.enabled(if: T.isRoot)) func pid1WithTermTrapGetsSigterm() throws {
        let c = try Container.spawn(SpawnConfiguration(
            ["sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.05; done"], namespaces: [.pid]))
        defer { _ = try? c.stop(timeout: .zero) }
        #expect(Self.waitCaught(c, SIGTERM))
        #expect(try !c.signalDisposition().drops(SIGTERM))
        let t0 = Self.now()
        #expect(try c.stop(timeout: .seconds(10)) == .exited(3))
        #expect(Self.now() - t0 < 5000)
    }

    @Test func notPID1GetsSigtermFirst() throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"]))
        defer { _ = try? c.stop(timeout: .zero) }
        #expect(try !c.signalDisposition().isNamespaceInit)
        #expect(try c.stop(timeout: .seconds(10)) == .signaled(SIGTERM))
        // A process that traps TERM (and ignores it after) still gets SIGTERM, then SIGKILL.
        let script = "trap '' TERM; trap 'exit 4' INT; while :; do sleep 0.05; done"
        let t = try Container.spawn(SpawnConfiguration(["sh", "-c", script]))
        defer { _ = try? t.stop(timeout: .zero) }
        #expect(Self.waitCaught(t, SIGINT))
        let d = try t.signalDisposition()
        #expect(d.ignores(SIGTERM) && d.drops(SIGTERM))
        let t0 = Self.now()
        // It ignores SIGTERM: killed at once rather than after the timeout.
        #expect(try t.stop(timeout: .seconds(10)) == .signaled(SIGKILL))
        #expect(Self.now() - t0 < 2000)
    }

    @Test func stopOfAnEndedProcessReturnsItsStatus() throws {
        let c = try Container.spawn(SpawnConfiguration(["sh", "-c", "exit 5"]))
        #expect(try c.wait() == .exited(5))
        #expect(try c.stop() == .exited(5))
        #expect(throws: NSCoreError.self) { try c.signalDisposition() }
        #expect(throws: NSCoreError.self) { try c.stop(timeout: .milliseconds(-1)) }
    }
}
