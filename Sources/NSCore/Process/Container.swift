import CNSCoreShim
import Glibc
import Synchronization

/// How a process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    /// It called `exit(code)`.
    case exited(Int32)
    /// A signal terminated it.
    case signaled(Int32)

    /// The shell's convention: the exit code, or 128 + the signal number.
    public var shellCode: Int32 {
        switch self {
        case .exited(let c): return c
        case .signaled(let s): return 128 + s
        }
    }

    public var description: String {
        switch self {
        case .exited(let c): return "exited with code \(c)"
        case .signaled(let s): return "killed by signal \(s)"
        }
    }
}

/// A running (or finished) process that NSCore started: a container's first process, or a
/// command joined into existing namespaces.
///
/// The handle holds a pidfd, so waits and signals can never reach a recycled pid. It is safe to
/// use from several threads: one may wait while another sends signals. When the last
/// reference goes away, a process that is still running is killed and reaped, so a dropped
/// handle never leaks a process or a zombie; call ``detach()`` to let it run on.
public final class Container: @unchecked Sendable {
    /// The process id, as seen from the caller's PID namespace.
    public let pid: pid_t
    /// The pidfd (`pidfd_open(2)` semantics), owned by this handle; -1 after ``detach()``.
    public var pidfd: Int32 { state.withLock { $0.pidfd } }

    private struct State {
        var pidfd: Int32
        var status: ExitStatus?
        var detached = false
        /// What the spawn set up outside the container and undoes once it is reaped (the host
        /// end of a veth pair); run once, outside the lock.
        var cleanups: [@Sendable () -> Void] = []
    }
    private let state: Mutex<State>

    /// The seccomp listener (`SECCOMP_FILTER_FLAG_NEW_LISTENER`) when the filter has a rule
    /// whose action is ``Seccomp/Action/notify``, else -1. Owned by this handle (closed when it
    /// goes away); read notifications with ``Seccomp/receiveNotification(from:)`` and answer
    /// them with ``Seccomp/respond(to:on:with:)``, or poll it in your own loop.
    public let seccompListener: Int32

    /// The container's cgroup directories (one per hierarchy its ``SpawnConfiguration/resources``
    /// need), empty without resources. They are removed once it is reaped.
    public let cgroups: [String]

    init(pid: pid_t, pidfd: Int32, cleanups: [@Sendable () -> Void] = [], seccompListener: Int32 = -1,
         cgroups: [String] = []) {
        self.pid = pid
        self.seccompListener = seccompListener
        self.cgroups = cgroups
        self.state = Mutex(State(pidfd: pidfd, status: nil, cleanups: cleanups))
    }

    deinit {
        if seccompListener >= 0 { sys_close(seccompListener) }
        let s = state.withLock { $0 }
        guard s.pidfd >= 0 else { return }
        if s.status == nil && !s.detached {
            _ = nsc_shim_pidfd_send_signal(s.pidfd, SIGKILL, 0)
            var st: Int32 = 0, code: Int32 = 0, p: pid_t = 0
            while nsc_shim_waitid_pidfd(s.pidfd, WEXITED, &st, &code, &p) < 0 && Glibc.errno == EINTR {}
            for cleanup in s.cleanups { cleanup() }
        }
        sys_close(s.pidfd)
    }

    /// The exit status if the process has ended (reaping it), or `nil` while it runs.
    /// - Throws: ``NSCoreError`` if waiting fails.
    public func poll() throws(NSCoreError) -> ExitStatus? {
        try reap(blocking: false)
    }

    /// Waits until the process ends and returns how it ended. Later calls return the same value.
    /// The corresponding syscall is `waitid(P_PIDFD, ...)`.
    /// - Throws: ``NSCoreError`` if the handle was detached or waiting fails.
    public func wait() throws(NSCoreError) -> ExitStatus {
        while true {
            if let s = try waitReadable(timeoutMilliseconds: -1) { return s }
        }
    }

    /// Waits, without blocking a thread, until the process ends and returns how it ended.
    ///
    /// The wait parks on one shared poller thread (`nscore-wait`, started by the first
    /// asynchronous wait and kept for the life of the process) that runs `epoll_wait(2)` over the
    /// pidfds of every pending wait; when the pidfd becomes readable the process is reaped with
    /// `waitid(P_PIDFD, ..., WNOHANG)`. Later calls return the same value.
    /// - Throws: ``NSCoreError`` if the handle was detached or waiting fails, and
    ///   ``NSCoreError`` with errno `ECANCELED` if the awaiting task is cancelled (the process is
    ///   left running and can be waited for again).
    public func wait() async throws(NSCoreError) -> ExitStatus {
        try await waitAsynchronously()
    }

