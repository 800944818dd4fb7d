import CNSCoreShim
import Glibc

extension Container {
    /// Starts a process in new namespaces, the `clone(2)` way.
    ///
    /// Returns once the command has been exec'd. Every failure before that (a command that
    /// does not exist, a mount the kernel refuses, a hostname that is too long) throws an error
    /// that names the step, and leaves no process, fd or mount behind.
    ///
    /// The corresponding syscalls are `clone3(2)` with `CLONE_PIDFD` (falling back to
    /// `clone(2)`), then, in the child, the steps of the plan and `execve(2)`.
    /// - Parameter configuration: what to run and how to isolate it.
    /// - Throws: ``NSCoreError``.
    public static func spawn(_ configuration: SpawnConfiguration) throws(NSCoreError) -> Container {
        try spawn(configuration, pipes: nil)
    }

    /// ``spawn(_:)``; `pipes` receives the caller's ends of ``StdioSource/pipe`` streams.
    static func spawn(_ configuration: SpawnConfiguration, pipes: PipeEnds?) throws(NSCoreError) -> Container {
        let plan = try SpawnPlanner.plan(configuration, pipes: pipes)
        if let joined = try spawnJoiningNetwork(configuration.network, plan) { return joined }
        return try Spawner.run(plan)
    }
}

/// Validates a ``SpawnConfiguration`` and lowers it into a ``SpawnPlan``. This file fixes the
/// order of the steps; each feature lowers itself in a file of its own (UTS.swift,
/// Mounts/MountLowering.swift, Network/Loopback.swift, IDMap.swift, Stdio.swift, Command.swift).
enum SpawnPlanner {
    static let maxHostname = 64

    static func plan(_ c: SpawnConfiguration, pipes: PipeEnds? = nil) throws(NSCoreError) -> SpawnPlan {
        var namespaces = c.namespaces
        if c.mapRootUser || !c.uidMappings.isEmpty || !c.gidMappings.isEmpty { namespaces.insert(.user) }
        try validate(c, namespaces)
        try checkTerminal(c.process, pipes: pipes)
        let mountWork = try checkMounts(c, namespaces)
        try checkNetwork(c, namespaces)
        let idMaps = try IDMap.check(c, namespaces)
        try checkIDMapped(c, mountWork, idMaps)
        let capabilities = capabilities(c)
        try checkCapabilities(capabilities)
        try checkSecurityProcess(c)
        let seccomp = try seccompProgram(c, capabilities)
        let cgroup = try c.resources.map { r throws(NSCoreError) in try CgroupPlan.plan(r, path: c.cgroupsPath) }
        // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN, which the command may
        // not keep: then it is installed before the user and capabilities change.
        let seccompEarly = seccomp != nil && !noNewPrivileges(c)

        let plan = SpawnPlan()
        let rootPath = try c.root.map { root throws(NSCoreError) in try checkRoot(root, into: plan) }
        try lowerCommand(c, root: rootPath, into: plan)
        var stdio = try stdioSources(c.process, into: plan, pipes: pipes)
        // A new cgroup namespace takes the cgroup its creator is in as its root: with a cgroup
        // of its own, the child makes it once the parent has placed it (lowerResources).
        let cgroupLater = cgroup != nil && namespaces.contains(.cgroup)
        plan.cloneFlags = UInt64(UInt32(bitPattern: namespaces.subtracting(cgroupLater ? [.time, .cgroup] : .time).cloneFlags))

        // The host's handlers must never run in the child, and the command starts with none.
        plan.resetSignals()
        // Before anything that might wait for the parent.
        if c.killOnParentDeath { plan.parentDeathSignal(SIGKILL) }
        // Out of the caller's session, away from its controlling terminal (a terminal of its
        // own makes the session later, once the pty exists).
        if c.process.newSession && !c.process.terminal { plan.setsid(what: .text("setsid (a new session)")) }
        // A time namespace cannot be created by clone with CLONE_VM; unshare makes it the
        // namespace for children, and the child enters it at execve.
        if namespaces.contains(.time) {
            plan.unshare(NamespaceKind.time.cloneFlag, what: .text("unshare(time)"))
            lowerTimeOffsets(c.timeOffsets, into: plan)
        }
        // The parent's work (id maps) must be done before the child acts as root in its new
        // user namespace: the child waits here.
        lowerIDMaps(idMaps, into: plan)
        let idmapped = lowerIDMapped(c, mountWork, into: plan)
        lowerResources(cgroup, into: plan)
        // A new sysfs (not the host's, bound) gets the container's cgroups at /sys/fs/cgroup.
        if c.root != nil && c.defaultMounts && !(namespaces.contains(.user) && !namespaces.contains(.network)) {
            plan.cgroupView = CgroupView.make(namespaces, cgroup)
        }
        if cgroupLater {
            plan.unshare(NamespaceKind.cgroup.cloneFlag, what: .text("unshare(cgroup) in its own cgroup"))
        }
        lowerLimits(c, into: plan)
        try lowerNetwork(c, into: plan)
        lowerUTS(c, into: plan)
        if c.root != nil {
            // /dev/null for stdio is the host's, opened before the pivot: the rootfs may have none.
            stdio = nullBeforePivot(stdio, into: plan)
        }
        lowerMounts(c, namespaces, mountWork, idmapped: idmapped, into: plan)
        lowerLoopback(namespaces, into: plan)
        stdio = lowerTerminal(c, stdio, pipes: pipes, session: !c.useInit, into: plan)
        lowerBoundingSet(capabilities, into: plan)
        if seccompEarly { lowerSeccomp(seccomp, into: plan) }
        lowerUser(c, idMaps, keepCapabilities: capabilities != nil, into: plan)
        lowerCapabilitySets(capabilities, noNewPrivileges: noNewPrivileges(c), into: plan)
        // The kernel clears the parent-death signal when the effective or filesystem ids change,
        // as they do above under a user, or a user namespace whose maps move root: set it again.
        if c.killOnParentDeath { plan.parentDeathSignal(SIGKILL) }
        if let dir = c.workingDirectory { plan.chdir(dir) }
        waitForNetwork(c, into: plan)
        plan.stdio(stdio)
        plan.closeInheritedFDs()
        // As late as possible: nothing of the setup is filtered.
        if !seccompEarly { lowerSeccomp(seccomp, into: plan) }
        plan.exec()
        return plan
    }

