import Glibc
import NSCore

/// `nscore run`: a command in new namespaces (util-linux `unshare --fork`, `docker run`).
enum RunCommand {
    static let help = """
        Usage: nscore run [options] [--] [COMMAND [ARG...]]

        Run COMMAND in new namespaces, wait for it and exit with its status (128+N if
        signal N killed it). Without COMMAND, run $SHELL (else /bin/sh), as unshare does.
        The first argument that is not an option starts COMMAND.

        SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH sent to nscore are
        forwarded to COMMAND. The kernel drops every signal that the PID 1 of a PID
        namespace has no handler for: when COMMAND is such a PID 1 (--pid without --init)
        and would drop a SIGINT (Ctrl-C) or SIGTERM, nscore kills it (SIGKILL) instead and
        exits 128+N for that signal (130 for Ctrl-C). COMMAND is killed (SIGKILL) if nscore
        itself dies, unless --detach is given.

        Namespaces:
          -u, --uts                  new UTS namespace (hostname, domain name)
          -i, --ipc                  new IPC namespace (System V IPC, POSIX queues)
          -p, --pid                  new PID namespace; COMMAND is its PID 1
          -n, --net                  new network namespace (only lo, brought up)
          -m, --mount                new mount namespace
          -U, --user                 new user namespace
          -C, --cgroup               new cgroup namespace
          -T, --time                 new time namespace
              --all                  all eight of the above

        Options:
              --hostname H           hostname in the new UTS namespace (implies --uts)
              --domainname D         NIS domain name in the new UTS namespace (implies --uts)
              --monotonic SECS       offset of CLOCK_MONOTONIC in the new time namespace, in
                                     seconds (may be negative, fractional) (implies --time)
              --boottime SECS        offset of CLOCK_BOOTTIME (and /proc/uptime) (implies --time)
              --mount-proc           mount a fresh /proc (implies --mount); the default
                                     when both --pid and --mount are given
              --no-mount-proc        do not mount /proc
              --propagation P        propagation of / in the new mount namespace: private
                                     (default), shared, slave, unbindable, shared+slave or
                                     unchanged (needs --mount or an option implying it)
              --init                 run COMMAND under a tiny init (PID 1 with --pid) that
                                     reaps zombies and relays signals
          -r, --map-root-user        map root inside to your uid and gid (implies --user)
          -d, --detach               start COMMAND, print its pid and exit 0, leaving it
                                     running (with /dev/null as stdin, stdout and stderr;
                                     it is not killed when nscore exits). Its cgroup, if
                                     a resource option made one, stays after it ends:
                                     remove it with rmdir
              --pid-file FILE        write COMMAND's pid to FILE (with or without --detach)
          -t, --tty                  give COMMAND a new terminal (a pty; with --rootfs, one
                                     of the container's own /dev/pts, also its /dev/console):
                                     COMMAND leads a new session with it as controlling
                                     terminal. nscore relays its stdin and stdout to it,
                                     puts its own terminal in raw mode (restored when it
                                     exits) and passes window size changes on. A piped
                                     stdin ends with the terminal's EOF (Ctrl-D). Not with
                                     --detach
              --interactive          accepted for docker run compatibility (stdin is always
                                     relayed; -i is --ipc, as in unshare)
              --kill-on-parent-death kill COMMAND if nscore dies (the default without
                                     --detach)
          -w, --wd DIR               working directory of COMMAND
          -e, --env K=V              set an environment variable (repeatable)
              --clear-env            start COMMAND with an empty environment
          -f, --fork                 accepted for unshare compatibility (nscore always forks)
          -h, --help                 show this help

        User namespace maps and user (each --map option implies --user and excludes -r):
              --map-users INNER:OUTER:COUNT
                                     map COUNT uids from INNER inside to OUTER... outside
                                     (repeatable); unless you are root, any but your own
                                     uid goes through newuidmap, and /etc/subuid must grant it
              --map-groups INNER:OUTER:COUNT
                                     the same for gids (repeatable; newgidmap, /etc/subgid)
              --map-user UID         map your uid to UID inside (--map-users UID:EUID:1)
              --map-group GID        map your gid to GID inside (--map-groups GID:EGID:1)
          -S, --setuid UID           run COMMAND as uid UID (of the new user namespace, if
                                     any); without it, under maps, COMMAND keeps your uid
                                     and gid where the maps map them, else gets 0
          -G, --setgid GID           the gid of COMMAND (default 0; needs --setuid)
              --groups GID[,GID...]  its supplementary groups (default none; needs --setuid)

        Root filesystem and mounts (each implies --mount):
              --rootfs DIR           run in DIR as root filesystem (pivot_root), with proc,
                                     /dev, /dev/pts, /dev/shm, /dev/mqueue and sysfs mounted
              --read-only            make the root filesystem read-only
              --idmap                mount the root filesystem idmapped with the user
                                     namespace's maps (host root's files are root's
                                     inside); needs --map-users/--map-groups; a volume
                                     takes it as an option: -v SRC:DST:idmap
              --no-default-mounts    mount nothing in DIR but what --mount etc. give
              --mount type=T,...     type=bind|tmpfs|proc|overlay|...,src=S,dst=D[,ro]
                                     [,propagation=P][,KEY=VALUE...]; P is private, shared,
                                     slave, unbindable or shared+slave (rP: recursive);
                                     --mount without a spec is the mount namespace
              --tmpfs DST[:OPTS]     a tmpfs, OPTS like size=64m,mode=1777
          -v, --volume SRC:DST[:OPTS]
                                     bind SRC (recursively) on DST; OPTS: ro, rw, and a
                                     propagation (rslave, shared, ...)
              --masked-paths LIST    comma-separated paths to hide ('' for none); default:
                                     Docker's (/proc/kcore, /proc/keys, /sys/firmware, ...)
              --readonly-paths LIST  comma-separated paths made read-only ('' for none);
                                     default: Docker's (/proc/sys, /proc/bus, ...)

        Network (each veth option implies --network veth, and veth implies --net):
              --network MODE         none (default: only lo), veth (a veth pair: one end
                                     inside, the other in nscore's network namespace),
                                     ns:PATH or container:PID (join that network namespace;
                                     without --net)
              --bridge NAME[:CIDR]   attach the host end to bridge NAME, created (up) when
                                     missing with CIDR as its address, e.g. nscbr0:10.0.0.1/24
              --ip CIDR              an address of the inside interface, IPv4 or IPv6, with
                                     its prefix length, e.g. 10.0.0.2/24 (repeatable)
              --gateway IP           the default route's gateway (in an --ip subnet)
              --mtu N                the MTU of both ends
              --mac MAC              the inside interface's MAC address, e.g. 02:42:ac:11:00:02
              --interface NAME       the inside interface's name (default eth0)
              --host-interface NAME  the host end's name (default: a free nsc... name)

        Capabilities and privileges (docker run's names; a capability is CAP_CHOWN, CHOWN
        or chown). With --rootfs, COMMAND gets Docker's default capability set (CHOWN,
        DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE,
        NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP) and no_new_privs; without, it
        keeps nscore's capabilities and no_new_privs is off:
              --cap-add CAP[,CAP...] add capabilities to Docker's default set (also without
                                     --rootfs); ALL adds every one (repeatable)
              --cap-drop CAP[,CAP...]
                                     drop capabilities from it; ALL drops every one, then
                                     --cap-add adds back (repeatable). As Docker, drops come
                                     first (a capability both added and dropped is kept),
                                     but --cap-add ALL keeps all but the dropped ones
              --privileged           every capability nscore can give (its bounding set),
                                     no_new_privs off unless --no-new-privileges is given;
                                     --cap-drop still applies (Docker ignores --cap-add and
                                     --cap-drop with it)
              --no-new-privileges    set no_new_privs: setuid files and file capabilities
                                     give COMMAND nothing (the default with --rootfs)
              --new-privileges       do not set no_new_privs (the default without --rootfs)
              --keep-caps            COMMAND keeps its capabilities across exec even as a
                                     non-root --setuid user: they are made inheritable and
                                     ambient (without a capability option: Docker's set
                                     with --rootfs, else every capability)
              --ulimit TYPE=SOFT[:HARD]
                                     a resource limit (repeatable; TYPE as in RLIMIT_TYPE:
                                     nofile, nproc, core, memlock, ...; unlimited or -1
                                     for none), e.g. --ulimit nofile=1024:2048
              --oom-score-adj N      the OOM killer's score adjustment, -1000 to 1000

        Seccomp (a filter of the system calls COMMAND may make; 'nscore seccomp' prints,
        checks and compiles profiles). With --rootfs, COMMAND gets the default profile;
        without --rootfs, and with --privileged (as Docker), no filter:
              --seccomp PROFILE      default: the default profile, equivalent to Docker's
                                     (calls it does not list fail with EPERM; those a
                                     capability guards, such as mount and unshare for
                                     SYS_ADMIN, are allowed when COMMAND has it);
                                     unconfined: no filter; else the path of an OCI
                                     linux.seccomp JSON profile (or of a config.json).
                                     SCMP_ACT_NOTIFY is refused: nscore has no supervisor
                                     to answer the notifications
              --security-opt OPT     docker run's spellings: seccomp=PROFILE, and
                                     no-new-privileges[=true|false]

        Resources (cgroups; docker run's names and meanings). Any of these gives COMMAND a
        cgroup of its own below nscore's (or where --cgroup-parent or --cgroups-path says),
        with the limits written before it runs, removed when it ends; nscore needs write
        access to the cgroup it goes below (root, or a delegated cgroup2 subtree). SIZE is
        bytes (1024, 1024b) or a number with a unit k, m or g, powers of 1024
        (case-insensitive, an optional trailing b): 512k, 256m, 1.5g, 1GB:
              --memory SIZE          the memory limit; at it the kernel reclaims, then the
                                     OOM killer kills COMMAND (exit 137)
              --memory-reservation SIZE
                                     a soft limit, reclaimed towards under memory pressure
              --memory-swap SIZE     the limit of memory plus swap: at least --memory (which
                                     it needs); -1 for unlimited swap. Without it, swap is
                                     not limited (Docker allows as much as --memory)
              --oom-kill-disable     at the memory limit, pause COMMAND instead of killing
                                     it (cgroup v1 only)
              --cpus DECIMAL         at most DECIMAL CPUs' worth of time, e.g. 0.5: a quota
                                     of DECIMAL x 100000 us per 100000 us period (not with
                                     --cpu-period or --cpu-quota)
              --cpu-shares N         relative CPU weight, 2 to 262144 (default 1024)
              --cpu-period US        the CPU quota's period in microseconds, 1000 to
                                     1000000 (default 100000)
              --cpu-quota US         CPU time in microseconds per period, at least 1000;
                                     -1 for no limit
              --cpuset-cpus LIST     the CPUs COMMAND may run on, e.g. 0-2,4
              --cpuset-mems LIST     the memory nodes it may allocate from, e.g. 0
              --pids-limit N         the most processes and threads; -1 for no limit
              --blkio-weight N       relative block io weight, 10 to 1000 (honoured with an
                                     io scheduler that keeps weights, BFQ)
              --blkio-weight-device DEVICE:N
                                     the weight on one disk, e.g. /dev/vda:200 (repeatable)
              --device-read-bps DEVICE:RATE
                                     bytes per second COMMAND may read from a disk, RATE a
                                     SIZE, e.g. /dev/vda:1mb; 0 for no limit (repeatable)
              --device-write-bps DEVICE:RATE
                                     bytes per second it may write (cgroup v1 holds back
                                     direct writes only: buffered ones are written back
                                     later, outside its cgroup)
              --device-read-iops DEVICE:N
                                     reads per second from a disk (repeatable)
              --device-write-iops DEVICE:N
                                     writes per second to a disk (repeatable)
              --hugetlb SIZE:LIMIT   at most LIMIT bytes of huge pages of page size SIZE
                                     (as the kernel names it: 2MB, 1GB), e.g. 2MB:64m; a
                                     page fault beyond it raises SIGBUS (repeatable; not a
                                     docker option: docker has none, OCI hugepageLimits)
              --cgroup-parent PATH   put COMMAND's cgroup in cgroup PATH, which must exist:
                                     it is PATH/nscore-<nscore's pid>-1. An absolute PATH
                                     is from each hierarchy's root (/sys/fs/cgroup/memory/
                                     PATH/...), a relative one from nscore's own cgroup
              --cgroups-path PATH    COMMAND's cgroup itself (OCI linux.cgroupsPath; not a
                                     docker option): absolute or relative as above, a cgroup
                                     that must not exist yet, in a parent that must ('nscore
                                     stats' and the like find only cgroups named nscore-*)
            DEVICE is the path of a whole disk (/dev/vda, not a partition). --cgroup-parent
            and --cgroups-path need a limit.

        Exit status: COMMAND's, or 125 if nscore could not start it, 126 if COMMAND cannot
        be executed, 127 if it was not found, 2 for a usage error; 0 with --detach once
        COMMAND runs.

        """

