import CNSCoreShim
import Glibc

/// A result slot: where a step that produces an fd (`openat2`, `open_tree`, `fsmount`, ...)
/// leaves it for later steps of the same plan. The fd lives in the child only.
struct FDSlot: Equatable {
    let index: Int32
}

/// An fd a step reads: one the plan holds open, the working directory, or a result slot.
enum FDOperand {
    case fd(Int32)
    case cwd
    case slot(FDSlot)

    /// The executor's encoding (spawn_plan.h): a plain fd, `NSC_AT_FDCWD`, or `NSC_SLOT(k)`.
    var raw: UInt64 {
        switch self {
        case .fd(let fd): return UInt64(bitPattern: Int64(fd))
        case .cwd: return UInt64(bitPattern: Int64(NSC_AT_FDCWD))
        case .slot(let s): return UInt64(bitPattern: Int64(NSC_SLOT_BASE) - Int64(s.index))
        }
    }
}

/// A NUL-terminated string the plan owns (``SpawnPlan/string(_:)``). Builders take these rather
/// than raw pointers, so that a Swift string can never reach a step as a temporary pointer that
/// is gone before the child reads it.
struct PlanString {
    let pointer: UnsafePointer<CChar>
}

/// Typed builders for the executor's steps. Each emits one step with the arguments the C side
/// reads for its kind (spawn_plan.h), copies its strings into the plan, and records the fds the
/// child will need. Feature lowerings call these; none of them writes a step kind by number.
extension SpawnPlan {
    // ---- The frame -----------------------------------------------------------------------

    /// Every signal disposition back to SIG_DFL (signals stay blocked until ``exec()``).
    func resetSignals() {
        append(NSC_STEP_RESET_SIGNALS, what: .text("reset signal dispositions"))
    }

    /// `prctl(option, a2, a3, a4, a5)`.
    func prctl(_ option: Int32, _ a2: UInt64 = 0, _ a3: UInt64 = 0, _ a4: UInt64 = 0, _ a5: UInt64 = 0,
               what: StepDescription) {
        append(NSC_STEP_PRCTL, UInt64(option), a2, a3, a4, a5, what: what)
    }

    /// `PR_SET_PDEATHSIG`: the child gets `signal` when the spawning thread exits.
    func parentDeathSignal(_ signal: Int32) {
        prctl(nsc_shim_PR_SET_PDEATHSIG, UInt64(signal), what: .text("prctl(PR_SET_PDEATHSIG)"))
    }

    /// Places the sources on fds 0, 1 and 2: an fd of the caller, -1 to leave one as it is, or
    /// `NSC_STDIO_NULL` for /dev/null (opened by the child).
    func stdio(_ sources: (Int32, Int32, Int32)) {
        note(fd: sources.0)  // no array: the spawn path makes none
        note(fd: sources.1)
        note(fd: sources.2)
        append(NSC_STEP_STDIO, UInt64(bitPattern: Int64(sources.0)), UInt64(bitPattern: Int64(sources.1)),
               UInt64(bitPattern: Int64(sources.2)), what: .text("set up stdio"))
    }

    /// Every fd above 2 close-on-exec, except those the plan keeps (``keep(_:)``).
    func closeInheritedFDs() {
        append(NSC_STEP_CLOSE_FDS, what: .text("close inherited fds"))
    }

    /// Empties the signal mask and execs: ``execFD`` when set (nscore-init), else
    /// ``executablePath``, with the plan's argv and environment. Must be the last step.
    func exec() {
        if execFD >= 0 { note(fd: execFD) }
        // nscore-init runs from its memfd: a failure there is its exec's, not the command's.
        append(NSC_STEP_EXEC, what: .exec(execFD >= 0 ? nil : UnsafePointer(executablePath)))
    }

    // ---- Namespaces, names, the handshake ------------------------------------------------

    /// `setns(fd, nstype)`.
    func setns(_ fd: FDOperand, _ nstype: Int32, what: StepDescription) {
        if case .fd(let f) = fd { note(fd: f) }
        append(NSC_STEP_SETNS, fd.raw, UInt64(UInt32(bitPattern: nstype)), what: what)
    }

