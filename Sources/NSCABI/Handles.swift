// Handles.swift - the Swift objects behind the opaque C handles of nscore.h, and the glue every
// entry point shares: turning an NSCoreError into a return code and an optional error object,
// reading C strings and string arrays, and checking pointers.
//
// Every handle is a Swift class retained once with `Unmanaged.passRetained` when it is handed to
// C and released once with `takeRetainedValue` by its `nscore_x_free`. Nothing here traps on bad
// input: a NULL pointer, a bad flag or an invalid UTF-8 string becomes NSCORE_EINVAL with an
// error object naming the argument.
//
// Exports are written `@c` alone (Swift 6.3 is required; STYLE.md §5).
// `@c @implementation` would also check each signature against nscore.h, but needs nscore.h
// imported as a Clang module into this target, which Package.swift does not do yet; until then
// the C tests (compiled against nscore.h with -Werror) and the symbol list guard the ABI.
import Glibc
import NSCore
import Synchronization

// MARK: - Handle classes

/// `nscore_error`: an NSCoreError flattened to C strings that live as long as the object.
final class ErrorHandle {
    /// The negative NSCORE_E* code.
    let code: Int32
    /// The kernel's errno, or 0.
    let sysErrno: Int32
    /// strdup'd; nil only if strdup failed (the accessors then return "").
    let stage: UnsafeMutablePointer<CChar>?
    /// strdup'd; nil only if strdup failed.
    let message: UnsafeMutablePointer<CChar>?
    /// NSCoreError.isCommandFailure.
    let isCommandFailure: Bool

    init(_ error: NSCoreError) {
        isCommandFailure = error.isCommandFailure
        code = ABI.returnCode(error.code)
        sysErrno = error.errno?.rawValue ?? 0
        stage = strdup(error.stage)
        message = strdup(error.message)
    }

    deinit {
        free(stage)
        free(message)
    }
}

/// `nscore_spawn_config`: a mutable SpawnConfiguration. Not synchronised: nscore.h forbids
/// modifying a configuration while another thread uses it.
final class SpawnConfigHandle {
    /// Everything but the process part, which lives in ``process``.
    var configuration = SpawnConfiguration([])
    /// The process part (`nscore_spawn_config_process`).
    let process = ProcessConfigHandle()
    /// NSCORE_NETWORK_NONE (0) or _VETH (1); see Network+ABI.swift.
    var networkMode: Int32 = 0
    /// The veth settings, kept whatever the mode and used when it is VETH.
    var veth = Veth()
    /// A network namespace to join (nscore_spawn_config_set_network_namespace); wins over the mode.
    var networkNamespace: String? = nil

    /// The configuration to spawn.
    var assembled: SpawnConfiguration {
        var c = configuration
        c.process = process.process
        return c
    }
}

/// `nscore_join_config`: the pieces of a JoinConfiguration, assembled by nscore_join (a
/// JoinConfiguration cannot exist without a target, and the C caller sets it later).
final class JoinConfigHandle {
    var targetPID: pid_t?
    var paths: [NamespaceKind: String] = [:]
    var namespaces: NamespaceSet?
    /// JoinConfiguration.joinCgroups (`nscore_join_config_set_join_cgroups`).
    var joinCgroups = true
    /// The process part (`nscore_join_config_process`).
    let process = ProcessConfigHandle()
}

/// `nscore_container`: a Container (itself thread-safe), and the caller's ends of its
/// NSCORE_STDIO_PIPE streams and its terminal's multiplexer until nscore_container_stdio_fd()
/// and nscore_container_terminal_fd() hand them out (closed with the handle otherwise).
final class ContainerHandle {
    let container: Container
    private let pipes: Mutex<(Int32, Int32, Int32, Int32)>

    init(_ container: Container) {
        self.container = container
        self.pipes = Mutex((-1, -1, -1, -1))
    }

