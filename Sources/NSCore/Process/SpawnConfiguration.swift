import Glibc

/// Everything needed to start a process in new namespaces.
///
/// The defaults give a plain child in the caller's namespaces. Add kinds to ``namespaces`` to
/// isolate it; related settings (``hostname``, ``mountProc``, ``mapRootUser``) check that the
/// namespace they change is new, so that a typo never changes the host.
public struct SpawnConfiguration: Sendable, ProcessConfigurable {
    /// The process to start: command, environment, working directory, stdio, parent-death
    /// signal. Its settings are also reachable directly (``arguments``, ``stdout``, ...).
    public var process: ProcessConfiguration
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
    /// mounted inside reaches the host (the OCI spec's `linux.rootfsPropagation`). `nil` leaves
    /// the copied propagation untouched. With a ``root``, it is applied before the rootfs is
    /// bound, so the root inherits it. Without a new mount namespace only the default
    /// (`.private`) and `nil` are accepted: spawning throws invalid argument for the others.
    public var rootPropagation: MountPropagation?
    /// Run the container in this root filesystem (`root`): `pivot_root` into it, the host's
    /// tree detached. Needs a new mount namespace. Commands are looked up in the rootfs.
    public var root: Root?
    /// Mount proc, /dev (a tmpfs with null, zero, full, random, urandom, tty, the `fd`, `stdin`,
    /// `stdout`, `stderr` and `ptmx` links), /dev/pts, /dev/shm, /dev/mqueue (with a new IPC
    /// namespace) and sysfs in the ``root`` before the caller's ``mounts``, as Docker does.
    /// An OCI front end that lists every mount itself turns this off.
    public var defaultMounts: Bool
    /// Mounts made in the new mount namespace, in order, after the default ones (`mounts`).
    /// With a ``root`` their destinations are inside it; without, in the copy of the caller's
    /// tree.
    public var mounts: [Mount]
    /// Paths hidden from the container (`linux.maskedPaths`). `nil` means
    /// ``Mount/defaultMaskedPaths`` with a ``root``, none without.
    public var maskedPaths: [String]?
    /// Paths made read-only (`linux.readonlyPaths`). `nil` means
    /// ``Mount/defaultReadonlyPaths`` with a ``root``, none without.
    public var readonlyPaths: [String]?
    /// Run ``arguments`` under NSCore's tiny init (`nscore-init`) as PID 1: it reaps orphaned
    /// zombies, forwards SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 to the command and exits
    /// with its status.
    public var useInit: Bool
    /// Map root inside a new user namespace to the caller's uid and gid outside (as
    /// `unshare --map-root-user`). Implies a new user namespace.
    public var mapRootUser: Bool
    /// The uid map of the new user namespace (`linux.uidMappings`): ranges of ids inside and
    /// the ids outside they are. Implies a new user namespace. Root writes any map; another
    /// caller maps ranges through `newuidmap` (Debian's `uidmap`) and `/etc/subuid`, or only
    /// its own uid. Without a ``ProcessConfiguration/user`` the command runs as uid 0 of it.
    public var uidMappings: [IDMapping]
    /// The gid map (`linux.gidMappings`), as ``uidMappings`` (`newgidmap`, `/etc/subgid`).
    public var gidMappings: [IDMapping]
    /// `PR_SET_NO_NEW_PRIVS` for the command (`process.noNewPrivileges`): setuid and file
    /// capabilities give it nothing. nil: on for a container with a root filesystem, off for a
    /// plain namespace spawn (where a setuid program such as sudo keeps working).
    public var noNewPrivileges: Bool?
    /// The seccomp filter (the OCI runtime spec's `linux.seccomp`). `nil`: ``Seccomp/default``
    /// for a container with a root filesystem, no filter for a plain namespace spawn.
    /// ``Seccomp/unconfined`` installs none.
    public var seccomp: Seccomp?
    /// Resource limits (the OCI runtime spec's `linux.resources`): set, the container gets a
    /// cgroup of its own below the caller's, with these limits before the command runs, removed
    /// once it is reaped (``Container/cgroups``). `nil`: no cgroup of its own.
    public var resources: Resources?
    /// The offsets of a new time namespace's clocks (the OCI runtime spec's `linux.timeOffsets`;
    /// util-linux `unshare --monotonic/--boottime`): what `CLOCK_MONOTONIC` and
    /// `CLOCK_BOOTTIME` read inside differ from the host's by them. Needs ``NamespaceKind/time``;
    /// a time namespace without offsets reads the host's clocks.
    public var timeOffsets: TimeOffsets?
    /// Where the container's cgroup goes (the OCI runtime spec's `linux.cgroupsPath`): an
    /// absolute path is from the root of each hierarchy (as this process sees it), a relative
    /// one from the caller's own cgroup. The last component is the container's cgroup, which
    /// must not exist yet; its parent must. `nil`: `nscore-<caller's pid>-<n>` below the
    /// caller's cgroup (or, on cgroup2 for a user whose cgroup holds processes, below the
    /// nearest cgroup of its delegated subtree that gives the controllers to its children).
    /// Used only with ``resources``.
    public var cgroupsPath: String?
    /// How a new network namespace is connected: only `lo` (``NetworkConfiguration/none``, the
    /// default), or a veth pair set up before the command runs.
    public var network: NetworkConfiguration