    /// The clock offsets of the time namespace just unshared, written before any process is in
    /// it (the child enters it at execve): `/proc/self/timens_offsets`.
    private static func lowerTimeOffsets(_ t: TimeOffsets?, into plan: SpawnPlan) {
        guard let t, t.monotonic != nil || t.boottime != nil else { return }
        var text = ""
        if let m = t.monotonic { text += "monotonic \(m.seconds) \(m.nanoseconds)\n" }
        if let b = t.boottime { text += "boottime \(b.seconds) \(b.nanoseconds)\n" }
        let file = plan.openat2(.cwd, "/proc/self/timens_offsets", flags: O_WRONLY, resolve: 0,
                                what: .text("open /proc/self/timens_offsets"))
        // One write: the kernel takes the offsets of a write together.
        plan.write(file, plan.cString(text), count: text.utf8.count,
                   what: .text("write the clock offsets to /proc/self/timens_offsets (timeOffsets)"))
        plan.close(file, what: .text("close /proc/self/timens_offsets"))
    }

    /// Replaces `NSC_STDIO_NULL` sources by a slot holding the caller's /dev/null.
    private static func nullBeforePivot(_ s: (Int32, Int32, Int32), into plan: SpawnPlan) -> (Int32, Int32, Int32) {
        guard s.0 == NSC_STDIO_NULL || s.1 == NSC_STDIO_NULL || s.2 == NSC_STDIO_NULL else { return s }
        let slot = plan.openat2(.cwd, "/dev/null", flags: O_RDWR, resolve: 0, what: .text("open /dev/null for stdio"))
        let raw = Int32(truncatingIfNeeded: Int64(bitPattern: FDOperand.slot(slot).raw))
        func swap(_ x: Int32) -> Int32 { x == NSC_STDIO_NULL ? raw : x }
        return (swap(s.0), swap(s.1), swap(s.2))
    }

    /// The end of every plan: stdio, then only what the command is given stays open, then exec.
    static func lowerExec(_ stdio: (Int32, Int32, Int32), into plan: SpawnPlan) {
        plan.stdio(stdio)
        plan.closeInheritedFDs()
        plan.exec()
    }

