import CNSCoreShim
import Glibc

/// Runs a ``SpawnPlan``: clone, the parent's half of the handshake, and learning whether the
/// child exec'd.
///
/// The sequence (DESIGN.md "The child side must be async-signal-safe"):
/// 1. create the sync socketpair when the plan needs one (only without `CLONE_FILES`; with it,
///    the child waits on a robust mutex the spawning thread holds until "go");
/// 2. `nsc_shim_spawn_start` clones a CLONE_VM child that runs the plan in C;
/// 3. if the plan signals "ready", wait for it, then run the plan's parent actions (id maps, ...),
///    each undone in reverse if anything after it fails;
/// 4. if the plan waits for "go", send it;
/// 5. learn the outcome. Usually the child shares the fd table at clone (`CLONE_FILES`), so the
///    kernel copies none, and unshares a small one itself; the parent then waits for the
///    kernel to release the child's memory (`CLONE_CHILD_CLEARTID`: at exec or exit) and reads
///    a failure record from shared memory. When the child execs nscore-init, which reports
///    after its own exec, a CLOEXEC error pipe is used instead: EOF means success, a 12-byte
///    record names the failed step.
/// From the moment the child exists, any failure kills and reaps it (``ChildGuard``).
enum Spawner {
    static func run(_ plan: SpawnPlan) throws(NSCoreError) -> Container {
        // nscore-init needs the error pipe across its exec (except for a join, which reports on
        // a page); a "ready" step needs EOF on the socketpair if the child dies, which a shared
        // fd table would hold open.
        let shareFiles = (plan.initArguments == nil || plan.join != nil) && !plan.signalsReady && !plan.sendsFD
            && !plan.receivesFDs
        var errRead: Int32 = -1, errWrite: Int32 = -1
        var parentSyncFD: Int32 = -1, childSyncFD: Int32 = -1
        defer {
            if errRead >= 0 { sys_close(errRead) }
            if errWrite >= 0 { sys_close(errWrite) }
            if parentSyncFD >= 0 { sys_close(parentSyncFD) }
            if childSyncFD >= 0 { sys_close(childSyncFD) }
        }
        if !shareFiles {
            switch sys_pipe() {
            case .success(let p):
                errRead = p.read.release()
                errWrite = p.write.release()
            case .failure(let e): throw .sys(e, "pipe2 (error pipe)")
            }
        }
        // The handshake socketpair, only when the plan has a step that talks to the parent
        // (a child that shares the fd table waits on a lock in its stack block instead).
        if !shareFiles && (plan.waitsForParent || plan.signalsReady || plan.sendsFD || plan.receivesFDs) {
            switch sys_socketpair() {
            case .success(let p):
                parentSyncFD = p.read.release()
                childSyncFD = p.write.release()
            case .failure(let e): throw .sys(e, "socketpair (handshake)")
            }
        }

        // What the parent does before and while the child waits, each undone (in reverse) if
        // anything after it fails.
        var undos: [() -> Void] = []
        defer { if !undos.isEmpty { for undo in undos.reversed() { undo() } } }
        var cgroupFD: Int32 = -1
        defer { if cgroupFD >= 0 { sys_close(cgroupFD) } }
        if let before = plan.beforeClone {
            let (undo, fd) = try before()
            undos.append(undo)
            cgroupFD = fd
        }

        let cplan = plan.cPlan(errFD: errWrite, syncFD: childSyncFD, syncPeerFD: parentSyncFD, shareFiles: shareFiles,
                               cgroupFD: cgroupFD)
        var result = nsc_spawn_result()
        let rc = nsc_shim_spawn_start(cplan, &result)
        if cgroupFD >= 0 { sys_close(cgroupFD); cgroupFD = -1 }
        if !shareFiles {
            // Our copies of the child's ends must go now, or EOF can never arrive. (A child
            // that shares the fd table needs them until it has unshared: the defer closes them.)
            sys_close(errWrite)
            errWrite = -1
            if childSyncFD >= 0 { sys_close(childSyncFD); childSyncFD = -1 }
        }
        if rc < 0 { throw cloneError(Errno(rawValue: -rc), plan) }
        if result.pidfd < 0 {
            // Only kernels before 5.2 clone without a pidfd; every wait and signal needs one.
            sys_kill(result.pid, SIGKILL)
            sys_waitChild(result.pid)
            nsc_shim_spawn_release(&result)
            throw NSCoreError(.unsupported, errno: Errno(rawValue: ENOSYS), stage: "clone3(CLONE_PIDFD)",
                              message: "clone3(CLONE_PIDFD): the kernel returned no pidfd; NSCore needs Linux 5.3 or later")
        }

        let guardian = ChildGuard(pid: result.pid, pidfd: result.pidfd, stack: result, plan: plan)
        // From here every throw kills and reaps the child (ChildGuard.deinit).

        if plan.signalsReady {
            var byte: UInt8 = 0
            let n = sys_readFully(parentSyncFD, &byte, 1)
            if case .success(1) = n {} else {
                // The child failed before it was ready: its record explains why.
                try outcome(shareFiles, result, errRead, plan, guardian)
                throw NSCoreError(.childSetupFailed, stage: "handshake", message: "handshake: the child exited before it was ready")
            }
        }
        for action in plan.parentActions {
            if let undo = try action.run(result.pid) { undos.append(undo) }
        }
        if plan.waitsForParent && shareFiles {
            nsc_shim_spawn_go(&result)
        } else if plan.waitsForParent {
            // send(MSG_NOSIGNAL), not write: if the child has died, a write would raise SIGPIPE
            // in the host, whose default action ends the host process.
            if case .failure(let e) = sys_sendByte(parentSyncFD, UInt8(ascii: "g")) {
                try outcome(shareFiles, result, errRead, plan, guardian)
                throw .sys(e, "handshake (send go)")
            }
            if plan.receivesFDs {
                // What the actions made for the child (idmapped mounts), in its order.
                for fd in plan.fdsForChild.take() {
                    let r = nsc_shim_send_fd(parentSyncFD, fd)
                    sys_close(fd)
                    if r < 0 {
                        try outcome(shareFiles, result, errRead, plan, guardian)
                        throw .sys(Errno(rawValue: -r), "handshake (send a mount to the child)")
                    }
                }
            }
        }
        if let join = plan.join, shareFiles {
            let container = try finishJoin(join, result, plan, guardian)
            if !undos.isEmpty { undos.removeAll() }
            return container
        }
        try outcome(shareFiles, result, errRead, plan, guardian)
        if plan.sendsTerminal {
            // The child sent its terminal's multiplexer before it exec'd: it is queued on the
            // socket, before the seccomp listener.
            let fd = nsc_shim_recv_fd(parentSyncFD)
            if fd < 0 { throw .sys(Errno(rawValue: -fd), "receive the terminal") }
            if let sink = plan.terminalSink { sink.set(PipeEnds.terminal, fd) } else { sys_close(fd) }
        }
        var listener: Int32 = -1
        if plan.sendsSeccompListener {
            // The seccomp listener, sent the same way.
            listener = nsc_shim_recv_fd(parentSyncFD)
            if listener < 0 { throw .sys(Errno(rawValue: -listener), "receive the seccomp listener") }
        }
        if !undos.isEmpty { undos.removeAll() }  // the command runs with what they set up
        // The child exec'd and no longer uses our memory (stack and plan).
        return guardian.disarm(seccompListener: listener)
    }

