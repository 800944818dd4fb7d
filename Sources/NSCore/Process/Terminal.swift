import CNSCoreShim
import Glibc

/// The size of a terminal in character cells (OCI `process.consoleSize`).
public struct ConsoleSize: Sendable, Hashable {
    /// Rows.
    public var height: UInt16
    /// Columns.
    public var width: UInt16

    public init(height: UInt16, width: UInt16) {
        self.height = height
        self.width = width
    }
}

/// How a ``ProcessConfiguration/terminal`` is lowered.
///
/// A spawn's child makes the pty itself, after its mounts, from the `/dev/ptmx` it sees then: in
/// a root filesystem with the default mounts that is the container's own devpts instance, so
/// the terminal is one of the container's (`tty` names `/dev/pts/0`, as OCI runtimes give it).
/// It unlocks the pty, sets its size, opens the peer (`TIOCGPTPEER`, never a path), sends the
/// multiplexer to the parent on the handshake socket, binds the peer onto `/dev/console` (root
/// filesystem with the default mounts: a file of the container's new /dev, opened without
/// following symlinks), and makes it the controlling terminal of a new session.
///
/// A join's pty is made by the parent before the clone, from the target's `/dev/ptmx` (resolved
/// in the target's root, no symlink or magic link leaving it) when the join enters the target's
/// mount namespace, else the caller's; the node is checked to be the multiplexer before it is
/// opened. nscore-init makes it the command's controlling terminal (`-t`).
///
/// Streams the configuration leaves at ``StdioSource/inherit`` get the terminal; the others stay
/// as configured.
extension SpawnPlanner {
    /// The stdio sources with the terminal in place of every `-1` (inherit).
    private static func withTerminal(_ s: (Int32, Int32, Int32), _ peer: Int32) -> (Int32, Int32, Int32) {
        (s.0 == -1 ? peer : s.0, s.1 == -1 ? peer : s.1, s.2 == -1 ? peer : s.2)
    }

    static func checkTerminal(_ c: ProcessConfiguration, pipes: PipeEnds?) throws(NSCoreError) {
        if c.consoleSize != nil && !c.terminal {
            throw .invalid("consoleSize", "consoleSize: needs terminal")
        }
        if c.terminal && pipes == nil {
            throw .invalid("terminal", "terminal: needs a call that returns the terminal to the caller (spawnWithPipes, joinWithPipes)")
        }
    }