    /// `unshare(flags)`.
    func unshare(_ flags: Int32, what: StepDescription) {
        append(NSC_STEP_UNSHARE, UInt64(UInt32(bitPattern: flags)), what: what)
    }

    /// Tells the parent it may act now (one byte on the handshake).
    func signalReady(what: StepDescription) { append(NSC_STEP_SYNC_READY, what: what) }

    /// Waits for the parent's "go" (its death fails the spawn).
    func waitForParent(what: StepDescription) { append(NSC_STEP_SYNC_WAIT, what: what) }

    /// Waits for the parent unless an earlier step already does: the parent runs all its
    /// actions (``parentActions``) before its one "go".
    func waitForParentOnce(what: StepDescription) {
        if !waitsForParent { waitForParent(what: what) }
    }

    /// `sethostname(name)`.
    func sethostname(_ name: String) {
        let p = UnsafePointer(cString(name))
        append(NSC_STEP_SETHOSTNAME, address(p), UInt64(name.utf8.count), what: .textAndString("sethostname ", p))
    }

    /// `setdomainname(name)`.
    func setdomainname(_ name: String) {
        let p = UnsafePointer(cString(name))
        append(NSC_STEP_SETDOMAINNAME, address(p), UInt64(name.utf8.count), what: .textAndString("setdomainname ", p))
    }

    /// Sets IFF_UP on `lo` in the child's network namespace.
    func loopbackUp(what: StepDescription) { append(NSC_STEP_LOOPBACK_UP, what: what) }

    // ---- Files and mounts ----------------------------------------------------------------

    /// A copy of `s` owned by the plan, for the builders that take strings.
    func string(_ s: String) -> PlanString { PlanString(pointer: UnsafePointer(cString(s))) }
    func string(_ s: StaticString) -> PlanString { PlanString(pointer: UnsafePointer(cString(s))) }

    /// `mount(source, target, fstype, flags, data)`.
    func mount(source: PlanString?, target: PlanString, fstype: PlanString? = nil, flags: UInt,
               data: PlanString? = nil, what: StepDescription) {
        append(NSC_STEP_MOUNT, address(source?.pointer), address(target.pointer), address(fstype?.pointer),
               UInt64(flags), address(data?.pointer), what: what)
    }

    /// `chdir(path)`.
    func chdir(_ path: String) {
        let p = UnsafePointer(cString(path))
        append(NSC_STEP_CHDIR, address(p), what: .textAndString("chdir ", p))
    }

    /// `fchdir(fd)`.
    func fchdir(_ fd: FDOperand, what: StepDescription) {
        if case .fd(let f) = fd { note(fd: f) }
        append(NSC_STEP_FCHDIR, fd.raw, what: what)
    }

    /// A result slot: one a ``close(_:what:)`` step emptied earlier, else a new one. A plan holds
    /// at most `NSC_MAX_SLOTS` fds at once.
    private func newSlot() -> FDSlot {
        if freeSlots != 0 {
            let free = Int32(freeSlots.trailingZeroBitCount)
            freeSlots &= freeSlots - 1
            return FDSlot(index: free)
        }
        precondition(slotCount < NSC_MAX_SLOTS, "NSCore: a plan holds more than \(NSC_MAX_SLOTS) fds at once")
        slotCount += 1
        return FDSlot(index: slotCount - 1)
    }

    /// `openat2(dir, path, {flags | O_CLOEXEC, mode, resolve})` into a new slot.
    func openat2(_ dir: FDOperand, _ path: String, flags: Int32, mode: UInt32 = 0, resolve: UInt64,
                 what: StepDescription) -> FDSlot {
        if case .fd(let f) = dir { note(fd: f) }
        let slot = newSlot()
        append(NSC_STEP_OPENAT2, out: slot.index, dir.raw, address(UnsafePointer(cString(path))),
               UInt64(UInt32(bitPattern: flags)), UInt64(mode), resolve, what: what)
        return slot
    }

    /// `open_tree(dir, path, flags | OPEN_TREE_CLOEXEC)` into a new slot.
    func openTree(_ dir: FDOperand, _ path: String, flags: UInt32, what: StepDescription) -> FDSlot {
        if case .fd(let f) = dir { note(fd: f) }
        let slot = newSlot()
        append(NSC_STEP_OPEN_TREE, out: slot.index, dir.raw, address(UnsafePointer(cString(path))), UInt64(flags),
               what: what)
        return slot
    }

