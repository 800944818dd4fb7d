import Glibc
import Testing

@testable import NSCore

/// Regression tests for the known escape classes of container runtimes, each as the attacker
/// would try it against a default container.
@Suite(.serialized)
struct HardeningTests {
    /// runc CVE-2024-21626: a host directory fd leaked into the container let its working
    /// directory (`/proc/self/fd/N`) resolve outside the rootfs. The host here holds a directory
    /// fd without O_CLOEXEC across the spawn: the container sees only fds 0-2, starts in its own
    /// `/`, and a working directory through the fd does not resolve.
    @Test func aHostDirectoryFDNeverReachesTheContainer() throws {
        let leaked = open("/", O_RDONLY | O_DIRECTORY)  // inheritable on purpose
        #expect(leaked > 2)
        defer { close(leaked) }
        try RootfsTests.withRootfs(extra: ["ls", "readlink"]) { rootfs, _ in
            // ls opens one fd of its own for /proc/self/fd: 3.
            let (status, out) = try T.run(RootfsTests.config(rootfs, "ls /proc/self/fd; readlink /proc/self/cwd"))
            #expect(status == .exited(0))
            #expect(out == "0\n1\n2\n3\n/\n", "\(out)")

            var escape = RootfsTests.config(rootfs, "ls /proc/self/cwd/ | head -3; readlink /proc/self/cwd")
            escape.workingDirectory = "/proc/self/fd/\(leaked)"
            do {
                let (s2, o2) = try T.run(escape)
                Issue.record("the working directory through fd \(leaked) resolved: \(s2) \(o2)")
            } catch {
                let message = (error as? NSCoreError)?.message ?? "\(error)"
                #expect(message.contains("chdir"), "\(message)")
            }
            #expect(T.children().isEmpty)
        }
        // A plain spawn too: only 0-2 (and ls's own).
        let (s3, o3) = try T.run(SpawnConfiguration(["ls", "/proc/self/fd"]))
        #expect(s3 == .exited(0))
        #expect(o3 == "0\n1\n2\n3\n", "\(o3)")
    }

    /// runc CVE-2019-5736: a container overwrote the host's runtime binary through
    /// /proc/PID/exe. NSCore's init (PID 1 with useInit; and the process a join starts) runs
    /// from a sealed memfd, never from a host file: /proc/1/exe names no host path, and
    /// writing to it is refused.
    @Test func theInitBinaryCannotBeReachedOrOverwritten() throws {
        var c = SpawnConfiguration(["sh", "-c", """
            readlink /proc/1/exe
            (echo x > /proc/1/exe) 2>/dev/null && echo written || echo refused
            (exec 3<>/proc/1/exe) 2>/dev/null && echo opened || echo open-refused
            """], namespaces: [.pid, .mount])
        c.useInit = true
        let (status, out) = try T.run(c)
        #expect(status == .exited(0))
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("/memfd:nscore-init") == true, "\(out)")
        #expect(Array(lines.dropFirst()) == ["refused", "open-refused"], "\(out)")
    }

    /// PID 1 of a container's PID namespace cannot be killed with SIGKILL by another process
    /// inside it (the kernel ignores it without a handler); the host still can.
    @Test func killingPID1FromInsideIsIgnored() throws {
        try RootfsTests.withRootfs(extra: ["kill", "sleep"]) { rootfs, _ in
            let (status, out) = try T.run(RootfsTests.config(rootfs, """
                sh -c 'kill -9 1; echo sent'
                sleep 0.2
                echo alive
                """))
            #expect(status == .exited(0))
            #expect(out == "sent\nalive\n", "\(out)")
        }
    }
}
