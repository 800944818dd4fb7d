import CNSCoreShim
import Glibc
import NSCore

/// nscore's side of `--tty`: it relays between its own stdin/stdout and the container's pty
/// multiplexer until the container ends.
///
/// - nscore's terminal (when stdin is one) is put in raw mode, so that every key, Ctrl-C and
///   Ctrl-Z included, goes to the container's terminal, whose own line discipline acts on it;
///   the saved mode is restored on every way out of ``serve(_:master:)``.
/// - A window size change of nscore's terminal (SIGWINCH) is copied to the pty (TIOCSWINSZ),
///   and the kernel signals the container's foreground job.
/// - stdin is relayed as it is read. When it ends (not a terminal: a pipe or a file), the
///   pty's end-of-file character (Ctrl-D) is sent once, so that a reading command sees the end.
/// - The other forwarded signals go to the container as without `--tty`
///   (``Supervisor/forward(_:code:to:stoppedBy:)``).
/// One poll loop serves stdin, the multiplexer and a signalfd of the blocked signals.
enum TerminalRelay {
    /// The size of nscore's terminal: stdin's, else stdout's; nil if neither is a terminal.
    static func ownSize() -> ConsoleSize? {
        var rows: UInt16 = 0, cols: UInt16 = 0
        for fd: Int32 in [0, 1] where isatty(fd) == 1 && nsc_shim_get_winsize(fd, &rows, &cols) == 0 {
            return ConsoleSize(height: rows, width: cols)
        }
        return nil
    }

    /// Restores a terminal's saved mode when it goes away.
    private final class RawMode {
        private var saved = termios()
        private let active: Bool

        /// Puts fd 0 in raw mode if it is a terminal.
        init() {
            guard isatty(0) == 1, tcgetattr(0, &saved) == 0 else {
                active = false
                return
            }
            var raw = saved
            cfmakeraw(&raw)
            active = tcsetattr(0, TCSANOW, &raw) == 0
        }

        deinit {
            // TCSADRAIN: the output written so far is shown in raw mode, as it was meant.
            if active { _ = tcsetattr(0, TCSADRAIN, &saved) }
        }
    }

    /// Relays until `container` ends; returns nscore's exit status for it.
    static func serve(_ container: Container, master: borrowing OwnedFD) throws(NSCoreError) -> Int32 {
        let m = master.rawValue
        _ = fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK)
        // A closed stdout must not kill nscore (and leave the terminal raw): writes fail instead.
        let oldPipe = signal(SIGPIPE, SIG_IGN)
        defer { _ = signal(SIGPIPE, oldPipe) }
        var set = Supervisor.waitSet()
        let sfd = nsc_shim_signalfd(&set)
        if sfd < 0 { throw failure("signalfd") }
        defer { close(sfd) }
        let raw = RawMode()
        defer { withExtendedLifetime(raw) {} }

        let stdinIsTerminal = isatty(0) == 1
        var stdinOpen = true
        var masterOpen = true
        var outputOpen = true
        var pending: [UInt8] = []
        var stoppedBy: Int32?
        var buffer = [UInt8](repeating: 0, count: 65536)

        /// Copies what the multiplexer has to stdout, at most 16 reads of 64 KiB at a time (a
        /// command that never stops writing must not keep the loop from signals and its end);
        /// false once it has no more (EIO: every copy of the terminal is closed).
        func drain() -> Bool {
            for _ in 0..<16 {
                let n = buffer.withUnsafeMutableBytes { read(m, $0.baseAddress, $0.count) }
                if n > 0 {
                    if outputOpen { outputOpen = writeAll(1, buffer, n) }
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                return n < 0 && errno == EAGAIN
            }
            return true
        }

        while true {
            if let status = try container.poll() {
                if masterOpen { _ = drain() }
                return Supervisor.exitCode(status, stoppedBy: stoppedBy)
            }
            var fds = [pollfd(fd: sfd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stdinOpen && pending.isEmpty ? 0 : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: masterOpen ? m : -1,
                              events: Int16(POLLIN) | (pending.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)]
            let r = poll(&fds, 3, 1000)
            if r < 0 && errno != EINTR {
                throw failure("poll (terminal relay)")
            }
            if fds[0].revents != 0 {
                var signo: Int32 = 0, code: Int32 = 0
                while nsc_shim_signalfd_read(sfd, &signo, &code) == 1 {
                    switch signo {
                    case SIGCHLD: break  // polled at the top of the loop
                    case SIGWINCH:
                        if let size = ownSize() { _ = nsc_shim_set_winsize(m, size.height, size.width) }
                    default:
                        Supervisor.forward(signo, code: code, to: container, stoppedBy: &stoppedBy)
                    }
                }
            }
            if fds[1].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n > 0 {
                    pending += buffer[0..<n]
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    stdinOpen = false
                    // The end of a piped input: the terminal's EOF character, once.
                    if !stdinIsTerminal { pending.append(0x04) }
                }
            }
            if !pending.isEmpty && masterOpen && fds[2].revents & Int16(POLLOUT) != 0 {
                let n = pending.withUnsafeBytes { write(m, $0.baseAddress, $0.count) }
                if n > 0 { pending.removeFirst(n) }
            }
            if masterOpen && fds[2].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                masterOpen = drain()
                if !masterOpen { pending = [] }
            }
        }
    }

    /// The error for a failed call, from errno.
    private static func failure(_ call: String) -> NSCoreError {
        let e = Errno(rawValue: errno)
        return NSCoreError(.system, errno: e, stage: call, message: "\(call): \(e)")
    }

    /// Writes `count` bytes of `bytes` to `fd` (blocking); false if the fd is gone.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ count: Int) -> Bool {
        var done = 0
        while done < count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}
