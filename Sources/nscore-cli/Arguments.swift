import Glibc
import NSCore

// A small getopt_long-style parser: long options (`--name`, `--name=value`, `--name value`),
// short options and clusters of them (`-un`, `-t 42`, `-t42`), `--` to end options, and, for
// `run` and `exec`, "the first operand starts the command" (getopt's `+` mode). Nothing here
// does I/O; errors are thrown as `CLIError.usage` and printed by main.swift.

/// An error that ends the program: bad usage (exit 2) or a failure of the engine.
enum CLIError: Error {
    /// Bad command-line input. `command` is the subcommand whose help to point at (nil: top level).
    case usage(command: String?, message: String)
    /// The engine failed; `exitCode` is what the process exits with.
    case failed(NSCoreError, exitCode: Int32)
}

/// One option a command accepts.
struct OptionSpec {
    /// Whether an option takes a value.
    enum Value {
        /// A flag: `--init`. `--init=x` is an error.
        case none
        /// Always takes a value: `--hostname H`, `--hostname=H`, `-tPID`, `-t PID`.
        case required
        /// Takes a value only when attached with `=`: `--net` or `--net=PATH` (nsenter style).
        case optionalAttached
    }

    /// The canonical long name, without dashes; what ``ParsedOption/name`` reports.
    let name: String
    /// Other long names that mean the same (`fork` for `-f`).
    let aliases: [String]
    /// The single-letter form, if any.
    let short: Character?
    let value: Value

    init(_ name: String, _ short: Character? = nil, value: Value = .none, aliases: [String] = []) {
        self.name = name
        self.short = short
        self.value = value
        self.aliases = aliases
    }
}

/// An option as it appeared on the command line.
struct ParsedOption {
    /// The canonical long name of the option.
    let name: String
    /// Its value, when it took one.
    let value: String?
    /// How the user spelled it (`-t`, `--target`), for error messages.
    let spelling: String
}

/// Walks one command's arguments.
struct ArgumentParser {
    /// The subcommand, for error messages (`run`, `exec`, ...).
    let command: String
    private let specs: [OptionSpec]
    /// For run/exec: the first operand ends option parsing, and it and everything after it is
    /// the command (``remaining``).
    private let stopAtFirstOperand: Bool
    private let args: [String]
    private var index = 0
    /// The rest of a short-option cluster still to be read (`"n"` after `-u` in `-un`).
    private var cluster: Substring = ""
    /// True once `--` was seen.
    private var optionsEnded = false

    init(command: String, arguments: some Sequence<String>, specs: [OptionSpec], stopAtFirstOperand: Bool = false) {
        self.command = command
        self.args = Array(arguments)
        self.specs = specs
        self.stopAtFirstOperand = stopAtFirstOperand
    }

    /// An item read from the command line.
    enum Item {
        case option(ParsedOption)
        case operand(String)
    }

    /// The next option or operand, or `nil` at the end (or, in stop mode, at the first operand).
    mutating func next() throws(CLIError) -> Item? {
        if !cluster.isEmpty { return .option(try shortOption()) }
        guard index < args.count else { return nil }
        let arg = args[index]
        if optionsEnded || arg == "-" || !arg.hasPrefix("-") {
            if stopAtFirstOperand { return nil }
            index += 1
            return .operand(arg)
        }
        if arg == "--" {
            index += 1
            optionsEnded = true
            if stopAtFirstOperand { return nil }
            return try next()
        }
        index += 1
        if arg.hasPrefix("--") { return .option(try longOption(arg)) }
        cluster = arg.dropFirst()
        return .option(try shortOption())
    }

    /// The arguments not consumed yet: in stop mode, the command and its arguments.
    var remaining: [String] { Array(args[index...]) }

