import CNSCoreShim
import Glibc

// Thin `sys_*` wrappers: each makes one system call and turns -1/errno into a Result.
// Raw libc calls belong here (and in CNSCoreShim), not spread through the engine.

/// Calls `body` until it does not fail with EINTR.
@inline(__always)
func retryingEINTR<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let r = body()
        if r >= 0 || Glibc.errno != EINTR { return r }
    }
}

@inline(__always)
func check<T: BinaryInteger>(_ r: T) -> Result<T, Errno> {
    r < 0 ? .failure(.current) : .success(r)
}

func sys_open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Result<OwnedFD, Errno> {
    let fd = retryingEINTR { nsc_shim_open(path, flags | O_CLOEXEC, UInt32(mode)) }
    return fd < 0 ? .failure(.current) : .success(OwnedFD(fd))
}

func sys_openat(_ dir: Int32, _ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Result<OwnedFD, Errno> {
    let fd = retryingEINTR { nsc_shim_openat(dir, path, flags | O_CLOEXEC, UInt32(mode)) }
    return fd < 0 ? .failure(.current) : .success(OwnedFD(fd))
}

/// Two connected descriptors: a pipe's read and write ends, or a socketpair's two ends.
struct FDPair: ~Copyable {
    var read: OwnedFD
    var write: OwnedFD
}

func sys_pipe() -> Result<FDPair, Errno> {
    var fds: (Int32, Int32) = (-1, -1)
    let r = withUnsafeMutablePointer(to: &fds) {
        $0.withMemoryRebound(to: Int32.self, capacity: 2) { nsc_shim_pipe2_cloexec($0) }
    }
    if r != 0 { return .failure(.current) }
    return .success(FDPair(read: OwnedFD(fds.0), write: OwnedFD(fds.1)))
}

/// A CLOEXEC AF_UNIX stream socketpair; `read`/`write` name the parent's and the child's end.
func sys_socketpair() -> Result<FDPair, Errno> {
    var fds: (Int32, Int32) = (-1, -1)
    let r = withUnsafeMutablePointer(to: &fds) {
        $0.withMemoryRebound(to: Int32.self, capacity: 2) {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, $0)
        }
    }
    if r != 0 { return .failure(.current) }
    return .success(FDPair(read: OwnedFD(fds.0), write: OwnedFD(fds.1)))
}

/// Calls `read(done)` (which reads into the buffer after the first `done` bytes and returns what
/// read(2) returns) until `count` bytes, EOF or an error other than EINTR. The bytes read.
@inline(__always)
private func readLoop(_ count: Int, _ read: (_ done: Int) -> Int) -> Result<Int, Errno> {
    var done = 0
    while done < count {
        let n = read(done)
        if n < 0 {
            if Glibc.errno == EINTR { continue }
            return .failure(.current)
        }
        if n == 0 { break }
        done += n
    }
    return .success(done)
}

/// Reads until `count` bytes, EOF or an error other than EINTR. Returns the bytes read.
func sys_readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Result<Int, Errno> {
    readLoop(count) { done in Glibc.read(fd, buffer + done, count - done) }
}

func sys_writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Void, Errno> {
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 {
            if Glibc.errno == EINTR { continue }
            return .failure(.current)
        }
        done += n
    }
    return .success(())
}

/// Sends one byte on a socket without ever raising SIGPIPE (`send(2)` with `MSG_NOSIGNAL`).
func sys_sendByte(_ fd: Int32, _ byte: UInt8) -> Result<Void, Errno> {
    var b = byte
    while true {
        let n = send(fd, &b, 1, Int32(MSG_NOSIGNAL))
        if n == 1 { return .success(()) }
        if n < 0 && Glibc.errno == EINTR { continue }
        return .failure(n < 0 ? .current : Errno(rawValue: EIO))
    }
}

