import Glibc

/// What a process does with each signal, as `/proc/PID/status` shows it, and whether the kernel
/// would discard a signal sent to it.
///
/// The kernel drops a signal at the moment it is sent when the target ignores it, and, for the
/// init of a PID namespace (PID 1 there), also when the target has no handler for it: init is
/// protected from every signal it did not ask for, except SIGKILL and SIGSTOP sent from an
/// ancestor namespace. So `sleep` as PID 1 of a new PID namespace never sees SIGTERM or SIGINT.
/// A blocked signal is not dropped when sent: it stays pending until the process unblocks it (and
/// is discarded then if the process ignores it or, as an init, still has no handler).
///
/// The masks are read once; a process can change its handlers at any time after, so the answer
/// describes the moment of the read.
public struct SignalDisposition: Sendable, Equatable {
    /// Signals with a handler (`SigCgt:`), bit `n - 1` for signal `n`.
    public var caught: UInt64
    /// Signals set to `SIG_IGN` (`SigIgn:`).
    public var ignored: UInt64
    /// Signals the main thread blocks (`SigBlk:`), the mask the kernel checks when a signal is
    /// sent to the process.
    public var blocked: UInt64
    /// True when the process is PID 1 of its own PID namespace (the last `NSpid:` entry is 1).
    public var isNamespaceInit: Bool
    /// True when a tracer is attached (`TracerPid:` is not 0): the kernel then drops nothing.
    public var isTraced: Bool
    /// True when the process is blocked in `rt_sigtimedwait(2)` (`/proc/PID/syscall`), as
    /// signal-relaying inits (nscore's, tini) are. While it waits, the kernel shows the waited
    /// signals as unblocked in `SigBlk:` yet still queues them (it checks the mask saved for the
    /// wait), so such a process is taken to receive every signal.
    public var isWaitingForSignals: Bool

    /// A disposition from its parts.
    public init(caught: UInt64, ignored: UInt64, blocked: UInt64 = 0, isNamespaceInit: Bool, isTraced: Bool = false,
                isWaitingForSignals: Bool = false) {
        self.caught = caught
        self.ignored = ignored
        self.blocked = blocked
        self.isNamespaceInit = isNamespaceInit
        self.isTraced = isTraced
        self.isWaitingForSignals = isWaitingForSignals
    }

    /// Reads the disposition of process `pid` (a pid of the caller's `/proc`).
    /// The corresponding files are `/proc/PID/status` and, for ``isWaitingForSignals``,
    /// `/proc/PID/syscall` (which needs ptrace access to the process; without it, false).
    /// - Throws: ``NSCoreError`` (not found) when there is no such process, or when the file
    ///   lacks the signal masks.
    public static func read(pid: pid_t) throws(NSCoreError) -> SignalDisposition {
        let bytes: [UInt8]
        switch sys_readFile("/proc/\(pid)/status", limit: 1 << 16) {
        case .success(let b): bytes = b
        case .failure(let e): throw .sys(e, "read /proc/\(pid)/status")
        }
        guard var parsed = parse(bytes) else {
            throw NSCoreError(.system, errno: Errno(rawValue: EIO), stage: "read /proc/\(pid)/status",
                              message: "read /proc/\(pid)/status: no SigCgt/SigIgn lines")
        }
        if case .success(let text) = sys_readFile("/proc/\(pid)/syscall", limit: 512) {
            parsed.isWaitingForSignals = isSigtimedwait(text)
        }
        return parsed
    }

    /// The `rt_sigtimedwait` numbers of this architecture (and its 64-bit-time variant).
    private static let sigtimedwaitNumbers: [Int64] = {
        #if arch(x86_64)
        return [128]
        #elseif arch(arm64)
        return [137]
        #elseif arch(i386)
        return [177, 421]
        #elseif arch(arm)
        return [177, 421]
        #else
        return []
        #endif
    }()

