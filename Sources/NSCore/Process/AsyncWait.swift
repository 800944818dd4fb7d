import CNSCoreShim
import Glibc
import Synchronization

// `Container.wait() async`: one shared thread runs epoll over the pidfds of every container
// being awaited, so a thousand pending waits cost one thread, not a thousand blocked ones.

/// How one registered wait ended.
enum AsyncWaitOutcome: Sendable {
    /// The pidfd became readable: the process has exited and can be reaped without blocking.
    case ready
    /// The awaiting task was cancelled first.
    case cancelled
    /// Registering the pidfd with epoll failed.
    case failed(Errno)
}

/// The shared pidfd poller behind ``Container/wait()-async``.
///
/// The library starts its one thread, named `nscore-wait`, on the first asynchronous wait and
/// keeps it for the life of the process; it blocks every signal and sleeps in `epoll_wait(2)`
/// when nothing is pending. Each pending wait holds a duplicate of its container's pidfd (so a
/// concurrent `detach()` or close cannot leave a stale fd number in the epoll set) and releases
/// it when the wait ends.
final class AsyncWaitPoller: Sendable {
    static let shared = AsyncWaitPoller()

    private struct Waiter {
        /// The duplicated pidfd registered with epoll; -1 until ``register(token:fd:continuation:)``.
        var fd: Int32 = -1
        var continuation: CheckedContinuation<AsyncWaitOutcome, Never>?
        /// Set when cancellation arrives before the registration does.
        var cancelled = false
    }

    private struct State {
        var epollFD: Int32 = -1
        var nextToken: UInt64 = 1
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state = Mutex(State())

    private init() {}

    /// Waits until `fd` (a pidfd this call owns and closes) is readable or the task is cancelled.
    func wait(fd: Int32) async -> AsyncWaitOutcome {
        let token = state.withLock { s -> UInt64 in
            let t = s.nextToken
            s.nextToken += 1
            s.waiters[t] = Waiter()
            return t
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<AsyncWaitOutcome, Never>) in
                register(token: token, fd: fd, continuation: c)
            }
        } onCancel: {
            cancel(token: token)
        }
    }

    private func register(token: UInt64, fd: Int32, continuation: CheckedContinuation<AsyncWaitOutcome, Never>) {
        let immediate: AsyncWaitOutcome? = state.withLock { s in
            if s.waiters[token]?.cancelled ?? true {
                s.waiters[token] = nil
                return .cancelled
            }
            if s.epollFD < 0 {
                switch startThread() {
                case .success(let epfd): s.epollFD = epfd
                case .failure(let e):
                    s.waiters[token] = nil
                    return .failed(e)
                }
            }
            // The poller thread takes this lock before it looks a token up, so it cannot see the
            // event before the continuation is stored.
            s.waiters[token] = Waiter(fd: fd, continuation: continuation)
            if nsc_shim_epoll_add(s.epollFD, fd, token) != 0 {
                let e = Errno.current
                s.waiters[token] = nil
                return .failed(e)
            }
            return nil
        }
        if let immediate {
            sys_close(fd)
            continuation.resume(returning: immediate)
        }
    }

    private func cancel(token: UInt64) {
        let found = state.withLock { s -> (Int32, CheckedContinuation<AsyncWaitOutcome, Never>)? in
            guard var w = s.waiters[token] else { return nil }
            guard let c = w.continuation else {
                // Not registered yet: register() sees the flag and resumes at once.
                w.cancelled = true
                s.waiters[token] = w
                return nil
            }
            s.waiters[token] = nil
            _ = nsc_shim_epoll_del(s.epollFD, w.fd)
            return (w.fd, c)
        }
        if let (fd, c) = found {
            sys_close(fd)
            c.resume(returning: .cancelled)
        }
    }

    /// Creates the epoll instance and the poller thread. Called once, under the lock.
    private func startThread() -> Result<Int32, Errno> {
        let epfd = nsc_shim_epoll_create()
        if epfd < 0 { return .failure(.current) }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(PollerStart(poller: self, epollFD: epfd))
        let rc = pthread_create(&thread, nil, { arg in
            let start = Unmanaged<PollerStart>.fromOpaque(arg!).takeRetainedValue()
            start.poller.run(epollFD: start.epollFD)
        }, box.toOpaque())
        if rc != 0 {
            box.release()
            sys_close(epfd)
            return .failure(Errno(rawValue: rc))
        }
        pthread_detach(thread)
        return .success(epfd)
    }

    /// The poller thread's loop: wait for readable pidfds, drop them from the set, and resume
    /// their waiters. It never returns.
    private func run(epollFD: Int32) -> Never {
        // Signals meant for the host's own threads must never be delivered here.
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
        _ = nsc_shim_prctl_set_name("nscore-wait")
        let capacity: Int32 = 64
        var tokens = [UInt64](repeating: 0, count: Int(capacity))
        while true {
            let n = nsc_shim_epoll_wait_tokens(epollFD, &tokens, capacity, -1)
            if n < 0 {
                // EINTR cannot happen with every signal blocked, but costs nothing to tolerate.
                precondition(Glibc.errno == EINTR, "epoll_wait on the nscore-wait poller failed: \(Errno.current)")
                continue
            }
            var ready: [(Int32, CheckedContinuation<AsyncWaitOutcome, Never>)] = []
            state.withLock { s in
                for i in 0..<Int(n) {
                    // A waiter cancelled after epoll_wait returned is gone already; skip it.
                    guard let w = s.waiters.removeValue(forKey: tokens[i]), let c = w.continuation else {
                        continue
                    }
                    _ = nsc_shim_epoll_del(epollFD, w.fd)
                    ready.append((w.fd, c))
                }
            }
            for (fd, c) in ready {
                sys_close(fd)
                c.resume(returning: .ready)
            }
        }
    }
}

/// What the new thread needs, passed through `pthread_create`'s single pointer.
private final class PollerStart {
    let poller: AsyncWaitPoller
    let epollFD: Int32
    init(poller: AsyncWaitPoller, epollFD: Int32) {
        self.poller = poller
        self.epollFD = epollFD
    }
}

extension Container {
    /// The body of ``wait()-async``: reap if possible, else park on the poller until the pidfd is
    /// readable, then reap without blocking.
    func waitAsynchronously() async throws(NSCoreError) -> ExitStatus {
        while true {
            if let status = try poll() { return status }
            if Task.isCancelled { throw Self.cancelledError }
            // poll() succeeded, so the handle was not detached a moment ago; a detach racing this
            // line makes the dup fail with EBADF, reported the way poll() reports it.
            let fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 0)
            if fd < 0 {
                let e = Errno.current
                if e.rawValue == EBADF {
                    throw NSCoreError(.invalidArgument, stage: "wait", message: "wait: the handle was detached")
                }
                throw .sys(e, "dup pidfd")
            }
            switch await AsyncWaitPoller.shared.wait(fd: fd) {
            case .ready: continue
            case .cancelled: throw Self.cancelledError
            case .failed(let e): throw .sys(e, "epoll_ctl pidfd")
            }
        }
    }

    private static var cancelledError: NSCoreError {
        NSCoreError(.system, errno: Errno(rawValue: ECANCELED), stage: "wait",
                    message: "wait: the awaiting task was cancelled; the process still runs")
    }
}