    /// Waits at most `timeout` for the process to end.
    /// - Returns: the exit status, or `nil` if it is still running when the time is up.
    /// - Throws: ``NSCoreError`` (invalid argument) for a negative timeout, or if waiting fails.
    public func wait(timeout: Duration) throws(NSCoreError) -> ExitStatus? {
        let ms = timeout.milliseconds
        guard ms >= 0 else { throw .invalid("wait", "wait: timeout must not be negative") }
        return try wait(timeoutMilliseconds: ms)
    }

    /// Waits at most `timeoutMilliseconds` (-1: forever) for the process to end.
    public func wait(timeoutMilliseconds: Int64) throws(NSCoreError) -> ExitStatus? {
        if timeoutMilliseconds < 0 { return try wait() }
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let deadline = clock.milliseconds.addingReportingOverflow(timeoutMilliseconds)
        if deadline.overflow { return try wait() }
        while true {
            clock_gettime(CLOCK_MONOTONIC, &clock)
            let left = max(0, deadline.partialValue - clock.milliseconds)
            if let s = try waitReadable(timeoutMilliseconds: left) { return s }
            if left == 0 { return nil }
        }
    }

    /// Sends `signal` to the process. The corresponding syscall is `pidfd_send_signal(2)`.
    /// - Throws: ``NSCoreError`` (process exited) if it has already been reaped, (invalid
    ///   argument) for a bad signal number.
    public func signal(_ signal: Int32) throws(NSCoreError) {
        guard signal >= 0 && signal < 65 else {
            throw .invalid("signal", "signal: \(signal) is not a signal number (0-64)")
        }
        let fd = state.withLock { $0.pidfd }
        guard fd >= 0 else { throw NSCoreError(.invalidArgument, stage: "signal", message: "signal: the handle was detached") }
        if state.withLock({ $0.status }) != nil {
            throw NSCoreError(.processExited, errno: Errno(rawValue: ESRCH), stage: "signal",
                              message: "signal: process \(pid) has already exited")
        }
        if nsc_shim_pidfd_send_signal(fd, signal, 0) != 0 {
            let e = Errno.current
            throw NSCoreError(.from(errno: e), errno: e, stage: "pidfd_send_signal",
                              message: "send signal \(signal) to pid \(pid): \(e)")
        }
    }

    /// What the process does with each signal now, and whether the kernel would drop one sent
    /// to it (``SignalDisposition``). The corresponding file is `/proc/PID/status`.
    /// - Throws: ``NSCoreError`` (process exited) once it has been reaped, (not found) if its
    ///   `/proc` entry cannot be read (a `/proc` of another PID namespace).
    public func signalDisposition() throws(NSCoreError) -> SignalDisposition {
        let (fd, status) = state.withLock { ($0.pidfd, $0.status) }
        guard fd >= 0 else {
            throw NSCoreError(.invalidArgument, stage: "signal disposition",
                              message: "signal disposition: the handle was detached")
        }
        if status != nil {
            throw NSCoreError(.processExited, errno: Errno(rawValue: ESRCH), stage: "signal disposition",
                              message: "signal disposition: process \(pid) has already exited")
        }
        // The pid cannot be reused meanwhile: this handle's owner is its parent and has not
        // reaped it (a reap under the lock would have stored a status).
        let disposition = try SignalDisposition.read(pid: pid)
        if state.withLock({ $0.status }) != nil {
            throw NSCoreError(.processExited, errno: Errno(rawValue: ESRCH), stage: "signal disposition",
                              message: "signal disposition: process \(pid) has already exited")
        }
        return disposition
    }

