import CNSCoreShim
import Glibc

/// The flat, pre-allocated plan the child-side executor (`executor.c`) runs.
///
/// Every allocation a spawn needs happens here, in the parent, before clone: C strings,
/// argv/envp arrays, the step array. The child only reads this memory, and the parent keeps it
/// alive and unchanged until the child has exec'd or been reaped (``Spawner``). Each step has a
/// parallel ``StepDescription`` so that a failure record `{step, errno}` from the child becomes
/// an error that names what failed ("mount proc on /proc").
///
/// The plan is built from C memory only: strings and pointer arrays go into one bump arena,
/// steps and fds into malloc'd buffers. A spawn makes no Swift `Array` or `String` (those are
/// made only for an error), which keeps the in-process spawn short and a `nscore run` small.
final class SpawnPlan {
    // The arena: malloc'd chunks, each starting with a pointer to the previous one.
    private var chunk: UnsafeMutableRawPointer? = nil
    private var chunkUsed = 0
    private var chunkSize = 0

    private var stepBuffer: UnsafeMutablePointer<nsc_step>? = nil
    private var descriptions: UnsafeMutablePointer<StepDescription>? = nil
    private(set) var stepCount = 0
    private var stepCapacity = 0

    /// Owned fds the plan refers to (ns files, the join report); closed when the plan is released.
    private var ownedFDs = FDList()
    /// Fds left open across execve (for nscore-init).
    private var keepFDs = FDList()
    /// The highest fd the plan names: a child that shares the fd table keeps a copy of the fds
    /// up to this one only.
    private(set) var highestFD: Int32 = 2
    /// Every fd >= 3 the plan names (``note(fd:)``), sorted in place by ``cPlan``.
    private var namedFDs = FDList()
    /// Result slots handed out to steps that produce fds (see ``FDSlot``), and those a close
    /// step emptied, for reuse.
    var slotCount: Int32 = 0
    /// Bit k set: slot k was emptied by a close step (NSC_MAX_SLOTS is 64). A mask rather than
    /// an array, so that the spawn path makes no array.
    var freeSlots: UInt64 = 0
    /// Where the exec and close-fds steps are, for the values only ``cPlan`` knows.
    private var execStep = -1
    private var closeStep = -1

    var cloneFlags: UInt64 = 0
    var execFD: Int32 = -1
    /// The resolved executable (absolute path): what the child execs unless ``execFD`` is set,
    /// and what error messages name.
    var executablePath: UnsafePointer<CChar>? = nil
    /// The command's argv (unless nscore-init is exec'd) and its environment, handed to the
    /// child as they are.
    var argumentList: CStringList? = nil
    var environmentList: CStringList? = nil
    /// When set, the child execs nscore-init (``execFD``) with these arguments; the spawner
    /// inserts `-e ERRFD` after the program name and keeps the error pipe open across exec.
    var initArguments: [String]? = nil
    private var initArgv: UnsafePointer<UnsafeMutablePointer<CChar>?>? = nil
    /// Set for a join: nscore-init (``initArguments``) reports on a memfd page instead of
    /// the error pipe, and forks the command as the caller's child.
    var join: JoinPlan? = nil
    /// What the parent does while the child waits at its handshake step, in order.
    var parentActions: [ParentAction] = []
    /// What the container's handle undoes once the command is reaped (the host end of a veth).
    var reapCleanups: [@Sendable () -> Void] = []
    /// True when a step waits for the parent (the parent must write "go").
    var waitsForParent = false
    /// True when a step signals the parent before waiting (the parent must read "ready").
    var signalsReady = false
    /// The fds a step sends on the handshake socket (``sendToParent(_:_:)``), which the parent
    /// receives once the child exec'd, in this order: the terminal's multiplexer, then the
    /// seccomp listener.
    var sendsTerminal = false
    var sendsSeccompListener = false
    /// True when a step sends an fd.
    var sendsFD: Bool { sendsTerminal || sendsSeccompListener }
    /// Where the spawner puts the terminal's multiplexer the child sends (``sendsTerminal``).
    var terminalSink: PipeEnds? = nil
    /// True when a step receives fds the parent sends after "go" (``fdsForChild``).
    var receivesFDs = false
    /// What the parent's actions queue for the child (idmapped mounts), sent after "go".
    lazy var fdsForChild = FDQueue()
    /// The container's cgroup directories, once the parent has made them.
    lazy var cgroupDirectories = CgroupDirectories()
    /// True when the spawn makes a cgroup (``cgroupDirectories`` then holds it).
    var makesCgroup = false
    /// What a rootfs container sees at /sys/fs/cgroup (nil: nothing).
    var cgroupView: CgroupView? = nil
    /// What the spawner does just before the clone (make the container's cgroup): returns how
    /// to undo it, and a cgroup2 directory fd for `CLONE_INTO_CGROUP` (-1: none) that the
    /// spawner closes after the clone.
    var beforeClone: (() throws(NSCoreError) -> (undo: () -> Void, cgroupFD: Int32))? = nil