    /// A join's child execs nscore-init, which joins, forks the command as our child and exits
    /// once the command has exec'd. Waits for that exit (one wait: the child's exec needs no
    /// wake-up of its own), then reads the child's failure record or nscore-init's report.
    private static func finishJoin(_ join: JoinPlan, _ result: nsc_spawn_result, _ plan: SpawnPlan,
                                   _ guardian: ChildGuard) throws(NSCoreError) -> Container {
        let (code, value) = guardian.reapStatus(releasingStack: false)
        if let status = result.status, status.pointee.failed != 0 {
            // It failed before it could exec nscore-init.
            let record = status.pointee.record
            guardian.releaseStack()
            throw childError(Errno(rawValue: record.err), stage: plan.describe(step: record.step, kind: record.kind),
                             step: record.step, kind: record.kind, plan: plan)
        }
        guardian.releaseStack()
        var report = nsc_join_report()
        let n = withUnsafeMutableBytes(of: &report) { sys_preadFully(join.reportFD, $0.baseAddress!, $0.count, offset: 0) }
        if case .success(let got) = n, got == MemoryLayout<nsc_join_report>.size {} else { report.state = 0 }
        switch UInt32(bitPattern: report.state) {
        case NSC_JOIN_EXECED.rawValue:
            // Our child (CLONE_PARENT) and not yet reaped, so the pid cannot have been reused.
            let fd: OwnedFD
            switch sys_pidfd_open(report.pid) {
            case .success(let f): fd = f
            case .failure(let e):
                sys_kill(report.pid, SIGKILL)
                sys_waitChild(report.pid)
                throw .sys(e, "pidfd_open (joined command)")
            }
            // Until its exec the command shared nscore-init's pages, report included: trust the
            // pid only if it is our own child in the PID namespace it had to enter (a reader
            // without the right to look, e.g. at a setuid command, is not a reason to refuse).
            let child = sys_isUnreapedChild(fd.rawValue)
            var inPlace = true
            if let want = join.pidNamespace, case .success(let have) = sys_readlink("/proc/\(report.pid)/ns/pid") {
                inPlace = have == want
            }
            if !child || !inPlace {
                if child {
                    _ = nsc_shim_pidfd_send_signal(fd.rawValue, SIGKILL, 0)
                    sys_waitChild(report.pid)
                }
                throw NSCoreError(.childSetupFailed, stage: "join (nscore-init)",
                                  message: "join: nscore-init reported pid \(report.pid), which is not the command it started")
            }
            return Container(pid: report.pid, pidfd: fd.release())
        case NSC_JOIN_FAILED.rawValue:
            if report.pid > 0 {
                // The forked command failed to exec and exits 127; it is ours to reap. Killed
                // first: nothing in the container can keep it from exiting.
                sys_kill(report.pid, SIGKILL)
                sys_waitChild(report.pid)
            }
            let errno = Errno(rawValue: report.err)
            let stage: String
            if report.kind == Int32(NSC_INIT_KIND_SETNS.rawValue), report.step >= 0, Int(report.step) < join.setnsSteps.count {
                stage = join.setnsSteps[Int(report.step)].text
            } else {
                stage = plan.describe(step: -1, kind: report.kind)
            }
            throw childError(errno, stage: stage, step: -1, kind: report.kind, plan: plan)
        default:
            let how = code == CLD_EXITED ? "exited with status \(value)" : "was killed by signal \(value)"
            throw NSCoreError(.childSetupFailed, stage: "join (nscore-init)",
                              message: "join: nscore-init \(how) before it reported whether the command started")
        }
    }

