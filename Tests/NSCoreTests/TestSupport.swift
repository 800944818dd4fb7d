import CNSCoreShim
import Glibc
@testable import NSCore

/// Helpers shared by the engine tests: run a command in a container and capture its output,
/// read /proc, count fds and mounts. Everything here runs on the real kernel.
enum T {
    /// Spawns `config` with stdout captured; waits and returns (status, stdout).
    static func run(_ config: SpawnConfiguration) throws -> (ExitStatus, String) {
        try capture { stdout in
            var cfg = config
            cfg.stdout = stdout
            return try Container.spawn(cfg)
        }
    }

    /// Runs `start` with a pipe as the child's stdout; waits and returns (status, stdout).
    static func capture(_ start: (StdioSource) throws -> Container) throws -> (ExitStatus, String) {
        var fds: [Int32] = [-1, -1]
        precondition(nsc_shim_pipe2_cloexec(&fds) == 0)
        let c: Container
        do {
            c = try start(.fd(fds[1]))
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[1])
        let out = readAll(fds[0])
        close(fds[0])
        return (try c.wait(), out)
    }

    static func run(_ args: [String], _ ns: NamespaceSet = [], _ tweak: (inout SpawnConfiguration) -> Void = { _ in })
        throws -> (ExitStatus, String)
    {
        var cfg = SpawnConfiguration(args, namespaces: ns)
        tweak(&cfg)
        return try run(cfg)
    }

    /// Joins per `config` with stdout captured.
    static func join(_ config: JoinConfiguration) throws -> (ExitStatus, String) {
        try capture { stdout in
            var cfg = config
            cfg.stdout = stdout
            return try Container.join(cfg)
        }
    }

    static func readAll(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        return readAll(fd)
    }

    /// The inode of /proc/PID/ns/KIND.
    static func nsInode(_ pid: pid_t, _ name: String) -> UInt64? {
        var st = stat()
        return stat("/proc/\(pid)/ns/\(name)", &st) == 0 ? UInt64(st.st_ino) : nil
    }

    static func fdCount() -> Int {
        guard let d = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(d) }
        var n = 0
        while readdir(d) != nil { n += 1 }
        return n
    }

    static func mountCount() -> Int {
        (readFile("/proc/self/mountinfo") ?? "").split(separator: "\n").count
    }

    /// True if this process has an unreaped child (a zombie or a running one).
    static func hasChildren() -> Bool {
        var status: Int32 = 0
        let r = waitpid(-1, &status, WNOHANG)
        return r >= 0  // 0: children exist but none exited; >0: we just reaped one (a leak)
    }

    static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// The names in a directory (without . and ..), sorted.
    static func listDirectory(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
    }

    /// This process's children (every thread's), running or zombie.
    static func children() -> [pid_t] {
        T.listDirectory("/proc/self/task").flatMap { tid in
            (readFile("/proc/self/task/\(tid)/children") ?? "").split(separator: " ").compactMap { pid_t($0) }
        }
    }

    static func trimmed(_ s: String) -> String {
        var t = Substring(s)
        while let l = t.last, l == "\n" || l == " " { t.removeLast() }
        return String(t)
    }
}