    /// Asks the process to stop: SIGTERM, then SIGKILL if it is still running after `timeout`
    /// (`nil`: never escalate, wait for it to end). Returns how it ended. A process that
    /// already ended just returns its status.
    ///
    /// When the kernel would drop SIGTERM, the process gets SIGKILL at once instead of after
    /// the timeout (even with a `nil` timeout, which would otherwise wait forever): that is the
    /// case for the PID 1 of a new PID namespace (a container with a PID namespace and without
    /// ``SpawnConfiguration/useInit``) that has no SIGTERM handler, since
    /// the kernel protects a namespace's init from every signal it does not handle, and for a
    /// process that ignores SIGTERM. The handler mask is read from `/proc/PID/status`
    /// (`SigCgt`, `SigIgn`, `SigBlk`, `NSpid`) when `stop` is called: a PID 1 that installs its
    /// handler later (a shell before its `trap` line) is killed. A PID 1 that handles SIGTERM,
    /// blocks it, or waits for signals in `rt_sigtimedwait(2)` (nscore's init with
    /// ``SpawnConfiguration/useInit``, tini), and every other process, gets SIGTERM first.
    /// - Throws: ``NSCoreError`` (invalid argument) for a negative timeout, or if waiting fails.
    public func stop(timeout: Duration? = .seconds(10)) throws(NSCoreError) -> ExitStatus {
        if let timeout, timeout.milliseconds < 0 {
            throw .invalid("stop", "stop: timeout must not be negative")
        }
        if let s = try poll() { return s }
        // Unreadable (a /proc of another PID namespace): assume SIGTERM arrives.
        let dropsTerm = (try? signalDisposition())?.drops(SIGTERM) ?? false
        do { try signal(dropsTerm ? SIGKILL : SIGTERM) } catch where error.code == .processExited {}
        guard let timeout, !dropsTerm else { return try wait() }
        if let s = try wait(timeout: timeout) { return s }
        do { try signal(SIGKILL) } catch where error.code == .processExited {}
        return try wait()
    }

    /// Lets the process outlive this handle: it is neither killed nor reaped when the handle
    /// goes away, and the pidfd is closed now.
    public func detach() {
        state.withLock {
            if $0.pidfd >= 0 { sys_close($0.pidfd) }
            $0.pidfd = -1
            $0.detached = true
        }
    }

    /// Polls the pidfd for readability, then reaps without blocking under the lock, so that
    /// concurrent waiters cannot both reap (the second sees the stored status).
    private func waitReadable(timeoutMilliseconds: Int64) throws(NSCoreError) -> ExitStatus? {
        let fd = state.withLock { $0.pidfd }
        guard fd >= 0 else { throw NSCoreError(.invalidArgument, stage: "wait", message: "wait: the handle was detached") }
        if let s = state.withLock({ $0.status }) { return s }
        let timeout = Int32(clamping: timeoutMilliseconds)
        if case .failure(let e) = sys_poll(fd, events: Int16(POLLIN), timeoutMilliseconds: timeout), e.rawValue != EINTR {
            throw .sys(e, "poll pidfd")
        }
        return try reap(blocking: false)
    }

    private func reap(blocking: Bool) throws(NSCoreError) -> ExitStatus? {
        var cleanups: [@Sendable () -> Void] = []
        defer { for cleanup in cleanups { cleanup() } }
        let result: Result<ExitStatus?, NSCoreError> = state.withLock { s in
            if let st = s.status { return .success(st) }
            guard s.pidfd >= 0 else {
                return .failure(NSCoreError(.invalidArgument, stage: "wait", message: "wait: the handle was detached"))
            }
            var st: Int32 = 0, code: Int32 = 0, p: pid_t = 0
            let options = WEXITED | (blocking ? 0 : WNOHANG)
            while true {
                if nsc_shim_waitid_pidfd(s.pidfd, options, &st, &code, &p) == 0 { break }
                if Glibc.errno == EINTR { continue }
                let e = Errno.current
                if e.rawValue == ECHILD {
                    return .failure(NSCoreError(.system, errno: e, stage: "waitid pid \(pid)",
                        message: "waitid pid \(pid): \(e); the kernel reaped it already, which happens when this process sets SIGCHLD to SIG_IGN (or SA_NOCLDWAIT): leave SIGCHLD at its default to get exit statuses"))
                }
                return .failure(.sys(e, "waitid pid \(pid)"))
            }
            if p == 0 { return .success(nil) }
            let status: ExitStatus = code == CLD_EXITED ? .exited(st) : .signaled(st)
            s.status = status
            if !s.cleanups.isEmpty { swap(&cleanups, &s.cleanups) }
            return .success(status)
        }
        return try result.get()
    }
}

extension timespec {
    var milliseconds: Int64 { Int64(tv_sec) * 1000 + Int64(tv_nsec) / 1_000_000 }
}

extension Duration {
    /// Whole milliseconds, saturating at Int64.max / Int64.min.
    var milliseconds: Int64 {
        let (s, atto) = components
        let (ms, overflow) = s.multipliedReportingOverflow(by: 1000)
        if overflow { return s < 0 ? .min : .max }
        return ms.addingReportingOverflow(atto / 1_000_000_000_000_000).overflow ? .max : ms + atto / 1_000_000_000_000_000
    }
}