    /// The C plan itself: the child reads it after `nsc_shim_spawn_start` returned, so it
    /// lives on the heap with the plan, never on the parent's stack.
    private var planBuffer: UnsafeMutablePointer<nsc_plan>? = nil

    deinit {
        var c = chunk
        while let p = c {
            c = p.load(as: UnsafeMutableRawPointer?.self)
            free(p)
        }
        free(stepBuffer)
        free(descriptions)
        namedFDs.release()
        for i in 0..<ownedFDs.count { sys_close(ownedFDs[i]) }
        ownedFDs.release()
        keepFDs.release()
        planBuffer?.deallocate()
    }

    /// The executable path as text, for error messages and nscore-init's command line.
    var pathText: String { executablePath.map { String(cString: $0) } ?? "" }

    /// `n` bytes from the arena, 16-byte aligned, valid for the life of the plan.
    func allocate(_ n: Int) -> UnsafeMutableRawPointer {
        var offset = (chunkUsed + 15) & ~15
        if chunk == nil || offset + n > chunkSize {
            let size = max(4096, n + 16)
            let c = malloc(size)!
            c.storeBytes(of: chunk, as: UnsafeMutableRawPointer?.self)
            chunk = c
            chunkSize = size
            offset = 16
        }
        chunkUsed = offset + n
        return chunk! + offset
    }

