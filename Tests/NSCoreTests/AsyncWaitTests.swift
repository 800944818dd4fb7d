import Glibc
import Testing
@testable import NSCore

/// `Container.wait() async`: the shared epoll poller, cancellation, and already-ended processes.
@Suite(.serialized)
struct AsyncWaitTests {
    private static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
    }

    /// In an async function `wait()` names the async overload; a synchronous context reaches the
    /// blocking one.
    private static func blockingWait(_ c: Container) throws -> NSCore.ExitStatus { try c.wait() }

    /// Each task spawns and then awaits its container. A wait that blocked its thread would let only
    /// as many tasks run as the pool has threads (the core count), so 200 × 0.2 s would take
    /// 20 s on 2 cores; parked on the poller they overlap.
    @Test func manyWaitsShareOnePoller() async throws {
        // The first wait creates the poller's epoll fd, which it keeps; count fds after it.
        _ = try await Container.spawn(SpawnConfiguration(["sleep", "0.05"])).wait()
        let fdsBefore = T.fdCount()
        let t0 = Self.now()
        let statuses = try await withThrowingTaskGroup(of: NSCore.ExitStatus.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    let c = try Container.spawn(SpawnConfiguration(["sleep", "0.2"]))
                    return try await c.wait()
                }
            }
            var all: [NSCore.ExitStatus] = []
            for try await s in group { all.append(s) }
            return all
        }
        let elapsed = Self.now() - t0
        #expect(statuses.count == 200)
        #expect(statuses.allSatisfy { $0 == .exited(0) })
        #expect(elapsed < 1500, "200 awaited containers took \(elapsed) ms")
        // Every duplicated pidfd was closed when its wait ended.
        #expect(T.fdCount() == fdsBefore)
    }

    @Test func exitCodeAndSignal() async throws {
        let c = try Container.spawn(SpawnConfiguration(["sh", "-c", "exit 7"]))
        #expect(try await c.wait() == .exited(7))
        let k = try Container.spawn(SpawnConfiguration(["sleep", "30"]))
        try k.signal(SIGKILL)
        #expect(try await k.wait() == .signaled(SIGKILL))
    }

    @Test func cancelledWaitLeavesTheProcessRunning() async throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"]))
        defer { _ = try? c.stop(timeout: .zero) }
        let task = Task { try await c.wait() }
        try await Task.sleep(for: .milliseconds(100))
        let t0 = Self.now()
        task.cancel()
        do {
            let s = try await task.value
            Issue.record("a cancelled wait returned \(s)")
        } catch let e as NSCoreError {
            #expect(e.errno == Errno(rawValue: ECANCELED))
        }
        #expect(Self.now() - t0 < 1000)
        // Not killed: still running, and it can be awaited again.
        #expect(try c.poll() == nil)
        try c.signal(SIGKILL)
        #expect(try await c.wait() == .signaled(SIGKILL))
    }

    @Test func cancelledBeforeWaiting() async throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"]))
        defer { _ = try? c.stop(timeout: .zero) }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await c.wait()
        }
        await #expect(throws: NSCoreError.self) { try await task.value }
        #expect(try c.poll() == nil)
    }

    @Test func alreadyExited() async throws {
        // Exited but not reaped: the pidfd is readable at once.
        let c = try Container.spawn(SpawnConfiguration(["true"]))
        usleep(200_000)
        #expect(try await c.wait() == .exited(0))
        // Reaped already (by the blocking wait): the stored status, again.
        let d = try Container.spawn(SpawnConfiguration(["sh", "-c", "exit 3"]))
        #expect(try Self.blockingWait(d) == .exited(3))
        #expect(try await d.wait() == .exited(3))
        #expect(try await d.wait() == .exited(3))
    }

    @Test func detachedHandleThrows() async throws {
        let c = try Container.spawn(SpawnConfiguration(["true"]))
        c.detach()
        await #expect(throws: NSCoreError.self) { try await c.wait() }
        // Detached: the test reaps it, or it stays a zombie child for the tests after it.
        var status: Int32 = 0
        _ = waitpid(c.pid, &status, 0)
    }
}
