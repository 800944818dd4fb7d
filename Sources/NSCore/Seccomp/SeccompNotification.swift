import CNSCoreShim
import Glibc

extension Seccomp {
    /// A syscall held by a ``Action/notify`` rule, waiting for an answer (`struct seccomp_notif`).
    public struct Notification: Sendable, Hashable {
        /// The kernel's cookie for this notification.
        public var id: UInt64
        /// The calling thread, as seen from the listener's PID namespace.
        public var pid: pid_t
        /// The syscall number, on ``architecture``.
        public var number: Int32
        /// The audit architecture (`AUDIT_ARCH_X86_64`, ...).
        public var architecture: UInt32
        public var instructionPointer: UInt64
        public var arguments: [UInt64]

        /// The syscall's name, when the compiler's tables know it.
        public var name: String? {
            guard let t = SeccompTarget.allCases.first(where: { $0.audit == architecture }) else { return nil }
            let row = nsc_shim_syscall_name_row(t.rawValue, number)
            return row < 0 ? nil : nsc_shim_syscall_row_name(row).map { String(cString: $0) }
        }
    }

    /// How a supervisor answers a notification.
    public enum Response: Sendable, Hashable {
        /// Let the syscall run as if no filter held it (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`).
        /// Only safe where the supervisor's decision does not depend on memory the caller can
        /// still change (seccomp_unotify(2)).
        case `continue`
        /// Fail it with this errno (positive) without running it.
        case error(Int32)
        /// Return this value without running it.
        case value(Int64)
    }

    /// Waits for the next notification on `listener` (``Container/seccompListener``).
    /// The corresponding ioctl is `SECCOMP_IOCTL_NOTIF_RECV`.
    /// - Throws: ``NSCoreError``; ENOENT when the caller died before it could be read.
    public static func receiveNotification(from listener: Int32) throws(NSCoreError) -> Notification {
        var n = nsc_seccomp_notif()
        var r: Int32
        repeat { r = nsc_shim_seccomp_notify_receive(listener, &n) } while r == -EINTR
        if r < 0 { throw .sys(Errno(rawValue: -r), "seccomp notification (receive)") }
        return Notification(id: n.id, pid: pid_t(bitPattern: n.pid), number: n.nr, architecture: n.arch,
                            instructionPointer: n.instruction_pointer,
                            arguments: [n.args.0, n.args.1, n.args.2, n.args.3, n.args.4, n.args.5])
    }

    /// Answers the notification `id` (``Notification/id``).
    public static func respond(toID id: UInt64, on listener: Int32, with response: Response) throws(NSCoreError) {
        try respond(to: Notification(id: id, pid: 0, number: 0, architecture: 0, instructionPointer: 0, arguments: []),
                    on: listener, with: response)
    }

    /// The name of syscall `number` of audit architecture `architecture` (`AUDIT_ARCH_X86_64`,
    /// `AUDIT_ARCH_I386`, `AUDIT_ARCH_AARCH64`), when the compiler's tables know it.
    public static func syscallName(number: Int32, architecture: UInt32) -> String? {
        Notification(id: 0, pid: 0, number: number, architecture: architecture, instructionPointer: 0, arguments: []).name
    }

    /// True when some architecture the compiler's tables know has a syscall `name` (a profile
    /// may name it; on an architecture that lacks it, the rule is skipped).
    public static func knows(syscall name: String) -> Bool {
        SeccompCompiler.lookup(name) >= 0
    }

    /// Answers `notification`. The corresponding ioctl is `SECCOMP_IOCTL_NOTIF_SEND`.
    /// - Throws: ``NSCoreError``; ENOENT when the caller was killed or interrupted meanwhile.
    public static func respond(to notification: Notification, on listener: Int32, with response: Response) throws(NSCoreError) {
        var resp = nsc_seccomp_notif_resp(id: notification.id, val: 0, error: 0, flags: 0)
        switch response {
        case .continue: resp.flags = 1  // SECCOMP_USER_NOTIF_FLAG_CONTINUE
        case .error(let e):
            guard e > 0 && e <= 4095 else {
                throw .invalid("seccomp", "seccomp: a notification's errno must be 1 to 4095, not \(e)")
            }
            resp.error = -e
        case .value(let v): resp.val = v
        }
        let r = nsc_shim_seccomp_notify_respond(listener, &resp)
        if r < 0 {
            let e = Errno(rawValue: -r)
            let stage = "seccomp notification (respond)"
            let id = notification.id
            switch -r {
            case ENOENT:
                throw NSCoreError(.notFound, errno: e, stage: stage,
                                  message: "\(stage): notification \(id) is gone: its thread was killed or interrupted "
                                  + "meanwhile, or the id was never received on this listener: \(e)")
            case EINVAL, EBADF, ENOTTY:
                throw NSCoreError(.invalidArgument, errno: e, stage: stage,
                                  message: "\(stage): fd \(listener) is not a seccomp listener: \(e)")
            case EINPROGRESS:
                throw NSCoreError(.busy, errno: e, stage: stage,
                                  message: "\(stage): notification \(id) was answered already: \(e)")
            default:
                throw NSCoreError(.system, errno: e, stage: stage, message: "\(stage): \(e)")
            }
        }
    }
}
