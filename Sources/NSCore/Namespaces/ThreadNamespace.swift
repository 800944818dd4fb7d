import CNSCoreShim
import Glibc

/// Running code with the *calling thread* in another namespace, restoring it afterwards.
///
/// `setns(2)` on network, UTS and IPC namespaces (and `pid_for_children`) changes only the
/// calling thread, so a multi-threaded host can use them without disturbing other threads,
/// provided the thread is put back even when the body throws. Mount, user and time namespaces
/// cannot be entered by a multi-threaded process and are refused here.
public enum ThreadNamespace {
    /// The kinds this helper accepts.
    public static let allowed: NamespaceSet = [.network, .uts, .ipc]

    /// Runs `body` with the calling thread inside the `kinds` namespaces of process `pid`.
    ///
    /// The thread's own namespaces are opened first and restored after `body`, whether it
    /// returns or throws. Do not hop threads inside `body` (no `await`): the namespace
    /// belongs to this thread only.
    /// The corresponding syscall is `setns(2)`.
    /// - Parameters:
    ///   - kinds: a subset of ``allowed``.
    ///   - pid: the process whose namespaces to enter.
    ///   - body: the work to do inside.
    /// - Throws: ``NSCoreError`` for a bad kind or pid, a refused setns, or what `body` throws.
    public static func run<T>(in kinds: NamespaceSet, of pid: pid_t,
                              _ body: () throws(NSCoreError) -> T) throws(NSCoreError) -> T {
        let bad = kinds.subtracting(allowed)
        if !bad.isEmpty {
            throw .invalid("namespaces", "a thread can only enter net, uts and ipc namespaces, not \(bad)")
        }
        guard pid > 0 else { throw .invalid("pid", "pid \(pid) is not a valid pid") }
        var targets: [(NamespaceKind, Int32)] = []
        var saved: [(NamespaceKind, Int32)] = []
        defer {
            for (_, fd) in targets { sys_close(fd) }
            for (_, fd) in saved { sys_close(fd) }
        }
        for kind in kinds.kinds {
            switch sys_open(kind.path(of: pid), O_RDONLY) {
            case .success(let f): targets.append((kind, f.release()))
            case .failure(let e):
                throw NSCoreError(e.rawValue == ENOENT ? .notFound : .from(errno: e), errno: e,
                                  stage: "open \(kind.path(of: pid))",
                                  message: "no process with pid \(pid) (or its \(kind) namespace is not readable): \(e)")
            }
            switch sys_open("/proc/thread-self/ns/\(kind.procName)", O_RDONLY) {
            case .success(let f): saved.append((kind, f.release()))
            case .failure(let e): throw .sys(e, "open /proc/thread-self/ns/\(kind.procName)")
            }
        }
        var entered: [(NamespaceKind, Int32)] = []
        defer {
            // Restore in reverse order. Failing to restore would leave this thread in the
            // wrong namespace for whatever runs next on it: that is a bug, so trap.
            for (kind, fd) in entered.reversed() {
                if nsc_shim_setns(fd, kind.cloneFlag) != 0 {
                    preconditionFailure("NSCore: cannot restore the thread's \(kind) namespace: \(Errno.current)")
                }
            }
        }
        for (i, (kind, fd)) in targets.enumerated() {
            if nsc_shim_setns(fd, kind.cloneFlag) != 0 {
                throw .sys(.current, "setns(\(kind)) into pid \(pid)")
            }
            entered.append((kind, saved[i].1))
        }
        return try body()
    }

    /// Runs `body` with the calling thread inside the network namespace an open namespace file
    /// refers to (`/proc/PID/ns/net`, or one `ip netns add` bind-mounted; the fd is borrowed),
    /// restoring it afterwards, whether `body` returns or throws.
    /// The corresponding syscall is `setns(2)`.
    /// - Throws: ``NSCoreError``: invalid argument when the fd is not an open network namespace,
    ///   or what `body` throws.
    public static func run<T>(inNetworkNamespace fd: Int32, _ body: () throws(NSCoreError) -> T) throws(NSCoreError) -> T {
        let stage = "setns(net) into fd \(fd)"
        // A raw number, closed by hand: the restoring `defer` below must run before the close.
        let saved: Int32
        switch sys_open("/proc/thread-self/ns/net", O_RDONLY) {
        case .success(let f): saved = f.release()
        case .failure(let e): throw .sys(e, "open /proc/thread-self/ns/net")
        }
        defer { sys_close(saved) }
        let netFlag = NamespaceKind.network.cloneFlag
        if case .failure(let e) = sys_setns(fd, netFlag) {
            switch e.rawValue {
            case EINVAL: throw .invalid(stage, "\(stage): fd \(fd) is not a network namespace")
            case EBADF: throw .invalid(stage, "\(stage): fd \(fd) is not an open file descriptor")
            default: throw .sys(e, stage)
            }
        }
        defer {
            // Failing to go back would leave this thread in the wrong namespace for whatever
            // runs next on it: a bug, so trap.
            if case .failure(let e) = sys_setns(saved, netFlag) {
                preconditionFailure("NSCore: cannot restore the thread's network namespace: \(e)")
            }
        }
        return try body()
    }
}
