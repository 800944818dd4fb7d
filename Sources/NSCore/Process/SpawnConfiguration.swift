import Glibc

/// Where a standard stream of the child comes from.
public enum StdioSource: Sendable, Equatable {
    /// The caller's own fd 0, 1 or 2.
    case inherit
    /// `/dev/null`.
    case null
    /// A descriptor the caller owns; the child gets a duplicate, the caller keeps its own.
    case fd(Int32)
}

/// Everything needed to start a process in new namespaces.
///
/// The defaults give a plain child in the caller's namespaces. Add kinds to ``namespaces`` to
/// isolate it; related settings (``hostname``, ``mountProc``, ``mapRootUser``) check that the
/// namespace they change is new, so that a typo never changes the host.
public struct SpawnConfiguration: Sendable {
    /// The command and its arguments; `arguments[0]` is the command name. Required.
    public var arguments: [String] {
        get { argumentList.strings }
        set { argumentList = CStringList(newValue) }
    }
    /// The file to execute. `nil` resolves `arguments[0]` through `PATH` in the parent, as
    /// `execvp` would, so that a missing command fails `spawn` instead of exiting 127.
    public var executable: String?
    /// The environment as `"NAME=value"` strings. `nil` passes the caller's environment.
    public var environment: [String]? {
        get { environmentList?.strings }
        set { environmentList = newValue.map { CStringList($0) } }
    }
    /// The working directory of the command. `nil` keeps the caller's.
    public var workingDirectory: String?
    /// The namespaces to create.
    public var namespaces: NamespaceSet
    /// The hostname inside a new UTS namespace (at most 64 bytes).
    public var hostname: String?
    /// The NIS domain name inside a new UTS namespace (at most 64 bytes).
    public var domainname: String?
    /// Mount a fresh procfs on `/proc` so that `ps` shows only the new PID namespace. `nil` means
    /// yes when both a PID and a mount namespace are new. Needs a new mount namespace.
    public var mountProc: Bool?
    /// The propagation applied recursively to `/` in a new mount namespace, so that nothing
    /// mounted inside reaches the host. `nil` leaves the copied propagation untouched.
    public var rootPropagation: MountPropagation?
    /// Run ``arguments`` under NSCore's tiny init (`nscore-init`) as PID 1: it reaps orphaned
    /// zombies, forwards SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 to the command and exits
    /// with its status.
    public var useInit: Bool
    /// Map root inside a new user namespace to the caller's uid and gid outside (as
    /// `unshare --map-root-user`). Implies a new user namespace.
    public var mapRootUser: Bool
    /// Send SIGKILL to the container when the thread that spawned it exits
    /// (`PR_SET_PDEATHSIG`). Off by default: the signal follows the spawning *thread*, so a
    /// worker thread that ends would otherwise kill the containers it started.
    public var killOnParentDeath: Bool
    /// Standard input, output and error of the command.
    public var stdin: StdioSource
    public var stdout: StdioSource
    public var stderr: StdioSource

    /// ``arguments`` and ``environment`` as C strings, the form the child receives them in.
    var argumentList: CStringList
    var environmentList: CStringList?

    /// A configuration that runs `arguments` in the caller's namespaces.
    public init(_ arguments: [String], namespaces: NamespaceSet = []) {
        self.argumentList = arguments.isEmpty ? .empty : CStringList(arguments)
        self.executable = nil
        self.environmentList = nil
        self.workingDirectory = nil
        self.namespaces = namespaces
        self.hostname = nil
        self.domainname = nil
        self.mountProc = nil
        self.rootPropagation = .private
        self.useInit = false
        self.mapRootUser = false
        self.killOnParentDeath = false
        self.stdin = .inherit
        self.stdout = .inherit
        self.stderr = .inherit
    }
}

extension SpawnConfiguration {
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

/// How mount and unmount events propagate between a mount and its peers (`mount(2)` with
/// `MS_SHARED`, `MS_SLAVE`, `MS_PRIVATE`, `MS_UNBINDABLE`).
public enum MountPropagation: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// Events propagate both ways between peers.
    case shared = 1
    /// Events propagate from the master into this mount, never back.
    case slave = 2
    /// No propagation either way.
    case `private` = 3
    /// Private, and the mount cannot be bind-mounted (nor copied into a new mount namespace).
    case unbindable = 4

    /// The `MS_*` flag, combined with `MS_REC` by callers that apply it to a tree.
    public var mountFlag: UInt {
        switch self {
        case .shared: return UInt(MS_SHARED)
        case .slave: return UInt(MS_SLAVE)
        case .private: return UInt(MS_PRIVATE)
        case .unbindable: return UInt(MS_UNBINDABLE)
        }
    }

    public var description: String {
        switch self {
        case .shared: return "shared"
        case .slave: return "slave"
        case .private: return "private"
        case .unbindable: return "unbindable"
        }
    }
}