    static let specs = OptionTable(capacity: 96) { t in
        KindFlags.add(to: &t, mountValue: .optionalMountSpec)
        t.add(OptionSpec("all"))
        t.add(OptionSpec("hostname", value: .required))
        t.add(OptionSpec("domainname", value: .required))
        t.add(OptionSpec("monotonic", value: .required))
        t.add(OptionSpec("boottime", value: .required))
        t.add(OptionSpec("mount-proc"))
        t.add(OptionSpec("no-mount-proc"))
        t.add(OptionSpec("propagation", value: .required))
        t.add(OptionSpec("init"))
        t.add(OptionSpec("kill-on-parent-death"))
        t.add(OptionSpec("detach", "d"))
        t.add(OptionSpec("pid-file", value: .required))
        t.add(OptionSpec("tty", "t"))
        t.add(OptionSpec("interactive"))
        t.add(OptionSpec("wd", "w", value: .required))
        t.add(OptionSpec("env", "e", value: .required))
        t.add(OptionSpec("clear-env"))
        t.add(OptionSpec("fork", "f"))
        t.add(OptionSpec("help", "h"))
        MountOptions.add(to: &t)
        NetworkOptions.add(to: &t)
        UserOptions.add(to: &t)
        SecurityOptions.add(to: &t)
        SeccompOptions.add(to: &t)
        ResourceOptions.add(to: &t)
    }

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        var parser = ArgumentParser(command: "run", arguments: arguments, specs: specs, stopAtFirstOperand: true)
        var config = SpawnConfiguration([])
        var namespaces: NamespaceSet = []
        var setEnvironment: [String] = []
        var clearEnvironment = false
        var readOnly = false
        var idmap = false
        var network = NetworkOptions()
        var users = UserOptions()
        var security = SecurityOptions()
        var seccomp = SeccompOptions()
        var resources = ResourceOptions()
        var launch = Supervisor.Launch()
        var propagationGiven = false
        var tty = false

