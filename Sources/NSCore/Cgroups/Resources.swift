/// Resource limits for a container's cgroup (the OCI runtime spec's `linux.resources`).
///
/// A spawn with resources gets a cgroup of its own below the caller's, in every hierarchy that
/// holds a controller it needs (cgroup v1 on a legacy or hybrid machine, the unified cgroup2
/// hierarchy where it has them). The limits are written before the command runs: the child
/// waits until the parent has placed it. The cgroup is removed once the container is reaped.
public struct Resources: Sendable, Hashable {
    public var memory: Memory?
    public var cpu: CPU?
    public var pids: Pids?

    public init(memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil) {
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
    }

    /// `linux.resources.memory`. Sizes are bytes; -1 means no limit.
    public struct Memory: Sendable, Hashable {
        /// The hard limit (`limit`: v1 `memory.limit_in_bytes`, v2 `memory.max`).
        public var limit: Int64?
        /// The soft limit (`reservation`: v1 `memory.soft_limit_in_bytes`, v2 `memory.high`).
        public var reservation: Int64?
        /// Memory plus swap (`swap`: v1 `memory.memsw.limit_in_bytes`; v2 `memory.swap.max` gets
        /// `swap - limit`).
        public var swap: Int64?
        /// Pause instead of killing at the limit (`disableOOMKiller`: v1 `memory.oom_control`;
        /// cgroup v2 has no such switch: an error there).
        public var disableOOMKiller: Bool?

        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, disableOOMKiller: Bool? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
            self.disableOOMKiller = disableOOMKiller
        }
    }

    /// `linux.resources.cpu`.
    public struct CPU: Sendable, Hashable {
        /// Relative weight (`shares`, 2 to 262144: v1 `cpu.shares`; v2 `cpu.weight`, converted).
        public var shares: UInt64?
        /// Microseconds of CPU time per ``period`` (`quota`; -1: no limit).
        public var quota: Int64?
        /// The accounting period in microseconds (`period`, 1000 to 1000000; default 100000).
        public var period: UInt64?
        /// CPUs the container may run on (`cpus`, a list such as `0-2,4`).
        public var cpus: String?
        /// Memory nodes it may allocate from (`mems`).
        public var mems: String?

        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil, cpus: String? = nil, mems: String? = nil) {
            self.shares = shares
            self.quota = quota
            self.period = period
            self.cpus = cpus
            self.mems = mems
        }
    }

    /// `linux.resources.pids`.
    public struct Pids: Sendable, Hashable {
        /// The most processes and threads (`limit`; -1 or 0: no limit).
        public var limit: Int64

        public init(limit: Int64) { self.limit = limit }
    }
}
