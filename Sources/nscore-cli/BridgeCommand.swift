import Glibc
import NSCore

/// `nscore bridge rm NAME...`: delete the bridges veth networks left for the next containers
/// (`run --bridge NAME:CIDR` creates one when missing), in nscore's own network namespace.
enum BridgeCommand {
    static let help = """
        Usage: nscore bridge COMMAND [options]

        Manage the bridges of veth networks in the network namespace nscore runs in. A
        bridge that 'nscore run --bridge NAME:CIDR' created stays for the next containers
        until it is removed.

        Commands:
          rm NAME...    delete each bridge NAME (see 'nscore bridge rm --help')

        Options:
          -h, --help    show this help

        """

    static let specs = OptionTable { t in
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        // In stop mode the parser returns the options before the first operand, the COMMAND:
        // --help is the only one.
        var parser = ArgumentParser(command: "bridge", arguments: arguments, specs: specs, stopAtFirstOperand: true)
        if try parser.next() != nil {
            Output.out(help)
            return 0
        }
        var rest = arguments
        if rest.first == "--" { rest = rest.dropFirst() }
        guard let command = rest.first else { throw parser.usage("missing COMMAND (rm)") }
        if command == "rm" { return try BridgeRemoveCommand.main(rest.dropFirst()) }
        throw parser.usage("unknown command '\(command)' (expected rm)")
    }
}

/// `nscore bridge rm NAME...`: ``Bridge/remove(_:)`` for each NAME.
enum BridgeRemoveCommand {
    static let help = """
        Usage: nscore bridge rm [options] NAME [NAME...]

        Delete each bridge NAME from the network namespace nscore runs in (root, or
        CAP_NET_ADMIN there, is needed). Its ports are detached: the containers on it keep
        their own ends of their veth pairs. A link NAME that is not a bridge is left alone
        and reported. Each NAME is tried even when an earlier one fails; the exit status
        is 1 when any failed.

        Options:
          -h, --help    show this help

        """

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "bridge rm", arguments: arguments, specs: BridgeCommand.specs)
        var names: [String] = []
        while let item = try parser.next() {
            switch item {
            case .operand(let name): names.append(name)
            case .option(let option):
                switch option.name {
                case "help":
                    Output.out(help)
                    return 0
                default: throw parser.usage("unknown option '\(option.spelling)'")
                }
            }
        }
        guard !names.isEmpty else { throw parser.usage("missing NAME (the bridge to remove)") }
        // Each failure is printed as it happens (as main.swift prints errors), and the other
        // names are still removed.
        var status: Int32 = 0
        for name in names {
            do {
                try Bridge.remove(name)
            } catch {
                status = CLI.report(.failed(explained(error, name), exitCode: ExitCode.failure))
            }
        }
        return status
    }

    /// `error` from removing `name`; a missing link is said to be a missing bridge, with the
    /// engine's message after it.
    static func explained(_ error: NSCoreError, _ name: String) -> NSCoreError {
        guard error.code == .notFound else { return error }
        var e = error
        e.message = "remove bridge \(name): there is no bridge '\(name)' in this network namespace (\(error.message))"
        return e
    }
}