        while let item = try parser.next() {
            guard case .option(let option) = item else { break }
            if let kind = KindFlags.kind(option.name), option.value == nil {
                namespaces.insert(NamespaceSet(kind))
                continue
            }
            if try MountOptions.apply(option, to: &config, readOnly: &readOnly, idmap: &idmap, parser) {
                namespaces.insert(.mount)
                continue
            }
            if try network.apply(option, parser) { continue }
            if try users.apply(option, to: &config, parser) { continue }
            switch option.name {
            case "all": namespaces = .all
            case "hostname":
                config.hostname = option.value
                namespaces.insert(.uts)
            case "domainname":
                config.domainname = option.value
                namespaces.insert(.uts)
            case "monotonic", "boottime":
                let offset = try timeOffset(option, parser)
                var t = config.timeOffsets ?? TimeOffsets()
                if option.name == "monotonic" { t.monotonic = offset } else { t.boottime = offset }
                config.timeOffsets = t
                namespaces.insert(.time)
            case "mount-proc":
                config.mountProc = true
                namespaces.insert(.mount)
            case "no-mount-proc": config.mountProc = false
            case "propagation":
                config.rootPropagation = try propagation(option, parser)
                propagationGiven = true
            case "init": config.useInit = true
            case "kill-on-parent-death": break  // the default unless --detach
            case "detach": launch.detach = true
            case "pid-file": launch.pidFile = try parser.nonEmpty(option)
            case "tty": tty = true
            case "interactive": break  // stdin is always relayed with --tty
            case "wd": config.workingDirectory = try parser.nonEmpty(option)
            case "env":
                let value = option.value ?? ""
                guard let eq = value.firstIndex(of: "="), eq != value.startIndex else {
                    throw parser.usage(
                        "invalid environment variable '\(value)' for '\(option.spelling)': expected NAME=VALUE")
                }
                setEnvironment.append(value)
            case "clear-env": clearEnvironment = true
            case "fork": break
            case "help":
                Output.out(help)
                return 0
            default:
                // Last: the options above never pay for its comparisons.
                if try security.apply(option, parser) {
                    // Docker's --privileged runs without a filter unless one is asked for.
                    if option.name == "privileged" { seccomp.privileged = true }
                    continue
                }
                if try seccomp.apply(option, security: &security, parser) { continue }
                if try resources.apply(option, parser) { continue }
                throw parser.usage("unknown option '\(option.spelling)'")
            }
        }
        // The command's argv is copied from nscore's own, without a String per argument.
        if let command = try parser.commandArgumentsOrNone() {
            config.setArguments(cStrings: command.argv, count: command.count)
        } else {
            config.arguments = [ArgumentParser.defaultShell]
        }
        // The container goes with nscore (even with kill -9) unless it is meant to outlive it.
        config.killOnParentDeath = !launch.detach
        if launch.detach {
            // Nothing of nscore's: a caller reading nscore's output ($(nscore run -d ...))
            // gets its end when nscore exits.
            config.stdin = .null
            config.stdout = .null
            config.stderr = .null
        }
        try network.configure(&config, namespaces: &namespaces, parser)
        try users.configure(&config, parser)
        security.configure(&config)
        try seccomp.configure(&config)
        try resources.configure(&config, parser)
        config.namespaces = namespaces
        if propagationGiven && !namespaces.contains(.mount) {
            throw parser.usage("--propagation needs a new mount namespace (--mount)")
        }
        if readOnly {
            guard config.root != nil else { throw parser.usage("--read-only needs --rootfs DIR") }
            config.root?.readonly = true
        }
        if idmap {
            guard config.root != nil else { throw parser.usage("--idmap needs --rootfs DIR") }
            config.root?.idmap = true
        }
        if clearEnvironment || !setEnvironment.isEmpty {
            config.environment = Environment.build(clear: clearEnvironment, set: setEnvironment)
        }

