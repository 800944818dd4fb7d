import CNSCoreShim
import Glibc

/// What a container's cgroup has used, as typed values (nil where this machine's hierarchy
/// does not keep the figure).
public struct ResourceStats: Sendable, Equatable {
    /// Memory in use, bytes (v1 `memory.usage_in_bytes`, v2 `memory.current`).
    public var memoryCurrent: UInt64?
    /// The most it used, bytes (v1 `memory.max_usage_in_bytes`, v2 `memory.peak`, Linux 5.19).
    public var memoryPeak: UInt64?
    /// Its limit, bytes (nil: none).
    public var memoryLimit: UInt64?
    /// Times it hit the limit (v1 `memory.failcnt`, v2 `memory.events` `max`).
    public var memoryLimitHits: UInt64?
    /// Processes the OOM killer killed in it (v1 `memory.oom_control` `oom_kill`, v2
    /// `memory.events` `oom_kill`).
    public var oomKills: UInt64?
    /// CPU time used, nanoseconds (v1 `cpuacct.usage`, v2 `cpu.stat` `usage_usec`).
    public var cpuUsageNanoseconds: UInt64?
    /// Accounting periods, those in which it was throttled, and the time throttled
    /// (`cpu.stat`: `nr_periods`, `nr_throttled`, `throttled_time` or `throttled_usec`).
    public var cpuPeriods: UInt64?
    public var cpuThrottledPeriods: UInt64?
    public var cpuThrottledNanoseconds: UInt64?
    /// Processes and threads (`pids.current`), and the limit (nil: none).
    public var pidsCurrent: UInt64?
    public var pidsLimit: UInt64?
    /// Times the cgroup hit its memory limit and reclaim failed, so the OOM killer was called
    /// (v2 `memory.events` `oom`; v1 keeps no count).
    public var oomEvents: UInt64?
    /// Bytes and operations per device, for a container given ``Resources/blockIO`` (v1
    /// `blkio.throttle.io_service_bytes_recursive` and `io_serviced_recursive`, v2 `io.stat`).
    public var io: [DeviceIO] = []

    /// One device's io (``io``).
    public struct DeviceIO: Sendable, Equatable {
        public var major: UInt32
        public var minor: UInt32
        public var readBytes: UInt64 = 0
        public var writeBytes: UInt64 = 0
        public var readOperations: UInt64 = 0
        public var writeOperations: UInt64 = 0
        public init(major: UInt32, minor: UInt32) {
            self.major = major
            self.minor = minor
        }
    }

    public init() {}
}

/// A container's cgroup directories, and what can be done with them: the cgroups of a
/// ``Container`` this process spawned (``Container/cgroupSet``), or those of a container another
/// process started (``CgroupSet/of(pid:)``, as `nscore stats PID` does).
public struct CgroupSet: Sendable, Equatable {
    /// One directory per hierarchy.
    public let directories: [String]
    var cgroups: [String] { directories }

    public init(directories: [String]) { self.directories = directories }

    /// The NSCore-made cgroups (`nscore-*`) process `pid` is in, as directories of this
    /// process's cgroup mounts.
    /// - Throws: ``NSCoreError``: (process exited) for a process that is gone, (invalid
    ///   argument) for one in no cgroup NSCore made.
    public static func of(pid: pid_t) throws(NSCoreError) -> CgroupSet {
        let dirs = try CgroupLayout.containerDirectories(of: pid)
        if dirs.isEmpty {
            throw .invalid("cgroups", "cgroups: process \(pid) is in no cgroup NSCore made (a container started with resources is)")
        }
        return CgroupSet(directories: dirs)
    }
}