    /// Returns once the child exec'd; throws the failure it reported.
    private static func outcome(_ shareFiles: Bool, _ result: nsc_spawn_result, _ errRead: Int32, _ plan: SpawnPlan,
                                _ guardian: ChildGuard) throws(NSCoreError) {
        if shareFiles { try readStatus(result, plan, guardian) } else { try readRecord(errRead, plan, guardian) }
    }

    /// Waits until the kernel released a share_files child's memory (exec or exit). Returns if
    /// it exec'd; throws the failure it recorded.
    private static func readStatus(_ result: nsc_spawn_result, _ plan: SpawnPlan, _ guardian: ChildGuard) throws(NSCoreError) {
        var result = result
        nsc_shim_spawn_wait_released(&result)
        guard let status = result.status else { return }
        if status.pointee.failed == 0 {
            if status.pointee.execing != 0 { return }
            // Released without a record and before execve: something killed it.
            let (code, value) = guardian.reapStatus()
            let how = code == CLD_EXITED ? "exited with status \(value)" : "was killed by signal \(value)"
            throw NSCoreError(.childSetupFailed, stage: "set up the child",
                              message: "set up the child: it \(how) before it could exec the command")
        }
        let record = status.pointee.record
        guardian.reap()
        let errno = Errno(rawValue: record.err)
        let stage = plan.describe(step: record.step, kind: record.kind)
        throw childError(errno, stage: stage, step: record.step, kind: record.kind, plan: plan)
    }