    /// True if a `/proc/PID/syscall` text ("128 0x7ffd... ...": the number of the call the
    /// process is blocked in, then its arguments) names `rt_sigtimedwait`. "running" and "-1 ..."
    /// (not in a call) are false.
    static func isSigtimedwait(_ text: [UInt8]) -> Bool {
        var number: Int64 = 0
        var digits = 0
        for c in text {
            guard c >= 0x30 && c <= 0x39 else { break }
            number = number &* 10 &+ Int64(c - 0x30)
            digits += 1
        }
        return digits > 0 && sigtimedwaitNumbers.contains(number)
    }

    /// Parses the text of a `/proc/PID/status` file; `nil` when a signal mask line is missing.
    static func parse(_ bytes: [UInt8]) -> SignalDisposition? {
        bytes.withUnsafeBytes { raw -> SignalDisposition? in
            guard let caught = ProcText.field("SigCgt:", in: raw).flatMap(hexMask),
                  let ignored = ProcText.field("SigIgn:", in: raw).flatMap(hexMask)
            else { return nil }
            let blocked = ProcText.field("SigBlk:", in: raw).flatMap(hexMask) ?? 0
            var last: Int64 = 0
            if let line = ProcText.field("NSpid:", in: raw) {
                ProcText.forEachInteger(in: line) { last = $0 }
            } else if let line = ProcText.field("Pid:", in: raw) {
                // Before Linux 4.1 (no NSpid line) only the pid in this /proc's namespace.
                ProcText.forEachInteger(in: line) { last = $0 }
            }
            var tracer: Int64 = 0
            if let line = ProcText.field("TracerPid:", in: raw) {
                ProcText.forEachInteger(in: line) { tracer = $0 }
            }
            return SignalDisposition(caught: caught, ignored: ignored, blocked: blocked,
                                     isNamespaceInit: last == 1, isTraced: tracer != 0)
        }
    }

    /// A hexadecimal mask such as `"\t0000000000014002"`; `nil` if there are no hex digits.
    private static func hexMask(_ text: UnsafeRawBufferPointer) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        for c in text {
            let d: UInt64
            switch c {
            case 0x30...0x39: d = UInt64(c - 0x30)
            case 0x61...0x66: d = UInt64(c - 0x61 + 10)
            case 0x41...0x46: d = UInt64(c - 0x41 + 10)
            case 0x20, 0x09: continue
            default: return nil
            }
            value = value << 4 | d
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    private static func bit(_ signal: Int32) -> UInt64 {
        signal >= 1 && signal <= 64 ? UInt64(1) << UInt64(signal - 1) : 0
    }

    /// True if the process has a handler for `signal`.
    public func catches(_ signal: Int32) -> Bool { caught & Self.bit(signal) != 0 }
    /// True if the process ignores `signal` (`SIG_IGN`).
    public func ignores(_ signal: Int32) -> Bool { ignored & Self.bit(signal) != 0 }
    /// True if the process blocks `signal`.
    public func blocks(_ signal: Int32) -> Bool { blocked & Self.bit(signal) != 0 }

    /// True if the kernel would discard `signal` sent now from the caller's (an ancestor)
    /// namespace: the process ignores it, or it is a namespace's init without a handler for it.
    /// SIGKILL and SIGSTOP are never dropped; nor is a blocked signal that the process does not
    /// ignore (it stays pending for a handler, `signalfd(2)` or `sigwaitinfo(2)`), nor any signal
    /// to a process waiting in `rt_sigtimedwait(2)` or traced.
    public func drops(_ signal: Int32) -> Bool {
        if signal == SIGKILL || signal == SIGSTOP || isTraced || isWaitingForSignals { return false }
        // Ignored and blocked, it is queued, then discarded once unblocked (shells block every
        // signal for a moment around each fork).
        if ignores(signal) { return true }
        // Blocked with the default action, it may be taken by signalfd(2) or sigwaitinfo(2).
        if blocks(signal) { return false }
        return isNamespaceInit && !catches(signal)
    }
}
