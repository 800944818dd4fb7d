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

/// The command line as the kernel passed it: C strings, read in place.
///
/// `nscore run` makes a `String` only of option values; the command name is matched and the
/// command's argv copied as C strings (SpawnConfiguration.setArguments(cStrings:count:)). A
/// short `nscore run` thus creates no `Array` and no `String` at all: the first array a process
/// makes has the runtime instantiate its metadata (and register every prespecialized array
/// type), and string building runs the standard library's string internals; both page in code
/// scattered over the static binary, which was most of the peak RSS (2.1 MiB, now about 1.4).
struct CommandArguments {
    private let argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    /// The index of the first argument in `argv`.
    let startIndex: Int
    /// One past the last.
    let endIndex: Int

    /// The process's arguments after the program name.
    static func process() -> CommandArguments {
        CommandArguments(argv: CommandLine.unsafeArgv, startIndex: 1, endIndex: Int(CommandLine.argc))
    }

    private init(argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, startIndex: Int, endIndex: Int) {
        self.argv = argv
        self.startIndex = startIndex
        self.endIndex = max(startIndex, endIndex)
    }

    var isEmpty: Bool { startIndex == endIndex }

    /// The argument at `index` as a C string.
    subscript(index: Int) -> UnsafePointer<CChar> { UnsafePointer(argv[index]!) }

    /// The argument at `index` as a `String`.
    func string(_ index: Int) -> String { String(cString: self[index]) }

    /// The first argument, if any.
    var first: String? { isEmpty ? nil : string(startIndex) }

    /// Whether the argument at `index` is `text`, compared byte by byte.
    func argument(_ index: Int, is text: StaticString) -> Bool {
        OptionName(stringLiteral: text).matches(self[index], count: strlen(self[index]))
    }

    /// The arguments from `index` on, in place (argv's own NULL ends them).
    func pointers(from index: Int) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        UnsafePointer(argv + index)
    }

    /// Every argument but the first.
    func dropFirst() -> CommandArguments {
        CommandArguments(argv: argv, startIndex: min(startIndex + 1, endIndex), endIndex: endIndex)
    }

}

/// The name of an option (`hostname`, `net`), without dashes: a static string, compared byte
/// by byte with the command line. Commands match on it as on a string: `case "hostname":`.
struct OptionName: Equatable, ExpressibleByStringLiteral, CustomStringConvertible {
    let text: StaticString

    init(stringLiteral text: StaticString) { self.text = text }

    static func == (a: OptionName, b: OptionName) -> Bool {
        a.text.utf8CodeUnitCount == b.text.utf8CodeUnitCount
            && memcmp(a.text.utf8Start, b.text.utf8Start, a.text.utf8CodeUnitCount) == 0
    }

    /// Whether the `count` bytes at `bytes` spell this name.
    func matches(_ bytes: UnsafePointer<CChar>, count: Int) -> Bool {
        text.utf8CodeUnitCount == count && memcmp(text.utf8Start, bytes, count) == 0
    }

    var description: String { text.description }
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
        /// A flag, or, with a value that starts with `type=` (attached with `=` or the next
        /// argument), a mount spec: `--mount` alone or `--mount type=bind,...`.
        case optionalMountSpec
    }

    /// The long name; what ``ParsedOption/name`` reports.
    let name: OptionName
    /// The single-letter form (ASCII), if any.
    let short: Unicode.Scalar?
    let value: Value

    init(_ name: OptionName, _ short: Unicode.Scalar? = nil, value: Value = .none) {
        self.name = name
        self.short = short
        self.value = value
    }
}

/// The options a command accepts, in static memory that is never freed.
///
/// Not an `Array`: the first array a process makes has the runtime instantiate its metadata,
/// which pages in code a short `nscore run` otherwise never runs (see CommandArguments).
struct OptionTable: @unchecked Sendable {  // written only while it is built
    private let base: UnsafeMutablePointer<OptionSpec>
    private var count = 0
    private let capacity: Int

    /// A table filled by `build`, which calls ``add(_:)`` for each option.
    init(capacity: Int = 32, _ build: (inout OptionTable) -> Void) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
        build(&self)
    }

    mutating func add(_ spec: OptionSpec) {
        precondition(count < capacity, "option table is full")
        (base + count).initialize(to: spec)
        count += 1
    }

    /// The first option that satisfies `predicate`.
    func first(where predicate: (OptionSpec) -> Bool) -> OptionSpec? {
        for i in 0..<count where predicate(base[i]) { return base[i] }
        return nil
    }
}

