import Glibc
import NSCore

/// `nscore run`'s cgroup resource options, in docker run's names, units and meanings
/// (`--memory`, `--memory-reservation`, `--memory-swap`, `--oom-kill-disable`, `--cpus`,
/// `--cpu-shares`, `--cpu-period`, `--cpu-quota`, `--cpuset-cpus`, `--cpuset-mems`,
/// `--pids-limit`, `--blkio-weight`, `--blkio-weight-device`, `--device-read-bps`,
/// `--device-write-bps`, `--device-read-iops`, `--device-write-iops`), and `--hugetlb
/// SIZE:LIMIT`, which docker lacks (OCI `hugepageLimits`), turned into
/// ``SpawnConfiguration/resources`` (their help is in RunCommand.help). Docker's `-m` is not
/// offered: here it is `--mount`.
///
/// Any of them gives the container a cgroup of its own below nscore's, with the limits written
/// before the command runs; the engine removes it when the container is reaped.
///
/// Text is parsed here, so that a bad value is a usage error (exit 2) naming the option and
/// the value: a SIZE that is not a positive size in docker's units (`256m`, `1g`, `512k`,
/// `1024`), a number outside the kernel's range (cpu shares, period, quota), `--cpus` outside
/// 0.01 to the machine's CPU count, a malformed cpuset list, and what docker refuses of the
/// combinations (`--cpus` with `--cpu-period` or `--cpu-quota`, a reservation above the limit).
/// A DEVICE is a path, resolved here to its major and minor numbers (stat's `st_rdev`): one
/// that does not exist or is not a block device is a usage error naming the option.
/// What only the machine can judge (a CPU or memory node it does not have, `--memory-swap`
/// below `--memory`, a controller it lacks, no write access to nscore's cgroup) fails at spawn
/// with the engine's message, its field names replaced by these options' (exit 125).
///
/// Where the cgroup goes (``SpawnConfiguration/cgroupsPath``), for `nscore run` only:
/// docker's `--cgroup-parent PATH` names the cgroup to put it in (it becomes
/// `PATH/nscore-<nscore's pid>-1`, the name the engine would give it), and `--cgroups-path
/// PATH` the container's cgroup itself, as OCI's `linux.cgroupsPath`. Either needs a limit,
/// and a PATH with a `.` or `..` component is a usage error; a parent that does not exist or
/// a cgroup that does fails at spawn with the engine's message.
///
/// Two differences from docker: without `--memory-swap`, swap is not limited (docker's daemon
/// lets the container use as much swap as `--memory` where the kernel accounts swap), and 0
/// is refused where docker reads it as "not set" (`--memory 0`), except `--pids-limit 0`
/// (no limit, as `-1`).
struct ResourceOptions {
    /// `forUpdate`: the flags `nscore update` takes (all but `--oom-kill-disable`, as `docker
    /// update`).
    static func add(to t: inout OptionTable, forUpdate: Bool = false) {
        t.add(OptionSpec("memory", value: .required))
        t.add(OptionSpec("memory-reservation", value: .required))
        t.add(OptionSpec("memory-swap", value: .required))
        // A flag, or docker's `--oom-kill-disable=true|false`.
        if !forUpdate { t.add(OptionSpec("oom-kill-disable", value: .optionalAttached)) }
        t.add(OptionSpec("cpus", value: .required))
        t.add(OptionSpec("cpu-shares", value: .required))
        t.add(OptionSpec("cpu-period", value: .required))
        t.add(OptionSpec("cpu-quota", value: .required))
        t.add(OptionSpec("cpuset-cpus", value: .required))
        t.add(OptionSpec("cpuset-mems", value: .required))
        t.add(OptionSpec("pids-limit", value: .required))
        t.add(OptionSpec("blkio-weight", value: .required))
        t.add(OptionSpec("blkio-weight-device", value: .required))
        t.add(OptionSpec("device-read-bps", value: .required))
        t.add(OptionSpec("device-write-bps", value: .required))
        t.add(OptionSpec("device-read-iops", value: .required))
        t.add(OptionSpec("device-write-iops", value: .required))
        t.add(OptionSpec("hugetlb", value: .required))
        if !forUpdate {
            t.add(OptionSpec("cgroup-parent", value: .required))
            t.add(OptionSpec("cgroups-path", value: .required))
        }
    }

    /// The CFS period `--cpus` is a share of (docker's), in microseconds.
    static let cpusPeriod: Int64 = 100_000

