import CNSCoreShim
import Glibc

// The /proc access layer of the inspection API. It is the one place in Inspect/ that makes raw
// libc calls (opendir/readdir, fstatat, openat, read, ioctl), kept here rather than in the shared
// Internal/Syscalls.swift so that the scanner's hot loop can stay allocation-free: paths are
// built as bytes in one reused buffer, files are read into one reused buffer, and nothing in the
// per-process loop creates a String.

/// The `/proc/PID/ns/KIND` suffix for `kind`, as a static C string (no allocation).
@inline(__always)
func procNamespaceSuffix(_ kind: NamespaceKind) -> StaticString {
    switch kind {
    case .uts: return "/ns/uts"
    case .ipc: return "/ns/ipc"
    case .pid: return "/ns/pid"
    case .network: return "/ns/net"
    case .mount: return "/ns/mnt"
    case .user: return "/ns/user"
    case .cgroup: return "/ns/cgroup"
    case .time: return "/ns/time"
    }
}

/// An open `/proc` directory plus reusable path and read buffers.
///
/// Every lookup is relative to the directory's descriptor (`fstatat(2)`, `openat(2)`), so a
/// lookup costs one path walk of `PID/...` from an already-resolved dentry.
struct ProcReader: ~Copyable {
    /// The `DIR *` of `/proc`; its descriptor (``procFD``) is the base of every `*at` call.
    private let dir: OpaquePointer
    /// `dirfd(dir)`: owned by `dir`, closed by `closedir`.
    let procFD: Int32
    /// Holds "PID/suffix\0"; 64 bytes fits the longest pid (10 digits) plus any suffix used here.
    private let path: UnsafeMutablePointer<CChar>
    private static let pathCapacity = 64
    /// Receives `readlinkat` results such as "cgroup:[4026531835]".
    private let link: UnsafeMutablePointer<CChar>
    private static let linkCapacity = 64
    /// The bytes of the last ``read(_:_:)``; grows on demand up to ``readLimit``.
    private(set) var buffer: UnsafeMutableRawBufferPointer
    /// The most bytes read from one file (cmdline can be up to ARG_MAX; we keep the first MiB).
    private static let readLimit = 1 << 20

    /// Opens `/proc`. The corresponding call is `opendir(3)`.
    init() throws(NSCoreError) {
        switch sys_opendir("/proc") {
        case .success(let d): dir = d
        case .failure(let e):
            throw NSCoreError(.from(errno: e), errno: e, stage: "opendir /proc", message: "cannot open /proc: \(e)")
        }
        let d = dir
        procFD = dirfd(d)
        path = .allocate(capacity: ProcReader.pathCapacity)
        link = .allocate(capacity: ProcReader.linkCapacity)
        buffer = .allocate(byteCount: 8192, alignment: 8)
    }

    deinit {
        sys_closedir(dir)
        path.deallocate()
        link.deallocate()
        buffer.deallocate()
    }

    // MARK: - Listing