    /// `move_mount(from, fromPath, to, toPath, flags)`.
    func moveMount(from: FDOperand, _ fromPath: String, to: FDOperand, _ toPath: String, flags: UInt32,
                   what: StepDescription) {
        if case .fd(let f) = from { note(fd: f) }
        if case .fd(let f) = to { note(fd: f) }
        append(NSC_STEP_MOVE_MOUNT, from.raw, address(UnsafePointer(cString(fromPath))), to.raw,
               address(UnsafePointer(cString(toPath))), UInt64(flags), what: what)
    }

    /// `mount_setattr(dir, path, flags, {set, clear, propagation})`.
    func mountSetattr(_ dir: FDOperand, _ path: String, flags: UInt32, set: UInt64, clear: UInt64,
                      propagation: UInt64, what: StepDescription) {
        if case .fd(let f) = dir { note(fd: f) }
        append(NSC_STEP_MOUNT_SETATTR, dir.raw, address(UnsafePointer(cString(path))), UInt64(flags), set, clear,
               propagation, what: what)
    }

    /// `fsopen(fstype, flags | FSOPEN_CLOEXEC)` into a new slot.
    func fsopen(_ fstype: String, flags: UInt32 = 0, what: StepDescription) -> FDSlot {
        let slot = newSlot()
        append(NSC_STEP_FSOPEN, out: slot.index, address(UnsafePointer(cString(fstype))), UInt64(flags), what: what)
        return slot
    }

    /// `fsconfig(fd, command, key, value, aux)`.
    func fsconfig(_ fd: FDOperand, command: UInt32, key: String?, value: String?, aux: Int32 = 0,
                  what: StepDescription) {
        append(NSC_STEP_FSCONFIG, fd.raw, UInt64(command), address(key.map { UnsafePointer(cString($0)) }),
               address(value.map { UnsafePointer(cString($0)) }), UInt64(bitPattern: Int64(aux)), what: what)
    }

    /// `fsmount(fd, flags | FSMOUNT_CLOEXEC, attributes)` into a new slot.
    func fsmount(_ fd: FDOperand, flags: UInt32 = 0, attributes: UInt32 = 0, what: StepDescription) -> FDSlot {
        let slot = newSlot()
        append(NSC_STEP_FSMOUNT, out: slot.index, fd.raw, UInt64(flags), UInt64(attributes), what: what)
        return slot
    }

    /// Creates the missing directories of `path` (canonical, relative or absolute) below `root`,
    /// never through a symlink; with `file`, the last one as an empty regular file.
    func mkpath(_ root: FDOperand, _ path: String, mode: UInt32 = 0o755, file: Bool = false, what: StepDescription) {
        if case .fd(let f) = root { note(fd: f) }
        append(NSC_STEP_MKPATH, root.raw, address(UnsafePointer(cString(path))), UInt64(mode), file ? 1 : 0, what: what)
    }

    /// `mknodat(dir, name, mode, makedev(major, minor))`, then the permission bits of `mode`
    /// whatever the umask.
    func mknod(_ dir: FDOperand, _ name: String, mode: UInt32, major: UInt32, minor: UInt32, what: StepDescription) {
        let dev = (UInt64(major & 0xfffff000) << 32) | (UInt64(major & 0xfff) << 8)
            | (UInt64(minor & 0xffffff00) << 12) | UInt64(minor & 0xff)
        append(NSC_STEP_MKNOD, dir.raw, address(UnsafePointer(cString(name))), UInt64(mode), dev, what: what)
    }

    /// `symlinkat(target, dir, name)`.
    func symlink(_ target: StaticString, in dir: FDOperand, _ name: StaticString, what: StepDescription) {
        append(NSC_STEP_SYMLINK, address(UnsafePointer(cString(target))), dir.raw, address(UnsafePointer(cString(name))),
               what: what)
    }
    func symlink(_ target: String, in dir: FDOperand, _ name: String, what: StepDescription) {
        append(NSC_STEP_SYMLINK, address(UnsafePointer(cString(target))), dir.raw, address(UnsafePointer(cString(name))),
               what: what)
    }