extension Container {
    /// What ``cgroupEventFD(_:)`` watches.
    public typealias CgroupEvent = NSCore.CgroupEvent
    /// This container's cgroups (empty without ``SpawnConfiguration/resources``).
    public var cgroupSet: CgroupSet { CgroupSet(directories: cgroups) }
    /// What the container's cgroup has used so far (``CgroupSet/resourceStats()``).
    public func resourceStats() throws(NSCoreError) -> ResourceStats { try cgroupSet.resourceStats() }
    /// Freezes every process of the container (``CgroupSet/freeze()``).
    public func freeze() throws(NSCoreError) { try cgroupSet.freeze() }
    /// Lets a frozen container run again.
    public func thaw() throws(NSCoreError) { try cgroupSet.thaw() }
    /// Kills every process of the container, descendants included (``CgroupSet/killAll()``).
    public func killAll() throws(NSCoreError) { try cgroupSet.killAll() }
    /// Changes the limits of the running container (``CgroupSet/updateResources(_:)``).
    public func updateResources(_ r: Resources) throws(NSCoreError) { try cgroupSet.updateResources(r) }
    /// A pollable fd for `event` (``CgroupSet/cgroupEventFD(_:)``); the caller owns it.
    public func cgroupEventFD(_ event: CgroupEvent) throws(NSCoreError) -> Int32 { try cgroupSet.cgroupEventFD(event) }
    /// Waits until no process is left in the container's cgroup (``CgroupSet/waitUntilEmpty(timeoutMilliseconds:)``).
    public func waitUntilEmpty(timeoutMilliseconds: Int32 = -1) throws(NSCoreError) -> Bool {
        try cgroupSet.waitUntilEmpty(timeoutMilliseconds: timeoutMilliseconds)
    }
}

/// What ``CgroupSet/cgroupEventFD(_:)`` watches.
public enum CgroupEvent: Sendable {
    /// `cgroup.events` changed: its `populated` (no process left in it or its descendants)
    /// or `frozen` state (cgroup2; a hybrid machine has it too).
    case populated
    /// The OOM killer acted in it, or it hit its memory limit (v2 `memory.events`; v1 an
    /// eventfd registered on `memory.oom_control`).
    case oom
}

