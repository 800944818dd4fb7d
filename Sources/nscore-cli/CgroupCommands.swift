import Glibc
import NSCore

// `nscore stats`, `pause`, `resume`, `update` and `kill`: docker's names for the controls of a
// running container's cgroup (``Container/resourceStats()``, ``Container/freeze()``,
// ``Container/thaw()``, ``Container/updateResources(_:)``, ``Container/killAll()``).
//
// Those live on a `Container` handle, but the container here is one another process started
// (`nscore run --memory ...`). So the commands find its cgroups from a PID, as the engine lays
// them out: `nscore run` puts the container in directories named `nscore-<its pid>-<N>` below
// its own cgroup in each hierarchy that holds a controller it needs (and the cgroup2 one, for
// cgroup.freeze and cgroup.kill). PID may be any process in the container, or the `nscore run`
// that started it. Failures exit 1 (as the inspection commands), usage errors 2.

/// The cgroup directories of the container a process belongs to.
struct ContainerCgroups {
    struct Directory {
        var path: String
        /// In the unified (cgroup2) hierarchy.
        var v2: Bool
        /// The controllers the directory has: v1, its hierarchy's; cgroup2, `cgroup.controllers`.
        var controllers: Set<String>
    }

    let pid: pid_t
    let directories: [Directory]
    /// PID is the nscore that started the container, not one of its processes.
    var isStarter = false

    /// The container's cgroups, from /proc/PID/cgroup: the entries whose last component starts
    /// with `nscore-`, mapped to directories through the cgroup mounts nscore sees. When PID is
    /// in none (the `nscore run` itself stays in its own cgroups), the directories named
    /// `nscore-PID-*` below PID's cgroups: those of the container it started.
    /// - Throws: ``NSCoreError``: (not found) for no such process, or one in no nscore cgroup.
    static func find(_ pid: pid_t, _ what: String) throws(NSCoreError) -> ContainerCgroups {
        let text: String
        switch Files.read("/proc/\(pid)/cgroup") {
        case .success(let t): text = t
        case .failure(let e):
            if e.rawValue == ENOENT || e.rawValue == ESRCH {
                throw NSCoreError(.notFound, errno: Errno(rawValue: ESRCH), stage: what,
                                  message: "\(what) \(pid): there is no process \(pid)")
            }
            throw Files.error(e, what, "\(what) \(pid): read /proc/\(pid)/cgroup: \(e)")
        }
        let mounts: [MountEntry]
        do {
            mounts = try Inspect.mounts(of: getpid())
        } catch {
            throw NSCoreError(error.code, errno: error.errno, stage: what, message: "\(what) \(pid): \(error.message)")
        }
        // (directory of PID's cgroup, v2, controllers) per hierarchy mounted here.
        var own: [Directory] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            let v2 = f[0] == "0" && f[1].isEmpty
            let controllers = Set(f[1].split(separator: ",").map(String.init))
            let mount = mounts.first { m in
                v2 ? m.fsType == "cgroup2" : m.fsType == "cgroup" && controllers.isSubset(of: Set(m.superOptions))
            }
            guard let mount else { continue }
            own.append(Directory(path: directory(mount, String(f[2])), v2: v2, controllers: controllers))
        }
        var starter = false
        var found = own.filter { ($0.path.split(separator: "/").last ?? "").hasPrefix("nscore-") }
        if found.isEmpty {
            // The nscore that started the container: its children nscore-PID-N.
            var names: Set<String> = []
            for d in own { names.formUnion(Files.list(d.path).filter { $0.hasPrefix("nscore-\(pid)-") }) }
            if names.count > 1 {
                throw NSCoreError(.invalidArgument, errno: Errno(rawValue: EINVAL), stage: what,
                                  message: "\(what) \(pid): process \(pid) started several containers ("
                                  + names.sorted().joined(separator: ", ") + "); give the PID of a process in one")
            }
            if let name = names.first {
                found = own.map { Directory(path: $0.path + "/" + name, v2: $0.v2, controllers: $0.controllers) }
                    .filter { access($0.path, F_OK) == 0 }
            }
            starter = !found.isEmpty
        }
        guard !found.isEmpty else {
            let comm = (try? Files.read("/proc/\(pid)/comm").get()) ?? "?"
            throw NSCoreError(.notFound, errno: Errno(rawValue: ENOENT), stage: what,
                              message: "\(what) \(pid): process \(pid) (\(comm)) is in no nscore cgroup; give the PID of "
                              + "a container started with a resource option (nscore run --memory, --cpus, --pids-limit, "
                              + "...), or of the nscore run that started it")
        }
        for i in found.indices where found[i].v2 {
            let c = (try? Files.read(found[i].path + "/cgroup.controllers").get()) ?? ""
            found[i].controllers = Set(c.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }
        return ContainerCgroups(pid: pid, directories: found, isStarter: starter)
    }