    /// Fails with EPERM unless `fd` is a node of `type` (`S_IFCHR`, ...) with device
    /// `major:minor`.
    func expectNode(_ fd: FDOperand, type: UInt32, major: UInt32, minor: UInt32, what: StepDescription) {
        append(NSC_STEP_EXPECT_NODE, fd.raw, UInt64(type), UInt64(major), UInt64(minor), what: what)
    }

    /// Masks `path` (the plan's or static memory) below `root`: a clone of `emptyDir` over a directory, of `null` over
    /// anything else; skipped when the path does not exist.
    func mask(_ root: FDOperand, _ path: UnsafePointer<CChar>, null: FDOperand, emptyDir: FDOperand, what: StepDescription) {
        append(NSC_STEP_MASK, root.raw, address(path), null.raw, emptyDir.raw, what: what)
    }

    /// Binds `path` (the plan's or static memory) below `root` onto itself, recursively read-only; skipped when it does not
    /// exist.
    func makeReadonly(_ root: FDOperand, _ path: UnsafePointer<CChar>, what: StepDescription) {
        append(NSC_STEP_READONLY, root.raw, address(path), what: what)
    }

    /// Enters the root `new` from `old`: pivot_root and detach, or MS_MOVE and chroot on an
    /// initramfs; then `chdir("/")`.
    func enterRoot(old: FDOperand, new: FDOperand, what: StepDescription) {
        append(NSC_STEP_ENTER_ROOT, old.raw, new.raw, what: what)
    }

    /// Closes the fd in `slot`; the slot is then empty, and later steps may reuse it.
    func close(_ slot: FDSlot, what: StepDescription) {
        append(NSC_STEP_CLOSE, FDOperand.slot(slot).raw, what: what)
        freeSlots |= 1 << UInt64(slot.index)
    }

    // ---- Credentials ---------------------------------------------------------------------

    /// `setresgid(gid, gid, gid)`, raw.
    func setresgid(_ gid: gid_t) { append(NSC_STEP_SETRESGID, UInt64(gid), what: .text("setresgid (the user's group)")) }

    /// `setresuid(uid, uid, uid)`, raw.
    func setresuid(_ uid: uid_t) { append(NSC_STEP_SETRESUID, UInt64(uid), what: .text("setresuid (the user)")) }

    /// `setgroups(count, list)`, raw; `list` must live as long as the plan.
    func setgroups(_ list: UnsafePointer<gid_t>?, count: Int) {
        append(NSC_STEP_SETGROUPS, UInt64(count), address(list), what: .text("setgroups (the user's supplementary groups)"))
    }

    /// `prlimit64(0, resource, values, NULL)`, raw; `values` (soft, hard) lives in the arena.
    func prlimit(_ resource: Int32, _ values: UnsafePointer<UInt64>) {
        let name = ResourceLimit.names[Int(resource)]
        append(NSC_STEP_PRLIMIT, UInt64(resource), address(values),
               what: .textAndString("prlimit ", UnsafePointer(cString(name))))
    }

    /// `write(fd, bytes, count)`, all of it.
    func write(_ slot: FDSlot, _ bytes: UnsafePointer<CChar>, count: Int, what: StepDescription) {
        append(NSC_STEP_WRITE, FDOperand.slot(slot).raw, address(bytes), UInt64(count), what: what)
    }