    /// The child's steps for a spawn's terminal (see the type's comment); returns the stdio
    /// sources with the peer in place of inherited streams. `session`: the child itself makes
    /// the new session (false when nscore-init's `-t` does it for the command).
    static func lowerTerminal(_ c: SpawnConfiguration, _ stdio: (Int32, Int32, Int32), pipes: PipeEnds?,
                              session: Bool, into plan: SpawnPlan) -> (Int32, Int32, Int32) {
        guard c.process.terminal, let pipes else { return stdio }
        plan.terminalSink = pipes
        let master = plan.openat2(.cwd, "/dev/ptmx", flags: O_RDWR | O_NOCTTY, resolve: 0,
                                  what: .text("open /dev/ptmx (terminal)"))
        plan.expectNode(.slot(master), type: UInt32(S_IFCHR), major: 5, minor: 2,
                        what: .text("terminal: /dev/ptmx is not the pty multiplexer (character device 5:2)"))
        let unlock = plan.allocate(4)
        unlock.storeBytes(of: Int32(0), as: Int32.self)
        plan.ioctl(.slot(master), nsc_shim_TIOCSPTLCK, address(UnsafePointer(unlock.assumingMemoryBound(to: Int32.self))),
                   what: .text("unlock the pty (TIOCSPTLCK)"))
        if let size = c.process.consoleSize {
            plan.ioctl(.slot(master), nsc_shim_TIOCSWINSZ, windowSize(size, plan),
                       what: .text("set the terminal's size (consoleSize)"))
        }
        let peer = plan.ioctlFD(.slot(master), nsc_shim_TIOCGPTPEER, UInt64(O_RDWR | O_NOCTTY | O_CLOEXEC),
                                what: .text("open the pty's terminal (TIOCGPTPEER)"))
        plan.sendToParent(master, .terminal)
        plan.close(master, what: .text("close the pty multiplexer"))
        if c.root != nil && c.defaultMounts {
            let dev = plan.openat2(.cwd, "/dev", flags: O_DIRECTORY | nsc_shim_O_PATH, resolve: nsc_shim_RESOLVE_NO_SYMLINKS,
                                   what: .text("open /dev (for /dev/console)"))
            plan.mkpath(.slot(dev), "console", mode: 0o600, file: true, what: .text("create /dev/console"))
            let target = plan.openat2(.slot(dev), "console", flags: nsc_shim_O_PATH,
                                      resolve: nsc_shim_RESOLVE_NO_SYMLINKS,
                                      what: .text("open /dev/console"))
            let tree = plan.openTree(.slot(peer), "", flags: nsc_shim_OPEN_TREE_CLONE | nsc_shim_AT_EMPTY_PATH,
                                     what: .text("clone the terminal (for /dev/console)"))
            plan.moveMount(from: .slot(tree), "", to: .slot(target), "",
                           flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH | nsc_shim_MOVE_MOUNT_T_EMPTY_PATH,
                           what: .text("bind the terminal on /dev/console"))
            plan.close(tree, what: .text("close the terminal's mount"))
            plan.close(target, what: .text("close /dev/console"))
            plan.close(dev, what: .text("close /dev"))
        }
        // The command's own user owns its terminal, as a login's does.
        if let user = c.process.user {
            plan.fchown(.slot(peer), uid: user.uid, gid: nil, what: .text("give the terminal to the user (fchown)"))
        }
        if session {
            plan.setsid(what: .text("setsid (a session for the terminal)"))
            plan.ioctl(.slot(peer), nsc_shim_TIOCSCTTY, 0, what: .text("make the pty the controlling terminal (TIOCSCTTY)"))
        }
        return withTerminal(stdio, Int32(truncatingIfNeeded: Int64(bitPattern: FDOperand.slot(peer).raw)))
    }

    /// A join's terminal, made by the parent (see the type's comment): the multiplexer goes to
    /// `pipes`, the peer to the plan; returns the stdio sources with the peer in place of
    /// inherited streams. `root`: an O_PATH fd of the target's root (the join enters its mount
    /// namespace), or nil for the caller's /dev/ptmx.
    static func joinTerminal(_ c: ProcessConfiguration, _ stdio: (Int32, Int32, Int32), root: Int32?,
                             pipes: PipeEnds?, into plan: SpawnPlan) throws(NSCoreError) -> (Int32, Int32, Int32) {
        guard c.terminal, let pipes else { return stdio }
        var peer: Int32 = -1
        let size = c.consoleSize ?? ConsoleSize(height: 0, width: 0)
        let master = root.map { nsc_shim_pty_open($0, "dev/ptmx", nsc_shim_RESOLVE_IN_ROOT | nsc_shim_RESOLVE_NO_MAGICLINKS,
                                                  size.height, size.width, &peer) }
            ?? nsc_shim_pty_open(AT_FDCWD, "/dev/ptmx", 0, size.height, size.width, &peer)
        let source = root == nil ? "/dev/ptmx" : "the container's /dev/ptmx"
        if master == -ENODEV {
            throw NSCoreError(.notFound, errno: Errno(rawValue: ENODEV), stage: "terminal",
                              message: "terminal: \(source) is not the pty multiplexer (character device 5:2)")
        }
        if master < 0 {
            let e = Errno(rawValue: -master)
            throw NSCoreError(.from(errno: e), errno: e, stage: "terminal", message: "terminal: open a pty from \(source): \(e)")
        }
        pipes.set(PipeEnds.terminal, master)
        return withTerminal(stdio, plan.own(OwnedFD(peer)))
    }

    /// A `struct winsize` in the plan's arena.
    private static func windowSize(_ size: ConsoleSize, _ plan: SpawnPlan) -> UInt64 {
        let p = plan.allocate(8).bindMemory(to: UInt16.self, capacity: 4)
        p[0] = size.height
        p[1] = size.width
        p[2] = 0
        p[3] = 0
        return address(UnsafePointer(p))
    }
}
