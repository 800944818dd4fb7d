import CNSCoreShim
import Glibc
import Testing
@testable import NSCore

@Suite(.serialized)
struct PipeTests {
    /// 1 MiB of a repeating pattern, so that truncation or reordering shows.
    static let mebibyte: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }

    @Test func runCollectsStdoutAndStderr() throws {
        let fds = T.fdCount()
        let r = try Container.run(SpawnConfiguration(["sh", "-c", "echo out; echo err >&2; exit 3"], namespaces: [.uts]))
        #expect(r.status == .exited(3))
        #expect(r.stdout == Array("out\n".utf8))
        #expect(r.stderr == Array("err\n".utf8))
        #expect(T.fdCount() == fds)
    }

    @Test func oneMebibyteBothWaysThroughCat() throws {
        let fds = T.fdCount()
        let r = try Container.run(SpawnConfiguration(["cat"], namespaces: [.pid]), input: Self.mebibyte)
        #expect(r.status == .exited(0))
        #expect(r.stdout.count == Self.mebibyte.count)
        #expect(r.stdout == Self.mebibyte)
        #expect(r.stderr.isEmpty)
        #expect(T.fdCount() == fds)
    }

    @Test func largeOutputOnBothStreamsBeforeReadingInput() throws {
        // Writes 1 MiB to each output before it reads stdin: a sequential reader would deadlock.
        let script = "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2; wc -c"
        let r = try Container.run(SpawnConfiguration(["sh", "-c", script], namespaces: [.uts]), input: Self.mebibyte)
        #expect(r.status == .exited(0))
        #expect(r.stdout.count == (1 << 20) + "1048576\n".count)
        #expect(r.stdout.suffix(8) == Array("1048576\n".utf8))
        #expect(r.stderr.count == 1 << 20)
    }

    @Test func endsAreOwnedCloexecAndOnlyPipesAreReturned() throws {
        var cfg = SpawnConfiguration(["cat"], namespaces: [.uts])
        cfg.stdin = .pipe
        cfg.stdout = .pipe
        cfg.stderr = .null
        var piped = try Container.spawnWithPipes(cfg)
        let noStderr = piped.stderr.take() == nil
        #expect(noStderr)
        let input = piped.stdin.take()!
        let output = piped.stdout.take()!
        #expect(nsc_shim_fd_flags(input.rawValue) & FD_CLOEXEC != 0)
        #expect(nsc_shim_fd_flags(output.rawValue) & FD_CLOEXEC != 0)
        let text = Array("hello\n".utf8)
        _ = text.withUnsafeBytes { sys_write(input.rawValue, $0) }
        input.close()
        #expect(T.readAll(output.rawValue) == "hello\n")
        #expect(try piped.container.wait() == .exited(0))
    }

    @Test func closedReaderGivesTheCommandSIGPIPE() throws {
        // Not PID 1 of a new PID namespace: the kernel drops signals a namespace's init has
        // no handler for, SIGPIPE included (the write then fails with EPIPE instead).
        var cfg = SpawnConfiguration(["sh", "-c", "sleep 0.2; exec yes"], namespaces: [.uts])
        cfg.stdout = .pipe
        var piped = try Container.spawnWithPipes(cfg)
        piped.stdout.take()!.close()
        #expect(try piped.container.wait() == .signaled(SIGPIPE))
    }

    @Test func commandThatStopsReadingLeavesTheHostAlone() throws {
        // The command exits without reading: the rest of the input is dropped, no SIGPIPE here.
        let r = try Container.run(SpawnConfiguration(["true"], namespaces: [.uts]), input: Self.mebibyte)
        #expect(r.status == .exited(0))
        var pending = sigset_t()
        sigpending(&pending)
        #expect(sigismember(&pending, SIGPIPE) == 0)
    }

    @Test func joinWithPipes() throws {
        let target = try Container.spawn(SpawnConfiguration(["sleep", "10"], namespaces: [.uts]))
        defer { _ = try? target.stop(timeout: .seconds(1)) }
        var cfg = JoinConfiguration(target: .process(target.pid), ["sh", "-c", "tr a-z A-Z; echo done >&2"])
        cfg.stdin = .pipe
        cfg.stdout = .pipe
        cfg.stderr = .pipe
        let r = try Container.joinWithPipes(cfg).communicate(input: Array("piped\n".utf8))
        #expect(r.status == .exited(0))
        #expect(r.stdout == Array("PIPED\n".utf8))
        #expect(r.stderr == Array("done\n".utf8))
    }

    @Test func plainSpawnRefusesAPipe() throws {
        let fds = T.fdCount()
        var cfg = SpawnConfiguration(["true"], namespaces: [.uts])
        cfg.stdout = .pipe
        #expect(throws: NSCoreError.self) { try Container.spawn(cfg) }
        // A failed spawn closes both ends of the pipes it made.
        cfg.arguments = ["/nonexistent/command"]
        #expect(throws: NSCoreError.self) { _ = try Container.spawnWithPipes(cfg) }
        #expect(T.fdCount() == fds)
    }

    @Test func inputWithoutAStdinPipeIsInvalid() throws {
        var cfg = SpawnConfiguration(["true"], namespaces: [.uts])
        cfg.stdout = .pipe
        let piped = try Container.spawnWithPipes(cfg)
        var failed = false
        do { _ = try piped.communicate(input: [1]) } catch { failed = error.code == .invalidArgument }
        #expect(failed)
    }
}