extension CgroupSet {
    /// What the container's cgroup has used so far.
    /// - Throws: ``NSCoreError``: (invalid argument) for a container spawned without
    ///   ``SpawnConfiguration/resources``; (process exited) once it is reaped (its cgroup is gone).
    public func resourceStats() throws(NSCoreError) -> ResourceStats {
        try requireCgroup("resource stats")
        var s = ResourceStats()
        func value(_ dir: String, _ file: String) -> String? { try? CgroupPlan.readText(dir + "/" + file) }
        func number(_ dir: String, _ file: String) -> UInt64? { value(dir, file).flatMap { UInt64($0) } }
        func keyed(_ dir: String, _ file: String) -> [Substring: UInt64] {
            var out: [Substring: UInt64] = [:]
            for line in (value(dir, file) ?? "").split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count == 2, let v = UInt64(f[1]) { out[f[0]] = v }
            }
            return out
        }
        var any = false
        // Which controllers each directory has (its hierarchy's, v1; its cgroup.controllers,
        // v2), so that only files that exist are read; unknown: every candidate is tried.
        let mounts = (try? CgroupLayout.cgroupMounts()) ?? []
        for d in cgroups {
            let m = mounts.filter { d.hasPrefix($0.mountPoint + "/") }.max { $0.mountPoint.count < $1.mountPoint.count }
            let v2 = m.map { $0.fsType == "cgroup2" }
            let known: Set<String>? = m.map { m in
                // cpu.stat is a core file of every cgroup2 cgroup.
                v2 == true ? Set((value(d, "cgroup.controllers") ?? "").split(separator: " ").map(String.init)).union(["cpu"])
                    : Set(m.superOptions)
            }
            func has(_ controller: String) -> Bool { known?.contains(controller) ?? true }
            if has("memory"), v2 != true, let v = number(d, "memory.usage_in_bytes") {
                any = true
                s.memoryCurrent = v
                s.memoryPeak = number(d, "memory.max_usage_in_bytes")
                s.memoryLimit = number(d, "memory.limit_in_bytes").flatMap { $0 >= 1 << 62 ? nil : $0 }
                // With a memory+swap limit the charge fails there first.
                s.memoryLimitHits = Swift.max(number(d, "memory.failcnt") ?? 0, number(d, "memory.memsw.failcnt") ?? 0)
                s.oomKills = keyed(d, "memory.oom_control")["oom_kill"]
            } else if has("memory"), v2 != false, let v = number(d, "memory.current") {
                any = true
                s.memoryCurrent = v
                s.memoryPeak = number(d, "memory.peak")
                s.memoryLimit = number(d, "memory.max")
                let events = keyed(d, "memory.events")
                s.memoryLimitHits = events["max"]
                s.oomKills = events["oom_kill"]
                s.oomEvents = events["oom"]
            }
            if has("blkio"), v2 != true, let v1 = value(d, "blkio.throttle.io_service_bytes_recursive") {
                any = true
                s.io = Self.blkioStats(bytes: v1, operations: value(d, "blkio.throttle.io_serviced_recursive") ?? "")
            } else if has("io"), v2 != false, let text = value(d, "io.stat") {
                any = true
                s.io = Self.ioStat(text)
            }
            if has("cpuacct"), v2 != true, let v = number(d, "cpuacct.usage") { any = true; s.cpuUsageNanoseconds = v }
            let stat = has("cpu") ? keyed(d, "cpu.stat") : [:]
            if !stat.isEmpty {
                any = true
                if let u = stat["usage_usec"] { s.cpuUsageNanoseconds = u * 1000 }
                if let p = stat["nr_periods"] { s.cpuPeriods = p }
                if let t = stat["nr_throttled"] { s.cpuThrottledPeriods = t }
                if let t = stat["throttled_time"] { s.cpuThrottledNanoseconds = t }
                if let t = stat["throttled_usec"] { s.cpuThrottledNanoseconds = t * 1000 }
            }
            if has("pids"), let v = number(d, "pids.current") {
                any = true
                s.pidsCurrent = v
                s.pidsLimit = number(d, "pids.max")
            }
        }
        if !any { try requireLive("resource stats") }
        return s
    }

    /// v1's `MAJ:MIN Read N` lines (one file for bytes, one for operations).
    static func blkioStats(bytes: String, operations: String) -> [ResourceStats.DeviceIO] {
        var out: [ResourceStats.DeviceIO] = []
        func entry(_ dev: Substring) -> Int? {
            let mm = dev.split(separator: ":")
            guard mm.count == 2, let ma = UInt32(mm[0]), let mi = UInt32(mm[1]) else { return nil }
            if let i = out.firstIndex(where: { $0.major == ma && $0.minor == mi }) { return i }
            out.append(ResourceStats.DeviceIO(major: ma, minor: mi))
            return out.count - 1
        }
        for (text, isBytes) in [(bytes, true), (operations, false)] {
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ")
                guard f.count == 3, let v = UInt64(f[2]), f[1] == "Read" || f[1] == "Write", let i = entry(f[0]) else { continue }
                switch (isBytes, f[1] == "Read") {
                case (true, true): out[i].readBytes = v
                case (true, false): out[i].writeBytes = v
                case (false, true): out[i].readOperations = v
                case (false, false): out[i].writeOperations = v
                }
            }
        }
        return out
    }

    /// v2's `MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...` lines.
    static func ioStat(_ text: String) -> [ResourceStats.DeviceIO] {
        var out: [ResourceStats.DeviceIO] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            let mm = f.first?.split(separator: ":") ?? []
            guard mm.count == 2, let ma = UInt32(mm[0]), let mi = UInt32(mm[1]) else { continue }
            var d = ResourceStats.DeviceIO(major: ma, minor: mi)
            for kv in f.dropFirst() {
                let p = kv.split(separator: "=")
                guard p.count == 2, let v = UInt64(p[1]) else { continue }
                switch p[0] {
                case "rbytes": d.readBytes = v
                case "wbytes": d.writeBytes = v
                case "rios": d.readOperations = v
                case "wios": d.writeOperations = v
                default: break
                }
            }
            out.append(d)
        }
        return out
    }

    /// Freezes every process of the container (v2 `cgroup.freeze`, v1 freezer `FROZEN`) and
    /// waits until they are.
    public func freeze() throws(NSCoreError) { try setFrozen(true) }

    /// Lets a frozen container run again.
    public func thaw() throws(NSCoreError) { try setFrozen(false) }

    /// Kills every process of the container, its descendants included (v2 `cgroup.kill`,
    /// Linux 5.14; else frozen, each process killed, thawed).
    public func killAll() throws(NSCoreError) {
        try requireCgroup("kill every process")
        try requireLive("kill every process")
        if let d = cgroups.first(where: { access($0 + "/cgroup.kill", F_OK) == 0 }) {
            try write(d, "cgroup.kill", "1", "kill every process")
            return
        }
        try signal(SIGKILL)
    }

    /// Sends `signal` to every process of the container, descendants included: frozen first so
    /// that none forks meanwhile, then thawed (a frozen process acts on the signal once thawed).
    public func signal(_ signal: Int32) throws(NSCoreError) {
        try requireCgroup("signal every process")
        try requireLive("signal every process")
        try setFrozen(true)
        var pids: Set<pid_t> = []
        for d in cgroups {
            for line in ((try? CgroupPlan.readText(d + "/cgroup.procs")) ?? "").split(separator: "\n") {
                if let p = pid_t(line) { pids.insert(p) }
            }
        }
        for p in pids { kill(p, signal) }
        try setFrozen(false)
    }

    /// Changes the limits of a running container. Only limits whose controller it has (it was
    /// given a limit of that kind at spawn) can change.
    /// - Throws: ``NSCoreError`` naming a bad value, or a limit the container's cgroup cannot take.
    public func updateResources(_ r: Resources) throws(NSCoreError) {
        try requireCgroup("update resources")
        try requireLive("update resources")
        let name = String(cgroups[0].split(separator: "/").last!)
        let layout = try CgroupLayout.current()
        // A swap limit alone keeps the memory limit the container has (swap is memory + swap).
        var r = r
        if var m = r.memory, m.swap != nil, m.limit == nil, let current = try? resourceStats().memoryLimit {
            m.limit = Int64(clamping: current)
            r.memory = m
        }
        let planned = try CgroupPlan.plan(r, name: name, layout: layout, control: false)
        // The writes go to the container's directory in the same hierarchy, wherever it is
        // (below another cgroup than this caller's, or at its cgroupsPath).
        func mountPoint(_ path: String) -> String? {
            layout.hierarchies.map(\.mountPoint).filter { path.hasPrefix($0 + "/") }.max(by: { $0.count < $1.count })
        }
        var directories: [CgroupPlan.Directory] = []
        for var d in planned.directories {
            guard let m = mountPoint(d.path), let mine = cgroups.first(where: { mountPoint($0) == m }) else {
                // v1: the hierarchy's directory is named after its controller(s).
                let kind = d.v2 ? d.controllers.joined(separator: "/") : String(d.path.split(separator: "/").dropLast().last ?? "")
                throw .invalid("resources", "resources: the container has no \(kind) cgroup; "
                               + "a limit of that kind must be given at spawn to be changed later")
            }
            // cgroup2 keeps every controller in one directory: one its parent does not give it
            // has no files there.
            if d.v2, !d.controllers.isEmpty {
                let has = Set(((try? CgroupPlan.readText(mine + "/cgroup.controllers")) ?? "").split(separator: " ").map(String.init))
                if let missing = d.controllers.first(where: { !has.contains($0) }) {
                    throw .invalid("resources", "resources: the container's cgroup has no \(missing) controller; "
                                   + "a limit of that kind must be given at spawn to be changed later")
                }
            }
            d.path = mine
            directories.append(d)
        }
        for d in directories {
            var writes = d.writes.filter { !($0.0.hasPrefix("cpuset.") && $0.1.isEmpty) }
            // v1 refuses a memory limit above the memory+swap one: raise memory+swap first.
            if let l = writes.firstIndex(where: { $0.0 == "memory.limit_in_bytes" }),
               let w = writes.firstIndex(where: { $0.0 == "memory.memsw.limit_in_bytes" }), w > l {
                let memsw = writes.remove(at: w)
                writes.insert(memsw, at: l)
            }
            // cpu.max holds quota and period: keep the one not given.
            if let i = writes.firstIndex(where: { $0.0 == "cpu.max" }),
               let current = try? CgroupPlan.readText(d.path + "/cpu.max") {
                let now = current.split(separator: " ")
                let new = writes[i].1.split(separator: " ")
                if now.count == 2 && new.count == 2 {
                    let quota = r.cpu?.quota != nil ? new[0] : now[0]
                    let period = r.cpu?.period != nil ? new[1] : now[1]
                    writes[i].1 = "\(quota) \(period)"
                }
            }
            for (planned, value) in writes {
                var (file, value) = (planned, value)
                if file == CgroupPlan.weightFile { (file, value) = try CgroupPlan.resolveWeight(value, in: d.path, v2: d.v2) }
                try write(d.path, file, value, "update resources")
            }
        }
    }

    private func setFrozen(_ frozen: Bool) throws(NSCoreError) {
        let what = frozen ? "freeze" : "thaw"
        try requireCgroup(what)
        try requireLive(what)
        if let d = cgroups.first(where: { access($0 + "/cgroup.freeze", F_OK) == 0 }) {
            try write(d, "cgroup.freeze", frozen ? "1" : "0", what)
            // Frozen once cgroup.events says so (a task in a syscall takes a moment).
            for _ in 0..<2000 {
                let events = (try? CgroupPlan.readText(d + "/cgroup.events")) ?? ""
                if events.contains(frozen ? "frozen 1" : "frozen 0") { return }
                usleep(500)
            }
            throw NSCoreError(.timedOut, errno: Errno(rawValue: ETIMEDOUT), stage: what, message: "\(what): the cgroup did not settle within 1 s")
        }
        if let d = cgroups.first(where: { access($0 + "/freezer.state", F_OK) == 0 }) {
            try write(d, "freezer.state", frozen ? "FROZEN" : "THAWED", what)
            for _ in 0..<2000 {
                let state = (try? CgroupPlan.readText(d + "/freezer.state")) ?? ""
                if state == (frozen ? "FROZEN" : "THAWED") { return }
                usleep(500)
            }
            throw NSCoreError(.timedOut, errno: Errno(rawValue: ETIMEDOUT), stage: what, message: "\(what): the freezer did not settle within 1 s")
        }
        throw NSCoreError(.unsupported, errno: Errno(rawValue: ENOTSUP), stage: what,
                          message: "\(what): the container's cgroups have neither cgroup.freeze nor a v1 freezer")
    }

    private func write(_ dir: String, _ file: String, _ value: String, _ what: String) throws(NSCoreError) {
        if case .failure(let e) = sys_writeFile(dir + "/" + file, value) {
            if e.rawValue == ENOENT { try requireLive(what) }
            throw NSCoreError(.from(errno: e), errno: e, stage: what, message: "\(what): write \(value) to \(dir)/\(file): \(e)")
        }
    }

    private func requireCgroup(_ what: String) throws(NSCoreError) {
        if cgroups.isEmpty {
            throw .invalid(what, "\(what): the container has no cgroup of its own; give it resources at spawn")
        }
    }

    private func requireLive(_ what: String) throws(NSCoreError) {
        if access(cgroups[0], F_OK) != 0 {
            throw NSCoreError(.processExited, errno: Errno(rawValue: ESRCH), stage: what,
                              message: "\(what): the container has ended and its cgroup is gone")
        }
    }
}

