import CNSCoreShim
import Glibc

extension SpawnPlanner {
    /// The stdio sources of `c` for ``SpawnPlan/stdio(_:)``: checked fds, -1 (inherit) or
    /// `NSC_STDIO_NULL`.
    static func stdioSources(_ c: ProcessConfiguration) throws(NSCoreError) -> (Int32, Int32, Int32) {
        func source(_ s: StdioSource, _ name: String) throws(NSCoreError) -> Int32 {
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
            }
        }
        return (try source(c.stdin, "stdin"), try source(c.stdout, "stdout"), try source(c.stderr, "stderr"))
    }
}
