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
    /// `linux.resources.blockIO`: v1 `blkio`, v2 `io`.
    public var blockIO: BlockIO?
    /// `linux.resources.hugepageLimits`: the `hugetlb` controller.
    public var hugepageLimits: [HugepageLimit]

    public init(memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil, blockIO: BlockIO? = nil,
                hugepageLimits: [HugepageLimit] = []) {
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.blockIO = blockIO
        self.hugepageLimits = hugepageLimits
    }

    /// `linux.resources.memory`. Sizes are bytes; -1 means no limit.
    public struct Memory: Sendable, Hashable {
        /// The hard limit (`limit`: v1 `memory.limit_in_bytes`, v2 `memory.max`).
        public var limit: Int64?
        /// The soft limit (`reservation`: v1 `memory.soft_limit_in_bytes`, v2 `memory.low`, as runc
        /// and crun write it).
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

    /// `linux.resources.blockIO`. Devices are named by their major and minor numbers (`ls -l
    /// /dev/vda`, /sys/dev/block) and must exist; limits apply to whole disks.
    public struct BlockIO: Sendable, Hashable {
        /// Relative weight, 10 to 1000 (`weight`: v1 `blkio.weight` or `blkio.bfq.weight`; v2
        /// `io.bfq.weight`, or `io.weight` converted to its 1 to 10000). The kernel keeps a
        /// weight only with an io scheduler that honours it (BFQ, or cgroup2's io cost model).
        public var weight: UInt16?
        /// Per-device weights (`weightDevice`).
        public var weightDevice: [WeightDevice]
        /// Bytes per second read from a device (`throttleReadBpsDevice`: v1
        /// `blkio.throttle.read_bps_device`, v2 `io.max` `rbps`); a rate of 0 removes the limit.
        public var throttleReadBpsDevice: [ThrottleDevice]
        /// Bytes per second written (`throttleWriteBpsDevice`: `wbps`).
        public var throttleWriteBpsDevice: [ThrottleDevice]
        /// Read operations per second (`throttleReadIOPSDevice`: `riops`).
        public var throttleReadIOPSDevice: [ThrottleDevice]
        /// Write operations per second (`throttleWriteIOPSDevice`: `wiops`).
        public var throttleWriteIOPSDevice: [ThrottleDevice]

        public init(weight: UInt16? = nil, weightDevice: [WeightDevice] = [], throttleReadBpsDevice: [ThrottleDevice] = [],
                    throttleWriteBpsDevice: [ThrottleDevice] = [], throttleReadIOPSDevice: [ThrottleDevice] = [],
                    throttleWriteIOPSDevice: [ThrottleDevice] = []) {
            self.weight = weight
            self.weightDevice = weightDevice
            self.throttleReadBpsDevice = throttleReadBpsDevice
            self.throttleWriteBpsDevice = throttleWriteBpsDevice
            self.throttleReadIOPSDevice = throttleReadIOPSDevice
            self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
        }

        /// True when no limit is set.
        var isEmpty: Bool {
            weight == nil && weightDevice.isEmpty && throttleReadBpsDevice.isEmpty && throttleWriteBpsDevice.isEmpty
                && throttleReadIOPSDevice.isEmpty && throttleWriteIOPSDevice.isEmpty
        }
    }

    /// A device's weight (`weightDevice[]`).
    public struct WeightDevice: Sendable, Hashable {
        public var major: Int64
        public var minor: Int64
        public var weight: UInt16
        public init(major: Int64, minor: Int64, weight: UInt16) {
            self.major = major
            self.minor = minor
            self.weight = weight
        }
    }

    /// A device's rate limit (`throttle*Device[]`).
    public struct ThrottleDevice: Sendable, Hashable {
        public var major: Int64
        public var minor: Int64
        public var rate: UInt64
        public init(major: Int64, minor: Int64, rate: UInt64) {
            self.major = major
            self.minor = minor
            self.rate = rate
        }
    }

    /// `linux.resources.hugepageLimits[]`: at most `limit` bytes of huge pages of `pageSize`
    /// (`"2MB"`, `"1GB"`, as the kernel names them in v1 `hugetlb.2MB.limit_in_bytes` and v2
    /// `hugetlb.2MB.max`).
    public struct HugepageLimit: Sendable, Hashable {
        public var pageSize: String
        public var limit: UInt64
        public init(pageSize: String, limit: UInt64) {
            self.pageSize = pageSize
            self.limit = limit
        }
    }
}
