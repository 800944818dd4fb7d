import Glibc
import NSCore

/// `nscore run`'s seccomp options: `--seccomp PROFILE` and docker run's `--security-opt`
/// (`seccomp=PROFILE`, `no-new-privileges[=true|false]`), turned into
/// ``SpawnConfiguration/seccomp`` (their help is in RunCommand.help).
///
/// PROFILE is `default` (``Seccomp/default``, NSCore's equivalent of Docker's default profile,
/// whose capability-dependent rules follow the command's bounding set), `unconfined` (no
/// filter) or the path of an OCI `linux.seccomp` JSON profile (or of a whole config.json).
///
/// Without `--seccomp` the engine's default applies (the default profile with `--rootfs`, no
/// filter for a plain spawn), except with `--privileged`, which, as in Docker, means no filter.
///
/// A file is read, parsed and compiled once every option is parsed, so that a bad one fails
/// before anything is set up, with an error that names the file and the place in it (exit 125,
/// as a missing bind source does: it is the file, not the command line, that is wrong). The
/// spawn then finds the compiled program in the engine's cache. A profile with
/// `SCMP_ACT_NOTIFY` is refused: its calls would wait for a supervisor that nscore does not have.
struct SeccompOptions {
    static func add(to t: inout OptionTable) {
        t.add(OptionSpec("seccomp", value: .required))
        t.add(OptionSpec("security-opt", value: .required))
    }

    /// What `--seccomp` (or `--security-opt seccomp=`) asked for.
    enum Profile {
        case `default`
        case unconfined
        case file(String)
    }

    /// The last profile given; nil when none was.
    private var profile: Profile?
    /// Set by RunCommand when `--privileged` is given: without a profile, no filter (Docker's
    /// `--privileged` runs unconfined too).
    var privileged = false

    /// Applies `option`; false when it is not one of these. `--security-opt no-new-privileges`
    /// is handed to `security` as `--no-new-privileges` (`=false`: `--new-privileges`).
    mutating func apply(_ option: ParsedOption, security: inout SecurityOptions,
                        _ parser: ArgumentParser) throws(CLIError) -> Bool {
        switch option.name {
        case "seccomp":
            profile = try Self.profile(option.value ?? "", option, parser)
        case "security-opt":
            let text = option.value ?? ""
            if text.hasPrefix("seccomp=") {
                profile = try Self.profile(String(text.dropFirst(8)), option, parser)
                return true
            }
            let forwarded: OptionName
            switch text {
            case "no-new-privileges", "no-new-privileges=true": forwarded = "no-new-privileges"
            case "no-new-privileges=false": forwarded = "new-privileges"
            default:
                throw parser.usage("unsupported value '\(text)' for '\(option.spelling)': nscore supports "
                                   + "seccomp=PROFILE (default, unconfined or a JSON file) and "
                                   + "no-new-privileges[=true|false]")
            }
            _ = try security.apply(ParsedOption(name: forwarded, value: nil, spelledAs: option.spelledAs), parser)
        default:
            return false
        }
        return true
    }

    /// Sets `config.seccomp` when an option asks to. Inlined: without these options, `nscore run`
    /// only tests the state and calls nothing.
    /// - Throws: a failure (exit 125) for a file that cannot be read or holds a bad profile.
    @inline(__always)
    func configure(_ config: inout SpawnConfiguration) throws(CLIError) {
        if profile != nil || privileged { try configureGiven(&config) }
    }

    /// ``configure(_:)`` once an option was given.
    @inline(never)
    private func configureGiven(_ config: inout SpawnConfiguration) throws(CLIError) {
        switch profile {
        case nil: config.seccomp = .unconfined  // --privileged alone
        case .default: config.seccomp = .default
        case .unconfined: config.seccomp = .unconfined
        case .file(let path):
            do throws(NSCoreError) {
                config.seccomp = try Self.loadForRun(path)
            } catch {
                throw .failed(error, exitCode: ExitCode.runtimeFailed)
            }
        }
    }

    /// `error` from the spawn, with what the engine finds only then about the filter explained:
    /// a profile file that refuses the calls the child makes after installing it is named, and
    /// an installation refused for want of privilege says what gives it.
    @inline(never)
    func explained(_ error: NSCoreError) -> NSCoreError {
        guard error.stage.hasPrefix("seccomp") else { return error }
        var e = error
        if error.stage == "seccomp", case .file(let path)? = profile {
            e = Self.named(error, path)
        }
        if error.errno?.rawValue == EACCES {
            // The engine's hint, in the CLI's words.
            let engine = "set noNewPrivileges, or add a user namespace"
            if e.message.hasSuffix(engine) {
                e.message = String(e.message.dropLast(engine.count))
                    + "add --no-new-privileges, or a user namespace (--map-root-user)"
            }
        }
        return e
    }

