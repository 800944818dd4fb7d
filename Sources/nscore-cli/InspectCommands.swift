import Glibc
import NSCore

// `nscore ns`, `nscore ls` and `nscore ps`: read-only views over NSCore's `Inspect`.
// Failures exit 1 (as lsns does), usage errors 2.

/// The command line of `ns`, `ps` and `mounts`: `[-J|--json] [-h|--help] [PID]`, and for
/// `mounts` also `[-l|--list]`.
enum PIDViewArguments {
    static let specs = OptionTable { t in
        t.add(OptionSpec("json", "J"))
        t.add(OptionSpec("help", "h"))
    }
    static let mountSpecs = OptionTable { t in
        t.add(OptionSpec("json", "J"))
        t.add(OptionSpec("list", "l"))
        t.add(OptionSpec("stats", "s"))
        t.add(OptionSpec("help", "h"))
    }

    /// What was asked for: the PID operand (if any), --json, and for `mounts` --list and
    /// --stats; `nil` once `--help` was printed.
    struct Request {
        var pid: pid_t?
        var json = false
        var list = false
        var stats = false
    }

    static func parse(_ command: String, _ arguments: CommandArguments, help: String, mounts: Bool = false)
        throws(CLIError) -> Request?
    {
        var parser = ArgumentParser(command: command, arguments: arguments, specs: mounts ? mountSpecs : specs)
        var request = Request()
        while let item = try parser.next() {
            switch item {
            case .operand(let text):
                if request.pid != nil { throw parser.usage("unexpected argument '\(text)' (only one PID)") }
                request.pid = try parser.pid(text, what: "PID")
            case .option(let option):
                switch option.name {
                case "json": request.json = true
                case "list": request.list = true
                case "stats": request.stats = true
                case "help":
                    Output.out(help)
                    return nil
                default: throw parser.usage("unknown option '\(option.spelling)'")
                }
            }
        }
        return request
    }
}

/// `nscore ns [PID]`: the namespaces of one process, like `ls -l /proc/PID/ns`.
enum NamespacesCommand {
    static let help = """
        Usage: nscore ns [options] [PID]

        List the namespaces of process PID (default: nscore itself), including
        pid_for_children and time_for_children.

        Options:
          -J, --json    print JSON: {"pid":N,"namespaces":[{"name","type","inode","device","for_children"},...]}
          -h, --help    show this help

        """

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        guard let request = try PIDViewArguments.parse("ns", arguments, help: help) else { return 0 }
        let (pid, json) = (request.pid, request.json)
        let target = pid ?? getpid()
        let entries: [NamespaceEntry]
        do {
            entries = try Inspect.namespaces(of: target)
        } catch {
            throw .failed(error, exitCode: ExitCode.failure)
        }
        if json {
            Output.out(Inspect.json(entries, pid: target) + "\n")
            return 0
        }
        var table = Table([("NAME", .left), ("TYPE", .left), ("NS", .right)])
        for e in entries { table.append([e.name, e.kind.procName, String(e.inode)]) }
        Output.out(table.render())
        return 0
    }
}

/// `nscore ls`: every namespace on the system, like `lsns`.
enum ListCommand {
    static let help = """
        Usage: nscore ls [options]

        List every namespace that has a process in it, like lsns: its inode (NS), kind,
        number of processes, and the lowest PID in it with its user and command.

        Options:
          -t, --type KIND   only namespaces of KIND: uts, ipc, pid, net, mnt, user,
                            cgroup or time (repeatable, or comma-separated)
          -J, --json        print JSON: {"namespaces":[{"ns","type","nprocs","pid","uid","command"},...]}
          -h, --help        show this help

        """

    static let specs = OptionTable { t in
        t.add(OptionSpec("type", "t", value: .required))
        t.add(OptionSpec("json", "J"))
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "ls", arguments: arguments, specs: specs)
        var json = false
        var kinds: NamespaceSet = []
        while let item = try parser.next() {
            switch item {
            case .operand(let text):
                throw parser.usage("unexpected argument '\(text)'")
            case .option(let option):
                switch option.name {
                case "type":
                    let list = option.value ?? ""
                    let words = list.split(separator: ",", omittingEmptySubsequences: false)
                    for word in words {
                        kinds.insert(NamespaceSet(try parser.kind(String(word), what: "'\(option.spelling) \(list)'")))
                    }
                case "json": json = true
                case "help":
                    Output.out(help)
                    return 0
                default: throw parser.usage("unknown option '\(option.spelling)'")
                }
            }
        }
        let summaries: [NamespaceSummary]
        do {
            summaries = try Inspect.listNamespaces(kinds: kinds.isEmpty ? .all : kinds)
        } catch {
            throw .failed(error, exitCode: ExitCode.failure)
        }
        if json {
            Output.out(Inspect.json(summaries) + "\n")
            return 0
        }
        var users = UserNames()
        var table = Table([("NS", .right), ("TYPE", .left), ("NPROCS", .right), ("PID", .right),
                           ("USER", .left), ("COMMAND", .left)])
        for s in summaries {
            table.append([String(s.inode), s.kind.procName, String(s.processCount), String(s.lowestPID),
                          users.name(s.uid), s.command])
        }
        Output.out(table.render())
        return 0
    }
}

/// `nscore ps PID`: the processes inside PID's PID namespace.
enum ProcessesCommand {
    static let help = """
        Usage: nscore ps [options] PID

        List the processes inside the PID namespace of process PID (and the namespaces
        nested in it): their PID inside, their PID on the host, and their command.

        Options:
          -J, --json    print JSON: {"pid_namespace":N,"processes":[{"pid","host_pid","command"},...]}
          -h, --help    show this help

        """

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        guard let request = try PIDViewArguments.parse("ps", arguments, help: help) else { return 0 }
        let (operand, json) = (request.pid, request.json)
        guard let pid = operand else { throw CLIError.usage(command: "ps", message: "missing PID") }
        let namespace: NamespaceID
        let processes: [NamespacedProcess]
        do {
            namespace = try Inspect.namespace(.pid, of: pid)
            processes = try Inspect.processes(inPIDNamespaceOf: pid)
        } catch {
            throw .failed(error, exitCode: ExitCode.failure)
        }
        if json {
            Output.out(Inspect.json(processes, pidNamespace: namespace.inode) + "\n")
            return 0
        }
        var table = Table([("PID", .right), ("HOST_PID", .right), ("COMMAND", .left)])
        for p in processes { table.append([String(p.innerPID), String(p.outerPID), p.command]) }
        Output.out(table.render())
        return 0
    }
}