    /// Copies `s` into a NUL-terminated C string owned by the plan.
    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        var s = s
        return s.withUTF8 { buffer in
            let p = allocate(buffer.count + 1).bindMemory(to: CChar.self, capacity: buffer.count + 1)
            if let base = buffer.baseAddress { memcpy(p, base, buffer.count) }
            p[buffer.count] = 0
            return p
        }
    }

    /// Copies a static string into a NUL-terminated C string owned by the plan.
    func cString(_ s: StaticString) -> UnsafeMutablePointer<CChar> {
        let n = s.utf8CodeUnitCount
        let p = allocate(n + 1).bindMemory(to: CChar.self, capacity: n + 1)
        memcpy(p, s.utf8Start, n)
        p[n] = 0
        return p
    }

    /// Copies `count` bytes at `bytes` and a NUL into a C string owned by the plan.
    func cString(bytes: UnsafeRawPointer, count: Int) -> UnsafeMutablePointer<CChar> {
        let p = allocate(count + 1).bindMemory(to: CChar.self, capacity: count + 1)
        memcpy(p, bytes, count)
        p[count] = 0
        return p
    }

    /// A NULL-terminated array of C strings owned by the plan.
    func cStringArray(_ list: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let count = list.count + 1
        let array = allocate(count * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)
            .bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: count)
        for i in 0..<list.count { array[i] = cString(list[i]) }
        array[list.count] = nil
        return UnsafePointer(array)
    }

    /// Hands an fd to the plan, which closes it when released.
    func own(_ fd: consuming OwnedFD) -> Int32 {
        let raw = fd.release()
        ownedFDs.append(raw)
        note(fd: raw)
        return raw
    }

    /// Leaves `fd` open across execve.
    func keep(_ fd: Int32) {
        keepFDs.append(fd)
        note(fd: fd)
    }

    /// Records that the child needs `fd` (so that a shared fd table is copied that far, and
    /// the child keeps it while every other fd >= 3 is closed before its first step).
    func note(fd: Int32) {
        if fd > highestFD { highestFD = fd }
        if fd > 2 { namedFDs.append(fd) }
    }

    /// Appends a step (see the typed builders in SpawnPlan+Steps.swift) with the description
    /// used if it fails. Returns its index.
    @discardableResult
    func append(_ kind: nsc_step_kind, out: Int32 = -1, _ a0: UInt64 = 0, _ a1: UInt64 = 0, _ a2: UInt64 = 0,
                _ a3: UInt64 = 0, _ a4: UInt64 = 0, _ a5: UInt64 = 0, what: StepDescription) -> Int {
        if stepCount == stepCapacity {
            stepCapacity = max(8, stepCapacity * 2)
            stepBuffer = realloc(stepBuffer, stepCapacity * MemoryLayout<nsc_step>.stride)!
                .bindMemory(to: nsc_step.self, capacity: stepCapacity)
            descriptions = realloc(descriptions, stepCapacity * MemoryLayout<StepDescription>.stride)!
                .bindMemory(to: StepDescription.self, capacity: stepCapacity)
        }
        (stepBuffer! + stepCount).initialize(to: nsc_step(kind: Int32(kind.rawValue), out: out, arg: (a0, a1, a2, a3, a4, a5)))
        (descriptions! + stepCount).initialize(to: what)
        stepCount += 1
        switch kind {
        case NSC_STEP_SYNC_WAIT: waitsForParent = true
        case NSC_STEP_SYNC_READY: signalsReady = true
        case NSC_STEP_RECV_FD: receivesFDs = true
        case NSC_STEP_EXEC: execStep = stepCount - 1
        case NSC_STEP_CLOSE_FDS: closeStep = stepCount - 1
        default: break
        }
        return stepCount - 1
    }

    /// The kind of step `index` (for tests and checks).
    func kind(ofStep index: Int) -> nsc_step_kind { nsc_step_kind(rawValue: UInt32(stepBuffer![index].kind)) }

    /// Builds the C view of the plan, at an address that stays valid (and unchanged) for the
    /// life of this object, which the caller keeps alive until the child exec'd or was reaped.
    func cPlan(errFD: Int32, syncFD: Int32, syncPeerFD: Int32, shareFiles: Bool, cgroupFD: Int32 = -1) -> UnsafePointer<nsc_plan> {
        if let ia = initArguments, initArgv == nil {
            if join == nil {
                initArgv = cStringArray(InitCommandLine.withErrorPipe(ia, errFD))
                keep(errFD)
            } else {
                initArgv = cStringArray(ia)
            }
        }
        // The exec and close-fds steps take values that are final only now: nscore-init's argv
        // (with the error pipe) and the list of kept fds (which may have grown).
        precondition(execStep == stepCount - 1, "NSCore: a plan must end with its exec step")
        let argv = initArgv ?? argumentList.map { UnsafePointer($0.pointers) }
        let envp = environmentList.map { UnsafePointer($0.pointers) }
        stepBuffer![execStep].arg = (UInt64(bitPattern: Int64(execFD)), address(execFD >= 0 ? nil : executablePath),
                                     address(argv), address(envp), 0, 0)
        if closeStep >= 0 {
            stepBuffer![closeStep].arg.0 = address(keepFDs.base)
            stepBuffer![closeStep].arg.1 = UInt64(keepFDs.count)
        }
        note(fd: errFD)
        note(fd: syncFD)
        note(fd: syncPeerFD)
        var plan = nsc_plan()
        plan.steps = UnsafePointer(stepBuffer)
        plan.nsteps = UInt32(stepCount)
        plan.err_fd = errFD
        plan.sync_fd = syncFD
        plan.sync_peer_fd = syncPeerFD
        plan.cgroup_fd = cgroupFD
        plan.clone_flags = cloneFlags
        plan.share_files = shareFiles ? 1 : 0
        plan.unshare_from = highestFD + 1
        // Ascending, without duplicates (the list is short: an insertion sort in place).
        var n = 0
        if let base = namedFDs.base {
            for i in 0..<namedFDs.count {
                let fd = base[i]
                var j = n
                while j > 0 && base[j - 1] > fd { j -= 1 }
                if j > 0 && base[j - 1] == fd { continue }
                var k = n
                while k > j { base[k] = base[k - 1]; k -= 1 }
                base[j] = fd
                n += 1
            }
        }
        plan.named_fds = UnsafePointer(namedFDs.base)
        plan.nnamed = UInt32(n)
        if planBuffer == nil { planBuffer = .allocate(capacity: 1) } else { planBuffer!.deinitialize(count: 1) }
        planBuffer!.initialize(to: plan)
        return UnsafePointer(planBuffer!)
    }

    /// The description of a failure record the child wrote: a step of the plan (step >= 0),
    /// or, with step -1, the fd-table takeover or a failure nscore-init reported.
    func describe(step: Int32, kind: Int32) -> String {
        if step >= 0, Int(step) < stepCount { return descriptions![Int(step)].text }
        switch kind {
        case Int32(NSC_INIT_KIND_EXEC.rawValue): return "execve \(pathText)"
        case Int32(NSC_INIT_KIND_SETNS.rawValue): return "setns (in nscore-init)"
        case Int32(NSC_INIT_KIND_FORK.rawValue): return "fork (in nscore-init)"
        case Int32(NSC_INIT_KIND_USAGE.rawValue): return "nscore-init command line"
        case Int32(NSC_INIT_KIND_CHDIR.rawValue): return "chdir (in nscore-init)"
        case Int32(NSC_INIT_KIND_REPORT.rawValue): return "prepare the join (in nscore-init)"
        case Int32(NSC_INIT_KIND_TERMINAL.rawValue): return "make the terminal the command's controlling terminal (in nscore-init)"
        default: return String(cString: nsc_shim_step_name(kind))
        }
    }
}