/// Reads a whole (small) file such as /proc/PID/status. Returns the bytes.
func sys_readFile(_ path: String, limit: Int = 1 << 20) -> Result<[UInt8], Errno> {
    let fd: OwnedFD
    switch sys_open(path, O_RDONLY) {
    case .success(let f): fd = f
    case .failure(let e): return .failure(e)
    }
    let raw = fd.rawValue
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while out.count < limit {
        let n = chunk.withUnsafeMutableBytes { read(raw, $0.baseAddress, $0.count) }
        if n < 0 {
            if Glibc.errno == EINTR { continue }
            return .failure(.current)
        }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return .success(out)
}

/// Writes `text` to an existing file in one write(2), as /proc files such as uid_map require.
func sys_writeFile(_ path: String, _ text: String) -> Result<Void, Errno> {
    let fd: OwnedFD
    switch sys_open(path, O_WRONLY) {
    case .success(let f): fd = f
    case .failure(let e): return .failure(e)
    }
    let raw = fd.rawValue
    var bytes = Array(text.utf8)
    let n = bytes.withUnsafeMutableBytes { write(raw, $0.baseAddress, $0.count) }
    if n < 0 { return .failure(.current) }
    if n != bytes.count { return .failure(Errno(rawValue: EIO)) }
    bytes.removeAll()
    return .success(())
}

func sys_stat(_ path: String) -> Result<stat, Errno> {
    var st = stat()
    return stat(path, &st) == 0 ? .success(st) : .failure(.current)
}

func sys_fstat(_ fd: Int32) -> Result<stat, Errno> {
    var st = stat()
    return fstat(fd, &st) == 0 ? .success(st) : .failure(.current)
}

func sys_pidfd_open(_ pid: pid_t) -> Result<OwnedFD, Errno> {
    let fd = nsc_shim_pidfd_open(pid, 0)
    return fd < 0 ? .failure(.current) : .success(OwnedFD(fd))
}

/// A CLOEXEC memfd (`memfd_create(2)`).
func sys_memfd(_ name: String) -> Result<OwnedFD, Errno> {
    let fd = nsc_shim_memfd_create(name)
    return fd < 0 ? .failure(.current) : .success(OwnedFD(fd))
}

/// `pread(2)` until `count` bytes, EOF or an error other than EINTR. Returns the bytes read.
func sys_preadFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, offset: Int) -> Result<Int, Errno> {
    readLoop(count) { done in pread(fd, buffer + done, count - done, off_t(offset + done)) }
}

/// The target of the symbolic link `path` (`readlink(2)`), up to 255 bytes.
func sys_readlink(_ path: String) -> Result<String, Errno> {
    var buf = [UInt8](repeating: 0, count: 256)
    let n = buf.withUnsafeMutableBufferPointer { b in
        path.withCString { readlink($0, UnsafeMutableRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self), b.count) }
    }
    return n < 0 ? .failure(.current) : .success(String(decoding: buf[0..<n], as: UTF8.self))
}

/// True if the process of `pidfd` is a child of this process that has not been reaped
/// (`waitid(P_PIDFD, WNOHANG | WNOWAIT)`: ECHILD for anyone else's).
func sys_isUnreapedChild(_ pidfd: Int32) -> Bool {
    var status: Int32 = 0, code: Int32 = 0, p: pid_t = 0
    while true {
        if nsc_shim_waitid_pidfd(pidfd, WEXITED | WNOHANG | WNOWAIT, &status, &code, &p) == 0 { return true }
        if Glibc.errno != EINTR { return false }
    }
}

/// `close(2)`. An fd is gone after close even when it reports an error (EINTR included), so
/// there is nothing to retry and nothing to report.
@inline(__always)
func sys_close(_ fd: Int32) { _ = Glibc.close(fd) }

/// `poll(2)` on one fd for `events`; the number of ready fds (0 on timeout).
func sys_poll(_ fd: Int32, events: Int16, timeoutMilliseconds: Int32) -> Result<Int32, Errno> {
    var pfd = pollfd(fd: fd, events: events, revents: 0)
    let r = Glibc.poll(&pfd, 1, timeoutMilliseconds)
    return r < 0 ? .failure(.current) : .success(r)
}

/// `mount(2)`.
func sys_mount(_ source: String?, _ target: String, _ fstype: String?, _ flags: UInt) -> Result<Void, Errno> {
    Glibc.mount(source, target, fstype, flags, nil) == 0 ? .success(()) : .failure(.current)
}

/// `umount2(2)`.
func sys_umount2(_ target: String, _ flags: Int32) -> Result<Void, Errno> {
    Glibc.umount2(target, flags) == 0 ? .success(()) : .failure(.current)
}

/// `unlink(2)`.
func sys_unlink(_ path: String) -> Result<Void, Errno> {
    Glibc.unlink(path) == 0 ? .success(()) : .failure(.current)
}

/// `stat(2)` of a C string path.
@inline(__always)
func sys_stat(_ path: UnsafePointer<CChar>) -> Result<stat, Errno> {
    var st = stat()
    return stat(path, &st) == 0 ? .success(st) : .failure(.current)
}