    /// True once any of these options was given: the container then gets a cgroup.
    private var given = false
    private var memory = Resources.Memory()
    private var cpu = Resources.CPU()
    private var pids: Resources.Pids?
    /// `--cpus` as a quota of ``cpusPeriod`` microseconds.
    private var cpusQuota: Int64?
    /// How `--cpu-period` or `--cpu-quota` was spelled, when one was given.
    private var periodOrQuota: String?
    private var blockIO = Resources.BlockIO()
    /// The DEVICE of each entry of ``blockIO``'s lists, by the engine's name of the list
    /// (`weightDevice`, `throttleReadBpsDevice`, ...), for ``explained(_:)``.
    private var devices: [String: [String]] = [:]
    private var hugepages: [Resources.HugepageLimit] = []
    /// `--cgroup-parent` or `--cgroups-path` as given (the last one wins), and the
    /// cgroupsPath it makes.
    private var placement: (spelling: String, path: String)?

    /// Applies `option`; false when it is not one of these.
    mutating func apply(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> Bool {
        let text = option.value ?? ""
        switch option.name {
        case "memory": memory.limit = try Self.size(option, parser)
        case "memory-reservation": memory.reservation = try Self.size(option, parser)
        case "memory-swap":
            memory.swap = text == "-1" ? -1 : try Self.size(option, parser, orUnlimited: true)
        case "oom-kill-disable":
            switch option.value {
            case nil, "true": memory.disableOOMKiller = true
            case "false":
                memory.disableOOMKiller = nil
                return true  // asks for nothing: no cgroup on its account
            default: throw parser.usage("invalid value '\(text)' for '\(option.spelling)': expected true or false")
            }
        case "cpus": cpusQuota = try Self.cpus(option, parser)
        case "cpu-shares":
            guard let n = UInt64(text), n >= 2, n <= 262_144 else {
                throw Self.invalid(option, parser, "expected a relative weight from 2 to 262144 (the default is 1024)")
            }
            cpu.shares = n
        case "cpu-period":
            guard let n = UInt64(text), n >= 1000, n <= 1_000_000 else {
                throw Self.invalid(option, parser, "expected microseconds from 1000 to 1000000")
            }
            cpu.period = n
            periodOrQuota = option.spelling
        case "cpu-quota":
            guard let n = Int64(text), n == -1 || n >= 1000 else {
                throw Self.invalid(option, parser, "expected microseconds, at least 1000, or -1 for no limit")
            }
            cpu.quota = n
            periodOrQuota = option.spelling
        case "cpuset-cpus":
            guard Self.isList(text) else { throw Self.invalid(option, parser, "expected a list of CPUs such as 0-2,4") }
            cpu.cpus = text
        case "cpuset-mems":
            guard Self.isList(text) else {
                throw Self.invalid(option, parser, "expected a list of memory nodes such as 0 or 0-1")
            }
            cpu.mems = text
        case "pids-limit":
            guard let n = Int64(text), n >= -1 else {
                throw Self.invalid(option, parser, "expected a number of processes, or -1 (or 0) for no limit")
            }
            pids = Resources.Pids(limit: n)
        case "blkio-weight":
            guard let n = UInt16(text), n >= 10, n <= 1000 else {
                throw Self.invalid(option, parser, "expected a relative weight from 10 to 1000")
            }
            blockIO.weight = n
        case "blkio-weight-device":
            let (path, major, minor, value) = try Self.device(option, parser, "DEVICE:WEIGHT such as /dev/vda:200")
            guard let n = UInt16(value), n >= 10, n <= 1000 else {
                throw Self.invalid(option, parser, "expected a weight from 10 to 1000 after the ':'")
            }
            devices["weightDevice", default: []].removeAll { $0 == path }
            devices["weightDevice", default: []].append(path)
            blockIO.weightDevice.removeAll { $0.major == major && $0.minor == minor }
            blockIO.weightDevice.append(Resources.WeightDevice(major: major, minor: minor, weight: n))
        case "device-read-bps", "device-write-bps", "device-read-iops", "device-write-iops":
            let bps = option.name == "device-read-bps" || option.name == "device-write-bps"
            let (path, major, minor, value) = try Self.device(
                option, parser, bps ? "DEVICE:RATE such as /dev/vda:1mb" : "DEVICE:N such as /dev/vda:100")
            let rate: UInt64
            if bps {
                guard let n = Self.bytes(value) else {
                    throw Self.invalid(option, parser, "expected bytes per second after the ':', such as 1048576, "
                                       + "512k or 1mb (0 for no limit)")
                }
                rate = UInt64(n)
            } else {
                guard let n = UInt64(value) else {
                    throw Self.invalid(option, parser, "expected operations per second after the ':' (0 for no limit)")
                }
                rate = n
            }
            let entry = Resources.ThrottleDevice(major: major, minor: minor, rate: rate)
            let field: String
            switch option.name {
            case "device-read-bps": field = "throttleReadBpsDevice"; Self.put(entry, &blockIO.throttleReadBpsDevice)
            case "device-write-bps": field = "throttleWriteBpsDevice"; Self.put(entry, &blockIO.throttleWriteBpsDevice)
            case "device-read-iops": field = "throttleReadIOPSDevice"; Self.put(entry, &blockIO.throttleReadIOPSDevice)
            default: field = "throttleWriteIOPSDevice"; Self.put(entry, &blockIO.throttleWriteIOPSDevice)
            }
            devices[field, default: []].removeAll { $0 == path }
            devices[field, default: []].append(path)
        case "cgroup-parent", "cgroups-path":
            let parent = option.name == "cgroup-parent"
            let names = text.split(separator: "/")
            // A parent may be a hierarchy's root ("/"); the container's cgroup needs a name.
            guard !text.isEmpty, parent ? text.hasPrefix("/") || !names.isEmpty : !names.isEmpty,
                  !names.contains(where: { $0 == "." || $0 == ".." }) else {
                throw Self.invalid(option, parser, "expected a cgroup path: names separated by '/', without '.' or "
                                   + "'..'; absolute from each hierarchy's root, else from nscore's cgroup")
            }
            // docker's parent holds the container's cgroup, named as the engine would name it.
            let leaf: Substring = "nscore-\(getpid())-1"
            let path = parent ? (text.hasPrefix("/") ? "/" : "") + (names + [leaf]).joined(separator: "/") : text
            placement = (option.spelling, path)
            return true  // no cgroup on its account: it places the one a limit asks for
        case "hugetlb":
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let limit = Self.bytes(String(parts[1])) else {
                throw Self.invalid(option, parser, "expected SIZE:LIMIT, a huge page size and a limit in bytes, "
                                   + "such as 2MB:64m")
            }
            let size = parts[0].uppercased()
            hugepages.removeAll { $0.pageSize == size }
            hugepages.append(Resources.HugepageLimit(pageSize: size, limit: UInt64(limit)))
        default:
            return false
        }
        given = true
        return true
    }

    /// Sets `config.resources` when an option asks to. Inlined: without these options, `nscore
    /// run` only tests a flag and calls nothing.
    /// - Throws: a usage error for a combination docker refuses.
    @inline(__always)
    func configure(_ config: inout SpawnConfiguration, _ parser: ArgumentParser) throws(CLIError) {
        if given || placement != nil { try configureGiven(&config, parser) }
    }

    /// ``configure(_:_:)`` once an option was given.
    @inline(never)
    private func configureGiven(_ config: inout SpawnConfiguration, _ parser: ArgumentParser) throws(CLIError) {
        if let placement {
            guard given else {
                throw parser.usage("\(placement.spelling) needs a resource limit such as --memory (only a limit gives "
                                   + "COMMAND a cgroup of its own)")
            }
            config.cgroupsPath = placement.path
        }
        var cpu = cpu
        if let cpusQuota {
            if let periodOrQuota {
                throw parser.usage("'--cpus' and '\(periodOrQuota)' cannot both be given "
                                   + "(--cpus is a quota of a \(Self.cpusPeriod) µs period)")
            }
            cpu.quota = cpusQuota
            cpu.period = UInt64(Self.cpusPeriod)
        }
        if let limit = memory.limit, let reservation = memory.reservation, reservation > limit {
            throw parser.usage("'--memory-reservation' (\(reservation) bytes) must not be above '--memory' "
                               + "(\(limit) bytes)")
        }
        if memory.disableOOMKiller == true && memory.limit == nil {
            // docker run's warning.
            Output.err("nscore: warning: disabling the OOM killer without a --memory limit may be dangerous\n")
        }
        let hasMemory = memory != Resources.Memory()
        let hasCPU = cpu != Resources.CPU()
        let hasBlockIO = blockIO != Resources.BlockIO()
        config.resources = Resources(memory: hasMemory ? memory : nil, cpu: hasCPU ? cpu : nil, pids: pids,
                                     blockIO: hasBlockIO ? blockIO : nil, hugepageLimits: hugepages)
    }

    /// `error` from the spawn, with the engine's names of the settings (`memory.swap`) replaced
    /// by the options that set them (`--memory-swap`).
    @inline(never)
    func explained(_ error: NSCoreError) -> NSCoreError {
        if error.stage == "cgroups" || error.stage == "cgroupsPath" {
            var e = error
            // The engine's advice for a caller whose cgroup holds processes, in these options.
            e.message = e.message.replacingAll("give cgroupsPath a cgroup whose parent holds none",
                                               with: "give --cgroup-parent a cgroup that holds none")
            if let placement, placement.spelling == "--cgroups-path" {
                e.message = e.message.replacingAll("cgroupsPath", with: "--cgroups-path")
            }
            return e
        }
        guard error.stage == "resources" else { return error }
        var e = error
        // Longest first where one name starts another (blockIO.weightDevice[0] before
        // blockIO.weight, hugepageLimits[0].pageSize before hugepageLimits[0]).
        var names: [(String, String)] = []
        for (field, flag) in [("weightDevice", "--blkio-weight-device"), ("throttleReadBpsDevice", "--device-read-bps"),
                              ("throttleWriteBpsDevice", "--device-write-bps"),
                              ("throttleReadIOPSDevice", "--device-read-iops"),
                              ("throttleWriteIOPSDevice", "--device-write-iops")] {
            for (i, path) in (devices[field] ?? []).enumerated() { names.append(("blockIO.\(field)[\(i)]", "\(flag) \(path)")) }
        }
        for (i, h) in hugepages.enumerated() {
            names.append(("hugepageLimits[\(i)].pageSize", "--hugetlb page size"))
            names.append(("hugepageLimits[\(i)]", "--hugetlb \(h.pageSize)"))
        }
        names += [("memory.limit", "--memory"), ("memory.reservation", "--memory-reservation"),
                  ("memory.swap", "--memory-swap"), ("cpu.shares", "--cpu-shares"),
                  ("cpu.period", "--cpu-period"), ("cpu.quota", "--cpu-quota"),
                  ("cpu.cpus", "--cpuset-cpus"), ("cpu.mems", "--cpuset-mems"),
                  ("pids.limit", "--pids-limit"), ("blockIO.weight", "--blkio-weight")]
        for (field, flag) in names {
            e.message = e.message.replacingAll(field, with: flag)
        }
        return e
    }

    // ---- Values ------------------------------------------------------------------------------

    /// `DEVICE:VALUE`: the device's path (split at the last `:`), its major and minor numbers
    /// (stat(2)'s `st_rdev`), and the value's text.
    /// - Throws: a usage error naming the option for a malformed value, a path that cannot be
    ///   stat'ed, or one that is not a block device.
    private static func device(_ option: ParsedOption, _ parser: ArgumentParser,
                               _ form: String) throws(CLIError) -> (String, Int64, Int64, String) {
        let text = option.value ?? ""
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else {
            throw invalid(option, parser, "expected \(form)")
        }
        let path = String(text[..<colon])
        var st = stat()
        if stat(path, &st) != 0 {
            let reason = String(cString: strerror(errno))
            throw invalid(option, parser, "\(path): \(reason); give a disk such as /dev/vda")
        }
        guard st.st_mode & S_IFMT == S_IFBLK else {
            throw invalid(option, parser, "\(path) is not a block device; give a disk such as /dev/vda")
        }
        // glibc's major() and minor() (sys/sysmacros.h), which are macros.
        let rdev = UInt64(st.st_rdev)
        let major = Int64(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff))
        let minor = Int64((rdev & 0xff) | ((rdev >> 12) & ~0xff))
        return (path, major, minor, String(text[text.index(after: colon)...]))
    }

