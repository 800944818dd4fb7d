import Glibc
import NSCore

/// `nscore exec`: a command in the namespaces of a running process or of namespace files
/// (util-linux `nsenter`, `docker exec`).
enum ExecCommand {
    static let help = """
        Usage: nscore exec --target PID [options] [--] [COMMAND [ARG...]]
               nscore exec --ns-path KIND=PATH... [options] [--] [COMMAND [ARG...]]

        Run COMMAND inside the namespaces of process PID, or of namespace files (such as
        /proc/PID/ns/net or a file made by 'nscore persist'), wait for it and exit with
        its status. Without COMMAND, run $SHELL (else /bin/sh), as nsenter does. Signals are forwarded to COMMAND as for 'nscore run'. nscore's own
        namespaces never change.

        Options:
          -t, --target PID           join the namespaces of process PID
          -u, --uts                  join PID's UTS namespace
          -i, --ipc                  join PID's IPC namespace
          -p, --pid                  join PID's PID namespace
          -n, --net                  join PID's network namespace
          -m, --mount                join PID's mount namespace
          -U, --user                 join PID's user namespace
          -C, --cgroup               join PID's cgroup namespace
          -T, --time                 join PID's time namespace
          -a, --all                  join every namespace of PID that differs from nscore's
                                     (the default when no kind is given)
              --ns-path KIND=PATH    join the namespace file PATH (repeatable); KIND is uts,
                                     ipc, pid, net, mnt, user, cgroup or time
              --KIND=PATH            the same, nsenter style (e.g. --net=/run/netns/x)
          -w, --wd DIR               working directory of COMMAND
              --kill-on-parent-death kill COMMAND if nscore dies (the default, as for run)
              --tty                  give COMMAND a new terminal (a pty of the container's
                                     own when its mount namespace is joined) and relay
                                     nscore's terminal to it, as 'nscore run --tty' does
              --interactive          accepted for docker exec compatibility (stdin is
                                     always relayed)
          -h, --help                 show this help

        Exit status: COMMAND's, or 125 if nscore could not start it, 126 if COMMAND cannot
        be executed, 127 if it was not found, 2 for a usage error.

        """

    static let specs = OptionTable { t in
        KindFlags.add(to: &t, value: .optionalAttached)
        t.add(OptionSpec("target", "t", value: .required))
        t.add(OptionSpec("all", "a"))
        t.add(OptionSpec("ns-path", value: .required))
        t.add(OptionSpec("wd", "w", value: .required))
        t.add(OptionSpec("kill-on-parent-death"))
        t.add(OptionSpec("tty"))
        t.add(OptionSpec("interactive"))
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "exec", arguments: arguments, specs: specs, stopAtFirstOperand: true)
        var target: pid_t?
        var kinds: NamespaceSet = []
        var all = false
        var paths: [NamespaceKind: String] = [:]
        var workingDirectory: String?
        var tty = false
        // COMMAND dies with nscore, as `nscore run`'s container does (kill -9 of nscore must not
        // leave it running); the flag is accepted for the scripts that give it.
        let killOnParentDeath = true

        while let item = try parser.next() {
            guard case .option(let option) = item else { break }
            if let kind = KindFlags.kind(option.name) {
                if let path = option.value {
                    guard !path.isEmpty else { throw parser.usage("option '\(option.spelling)=' needs a path") }
                    paths[kind] = path
                } else {
                    kinds.insert(NamespaceSet(kind))
                }
                continue
            }
            switch option.name {
            case "target": target = try parser.pid(option.value ?? "", what: "target")
            case "all": all = true
            case "ns-path":
                let value = option.value ?? ""
                guard let eq = value.firstIndex(of: "=") else {
                    throw parser.usage("invalid --ns-path '\(value)': expected KIND=PATH, e.g. net=/run/netns/x")
                }
                let kind = try parser.kind(String(value[..<eq]), what: "--ns-path '\(value)'")
                let path = String(value[value.index(after: eq)...])
                guard !path.isEmpty else { throw parser.usage("invalid --ns-path '\(value)': the path is empty") }
                paths[kind] = path
            case "wd": workingDirectory = try parser.nonEmpty(option)
            case "kill-on-parent-death": break  // the default
            case "tty": tty = true
            case "interactive": break  // stdin is always relayed
            case "help":
                Output.out(help)
                return 0
            default: throw parser.usage("unknown option '\(option.spelling)'")
            }
        }
        let command = try parser.commandArgumentsOrNone()

        let joinTarget: JoinTarget
        var namespaces: NamespaceSet? = nil
        switch (target, paths.isEmpty) {
        case (nil, true):
            throw parser.usage("missing --target PID (or --ns-path KIND=PATH)")
        case (let pid?, true):
            joinTarget = .process(pid)
            namespaces = all || kinds.isEmpty ? nil : kinds
        case (nil, false):
            if all || !kinds.isEmpty {
                let example = all ? "all" : kindFlag(kinds)
                throw parser.usage("namespace kinds without a path (such as --\(example)) need --target PID")
            }
            joinTarget = .paths(paths)
        case (let pid?, false):
            // Both: the named kinds (or all that differ) of PID, through /proc/PID/ns, and
            // the explicit files for the rest.
            var fromTarget = kinds
            if all || kinds.isEmpty {
                do {
                    fromTarget = try Inspect.differingNamespaces(of: pid)
                } catch {
                    throw .failed(error, exitCode: ExitCode.runtimeFailed)
                }
            }
            var map = paths
            for kind in fromTarget.kinds where map[kind] == nil {
                map[kind] = kind.path(of: pid)
            }
            joinTarget = .paths(map)
        }

        var config = JoinConfiguration(target: joinTarget, [], namespaces: namespaces)
        if let command {
            config.setArguments(cStrings: command.argv, count: command.count)
        } else {
            config.arguments = [ArgumentParser.defaultShell]
        }
        config.workingDirectory = workingDirectory
        config.killOnParentDeath = killOnParentDeath

        if tty {
            return try Supervisor.runWithTerminal(Supervisor.Launch()) { (size) throws(NSCoreError) in
                var c = config
                c.terminal = true
                c.consoleSize = size
                return try Container.joinWithPipes(c)
            }
        }
        return try Supervisor.run { () throws(NSCoreError) in try Container.join(config) }
    }

    private static func kindFlag(_ kinds: NamespaceSet) -> String {
        guard let kind = kinds.kinds.first else { return "" }
        return kind == .network ? "net" : kind == .mount ? "mount" : kind.procName
    }
}
