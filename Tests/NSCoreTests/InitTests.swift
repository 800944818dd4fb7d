import Glibc
import Testing
@testable import NSCore

/// True when this build embeds nscore-init (`make` builds it; a bare `swift build` may not).
let initIsEmbedded = (try? InitImage.fd()) != nil

@Suite(.serialized, .enabled(if: initIsEmbedded))
struct InitTests {
    @Test func initIsPID1AndCommandIsItsChild() throws {
        let (status, out) = try T.run(["sh", "-c", "echo $$; cat /proc/1/comm"], [.pid, .mount]) { $0.useInit = true }
        #expect(status == .exited(0))
        let lines = out.split(separator: "\n")
        #expect(lines.first == "2")
    }

    @Test func initReapsOrphanedZombies() throws {
        // The inner sh exits at once, orphaning `sleep 0.1`, which init must reap.
        let script = "sh -c 'sleep 0.1 &'; sleep 0.6; cat /proc/[0-9]*/stat | awk '{print $3}' | grep -c Z || true"
        let (status, out) = try T.run(["sh", "-c", script], [.pid, .mount]) { $0.useInit = true }
        #expect(status == .exited(0))
        #expect(T.trimmed(out) == "0")
    }

    @Test func initForwardsSIGTERMAndExitsWithTheStatus() throws {
        var cfg = SpawnConfiguration(["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.05; done"], namespaces: [.pid])
        cfg.useInit = true
        let c = try Container.spawn(cfg)
        usleep(200_000)
        try c.signal(SIGTERM)
        #expect(try c.wait(timeout: .seconds(5)) == .exited(42))
    }

    @Test func sigkillFromTheHostEndsTheContainer() throws {
        var cfg = SpawnConfiguration(["sleep", "30"], namespaces: [.pid])
        cfg.useInit = true
        let c = try Container.spawn(cfg)
        try c.signal(SIGKILL)
        #expect(try c.wait(timeout: .seconds(5)) == .signaled(SIGKILL))
    }

    @Test func initExecsFromASealedMemfd() throws {
        let (_, out) = try T.run(["readlink", "/proc/1/exe"], [.pid, .mount]) { $0.useInit = true }
        #expect(out.hasPrefix("/memfd:nscore-init"))
    }

    @Test func initRunsAnExplicitExecutable() throws {
        var cfg = SpawnConfiguration(["/bin/true"], namespaces: [.pid])
        cfg.useInit = true
        cfg.executable = "/bin/true"
        #expect(try Container.spawn(cfg).wait() == .exited(0))
    }
}
