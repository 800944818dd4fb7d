import CNSCoreShim
import Glibc

/// The flat, pre-allocated plan the child-side executor (`spawn.c`) runs.
///
/// Every allocation a spawn needs happens here, in the parent, before clone: C strings,
/// argv/envp arrays, the step array. The child only reads this memory, and the parent keeps it
/// alive and unchanged until the child has exec'd or been reaped (``Spawner``). Each step has a
/// parallel human description ("mount proc on /proc") so that a failure record `{step, errno}`
/// from the child becomes an error that names what failed.
final class SpawnPlan {
    private var allocations: [UnsafeMutableRawPointer] = []
    private(set) var steps: [nsc_step] = []
    private(set) var stages: [String] = []
    /// Owned fds the plan refers to (ns files, /dev/null); closed when the plan is released.
    private var ownedFDs: [Int32] = []

    var stdio: (Int32, Int32, Int32) = (-1, -1, -1)
    var pdeathsig: Int32 = 0
    var cloneFlags: UInt64 = 0
    var execFD: Int32 = -1
    var keepFDs: [Int32] = []
    var path: UnsafePointer<CChar>? = nil
    var argv: UnsafePointer<UnsafeMutablePointer<CChar>?>? = nil
    var envp: UnsafePointer<UnsafeMutablePointer<CChar>?>? = nil
    /// When set, the child execs nscore-init (``execFD``) with these arguments; the spawner
    /// inserts `-e ERRFD` after the program name and keeps the error pipe open across exec.
    var initArguments: [String]? = nil
    /// The executable path as text, for error messages.
    var pathText = ""
    /// True when the child is cloned into an existing PID namespace (a join), where ENOMEM
    /// from clone means that namespace's init has exited.
    var entersPIDNamespace = false
    /// True when a step waits for the parent (the parent must write "go").
    var waitsForParent = false
    /// True when a step signals the parent before waiting (the parent must read "ready").
    var signalsReady = false

    // Arrays handed to C must stay at a fixed address while the child runs.
    private var stepBuffer: UnsafeMutablePointer<nsc_step>? = nil
    private var keepBuffer: UnsafeMutablePointer<Int32>? = nil
    /// The C plan itself: the child reads it after `nsc_shim_spawn_start` returned, so it
    /// lives on the heap with the plan, never on the parent's stack.
    private var planBuffer: UnsafeMutablePointer<nsc_plan>? = nil

    deinit {
        for p in allocations { free(p) }
        stepBuffer?.deallocate()
        keepBuffer?.deallocate()
        planBuffer?.deallocate()
        for fd in ownedFDs { _ = Glibc.close(fd) }
    }

