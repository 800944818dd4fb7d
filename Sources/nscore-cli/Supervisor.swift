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

    /// Waits for `container` to end, forwarding each forwarded signal nscore receives meanwhile,
    /// and returns the shell-style status.
    ///
    /// SIGCHLD wakes the loop when the process ends; the one-second timeout is only a safety net.
    /// A signal the terminal sent to nscore's whole process group (Ctrl-C, a window resize) has
    /// already reached a command in that group, so it is not sent a second time.
    ///
    /// A SIGINT or SIGTERM that the container's process would never see, because it is PID 1 of
    /// its PID namespace without a handler for it (the kernel drops such signals), stops the
    /// container with SIGKILL instead, as a user pressing Ctrl-C expects; nscore then exits
    /// 128 + the signal it received (130 for SIGINT), as if that signal had ended the command.
    /// - Throws: ``NSCoreError`` if waiting fails.
    static func wait(for container: Container) throws(NSCoreError) -> Int32 {
        var set = waitSet()
        var stoppedBy: Int32?
        while true {
            if let status = try container.poll() { return exitCode(status, stoppedBy: stoppedBy) }
            var info = siginfo_t()
            var timeout = timespec(tv_sec: 1, tv_nsec: 0)
            let signal = sigtimedwait(&set, &info, &timeout)
            if signal <= 0 || signal == SIGCHLD { continue }  // EAGAIN (timeout), EINTR, or a child ended
            forward(signal, code: info.si_code, to: container, stoppedBy: &stoppedBy)
        }
    }

    /// nscore's exit status for a container that ended with `status`; `stoppedBy` is the signal
    /// for which nscore killed it (see ``forward(_:code:to:stoppedBy:)``).
    static func exitCode(_ status: ExitStatus, stoppedBy: Int32?) -> Int32 {
        if let stoppedBy, status == .signaled(SIGKILL) { return 128 + stoppedBy }
        return status.shellCode
    }

    /// Passes a forwarded signal nscore received (with its `si_code`) on to `container`. A
    /// SIGINT or SIGTERM its PID 1 would drop kills it instead, and is remembered in
    /// `stoppedBy`; a signal the terminal sent to nscore's process group, which the command
    /// shares, is not sent twice.
    static func forward(_ signal: Int32, code: Int32, to container: Container, stoppedBy: inout Int32?) {
        if signal == SIGINT || signal == SIGTERM, dropsAsInit(container, signal) {
            stoppedBy = stoppedBy ?? signal
            do { try container.signal(SIGKILL) } catch {}
            return
        }
        if code == siKernel && getpgid(container.pid) == getpgrp() { return }
        // The process may end between the poll and the signal: that is not an error.
        do { try container.signal(signal) } catch {}
    }

    /// True if `container`'s process is a PID-namespace init that would drop `signal` (no
    /// handler for it), read from /proc/PID/status now.
    private static func dropsAsInit(_ container: Container, _ signal: Int32) -> Bool {
        guard let d = try? container.signalDisposition() else { return false }
        return d.isNamespaceInit && d.drops(signal)
    }

    /// Starts a container with `start` (after blocking the forwarded signals, so none is lost
    /// between the spawn and the wait), waits for it, and returns the shell-style status.
    /// A failure to start exits with the code for that error (125/126/127); a failure while
    /// waiting with 125.
    ///
    /// With `launch`, the container's pid is written to `launch.pidFile` (a line, as runc and
    /// crun write it) once it runs, and with `launch.detach` it is printed on stdout and left
    /// running: the handle is detached and nscore returns 0 without waiting.
    static func run(_ launch: Launch = Launch(),
                    _ start: () throws(NSCoreError) -> Container) throws(CLIError) -> Int32 {
        blockSignals()
        let container: Container
        do {
            container = try start()
        } catch {
            throw .failed(error, exitCode: ExitCode.forSpawnError(error))
        }
        try writePidFile(launch, container)
        if launch.detach {
            container.detach()
            Output.out("\(container.pid)\n")
            return 0
        }
        do {
            return try wait(for: container)
        } catch {
            throw .failed(error, exitCode: ExitCode.runtimeFailed)
        }
    }

    /// ``run(_:_:)`` for a container with a terminal (`--tty`): `start` gets the size of
    /// nscore's own terminal (nil if it has none) and returns the container with its
    /// multiplexer, which ``TerminalRelay`` serves until the container ends.
    static func runWithTerminal(_ launch: Launch,
                                _ start: (ConsoleSize?) throws(NSCoreError) -> PipedContainer) throws(CLIError) -> Int32 {
        blockSignals()
        var piped: PipedContainer
        do {
            piped = try start(TerminalRelay.ownSize())
        } catch {
            throw .failed(error, exitCode: ExitCode.forSpawnError(error))
        }
        guard let master = piped.terminal.take() else {
            throw .failed(NSCoreError(.system, stage: "terminal", message: "terminal: the container has no terminal"),
                          exitCode: ExitCode.runtimeFailed)
        }
        let container = piped.container
        try writePidFile(launch, container)
        do throws(NSCoreError) {
            return try TerminalRelay.serve(container, master: master)
        } catch {
            throw .failed(error, exitCode: ExitCode.runtimeFailed)
        }
    }

    /// How `run` hands the container over: a pid file, and whether nscore waits for it.
    struct Launch {
        /// Where to write the container's pid (`--pid-file`).
        var pidFile: String?
        /// Print the pid and leave the container running (`--detach`).
        var detach = false
    }

    /// Writes the container's pid to `launch.pidFile`, if given; on failure the container is
    /// stopped (it must not outlive a failed launch) and the error thrown.
    private static func writePidFile(_ launch: Launch, _ container: Container) throws(CLIError) {
        guard let path = launch.pidFile else { return }
        do {
            try writePidFile(path, container.pid)
        } catch {
            _ = try? container.stop(timeout: .zero)
            throw error
        }
    }

    /// Writes "PID\n" to `path` (created with mode 0644, or truncated).
    private static func writePidFile(_ path: String, _ pid: pid_t) throws(CLIError) {
        let text = "\(pid)\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw pidFileError(path, "open") }
        let written = text.withCString { write(fd, $0, strlen($0)) }
        let failure = written == text.utf8.count ? nil : pidFileError(path, "write")
        close(fd)
        if let failure { throw failure }
    }

    private static func pidFileError(_ path: String, _ call: String) -> CLIError {
        let e = Errno(rawValue: errno == 0 ? EIO : errno)
        let code: NSCoreError.Code = e.rawValue == EACCES || e.rawValue == EPERM || e.rawValue == EROFS
            ? .permissionDenied : e.rawValue == ENOENT ? .notFound : .system
        return .failed(NSCoreError(code, errno: e, stage: "\(call) \(path)",
                                   message: "cannot write the pid file \(path): \(e)"),
                       exitCode: ExitCode.runtimeFailed)
    }

    static func waitSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        addForwarded(to: &set)
        sigaddset(&set, SIGCHLD)
        return set
    }
}