    init(_ piped: consuming PipedContainer) {
        func raw(_ fd: consuming OwnedFD?) -> Int32 {
            switch consume fd {
            case .some(let f): return f.release()
            case .none: return -1
            }
        }
        self.pipes = Mutex((raw(piped.stdin.take()), raw(piped.stdout.take()), raw(piped.stderr.take()),
                            raw(piped.terminal.take())))
        self.container = piped.container
    }

    deinit {
        let (a, b, c, d) = pipes.withLock { $0 }
        for fd in [a, b, c, d] where fd >= 0 { close(fd) }
    }

    /// The caller's end of stream `stream` (0, 1 or 2; 3: the terminal's multiplexer), handed
    /// out once: -1 if there is none or it was handed out already.
    func takePipe(_ stream: Int32) -> Int32 {
        pipes.withLock { p in
            var taken: Int32 = -1
            switch stream {
            case 0: swap(&taken, &p.0)
            case 1: swap(&taken, &p.1)
            case 2: swap(&taken, &p.2)
            case 3: swap(&taken, &p.3)
            default: break
            }
            return taken
        }
    }
}

/// `nscore_cgroup`: the cgroup directories found for a pid by nscore_cgroup_open (immutable,
/// so thread-safe). It holds the directories, not the pid: a recycled pid changes nothing.
final class CgroupHandle {
    /// The pid it was opened with (for nscore_cgroup_json).
    let pid: pid_t
    let set: CgroupSet
    init(pid: pid_t, set: CgroupSet) {
        self.pid = pid
        self.set = set
    }
}

// MARK: - Shared glue

/// Helpers shared by the `nscore_*` entry points.
enum ABI {
    /// `NSCORE_E*` for an engine code: the negated raw value (invalidArgument 1 -> -1, ...).
    static func returnCode(_ code: NSCoreError.Code) -> Int32 {
        -code.rawValue
    }

    /// The error for a NULL pointer passed where one is required.
    static func null(_ function: String, _ argument: String) -> NSCoreError {
        NSCoreError(.invalidArgument, errno: Errno(rawValue: EINVAL), stage: argument,
                    message: "\(function): \(argument) is NULL")
    }

    /// An invalid-argument error naming `argument`.
    static func invalid(_ argument: String, _ message: String) -> NSCoreError {
        NSCoreError(.invalidArgument, errno: Errno(rawValue: EINVAL), stage: argument, message: message)
    }

    /// Stores a new error object in `*err` (when `err` is not NULL) and returns the code.
    static func fail(_ error: NSCoreError, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
        if let err {
            err.pointee = OpaquePointer(Unmanaged.passRetained(ErrorHandle(error)).toOpaque())
        }
        return returnCode(error.code)
    }

    /// Runs `body`, turning a thrown error into a return code and `*err`.
    static func run(_ err: UnsafeMutablePointer<OpaquePointer?>?,
                    _ body: () throws(NSCoreError) -> Void) -> Int32 {
        do {
            try body()
            return 0
        } catch {
            return fail(error, err)
        }
    }

    // MARK: Handles