    /// A configuration that runs `arguments` in the caller's namespaces.
    public init(_ arguments: [String], namespaces: NamespaceSet = []) {
        self.init(ProcessConfiguration(arguments), namespaces: namespaces)
    }

    /// A configuration that starts `process` in new `namespaces`.
    public init(_ process: ProcessConfiguration, namespaces: NamespaceSet = []) {
        self.process = process
        self.namespaces = namespaces
        self.hostname = nil
        self.domainname = nil
        self.mountProc = nil
        self.rootPropagation = .private
        self.root = nil
        self.defaultMounts = true
        self.mounts = []
        self.maskedPaths = nil
        self.readonlyPaths = nil
        self.useInit = false
        self.mapRootUser = false
        self.uidMappings = []
        self.gidMappings = []
        self.noNewPrivileges = nil
        self.seccomp = nil
        self.resources = nil
        self.cgroupsPath = nil
        self.timeOffsets = nil
        self.network = .none
    }
}

/// How mount and unmount events propagate between a mount and its peers (`mount(2)` with
/// `MS_SHARED`, `MS_SLAVE`, `MS_PRIVATE`, `MS_UNBINDABLE`, and `MS_SLAVE` then `MS_SHARED`).
public enum MountPropagation: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// Events propagate both ways between peers.
    case shared = 1
    /// Events propagate from the master into this mount, never back.
    case slave = 2
    /// No propagation either way.
    case `private` = 3
    /// Private, and the mount cannot be bind-mounted (nor copied into a new mount namespace).
    case unbindable = 4
    /// Slave, then shared: receives from its master's peer group and passes events on to
    /// peers of its own (a third namespace that copies it), never back to the master.
    case sharedAndSlave = 5

    /// The `MS_*` flag, combined with `MS_REC` by callers that apply it to a tree. For
    /// ``sharedAndSlave``, the flag of its second step (`MS_SHARED`, after `MS_SLAVE`).
    public var mountFlag: UInt {
        switch self {
        case .shared, .sharedAndSlave: return UInt(MS_SHARED)
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
        case .sharedAndSlave: return "shared+slave"
        }
    }
}

/// The clock offsets of a new time namespace (`linux.timeOffsets`).
public struct TimeOffsets: Sendable, Hashable {
    /// `CLOCK_MONOTONIC` (and its raw and coarse variants).
    public var monotonic: Offset?
    /// `CLOCK_BOOTTIME`.
    public var boottime: Offset?

    public init(monotonic: Offset? = nil, boottime: Offset? = nil) {
        self.monotonic = monotonic
        self.boottime = boottime
    }

    /// `secs` and `nanosecs` (0 to 999999999) added to the clock; either may be negative
    /// overall (a negative `seconds`), as long as the clock stays at or above 0.
    public struct Offset: Sendable, Hashable {
        public var seconds: Int64
        public var nanoseconds: Int64

        public init(seconds: Int64, nanoseconds: Int64 = 0) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }
    }
}