    /// Reads the error pipe. Returns on EOF (exec succeeded); throws the child's failure.
    private static func readRecord(_ fd: Int32, _ plan: SpawnPlan, _ guardian: ChildGuard) throws(NSCoreError) {
        var record = nsc_error_record()
        let n = withUnsafeMutableBytes(of: &record) { sys_readFully(fd, $0.baseAddress!, $0.count) }
        switch n {
        case .success(0):
            return
        case .success(MemoryLayout<nsc_error_record>.size):
            guardian.reap()
            let errno = Errno(rawValue: record.err)
            let stage = plan.describe(step: record.step, kind: record.kind)
            throw childError(errno, stage: stage, step: record.step, kind: record.kind, plan: plan)
        case .success(let short):
            throw NSCoreError(.system, errno: Errno(rawValue: EIO), stage: "read error pipe",
                              message: "read error pipe: short record of \(short) bytes from the child")
        case .failure(let e):
            throw .sys(e, "read error pipe")
        }
    }

    /// The error for a failure record: a step of the plan (`step` >= 0, an executor kind), or,
    /// with `step` -1, the fd-table takeover or one of nscore-init's kinds.
    private static func childError(_ errno: Errno, stage: String, step: Int32, kind: Int32, plan: SpawnPlan) -> NSCoreError {
        let fromInit = step < 0
        // The command's execve: nscore-init's report of it, or the executor's exec step when it
        // execs the command itself (not nscore-init from its memfd).
        let isExec = fromInit ? kind == Int32(NSC_INIT_KIND_EXEC.rawValue)
                              : kind == Int32(NSC_STEP_EXEC.rawValue) && plan.execFD < 0
        if isExec {
            let code: NSCoreError.Code = errno.rawValue == ENOENT ? .notFound
                : (errno.rawValue == EACCES || errno.rawValue == EPERM) ? .permissionDenied : .childSetupFailed
            return NSCoreError(code, errno: errno, stage: stage, message: "\(stage): \(errno)").aboutCommand()
        }
        var message = "\(stage): \(errno)"
        if errno.rawValue == ENOMEM && fromInit
            && (kind == Int32(NSC_INIT_KIND_SETNS.rawValue) || kind == Int32(NSC_INIT_KIND_FORK.rawValue)) {
            message += "; the target PID namespace has no init process left (its PID 1 exited), so no process can enter it"
            return NSCoreError(.processExited, errno: errno, stage: stage, message: message)
        }
        if errno.rawValue == EACCES && !fromInit && kind == Int32(NSC_STEP_SECCOMP.rawValue) {
            message += "; without no_new_privs, installing a filter needs CAP_SYS_ADMIN in the command's user namespace: "
                + "set noNewPrivileges, or add a user namespace"
            return NSCoreError(.permissionDenied, errno: errno, stage: stage, message: message)
        }
        if errno.rawValue == ENOSYS && !fromInit, let needs = kernelNeeded(kind) {
            message += " (\(needs); root filesystems and mounts need Linux 5.2 or later)"
            return NSCoreError(.unsupported, errno: errno, stage: stage, message: message)
        }
        return NSCoreError(.childSetupFailed, errno: errno, stage: stage, message: message)
    }

    /// The kernel that brought a step's system call, for an ENOSYS.
    private static func kernelNeeded(_ kind: Int32) -> String? {
        switch nsc_step_kind(rawValue: UInt32(kind)) {
        case NSC_STEP_OPEN_TREE, NSC_STEP_MOVE_MOUNT, NSC_STEP_FSOPEN, NSC_STEP_FSCONFIG, NSC_STEP_FSMOUNT:
            return "the new mount API came in Linux 5.2"
        default: return nil  // openat2 and mount_setattr have fallbacks in the executor
        }
    }