/// An option as it appeared on the command line.
struct ParsedOption {
    /// How an option was written.
    enum Spelling {
        /// `--NAME`: the name or alias the user typed.
        case long(OptionName)
        /// `-L`: the letter.
        case short(Unicode.Scalar)
    }

    /// The canonical long name of the option.
    let name: OptionName
    /// Its value, when it took one.
    let value: String?
    let spelledAs: Spelling

    /// How the user spelled it (`-t`, `--target`), for error messages.
    var spelling: String {
        switch spelledAs {
        case .long(let name): return "--\(name)"
        case .short(let letter): return "-\(letter)"
        }
    }
}

/// Walks one command's arguments.
struct ArgumentParser {
    /// The subcommand, for error messages (`run`, `exec`, ...).
    let command: String
    private let specs: OptionTable
    /// For run/exec: the first operand ends option parsing, and it and everything after it is
    /// the command (``commandArguments()``).
    private let stopAtFirstOperand: Bool
    private let args: CommandArguments
    private var index: Int
    /// The rest of a short-option cluster still to be read (`"n"` after `-u` in `-un`); it
    /// points into the argument, and is empty (points at its NUL) when there is none.
    private var cluster: UnsafePointer<UInt8>?
    /// True once `--` was seen.
    private var optionsEnded = false

    init(command: String, arguments: CommandArguments, specs: OptionTable, stopAtFirstOperand: Bool = false) {
        self.command = command
        self.args = arguments
        self.index = arguments.startIndex
        self.specs = specs
        self.stopAtFirstOperand = stopAtFirstOperand
    }

    /// An item read from the command line.
    enum Item {
        case option(ParsedOption)
        case operand(String)
    }

    private static let dash = CChar(UInt8(ascii: "-"))

    /// The next option or operand, or `nil` at the end (or, in stop mode, at the first operand).
    mutating func next() throws(CLIError) -> Item? {
        if let rest = cluster, rest[0] != 0 { return .option(try shortOption()) }
        guard index < args.endIndex else { return nil }
        let arg = args[index]
        // An operand: after `--`, `-` alone, or anything not starting with `-`.
        if optionsEnded || arg[0] != Self.dash || arg[1] == 0 {
            if stopAtFirstOperand { return nil }
            index += 1
            return .operand(String(cString: arg))
        }
        index += 1
        if arg[1] == Self.dash {
            if arg[2] == 0 {  // `--`
                optionsEnded = true
                if stopAtFirstOperand { return nil }
                return try next()
            }
            return .option(try longOption(arg + 2))
        }
        cluster = UnsafeRawPointer(arg + 1).assumingMemoryBound(to: UInt8.self)
        return .option(try shortOption())
    }

    /// In stop mode, the command and its arguments: those not consumed yet, in place
    /// (argv's own NULL ends them), for `setArguments(cStrings:count:)`.
    /// - Throws: a usage error when there is no command, or it is empty.
    func commandArguments() throws(CLIError) -> (argv: UnsafePointer<UnsafeMutablePointer<CChar>?>, count: Int) {
        guard index < args.endIndex, args[index][0] != 0 else { throw usage("missing COMMAND to run") }
        return (args.pointers(from: index), args.endIndex - index)
    }

    /// ``commandArguments()``, or `nil` when the command line ends before a command (for `run`
    /// and `exec`, which then start ``defaultShell``). An empty command name is still an error.
    func commandArgumentsOrNone() throws(CLIError) -> (argv: UnsafePointer<UnsafeMutablePointer<CChar>?>, count: Int)? {
        guard index < args.endIndex else { return nil }
        return try commandArguments()
    }

    /// The command `run` and `exec` start when given none: `$SHELL` if set and not empty, else
    /// `/bin/sh`, as util-linux unshare and nsenter do.
    static var defaultShell: String {
        if let shell = getenv("SHELL"), shell[0] != 0 { return String(cString: shell) }
        return "/bin/sh"
    }

