// Stdio+ABI.swift - nscore_container_stdio_fd (nscore.h "Containers", NSCORE_STDIO_PIPE) and
// nscore_container_terminal_fd (nscore_process_config_set_terminal).
import Glibc
import NSCore

/// Hands the caller the parent's end of an NSCORE_STDIO_PIPE stream (once); NSCORE_EINVAL for a
/// stream that is not 0-2, is not a pipe, or was handed out already.
@c
public func nscore_container_stdio_fd(_ c: OpaquePointer?, _ stream: Int32, _ fdOut: UnsafeMutablePointer<Int32>?,
                                      _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_stdio_fd"
    return ABI.run(err) { () throws(NSCoreError) in
        let h = try ABI.handle(c, ContainerHandle.self, f, "c")
        guard let fdOut else { throw ABI.invalid("fd_out", "\(f): fd_out is NULL") }
        guard (0...2).contains(stream) else {
            throw ABI.invalid("stream", "\(f): stream must be 0 (stdin), 1 (stdout) or 2 (stderr), not \(stream)")
        }
        let fd = h.takePipe(stream)
        guard fd >= 0 else {
            let name = ["stdin", "stdout", "stderr"][Int(stream)]
            throw ABI.invalid("stream", "\(f): \(name) is not a pipe (NSCORE_STDIO_PIPE), or its end was handed out already")
        }
        fdOut.pointee = fd
    }
}

/// Hands the caller the multiplexer of the command's terminal (once); NSCORE_EINVAL when it has
/// none (no terminal was asked for) or it was handed out already.
@c
public func nscore_container_terminal_fd(_ c: OpaquePointer?, _ fdOut: UnsafeMutablePointer<Int32>?,
                                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_terminal_fd"
    return ABI.run(err) { () throws(NSCoreError) in
        let h = try ABI.handle(c, ContainerHandle.self, f, "c")
        guard let fdOut else { throw ABI.invalid("fd_out", "\(f): fd_out is NULL") }
        let fd = h.takePipe(3)
        guard fd >= 0 else {
            throw ABI.invalid("c", "\(f): the container has no terminal (nscore_process_config_set_terminal), or it was handed out already")
        }
        fdOut.pointee = fd
    }
}