    /// Copies `s` into a NUL-terminated C string owned by the plan.
    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        allocations.append(UnsafeMutableRawPointer(p))
        return p
    }

    /// A NULL-terminated array of C strings owned by the plan.
    func cStringArray(_ list: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let count = list.count + 1
        let raw = malloc(count * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)!
        allocations.append(raw)
        let array = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: count)
        for (i, s) in list.enumerated() { array[i] = cString(s) }
        array[list.count] = nil
        return UnsafePointer(array)
    }

    /// A NULL-terminated copy of a C string array such as `environ`, owned by the plan. Copies
    /// the bytes directly: no Swift `String` is made for each entry.
    func cStringArray(copying source: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        var count = 0
        while source[count] != nil { count += 1 }
        let raw = malloc((count + 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)!
        allocations.append(raw)
        let array = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: count + 1)
        for i in 0..<count {
            let p = strdup(source[i]!)!
            allocations.append(UnsafeMutableRawPointer(p))
            array[i] = p
        }
        array[count] = nil
        return UnsafePointer(array)
    }

    /// A byte buffer owned by the plan.
    func bytes(_ b: [UInt8]) -> UnsafeRawPointer {
        let raw = malloc(max(b.count, 1))!
        allocations.append(raw)
        b.withUnsafeBytes { if let base = $0.baseAddress { raw.copyMemory(from: base, byteCount: $0.count) } }
        return UnsafeRawPointer(raw)
    }

    /// Hands an fd to the plan, which closes it when released.
    func own(_ fd: consuming OwnedFD) -> Int32 {
        let raw = fd.release()
        ownedFDs.append(raw)
        return raw
    }

    /// Appends a step with the description used if it fails.
    func add(_ kind: Int32, fd: Int32 = -1, flags: UInt64 = 0, a: UnsafePointer<CChar>? = nil,
             b: UnsafePointer<CChar>? = nil, c: UnsafePointer<CChar>? = nil, d: UnsafeRawPointer? = nil,
             len: UInt64 = 0, stage: String) {
        steps.append(nsc_step(kind: kind, fd: fd, flags: flags, a: a, b: b, c: c, d: d, len: len))
        stages.append(stage)
        if kind == Int32(NSC_STEP_SYNC_WAIT.rawValue) { waitsForParent = true }
        if kind == Int32(NSC_STEP_SYNC_READY.rawValue) { signalsReady = true }
    }

    /// Adds `mount(source, target, fstype, flags, data)`.
    func addMount(source: String?, target: String, fstype: String?, flags: UInt, data: String? = nil, stage: String) {
        add(Int32(NSC_STEP_MOUNT.rawValue), flags: UInt64(flags),
            a: source.map { UnsafePointer(cString($0)) }, b: UnsafePointer(cString(target)),
            c: fstype.map { UnsafePointer(cString($0)) }, d: data.map { UnsafeRawPointer(cString($0)) },
            stage: stage)
    }

    /// Builds the C view of the plan, at an address that stays valid (and unchanged) for the
    /// life of this object, which the caller keeps alive until the child exec'd or was reaped.
    func cPlan(errFD: Int32, syncFD: Int32) -> UnsafePointer<nsc_plan> {
        if let ia = initArguments, argv == nil {
            argv = cStringArray([ia[0], "-e", String(errFD)] + ia.dropFirst())
            keepFDs.append(errFD)
        }
        if stepBuffer == nil, !steps.isEmpty {
            stepBuffer = .allocate(capacity: steps.count)
            stepBuffer!.initialize(from: steps, count: steps.count)
        }
        if keepBuffer == nil, !keepFDs.isEmpty {
            keepBuffer = .allocate(capacity: keepFDs.count)
            keepBuffer!.initialize(from: keepFDs, count: keepFDs.count)
        }
        var plan = nsc_plan()
        plan.steps = UnsafePointer(stepBuffer)
        plan.nsteps = UInt32(steps.count)
        plan.err_fd = errFD
        plan.sync_fd = syncFD
        plan.stdio = stdio
        plan.exec_fd = execFD
        plan.pdeathsig = pdeathsig
        plan.cgroup_fd = -1
        plan.nkeep = UInt32(keepFDs.count)
        plan.keep_fds = UnsafePointer(keepBuffer)
        plan.clone_flags = cloneFlags
        plan.path = path
        plan.argv = argv
        plan.envp = envp
        if planBuffer == nil { planBuffer = .allocate(capacity: 1) } else { planBuffer!.deinitialize(count: 1) }
        planBuffer!.initialize(to: plan)
        return UnsafePointer(planBuffer!)
    }

    /// The description of a failure record the child wrote.
    func describe(step: Int32, kind: Int32) -> String {
        if step >= 0, Int(step) < stages.count { return stages[Int(step)] }
        switch kind {
        case Int32(NSC_STEP_EXEC.rawValue): return "execve \(pathText)"
        case 1: return "setns (in nscore-init)"
        case 105: return "fork (in nscore-init)"
        case 106: return "nscore-init command line"
        case 107: return "chdir (in nscore-init)"
        default: return String(cString: nsc_shim_step_name(kind))
        }
    }
}
