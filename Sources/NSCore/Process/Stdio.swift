import CNSCoreShim
import Glibc
import Synchronization

/// The caller's ends of the pipes a spawn or a join makes for ``StdioSource/pipe`` streams, and
/// its terminal's multiplexer (``ProcessConfiguration/terminal``), held from the moment they are
/// made until they are handed out, and closed if the spawn fails or nobody takes them.
final class PipeEnds: Sendable {
    /// ``set(_:_:)`` and ``take(_:)``'s index of the terminal's multiplexer.
    static let terminal = 3

    private let fds = Mutex<(Int32, Int32, Int32, Int32)>((-1, -1, -1, -1))

    deinit {
        let (a, b, c, d) = fds.withLock { $0 }
        for fd in [a, b, c, d] where fd >= 0 { sys_close(fd) }
    }

    func set(_ stream: Int, _ fd: Int32) {
        fds.withLock { f in
            switch stream {
            case 0: f.0 = fd
            case 1: f.1 = fd
            case 2: f.2 = fd
            default: f.3 = fd
            }
        }
    }

    /// The end of `stream` (0, 1 or 2, or ``terminal``), now owned by the caller; nil if there
    /// is none (the stream is not a pipe, or it was taken).
    func take(_ stream: Int) -> OwnedFD? {
        let fd: Int32 = fds.withLock { f in
            var taken: Int32 = -1
            switch stream {
            case 0: swap(&taken, &f.0)
            case 1: swap(&taken, &f.1)
            case 2: swap(&taken, &f.2)
            case 3: swap(&taken, &f.3)
            default: break
            }
            return taken
        }
        return fd >= 0 ? OwnedFD(fd) : nil
    }
}

extension SpawnPlanner {
    /// The stdio sources of `c` for ``SpawnPlan/stdio(_:)``: checked fds, -1 (inherit) or
    /// `NSC_STDIO_NULL`. A ``StdioSource/pipe`` makes a pipe: the plan owns the child's end
    /// (closed in the parent once the plan is released) and `pipes` gets the caller's end; with
    /// no `pipes` (a spawn that cannot return them) it is an invalid argument.
    static func stdioSources(_ c: ProcessConfiguration, into plan: SpawnPlan,
                             pipes: PipeEnds?) throws(NSCoreError) -> (Int32, Int32, Int32) {
        func source(_ s: StdioSource, _ stream: Int, _ name: String) throws(NSCoreError) -> Int32 {
            switch s {
            case .inherit:
                return -1
            case .fd(let fd):
                if fd < 0 || nsc_shim_fd_flags(fd) < 0 {
                    throw NSCoreError(.invalidArgument, errno: Errno(rawValue: EBADF), stage: name,
                                      message: "\(name): fd \(fd) is not an open file descriptor")
                }
                return fd
            case .null:
                return NSC_STDIO_NULL  // the child opens /dev/null itself
            case .pipe:
                guard let pipes else {
                    throw .invalid(name, "\(name): a pipe needs a call that returns the caller's end (spawnWithPipes, joinWithPipes or run)")
                }
                // Both ends O_CLOEXEC: the child's end reaches the command only through the
                // stdio step's dup, and the caller's end never reaches it at all.
                switch sys_pipe() {
                case .success(let p):
                    if stream == 0 {
                        pipes.set(stream, p.write.release())
                        return plan.own(p.read)
                    }
                    pipes.set(stream, p.read.release())
                    return plan.own(p.write)
                case .failure(let e):
                    throw .sys(e, "pipe2 (\(name))")
                }
            }
        }
        return (try source(c.stdin, 0, "stdin"), try source(c.stdout, 1, "stdout"),
                try source(c.stderr, 2, "stderr"))
    }
}
