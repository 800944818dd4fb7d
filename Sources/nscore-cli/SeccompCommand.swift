import Glibc
import NSCore

/// `nscore seccomp default|check|compile`: the profiles `nscore run --seccomp` installs,
/// printed as OCI JSON, checked, and compiled to the BPF program the kernel runs.
enum SeccompCommand {
    static let help = """
        Usage: nscore seccomp COMMAND [options]

        Print, check and compile seccomp profiles: the system call filters that
        'nscore run --seccomp PROFILE' installs. A profile is OCI JSON (the runtime
        spec's linux.seccomp object, or a whole config.json holding one); NSCore
        compiles it to a classic BPF program itself.

        Commands:
          default               print the default profile as OCI JSON
          check FILE...         parse and compile each FILE, and print its size
          compile FILE|default  write the compiled BPF program

        Run 'nscore seccomp COMMAND --help' for the options of each.

        Options:
          -h, --help            show this help

        """

    static let specs = OptionTable { t in
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        // In stop mode the parser returns the options before the first operand, the COMMAND:
        // --help is the only one.
        var parser = ArgumentParser(command: "seccomp", arguments: arguments, specs: specs, stopAtFirstOperand: true)
        if try parser.next() != nil {
            Output.out(help)
            return 0
        }
        var rest = arguments
        if rest.first == "--" { rest = rest.dropFirst() }
        guard let command = rest.first else { throw parser.usage("missing COMMAND (default, check or compile)") }
        switch command {
        case "default": return try SeccompDefaultCommand.main(rest.dropFirst())
        case "check": return try SeccompCheckCommand.main(rest.dropFirst())
        case "compile": return try SeccompCompileCommand.main(rest.dropFirst())
        default: throw parser.usage("unknown command '\(command)' (expected default, check or compile)")
        }
    }

    /// The capability options of `default` and `compile` (`nscore run`'s, parsed by
    /// SecurityOptions), and the set they give: Docker's default set, changed as `run` changes
    /// it (`--privileged`: every capability the kernel has, then `--cap-drop`).
    struct CapabilityOptions {
        private var security = SecurityOptions()
        private(set) var given: String?

        static func add(to t: inout OptionTable) {
            t.add(OptionSpec("cap-add", value: .required))
            t.add(OptionSpec("cap-drop", value: .required))
            t.add(OptionSpec("privileged"))
        }

        /// Applies `option`; false when it is not a capability option.
        mutating func apply(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> Bool {
            switch option.name {
            case "cap-add", "cap-drop", "privileged": break
            default: return false
            }
            _ = try security.apply(option, parser)
            if given == nil { given = option.spelling }
            return true
        }

        /// The bounding set the default profile is written for.
        var capabilities: CapabilitySet {
            var config = SpawnConfiguration([])
            security.configure(&config)
            return config.capabilities?.bounding ?? .dockerDefault
        }
    }

    /// The help lines of the capability options.
    static let capabilityHelp = """
              --cap-add CAP[,CAP...] add capabilities to Docker's default set; ALL adds
                                     every one (repeatable)
              --cap-drop CAP[,CAP...]
                                     drop capabilities from it; ALL drops every one, then
                                     --cap-add adds back (repeatable)
              --privileged           every capability (then --cap-drop)
        """

    /// "N BPF instructions for ARCHES", with the seccomp(2) flags when there are any.
    static func summary(_ filter: Seccomp.CompiledFilter, _ profile: Seccomp) -> String {
        var s = "\(filter.count) BPF instructions for \(SeccompOptions.architectures(filter))"
        if filter.flags != 0 { s += " (seccomp flags 0x\(String(filter.flags, radix: 16)))" }
        return s
    }
}

/// `nscore seccomp default`: ``Seccomp/default(capabilities:)`` as OCI JSON.
enum SeccompDefaultCommand {
    static let help = """
        Usage: nscore seccomp default [options]

        Print the default seccomp profile as OCI JSON (linux.seccomp): the filter that
        'nscore run --rootfs' installs, equivalent to Docker's default. Every system call
        it does not list fails with EPERM; those a capability guards (mount, unshare and
        setns need SYS_ADMIN, reboot SYS_BOOT, ...) are listed when the capability set
        has the capability. The set is Docker's default, as 'nscore run --rootfs' gives,
        changed by the options as 'nscore run' changes it. The output can be edited and
        given back to 'nscore run --seccomp FILE'.

        Options:
        \(SeccompCommand.capabilityHelp)
          -h, --help                 show this help

        """

    static let specs = OptionTable { t in
        SeccompCommand.CapabilityOptions.add(to: &t)
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "seccomp default", arguments: arguments, specs: specs)
        var capabilities = SeccompCommand.CapabilityOptions()
        while let item = try parser.next() {
            switch item {
            case .operand(let extra): throw parser.usage("unexpected argument '\(extra)'")
            case .option(let option):
                if try capabilities.apply(option, parser) { continue }
                guard option.name == "help" else { throw parser.usage("unknown option '\(option.spelling)'") }
                Output.out(help)
                return 0
            }
        }
        Output.out(Seccomp.default(capabilities: capabilities.capabilities).json + "\n")
        return 0
    }
}