    private static func validate(_ c: SpawnConfiguration, _ ns: NamespaceSet) throws(NSCoreError) {
        try validate(c.process)
        if let h = c.hostname {
            try checkUTSName(h, what: "hostname", ns)
        }
        if let d = c.domainname {
            try checkUTSName(d, what: "domainname", ns)
        }
        if let t = c.timeOffsets, t.monotonic != nil || t.boottime != nil {
            if !ns.contains(.time) {
                throw .invalid("timeOffsets", "timeOffsets: needs a new time namespace")
            }
            for (name, o) in [("monotonic", t.monotonic), ("boottime", t.boottime)] {
                guard let o else { continue }
                if o.nanoseconds < 0 || o.nanoseconds > 999_999_999 {
                    throw .invalid("timeOffsets", "timeOffsets.\(name).nanosecs is \(o.nanoseconds); give 0 to 999999999")
                }
            }
        }
        if c.mountProc == true && !ns.contains(.mount) {
            throw .invalid("mount proc", "mount proc: needs a new mount namespace, or it would cover the host's /proc")
        }
        // Without a mount namespace there is no `/` of the container's own to change: a
        // propagation other than the default would be silently dropped, so it is refused.
        if let p = c.rootPropagation, p != .private, !ns.contains(.mount) {
            throw .invalid("root propagation", "root propagation: making / \(p) needs a new mount namespace")
        }
    }

    /// Checks argv, environment and working directory (shared with joins).
    static func validate(_ c: ProcessConfiguration) throws(NSCoreError) {
        let args = c.argumentList
        if args.count == 0 {
            throw .invalid("arguments", "arguments: argv is empty; give at least the command to run")
        }
        if let i = args.firstNULIndex {
            throw .invalid("arguments", "arguments[\(i)] contains a NUL byte")
        }
        if let env = c.environmentList {
            let bad = env.firstNonAssignment
            if let i = env.firstNULIndex, bad.map({ i <= $0 }) ?? true {
                throw .invalid("environment", "environment[\(i)] contains a NUL byte")
            }
            if let i = bad {
                throw .invalid("environment", "environment[\(i)] '\(String(cString: env[i]))' is not NAME=value")
            }
        }
        if let dir = c.workingDirectory, dir.isEmpty || dir.containsNUL {
            throw .invalid("working directory", "working directory must be a non-empty path without NUL bytes")
        }
    }


    private static func lowerCommand(_ c: SpawnConfiguration, root: UnsafePointer<CChar>?,
                                     into plan: SpawnPlan) throws(NSCoreError) {
        try lowerExecutableAndEnvironment(c.process, root: root, into: plan)
        if c.useInit {
            var line = InitCommandLine()
            line.initMode()
            if c.process.terminal { line.terminal() }
            try useInit(plan, arguments: line.command(plan.pathText, c.arguments))
        } else {
            plan.argumentList = c.process.argumentList
        }
    }

    /// Resolves the executable and copies the environment; argv is left to the caller.
    static func lowerExecutableAndEnvironment(_ c: ProcessConfiguration, root: UnsafePointer<CChar>? = nil,
                                              into plan: SpawnPlan) throws(NSCoreError) {
        do throws(NSCoreError) {
            let name: UnsafePointer<CChar>
            if let exe = c.executable {
                if exe.containsNUL { throw NSCoreError.invalid("executable", "executable path contains a NUL byte") }
                name = UnsafePointer(plan.cString(exe))
            } else {
                name = c.argumentList[0]
            }
            if let root = root {
                plan.executablePath = try Command.resolve(name, inRoot: root, environment: c.environmentList,
                                                          workingDirectory: c.workingDirectory, plan: plan)
            } else {
                plan.executablePath = try Command.resolve(name, environment: c.environmentList, plan: plan)
            }
        } catch {
            throw error.aboutCommand()
        }
        // The caller's environment is copied: another thread's setenv may change `environ`
        // while the child reads it.
        plan.environmentList = c.environmentList ?? CStringList(copying: environ)
    }

    /// Makes the child exec the embedded nscore-init with `arguments` (the spawner inserts the
    /// error pipe as `-e FD`).
    static func useInit(_ plan: SpawnPlan, arguments: [String]) throws(NSCoreError) {
        plan.execFD = try InitImage.fd()
        plan.initArguments = arguments
    }
}
