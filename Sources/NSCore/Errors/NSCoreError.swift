import Glibc

/// The one error type NSCore throws, from every layer.
///
/// An error carries a ``Code`` (what class of failure), the `errno` the kernel returned when there
/// was one, the ``stage`` that failed (`"setns(net)"`, `"mount proc on /proc"`, `"execve /bin/ls"`)
/// and a human sentence that names what was wrong. The C ABI exposes the same four fields through
/// `nscore_error_*` accessors, and Python raises `nscore.NSCoreError` (an `OSError`) with them.
public struct NSCoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The class of a failure. A struct over a private enum, so new codes can be added without
    /// breaking `switch` statements in client code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: Int32, Sendable {
            case invalidArgument = 1
            case notFound = 2
            case permissionDenied = 3
            case unsupported = 4
            case childSetupFailed = 5
            case busy = 6
            case processExited = 7
            case timedOut = 8
            case system = 9
        }
        let value: Value

        /// A configuration value or argument is malformed (empty argv, hostname over 64 bytes,
        /// unknown flag bits, a string with a NUL byte).
        public static let invalidArgument = Code(value: .invalidArgument)
        /// A process, file, namespace or command does not exist.
        public static let notFound = Code(value: .notFound)
        /// The kernel refused for lack of privilege (`EPERM`, `EACCES`).
        public static let permissionDenied = Code(value: .permissionDenied)
        /// The running kernel lacks a feature the request needs.
        public static let unsupported = Code(value: .unsupported)
        /// The child failed in a setup step between clone and execve; ``NSCoreError/stage`` names it.
        public static let childSetupFailed = Code(value: .childSetupFailed)
        /// The operation needs a single-threaded caller, or the resource is in use.
        public static let busy = Code(value: .busy)
        /// The process has exited (or its PID namespace has no init left).
        public static let processExited = Code(value: .processExited)
        /// A wait with a deadline expired.
        public static let timedOut = Code(value: .timedOut)
        /// Any other failure of a system call; ``NSCoreError/errno`` says which.
        public static let system = Code(value: .system)

        /// The stable number of this code; the C ABI returns its negation (`NSCORE_EINVAL` is -1).
        public var rawValue: Int32 { value.rawValue }

        /// The code for a raw value, or `nil` if there is none.
        public init?(rawValue: Int32) {
            guard let v = Value(rawValue: rawValue) else { return nil }
            self.value = v
        }
        init(value: Value) { self.value = value }

        public var description: String {
            switch value {
            case .invalidArgument: return "invalid argument"
            case .notFound: return "not found"
            case .permissionDenied: return "permission denied"
            case .unsupported: return "unsupported by kernel"
            case .childSetupFailed: return "child setup failed"
            case .busy: return "busy"
            case .processExited: return "process exited"
            case .timedOut: return "timed out"
            case .system: return "system error"
            }
        }

        /// The natural code for an errno value from a system call.
        static func from(errno e: Errno) -> Code {
            switch e.rawValue {
            case EINVAL, ENAMETOOLONG, E2BIG: return .invalidArgument
            case ENOENT, ENOTDIR: return .notFound
            case ESRCH: return .processExited
            case EPERM, EACCES: return .permissionDenied
            case ENOSYS, EOPNOTSUPP: return .unsupported
            case EBUSY, EUSERS: return .busy
            case ETIMEDOUT: return .timedOut
            default: return .system
            }
        }
    }

    /// The class of the failure.
    public var code: Code
    /// The errno the kernel returned, when the failure came from a system call.
    public var errno: Errno?
    /// The step that failed, e.g. `"setns(net)"` or `"mount proc on /proc"`.
    public var stage: String
    /// A complete sentence for a human: what failed, on what, and why.
    public var message: String
    /// True when the command itself could not be started: resolving it found nothing or
    /// nothing executable, or its `execve(2)` failed. With ``code`` (``Code/notFound``,
    /// ``Code/permissionDenied``) this is what shells and container runtimes turn into exit
    /// status 127 or 126.
    public var isCommandFailure: Bool = false

    /// Creates an error. `message` defaults to "`stage`: `strerror(errno)`".
    public init(_ code: Code, errno: Errno? = nil, stage: String, message: String? = nil) {
        self.code = code
        self.errno = errno
        self.stage = stage
        if let message {
            self.message = message
        } else if let errno {
            self.message = "\(stage): \(errno)"
        } else {
            self.message = stage
        }
    }

    /// An error for a failed system call, with the code derived from `errno`.
    static func sys(_ errno: Errno, _ stage: String, _ message: String? = nil) -> NSCoreError {
        NSCoreError(.from(errno: errno), errno: errno, stage: stage, message: message)
    }

    /// An invalid-argument error that names the argument.
    static func invalid(_ stage: String, _ message: String) -> NSCoreError {
        NSCoreError(.invalidArgument, errno: Errno(rawValue: EINVAL), stage: stage, message: message)
    }

    public var description: String { message }

    /// This error, marked as a failure to start the command (``isCommandFailure``).
    func aboutCommand() -> NSCoreError {
        var e = self
        e.isCommandFailure = true
        return e
    }
}