    private mutating func longOption(_ arg: String) throws(CLIError) -> ParsedOption {
        let body = arg.dropFirst(2)
        let name: Substring, attached: String?
        if let eq = body.firstIndex(of: "=") {
            name = body[..<eq]
            attached = String(body[body.index(after: eq)...])
        } else {
            name = body
            attached = nil
        }
        guard let spec = specs.first(where: { $0.name == name || $0.aliases.contains(String(name)) }) else {
            throw usage("unknown option '--\(name)'")
        }
        let spelling = "--\(name)"
        switch spec.value {
        case .none:
            if attached != nil { throw usage("option '\(spelling)' does not take a value") }
            return ParsedOption(name: spec.name, value: nil, spelling: spelling)
        case .optionalAttached:
            return ParsedOption(name: spec.name, value: attached, spelling: spelling)
        case .required:
            if let attached { return ParsedOption(name: spec.name, value: attached, spelling: spelling) }
            guard index < args.count else { throw usage("option '\(spelling)' needs a value") }
            let value = args[index]
            index += 1
            return ParsedOption(name: spec.name, value: value, spelling: spelling)
        }
    }

    private mutating func shortOption() throws(CLIError) -> ParsedOption {
        let letter = cluster.removeFirst()
        guard let spec = specs.first(where: { $0.short == letter }) else {
            throw usage("unknown option '-\(letter)'")
        }
        let spelling = "-\(letter)"
        guard spec.value == .required else {
            return ParsedOption(name: spec.name, value: nil, spelling: spelling)
        }
        // The rest of the cluster is the value (`-t42`), else the next argument (`-t 42`).
        if !cluster.isEmpty {
            let value = String(cluster)
            cluster = ""
            return ParsedOption(name: spec.name, value: value, spelling: spelling)
        }
        guard index < args.count else { throw usage("option '\(spelling)' needs a value") }
        let value = args[index]
        index += 1
        return ParsedOption(name: spec.name, value: value, spelling: spelling)
    }

    /// A usage error for this command.
    func usage(_ message: String) -> CLIError {
        .usage(command: command, message: message)
    }
}

// MARK: - Values

extension ArgumentParser {
    /// A process id: decimal digits only, greater than zero, fits in `pid_t`.
    func pid(_ text: String, what: String) throws(CLIError) -> pid_t {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = pid_t(text), value > 0
        else {
            throw usage("invalid \(what) '\(text)': expected a process id (a positive number)")
        }
        return value
    }

    /// A namespace kind as util-linux spells it (`net`/`network`, `mnt`/`mount`, ...).
    func kind(_ text: String, what: String) throws(CLIError) -> NamespaceKind {
        guard let kind = NamespaceKind(name: text) else {
            throw usage("unknown namespace kind '\(text)' in \(what) "
                            + "(expected uts, ipc, pid, net, mnt, user, cgroup or time)")
        }
        return kind
    }

    /// A non-empty value.
    func nonEmpty(_ option: ParsedOption) throws(CLIError) -> String {
        guard let v = option.value, !v.isEmpty else {
            throw usage("option '\(option.spelling)' needs a non-empty value")
        }
        return v
    }
}

/// The namespace-kind flags shared by `run` and `exec`, with util-linux's short letters.
enum KindFlags {
    static let specs: [OptionSpec] = [
        OptionSpec("uts", "u"), OptionSpec("ipc", "i"), OptionSpec("pid", "p"), OptionSpec("net", "n"),
        OptionSpec("mount", "m"), OptionSpec("user", "U"), OptionSpec("cgroup", "C"), OptionSpec("time", "T"),
    ]

    /// The kind named by a parsed kind flag, or nil if the option is not one.
    static func kind(_ optionName: String) -> NamespaceKind? {
        switch optionName {
        case "uts": return .uts
        case "ipc": return .ipc
        case "pid": return .pid
        case "net": return .network
        case "mount": return .mount
        case "user": return .user
        case "cgroup": return .cgroup
        case "time": return .time
        default: return nil
        }
    }
}