extension CgroupSet {
    /// An fd that becomes readable (POLLPRI on a cgroup2 file, POLLIN on a v1 eventfd) when
    /// `event` happens to the container's cgroup, for callers that wait in their own poll or
    /// epoll loop. The caller owns it (close it when done).
    /// - Throws: ``NSCoreError`` when the container has no cgroup, or its hierarchy lacks the file.
    public func cgroupEventFD(_ event: CgroupEvent) throws(NSCoreError) -> Int32 {
        let what = "cgroup events"
        try requireCgroup(what)
        try requireLive(what)
        switch event {
        case .populated:
            guard let d = cgroups.first(where: { access($0 + "/cgroup.events", F_OK) == 0 }) else {
                throw NSCoreError(.unsupported, errno: Errno(rawValue: ENOTSUP), stage: what,
                                  message: "\(what): the container's cgroups have no cgroup.events (no cgroup2 hierarchy)")
            }
            return try openEvents(d + "/cgroup.events", what)
        case .oom:
            if let d = cgroups.first(where: { access($0 + "/memory.events", F_OK) == 0 }) {
                return try openEvents(d + "/memory.events", what)
            }
            guard let d = cgroups.first(where: { access($0 + "/memory.oom_control", F_OK) == 0 }) else {
                throw .invalid(what, "\(what): the container has no memory cgroup; give it a memory limit at spawn")
            }
            // cgroup v1's notification API: an eventfd, registered with cgroup.event_control.
            let efd = nsc_shim_eventfd_cloexec()
            if efd < 0 { throw .sys(.current, "eventfd") }
            let control = open(d + "/memory.oom_control", O_RDONLY | O_CLOEXEC)
            if control < 0 {
                let e = Errno.current
                close(efd)
                throw .sys(e, "open \(d)/memory.oom_control")
            }
            defer { close(control) }
            if case .failure(let e) = sys_writeFile(d + "/cgroup.event_control", "\(efd) \(control)") {
                close(efd)
                throw .sys(e, "register with \(d)/cgroup.event_control")
            }
            return efd
        }
    }