    /// The directory of cgroup `path` in the hierarchy mounted by `m` (as CgroupLayout).
    private static func directory(_ m: MountEntry, _ path: String) -> String {
        var rel = Substring(path)
        if m.root != "/" && rel.hasPrefix(m.root) { rel = rel.dropFirst(m.root.count) }
        while rel.hasPrefix("/") { rel = rel.dropFirst() }
        return rel.isEmpty ? m.mountPoint : m.mountPoint + "/" + rel
    }

    /// The engine's view of these directories: its controls do the work.
    var set: CgroupSet { CgroupSet(directories: directories.map(\.path)) }

    /// What the container has used (``CgroupSet/resourceStats()``).
    func stats() throws(NSCoreError) -> ResourceStats { try named("stats") { () throws(NSCoreError) in try set.resourceStats() } }

    /// Freezes or thaws it (``CgroupSet/freeze()``).
    func setFrozen(_ frozen: Bool, _ what: String) throws(NSCoreError) {
        try named(what) { () throws(NSCoreError) in frozen ? try set.freeze() : try set.thaw() }
    }

    /// Sends `signal` to every process of it (SIGKILL through ``CgroupSet/killAll()``).
    func signalAll(_ signal: Int32, _ what: String) throws(NSCoreError) {
        try named(what) { () throws(NSCoreError) in signal == SIGKILL ? try set.killAll() : try set.signal(signal) }
    }

    /// Changes its limits (``CgroupSet/updateResources(_:)``).
    func update(_ r: Resources, _ what: String) throws(NSCoreError) {
        try named(what) { () throws(NSCoreError) in try set.updateResources(r) }
    }

    /// `body`'s error with the command and PID in front ("pause 123: ...").
    private func named<T>(_ what: String, _ body: () throws(NSCoreError) -> T) throws(NSCoreError) -> T {
        do {
            return try body()
        } catch {
            var e = error
            e.message = "\(what) \(pid): " + e.message
            throw e
        }
    }
}

/// Whole small files (/proc, cgroupfs), read and written with one call each.
enum Files {
    /// The file's text, trailing newlines dropped.
    static func read(_ path: String) -> Result<String, Errno> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return .failure(Errno(rawValue: errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(rawValue: errno))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        var s = String(decoding: bytes, as: UTF8.self)
        while s.hasSuffix("\n") { s.removeLast() }
        return .success(s)
    }

    /// Writes `value` in one write(2), as cgroupfs wants it.
    static func write(_ path: String, _ value: String) -> Result<Void, Errno> {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { return .failure(Errno(rawValue: errno)) }
        defer { close(fd) }
        var value = value
        let n = value.withUTF8 { b in Glibc.write(fd, b.baseAddress, b.count) }
        return n < 0 ? .failure(Errno(rawValue: errno)) : .success(())
    }

    /// The names in directory `path` (none when it cannot be read).
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// An error for errno `e`, its code as the engine derives it.
    static func error(_ e: Errno, _ stage: String, _ message: String) -> NSCoreError {
        let code: NSCoreError.Code
        switch e.rawValue {
        case EACCES, EPERM, EROFS: code = .permissionDenied
        case ENOENT, ESRCH: code = .notFound
        case EINVAL, ERANGE: code = .invalidArgument
        case EBUSY: code = .busy
        default: code = .system
        }
        return NSCoreError(code, errno: e, stage: stage, message: message)
    }
}