    /// The numeric entries of `/proc` (the processes visible in the pid namespace of this procfs
    /// mount), ascending. The corresponding calls are `rewinddir(3)`/`readdir(3)` (getdents64).
    func pids() -> [pid_t] {
        rewinddir(dir)
        var out: [pid_t] = []
        out.reserveCapacity(1024)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        var sorted = true
        while let entry = sys_readdir(dir) {
            let type = entry.pointee.d_type
            // 4 = DT_DIR, 0 = DT_UNKNOWN (procfs always fills d_type, but be lenient).
            guard type == 4 || type == 0 else { continue }
            let name = UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: UInt8.self)
            var value: Int64 = 0
            var i = 0
            while true {
                let c = name[i]
                if c == 0 { break }
                guard c >= 0x30 && c <= 0x39 else { value = -1; break }
                value = value * 10 + Int64(c - 0x30)
                if value > Int64(Int32.max) { value = -1; break }
                i += 1
            }
            guard i > 0, value > 0 else { continue }
            if let last = out.last, last > pid_t(value) { sorted = false }
            out.append(pid_t(value))
        }
        if !sorted { out.sort() }
        return out
    }

    // MARK: - Paths

    /// Writes "PID" followed by `suffix` and a NUL into the path buffer.
    private func setPath(_ pid: pid_t, _ suffix: StaticString) -> UnsafePointer<CChar> {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            var v = UInt32(bitPattern: pid)
            repeat {
                d[n] = UInt8(v % 10) + 0x30
                v /= 10
                n += 1
            } while v > 0
            for j in 0..<n { path[j] = CChar(bitPattern: d[n - 1 - j]) }
        }
        let count = suffix.utf8CodeUnitCount
        precondition(n + count < ProcReader.pathCapacity, "proc path too long")
        suffix.utf8Start.withMemoryRebound(to: CChar.self, capacity: count) { s in
            (path + n).update(from: s, count: count)
        }
        path[n + count] = 0
        return UnsafePointer(path)
    }

    // MARK: - Calls relative to /proc

    /// `fstatat(procFD, "PID<suffix>")`, following the final link (so `ns/net` yields the nsfs
    /// inode, as `stat(1)` shows it).
    func stat(_ pid: pid_t, _ suffix: StaticString) -> Result<stat, Errno> {
        sys_fstatat(procFD, setPath(pid, suffix))
    }

    /// The inode of the namespace `/proc/PID<suffix>` (a `/ns/KIND` suffix), read from the link
    /// text `KIND:[INODE]`. `readlinkat(2)` on a namespace link only formats the number, while
    /// `stat(2)` must materialise the nsfs dentry and inode, so this costs half as much; it
    /// cannot give the device, which callers take from one `stat` per namespace.
    func namespaceInode(_ pid: pid_t, _ suffix: StaticString) -> Result<UInt64, Errno> {
        let p = setPath(pid, suffix)
        let n: Int
        switch sys_readlinkat(procFD, p, link, ProcReader.linkCapacity) {
        case .success(let got): n = got
        case .failure(let e): return .failure(e)
        }
        guard n > 0 else { return .failure(Errno(rawValue: EIO)) }
        var i = 0
        while i < n && link[i] != 0x5B { i += 1 }  // '['
        i += 1
        var inode: UInt64 = 0
        var digits = 0
        while i < n, link[i] >= 0x30, link[i] <= 0x39 {
            inode = inode &* 10 &+ UInt64(link[i] - 0x30)
            digits += 1
            i += 1
        }
        guard digits > 0, i < n, link[i] == 0x5D else { return .failure(Errno(rawValue: EIO)) }  // ']'
        return .success(inode)
    }

    /// True if `/proc/PID` exists (the process exists, possibly as a zombie).
    func exists(_ pid: pid_t) -> Bool {
        if case .success = sys_fstatat(procFD, setPath(pid, "")) { return true }
        return false
    }

    /// `openat(procFD, "PID<suffix>", O_RDONLY | O_CLOEXEC)`.
    func open(_ pid: pid_t, _ suffix: StaticString) -> Result<OwnedFD, Errno> {
        let p = setPath(pid, suffix)
        let fd = retryingEINTR { nsc_shim_openat(procFD, p, O_RDONLY | O_CLOEXEC, 0) }
        return fd < 0 ? .failure(.current) : .success(OwnedFD(fd))
    }

    /// Reads all of `/proc/PID<suffix>` into ``buffer`` and returns the byte count.
    mutating func read(_ pid: pid_t, _ suffix: StaticString) -> Result<Int, Errno> {
        let fd: Int32
        switch open(pid, suffix) {
        case .success(let f): fd = f.release()
        case .failure(let e): return .failure(e)
        }
        defer { sys_close(fd) }
        var total = 0
        while true {
            switch sys_readFully(fd, buffer.baseAddress! + total, buffer.count - total) {
            case .success(let n): total += n
            case .failure(let e): return .failure(e)
            }
            // Short of full: EOF. Full: grow and read on, up to the limit.
            guard total == buffer.count, buffer.count < ProcReader.readLimit else { break }
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 8)
            bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
            buffer.deallocate()
            buffer = bigger
        }
        return .success(total)
    }

    // MARK: - Parsed values

    /// The `NSpid:` line of `/proc/PID/status`: the pid in each pid namespace from this procfs's
    /// namespace down to the process's own. `[pid]` on kernels before 4.1 (no such line).
    mutating func nspid(_ pid: pid_t) -> Result<[pid_t], Errno> {
        let n: Int
        switch read(pid, "/status") {
        case .success(let c): n = c
        case .failure(let e): return .failure(e)
        }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        guard let line = ProcText.field("NSpid:", in: bytes) else { return .success([pid]) }
        var out: [pid_t] = []
        ProcText.forEachInteger(in: line) { out.append(pid_t(truncatingIfNeeded: $0)) }
        return .success(out.isEmpty ? [pid] : out)
    }

    /// The real uid from the `Uid:` line of `/proc/PID/status`.
    mutating func realUID(_ pid: pid_t) -> Result<uid_t, Errno> {
        let n: Int
        switch read(pid, "/status") {
        case .success(let c): n = c
        case .failure(let e): return .failure(e)
        }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        var uid: Int64?
        if let line = ProcText.field("Uid:", in: bytes) {
            ProcText.forEachInteger(in: line) { if uid == nil { uid = $0 } }
        }
        guard let uid else { return .failure(Errno(rawValue: EIO)) }
        return .success(uid_t(truncatingIfNeeded: uid))
    }

    /// The command as lsns's COMMAND column shows it: the arguments from `/proc/PID/cmdline`
    /// joined with spaces, or `/proc/PID/comm` when the command line is empty (kernel threads,
    /// zombies). Fails only when neither file can be read.
    ///
    /// A process caught inside execve(2) (after the kernel installed the new address space, before
    /// it recorded the argument area) also reads an empty command line for a few microseconds:
    /// a spawn returns at that point, as posix_spawn(3) does. Such a process is read again, for up
    /// to ``midExecWaitMilliseconds``, so that a command spawned just before shows its arguments.
    mutating func command(_ pid: pid_t) -> Result<String, Errno> {
        if let text = commandLine(pid) { return .success(text) }
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let deadline = clock.milliseconds + ProcReader.midExecWaitMilliseconds
        var nap = timespec(tv_sec: 0, tv_nsec: 20_000)
        while true {
            // The state is sampled before the command line is read again: a process that was
            // still inside execve(2) at the first read is read once more after it leaves.
            let midExec = isMidExec(pid)
            if let text = commandLine(pid) { return .success(text) }
            guard midExec else { break }
            clock_gettime(CLOCK_MONOTONIC, &clock)
            guard clock.milliseconds < deadline else { break }
            nanosleep(&nap, nil)
        }
        switch read(pid, "/comm") {
        case .success(var n):
            let b = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            while n > 0 && b[n - 1] == 0x0A { n -= 1 }
            return .success(String(decoding: UnsafeBufferPointer(start: b, count: n), as: UTF8.self))
        case .failure(let e):
            return .failure(e)
        }
    }

    /// How long ``command(_:)`` waits for a process inside execve(2) to record its arguments.
    static let midExecWaitMilliseconds: Int64 = 20

    /// `/proc/PID/cmdline` with NULs shown as spaces, or `nil` when it is empty or unreadable.
    private mutating func commandLine(_ pid: pid_t) -> String? {
        guard case .success(var n) = read(pid, "/cmdline"), n > 0 else { return nil }
        let b = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while n > 0 && (b[n - 1] == 0 || b[n - 1] == 0x20) { n -= 1 }
        for i in 0..<n where b[i] == 0 { b[i] = 0x20 }
        return n > 0 ? String(decoding: UnsafeBufferPointer(start: b, count: n), as: UTF8.self) : nil
    }

    /// Whether `/proc/PID/stat` shows a live user process with no argument area yet: state not
    /// zombie or dead, neither `PF_KTHREAD` nor `PF_EXITING` in the flags (field 9), and
    /// `arg_end` (field 49) still 0. A process that blanked its own arguments has a nonzero
    /// `arg_end` and is not waited for. (Without ptrace read access the kernel shows 0 there;
    /// the wait is bounded.)
    private mutating func isMidExec(_ pid: pid_t) -> Bool {
        guard case .success(let n) = read(pid, "/stat"), n > 0 else { return false }
        let b = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        // Fields after the command name, which ends at the last ')': field 3 (state) onwards.
        guard let close = b.lastIndex(of: 0x29), close + 2 < n else { return false }
        let state = b[close + 2]
        guard state != 0x5A && state != 0x58 && state != 0x78 else { return false }  // Z, X, x
        var field = 3
        var value: Int64 = 0
        var i = close + 2
        var flags: Int64 = -1
        while i <= n {
            let c: UInt8 = i < n ? b[i] : 0x20
            if c == 0x20 || c == 0x0A {
                if field == 9 { flags = value }
                if field == 49 {
                    let pfExiting: Int64 = 0x4, pfKthread: Int64 = 0x20_0000
                    return flags >= 0 && flags & (pfExiting | pfKthread) == 0 && value == 0
                }
                field += 1
                value = 0
            } else if c >= 0x30 && c <= 0x39 {
                value = value &* 10 &+ Int64(c - 0x30)
            }
            i += 1
        }
        return false
    }

    /// The inode of the parent of the pid or user namespace `/proc/PID<suffix>`, or `nil` when
    /// it has none or it lies outside the caller's view (`EPERM`). The corresponding call is
    /// `ioctl(2)` `NS_GET_PARENT`.
    func parentInode(_ pid: pid_t, _ suffix: StaticString) -> UInt64? {
        guard case .success(let fd) = open(pid, suffix) else { return nil }
        let parent = nsc_shim_ns_get_parent(fd.rawValue)
        guard parent >= 0 else { return nil }
        let owned = OwnedFD(parent)
        guard case .success(let st) = sys_fstat(owned.rawValue) else { return nil }
        return UInt64(st.st_ino)
    }
}

/// Byte-level parsing of `/proc` text files, without building Strings.
enum ProcText {
    /// The rest of the line that starts with `key` (e.g. `"NSpid:"`), without the newline.
    static func field(_ key: StaticString, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let k = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        let n = bytes.count
        var lineStart = 0
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            if lineEnd - lineStart >= k.count {
                var match = true
                for j in 0..<k.count where bytes[lineStart + j] != k[j] {
                    match = false
                    break
                }
                if match { return UnsafeRawBufferPointer(rebasing: bytes[(lineStart + k.count)..<lineEnd]) }
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// Calls `body` with each unsigned decimal integer in `bytes` (separated by anything else).
    static func forEachInteger(in bytes: UnsafeRawBufferPointer, _ body: (Int64) -> Void) {
        var value: Int64 = 0
        var inNumber = false
        for c in bytes {
            if c >= 0x30 && c <= 0x39 {
                value = value &* 10 &+ Int64(c - 0x30)
                inNumber = true
            } else if inNumber {
                body(value)
                value = 0
                inNumber = false
            }
        }
        if inNumber { body(value) }
    }
}