    /// Waits until no process is left in the container's cgroup, descendants included
    /// (`cgroup.events` `populated 0`), or `timeoutMilliseconds` pass (-1: no limit).
    /// Returns false on timeout.
    public func waitUntilEmpty(timeoutMilliseconds: Int32 = -1) throws(NSCoreError) -> Bool {
        let fd = try cgroupEventFD(.populated)
        defer { close(fd) }
        let deadline = timeoutMilliseconds < 0 ? Int64.max : Self.milliseconds() + Int64(timeoutMilliseconds)
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            // Reading through the fd (from its start) also re-arms its POLLPRI.
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { throw .sys(.current, "read cgroup.events") }
            if String(decoding: buffer[0..<n], as: UTF8.self).contains("populated 0") { return true }
            let now = Self.milliseconds()
            if now >= deadline { return false }
            var p = pollfd(fd: fd, events: Int16(POLLPRI), revents: 0)
            let wait = deadline == Int64.max ? -1 : Int32(clamping: deadline - now)
            if Glibc.poll(&p, 1, wait) < 0 && errno != EINTR { throw .sys(.current, "poll cgroup.events") }
        }
    }

    private func openEvents(_ path: String, _ what: String) throws(NSCoreError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .sys(.current, "open \(path)") }
        return fd
    }

    private static func milliseconds() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
    }
}

