import Glibc
import NSCore

/// `nscore mounts [PID]`: the mounts of a process's mount namespace, as a tree like `findmnt`
/// (or flat with --list), with each mount's propagation state.
enum MountsCommand {
    static let help = """
        Usage: nscore mounts [options] [PID]

        List the mounts of the mount namespace of process PID (default: nscore itself), as
        PID sees them (/proc/PID/mountinfo): a tree of mount points, like findmnt, with the
        source, filesystem type, options and propagation (shared, slave, shared+slave,
        private or unbindable) of each.

        Options:
          -l, --list    a flat list in the kernel's order instead of a tree
          -s, --stats   /proc/PID/mountstats instead: each mount with the statistics its
                        filesystem writes (JSON: {"pid":N,"mountstats":[{"device","target",
                        "fstype","statvers","statistics":[...]},...]})
          -J, --json    print JSON: {"pid":N,"mounts":[{"id","parent","major","minor","root",
                        "target","source","fstype","options","super_options","propagation",
                        "shared","master","propagate_from"},...]}
          -h, --help    show this help

        """

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        guard let request = try PIDViewArguments.parse("mounts", arguments, help: help, mounts: true) else { return 0 }
        let (json, list) = (request.json, request.list)
        let target = request.pid ?? getpid()
        if request.stats { return try stats(target, json: json) }
        let mounts: [MountEntry]
        do {
            mounts = try Inspect.mounts(of: target)
        } catch {
            throw .failed(error, exitCode: ExitCode.failure)
        }
        if json {
            Output.out(Inspect.json(mounts, pid: target) + "\n")
            return 0
        }
        var table = Table([("TARGET", .left), ("SOURCE", .left), ("FSTYPE", .left), ("OPTIONS", .left),
                           ("PROPAGATION", .left)])
        func row(_ m: MountEntry, _ prefix: String) {
            table.append([prefix + m.mountPoint, m.source, m.fsType, m.options.joined(separator: ","),
                          m.propagation.rawValue])
        }
        if list {
            for m in mounts { row(m, "") }
        } else {
            // A tree by parent id; a mount whose parent is not listed (outside the process's
            // root) is a root of the tree.
            let ids = Set(mounts.map(\.id))
            var children: [Int: [MountEntry]] = [:]
            var roots: [MountEntry] = []
            for m in mounts {
                if m.parentID != m.id && ids.contains(m.parentID) { children[m.parentID, default: []].append(m) } else { roots.append(m) }
            }
            func walk(_ m: MountEntry, _ indent: String, _ last: Bool, _ top: Bool) {
                row(m, top ? "" : indent + (last ? "`-" : "|-"))
                let kids = children[m.id] ?? []
                let next = top ? "" : indent + (last ? "  " : "| ")
                for (i, k) in kids.enumerated() { walk(k, next, i == kids.count - 1, false) }
            }
            for r in roots { walk(r, "", true, true) }
        }
        Output.out(table.render())
        return 0
    }

    /// `--stats`: /proc/PID/mountstats.
    private static func stats(_ pid: pid_t, json: Bool) throws(CLIError) -> Int32 {
        let stats: [MountStats]
        do {
            stats = try Inspect.mountStats(of: pid)
        } catch {
            throw .failed(error, exitCode: ExitCode.failure)
        }
        if json {
            Output.out(Inspect.json(stats, pid: pid) + "\n")
            return 0
        }
        var table = Table([("DEVICE", .left), ("TARGET", .left), ("FSTYPE", .left), ("STATVERS", .left),
                           ("STATISTICS", .right)])
        for s in stats {
            table.append([s.device, s.mountPoint, s.fsType, s.statsVersion ?? "-", String(s.statistics.count)])
        }
        Output.out(table.render())
        return 0
    }
}