/// `fstatat(2)` relative to `dir`.
@inline(__always)
func sys_fstatat(_ dir: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32 = 0) -> Result<stat, Errno> {
    var st = stat()
    return fstatat(dir, path, &st, flags) == 0 ? .success(st) : .failure(.current)
}

/// `readlinkat(2)` into `buffer`; the length read (not NUL-terminated).
@inline(__always)
func sys_readlinkat(_ dir: Int32, _ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<CChar>,
                    _ capacity: Int) -> Result<Int, Errno> {
    let n = readlinkat(dir, path, buffer, capacity)
    return n < 0 ? .failure(.current) : .success(n)
}

/// `access(2)`: whether the caller may access `path` in `mode` (`F_OK`, `X_OK`, ...).
@inline(__always)
func sys_access(_ path: UnsafePointer<CChar>, _ mode: Int32) -> Bool { access(path, mode) == 0 }

/// `getcwd(3)` into `buffer`.
func sys_getcwd(_ buffer: UnsafeMutablePointer<CChar>, _ capacity: Int) -> Result<Void, Errno> {
    getcwd(buffer, capacity) == nil ? .failure(.current) : .success(())
}

/// A directory stream over `fd` (`fdopendir(3)`, which then owns the fd), or the errno.
func sys_fdopendir(_ fd: Int32) -> Result<OpaquePointer, Errno> {
    guard let d = fdopendir(fd) else { return .failure(.current) }
    return .success(d)
}

/// A directory stream over `path` (`opendir(3)`).
func sys_opendir(_ path: String) -> Result<OpaquePointer, Errno> {
    guard let d = opendir(path) else { return .failure(.current) }
    return .success(d)
}

/// The next entry of a directory stream (`readdir(3)`), nil at the end.
@inline(__always)
func sys_readdir(_ dir: OpaquePointer) -> UnsafeMutablePointer<dirent>? { readdir(dir) }

/// Closes a directory stream and its fd (`closedir(3)`).
func sys_closedir(_ dir: OpaquePointer) { _ = closedir(dir) }

/// `kill(2)`, for a pid that cannot be recycled (an unreaped child of this process).
func sys_kill(_ pid: pid_t, _ signal: Int32) { _ = Glibc.kill(pid, signal) }

/// Waits for the child `pid` (`waitpid(2)`), retrying on EINTR.
func sys_waitChild(_ pid: pid_t) {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && Glibc.errno == EINTR {}
}

func sys_setns(_ fd: Int32, _ nstype: Int32) -> Result<Void, Errno> {
    nsc_shim_setns(fd, nstype) == 0 ? .success(()) : .failure(.current)
}

func sys_unshare(_ flags: Int32) -> Result<Void, Errno> {
    nsc_shim_unshare(flags) == 0 ? .success(()) : .failure(.current)
}

/// The number of threads in this process, from /proc/self/status ("Threads:").
func sys_threadCount() -> Int? {
    guard case .success(let bytes) = sys_readFile("/proc/self/status") else { return nil }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Threads:") {
        return Int(line.dropFirst(8).trimmingSpaces())
    }
    return nil
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" { s.removeLast() }
        return s
    }
}

extension String {
    /// True if the string contains a NUL byte (it could not be passed to a C API intact).
    var containsNUL: Bool { utf8.contains(0) }
}

// MARK: - Sockets (netlink)

/// `socket(2)` with `SOCK_CLOEXEC` always added to `type`.
func sys_socket(_ domain: Int32, _ type: Int32, _ proto: Int32) -> Result<OwnedFD, Errno> {
    let fd = socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto)
    return fd < 0 ? .failure(.current) : .success(OwnedFD(fd))
}

/// `setsockopt(2)` with an `int` value.
func sys_setsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Result<Void, Errno> {
    var v = value
    return setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) == 0 ? .success(()) : .failure(.current)
}

/// `getsockopt(2)` of an `int` value.
func sys_getsockopt(_ fd: Int32, _ level: Int32, _ name: Int32) -> Result<Int32, Errno> {
    var v: Int32 = 0
    var len = socklen_t(MemoryLayout<Int32>.size)
    return getsockopt(fd, level, name, &v, &len) == 0 ? .success(v) : .failure(.current)
}

