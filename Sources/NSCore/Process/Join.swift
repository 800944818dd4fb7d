import CNSCoreShim
import Glibc

/// Which namespaces to join: those of a running process, or namespace files by path.
public enum JoinTarget: Sendable, Equatable {
    /// The namespaces of the process `pid` (`/proc/PID/ns/*`, through a pidfd).
    case process(pid_t)
    /// Namespace files: `/proc/PID/ns/KIND` or a file a namespace was persisted on.
    case paths([NamespaceKind: String])
}

/// A command to run inside existing namespaces, the `docker exec` / `nsenter` way.
public struct JoinConfiguration: Sendable, ProcessConfigurable {
    /// Whose namespaces to enter.
    public var target: JoinTarget
    /// The kinds to join, for a ``JoinTarget/process(_:)`` target. `nil` joins every kind in
    /// which the target differs from the caller (as `nsenter --all`). Ignored for paths.
    public var namespaces: NamespaceSet?
    /// The process to start: command, environment, working directory (`nil`: `/` of the
    /// joined mount namespace, else the caller's), stdio, parent-death signal. Its settings
    /// are also reachable directly (``arguments``, ``stdout``, ...).
    public var process: ProcessConfiguration
    /// For a ``JoinTarget/process(_:)`` target in cgroups NSCore made (a container spawned with
    /// ``SpawnConfiguration/resources``): the command joins them too, as `runc exec` and
    /// `docker exec` do, so that it counts against the container's limits and is frozen and
    /// killed with it. Default true.
    public var joinCgroups: Bool = true

    /// Runs `arguments` in the namespaces of `target`.
    public init(target: JoinTarget, _ arguments: [String], namespaces: NamespaceSet? = nil) {
        self.init(target: target, ProcessConfiguration(arguments), namespaces: namespaces)
    }

    /// Starts `process` in the namespaces of `target`.
    public init(target: JoinTarget, _ process: ProcessConfiguration, namespaces: NamespaceSet? = nil) {
        self.target = target
        self.namespaces = namespaces
        self.process = process
    }
}

extension Container {
    /// Runs a command inside the namespaces of a running process or of namespace files.
    ///
    /// The caller's own namespaces never change, and no process of the target ever sees a
    /// process that shares the caller's memory or holds one of its fds. The library's child
    /// (which shares the caller's memory until it execs) joins nothing: it execs the embedded
    /// `nscore-init` first, in the caller's namespaces. That process, which owns its memory and
    /// is not dumpable, joins with one `setns(pidfd, flags)` (or one `setns` per file), closes
    /// every fd but stdio and forks the command (so that a PID namespace takes effect) as a
    /// child of the caller (`CLONE_PARENT`), then exits once the command has exec'd, as
    /// `nsenter` and `runc exec` do. The handle is the command's own: its pid, its pidfd.
    ///
    /// The corresponding syscalls are `pidfd_open(2)`, `setns(2)`, `clone3(2)`, `execve(2)`.
    /// - Throws: ``NSCoreError``: not found / process exited for a bad pid or path, invalid
    ///   argument for a file that is not a namespace, process exited when the target PID
    ///   namespace has no init left.
    public static func join(_ configuration: JoinConfiguration) throws(NSCoreError) -> Container {
        try Joiner.join(configuration, pipes: nil)
    }
}

/// Plans and runs a join.
enum Joiner {
    /// setns order for files (nsenter's): user first so that its capabilities apply to the
    /// rest, mount last so that earlier paths resolve in the caller's mount namespace.
    static let fileOrder: [NamespaceKind] = [.user, .cgroup, .ipc, .uts, .network, .pid, .time, .mount]

