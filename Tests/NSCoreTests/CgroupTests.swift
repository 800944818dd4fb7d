import Glibc
import Testing

@testable import NSCore

/// Cgroups on this machine's kernel (hybrid here: v1 controllers, a cgroup2 mount without
/// them): a cgroup per container with its limits before the command runs, enforced, and
/// removed at the reap or when the spawn fails.
@Suite(.serialized)
struct CgroupTests {
    /// This process's leftover container cgroups in every hierarchy.
    static func leftovers() -> [String] {
        guard let layout = try? CgroupLayout.current() else { return [] }
        var dirs = Array(layout.v1.values)
        if let u = layout.unified { dirs.append(u) }
        var out: [String] = []
        for d in Set(dirs) {
            guard let dir = opendir(d) else { continue }
            defer { closedir(dir) }
            while let e = readdir(dir) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if name.hasPrefix("nscore-\(getpid())-") { out.append(d + "/" + name) }
            }
        }
        return out
    }

    static func config(_ script: String, _ r: Resources) -> SpawnConfiguration {
        var c = SpawnConfiguration(["python3", "-c", script], namespaces: [.pid, .mount])
        c.resources = r
        return c
    }

    @Test func theLimitsAreWrittenBeforeTheCommandAndTheCgroupGoesAtTheReap() throws {
        var c = SpawnConfiguration(["sh", "-c", "cat /proc/self/cgroup"], namespaces: [.pid, .mount])
        c.resources = Resources(memory: .init(limit: 64 << 20), cpu: .init(shares: 512, quota: 20_000, period: 100_000),
                                pids: .init(limit: 32))
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        c.stdout = .fd(fds[1])
        let container = try Container.spawn(c)
        close(fds[1])
        let dirs = container.cgroups
        #expect(dirs.count >= 2, "\(dirs)")
        // Read from outside while it exists (the command may have finished: the reap removes it).
        for d in dirs {
            if d.contains("/memory/") { #expect((try? CgroupPlan.readText(d + "/memory.limit_in_bytes")) == String(64 << 20)) }
            if d.contains("/pids/") { #expect((try? CgroupPlan.readText(d + "/pids.max")) == "32") }
            if d.hasSuffix("") && d.contains("/cpu/") || d.contains("/cpu,cpuacct/") {
                #expect((try? CgroupPlan.readText(d + "/cpu.cfs_quota_us")) == "20000")
                #expect((try? CgroupPlan.readText(d + "/cpu.shares")) == "512")
            }
        }
        let out = T.readAll(fds[0])
        close(fds[0])
        #expect(try container.wait() == .exited(0))
        // From inside: its own cgroup in each hierarchy it was given (the first thing it ran).
        for d in dirs {
            let leaf = String(d.split(separator: "/").last!)
            #expect(out.contains(leaf), "\(out)")
        }
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
    }

    @Test func aMemoryHogIsKilledAtItsLimit() throws {
        let r = Resources(memory: .init(limit: 32 << 20, swap: 32 << 20))
        let (s, out) = try T.run(Self.config("b = bytearray(256 << 20); print('survived', flush=True)", r))
        #expect(s == .signaled(SIGKILL), "\(s) \(out)")
        #expect(out == "")
        #expect(Self.leftovers().isEmpty)
    }

    @Test func aForkBombStopsAtPidsMax() throws {
        let script = """
            import os, time
            n = 0
            try:
                while n < 200:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    n += 1
            except OSError as e:
                print(n, e.errno, flush=True)
            """
        let (s, out) = try T.run(Self.config(script, Resources(pids: .init(limit: 10))))
        // PID 1 and 9 children; the 10th fork fails with EAGAIN. Its exit kills the rest.
        #expect(s == .exited(0) && out == "9 11\n", "\(s) \(out)")
        #expect(Self.leftovers().isEmpty)
    }

    @Test func badResourcesAreRefusedAndNothingIsLeft() throws {
        func message(_ r: Resources, _ tweak: (inout SpawnConfiguration) -> Void = { _ in }) -> String {
            var c = SpawnConfiguration(["true"], namespaces: [.pid, .mount])
            c.resources = r
            tweak(&c)
            do {
                _ = try Container.spawn(c).wait()
                return "spawned"
            } catch {
                return error.message
            }
        }
        #expect(message(Resources(memory: .init(limit: -5))) == "resources: memory.limit is -5; give a size in bytes, or -1 for no limit")
        #expect(message(Resources(memory: .init(limit: 100))).contains("below one page"))
        #expect(message(Resources(memory: .init(limit: 64 << 20, swap: 32 << 20))).contains("must be at least memory.limit"))
        #expect(message(Resources(cpu: .init(shares: 1))).contains("cpu.shares is 1"))
        #expect(message(Resources(cpu: .init(quota: 10))).contains("cpu.quota is 10"))
        #expect(message(Resources(cpu: .init(cpus: "0-4096"))).contains("names CPU"))
        #expect(message(Resources(cpu: .init(cpus: "zero"))).contains("is not a list"))
        #expect(message(Resources(pids: .init(limit: -7))).contains("pids.limit is -7"))
        // A step that fails in the child after the cgroup was made: it is removed.
        let failed = message(Resources(pids: .init(limit: 5))) { $0.mounts = [Mount(destination: "/mnt", type: "nosuchfs", source: "x")] }
        #expect(failed.contains("fsopen"), "\(failed)")
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
        #expect(T.children().isEmpty)
    }

    /// With a cgroup namespace, the container's own cgroup is its "/" (the child enters the
    /// namespace once it has been placed).
    @Test func aCgroupNamespaceIsRootedAtTheContainersCgroup() throws {
        var c = SpawnConfiguration(["cat", "/proc/self/cgroup"], namespaces: [.pid, .mount, .cgroup])
        c.resources = Resources(pids: .init(limit: 20))
        let (s, out) = try T.run(c)
        #expect(s == .exited(0))
        let pids = out.split(separator: "\n").first { $0.contains(":pids:") }
        #expect(pids.map { $0.hasSuffix(":pids:/") } == true, "\(out)")
        #expect(Self.leftovers().isEmpty)
    }

    /// The events as pollable fds: an OOM kill signals the OOM fd (v1's eventfd here) and
    /// shows in the stats; populated goes to 0 once the last process, an orphan included, is gone.
    @Test func oomAndPopulatedEvents() throws {
        var c = SpawnConfiguration(["python3", "-c", "import time; time.sleep(0.3); b = bytearray(256 << 20)"])
        c.resources = Resources(memory: .init(limit: 32 << 20, swap: 32 << 20))
        let box = try Container.spawn(c)
        let oom = try box.cgroupEventFD(.oom)
        defer { close(oom) }
        var p = pollfd(fd: oom, events: Int16(POLLIN | POLLPRI), revents: 0)
        #expect(Glibc.poll(&p, 1, 10_000) == 1, "no OOM event")
        // The kill follows the event: the stats count it once it is done.
        var kills: UInt64 = 0
        for _ in 0..<200 where kills == 0 {
            kills = (try? box.resourceStats().oomKills ?? 0) ?? 0
            usleep(5000)
        }
        #expect(kills >= 1)
        #expect(try box.wait() == .signaled(SIGKILL))

        // populated: 1 while it runs, 0 once it has exited (before the reap).
        var d = SpawnConfiguration(["sleep", "0.4"])
        d.resources = Resources(pids: .init(limit: 10))
        let parent = try Container.spawn(d)
        #expect(try parent.waitUntilEmpty(timeoutMilliseconds: 50) == false)
        #expect(try parent.waitUntilEmpty(timeoutMilliseconds: 5000) == true)
        #expect(try parent.wait() == .exited(0))
        #expect(Self.leftovers().isEmpty)
    }

    /// Updates as runc makes them: raising memory above memory+swap (v1 wants memory+swap
    /// first), a swap limit alone (the memory limit kept); after the reap every control says
    /// the container has ended.
    @Test func memoryUpdatesAndControlsAfterTheReap() throws {
        var c = SpawnConfiguration(["sleep", "5"])
        c.resources = Resources(memory: .init(limit: 32 << 20, swap: 32 << 20), cpu: .init(quota: 50_000, period: 100_000))
        let box = try Container.spawn(c)
        try box.updateResources(Resources(memory: .init(limit: 64 << 20, swap: 64 << 20)))
        #expect(try box.resourceStats().memoryLimit == 64 << 20)
        try box.updateResources(Resources(memory: .init(swap: 128 << 20)))
        #expect(try box.resourceStats().memoryLimit == 64 << 20)
        if let mem = box.cgroups.first(where: { access($0 + "/memory.memsw.limit_in_bytes", F_OK) == 0 }) {
            #expect((try? CgroupPlan.readText(mem + "/memory.memsw.limit_in_bytes")) == String(128 << 20))
        }
        try box.killAll()
        _ = try box.wait()
        for (what, call) in [("freeze", { try box.freeze() }), ("kill", { try box.killAll() }),
                             ("update", { try box.updateResources(Resources(pids: .init(limit: 3))) }),
                             ("events", { _ = try box.cgroupEventFD(.populated) })] as [(String, () throws -> Void)] {
            #expect(throws: NSCoreError.self, "\(what)") { try call() }
            do { try call() } catch { #expect((error as? NSCoreError)?.code == .processExited, "\(what): \(error)") }
        }
        #expect(Self.leftovers().isEmpty)
    }

    @Test func theCpusetIsApplied() throws {
        var c = SpawnConfiguration(["grep", "Cpus_allowed_list", "/proc/self/status"], namespaces: [.pid, .mount])
        c.resources = Resources(cpu: .init(cpus: "0"))
        let (s, out) = try T.run(c)
        #expect(s == .exited(0) && out.hasSuffix("\t0\n"), "\(out)")
        #expect(Self.leftovers().isEmpty)
    }

    /// Freeze stops a counter, thaw resumes it; the stats have memory, pids and cpu figures;
    /// a quota of 0.2 CPU shows throttling; a limit changes while it runs; kill-all leaves no
    /// process, descendants included (no PID namespace here, so none dies with the first).
    @Test func freezeThawStatsUpdateAndKillAll() throws {
        let dir = PlanStepTests.tempDir()
        defer { _ = try? T.run(["rm", "-rf", dir]) }
        let counter = dir + "/count"
        var c = SpawnConfiguration(["sh", "-c", "sh -c 'while :; do :; done' & while :; do echo x >> \(counter); done"])
        c.resources = Resources(memory: .init(limit: 64 << 20), cpu: .init(quota: 20_000, period: 100_000), pids: .init(limit: 50))
        let box = try Container.spawn(c)
        defer { try? box.killAll(); _ = try? box.wait() }
        func size() -> Int {
            var st = stat()
            return stat(counter, &st) == 0 ? Int(st.st_size) : -1
        }
        usleep(300_000)
        try box.freeze()
        let a = size()
        usleep(200_000)
        let b = size()
        #expect(a > 0 && a == b, "frozen: \(a) then \(b)")
        try box.thaw()
        usleep(300_000)
        #expect(size() > b, "thawed: \(b) then \(size())")

        let stats = try box.resourceStats()
        #expect((stats.memoryCurrent ?? 0) > 0 && stats.memoryLimit == 64 << 20, "\(stats)")
        #expect((stats.pidsCurrent ?? 0) >= 2 && stats.pidsLimit == 50, "\(stats)")
        #expect((stats.cpuUsageNanoseconds ?? 0) > 0, "\(stats)")
        #expect((stats.cpuThrottledPeriods ?? 0) > 0 && (stats.cpuThrottledNanoseconds ?? 0) > 0, "0.2 CPU for two busy loops: \(stats)")

        try box.updateResources(Resources(pids: .init(limit: 40)))
        #expect(try box.resourceStats().pidsLimit == 40)
        #expect {
            try box.updateResources(Resources(cpu: .init(cpus: "0")))
        } throws: { e in
            (e as? NSCoreError)?.message.contains("must be given at spawn") == true
        }

        // Found again from its pid alone, as another process (the CLI) would.
        #expect(try CgroupSet.of(pid: box.pid).directories == box.cgroups.sorted())
        #expect(throws: NSCoreError.self) { _ = try CgroupSet.of(pid: getpid()) }
        let procs = box.cgroups.compactMap { try? CgroupPlan.readText($0 + "/cgroup.procs") }.joined(separator: "\n")
        #expect(procs.split(separator: "\n").count >= 2, "\(procs)")
        try box.killAll()
        #expect(try box.wait() == .signaled(SIGKILL))
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
        #expect {
            _ = try box.resourceStats()
        } throws: { e in
            (e as? NSCoreError)?.code == .processExited
        }
        // A container without resources has no cgroup to control.
        let plain = try Container.spawn(SpawnConfiguration(["true"]))
        _ = try plain.wait()
        #expect(throws: NSCoreError.self) { try plain.freeze() }
    }
}