/// The address of a C value as a step argument (0 for nil).
@inline(__always)
func address<T>(_ p: UnsafePointer<T>?) -> UInt64 { UInt64(UInt(bitPattern: p)) }
@inline(__always)
func address<T>(_ p: UnsafeMutablePointer<T>?) -> UInt64 { UInt64(UInt(bitPattern: p)) }

/// Work the parent does for the child while the child waits at its handshake step (write id
/// maps; move a veth peer into its network namespace; place it in a cgroup). `run` returns an
/// undo, or nil when the work needs none (it goes with the child's namespaces). If a later
/// action or the spawn fails, the undos run in reverse order and the child is killed.
struct ParentAction {
    let run: (_ pid: pid_t) throws(NSCoreError) -> (() -> Void)?
}

/// What a join adds to its plan (``Joiner``).
struct JoinPlan {
    /// The memfd nscore-init writes its `nsc_join_report` to (owned by the plan).
    var reportFD: Int32
    /// What each `-s` option of nscore-init joins, in order, for the error when one fails.
    var setnsSteps: [StepDescription]
    /// The PID namespace the command must be in (`pid:[INODE]`), checked against the report.
    var pidNamespace: String?
}

/// What a plan step does, in words, for the error when it fails. It is made into text only
/// then, so that a spawn that succeeds builds no strings.
enum StepDescription {
    case text(StaticString)
    /// The text followed by a string of the plan: "chdir /srv", "sethostname box".
    case textAndString(StaticString, UnsafePointer<CChar>)
    /// Making / recursively shared, slave, private or unbindable.
    case rootPropagation(MountPropagation)
    /// One setns through the target's pidfd.
    case setnsTarget(NamespaceSet)
    /// One setns into a namespace file.
    case setnsFile(NamespaceKind, UnsafePointer<CChar>)
    /// The exec of the command (its resolved path; nil for nscore-init, run from a memfd).
    case exec(UnsafePointer<CChar>?)
    /// A step of one mount: "mounts[2] (tmpfs on /tmp): fsconfig size=64m".
    case labeled(UnsafePointer<CChar>, StaticString, UnsafePointer<CChar>?)
    /// A step about one capability, by number: "drop from the bounding set: CAP_SYS_ADMIN".
    case capability(StaticString, UInt8)

    var text: String {
        switch self {
        case .text(let t): return t.description
        case .textAndString(let t, let s): return t.description + String(cString: s)
        case .rootPropagation(let p): return "make / \(p) (recursive) in the new mount namespace"
        case .setnsTarget(let kinds): return "setns(\(kinds)) into the namespaces of the target"
        case .setnsFile(let kind, let path): return "setns(\(kind)) into \(String(cString: path))"
        case .exec(let path): return path.map { "execve " + String(cString: $0) } ?? "execve nscore-init"
        case .capability(let t, let n): return t.description + (Capability(rawValue: n)?.description ?? "capability \(n)")
        case .labeled(let label, let action, let detail):
            return String(cString: label) + ": " + action.description + (detail.map { String(cString: $0) } ?? "")
        }
    }
}

/// A growable list of fds in malloc'd memory (no Swift array on the spawn path).
struct FDList {
    private(set) var base: UnsafeMutablePointer<Int32>? = nil
    private(set) var count = 0
    private var capacity = 0

    subscript(index: Int) -> Int32 { base![index] }

    mutating func append(_ fd: Int32) {
        if count == capacity {
            capacity = max(8, capacity * 2)
            base = realloc(base, capacity * MemoryLayout<Int32>.stride)!.bindMemory(to: Int32.self, capacity: capacity)
        }
        base![count] = fd
        count += 1
    }

    /// Frees the memory (the fds are the owner's business).
    func release() { free(base) }
}