    static func join(_ c: JoinConfiguration, pipes: PipeEnds?) throws(NSCoreError) -> Container {
        try SpawnPlanner.validate(c.process)
        if c.process.user != nil {
            throw .invalid("user", "user: a join runs as the caller's user (setting another is for spawns)")
        }
        if !c.process.rlimits.isEmpty || c.process.oomScoreAdj != nil {
            throw .invalid("rlimits", "rlimits and oomScoreAdj: a join keeps the caller's (setting them is for spawns)")
        }
        if c.process.capabilities != nil {
            throw .invalid("capabilities", "capabilities: a join keeps the caller's capabilities (setting them is for spawns)")
        }

        let plan = SpawnPlan()
        // nscore-init's setns options: the fd (owned by the plan) and its flags, and what the
        // step is called if it fails.
        var setns: [(fd: Int32, flags: Int32, what: StepDescription)] = []
        // The PID namespace the command must end up in ("pid:[INODE]"): the target's, or the
        // one this thread's children start in.
        var pidNamespace: String? = nil
        // Where the command is looked up: the target's root when its mount namespace is joined.
        var commandRoot: UnsafePointer<CChar>? = nil
        // The target's NSCore-made cgroups, which the command joins.
        var joinedCgroups: [String] = []

        switch c.target {
        case .process(let pid):
            guard pid > 0 else { throw .invalid("target", "target pid \(pid) is not a valid pid") }
            if let requested = c.namespaces {
                _ = try NamespaceSet(validating: requested.rawValue, stage: "namespaces")
            }
            let pidfd: Int32
            switch sys_pidfd_open(pid) {
            case .success(let fd): pidfd = plan.own(fd)
            case .failure(let e):
                throw NSCoreError(e.rawValue == ESRCH ? .notFound : .from(errno: e), errno: e, stage: "pidfd_open",
                                  message: "join: no process with pid \(pid): \(e)")
            }
            let (kinds, targetPID) = try differingKinds(pid: pid, requested: c.namespaces ?? .all, explicit: c.namespaces != nil)
            if kinds.isEmpty { throw nothingToJoin }
            if kinds.contains(.pid) { pidNamespace = targetPID }
            if kinds.contains(.mount) { commandRoot = UnsafePointer(plan.cString("/proc/\(pid)/root")) }
            // One setns through the pidfd: the kernel joins the user namespace first, and
            // for a PID namespace sets only pid_for_children (the fork below enters it).
            setns.append((pidfd, kinds.cloneFlags, .setnsTarget(kinds)))
            // (The layout is worked out only for a process whose cgroups name an NSCore one.)
            if c.joinCgroups, case .success(let text) = sys_readFile("/proc/\(pid)/cgroup"),
               text.firstRange(of: Array("/nscore-".utf8)) != nil, let set = try? CgroupSet.of(pid: pid) {
                joinedCgroups = set.directories
            }
        case .paths(let map):
            if map.isEmpty { throw .invalid("target", "join: no namespace paths given") }
            for kind in fileOrder {
                guard let path = map[kind] else { continue }
                let fd = try openNamespace(path, kind: kind, plan: plan, pid: nil)
                setns.append((fd, kind.cloneFlag, .setnsFile(kind, plan.cString(path))))
                if kind == .pid { pidNamespace = try? sys_readlink("/proc/self/fd/\(fd)").get() }
            }
            if setns.isEmpty { throw nothingToJoin }
        }

        try SpawnPlanner.lowerExecutableAndEnvironment(c.process, root: commandRoot, into: plan)
        try SpawnPlanner.checkTerminal(c.process, pipes: pipes)
        var stdio = try SpawnPlanner.stdioSources(c.process, into: plan, pipes: pipes)
        if c.process.terminal {
            var root: Int32? = nil
            defer { if let root { sys_close(root) } }
            if commandRoot != nil, case .process(let pid) = c.target {
                switch sys_open("/proc/\(pid)/root", nsc_shim_O_PATH | O_DIRECTORY) {
                case .success(let fd): root = fd.release()
                case .failure(let e): throw .sys(e, "terminal: open the root of process \(pid)")
                }
            }
            stdio = try SpawnPlanner.joinTerminal(c.process, stdio, root: root, pipes: pipes, into: plan)
        }
        // The child joins nothing: it only execs nscore-init (see the README's rule).
        plan.resetSignals()
        if c.killOnParentDeath { plan.parentDeathSignal(SIGKILL) }
        // nscore-init and the command it forks leave the caller's session (see
        // ProcessConfiguration.newSession); with a terminal, init's -t gives the command one.
        if c.process.newSession && !c.process.terminal { plan.setsid(what: .text("setsid (a new session)")) }
        if !joinedCgroups.isEmpty { try lowerJoinedCgroups(joinedCgroups, into: plan) }

        // The report page nscore-init writes the outcome (the command's pid) to.
        let report: Int32
        switch sys_memfd("nscore-join") {
        case .success(let fd): report = plan.own(fd)
        case .failure(let e): throw .sys(e, "memfd_create (join report)")
        }
        plan.keep(report)
        var line = InitCommandLine()
        line.report(report)
        for s in setns {
            line.setns(s.fd, s.flags)
            plan.keep(s.fd)
        }
        if let dir = c.workingDirectory { line.chdir(dir) }
        if c.killOnParentDeath { line.parentDeathSignal(SIGKILL) }
        if c.process.terminal { line.terminal() }
        try SpawnPlanner.useInit(plan, arguments: line.command(plan.pathText, c.arguments))
        if pidNamespace == nil { pidNamespace = try? sys_readlink("/proc/thread-self/ns/pid_for_children").get() }
        plan.join = JoinPlan(reportFD: report, setnsSteps: setns.map(\.what), pidNamespace: pidNamespace)
        SpawnPlanner.lowerExec(stdio, into: plan)
        return try Spawner.run(plan)
    }

