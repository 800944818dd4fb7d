import CNSCoreShim
import Glibc

/// Runs a ``SpawnPlan``: clone, the parent's half of the handshake, and the exec-or-error pipe.
///
/// The sequence (DESIGN.md "The child side must be async-signal-safe"):
/// 1. create the CLOEXEC error pipe and, when the plan needs one, the sync socketpair;
/// 2. `nsc_shim_spawn_start` clones a CLONE_VM child that runs the plan in C;
/// 3. if the plan signals "ready", wait for it, then do the parent's work (id maps, ...);
/// 4. if the plan waits for "go", send it;
/// 5. read the error pipe: EOF means execve succeeded; a 12-byte record names the failed step.
/// From the moment the child exists, any failure kills and reaps it (``ChildGuard``).
enum Spawner {
    /// Parent-side work done while the child waits (write id maps, move a veth, ...).
    typealias ParentWork = (_ pid: pid_t) throws(NSCoreError) -> Void

    static func run(_ plan: SpawnPlan, parentWork: ParentWork? = nil) throws(NSCoreError) -> Container {
        var errPipe: FDPair
        switch sys_pipe() {
        case .success(let p): errPipe = p
        case .failure(let e): throw .sys(e, "pipe2 (error pipe)")
        }
        // The handshake socketpair, only when the plan has a step that talks to the parent.
        var parentSyncFD: Int32 = -1, childSyncFD: Int32 = -1
        if plan.waitsForParent || plan.signalsReady {
            switch sys_socketpair() {
            case .success(let p):
                parentSyncFD = p.read.release()
                childSyncFD = p.write.release()
            case .failure(let e): throw .sys(e, "socketpair (handshake)")
            }
        }
        defer {
            if parentSyncFD >= 0 { _ = Glibc.close(parentSyncFD) }
            if childSyncFD >= 0 { _ = Glibc.close(childSyncFD) }
        }

        let cplan = plan.cPlan(errFD: errPipe.write.rawValue, syncFD: childSyncFD)
        var result = nsc_spawn_result()
        let rc = nsc_shim_spawn_start(cplan, &result)
        // Our copy of the error pipe's write end must go now, or EOF can never arrive.
        errPipe.write = OwnedFD(-1)  // closes our copy; -1 is never closed
        if childSyncFD >= 0 { _ = Glibc.close(childSyncFD); childSyncFD = -1 }
        if rc < 0 { throw cloneError(Errno(rawValue: -rc), plan) }
        if result.pidfd < 0 {
            // Only kernels before 5.2 clone without a pidfd; every wait and signal needs one.
            _ = kill(result.pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(result.pid, &status, 0) < 0 && Glibc.errno == EINTR {}
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
                try readRecord(errPipe.read.rawValue, plan, guardian)
                throw NSCoreError(.childSetupFailed, stage: "handshake", message: "handshake: the child exited before it was ready")
            }
        }
        if let parentWork { try parentWork(result.pid) }
        if plan.waitsForParent {
            // send(MSG_NOSIGNAL), not write: if the child has died, a write would raise SIGPIPE
            // in the host, whose default action ends the host process.
            if case .failure(let e) = sys_sendByte(parentSyncFD, UInt8(ascii: "g")) {
                try readRecord(errPipe.read.rawValue, plan, guardian)
                throw .sys(e, "handshake (send go)")
            }
        }
        try readRecord(errPipe.read.rawValue, plan, guardian)
        // EOF: the child exec'd and no longer uses our memory (stack and plan).
        return guardian.disarm()
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
            throw childError(errno, stage: stage, kind: record.kind, plan: plan)
        case .success(let short):
            throw NSCoreError(.system, errno: Errno(rawValue: EIO), stage: "read error pipe",
                              message: "read error pipe: short record of \(short) bytes from the child")
        case .failure(let e):
            throw .sys(e, "read error pipe")
        }
    }

    private static func childError(_ errno: Errno, stage: String, kind: Int32, plan: SpawnPlan) -> NSCoreError {
        if kind == Int32(NSC_STEP_EXEC.rawValue) {
            let code: NSCoreError.Code = errno.rawValue == ENOENT ? .notFound
                : (errno.rawValue == EACCES || errno.rawValue == EPERM) ? .permissionDenied : .childSetupFailed
            return NSCoreError(code, errno: errno, stage: stage, message: "\(stage): \(errno)")
        }
        var message = "\(stage): \(errno)"
        if kind == 1 && errno.rawValue == ENOMEM || (kind == 105 && errno.rawValue == ENOMEM) {
            message += "; the target PID namespace has no init process left (its PID 1 exited), so no process can enter it"
            return NSCoreError(.processExited, errno: errno, stage: stage, message: message)
        }
        return NSCoreError(.childSetupFailed, errno: errno, stage: stage, message: message)
    }

    private static func cloneError(_ errno: Errno, _ plan: SpawnPlan) -> NSCoreError {
        let kinds = NamespaceSet.all.kinds.filter { plan.cloneFlags & UInt64(UInt32(bitPattern: $0.cloneFlag)) != 0 }
        let stage = kinds.isEmpty ? "clone3" : "clone3(\(kinds.map(\.procName).joined(separator: ",")))"
        var message = "\(stage): \(errno)"
        switch errno.rawValue {
        case EPERM:
            message += "; creating these namespaces needs CAP_SYS_ADMIN, or add a user namespace (.user) to create them unprivileged"
        case ENOSPC:
            message += "; a namespace limit in /proc/sys/user/max_*_namespaces was reached"
        case ENOMEM where plan.entersPIDNamespace:
            message += "; the target PID namespace has no init process left (its PID 1 exited), so no process can enter it"
            return NSCoreError(.processExited, errno: errno, stage: stage, message: message)
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
    func reap() {
        guard !reaped else { return }
        var status: Int32 = 0, code: Int32 = 0, p: pid_t = 0
        while nsc_shim_waitid_pidfd(pidfd, WEXITED, &status, &code, &p) < 0 && Glibc.errno == EINTR {}
        reaped = true
        nsc_shim_spawn_release(&stack)
        plan = nil
    }

    /// The child exec'd: hand its pidfd to a ``Container``.
    func disarm() -> Container {
        armed = false
        nsc_shim_spawn_release(&stack)
        plan = nil
        let fd = pidfd
        pidfd = -1
        return Container(pid: pid, pidfd: fd)
    }

    deinit {
        if armed {
            if !reaped {
                _ = nsc_shim_pidfd_send_signal(pidfd, SIGKILL, 0)
                reap()
            }
            nsc_shim_spawn_release(&stack)
        }
        if pidfd >= 0 { _ = Glibc.close(pidfd) }
    }
}
