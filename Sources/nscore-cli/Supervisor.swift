import Glibc
import NSCore

/// Waiting for a container while forwarding signals to it, for `run` and `exec`.
///
/// ``blockSignals()`` must run before the container is spawned: the forwarded signals (and
/// SIGCHLD) are then held pending instead of killing nscore, even if they arrive during the
/// spawn, and ``wait(for:)`` collects them with sigtimedwait(2). The engine's child empties its
/// signal mask before execve, so the command does not inherit the block.
enum Supervisor {
    /// Adds the signals passed on to the container's process to `set`: SIGTERM, SIGINT,
    /// SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH.
    static func addForwarded(to set: inout sigset_t) {
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        sigaddset(&set, SIGQUIT)
        sigaddset(&set, SIGUSR1)
        sigaddset(&set, SIGUSR2)
        sigaddset(&set, SIGWINCH)
    }

    /// `si_code` of a signal the kernel generated itself, e.g. a terminal's SIGINT on Ctrl-C
    /// (`SI_KERNEL` in <asm-generic/siginfo.h>).
    private static let siKernel: Int32 = 0x80

    /// Blocks the forwarded signals and SIGCHLD in the calling thread (nscore is single-threaded),
    /// and gives SIGCHLD its default disposition. The corresponding calls are `signal(2)` and
    /// `pthread_sigmask(3)`.
    static func blockSignals() {
        // A SIGCHLD that nscore inherited as ignored would make the kernel reap the container
        // behind our back (waitid then fails with ECHILD): restore the default.
        _ = signal(SIGCHLD, SIG_DFL)
        var set = waitSet()
        _ = pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits for `container` to end, forwarding each forwarded signal nscore receives meanwhile.
    ///
    /// SIGCHLD wakes the loop when the process ends; the one-second timeout is only a safety net.
    /// A signal the terminal sent to nscore's whole process group (Ctrl-C, a window resize) has
    /// already reached a command in that group, so it is not sent a second time.
    /// - Throws: ``NSCoreError`` if waiting fails.
    static func wait(for container: Container) throws(NSCoreError) -> ExitStatus {
        var set = waitSet()
        while true {
            if let status = try container.poll() { return status }
            var info = siginfo_t()
            var timeout = timespec(tv_sec: 1, tv_nsec: 0)
            let signal = sigtimedwait(&set, &info, &timeout)
            if signal <= 0 || signal == SIGCHLD { continue }  // EAGAIN (timeout), EINTR, or a child ended
            if info.si_code == siKernel && getpgid(container.pid) == getpgrp() { continue }
            // The process may end between the poll and the signal: that is not an error.
            do { try container.signal(signal) } catch {}
        }
    }

    /// Starts a container with `start` (after blocking the forwarded signals, so none is lost
    /// between the spawn and the wait), waits for it, and returns the shell-style status.
    /// A failure to start exits with the code for that error (125/126/127); a failure while
    /// waiting with 125.
    static func run(_ start: () throws(NSCoreError) -> Container) throws(CLIError) -> Int32 {
        blockSignals()
        let container: Container
        do {
            container = try start()
        } catch {
            throw .failed(error, exitCode: ExitCode.forSpawnError(error))
        }
        do {
            return try wait(for: container).shellCode
        } catch {
            throw .failed(error, exitCode: ExitCode.runtimeFailed)
        }
    }

    private static func waitSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        addForwarded(to: &set)
        sigaddset(&set, SIGCHLD)
        return set
    }
}