        if tty {
            if launch.detach { throw parser.usage("--tty cannot be used with --detach: nobody would serve the terminal") }
            return try Supervisor.runWithTerminal(launch) { (size) throws(NSCoreError) in
                var c = config
                c.terminal = true
                c.consoleSize = size
                do throws(NSCoreError) {
                    return try Container.spawnWithPipes(c)
                } catch {
                    throw resources.explained(seccomp.explained(error))
                }
            }
        }
        return try Supervisor.run(launch) { () throws(NSCoreError) in
            do throws(NSCoreError) {
                return try Container.spawn(config)
            } catch {
                throw resources.explained(seccomp.explained(error))
            }
        }
    }

    /// The value of `--propagation`; `nil` for "unchanged".
    /// SECS (`-1.5`, `86400`) as whole seconds and nanoseconds 0 to 999999999, as util-linux
    /// unshare takes them.
    private static func timeOffset(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> TimeOffsets.Offset {
        let text = option.value ?? ""
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let negative = text.hasPrefix("-")
        guard !text.isEmpty, let whole = Int64(parts[0].isEmpty || parts[0] == "-" ? "\(parts[0])0" : String(parts[0])),
              parts.count == 1 || (!parts[1].isEmpty && parts[1].count <= 9 && parts[1].allSatisfy(\.isNumber)) else {
            throw parser.usage("--\(option.name) '\(text)' is not a number of seconds such as 86400 or -1.5")
        }
        var nanos: Int64 = 0
        if parts.count == 2 { nanos = Int64(parts[1] + String(repeating: "0", count: 9 - parts[1].count))! }
        // -1.5 s is -2 s + 0.5 s: the kernel takes a non-negative nanosecond part.
        if negative && nanos > 0 { return TimeOffsets.Offset(seconds: whole - 1, nanoseconds: 1_000_000_000 - nanos) }
        return TimeOffsets.Offset(seconds: whole, nanoseconds: nanos)
    }

    private static func propagation(_ option: ParsedOption,
                                    _ parser: ArgumentParser) throws(CLIError) -> MountPropagation? {
        let value = option.value ?? ""
        if value == "unchanged" { return nil }
        guard let p = MountPropagation.allCases.first(where: { $0.description == value }) else {
            throw parser.usage(
                "invalid propagation '\(value)' (expected private, shared, slave, unbindable, shared+slave or unchanged)")
        }
        return p
    }
}

/// The command's environment when `--env` or `--clear-env` is given.
enum Environment {
    /// nscore's own environment (unless `clear`), with each `NAME=VALUE` of `set` replacing
    /// any earlier value of NAME.
    static func build(clear: Bool, set: [String]) -> [String] {
        var result: [String] = []
        if !clear {
            var p = environ
            while let entry = p.pointee {
                result.append(String(cString: entry))
                p += 1
            }
        }
        for assignment in set {
            let name = assignment.prefix(while: { $0 != "=" })
            result.removeAll { $0.hasPrefix(name + "=") }
            result.append(assignment)
        }
        return result
    }
}