/// The command line shared by pause, resume and kill: options, then PID...; each PID is tried
/// even when an earlier one fails, and the exit status is 1 when any failed (as docker's).
enum ContainerPIDs {
    static func each(_ pids: [pid_t], _ body: (pid_t) throws(NSCoreError) -> Void) -> Int32 {
        var status: Int32 = 0
        for pid in pids {
            do {
                try body(pid)
            } catch {
                status = CLI.report(.failed(error, exitCode: ExitCode.failure))
            }
        }
        return status
    }
}

/// `nscore stats PID...`: what each container has used (docker stats --no-stream).
enum StatsCommand {
    static let help = """
        Usage: nscore stats [options] PID [PID...]

        Show what the container of each PID has used, read once from its cgroup files (as
        'docker stats --no-stream'). PID is any process of a container started with a
        resource option (nscore run --memory, --cpus, --pids-limit, ...), or the nscore run
        that started it. Columns:
          MEM USAGE / LIMIT   memory in use and the limit ('unlimited' without one)
          MEM %               usage as a share of the limit
          MEM PEAK            the most it used (v1 max_usage_in_bytes, v2 memory.peak)
          OOM KILLS           processes the OOM killer killed in it
          CPU TIME            CPU time used, seconds
          THROTTLED           CFS periods throttled of those elapsed, and the time throttled
          PIDS                processes and threads, and the limit
          OOM EVENTS          times the OOM killer was called for it (cgroup v2 memory.events
                              oom; shown when a container's cgroups keep it)
          BLOCK I/O           per disk MAJ:MIN, bytes read / written (shown for a container
                              started with a block io option)
        A figure this machine's cgroups do not keep is shown as '-' (null in JSON).

        Options:
          -J, --json    print one JSON object per PID, a line each: {"pid":N,"cgroups":["DIR",...],
                        "memoryCurrent":N,"memoryPeak":N,"memoryLimit":N|null,"memoryLimitHits":N,
                        "oomKills":N,"cpuUsageNanoseconds":N,"cpuPeriods":N,"cpuThrottledPeriods":N,
                        "cpuThrottledNanoseconds":N,"pidsCurrent":N,"pidsLimit":N|null,
                        "oomEvents":N|null,"io":[{"major":N,"minor":N,"readBytes":N,"writeBytes":N,
                        "readOperations":N,"writeOperations":N},...]}
          -h, --help    show this help

        """