/// `getsockopt(2)` of a 64-bit value (`SO_NETNS_COOKIE`).
func sys_getsockopt64(_ fd: Int32, _ level: Int32, _ name: Int32) -> Result<UInt64, Errno> {
    var v: UInt64 = 0
    var len = socklen_t(MemoryLayout<UInt64>.size)
    return getsockopt(fd, level, name, &v, &len) == 0 && len == 8 ? .success(v) : .failure(.current)
}

/// Binds a netlink socket with `nl_pid` 0 (the kernel picks the port id) and returns the port id
/// it picked (`bind(2)`, then `getsockname(2)`). `struct sockaddr_nl` is 12 bytes: family (u16),
/// pad (u16), nl_pid (u32) at offset 4, nl_groups (u32) at offset 8 (asserted in constants.c).
func sys_bindNetlink(_ fd: Int32, groups: UInt32 = 0) -> Result<UInt32, Errno> {
    var addr = (UInt16(nsc_shim_AF_NETLINK), UInt16(0), UInt32(0), groups)
    let size = socklen_t(MemoryLayout.size(ofValue: addr))
    let bound = withUnsafeMutableBytes(of: &addr) {
        bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), size)
    }
    if bound != 0 { return .failure(.current) }
    var len = size
    let named = withUnsafeMutableBytes(of: &addr) {
        getsockname(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &len)
    }
    return named == 0 ? .success(addr.2) : .failure(.current)
}

/// `send(2)` of the whole buffer in one datagram, retrying on EINTR. The bytes sent.
func sys_send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Int, Errno> {
    let n = retryingEINTR { send(fd, bytes.baseAddress, bytes.count, 0) }
    return n < 0 ? .failure(.current) : .success(n)
}

/// `recv(2)` of one datagram into `buffer`, retrying on EINTR. With `MSG_TRUNC` in `flags`
/// the result is the datagram's real length, which may exceed the buffer.
func sys_recv(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ flags: Int32) -> Result<Int, Errno> {
    let n = retryingEINTR { recv(fd, buffer.baseAddress, buffer.count, flags) }
    return n < 0 ? .failure(.current) : .success(n)
}

/// `read(2)` once, retrying on EINTR. The bytes read (0 at end of file).
func sys_read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
    let n = retryingEINTR { read(fd, buffer.baseAddress, buffer.count) }
    return n < 0 ? .failure(.current) : .success(n)
}

/// `write(2)` once, retrying on EINTR. The bytes written (fewer than asked on a non-blocking fd).
func sys_write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Int, Errno> {
    let n = retryingEINTR { write(fd, bytes.baseAddress, bytes.count) }
    return n < 0 ? .failure(.current) : .success(n)
}

/// Sets `O_NONBLOCK` on `fd` (`fcntl(2)` `F_GETFL`/`F_SETFL`).
func sys_setNonBlocking(_ fd: Int32) -> Result<Void, Errno> {
    nsc_shim_set_nonblocking(fd) < 0 ? .failure(.current) : .success(())
}

/// `poll(2)` on several fds, retrying on EINTR with the same timeout. The number ready.
func sys_poll(_ fds: UnsafeMutableBufferPointer<pollfd>, timeoutMilliseconds: Int32) -> Result<Int32, Errno> {
    let r = retryingEINTR { Glibc.poll(fds.baseAddress, nfds_t(fds.count), timeoutMilliseconds) }
    return r < 0 ? .failure(.current) : .success(r)
}

/// Blocks SIGPIPE in the calling thread (`pthread_sigmask(2)`), so that a write to a pipe
/// whose reader is gone fails with EPIPE instead of ending the process. Returns the previous
/// mask and whether a SIGPIPE was already pending (which ``sys_restoreSIGPIPE`` then leaves).
func sys_blockSIGPIPE() -> (mask: sigset_t, wasPending: Bool) {
    var block = sigset_t(), old = sigset_t(), pending = sigset_t()
    sigemptyset(&block)
    sigaddset(&block, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &block, &old)
    sigpending(&pending)
    return (old, sigismember(&pending, SIGPIPE) == 1)
}

/// Undoes ``sys_blockSIGPIPE``: consumes a SIGPIPE that our own writes raised
/// (`sigtimedwait(2)` with a zero timeout), then restores the thread's mask.
func sys_restoreSIGPIPE(_ saved: (mask: sigset_t, wasPending: Bool), raised: Bool) {
    if raised && !saved.wasPending {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while sigtimedwait(&set, nil, &zero) < 0 && Glibc.errno == EINTR {}
    }
    var mask = saved.mask
    pthread_sigmask(SIG_SETMASK, &mask, nil)
}
