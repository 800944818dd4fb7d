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
        let plan = try SpawnPlanner.plan(configuration)
        let mapRoot = configuration.mapRootUser
        if mapRoot {
            return try Spawner.run(plan) { pid throws(NSCoreError) in try IDMap.writeRootMapping(pid: pid) }
        }
        return try Spawner.run(plan)
    }
}

/// Validates a ``SpawnConfiguration`` and lowers it into a ``SpawnPlan`` in the fixed order
/// of STYLE.md §4.5.
enum SpawnPlanner {
    static let maxHostname = 64

    static func plan(_ c: SpawnConfiguration) throws(NSCoreError) -> SpawnPlan {
        var namespaces = c.namespaces
        if c.mapRootUser { namespaces.insert(.user) }
        try validate(c, namespaces)

        let plan = SpawnPlan()
        try lowerCommand(c, into: plan)
        let stdio = try stdioSources(c)
        plan.cloneFlags = UInt64(UInt32(bitPattern: namespaces.subtracting(.time).cloneFlags))

        // The host's handlers must never run in the child, and the command starts with none.
        plan.resetSignals()
        // Before anything that might wait for the parent.
        if c.killOnParentDeath { plan.parentDeathSignal(SIGKILL) }
        // A time namespace cannot be created by clone with CLONE_VM; unshare makes it the
        // namespace for children, and the child enters it at execve.
        if namespaces.contains(.time) {
            plan.unshare(NamespaceKind.time.cloneFlag, what: .text("unshare(time)"))
        }
        // Id maps must be written before the child acts as root in its new user namespace.
        if c.mapRootUser {
            plan.waitForParent(what: .text("wait for the parent to write uid/gid maps"))
        }
        lowerUTS(c, into: plan)
        lowerMounts(c, namespaces, into: plan)
        // A new network namespace has only "lo", and it starts down.
        if namespaces.contains(.network) {
            plan.loopbackUp(what: .text("bring up lo in the new network namespace"))
        }
        if let dir = c.workingDirectory { plan.chdir(dir) }
        lowerExec(stdio, into: plan)
        return plan
    }

    /// The end of every plan: stdio, then only what the command is given stays open, then exec.
    static func lowerExec(_ stdio: (Int32, Int32, Int32), into plan: SpawnPlan) {
        plan.stdio(stdio)
        plan.closeInheritedFDs()
        plan.exec()
    }

    private static func validate(_ c: SpawnConfiguration, _ ns: NamespaceSet) throws(NSCoreError) {
        try validateCommand(c)
        if let h = c.hostname {
            try checkUTSName(h, what: "hostname", ns)
        }
        if let d = c.domainname {
            try checkUTSName(d, what: "domainname", ns)
        }
        if c.mountProc == true && !ns.contains(.mount) {
            throw .invalid("mount proc", "mount proc: needs a new mount namespace (add .mount), or it would cover the host's /proc")
        }
    }

    /// Checks argv, environment and working directory (shared with joins).
    static func validateCommand(_ c: SpawnConfiguration) throws(NSCoreError) {
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

    private static func checkUTSName(_ name: String, what: String, _ ns: NamespaceSet) throws(NSCoreError) {
        if !ns.contains(.uts) {
            throw .invalid(what, "\(what): setting it needs a new UTS namespace (add .uts), or it would change the host's")
        }
        if name.containsNUL { throw .invalid(what, "\(what) contains a NUL byte") }
        let n = name.utf8.count
        if n > maxHostname {
            throw NSCoreError(.invalidArgument, errno: Errno(rawValue: EINVAL), stage: what,
                              message: "\(what) '\(name.prefix(16))...' is \(n) bytes long; the kernel allows at most \(maxHostname)")
        }
    }

    private static func lowerCommand(_ c: SpawnConfiguration, into plan: SpawnPlan) throws(NSCoreError) {
        try lowerExecutableAndEnvironment(c, into: plan)
        if c.useInit {
            try useInit(plan, arguments: ["nscore-init", "-i", "--", plan.pathText] + c.arguments)
        } else {
            plan.argumentList = c.argumentList
        }
    }

    /// Resolves the executable and copies the environment; argv is left to the caller.
    static func lowerExecutableAndEnvironment(_ c: SpawnConfiguration, into plan: SpawnPlan) throws(NSCoreError) {
        if let exe = c.executable {
            if exe.containsNUL { throw .invalid("executable", "executable path contains a NUL byte") }
            plan.executablePath = try Command.resolve(plan.cString(exe), environment: c.environmentList, plan: plan)
        } else {
            plan.executablePath = try Command.resolve(c.argumentList[0], environment: c.environmentList, plan: plan)
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


    /// The stdio sources of `c` for ``SpawnPlan/stdio(_:)``: checked fds, -1 (inherit) or
    /// `NSC_STDIO_NULL`.
    static func stdioSources(_ c: SpawnConfiguration) throws(NSCoreError) -> (Int32, Int32, Int32) {
        func source(_ s: StdioSource, _ name: String) throws(NSCoreError) -> Int32 {
            switch s {
            case .inherit:
                return -1
            case .fd(let fd):
                if fd < 0 || nsc_shim_fd_flags(fd) < 0 {
                    throw NSCoreError(.invalidArgument, errno: Errno(rawValue: EBADF), stage: name,
                                      message: "\(name): fd \(fd) is not an open file descriptor")
                }
                return fd
            case .null:
                return NSC_STDIO_NULL  // the child opens /dev/null itself
            }
        }
        return (try source(c.stdin, "stdin"), try source(c.stdout, "stdout"), try source(c.stderr, "stderr"))
    }

    private static func lowerUTS(_ c: SpawnConfiguration, into plan: SpawnPlan) {
        if let h = c.hostname { plan.sethostname(h) }
        if let d = c.domainname { plan.setdomainname(d) }
    }

    private static func lowerMounts(_ c: SpawnConfiguration, _ ns: NamespaceSet, into plan: SpawnPlan) {
        guard ns.contains(.mount) else { return }
        if let propagation = c.rootPropagation {
            plan.mount(source: nil, target: plan.string("/"), flags: UInt(MS_REC) | propagation.mountFlag,
                       what: .rootPropagation(propagation))
        }
        let mountProc = c.mountProc ?? ns.contains(.pid)
        if mountProc {
            // The copied /proc may be a shared mount (when / was left shared): make it private
            // first, or the new proc would propagate back over the host's /proc.
            let proc = plan.string("/proc")
            plan.mount(source: nil, target: proc, flags: UInt(MS_REC) | UInt(MS_PRIVATE),
                       what: .text("make /proc private before mounting proc"))
            plan.mount(source: plan.string("proc"), target: proc, fstype: plan.string("proc"),
                       flags: UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC),
                       what: .text("mount proc on /proc"))
        }
    }
}
