// Container+ABI.swift - nscore_container_* (nscore.h "Containers").
import Glibc
import NSCore

/// waitpid(2)'s encoding of an exit status: exited -> code << 8, signaled -> the signal number.
private func waitStatus(_ s: ExitStatus) -> Int32 {
    switch s {
    case .exited(let code): return (code & 0xff) << 8
    case .signaled(let signal): return signal & 0x7f
    }
}

private func container(_ c: OpaquePointer?, _ function: String) throws(NSCoreError) -> Container {
    try ABI.handle(c, ContainerHandle.self, function, "c").container
}

/// A timeout in milliseconds: -1 means forever (nil), 0 or more as given.
private func timeout(_ ms: Int32, _ function: String) throws(NSCoreError) -> Int32? {
    if ms == -1 { return nil }
    guard ms >= 0 else {
        throw ABI.invalid("timeout_ms", "\(function): timeout_ms must be -1 (forever) or >= 0, not \(ms)")
    }
    return ms
}

/// The pid in the caller's PID namespace; -1 for NULL.
@c
public func nscore_container_pid(_ c: OpaquePointer?) -> pid_t {
    guard let c else { return -1 }
    return ABI.borrow(c, as: ContainerHandle.self).container.pid
}

/// The pidfd owned by the handle; -1 for NULL or after detach.
@c
public func nscore_container_pidfd(_ c: OpaquePointer?) -> Int32 {
    guard let c else { return -1 }
    return ABI.borrow(c, as: ContainerHandle.self).container.pidfd
}

/// The seccomp listener owned by the handle (do not close it), or -1 (none, or NULL).
@c
public func nscore_container_seccomp_listener(_ c: OpaquePointer?) -> Int32 {
    guard let c else { return -1 }
    return ABI.borrow(c, as: ContainerHandle.self).container.seccompListener
}

/// Waits up to timeout_ms (-1 forever, 0 poll) and reaps; *wstatus in waitpid(2) format.
/// NSCORE_ETIMEDOUT (with an error object) while the process still runs.
@c
public func nscore_container_wait(_ c: OpaquePointer?, _ timeoutMS: Int32, _ wstatus: UnsafeMutablePointer<Int32>?,
                                  _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_wait"
    return ABI.run(err) { () throws(NSCoreError) in
        let container = try container(c, f)
        let status: ExitStatus
        if let ms = try timeout(timeoutMS, f) {
            guard let s = try container.wait(timeoutMilliseconds: Int64(ms)) else {
                throw NSCoreError(.timedOut, errno: Errno(rawValue: ETIMEDOUT), stage: "wait",
                                  message: "wait: process \(container.pid) is still running after \(ms) ms")
            }
            status = s
        } else {
            status = try container.wait()
        }
        wstatus?.pointee = waitStatus(status)
    }
}

/// pidfd_send_signal(2); NSCORE_EEXITED once the process has been reaped.
@c
public func nscore_container_signal(_ c: OpaquePointer?, _ sig: Int32,
                                    _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        try container(c, "nscore_container_signal").signal(sig)
    }
}

/// SIGTERM, then SIGKILL after timeout_ms (-1: never escalate); SIGKILL at once when the kernel
/// would drop SIGTERM (a PID 1 without a handler). Waits and reaps.
@c
public func nscore_container_stop(_ c: OpaquePointer?, _ timeoutMS: Int32, _ wstatus: UnsafeMutablePointer<Int32>?,
                                  _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_container_stop"
    return ABI.run(err) { () throws(NSCoreError) in
        let container = try container(c, f)
        let status = try container.stop(timeout: try timeout(timeoutMS, f).map { .milliseconds($0) })
        wstatus?.pointee = waitStatus(status)
    }
}

/// Lets the process outlive the handle; closes the pidfd. NULL is ignored.
@c
public func nscore_container_detach(_ c: OpaquePointer?) {
    guard let c else { return }
    ABI.borrow(c, as: ContainerHandle.self).container.detach()
}

/// Releases the handle; a running, non-detached process is killed and reaped. NULL ok.
@c
public func nscore_container_free(_ c: OpaquePointer?) {
    guard let c else { return }
    ABI.release(c, as: ContainerHandle.self)
}
