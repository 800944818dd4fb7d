import Glibc
import Testing

@testable import NSCore

/// The child started in its cgroup2 directory (`CLONE_INTO_CGROUP`), io and huge page limits,
/// on this machine's kernel: the cgroup2 mount of this hybrid machine offers hugetlb only, the
/// v1 blkio hierarchy the throttles.
extension CgroupTests {
    /// The device of the filesystem `path` is on, when it is a whole disk.
    static func disk(of path: String) -> (major: Int64, minor: Int64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let major = Int64((st.st_dev >> 8) & 0xfff), minor = Int64((st.st_dev & 0xff) | ((st.st_dev >> 12) & 0xfff00))
        guard access("/sys/dev/block/\(major):\(minor)", F_OK) == 0,
              access("/sys/dev/block/\(major):\(minor)/partition", F_OK) != 0 else { return nil }
        return (major, minor)
    }

    /// Without v1 work the child needs no wait: it is cloned into its cgroup2 directory, and the
    /// cgroup2 core files (freeze, kill, populated) work on it.
    @Test func aChildIsClonedIntoItsCgroup2Directory() throws {
        guard let unified = try CgroupLayout.current().unified else { return }
        var c = SpawnConfiguration(["sh", "-c", "cat /proc/self/cgroup; exec sleep 30"], namespaces: [.pid, .mount])
        c.resources = Resources()
        #expect(try SpawnPlanner.plan(c).waitsForParent == false)
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        c.stdout = .fd(fds[1])
        let container = try Container.spawn(c)
        close(fds[1])
        defer { try? container.signal(SIGKILL); _ = try? container.wait() }
        #expect(container.cgroups.count == 1)
        let dir = container.cgroups[0]
        #expect(dir.hasPrefix(unified + "/nscore-"), "\(dir)")
        // From outside and inside: the process is in it.
        #expect(((try? CgroupPlan.readText(dir + "/cgroup.procs")) ?? "").split(separator: "\n").contains("\(container.pid)"))
        var line = [UInt8](repeating: 0, count: 4096)
        let n = read(fds[0], &line, line.count)
        let out = String(decoding: line[0..<max(n, 0)], as: UTF8.self)
        #expect(out.split(separator: "\n").contains { $0.hasPrefix("0::") && $0.hasSuffix(String(dir.split(separator: "/").last!)) },
                "\(out)")
        close(fds[0])
        try container.freeze()
        #expect(((try? CgroupPlan.readText(dir + "/cgroup.events")) ?? "").contains("frozen 1"))
        try container.thaw()
        try container.killAll()
        #expect(try container.waitUntilEmpty(timeoutMilliseconds: 5000))
        #expect(try container.wait() == .signaled(SIGKILL))
        #expect(access(dir, F_OK) != 0)
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
    }

    /// hugetlb on cgroup2 (the one controller this machine's cgroup2 has): the limit is in
    /// `hugetlb.2MB.max` before the command runs, and a third huge page faults (SIGBUS) when
    /// two are allowed.
    @Test func aHugePageLimitOnCgroup2() throws {
        let layout = try CgroupLayout.current()
        guard layout.place(of: "hugetlb")?.v2 == true, CgroupPlan.hugePageSizes().contains("2MB") else { return }
        var c = SpawnConfiguration(["cat", "/proc/self/cgroup"], namespaces: [.pid, .mount])
        c.resources = Resources(hugepageLimits: [.init(pageSize: "2MB", limit: 4 << 20)])
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        c.stdout = .fd(fds[1])
        let container = try Container.spawn(c)
        close(fds[1])
        let dir = container.cgroups.first { $0.hasPrefix((layout.unified ?? "") + "/") }
        #expect(dir != nil, "\(container.cgroups)")
        if let dir { #expect((try? CgroupPlan.readText(dir + "/hugetlb.2MB.max")) == String(4 << 20)) }
        _ = T.readAll(fds[0])
        close(fds[0])
        #expect(try container.wait() == .exited(0))

        // Enforcement needs huge pages in the pool: a few, for the test only.
        let pool = "/proc/sys/vm/nr_hugepages"
        let before = (try? CgroupPlan.readText(pool)) ?? "0"
        guard case .success = sys_writeFile(pool, "4") else { return }
        defer { _ = sys_writeFile(pool, before) }
        guard (try? CgroupPlan.readText(pool)) == "4" else { return }
        let script = """
            import ctypes, sys
            libc = ctypes.CDLL(None, use_errno=True)
            libc.mmap.restype = ctypes.c_void_p
            libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
            p = libc.mmap(None, 3 << 21, 3, 0x22 | 0x40000, -1, 0)
            if p in (None, ctypes.c_void_p(-1).value): sys.exit(3)
            for i in range(3):
                ctypes.memset(p + (i << 21), 1, 1)
                print(i, flush=True)
            """
        var hog = SpawnConfiguration(["python3", "-c", script], namespaces: [.pid, .mount])
        hog.resources = Resources(hugepageLimits: [.init(pageSize: "2MB", limit: 4 << 20)])
        let (s, out) = try T.run(hog)
        #expect(s == .signaled(SIGBUS), "\(s) \(out)")
        #expect(out == "0\n1\n", "\(out)")
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
    }

    /// A write-bandwidth limit on the disk under /tmp: in the v1 blkio file before the command
    /// runs, enforced on direct writes, and the bytes in the stats.
    @Test func anIOThrottleIsEnforcedAndCounted() throws {
        let layout = try CgroupLayout.current()
        guard layout.place(of: "io")?.v2 == true || layout.v1["blkio"] != nil, let disk = Self.disk(of: "/tmp") else { return }
        let dir = "/tmp/nscore-io-\(getpid())"
        mkdir(dir, 0o755)
        defer { unlink(dir + "/f"); rmdir(dir) }
        // 1 MiB in 64 KiB direct writes at 512 KiB/s: about 2 s unthrottled would be ~10 ms.
        var c = SpawnConfiguration(["dd", "if=/dev/zero", "of=\(dir)/f", "bs=64k", "count=16", "oflag=direct", "status=none"],
                                   namespaces: [.pid, .mount])
        c.resources = Resources(blockIO: .init(throttleWriteBpsDevice: [.init(major: disk.major, minor: disk.minor, rate: 512 << 10)]))
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t0)
        let container = try Container.spawn(c)
        let blkio = container.cgroups.first { $0.contains("/blkio") || access($0 + "/io.max", F_OK) == 0 }
        #expect(blkio != nil, "\(container.cgroups)")
        if let blkio {
            let text = (try? CgroupPlan.readText(blkio + "/blkio.throttle.write_bps_device")) ?? (try? CgroupPlan.readText(blkio + "/io.max")) ?? ""
            #expect(text.contains("\(disk.major):\(disk.minor)") && (text.contains("\(512 << 10)")), "\(text)")
        }
        // Stats while it runs (the reap removes the cgroup).
        var written: UInt64 = 0
        var status: NSCore.ExitStatus? = nil
        while status == nil {
            if let d = try? container.resourceStats().io.first(where: { Int64($0.major) == disk.major && Int64($0.minor) == disk.minor }) {
                written = max(written, d.writeBytes)
            }
            usleep(100_000)
            status = try container.poll()
        }
        #expect(status == .exited(0))
        clock_gettime(CLOCK_MONOTONIC, &t1)
        let seconds = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
        #expect(seconds > 0.8, "1 MiB at 512 KiB/s took \(seconds) s")
        #expect(written >= 512 << 10, "\(written)")
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
    }

    @Test func badIOAndHugePageLimits() throws {
        func message(_ r: Resources) -> String {
            var c = SpawnConfiguration(["true"], namespaces: [.pid, .mount])
            c.resources = r
            do {
                _ = try Container.spawn(c).wait()
                return "spawned"
            } catch {
                return error.message
            }
        }
        #expect(message(Resources(blockIO: .init(throttleReadBpsDevice: [.init(major: 4000, minor: 77, rate: 1)])))
                == "resources: blockIO.throttleReadBpsDevice[0]: no block device 4000:77 on this machine (/sys/dev/block/4000:77 does not exist)")
        #expect(message(Resources(blockIO: .init(throttleWriteIOPSDevice: [.init(major: -1, minor: 0, rate: 1)])))
                .contains("blockIO.throttleWriteIOPSDevice[0]: -1:0 is not a device number"))
        #expect(message(Resources(blockIO: .init(weight: 5))) == "resources: blockIO.weight is 5; the kernel takes 10 to 1000")
        #expect(message(Resources(blockIO: .init(weightDevice: [.init(major: 1, minor: 3, weight: 2000)])))
                .contains("blockIO.weightDevice[0].weight is 2000"))
        #expect(message(Resources(hugepageLimits: [.init(pageSize: "3MB", limit: 1)]))
                .contains("hugepageLimits[0].pageSize '3MB' is not a huge page size of this machine (it has "))
        if CgroupPlan.hugePageSizes().contains("2MB") {
            #expect(message(Resources(hugepageLimits: [.init(pageSize: "2MB", limit: 0), .init(pageSize: "2MB", limit: 1)]))
                    == "resources: hugepageLimits[1] repeats page size 2MB")
        }
        // A weight goes in the file the container's own cgroup has (a root cgroup has none):
        // BFQ's, or the generic one; where neither exists it is an error, not a no-op.
        var c = SpawnConfiguration(["sleep", "5"], namespaces: [.pid, .mount])
        c.resources = Resources(blockIO: .init(weight: 500))
        do {
            let container = try Container.spawn(c)
            defer { try? container.signal(SIGKILL); _ = try? container.wait() }
            let written = container.cgroups.compactMap { d in
                ["blkio.bfq.weight", "blkio.weight", "io.bfq.weight", "io.weight"].compactMap { try? CgroupPlan.readText(d + "/" + $0) }.first
            }
            #expect(written.contains { $0 == "500" || $0.contains("default 500") || $0.contains("default 5045") }, "\(written)")
        } catch {
            #expect(error.message.contains("this kernel keeps no io weight"), "\(error.message)")
        }
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
        #expect(T.children().isEmpty)
    }

    /// A rootfs container's /sys/fs/cgroup: its own cgroups, read-only; with a cgroup namespace
    /// new cgroup filesystems rooted at its cgroup, without one its directories bound; never
    /// the host's tree.
    @Test func aRootfsContainerSeesItsOwnCgroupsReadOnly() throws {
        let layout = try CgroupLayout.current()
        guard let memory = layout.v1["memory"] ?? (layout.place(of: "memory")?.v2 == true ? layout.unified : nil) else { return }
        let v1 = layout.v1["memory"] != nil
        let script = """
            grep ' /sys/fs/cgroup' /proc/self/mountinfo | while read -r id p dev root mp opts rest; do echo "$mp $root $opts"; done
            echo 1 > /sys/fs/cgroup/\(v1 ? "memory/" : "")cgroup.procs 2>/dev/null && echo WROTE
            echo ---
            cat /sys/fs/cgroup/\(v1 ? "memory/memory.limit_in_bytes" : "memory.max")
            """
        try RootfsTests.withRootfs { rootfs, _ in
            for ns: NamespaceSet in [RootfsTests.container, RootfsTests.container.union(.cgroup)] {
                var c = RootfsTests.config(rootfs, script, ns)
                c.resources = Resources(memory: .init(limit: 48 << 20))
                let (status, out) = try T.run(c)
                #expect(status == .exited(0), "\(out)")
                let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
                let cut = lines.firstIndex(of: "---") ?? lines.endIndex
                let parts = [lines[..<cut].joined(separator: "\n"), lines[min(cut + 1, lines.endIndex)...].joined(separator: "\n")]
                let mounts = parts[0].split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
                #expect(!mounts.isEmpty, "\(out)")
                for m in mounts where m.count == 3 { #expect(m[2].hasPrefix("ro,"), "\(m)") }
                #expect(!out.contains("WROTE"))
                // Its own limit, not the caller's.
                #expect(parts.count == 2 && parts[1].hasPrefix(String(48 << 20)), "\(out)")
                let memoryMount = mounts.first { $0.first == (v1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup") }
                #expect(memoryMount != nil, "\(out)")
                if let m = memoryMount, m.count == 3 {
                    // With a cgroup namespace the new filesystem's root is the namespace's root
                    // ("/"); without, the bound directory is the container's.
                    if ns.contains(.cgroup) { #expect(m[1] == "/", "\(m)") }
                    else { #expect(m[1].contains("/nscore-\(getpid())-") && m[1] != memory, "\(m)") }
                }
            }
            // A cgroup elsewhere (cgroupsPath at the hierarchies' roots) is the one bound.
            var c = RootfsTests.config(rootfs, "grep ' /sys/fs/cgroup/memory ' /proc/self/mountinfo")
            c.resources = Resources(memory: .init(limit: 48 << 20))
            c.cgroupsPath = "/nscore-view-\(getpid())"
            let (placed, mounted) = try T.run(c)
            #expect(placed == .exited(0) && mounted.contains(" /nscore-view-\(getpid()) /sys/fs/cgroup/memory "), "\(mounted)")
            // Without resources and without a cgroup namespace: nothing of the host's.
            let (status, out) = try T.run(RootfsTests.config(rootfs, "ls /sys/fs/cgroup | wc -l"))
            #expect(status == .exited(0))
            #expect(out == "0\n", "\(out)")
        }
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
    }

    /// cgroupsPath (OCI `linux.cgroupsPath`): relative to the caller's cgroup, or absolute from
    /// each hierarchy's root; the cgroup must be new and goes at the reap; bad paths are named.
    @Test func theCgroupsPathPlacesTheContainer() throws {
        let layout = try CgroupLayout.current()
        guard let memoryParent = layout.place(of: "memory")?.directory,
              let memoryMount = layout.hierarchies.first(where: { $0.directory == memoryParent })?.mountPoint else { return }
        func spawn(_ path: String) throws(NSCoreError) -> (dirs: [String], out: String) {
            var c = SpawnConfiguration(["cat", "/proc/self/cgroup"], namespaces: [.pid, .mount])
            c.resources = Resources(memory: .init(limit: 32 << 20))
            c.cgroupsPath = path
            var fds: [Int32] = [-1, -1]
            #expect(pipe(&fds) == 0)
            c.stdout = .fd(fds[1])
            defer { close(fds[0]) }
            let container: Container
            do throws(NSCoreError) { container = try Container.spawn(c) } catch { close(fds[1]); throw error }
            close(fds[1])
            let dirs = container.cgroups
            for d in dirs where d.hasPrefix(memoryMount + "/") {
                #expect((try? CgroupPlan.readText(d + "/memory.limit_in_bytes")) ?? (try? CgroupPlan.readText(d + "/memory.max")) == String(32 << 20))
            }
            let out = T.readAll(fds[0])
            #expect(try container.wait() == .exited(0))
            for d in dirs { #expect(access(d, F_OK) != 0, "\(d) left") }
            return (dirs, out)
        }
        let relative = "box-\(getpid())"
        let (dirs, out) = try spawn(relative)
        #expect(dirs.contains(memoryParent + "/" + relative), "\(dirs)")
        #expect(out.contains(relative), "\(out)")
        let absolute = "/nscore-abs-\(getpid())"
        let (adirs, _) = try spawn(absolute)
        #expect(adirs.contains(memoryMount + absolute), "\(adirs)")

        // An existing cgroup is refused and kept; a missing parent and bad paths are named.
        let taken = memoryParent + "/" + relative
        #expect(mkdir(taken, 0o755) == 0)
        defer { rmdir(taken) }
        #expect(throws: NSCoreError.self) { _ = try spawn(relative) }
        do { _ = try spawn(relative) } catch { #expect(error.message.contains("must not exist yet"), "\(error.message)") }
        #expect(access(taken, F_OK) == 0)
        do { _ = try spawn("no-such-\(getpid())/box") } catch { #expect(error.message.contains("parent of the container's cgroup must exist"), "\(error.message)") }
        for bad in ["", "a/../b", "/", "./x"] {
            do { _ = try spawn(bad); Issue.record("\(bad) spawned") } catch {
                #expect(error.message.contains("cgroupsPath '\(bad)' must name a cgroup"), "\(error.message)")
            }
        }
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
        #expect(T.children().isEmpty)
    }

    /// Every cgroup operation of a spawn (each mkdir, limit, open and placement) failed in
    /// turn: the spawn fails naming it, and leaves no cgroup and no process.
    @Test func aFailureAtEachCgroupStepLeavesNothing() throws {
        var c = SpawnConfiguration(["true"], namespaces: [.pid, .mount, .cgroup])
        c.resources = Resources(memory: .init(limit: 64 << 20), cpu: .init(quota: 50_000), pids: .init(limit: 16))
        defer { CgroupPlan.injectFailure(at: 0) }
        var failures = 0
        for n in 1...64 {
            CgroupPlan.injectFailure(at: n)
            do {
                let container = try Container.spawn(c)
                #expect(try container.wait() == .exited(0))
                CgroupPlan.injectFailure(at: 0)
                break
            } catch {
                failures += 1
                #expect(error.stage == "cgroups", "\(n): \(error)")
                #expect(error.message.contains("Input/output error") || error.message.contains("EIO"), "\(n): \(error.message)")
            }
            CgroupPlan.injectFailure(at: 0)
            #expect(Self.leftovers().isEmpty, "after failing operation \(n): \(Self.leftovers())")
            #expect(T.children().isEmpty)
        }
        // mkdirs, limits and placements of memory, cpu, cpuacct, pids and the control cgroup.
        #expect(failures >= 8, "\(failures)")
        #expect(Self.leftovers().isEmpty, "\(Self.leftovers())")
    }

    /// A join into a container with resources puts the command in the container's cgroups (as
    /// runc exec does): it counts against the pids limit; a frozen container is refused; with
    /// joinCgroups false it stays in the caller's.
    @Test func aJoinedCommandRunsInTheContainersCgroups() throws {
        var c = SpawnConfiguration(["sleep", "30"], namespaces: [.pid, .mount])
        c.resources = Resources(memory: .init(limit: 64 << 20), pids: .init(limit: 8))
        let container = try Container.spawn(c)
        defer { try? container.signal(SIGKILL); _ = try? container.wait() }
        let leaf = String(container.cgroups[0].split(separator: "/").last!)
        var j = JoinConfiguration(target: .process(container.pid), ["sh", "-c", "cat /proc/self/cgroup; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; wait"])
        func run(_ j: JoinConfiguration) throws -> (NSCore.ExitStatus, String) {
            try T.capture { out in var j = j; j.stdout = out; j.stderr = out; return try Container.join(j) }
        }
        let (_, out) = try run(j)
        let lines = out.split(separator: "\n")
        #expect(lines.filter { $0.hasSuffix("/" + leaf) }.count == container.cgroups.count, "\(out)")
        // sleep 30 and sh count: six more sleeps at most (EAGAIN for the rest).
        #expect(out.contains("fork") || out.contains("Resource temporarily unavailable"), "\(out)")

        try container.freeze()
        j.arguments = ["true"]
        #expect(throws: NSCoreError.self) { _ = try Container.join(j) }
        do { _ = try Container.join(j) } catch { #expect(error.message.contains("frozen"), "\(error.message)") }
        try container.thaw()

        j.joinCgroups = false
        j.arguments = ["cat", "/proc/self/cgroup"]
        let (s2, out2) = try run(j)
        #expect(s2 == .exited(0))
        #expect(!out2.contains(leaf), "\(out2)")
        #expect(T.children().count <= 1)
    }
}