    /// `default`, `unconfined` or a path; an empty value is a usage error.
    private static func profile(_ text: String, _ option: ParsedOption,
                                _ parser: ArgumentParser) throws(CLIError) -> Profile {
        switch text {
        case "":
            throw parser.usage("'\(option.spelling)' needs a PROFILE: default, unconfined or the path of a JSON file")
        case "default": return .default
        case "unconfined": return .unconfined
        default: return .file(text)
        }
    }

    // ---- Profile files (shared with `nscore seccomp`) ----------------------------------------

    /// The largest profile read: Docker's own default.json is about 20 KiB.
    static let maxProfileSize = 16 << 20

    /// The profile in `path`, parsed, compiled and without `SCMP_ACT_NOTIFY`: what `run` installs.
    /// - Throws: ``NSCoreError`` whose message names the file and the place in it.
    static func loadForRun(_ path: String) throws(NSCoreError) -> Seccomp {
        let profile = try load(path)
        if let place = notifyPlace(profile) {
            throw NSCoreError(.unsupported, stage: "seccomp", message: "seccomp profile \(path): \(place) is "
                              + "SCMP_ACT_NOTIFY, which holds the call until a supervisor answers it; nscore has "
                              + "none (a program that embeds NSCore answers on Container.seccompListener), so "
                              + "the command would hang: use SCMP_ACT_ERRNO, SCMP_ACT_LOG or SCMP_ACT_ALLOW")
        }
        // Compiled here so that an unknown syscall names the file; the spawn reuses the program.
        _ = try compile(profile, path)
        return profile
    }

    /// The profile in `path`, parsed (not compiled).
    /// - Throws: ``NSCoreError`` naming the file: unreadable, not JSON (line and column), or not
    ///   a valid profile (the place, e.g. `syscalls[0].action`).
    static func load(_ path: String) throws(NSCoreError) -> Seccomp {
        let text = try read(path)
        do {
            return try Seccomp(json: text)
        } catch {
            throw named(error, path)
        }
    }

    /// `profile` compiled for this machine; an error names `path`.
    static func compile(_ profile: Seccomp, _ path: String) throws(NSCoreError) -> Seccomp.CompiledFilter {
        do {
            return try profile.compile()
        } catch {
            throw named(error, path)
        }
    }

    /// Where `profile` notifies (`defaultAction`, `syscalls[3].action`), or nil.
    static func notifyPlace(_ profile: Seccomp) -> String? {
        if profile.defaultAction == .notify { return "defaultAction" }
        return profile.syscalls.firstIndex { $0.action == .notify }.map { "syscalls[\($0)].action" }
    }

    /// The architectures a compiled filter admits, in the OCI spelling.
    static func architectures(_ filter: Seccomp.CompiledFilter) -> String {
        filter.architectures.map(\.rawValue).joined(separator: ", ")
    }

    /// The engine's "seccomp: ..." message as "seccomp profile PATH: ...".
    private static func named(_ error: NSCoreError, _ path: String) -> NSCoreError {
        var e = error
        var message = Substring(error.message)
        if message.hasPrefix("seccomp: ") { message = message.dropFirst(9) }
        e.message = "seccomp profile \(path): \(message)"
        return e
    }

    /// The whole file, read to its end (a pipe such as `<(jq ...)` works too).
    private static func read(_ path: String) throws(NSCoreError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw fileError(Errno(rawValue: errno), path, "open") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fileError(Errno(rawValue: errno), path, "read")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[..<n])
            if bytes.count > maxProfileSize {
                throw NSCoreError(.invalidArgument, stage: "read seccomp profile",
                                  message: "seccomp profile \(path): larger than \(maxProfileSize >> 20) MiB")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func fileError(_ e: Errno, _ path: String, _ call: String) -> NSCoreError {
        let code: NSCoreError.Code
        switch e.rawValue {
        case ENOENT, ENOTDIR: code = .notFound
        case EACCES, EPERM: code = .permissionDenied
        default: code = .system
        }
        return NSCoreError(code, errno: e, stage: "\(call) seccomp profile", message: "seccomp profile \(path): \(e)")
    }
}
