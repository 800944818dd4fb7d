import Glibc

/// Where a standard stream of the child comes from.
public enum StdioSource: Sendable, Equatable {
    /// The caller's own fd 0, 1 or 2.
    case inherit
    /// `/dev/null`.
    case null
    /// A descriptor the caller owns; the child gets a duplicate, the caller keeps its own.
    case fd(Int32)
    /// A new pipe: the child's end becomes the stream, and the caller gets the other end
    /// (the write end for stdin, the read end for stdout and stderr), `O_CLOEXEC`, as an
    /// owned descriptor in the ``PipedContainer`` that ``Container/spawnWithPipes(_:)`` and
    /// ``Container/joinWithPipes(_:)`` return. ``Container/spawn(_:)`` and
    /// ``Container/join(_:)``, which have nowhere to return it, refuse this source.
    case pipe
}

/// The process a spawn or a join starts: its command, environment, working directory, standard
/// streams and parent-death signal. ``SpawnConfiguration`` and ``JoinConfiguration`` each hold
/// one (``SpawnConfiguration/process``), and both lower it the same way.
public struct ProcessConfiguration: Sendable {
    /// The command and its arguments; `arguments[0]` is the command name. Required.
    public var arguments: [String] {
        get { argumentList.strings }
        set { argumentList = CStringList(newValue) }
    }
    /// The file to execute. `nil` resolves `arguments[0]` through `PATH` in the parent, as
    /// `execvp` would, so that a missing command fails the call instead of exiting 127.
    public var executable: String?
    /// The environment as `"NAME=value"` strings. `nil` passes the caller's environment.
    public var environment: [String]? {
        get { environmentList?.strings }
        set { environmentList = newValue.map { CStringList($0) } }
    }
    /// The working directory of the command. `nil` keeps the caller's (for a join that enters
    /// a mount namespace: that namespace's `/`).
    public var workingDirectory: String?
    /// Send SIGKILL to the process when the thread that started it exits
    /// (`PR_SET_PDEATHSIG`). Off by default: the signal follows the starting *thread*, so a
    /// worker thread that ends would otherwise kill the processes it started.
    public var killOnParentDeath: Bool
    /// The user, group and supplementary groups the command runs as (`process.user`); nil
    /// keeps the caller's (with uid/gid maps: 0 of the maps). The child sets them after its
    /// mounts, before the working directory and exec.
    public var user: User?
    /// The command's capability sets (`process.capabilities`). nil: Docker's default set
    /// (``Capabilities/dockerDefault``) for a container with a root filesystem, and the
    /// caller's (or, in a new user namespace, all of them) for a plain namespace spawn.
    public var capabilities: Capabilities?
    /// Resource limits (`process.rlimits`), set in the child before anything else it does;
    /// the others stay the caller's. Raising a hard limit needs CAP_SYS_RESOURCE.
    public var rlimits: [ResourceLimit]
    /// The OOM killer's score adjustment (`process.oomScoreAdj`, -1000 to 1000); nil keeps the
    /// caller's. Lowering it needs CAP_SYS_RESOURCE.
    public var oomScoreAdj: Int32?
    /// Give the command a new pseudo-terminal (OCI `process.terminal`): it runs in a new
    /// session with the pty as its controlling terminal, and every stream left at
    /// ``StdioSource/inherit`` is the pty. The caller gets the multiplexer side as
    /// ``PipedContainer/terminal`` from ``Container/spawnWithPipes(_:)`` or
    /// ``Container/joinWithPipes(_:)`` (``Container/spawn(_:)`` and ``Container/join(_:)``
    /// refuse it). A container with a root filesystem and the default mounts gets a pty of its
    /// own devpts instance, bound on `/dev/console` too; a join that enters the target's mount
    /// namespace gets one of the target's. Off by default.
    public var terminal: Bool
    /// Start the command in a new session (`setsid`), as runc and crun always do. On by
    /// default: a command in the caller's session has the caller's controlling terminal, so it
    /// could push input into the caller's shell with `TIOCSTI` (bubblewrap's CVE-2017-5226);
    /// in a session of its own it has no controlling terminal, and `TIOCSTI` fails with EPERM
    /// (without CAP_SYS_ADMIN in the initial user namespace). It can still read and write an
    /// inherited terminal, but a signal the terminal sends (Ctrl-C) reaches only the caller's
    /// foreground job. `false` keeps the caller's session (job control of an interactive shell
    /// on the caller's terminal, at that risk). With ``terminal`` the command always leads a new
    /// session.
    public var newSession: Bool
    /// The terminal's initial size (OCI `process.consoleSize`); nil leaves the kernel's 0 x 0.
    /// Needs ``terminal``. The caller changes it later with `TIOCSWINSZ` on the multiplexer.
    public var consoleSize: ConsoleSize?
    /// Standard input, output and error of the command.
    public var stdin: StdioSource
    public var stdout: StdioSource
    public var stderr: StdioSource

