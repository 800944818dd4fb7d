import Glibc
import NSCore

/// `nscore persist`: keep a namespace alive on a file, like `ip netns add`.
enum PersistCommand {
    static let help = """
        Usage: nscore persist --target PID --type KIND PATH

        Bind-mount /proc/PID/ns/KIND onto PATH (created if missing), so the namespace
        outlives its processes. Join it with 'nscore exec --ns-path KIND=PATH', release
        it with 'nscore unpersist PATH'. A missing /run/netns is created (mode 0755) for
        a PATH in it, as 'ip netns add' does. Exits 125 on failure.

        Options:
          -t, --target PID   the process whose namespace to keep
              --type KIND    uts, ipc, pid, net, mnt, user, cgroup or time
          -h, --help         show this help

        """

    static let specs = OptionTable { t in
        t.add(OptionSpec("target", "t", value: .required))
        t.add(OptionSpec("type", value: .required))
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "persist", arguments: arguments, specs: specs)
        var target: pid_t?
        var kind: NamespaceKind?
        var path: String?
        while let item = try parser.next() {
            switch item {
            case .operand(let text):
                if path != nil { throw parser.usage("unexpected argument '\(text)' (only one PATH)") }
                path = text
            case .option(let option):
                switch option.name {
                case "target": target = try parser.pid(option.value ?? "", what: "target")
                case "type": kind = try parser.kind(option.value ?? "", what: "'\(option.spelling)'")
                case "help":
                    Output.out(help)
                    return 0
                default: throw parser.usage("unknown option '\(option.spelling)'")
                }
            }
        }
        guard let target else { throw parser.usage("missing --target PID") }
        guard let kind else { throw parser.usage("missing --type KIND") }
        guard let path, !path.isEmpty else { throw parser.usage("missing PATH") }
        do {
            try makeNetnsDirectory(for: path)
            try Persist.persist(kind, of: target, at: path)
        } catch {
            throw .failed(error, exitCode: ExitCode.runtimeFailed)
        }
        return 0
    }

    /// The directory `ip netns` keeps its namespaces in.
    static let netnsDirectory = "/run/netns"

    /// Creates `/run/netns` (mode 0755, whatever the umask) when `path` is a file directly in
    /// it and it is missing, as `ip netns add` does; any other directory must exist.
    /// The corresponding syscalls are `mkdir(2)` and `chmod(2)`.
    static func makeNetnsDirectory(for path: String) throws(NSCoreError) {
        guard let slash = path.lastIndex(of: "/") else { return }
        var directory = path[..<slash]
        while directory.hasSuffix("/") { directory = directory.dropLast() }
        guard directory == netnsDirectory || directory == "/var" + netnsDirectory else { return }
        let name = String(directory)
        if mkdir(name, 0o755) == 0 {
            // mkdir applies the umask; ip netns leaves the directory world-readable.
            _ = chmod(name, 0o755)
            return
        }
        let e = Errno(rawValue: errno)
        if e.rawValue == EEXIST { return }
        throw NSCoreError(e.rawValue == EACCES || e.rawValue == EPERM ? .permissionDenied : .system, errno: e,
                          stage: "mkdir \(name)", message: "persist: cannot create \(name): \(e)")
    }
}

/// `nscore unpersist`: undo `persist`, like `ip netns delete`.
enum UnpersistCommand {
    static let help = """
        Usage: nscore unpersist [options] PATH

        Unmount a namespace persisted on PATH (lazily: processes inside keep it) and
        delete the file. Exits 125 on failure.

        Options:
              --keep-file    unmount only; leave the file in place
          -h, --help         show this help

        """

    static let specs = OptionTable { t in
        t.add(OptionSpec("keep-file"))
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "unpersist", arguments: arguments, specs: specs)
        var keepFile = false
        var path: String?
        while let item = try parser.next() {
            switch item {
            case .operand(let text):
                if path != nil { throw parser.usage("unexpected argument '\(text)' (only one PATH)") }
                path = text
            case .option(let option):
                switch option.name {
                case "keep-file": keepFile = true
                case "help":
                    Output.out(help)
                    return 0
                default: throw parser.usage("unknown option '\(option.spelling)'")
                }
            }
        }
        guard let path, !path.isEmpty else { throw parser.usage("missing PATH") }
        do {
            try Persist.unpersist(at: path, remove: !keepFile)
        } catch {
            throw .failed(error, exitCode: ExitCode.runtimeFailed)
        }
        return 0
    }
}
