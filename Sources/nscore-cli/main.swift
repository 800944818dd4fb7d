// nscore: the command-line face of NSCore, a thin layer over the engine.
//
// main.swift dispatches to one enum per command (RunCommand.swift, ExecCommand.swift,
// InspectCommands.swift, MountsCommand.swift, NetCommand.swift, BridgeCommand.swift,
// PersistCommands.swift, SeccompCommand.swift, CgroupCommands.swift); Arguments.swift parses, Supervisor.swift waits
// and forwards signals, Output.swift prints.
// Every error ends here: usage errors exit 2 with a pointer to the command's help, engine errors
// print their message and exit with the code the command chose (125/126/127 for run and exec,
// 125 for persist and unpersist, 1 for the others).
import Glibc
import NSCore

enum CLI {
    /// The version of this nscore: the engine's.
    static let version = NSCoreVersion.string

    static let usage = """
        Usage: nscore <command> [options]

        Commands:
          run         run a command in new namespaces
          exec        run a command in the namespaces of a process or of namespace files
          ns          list the namespaces of a process
          ls          list every namespace on the system (like lsns)
          ps          list the processes in a process's PID namespace
          mounts      list the mounts of a process's mount namespace (like findmnt)
          net         show a process's network namespace: interfaces, addresses, routes
          creds       show a process's ids, capabilities and user namespace maps
          bridge      remove bridges of veth networks: 'nscore bridge rm NAME...'
          persist     keep a namespace alive by bind-mounting it onto a file
          unpersist   release a namespace kept by persist
          seccomp     print, check and compile seccomp profiles (OCI JSON)
          stats       show the memory, CPU and pids a container's cgroup has used
          pause       freeze every process of a container
          resume      thaw a paused container
          update      change a running container's limits (--memory, --cpus, --pids-limit, ...)
          kill        signal a container's process, or with --all every one of them
          version     print the version (also --version)
          help        print this help, or 'nscore help <command>' (also --help, -h)

        Run 'nscore <command> --help' for the options of a command.

        """

    typealias Entry = (CommandArguments) throws(CLIError) -> Int32

    /// The subcommands: name, entry point, help text.
    static func command(named matches: (StaticString) -> Bool) -> (main: Entry, help: String)? {
        if matches("run") { return (RunCommand.main, RunCommand.help) }
        if matches("exec") { return (ExecCommand.main, ExecCommand.help) }
        if matches("ns") { return (NamespacesCommand.main, NamespacesCommand.help) }
        if matches("ls") { return (ListCommand.main, ListCommand.help) }
        if matches("ps") { return (ProcessesCommand.main, ProcessesCommand.help) }
        if matches("mounts") { return (MountsCommand.main, MountsCommand.help) }
        if matches("net") { return (NetCommand.main, NetCommand.help) }
        if matches("creds") { return (CredsCommand.main, CredsCommand.help) }
        if matches("bridge") { return (BridgeCommand.main, BridgeCommand.help) }
        if matches("persist") { return (PersistCommand.main, PersistCommand.help) }
        if matches("unpersist") { return (UnpersistCommand.main, UnpersistCommand.help) }
        if matches("seccomp") { return (SeccompCommand.main, SeccompCommand.help) }
        if matches("stats") { return (StatsCommand.main, StatsCommand.help) }
        if matches("pause") { return (PauseCommand.main, PauseCommand.help) }
        if matches("resume") { return (ResumeCommand.main, ResumeCommand.help) }
        if matches("update") { return (UpdateCommand.main, UpdateCommand.help) }
        if matches("kill") { return (KillCommand.main, KillCommand.help) }
        return nil
    }

    /// Runs the command the arguments name. The command name is compared in place, as a C
    /// string, so that `nscore run` makes no `String` of it.
    static func dispatch(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        guard !arguments.isEmpty else {
            Output.err(usage)
            return ExitCode.usage
        }
        let index = arguments.startIndex
        let rest = arguments.dropFirst()
        if let command = command(named: { arguments.argument(index, is: $0) }) {
            return try command.main(rest)
        }
        let first = arguments.string(index)
        switch first {
        case "version", "--version", "-V":
            Output.out("nscore \(version)\n")
            return 0
        case "help", "--help", "-h":
            guard let topic = rest.first else {
                Output.out(usage)
                return 0
            }
            guard let command = command(named: { topic == $0.description }) else {
                throw .usage(command: nil, message: "unknown command '\(topic)'")
            }
            Output.out(command.help)
            return 0
        default:
            if first.hasPrefix("-") { throw .usage(command: nil, message: "unknown option '\(first)'") }
            throw .usage(command: nil, message: "unknown command '\(first)'")
        }
    }

    /// Prints `error` and returns the exit code for it.
    static func report(_ error: CLIError) -> Int32 {
        switch error {
        case .usage(let command, let message):
            let help = command.map { "nscore \($0) --help" } ?? "nscore --help"
            Output.err("nscore: \(command.map { "\($0): " } ?? "")\(message)\nTry '\(help)'.\n")
            return ExitCode.usage
        case .failed(let error, let code):
            Output.err("nscore: \(error.message)\n")
            return code
        }
    }
}

let status: Int32
do {
    status = try CLI.dispatch(CommandArguments.process())
} catch {
    status = CLI.report(error)
}
exit(status)