    static func retain<T: AnyObject>(_ object: T) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(object).toOpaque())
    }

    /// The object behind a handle, borrowed (not retained again).
    static func borrow<T: AnyObject>(_ handle: OpaquePointer, as: T.Type) -> T {
        Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Balances ``retain(_:)``.
    static func release<T: AnyObject>(_ handle: OpaquePointer, as: T.Type) {
        Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).release()
    }

    /// The object behind a required handle argument, or an invalid-argument error.
    static func handle<T: AnyObject>(_ handle: OpaquePointer?, _ type: T.Type, _ function: String,
                                     _ argument: String) throws(NSCoreError) -> T {
        guard let handle else { throw null(function, argument) }
        return borrow(handle, as: type)
    }

    // MARK: Strings

    /// A required UTF-8 string argument.
    static func string(_ p: UnsafePointer<CChar>?, _ function: String,
                       _ argument: String) throws(NSCoreError) -> String {
        guard let p else { throw null(function, argument) }
        return try decode(p, function, argument)
    }

    /// An optional string argument: NULL gives nil.
    static func optionalString(_ p: UnsafePointer<CChar>?, _ function: String,
                               _ argument: String) throws(NSCoreError) -> String? {
        guard let p else { return nil }
        return try decode(p, function, argument)
    }

    private static func decode(_ p: UnsafePointer<CChar>, _ function: String,
                               _ argument: String) throws(NSCoreError) -> String {
        // Refuse invalid UTF-8 rather than "repairing" it: a repaired path names another file.
        guard let s = String(validatingCString: p) else {
            throw invalid(argument, "\(function): \(argument) is not valid UTF-8")
        }
        return s
    }

    /// A NULL-terminated array of strings; nil when the array pointer itself is NULL.
    static func stringArray(_ p: UnsafePointer<UnsafePointer<CChar>?>?, _ function: String,
                            _ argument: String) throws(NSCoreError) -> [String]? {
        guard let p else { return nil }
        var out: [String] = []
        var i = 0
        while let s = p[i] {
            out.append(try decode(s, function, "\(argument)[\(i)]"))
            i += 1
        }
        return out
    }

    /// A malloc'd copy of `s` for the caller to free with nscore_string_free.
    static func copyOut(_ s: String, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                        _ stage: String) throws(NSCoreError) {
        guard let p = strdup(s) else {
            throw NSCoreError(.system, errno: Errno(rawValue: ENOMEM), stage: stage,
                              message: "\(stage): out of memory for the JSON result")
        }
        out.pointee = p
    }

    // MARK: Flags and small values

    /// Validated NSCORE_NS_* bits.
    static func namespaces(_ bits: UInt32, _ argument: String) throws(NSCoreError) -> NamespaceSet {
        try NamespaceSet(validating: bits, stage: argument)
    }

    /// The kind for exactly one NSCORE_NS_* bit.
    static func kind(_ bit: UInt32, _ function: String,
                     _ argument: String = "ns") throws(NSCoreError) -> NamespaceKind {
        guard bit != 0, bit & (bit - 1) == 0, bit & ~NamespaceSet.validBits == 0,
              let kind = NamespaceKind(rawValue: Int32(bit.trailingZeroBitCount)) else {
            throw invalid(argument, "\(function): \(argument) must be exactly one NSCORE_NS_* bit, "
                              + "not 0x\(String(bit, radix: 16))")
        }
        return kind
    }

    /// A boolean given as an int: 0 or 1, anything else is rejected.
    static func flag(_ value: Int32, _ function: String, _ argument: String = "enable") throws(NSCoreError) -> Bool {
        switch value {
        case 0: return false
        case 1: return true
        default: throw invalid(argument, "\(function): \(argument) must be 0 or 1, not \(value)")
        }
    }

    /// Stream number and mode of a set_stdio call, as a StdioSource.
    static func stdio(stream: Int32, mode: Int32, fd: Int32,
                      _ function: String) throws(NSCoreError) -> (Int, StdioSource) {
        guard (0...2).contains(stream) else {
            throw invalid("stream", "\(function): stream must be 0 (stdin), 1 (stdout) or 2 (stderr), not \(stream)")
        }
        switch mode {
        case 0: return (Int(stream), .inherit)                   // NSCORE_STDIO_INHERIT
        case 1: return (Int(stream), .null)                      // NSCORE_STDIO_NULL
        case 2:                                                  // NSCORE_STDIO_FD
            guard fd >= 0 else { throw invalid("fd", "\(function): fd \(fd) is not a file descriptor") }
            return (Int(stream), .fd(fd))
        case 3: return (Int(stream), .pipe)                      // NSCORE_STDIO_PIPE
        default:
            throw invalid("mode", "\(function): mode must be NSCORE_STDIO_INHERIT, _NULL, _FD or _PIPE, not \(mode)")
        }
    }
}

/// A NUL-terminated string in the binary's read-only data, for functions that return static
/// storage ("do not free"). `utf8Start` of a literal with pointer representation is documented as
/// NUL-terminated; a one-scalar literal may be stored as a scalar instead, so pass only empty or
/// longer literals.
func staticCString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}