    static let specs = OptionTable { t in
        t.add(OptionSpec("json", "J"))
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "stats", arguments: arguments, specs: specs)
        var pids: [pid_t] = []
        var json = false
        while let item = try parser.next() {
            switch item {
            case .operand(let text): pids.append(try parser.pid(text, what: "PID"))
            case .option(let option):
                switch option.name {
                case "json": json = true
                case "help":
                    Output.out(help)
                    return 0
                default: throw parser.usage("unknown option '\(option.spelling)'")
                }
            }
        }
        guard !pids.isEmpty else { throw parser.usage("missing PID (a process of the container)") }
        var lines = ""
        var found: [(pid_t, ResourceStats)] = []
        let status = ContainerPIDs.each(pids) { pid throws(NSCoreError) in
            let cgroups = try ContainerCgroups.find(pid, "stats")
            let s = try cgroups.stats()
            if json {
                lines += s.json(pid: pid, cgroups: cgroups.directories.map(\.path)) + "\n"
            } else {
                found.append((pid, s))
            }
        }
        if json {
            Output.out(lines)
        } else if !found.isEmpty {
            Output.out(Self.table(found).render())
        }
        return status
    }

    /// The rows, with the OOM EVENTS and BLOCK I/O columns when any container has them.
    static func table(_ found: [(pid_t, ResourceStats)]) -> Table {
        let oomEvents = found.contains { $0.1.oomEvents != nil }
        let io = found.contains { !$0.1.io.isEmpty }
        var columns: [(String, Table.Alignment)] = [
            ("PID", .right), ("MEM USAGE / LIMIT", .left), ("MEM %", .right), ("MEM PEAK", .right),
            ("OOM KILLS", .right), ("CPU TIME", .right), ("THROTTLED", .left), ("PIDS", .left),
        ]
        if oomEvents { columns.append(("OOM EVENTS", .right)) }
        if io { columns.append(("BLOCK I/O", .left)) }
        var table = Table(columns)
        for (pid, s) in found {
            var cells = row(s, pid: pid)
            if oomEvents { cells.append(s.oomEvents.map(String.init) ?? "-") }
            if io {
                let disks = s.io.map { "\($0.major):\($0.minor) \(size($0.readBytes)) / \(size($0.writeBytes))" }
                cells.append(disks.isEmpty ? "-" : disks.joined(separator: ", "))
            }
            table.append(cells)
        }
        return table
    }

    static func row(_ s: ResourceStats, pid: pid_t) -> [String] {
        func n(_ v: UInt64?) -> String { v.map(String.init) ?? "-" }
        let usage = s.memoryCurrent.map(size) ?? "-"
        let limit = s.memoryLimit.map(size) ?? (s.memoryCurrent == nil ? "-" : "unlimited")
        var percent = "-"
        if let u = s.memoryCurrent, let l = s.memoryLimit, l > 0 { percent = decimal(Double(u) * 100 / Double(l)) + "%" }
        let cpu = s.cpuUsageNanoseconds.map { decimal(Double($0) / 1e9) + "s" } ?? "-"
        var throttled = "-"
        if let t = s.cpuThrottledPeriods, let p = s.cpuPeriods {
            throttled = "\(t)/\(p)" + (s.cpuThrottledNanoseconds.map { " " + decimal(Double($0) / 1e9) + "s" } ?? "")
        }
        let pids = s.pidsCurrent.map { "\($0) / " + (s.pidsLimit.map(String.init) ?? "unlimited") } ?? "-"
        return [String(pid), "\(usage) / \(limit)", percent, s.memoryPeak.map(size) ?? "-", n(s.oomKills), cpu,
                throttled, pids]
    }

    /// Bytes in docker's binary units: `512B`, `1.5KiB`, `64MiB`, `2.25GiB`.
    static func size(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var i = 0
        while value >= 1024 && i < units.count - 1 {
            value /= 1024
            i += 1
        }
        return decimal(value) + units[i]
    }

    /// `v` with at most two decimals, trailing zeros dropped (without Foundation's formatting).
    static func decimal(_ v: Double) -> String {
        let hundredths = UInt64((v * 100).rounded())
        var s = String(hundredths / 100)
        let fraction = hundredths % 100
        if fraction != 0 {
            s += "." + (fraction < 10 ? "0" : "") + String(fraction)
            while s.hasSuffix("0") { s.removeLast() }
        }
        return s
    }
}

/// `nscore pause PID...` and `nscore resume PID...`: freeze and thaw containers.
enum PauseCommand {
    static let help = """
        Usage: nscore pause [options] PID [PID...]

        Freeze every process of the container of each PID (as 'docker pause'): cgroup2's
        cgroup.freeze, waiting until cgroup.events says 'frozen 1', else cgroup v1's
        freezer.state FROZEN. The processes stay, stopped, until 'nscore resume PID'.
        PID is any process of a container started with a resource option (nscore run
        --memory, --cpus, --pids-limit, ...), or the nscore run that started it. Each PID is
        tried even when an earlier one fails; the exit status is 1 when any failed.

        Options:
          -h, --help    show this help

        """

    static let specs = OptionTable { t in t.add(OptionSpec("help", "h")) }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        try run("pause", arguments, help: help, frozen: true)
    }

    static func run(_ command: String, _ arguments: CommandArguments, help: String, frozen: Bool) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: command, arguments: arguments, specs: specs)
        var pids: [pid_t] = []
        while let item = try parser.next() {
            switch item {
            case .operand(let text): pids.append(try parser.pid(text, what: "PID"))
            case .option(let option):
                guard option.name == "help" else { throw parser.usage("unknown option '\(option.spelling)'") }
                Output.out(help)
                return 0
            }
        }
        guard !pids.isEmpty else { throw parser.usage("missing PID (a process of the container)") }
        return ContainerPIDs.each(pids) { pid throws(NSCoreError) in
            try ContainerCgroups.find(pid, command).setFrozen(frozen, command)
        }
    }
}