    /// Adds `entry`, replacing one for the same device (the kernel keeps one rate a device).
    private static func put(_ entry: Resources.ThrottleDevice, _ list: inout [Resources.ThrottleDevice]) {
        list.removeAll { $0.major == entry.major && $0.minor == entry.minor }
        list.append(entry)
    }

    private static func invalid(_ option: ParsedOption, _ parser: ArgumentParser, _ expected: String) -> CLIError {
        parser.usage("invalid value '\(option.value ?? "")' for '\(option.spelling)': \(expected)")
    }

    /// A SIZE in docker's units (units.RAMInBytes): a number, possibly with a fraction, and an
    /// optional unit k, m, g, t or p (powers of 1024, case-insensitive, optionally followed by
    /// `i`), then an optional `b`: `1024`, `1024b`, `512k`, `256m`, `256MB`, `1.5g`, `1GiB`.
    /// Greater than 0, at most Int64.max bytes.
    private static func size(_ option: ParsedOption, _ parser: ArgumentParser,
                             orUnlimited: Bool = false) throws(CLIError) -> Int64 {
        guard let n = bytes(option.value ?? ""), n > 0 else {
            throw invalid(option, parser, "expected a size such as 1024, 512k, 256m or 1g (units b, k, m, g)"
                          + (orUnlimited ? ", or -1 for unlimited swap" : ""))
        }
        return n
    }