    /// The command goes into the container's cgroups, as `runc exec` puts it, so that it runs
    /// within the container's limits: the child starts in the cgroup2 one (`CLONE_INTO_CGROUP`)
    /// and waits until the parent has written its pid into the v1 ones, before it execs
    /// nscore-init (whose fork of the command stays there). A frozen container is refused: the
    /// command would hang until it is thawed.
    static func lowerJoinedCgroups(_ dirs: [String], into plan: SpawnPlan) throws(NSCoreError) {
        let layout = try CgroupLayout.current()
        let v2Mounts = layout.hierarchies.filter(\.v2).map(\.mountPoint)
        let v2 = dirs.first { d in v2Mounts.contains { d.hasPrefix($0 + "/") } }
        let v1 = dirs.filter { $0 != v2 }
        let frozen = v2.map { ((try? CgroupPlan.readText($0 + "/cgroup.events")) ?? "").contains("frozen 1") } ?? false
            || v1.contains { (try? CgroupPlan.readText($0 + "/freezer.state")) == "FROZEN" }
        if frozen {
            throw NSCoreError(.busy, errno: Errno(rawValue: EBUSY), stage: "cgroups",
                              message: "join: the container is frozen; thaw it first (its cgroup would hold the command frozen)")
        }
        if let v2 {
            plan.beforeClone = { () throws(NSCoreError) -> (undo: () -> Void, cgroupFD: Int32) in
                let fd = open(v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if fd < 0 {
                    let e = Errno.current
                    throw NSCoreError(.from(errno: e), errno: e, stage: "cgroups", message: "join: open the container's cgroup \(v2): \(e)")
                }
                return ({}, fd)
            }
        }
        if !v1.isEmpty {
            plan.waitForParentOnce(what: .text("wait for the parent to place it in the container's cgroups"))
            plan.parentActions.append(ParentAction { pid throws(NSCoreError) in
                for d in v1 {
                    if case .failure(let e) = sys_writeFile(d + "/cgroup.procs", String(pid)) {
                        throw NSCoreError(.from(errno: e), errno: e, stage: "cgroups",
                                          message: "join: place the command in the container's cgroup \(d): \(e)")
                    }
                }
                return nil
            })
        }
    }

    private static var nothingToJoin: NSCoreError {
        .invalid("namespaces", "join: the target shares every requested namespace with the caller; nothing to join")
    }

    /// The kinds in `requested` whose namespace differs between `pid` and the caller.
    /// `setns` into one's own user namespace fails with EINVAL, and the others are no-ops,
    /// so `nsenter --all` skips them too. An explicitly requested kind is kept even when shared,
    /// unless it is the user, PID or time namespace.
    /// Also returns the target's PID namespace as `pid:[INODE]` when `requested` has it.
    static func differingKinds(pid: pid_t, requested: NamespaceSet, explicit: Bool) throws(NSCoreError)
        -> (NamespaceSet, String?)
    {
        var differ: UInt32 = 0
        var failedKind: Int32 = -1
        var link = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let rc = withUnsafeMutableBytes(of: &link) { buf in
            nsc_shim_ns_differ(pid, requested.rawValue & NamespaceSet.validBits, &differ, &failedKind,
                               buf.baseAddress!.assumingMemoryBound(to: CChar.self), buf.count)
        }
        if rc < 0 {
            let e = Errno(rawValue: -rc)
            let file = failedKind >= 0 ? "/proc/\(pid)/ns/\(NamespaceKind(rawValue: failedKind)!.procName)" : "/proc/\(pid)/ns"
            if e.rawValue == ENOENT || e.rawValue == ESRCH {
                throw NSCoreError(.processExited, errno: e, stage: "open \(file)", message: "join: process \(pid) has exited")
            }
            let what = failedKind >= 0 ? "the \(NamespaceKind(rawValue: failedKind)!) namespace" : "the namespaces"
            throw NSCoreError(.from(errno: e), errno: e, stage: "readlink \(file)",
                              message: "join: cannot read \(what) of pid \(pid): \(e)")
        }
        var out = NamespaceSet(rawValue: differ)
        if explicit {
            // An explicitly requested kind is joined even when shared, except user, pid and
            // time (setns into one's own user namespace fails; the others would be no-ops).
            out.formUnion(requested.subtracting(NamespaceSet.user.union(.pid).union(.time)))
        }
        let pidLink = withUnsafeBytes(of: &link) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (out, pidLink.isEmpty ? nil : pidLink)
    }

    /// Opens a namespace file and checks that it is one (of `kind`).
    static func openNamespace(_ path: String, kind: NamespaceKind, plan: SpawnPlan, pid: pid_t?) throws(NSCoreError) -> Int32 {
        if path.isEmpty || path.containsNUL { throw .invalid("namespace path", "namespace path for \(kind) is empty or contains NUL") }
        let fd: Int32
        switch sys_open(path, O_RDONLY) {
        case .success(let f): fd = plan.own(f)
        case .failure(let e):
            if let pid, e.rawValue == ENOENT || e.rawValue == ESRCH {
                throw NSCoreError(.processExited, errno: e, stage: "open \(path)", message: "join: process \(pid) has exited")
            }
            throw NSCoreError(.from(errno: e), errno: e, stage: "open \(path)",
                              message: "join: cannot open namespace file \(path): \(e)")
        }
        let type = nsc_shim_ns_get_nstype(fd)
        if type < 0 {
            throw NSCoreError(.invalidArgument, errno: .current, stage: "ioctl(NS_GET_NSTYPE) \(path)",
                              message: "join: \(path) is not a namespace file")
        }
        if type != kind.cloneFlag {
            let actual = NamespaceKind(cloneFlag: type).map(\.procName) ?? "unknown"
            throw .invalid("namespace path", "join: \(path) is a \(actual) namespace, not \(kind)")
        }
        return fd
    }
}