/// `nscore resume PID...`: thaw containers ``PauseCommand`` froze.
enum ResumeCommand {
    static let help = """
        Usage: nscore resume [options] PID [PID...]

        Let the frozen container of each PID run again (as 'docker unpause'): cgroup2's
        cgroup.freeze 0, waiting until cgroup.events says 'frozen 0', else cgroup v1's
        freezer.state THAWED. A container that is not frozen is left as it is. Each PID is
        tried even when an earlier one fails; the exit status is 1 when any failed.

        Options:
          -h, --help    show this help

        """

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        try PauseCommand.run("resume", arguments, help: help, frozen: false)
    }
}

/// `nscore kill [--all] [--signal SIG] PID...`: signal a container's process, or all of them.
enum KillCommand {
    static let help = """
        Usage: nscore kill [options] PID [PID...]

        Send a signal (SIGKILL unless --signal says otherwise) to the container of each PID:
        to PID itself, or with --all to every process in its cgroups, descendants included.
        PID is any process of a container started with a resource option (nscore run
        --memory, --cpus, --pids-limit, ...); with --all it may be the nscore run that
        started it. --all with SIGKILL writes cgroup2's cgroup.kill (Linux 5.14) where there
        is one; otherwise the container is frozen, each process in cgroup.procs signalled,
        and it is thawed, so that nothing escapes by forking. The nscore run then reaps the
        container and removes its cgroups. Each PID is tried even when an earlier one fails;
        the exit status is 1 when any failed.

        Options:
          -a, --all            signal every process of the container, not PID alone
          -s, --signal SIG     the signal: a name (KILL, SIGTERM, term, ...) or a number
          -h, --help           show this help

        """

    static let specs = OptionTable { t in
        t.add(OptionSpec("all", "a"))
        t.add(OptionSpec("signal", "s", value: .required))
        t.add(OptionSpec("help", "h"))
    }

    static let names: [(String, Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP), ("ABRT", SIGABRT),
        ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL), ("USR1", SIGUSR1), ("SEGV", SIGSEGV), ("USR2", SIGUSR2),
        ("PIPE", SIGPIPE), ("ALRM", SIGALRM), ("TERM", SIGTERM), ("CHLD", SIGCHLD), ("CONT", SIGCONT),
        ("STOP", SIGSTOP), ("TSTP", SIGTSTP), ("TTIN", SIGTTIN), ("TTOU", SIGTTOU), ("URG", SIGURG),
        ("XCPU", SIGXCPU), ("XFSZ", SIGXFSZ), ("VTALRM", SIGVTALRM), ("PROF", SIGPROF), ("WINCH", SIGWINCH),
        ("IO", SIGIO), ("PWR", SIGPWR), ("SYS", SIGSYS),
    ]

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "kill", arguments: arguments, specs: specs)
        var pids: [pid_t] = []
        var all = false
        var signal = SIGKILL
        while let item = try parser.next() {
            switch item {
            case .operand(let text): pids.append(try parser.pid(text, what: "PID"))
            case .option(let option):
                switch option.name {
                case "all": all = true
                case "signal": signal = try Self.signal(option, parser)
                case "help":
                    Output.out(help)
                    return 0
                default: throw parser.usage("unknown option '\(option.spelling)'")
                }
            }
        }
        guard !pids.isEmpty else { throw parser.usage("missing PID (a process of the container)") }
        return ContainerPIDs.each(pids) { pid throws(NSCoreError) in
            let cgroups = try ContainerCgroups.find(pid, "kill")
            if all {
                try cgroups.signalAll(signal, "kill")
            } else if cgroups.isStarter {
                throw NSCoreError(.invalidArgument, errno: Errno(rawValue: EINVAL), stage: "kill",
                                  message: "kill \(pid): process \(pid) is the nscore run that started the container, not "
                                  + "one of its processes; give a process of the container, or --all")
            } else if Glibc.kill(pid, signal) != 0 {
                let e = Errno(rawValue: errno)
                throw Files.error(e, "kill", "kill \(pid): \(e)")
            }
        }
    }

    /// SIG: a name with or without `SIG`, in any case, or a number from 1 to SIGRTMAX.
    static func signal(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> Int32 {
        let text = option.value ?? ""
        if let n = Int32(text), n >= 1, n <= 64 { return n }
        var name = Substring(text.uppercased())
        if name.hasPrefix("SIG") { name = name.dropFirst(3) }
        if let (_, n) = names.first(where: { $0.0 == name }) { return n }
        throw parser.usage("invalid value '\(text)' for '\(option.spelling)': expected a signal name such as KILL "
                           + "or TERM, or a number")
    }
}