    /// `capset` (version 3) of the effective, permitted and inheritable sets, raw; the header
    /// and data live in the plan's arena.
    func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) {
        // struct __user_cap_header_struct { u32 version; int pid; } and two
        // struct __user_cap_data_struct { u32 effective, permitted, inheritable; }.
        let header = allocate(8).bindMemory(to: UInt32.self, capacity: 2)
        header[0] = 0x2008_0522  // _LINUX_CAPABILITY_VERSION_3
        header[1] = 0
        let data = allocate(24).bindMemory(to: UInt32.self, capacity: 6)
        data[0] = UInt32(truncatingIfNeeded: effective)
        data[1] = UInt32(truncatingIfNeeded: permitted)
        data[2] = UInt32(truncatingIfNeeded: inheritable)
        data[3] = UInt32(truncatingIfNeeded: effective >> 32)
        data[4] = UInt32(truncatingIfNeeded: permitted >> 32)
        data[5] = UInt32(truncatingIfNeeded: inheritable >> 32)
        append(NSC_STEP_CAPSET, address(UnsafePointer(header)), address(UnsafePointer(data)),
               what: .text("capset (effective, permitted and inheritable capabilities)"))
    }

    // ---- Seccomp ---------------------------------------------------------------------------

    /// `seccomp(SECCOMP_SET_MODE_FILTER, flags, program)`; the program and its
    /// `struct sock_fprog` live in the arena. Returns the listener's slot when the flags ask
    /// for one.
    func seccomp(_ program: SeccompProgram) -> FDSlot? {
        let count: Int
        let filter: UnsafeRawPointer
        if let (address, n) = program.builtin {
            count = n
            filter = UnsafeRawPointer(bitPattern: address)!
        } else {
            count = program.instructions.count
            let copy = allocate(count * 8)
            program.instructions.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: count * 8) }
            filter = UnsafeRawPointer(copy)
        }
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
        let fprog = allocate(16)
        fprog.storeBytes(of: UInt64(count), as: UInt64.self)
        fprog.storeBytes(of: UInt64(UInt(bitPattern: filter)), toByteOffset: 8, as: UInt64.self)
        let slot = program.notifies ? newSlot() : nil
        append(NSC_STEP_SECCOMP, out: slot?.index ?? -1, UInt64(program.flags), UInt64(UInt(bitPattern: fprog)),
               what: .text("seccomp (install the filter)"))
        return slot
    }

    /// Receives into a new slot an fd the parent sends after "go" (``SpawnPlan/fdsForChild``).
    func receiveFromParent(what: StepDescription) -> FDSlot {
        let slot = newSlot()
        append(NSC_STEP_RECV_FD, out: slot.index, what: what)
        return slot
    }

    /// What a plan sends to the parent (``sendToParent(_:_:)``).
    enum SentFD {
        case terminal
        case seccompListener
    }

    /// Sends the fd in `slot` to the parent on the handshake socket. The parent receives what
    /// a plan sends in a fixed order once the child exec'd: the terminal, then the seccomp
    /// listener (``sendsTerminal``, ``sendsSeccompListener``).
    func sendToParent(_ slot: FDSlot, _ fd: SentFD) {
        switch fd {
        case .terminal:
            sendsTerminal = true
            append(NSC_STEP_SEND_FD, FDOperand.slot(slot).raw, what: .text("send the terminal to the parent"))
        case .seccompListener:
            sendsSeccompListener = true
            append(NSC_STEP_SEND_FD, FDOperand.slot(slot).raw, what: .text("send the seccomp listener to the parent"))
        }
    }

    // ---- Terminals -----------------------------------------------------------------------

    /// `setsid()`.
    func setsid(what: StepDescription) { append(NSC_STEP_SETSID, what: what) }

    /// `ioctl(fd, request, argument)`; `argument` is a number or an address in the arena.
    func ioctl(_ fd: FDOperand, _ request: UInt, _ argument: UInt64, what: StepDescription) {
        append(NSC_STEP_IOCTL, fd.raw, UInt64(request), argument, what: what)
    }

    /// `ioctl(fd, request, argument)` for a request that returns a new fd (`TIOCGPTPEER`),
    /// kept in a new slot.
    func ioctlFD(_ fd: FDOperand, _ request: UInt, _ argument: UInt64, what: StepDescription) -> FDSlot {
        let slot = newSlot()
        append(NSC_STEP_IOCTL, out: slot.index, fd.raw, UInt64(request), argument, what: what)
        return slot
    }

    /// `fchown(fd, uid, gid)`; nil leaves that id as it is.
    func fchown(_ fd: FDOperand, uid: UInt32?, gid: UInt32?, what: StepDescription) {
        append(NSC_STEP_FCHOWN, fd.raw, UInt64(uid ?? UInt32.max), UInt64(gid ?? UInt32.max), what: what)
    }
}