    /// ``arguments`` and ``environment`` as C strings, the form the child receives them in.
    var argumentList: CStringList
    var environmentList: CStringList?

    /// A process that runs `arguments` with the caller's environment and streams.
    public init(_ arguments: [String] = []) {
        self.argumentList = arguments.isEmpty ? .empty : CStringList(arguments)
        self.executable = nil
        self.environmentList = nil
        self.workingDirectory = nil
        self.killOnParentDeath = false
        self.user = nil
        self.capabilities = nil
        self.rlimits = []
        self.oomScoreAdj = nil
        self.terminal = false
        self.newSession = true
        self.consoleSize = nil
        self.stdin = .inherit
        self.stdout = .inherit
        self.stderr = .inherit
    }

    /// Sets ``arguments`` to a copy of `count` C strings, such as the tail of
    /// `CommandLine.unsafeArgv`: the same as assigning `arguments`, without making a `String`
    /// of each.
    public mutating func setArguments(cStrings: UnsafePointer<UnsafeMutablePointer<CChar>?>, count: Int) {
        argumentList = CStringList(copying: cStrings, count: max(count, 0))
    }

    /// Sets ``environment`` to a copy of a NULL-terminated array of `"NAME=value"` C strings
    /// (such as `environ`); `nil` passes the caller's environment.
    public mutating func setEnvironment(cStrings: UnsafePointer<UnsafeMutablePointer<CChar>?>?) {
        environmentList = cStrings.map { CStringList(copying: $0) }
    }
}

/// A configuration that starts a ``ProcessConfiguration``: its settings read and write through.
public protocol ProcessConfigurable {
    var process: ProcessConfiguration { get set }
}

extension ProcessConfigurable {
    /// ``ProcessConfiguration/arguments``.
    public var arguments: [String] {
        get { process.arguments }
        set { process.arguments = newValue }
    }
    /// ``ProcessConfiguration/executable``.
    public var executable: String? {
        get { process.executable }
        set { process.executable = newValue }
    }
    /// ``ProcessConfiguration/environment``.
    public var environment: [String]? {
        get { process.environment }
        set { process.environment = newValue }
    }
    /// ``ProcessConfiguration/workingDirectory``.
    public var workingDirectory: String? {
        get { process.workingDirectory }
        set { process.workingDirectory = newValue }
    }
    /// ``ProcessConfiguration/killOnParentDeath``.
    public var killOnParentDeath: Bool {
        get { process.killOnParentDeath }
        set { process.killOnParentDeath = newValue }
    }
    /// ``ProcessConfiguration/user``.
    public var user: User? {
        get { process.user }
        set { process.user = newValue }
    }
    /// ``ProcessConfiguration/capabilities``.
    public var capabilities: Capabilities? {
        get { process.capabilities }
        set { process.capabilities = newValue }
    }
    /// ``ProcessConfiguration/rlimits``.
    public var rlimits: [ResourceLimit] {
        get { process.rlimits }
        set { process.rlimits = newValue }
    }
    /// ``ProcessConfiguration/oomScoreAdj``.
    public var oomScoreAdj: Int32? {
        get { process.oomScoreAdj }
        set { process.oomScoreAdj = newValue }
    }
    /// ``ProcessConfiguration/terminal``.
    public var terminal: Bool {
        get { process.terminal }
        set { process.terminal = newValue }
    }
    /// ``ProcessConfiguration/newSession``.
    public var newSession: Bool {
        get { process.newSession }
        set { process.newSession = newValue }
    }
    /// ``ProcessConfiguration/consoleSize``.
    public var consoleSize: ConsoleSize? {
        get { process.consoleSize }
        set { process.consoleSize = newValue }
    }
    /// ``ProcessConfiguration/stdin``.
    public var stdin: StdioSource {
        get { process.stdin }
        set { process.stdin = newValue }
    }
    /// ``ProcessConfiguration/stdout``.
    public var stdout: StdioSource {
        get { process.stdout }
        set { process.stdout = newValue }
    }
    /// ``ProcessConfiguration/stderr``.
    public var stderr: StdioSource {
        get { process.stderr }
        set { process.stderr = newValue }
    }
    /// ``ProcessConfiguration/setArguments(cStrings:count:)``.
    public mutating func setArguments(cStrings: UnsafePointer<UnsafeMutablePointer<CChar>?>, count: Int) {
        process.setArguments(cStrings: cStrings, count: count)
    }
    /// ``ProcessConfiguration/setEnvironment(cStrings:)``.
    public mutating func setEnvironment(cStrings: UnsafePointer<UnsafeMutablePointer<CChar>?>?) {
        process.setEnvironment(cStrings: cStrings)
    }
}