/// `nscore update [options] PID...`: change a running container's limits (docker update).
enum UpdateCommand {
    static let help = """
        Usage: nscore update [options] PID [PID...]

        Change the cgroup limits of the container of each PID while it runs (as 'docker
        update'), in the units and with the checks of 'nscore run' (see 'nscore run --help').
        Only a limit whose kind the container was started with can change: one started
        with --memory can get a new --memory, --memory-reservation or --memory-swap, but not
        a --pids-limit. PID is any process of the container, or the nscore run that started
        it. A limit below what the container already uses is refused by the kernel.

        Options:
          --memory SIZE              the memory limit (SIZE: 1024, 512k, 256m, 1g, ...)
          --memory-reservation SIZE  the soft limit (v1 soft_limit_in_bytes, v2 memory.low)
          --memory-swap SIZE         memory plus swap; -1 for unlimited swap
          --cpus DECIMAL             CPUs' worth of time (a quota of a 100000 µs period)
          --cpu-shares N             relative CPU weight, 2 to 262144
          --cpu-period US            the CFS period, 1000 to 1000000 µs
          --cpu-quota US             CPU time per period, at least 1000 µs, or -1 for none
          --cpuset-cpus LIST         the CPUs it may run on (0-2,4)
          --cpuset-mems LIST         the memory nodes it may use
          --pids-limit N             the most processes and threads; -1 or 0 for no limit
          --blkio-weight N           relative block io weight, 10 to 1000
          --blkio-weight-device DEVICE:N
                                     the weight on one disk (/dev/vda:200)
          --device-read-bps DEVICE:RATE
                                     bytes per second read from a disk (/dev/vda:1mb); 0
                                     for no limit
          --device-write-bps DEVICE:RATE
                                     bytes per second written to a disk; 0 for no limit
          --device-read-iops DEVICE:N
                                     reads per second; 0 for no limit
          --device-write-iops DEVICE:N
                                     writes per second; 0 for no limit
          --hugetlb SIZE:LIMIT       bytes of huge pages of page size SIZE (2MB:64m; not a
                                     docker option)
          -h, --help                 show this help

        """

    static let specs = OptionTable { t in
        ResourceOptions.add(to: &t, forUpdate: true)
        t.add(OptionSpec("help", "h"))
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "update", arguments: arguments, specs: specs)
        var options = ResourceOptions()
        var pids: [pid_t] = []
        while let item = try parser.next() {
            switch item {
            case .operand(let text): pids.append(try parser.pid(text, what: "PID"))
            case .option(let option):
                if option.name == "help" {
                    Output.out(help)
                    return 0
                }
                guard try options.apply(option, parser) else { throw parser.usage("unknown option '\(option.spelling)'") }
            }
        }
        guard !pids.isEmpty else { throw parser.usage("missing PID (a process of the container)") }
        // run's parsing and checks, through the configuration they fill.
        var config = SpawnConfiguration(["true"])
        try options.configure(&config, parser)
        guard let resources = config.resources else {
            throw parser.usage("nothing to update: give a limit (--memory, --cpus, --pids-limit, --device-write-bps, ...)")
        }
        return ContainerPIDs.each(pids) { pid throws(NSCoreError) in
            try ContainerCgroups.find(pid, "update").update(resources, "update")
        }
    }
}