/// `nscore seccomp check FILE...`: parse and compile each profile.
enum SeccompCheckCommand {
    static let help = """
        Usage: nscore seccomp check [options] FILE [FILE...]

        Parse and compile each FILE, an OCI seccomp profile (linux.seccomp, or a
        config.json holding one), as 'nscore run --seccomp FILE' does, and print
            FILE: N BPF instructions for ARCHES
        or what is wrong with it and where (the line and column of bad JSON, the place of
        a bad value: syscalls[2].names[0]: unknown syscall ...). A profile with
        SCMP_ACT_NOTIFY compiles, but 'nscore run' refuses it (it has no supervisor to
        answer the notifications): the line says so. Each FILE is checked even when an
        earlier one fails; the exit status is 1 when any failed.

        Options:
          -h, --help    show this help

        """

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "seccomp check", arguments: arguments, specs: SeccompCommand.specs)
        var files: [String] = []
        while let item = try parser.next() {
            switch item {
            case .operand(let file): files.append(file)
            case .option(let option):
                guard option.name == "help" else { throw parser.usage("unknown option '\(option.spelling)'") }
                Output.out(help)
                return 0
            }
        }
        guard !files.isEmpty else { throw parser.usage("missing FILE (the profile to check)") }
        var status: Int32 = 0
        for file in files {
            do throws(NSCoreError) {
                let profile = try SeccompOptions.load(file)
                let filter = try SeccompOptions.compile(profile, file)
                var line = "\(file): \(SeccompCommand.summary(filter, profile))"
                if let place = SeccompOptions.notifyPlace(profile) {
                    line += "; \(place) is SCMP_ACT_NOTIFY, which 'nscore run' refuses (it has no supervisor)"
                }
                Output.out(line + "\n")
            } catch {
                status = CLI.report(.failed(error, exitCode: ExitCode.failure))
            }
        }
        return status
    }
}

/// `nscore seccomp compile FILE|default [-o OUT]`: the raw `struct sock_filter` array.
enum SeccompCompileCommand {
    static let help = """
        Usage: nscore seccomp compile [options] FILE|default

        Compile FILE (an OCI seccomp profile), or the default profile, for this machine
        and write the BPF program as seccomp(2) SECCOMP_SET_MODE_FILTER takes it: an
        array of struct sock_filter, 8 bytes each. The instruction count goes to
        standard error. Binary output is never written to a terminal: give -o OUT or
        redirect. ('./default' names a file called default.) For default, the capability
        set is Docker's default, changed by --cap-add, --cap-drop and --privileged as for
        'nscore seccomp default'.

        Options:
          -o, --output OUT           write the program to OUT instead of standard output
        \(SeccompCommand.capabilityHelp)
          -h, --help                 show this help

        """

    static let specs = OptionTable { t in
        t.add(OptionSpec("output", "o", value: .required))
        SeccompCommand.CapabilityOptions.add(to: &t)
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "seccomp compile", arguments: arguments, specs: specs)
        var capabilities = SeccompCommand.CapabilityOptions()
        var source: String?
        var output: String?
        while let item = try parser.next() {
            switch item {
            case .operand(let operand):
                guard source == nil else { throw parser.usage("unexpected argument '\(operand)' (one FILE only)") }
                source = operand
            case .option(let option):
                if try capabilities.apply(option, parser) { continue }
                switch option.name {
                case "output": output = try parser.nonEmpty(option)
                case "help":
                    Output.out(help)
                    return 0
                default: throw parser.usage("unknown option '\(option.spelling)'")
                }
            }
        }
        guard let source else { throw parser.usage("missing FILE (the profile to compile, or default)") }
        if source != "default", let given = capabilities.given {
            throw parser.usage("'\(given)' applies to the default profile only; a FILE has its own rules")
        }
        if output == nil && isatty(1) == 1 {
            throw parser.usage("refusing to write a binary BPF program to a terminal: give -o OUT or redirect")
        }

        let profile: Seccomp
        let filter: Seccomp.CompiledFilter
        do throws(NSCoreError) {
            profile = source == "default" ? Seccomp.default(capabilities: capabilities.capabilities)
                                          : try SeccompOptions.load(source)
            filter = try SeccompOptions.compile(profile, source)
            try write(filter.bytes, to: output)
        } catch {
            throw .failed(error, exitCode: ExitCode.failure)
        }
        Output.err("\(source): \(SeccompCommand.summary(filter, profile))\n")
        return 0
    }

    /// Writes `bytes` to the file `path` (created or truncated, mode 0644), or to standard output.
    private static func write(_ bytes: [UInt8], to path: String?) throws(NSCoreError) {
        guard let path else {
            if let e = writeAll(1, bytes) { throw error(e, "standard output") }
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw error(Errno(rawValue: errno), path) }
        let failed = writeAll(fd, bytes)
        // close reports a write-back that failed (a full disk, NFS).
        let closed = close(fd) == 0 ? nil : Errno(rawValue: errno)
        if let e = failed ?? closed { throw error(e, path) }
    }

    /// Writes all of `bytes` to `fd`; the errno of a failed write.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Errno? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return Errno(rawValue: errno)
            }
            offset += n
        }
        return nil
    }

    private static func error(_ e: Errno, _ what: String) -> NSCoreError {
        NSCoreError(.system, errno: e, stage: "write BPF program", message: "write \(what): \(e)")
    }
}