    /// The bytes `text` names, or nil when it is not a size.
    static func bytes(_ text: String) -> Int64? {
        let utf8 = Array(text.utf8)
        var i = 0
        func digits() -> ArraySlice<UInt8> {
            let start = i
            while i < utf8.count && utf8[i] >= UInt8(ascii: "0") && utf8[i] <= UInt8(ascii: "9") { i += 1 }
            return utf8[start..<i]
        }
        let whole = digits()
        guard !whole.isEmpty else { return nil }
        var fraction: ArraySlice<UInt8> = []
        if i < utf8.count && utf8[i] == UInt8(ascii: ".") {
            i += 1
            fraction = digits()
            guard !fraction.isEmpty else { return nil }
        }
        let unit = String(decoding: utf8[i...], as: UTF8.self).lowercased()
        var shift = 0
        switch unit.first {
        case "k": shift = 10
        case "m": shift = 20
        case "g": shift = 30
        case "t": shift = 40
        case "p": shift = 50
        default: break
        }
        var rest = Substring(unit)
        if shift > 0 {
            rest = rest.dropFirst()
            if rest.hasPrefix("i") { rest = rest.dropFirst() }
        }
        guard rest == "" || rest == "b" else { return nil }
        // whole << shift, plus the fraction's share of one unit (in floating point, as docker).
        var value: Int64 = 0
        for d in whole {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(d - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = s
        }
        guard value <= Int64.max >> shift else { return nil }
        value <<= shift
        if shift > 0 && !fraction.isEmpty {
            // Up to 18 digits of fraction (more add nothing a byte can hold) times 2^shift.
            var numerator: Double = 0
            var denominator: Double = 1
            for d in fraction.prefix(18) {
                numerator = numerator * 10 + Double(d - UInt8(ascii: "0"))
                denominator *= 10
            }
            let extra = Int64((numerator / denominator) * Double(Int64(1) << shift))
            let (s, o) = value.addingReportingOverflow(extra)
            if o { return nil }
            value = s
        }
        return value
    }

    /// `--cpus DECIMAL` as a quota of ``cpusPeriod`` µs: from 0.01 (the kernel's smallest
    /// quota, 1000 µs) to the number of CPUs online, as docker, with at most 9 decimals.
    private static func cpus(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> Int64 {
        let text = option.value ?? ""
        let online = Int64(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let range = "from 0.01 to \(online) (this machine has \(online) CPU\(online == 1 ? "" : "s"))"
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits: (Substring) -> Bool = {
            $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        guard !text.isEmpty, text != ".", parts.allSatisfy(isDigits), parts.count < 2 || parts[1].count <= 9 else {
            throw invalid(option, parser, "expected a number of CPUs such as 0.5 or 1.5, \(range)")
        }
        // Nanocpus, as docker counts them (at most 9 digits before the point: no overflow).
        guard parts[0].count <= 9 else { throw invalid(option, parser, "expected a number of CPUs \(range)") }
        let whole = parts[0].isEmpty ? 0 : Int64(parts[0])!
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        let nanos = whole * 1_000_000_000
            + (fraction.isEmpty ? 0 : Int64(fraction + String(repeating: "0", count: 9 - fraction.count))!)
        // The quota truncates to whole microseconds, as docker's does.
        let quota = nanos / (1_000_000_000 / cpusPeriod)
        guard quota >= 1000, nanos <= online * 1_000_000_000 else {
            throw invalid(option, parser, "expected a number of CPUs \(range)")
        }
        return quota
    }

    /// Whether `text` is a cpuset list: `N` or `N-M` (N <= M), comma-separated.
    static func isList(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count <= 2, ends.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.utf8.allSatisfy {
                $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")
            } }) else { return false }
            if ends.count == 2 && Int(ends[0])! > Int(ends[1])! { return false }
        }
        return true
    }
}

extension String {
    /// `self` with every `target` replaced by `replacement` (without the string-processing
    /// library, which the CLI does not otherwise link).
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while !rest.isEmpty {
            if rest.hasPrefix(target) {
                out += replacement
                rest = rest.dropFirst(target.count)
            } else {
                out.append(rest.removeFirst())
            }
        }
        return out
    }
}