    /// `--NAME`, `--NAME=VALUE` or `--NAME VALUE`; `body` points after the dashes.
    private mutating func longOption(_ body: UnsafePointer<CChar>) throws(CLIError) -> ParsedOption {
        let eq = strchr(body, Int32(UInt8(ascii: "=")))
        let length = eq.map { UnsafePointer($0) - body } ?? strlen(body)
        let attached = eq.map { String(cString: $0 + 1) }
        guard let spec = specs.first(where: { $0.name.matches(body, count: length) }) else {
            let name = String(decoding: UnsafeRawBufferPointer(start: body, count: length), as: UTF8.self)
            throw usage("unknown option '--\(name)'")
        }
        let typed = spec.name
        let spelling = ParsedOption.Spelling.long(typed)
        switch spec.value {
        case .none:
            if attached != nil { throw usage("option '--\(typed)' does not take a value") }
            return ParsedOption(name: spec.name, value: nil, spelledAs: spelling)
        case .optionalAttached:
            return ParsedOption(name: spec.name, value: attached, spelledAs: spelling)
        case .optionalMountSpec:
            if let attached { return ParsedOption(name: spec.name, value: attached, spelledAs: spelling) }
            if index < args.endIndex, strncmp(args[index], "type=", 5) == 0 {
                let value = args.string(index)
                index += 1
                return ParsedOption(name: spec.name, value: value, spelledAs: spelling)
            }
            return ParsedOption(name: spec.name, value: nil, spelledAs: spelling)
        case .required:
            if let attached { return ParsedOption(name: spec.name, value: attached, spelledAs: spelling) }
            guard index < args.endIndex else { throw usage("option '--\(typed)' needs a value") }
            let value = args.string(index)
            index += 1
            return ParsedOption(name: spec.name, value: value, spelledAs: spelling)
        }
    }

    /// The next letter of a short-option cluster (`-u`, `-un`, `-t42`, `-t 42`).
    private mutating func shortOption() throws(CLIError) -> ParsedOption {
        let rest = cluster!
        // A letter is one byte, unless it is not ASCII or a combining mark follows it: then
        // the whole character is the (unknown) option.
        var width = 1
        if rest[0] >= 0x80 || rest[1] >= 0x80 { width = String(cString: rest).first!.utf8.count }
        cluster = rest + width
        let letter = Unicode.Scalar(rest[0])
        let spelling = ParsedOption.Spelling.short(letter)
        guard width == 1, let spec = specs.first(where: { $0.short == letter }) else {
            let character = String(decoding: UnsafeRawBufferPointer(start: rest, count: width), as: UTF8.self)
            throw usage("unknown option '-\(character)'")
        }
        guard spec.value == .required else {
            return ParsedOption(name: spec.name, value: nil, spelledAs: spelling)
        }
        // The rest of the cluster is the value (`-t42`), else the next argument (`-t 42`).
        if let value = cluster, value[0] != 0 {
            cluster = nil
            return ParsedOption(name: spec.name, value: String(cString: value), spelledAs: spelling)
        }
        guard index < args.endIndex else { throw usage("option '-\(letter)' needs a value") }
        let value = args.string(index)
        index += 1
        return ParsedOption(name: spec.name, value: value, spelledAs: spelling)
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

/// The namespace-kind flags shared by `run` and `exec`: util-linux's long names and letters
/// (declared as static strings, which the parser compares in place).
enum KindFlags {
    /// Adds the eight flags to `table`, each taking `value`.
    /// `mount` takes `mountValue` when given (run's `--mount SPEC`).
    static func add(to table: inout OptionTable, value: OptionSpec.Value = .none, mountValue: OptionSpec.Value? = nil) {
        table.add(OptionSpec("uts", "u", value: value))
        table.add(OptionSpec("ipc", "i", value: value))
        table.add(OptionSpec("pid", "p", value: value))
        table.add(OptionSpec("net", "n", value: value))
        table.add(OptionSpec("mount", "m", value: mountValue ?? value))
        table.add(OptionSpec("user", "U", value: value))
        table.add(OptionSpec("cgroup", "C", value: value))
        table.add(OptionSpec("time", "T", value: value))
    }

    /// The kind named by a parsed kind flag, or nil if the option is not one: the kinds' own
    /// /proc/PID/ns names (NamespaceKind.cName), and util-linux's `mount` for `mnt`. Compared in
    /// place, without making strings.
    static func kind(_ optionName: OptionName) -> NamespaceKind? {
        if optionName == "mount" { return .mount }
        // By raw value, not allCases: no array (and no generic metadata) on `nscore run`'s path.
        for raw in Int32(0)..<8 {
            let kind = NamespaceKind(rawValue: raw)!
            if optionName.matches(kind.cName, count: strlen(kind.cName)) { return kind }
        }
        return nil
    }
}
