import CNSCoreShim
import Glibc
import Testing
@testable import NSCore

/// `ProcessConfiguration.terminal`: a pty made for the command, its multiplexer returned.
@Suite(.serialized)
struct TerminalTests {
    /// Everything the command writes to its terminal, read from the multiplexer until every
    /// copy of the peer is closed (EIO) or 20 s passed.
    static func readTerminal(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if poll(&pfd, 1, 200) == 0 { continue }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads until `text` appears (or 20 s passed); returns what was read.
    static func readUntil(_ fd: Int32, _ text: String) -> String {
        var got = ""
        var buf = [UInt8](repeating: 0, count: 4096)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = ContinuousClock.now + .seconds(20)
        while !got.contains(text) && ContinuousClock.now < deadline {
            if poll(&pfd, 1, 200) == 0 { continue }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            got += String(decoding: buf[0..<n], as: UTF8.self)
        }
        return got
    }

    static func write(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    /// Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, session, tty_nr, tpgid, ...].
    static func stat(_ pid: pid_t) -> [Substring] {
        let text = T.readFile("/proc/\(pid)/stat") ?? ""
        guard let close = text.lastIndex(of: ")") else { return [] }
        return text[text.index(after: close)...].split(separator: " ")
    }

    @Test func commandGetsANewSessionWithThePtyAsControllingTerminal() throws {
        let fds = T.fdCount()
        try Self.sessionChecks()
        #expect(T.fdCount() == fds)
    }

    static func sessionChecks() throws {
        var cfg = SpawnConfiguration(["sh", "-c", "stty size; tty; read x; echo got:$x"], namespaces: [.uts, .pid])
        cfg.terminal = true
        cfg.consoleSize = ConsoleSize(height: 33, width: 101)
        var piped = try Container.spawnWithPipes(cfg)
        let master = piped.terminal.take()!
        #expect(nsc_shim_fd_flags(master.rawValue) & FD_CLOEXEC != 0)
        #expect(piped.stdin == nil && piped.stdout == nil && piped.stderr == nil)
        let first = Self.readUntil(master.rawValue, "/dev/pts/")
        #expect(first.contains("33 101"))
        // From outside: a session of its own, led by the command, with a controlling terminal,
        // and the command's group in the foreground.
        let f = Self.stat(piped.container.pid)
        #expect(f.count > 5)
        if f.count > 5 {
            #expect(f[3] == "\(piped.container.pid)")
            #expect(f[4] != "0")
            #expect(f[5] == "\(piped.container.pid)")
        }
        Self.write(master.rawValue, "hello\n")
        let rest = Self.readTerminal(master.rawValue)
        #expect(rest.contains("got:hello"))
        #expect(try piped.container.wait() == .exited(0))
        master.close()
    }

    @Test func ctrlCReachesTheForegroundCommand() throws {
        // The spawn returns once sleep runs: no window in which a shell would catch the signal.
        var cfg = SpawnConfiguration(["sleep", "30"], namespaces: [.uts])
        cfg.terminal = true
        var piped = try Container.spawnWithPipes(cfg)
        let master = piped.terminal.take()!
        Self.write(master.rawValue, "\u{03}")
        let status = try piped.container.wait(timeout: .seconds(10))
        if status == nil { _ = try piped.container.stop(timeout: .zero) }
        #expect(status == .signaled(SIGINT))
    }

    @Test func underInitTheCommandLeadsTheSessionAndInitStaysOut() throws {
        var cfg = SpawnConfiguration(["sh", "-c", "cut -d' ' -f6 /proc/$$/stat; echo $$; tty"], namespaces: [.pid, .mount])
        cfg.useInit = true
        cfg.terminal = true
        var piped = try Container.spawnWithPipes(cfg)
        let master = piped.terminal.take()!
        let out = Self.readTerminal(master.rawValue).split(separator: "\r\n").map(String.init)
        #expect(try piped.container.wait() == .exited(0))
        #expect(out.count >= 3)
        if out.count >= 3 {
            #expect(out[0] == out[1])  // session id == its own pid (2: init is 1)
            #expect(out[1] == "2")
            #expect(out[2].hasPrefix("/dev/pts/"))
        }
    }

    @Test func rootfsContainerGetsItsOwnDevptsAndDevConsole() throws {
        try RootfsTests.withRootfs(extra: ["tty", "stty", "stat", "sleep"]) { rootfs, _ in
            var cfg = RootfsTests.config(rootfs, """
                tty; stat -c '%F %t:%T' /dev/console; stat -L -c '%t:%T' /proc/self/fd/0; \
                stat -c %u $(tty); ls /dev/pts; sleep 30
                """)
            cfg.terminal = true
            cfg.user = User(uid: 1000, gid: 1000)
            var piped = try Container.spawnWithPipes(cfg)
            let master = piped.terminal.take()!
            let out = Self.readUntil(master.rawValue, "ptmx").split(separator: "\r\n").map(String.init)
            #expect(out.first == "/dev/pts/0")
            #expect(out.count >= 5)
            if out.count >= 5 {
                #expect(out[1] == "character special file 88:0")
                #expect(out[2] == "88:0")
                #expect(out[3] == "1000")
                #expect(out[4].contains("0") && out[4].contains("ptmx"))
            }
            // A join into it gets a terminal of the container's own devpts as well.
            var join = JoinConfiguration(target: .process(piped.container.pid), ["/bin/sh", "-c", "tty; ls /dev/pts"])
            join.terminal = true
            join.environment = ["PATH=/bin:/usr/bin"]
            var joined = try Container.joinWithPipes(join)
            let joinedMaster = joined.terminal.take()!
            let jout = Self.readTerminal(joinedMaster.rawValue)
            #expect(try joined.container.wait() == .exited(0))
            #expect(jout.hasPrefix("/dev/pts/1\r\n"))
            _ = try piped.container.stop(timeout: .zero)
        }
    }

    @Test func joinIntoAPlainNamespaceGetsTheCallersPtys() throws {
        let target = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.uts]))
        defer { _ = try? target.stop(timeout: .zero) }
        var join = JoinConfiguration(target: .process(target.pid), ["sh", "-c", "tty; cut -d' ' -f6 /proc/$$/stat; echo $$"],
                                     namespaces: [.uts])
        join.terminal = true
        var joined = try Container.joinWithPipes(join)
        let master = joined.terminal.take()!
        let out = Self.readTerminal(master.rawValue).split(separator: "\r\n").map(String.init)
        #expect(try joined.container.wait() == .exited(0))
        #expect(out.count >= 3)
        if out.count >= 3 {
            #expect(out[0].hasPrefix("/dev/pts/"))
            #expect(out[1] == out[2])
        }
    }

    /// runc's /dev/console escape (CVE-2025-52565): a /dev/console that is a symlink (here in a
    /// volume over /dev) must not take the terminal's bind mount somewhere else; the spawn
    /// fails instead, and the symlink's target is untouched.
    @Test func devConsoleSymlinkIsNotFollowed() throws {
        try RootfsTests.withRootfs { rootfs, dir in
            let dev = dir + "/dev"
            mkdir(dev, 0o755)
            let victim = dir + "/victim"
            let fd = open(victim, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            close(fd)
            symlink("/victim", dev + "/console")
            symlink("pts/ptmx", dev + "/ptmx")
            mkdir(dev + "/pts", 0o755)
            var cfg = RootfsTests.config(rootfs, "true")
            cfg.mounts = [.bind(dev, to: "/dev"),
                          Mount(destination: "/dev/pts", type: "devpts", source: "devpts", options: ["newinstance", "ptmxmode=0666"]),
                          .bind(victim, to: "/victim")]
            cfg.terminal = true
            let mounts = T.mountCount()
            do {
                _ = try Container.spawnWithPipes(cfg)
                Issue.record("a /dev/console symlink was followed")
            } catch let error as NSCoreError {
                #expect(error.stage.contains("/dev/console"))
            }
            #expect(T.mountCount() == mounts)
            #expect(T.children().isEmpty)
            #expect(T.readFile(victim) == "")
        }
    }

    /// Every spawn and join leads a session of its own unless asked not to: away from the
    /// caller's controlling terminal, where TIOCSTI could type into the caller's shell.
    @Test func spawnsAndJoinsStartANewSession() throws {
        let c = try Container.spawn(SpawnConfiguration(["sleep", "30"], namespaces: [.uts]))
        defer { _ = try? c.stop(timeout: .zero) }
        #expect(Self.stat(c.pid)[3] == "\(c.pid)")
        var shared = SpawnConfiguration(["sleep", "30"], namespaces: [.uts])
        shared.newSession = false
        let s = try Container.spawn(shared)
        defer { _ = try? s.stop(timeout: .zero) }
        #expect(Self.stat(s.pid)[3] == "\(getsid(0))")
        var join = JoinConfiguration(target: .process(c.pid), ["sleep", "30"], namespaces: [.uts])
        join.killOnParentDeath = true
        let j = try Container.join(join)
        defer { _ = try? j.stop(timeout: .zero) }
        let f = Self.stat(j.pid)
        #expect(f.count > 3 && f[3] != "\(getsid(0))")
        join.newSession = false
        let k = try Container.join(join)
        defer { _ = try? k.stop(timeout: .zero) }
        #expect(Self.stat(k.pid)[3] == "\(getsid(0))")
    }

    @Test func badInput() throws {
        var cfg = SpawnConfiguration(["true"], namespaces: [.uts])
        cfg.terminal = true
        #expect(throws: NSCoreError.self) { try Container.spawn(cfg) }
        do { _ = try Container.spawn(cfg) } catch { #expect(error.message.contains("terminal")) }
        var sized = SpawnConfiguration(["true"], namespaces: [.uts])
        sized.consoleSize = ConsoleSize(height: 10, width: 10)
        do {
            _ = try Container.spawnWithPipes(sized)
            Issue.record("consoleSize without terminal was accepted")
        } catch {
            #expect(error.code == .invalidArgument && error.message.contains("consoleSize"))
        }
        #expect(T.children().isEmpty)
    }
}