extension ResourceStats {
    /// The stats as a JSON object with the field names above (`null` where a figure is not
    /// kept); with `pid` and `cgroups`, those first: `{"pid":N,"cgroups":[...],"memoryCurrent":...}`.
    public func json(pid: pid_t? = nil, cgroups: [String]? = nil) -> String {
        var w = JSONWriter()
        w.beginObject()
        if let pid { w.field("pid", pid) }
        if let cgroups {
            w.key("cgroups")
            w.beginArray()
            for c in cgroups { w.value(c) }
            w.endArray()
        }
        let fields: [(String, UInt64?)] = [
            ("memoryCurrent", memoryCurrent), ("memoryPeak", memoryPeak), ("memoryLimit", memoryLimit),
            ("memoryLimitHits", memoryLimitHits), ("oomKills", oomKills), ("cpuUsageNanoseconds", cpuUsageNanoseconds),
            ("cpuPeriods", cpuPeriods), ("cpuThrottledPeriods", cpuThrottledPeriods),
            ("cpuThrottledNanoseconds", cpuThrottledNanoseconds), ("pidsCurrent", pidsCurrent), ("pidsLimit", pidsLimit),
            ("oomEvents", oomEvents),
        ]
        for (name, value) in fields {
            w.key(name)
            if let value { w.value(value) } else { w.null() }
        }
        w.key("io")
        w.beginArray()
        for d in io {
            w.beginObject()
            w.field("major", Int(d.major))
            w.field("minor", Int(d.minor))
            for (name, v) in [("readBytes", d.readBytes), ("writeBytes", d.writeBytes), ("readOperations", d.readOperations),
                              ("writeOperations", d.writeOperations)] {
                w.key(name)
                w.value(v)
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.string
    }
}

extension CgroupSet {
    /// `{"pid":N,"cgroups":["DIR",...]}`.
    public func json(pid: pid_t) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("pid", pid)
        w.key("cgroups")
        w.beginArray()
        for d in directories { w.value(d) }
        w.endArray()
        w.endObject()
        return w.string
    }
}