    private static func cloneError(_ errno: Errno, _ plan: SpawnPlan) -> NSCoreError {
        let kinds = NamespaceSet.all.kinds.filter { plan.cloneFlags & UInt64(UInt32(bitPattern: $0.cloneFlag)) != 0 }
        let stage = kinds.isEmpty ? "clone3" : "clone3(\(kinds.map(\.procName).joined(separator: ",")))"
        var message = "\(stage): \(errno)"
        switch errno.rawValue {
        case EPERM:
            message += "; creating these namespaces needs CAP_SYS_ADMIN, or a new user namespace to create them unprivileged"
        case ENOSPC:
            message += "; a namespace limit in /proc/sys/user/max_*_namespaces was reached"
        case EOPNOTSUPP where plan.beforeClone != nil:
            message += "; the container's cgroup2 cgroup cannot take a process (its parent holds processes and gives "
                + "controllers, which makes it an invalid domain; see cgroup.type)"
        case E2BIG where plan.beforeClone != nil:
            message += "; starting the child in its cgroup (CLONE_INTO_CGROUP) needs Linux 5.7 or later"
        case EUSERS:
            message += "; the nesting limit of 32 user or PID namespaces was reached"
        default: break
        }
        return NSCoreError(.from(errno: errno), errno: errno, stage: stage, message: message)
    }
}

/// Owns a child that has not yet exec'd: unless disarmed, it SIGKILLs and reaps it, and frees
/// the child's stack and plan only then (crun's `cleanup_pid`).
final class ChildGuard {
    let pid: pid_t
    private var pidfd: Int32
    private var stack: nsc_spawn_result
    /// The plan the child reads from; held until the child exec'd or was reaped.
    private var plan: SpawnPlan?
    private var reaped = false
    private var armed = true

    init(pid: pid_t, pidfd: Int32, stack: nsc_spawn_result, plan: SpawnPlan) {
        self.pid = pid
        self.pidfd = pidfd
        self.stack = stack
        self.plan = plan
    }

    /// Waits for the child (which is exiting on its own after reporting a failure).
    func reap() { _ = reapStatus() }

    /// Waits for the child, returning `si_code` (CLD_EXITED, CLD_KILLED, ...) and `si_status`.
    /// Unless `releasingStack` is false (the caller then reads the status block in it first and
    /// calls ``releaseStack()``), frees the child's stack and plan.
    func reapStatus(releasingStack: Bool = true) -> (code: Int32, status: Int32) {
        guard !reaped else { return (0, 0) }
        var status: Int32 = 0, code: Int32 = 0, p: pid_t = 0
        while nsc_shim_waitid_pidfd(pidfd, WEXITED, &status, &code, &p) < 0 && Glibc.errno == EINTR {}
        reaped = true
        if releasingStack { releaseStack() }
        return (code, status)
    }

    /// Frees the child's stack and plan (once it has been reaped).
    func releaseStack() {
        nsc_shim_spawn_release(&stack)
        plan = nil
    }

    /// The child exec'd: hand its pidfd to a ``Container``.
    func disarm(seccompListener: Int32 = -1) -> Container {
        armed = false
        nsc_shim_spawn_release(&stack)
        let cleanups = plan?.reapCleanups ?? []
        let fd = pidfd
        pidfd = -1
        let cgroups = plan?.makesCgroup == true ? plan!.cgroupDirectories.get() : []
        plan = nil
        return Container(pid: pid, pidfd: fd, cleanups: cleanups, seccompListener: seccompListener, cgroups: cgroups)
    }

    deinit {
        if armed {
            if !reaped {
                _ = nsc_shim_pidfd_send_signal(pidfd, SIGKILL, 0)
                reap()
            }
            nsc_shim_spawn_release(&stack)
        }
        if pidfd >= 0 { sys_close(pidfd) }
    }
}
