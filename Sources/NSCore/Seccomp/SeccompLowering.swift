import CNSCoreShim

extension SpawnPlanner {
    /// The filter a spawn installs, compiled (or from the cache); nil for none.
    ///
    /// ``Seccomp/default`` takes its capability-dependent rules from the bounding set the
    /// command will have: the configuration's, or, when it sets none, the caller's own.
    static func seccompProgram(_ c: SpawnConfiguration, _ caps: Capabilities?) throws(NSCoreError) -> SeccompProgram? {
        guard let profile = c.seccomp ?? (c.root != nil ? Seccomp.default : nil), !profile.isUnconfined else {
            return nil
        }
        let bounding = caps?.bounding ?? CapabilitySet.currentBounding
        if profile == Seccomp.default {
            // The common case, keyed by the bounding set alone: no profile is built to look
            // the program up (and for Docker's set it was compiled at build time). It allows
            // every call the child makes after installing it (SeccompTests).
            return try SeccompCompiler.compileDefault(bounding)
        }
        let program = try SeccompCompiler.compile(profile.resolved(capabilities: bounding))
        try checkCallsAfterInstall(program, execveat: c.useInit, early: !noNewPrivileges(c))
        return program
    }

    /// The child makes a few calls after installing the filter: sending the listener to the
    /// parent (`sendmsg`, `close`), emptying its signal mask (`rt_sigprocmask`) and `execve`
    /// (`execveat` for nscore-init); installed `early` (without no_new_privs), also those of
    /// the user, capability, directory and stdio steps. A filter that refuses them, or holds
    /// them for a supervisor who cannot answer yet, would fail or hang the spawn, or start the
    /// command with its signals blocked: refuse it here, naming the call.
    static func checkCallsAfterInstall(_ program: SeccompProgram, execveat: Bool, early: Bool = false) throws(NSCoreError) {
        var calls: [String] = [execveat ? "execveat" : "execve", "rt_sigprocmask"]
        if program.notifies { calls += ["sendmsg", "close"] }
        if early && program.notifies {
            calls += ["setgroups", "setresgid", "setresuid", "capset", "prctl", "chdir", "read", "dup3", "fcntl", "close_range"]
        }
        let target = SeccompTarget.targets(for: []).first!
        for name in calls {
            let nr = nsc_shim_syscall_number(SeccompCompiler.lookup(name), target.rawValue)
            guard let r = BPFInterpreter.run(program.expanded, number: nr, architecture: target.audit) else {
                preconditionFailure("NSCore: the seccomp compiler produced a program its interpreter rejects")
            }
            let allowed: Set<UInt32> = [Seccomp.Action.allow.returnValue, Seccomp.Action.log.returnValue]
            if !allowed.contains(r) {
                throw .invalid("seccomp", "seccomp: the filter gives \(name) \(Seccomp.Action.describe(returnValue: r)); "
                               + "the child calls it after installing the filter, to start the command, so it must be allowed")
            }
        }
    }

    /// Installs the filter; with a listener, sends it to the parent and closes the child's copy.
    static func lowerSeccomp(_ program: SeccompProgram?, into plan: SpawnPlan) {
        guard let program, let slot = plan.seccomp(program) else { return }
        plan.sendToParent(slot, .seccompListener)
        plan.close(slot, what: .text("close the seccomp listener"))
    }
}

extension Seccomp.Action {
    /// The action a filter return value stands for, in the OCI spelling.
    static func describe(returnValue r: UInt32) -> String {
        switch r & 0xffff_0000 {
        case 0x7fff_0000: return "SCMP_ACT_ALLOW"
        case 0x0005_0000: return "SCMP_ACT_ERRNO(\(r & 0xffff))"
        case 0x8000_0000: return "SCMP_ACT_KILL_PROCESS"
        case 0: return "SCMP_ACT_KILL_THREAD"
        case 0x0003_0000: return "SCMP_ACT_TRAP"
        case 0x7ffc_0000: return "SCMP_ACT_LOG"
        case 0x7fc0_0000: return "SCMP_ACT_NOTIFY"
        default: return r & 0xfff0_0000 == 0x7ff0_0000 ? "SCMP_ACT_TRACE(\(r & 0xffff))" : "return value \(r)"
        }
    }
}
