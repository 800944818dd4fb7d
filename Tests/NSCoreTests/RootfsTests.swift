import CNSCoreShim
import Glibc
import Testing
@testable import NSCore

/// Containers in a root filesystem of their own (``SpawnConfiguration/root``): pivot_root, the
/// default mounts, masked and read-only paths, mount specs and their propagation, bad input,
/// the symlink escape classes of runc's CVEs, and the same as an unprivileged user.
@Suite(.serialized)
struct RootfsTests {
    static let container: NamespaceSet = [.mount, .pid, .ipc, .uts]

    /// A fresh rootfs (tools/make-test-rootfs.sh, mode 0755 so that uid 65534 can use it) in
    /// a temp dir that `body` may also use; everything is removed afterwards.
    static func withRootfs(extra: [String] = [], _ body: (_ rootfs: String, _ dir: String) throws -> Void) throws {
        let dir = PlanStepTests.tempDir()
        chmod(dir, 0o755)
        defer { _ = try? T.run(["rm", "-rf", dir]) }
        let programs = extra.isEmpty ? [] : ["sh", "ls", "cat", "echo", "mkdir", "grep", "head", "wc", "mount"] + extra
        let (status, _) = try T.run(["/bin/bash", PivotRootTests.tools + "/make-test-rootfs.sh", dir + "/root"] + programs)
        #expect(status == .exited(0))
        try body(dir + "/root", dir)
    }

    static func config(_ rootfs: String, _ script: String, _ ns: NamespaceSet = container,
                       readonly: Bool = false) -> SpawnConfiguration {
        var c = SpawnConfiguration(["sh", "-c", script], namespaces: ns)
        c.root = Root(path: rootfs, readonly: readonly)
        c.environment = ["PATH=/usr/bin:/bin"]
        return c
    }

    static func lines(_ s: String) -> [Substring] { s.split(separator: "\n") }

    /// Docker's default capabilities and CAP_SYS_ADMIN, for the tests that mount inside.
    static let withSysAdmin = Capabilities.dockerDefault.adding(CapabilitySet([Capability(rawValue: 21)!]), dropping: [])

    /// `dir/shared`: a tmpfs mounted on the host and made shared (a peer group the container's
    /// binds can join), holding `subdirectories`. The caller unmounts it.
    static func sharedHostMount(in dir: String, subdirectories: [String]) -> String {
        let src = dir + "/shared"
        #expect(mkdir(src, 0o755) == 0)
        #expect(sys_mount("pd", src, "tmpfs", 0).isSuccess)
        #expect(sys_mount(nil, src, nil, UInt(MS_SHARED)).isSuccess)
        for d in subdirectories { #expect(mkdir(src + "/" + d, 0o755) == 0) }
        return src
    }

    /// Tests that take `legacyKernel` run twice: the second time the child takes the paths of
    /// kernels without openat2 (5.6) and mount_setattr (5.12): in-root lookups walked one
    /// component at a time with O_NOFOLLOW, mount attributes set by bind remounts.
    static func legacy(_ on: Bool) { nsc_shim_set_force_legacy_mount(on ? 1 : 0) }

    @Test(arguments: [false, true]) func theContainerRunsInItsRootWithTheDefaultMounts(legacyKernel: Bool) throws {
        Self.legacy(legacyKernel)
        defer { Self.legacy(false) }
        try Self.withRootfs { rootfs, dir in
            let before = T.mountCount()
            let (status, out) = try T.run(Self.config(rootfs, """
                readlink /proc/1/root; test -e \(dir) && echo host-visible || echo host-gone
                cat /etc/passwd | head -n 1
                echo x > /dev/null && echo null-ok; head -c 16 /dev/urandom | wc -c; head -c 4 /dev/zero | wc -c
                ls /dev; cat /proc/self/mountinfo
                """))
            #expect(status == .exited(0), "\(out)")
            let l = Self.lines(out)
            #expect(l.starts(with: ["/", "host-gone", "root:x:0:0:root:/root:/bin/sh", "null-ok", "16", "4"]), "\(out)")
            for name in ["null", "zero", "full", "random", "urandom", "tty", "fd", "stdin", "stdout", "stderr", "ptmx",
                         "pts", "shm", "mqueue"] {
                #expect(l.contains(Substring(name)), "/dev/\(name) missing: \(out)")
            }
            let mounts = l.compactMap { MountEntry(mountinfoLine: $0) }
            func mount(_ at: String) -> MountEntry? { mounts.first { $0.mountPoint == at } }
            #expect(mount("/")?.root.hasSuffix("/root") == true)
            #expect(mount("/proc")?.fsType == "proc")
            #expect(mount("/proc").map { Set(["nosuid", "nodev", "noexec"]).isSubset(of: $0.options) } == true)
            #expect(mount("/dev")?.fsType == "tmpfs")
            #expect(mount("/dev/pts")?.fsType == "devpts")
            #expect(mount("/dev/pts")?.superOptions.contains("ptmxmode=666") == true)
            #expect(mount("/dev/shm")?.fsType == "tmpfs")
            #expect(mount("/dev/mqueue")?.fsType == "mqueue")
            // No new net namespace: the host's devices, so sysfs is read-only.
            #expect(mount("/sys")?.fsType == "sysfs" && mount("/sys")?.readOnly == true)
            #expect(mount("/proc/sys")?.readOnly == true)
            #expect(T.mountCount() == before)
            #expect(!T.hasChildren())
        }
    }

    @Test func sysfsIsWritableOnlyWithANewNetworkNamespace() throws {
        try Self.withRootfs { rootfs, _ in
            let (status, out) = try T.run(Self.config(rootfs, "ls /sys/class/net; grep ' /sys ' /proc/self/mountinfo",
                                                      Self.container.union(.network)))
            #expect(status == .exited(0))
            // Its own sysfs: only the namespace's lo, not the host's devices.
            #expect(Self.lines(out).first == "lo", "\(out)")
            #expect(out.contains(" /sys rw,"), "\(out)")
        }
    }

    @Test(arguments: [false, true]) func maskedAndReadOnlyPaths(legacyKernel: Bool) throws {
        Self.legacy(legacyKernel)
        defer { Self.legacy(false) }
        try Self.withRootfs { rootfs, _ in
            // The masked files this kernel has.
            let candidates: [String] = ["/proc/keys", "/proc/timer_list", "/proc/kcore", "/proc/sched_debug"]
            let files = candidates.filter { Glibc.access($0, F_OK) == 0 }
            #expect(!files.isEmpty)
            let script = files.map { "echo [$(cat \($0))]" }.joined(separator: "; ") + """
                ; ls -A /sys/firmware | wc -l; touch /sys/firmware/x 2>/dev/null || echo firmware-refused
                echo 1 > /proc/sys/kernel/hostname 2>/dev/null || echo procsys-refused
                echo $(cat /proc/sys/kernel/hostname)
                """
            let (status, out) = try T.run(Self.config(rootfs, script))
            #expect(status == .exited(0))
            let l = Self.lines(out)
            #expect(l.prefix(files.count).allSatisfy { $0 == "[]" }, "\(out)")
            #expect(Array(l.dropFirst(files.count).prefix(3)) == ["0", "firmware-refused", "procsys-refused"], "\(out)")

            // Turned off: /proc/sys is writable (in the new UTS namespace) and /sys/firmware is the real one.
            var c = Self.config(rootfs, "echo box > /proc/sys/kernel/hostname && hostname; grep -c ' /sys/firmware ' /proc/self/mountinfo")
            c.capabilities = Self.withSysAdmin
            c.maskedPaths = []
            c.readonlyPaths = []
            let (status2, out2) = try T.run(c)
            #expect(status2 == .exited(1) || status2 == .exited(0))
            #expect(Self.lines(out2) == ["box", "0"], "\(out2)")
        }
    }

    @Test(arguments: [false, true]) func aReadOnlyRootWithAWritableTmpfsAndBinds(legacyKernel: Bool) throws {
        Self.legacy(legacyKernel)
        defer { Self.legacy(false) }
        try Self.withRootfs { rootfs, dir in
            let vol = dir + "/vol"
            #expect(mkdir(vol, 0o755) == 0 && mkdir(vol + "/sub", 0o755) == 0)
            PlanStepTests.write(vol + "/file", "from the host\n")
            // A submount in the source: a read-only recursive bind must be read-only there too.
            #expect(sys_mount("subfs", vol + "/sub", "tmpfs", 0).isSuccess)
            defer { _ = umount2(vol + "/sub", Int32(MNT_DETACH)) }
            var c = Self.config(rootfs, """
                touch /x 2>/dev/null || echo root-ro; echo t > /tmp/t && cat /tmp/t
                cat /data/file; touch /data/y 2>/dev/null || echo data-ro; touch /data/sub/y 2>/dev/null || echo sub-ro
                echo w > /rw/z && echo rw-ok; cat /etc/hostfile; grep -E ' /tmp | /data/sub ' /proc/self/mountinfo
                """, readonly: true)
            c.mounts = [.tmpfs("/tmp", size: "1m", mode: 0o755), .bind(vol, to: "/data", readOnly: true),
                        .bind(vol, to: "/rw", recursive: false),
                        Mount(destination: "/etc/hostfile", type: "bind", source: vol + "/file", options: ["bind", "ro"])]
            let (status, out) = try T.run(c)
            #expect(status == .exited(0), "\(out)")
            let l = Self.lines(out)
            #expect(Array(l.prefix(7)) == ["root-ro", "t", "from the host", "data-ro", "sub-ro", "rw-ok", "from the host"], "\(out)")
            #expect(out.contains(" /tmp rw,nosuid,nodev") && out.contains("size=1024k,mode=755"), "\(out)")
            #expect(out.contains(" /data/sub ro,"), "\(out)")
            #expect(access(rootfs + "/x", F_OK) != 0 && access(vol + "/z", F_OK) == 0)
        }
    }

    /// The five propagation states, between a shared host mount and a bind of it.
    @Test(arguments: [false, true]) func theFivePropagationModes(legacyKernel: Bool) throws {
        Self.legacy(legacyKernel)
        defer { Self.legacy(false) }
        try Self.withRootfs { rootfs, dir in
            let src = Self.sharedHostMount(in: dir, subdirectories: ["host", "inner"])
            defer { _ = umount2(src, Int32(MNT_DETACH)) }

            for mode in MountPropagation.allCases {
                // The container waits (stdin) until the host has mounted, then mounts itself.
                var fds: [Int32] = [-1, -1]
                #expect(nsc_shim_pipe2_cloexec(&fds) == 0)
                var c = Self.config(rootfs, """
                    read go; mount -t tmpfs inner /mnt/p/inner 2>&1
                    grep ' /mnt/p' /proc/self/mountinfo
                    """)
                c.mounts = [.bind(src, to: "/mnt/p", recursive: false, propagation: mode)]
                // Mounting inside needs CAP_SYS_ADMIN, which a rootfs container lacks by default.
                c.capabilities = Self.withSysAdmin
                c.stdin = .fd(fds[0])
                let (status, out) = try T.capture { stdout in
                    var cc = c
                    cc.stdout = stdout
                    let container = try Container.spawn(cc)
                    close(fds[0])
                    #expect(sys_mount("hostfs", src + "/host", "tmpfs", 0).isSuccess)
                    _ = write(fds[1], "go\n", 3)
                    close(fds[1])
                    return container
                }
                let hostSees = T.readFile("/proc/self/mountinfo")!.contains(" \(src)/inner ")
                _ = umount2(src + "/inner", Int32(MNT_DETACH))
                _ = umount2(src + "/host", Int32(MNT_DETACH))
                #expect(status == .exited(0), "\(mode): \(out)")
                let entries = Self.lines(out).compactMap { MountEntry(mountinfoLine: $0) }
                let bind = entries.first { $0.mountPoint == "/mnt/p" }
                let seesHost = entries.contains { $0.mountPoint == "/mnt/p/host" }
                switch mode {
                case .shared:
                    #expect(bind?.propagation == .shared && seesHost && hostSees, "\(out)")
                case .slave:
                    #expect(bind?.propagation == .slave && seesHost && !hostSees, "\(out)")
                case .sharedAndSlave:
                    #expect(bind?.propagation == .sharedAndSlave && seesHost && !hostSees, "\(out)")
                case .private:
                    #expect(bind?.propagation == .private && !seesHost && !hostSees, "\(out)")
                case .unbindable:
                    #expect(bind?.propagation == .unbindable && !seesHost && !hostSees, "\(out)")
                }
            }
        }
    }

    /// shared+slave passes the host's mounts on to a third namespace that copies it.
    @Test func sharedAndSlavePassesOnToAThirdNamespace() throws {
        try Self.withRootfs(extra: ["unshare"]) { rootfs, dir in
            let src = Self.sharedHostMount(in: dir, subdirectories: ["host"])
            defer { _ = umount2(src, Int32(MNT_DETACH)) }
            var fds: [Int32] = [-1, -1]
            #expect(nsc_shim_pipe2_cloexec(&fds) == 0)
            // In the container, a third mount namespace (unshare -m, propagation unchanged)
            // copies /mnt/p; then the host mounts, and the third namespace looks.
            var c = Self.config(rootfs, """
                unshare -m --propagation unchanged sh -c "echo ready; read go; grep -c ' /mnt/p/host ' /proc/self/mountinfo"
                """)
            c.mounts = [.bind(src, to: "/mnt/p", recursive: false, propagation: .sharedAndSlave)]
            c.capabilities = Self.withSysAdmin
            c.stdin = .fd(fds[0])
            let (status, out) = try T.capture { stdout in
                var cc = c
                cc.stdout = stdout
                let first = try Container.spawn(cc)
                close(fds[0])
                // Wait until the third namespace exists: it writes "ready" to its stdout... which
                // is the capture pipe, so give it a moment instead, then mount on the host.
                usleep(300_000)
                #expect(sys_mount("hostfs", src + "/host", "tmpfs", 0).isSuccess)
                _ = write(fds[1], "go\n", 3)
                close(fds[1])
                return first
            }
            _ = umount2(src + "/host", Int32(MNT_DETACH))
            #expect(status == .exited(0))
            #expect(Self.lines(out) == ["ready", "1"], "\(out)")
        }
    }

    @Test func anUnbindableMountCannotBeBound() throws {
        try Self.withRootfs { rootfs, dir in
            let src = dir + "/ub"
            #expect(mkdir(src, 0o755) == 0)
            var c = Self.config(rootfs, "mkdir -p /b; mount --bind /u /b 2>&1 >/dev/null && echo bound || echo refused")
            c.capabilities = Self.withSysAdmin  // refused for being unbindable, not for lack of CAP_SYS_ADMIN
            c.mounts = [Mount(destination: "/u", type: "tmpfs", source: "tmpfs", options: ["unbindable"])]
            let (status, out) = try T.run(c)
            #expect(status == .exited(0))
            #expect(Self.lines(out).last == "refused", "\(out)")
        }
    }

    /// Two containers from one read-only image, each with its own upper directory.
    @Test func overlayGivesEachContainerItsOwnWrites() throws {
        try Self.withRootfs { rootfs, dir in
            let image = dir + "/image"
            #expect(mkdir(image, 0o755) == 0)
            PlanStepTests.write(image + "/motd", "image\n")
            var outs: [String] = []
            for name in ["a", "b"] {
                #expect(mkdir(dir + "/upper-" + name, 0o755) == 0 && mkdir(dir + "/work-" + name, 0o755) == 0)
                var c = Self.config(rootfs, "echo \(name) > /app/\(name); echo changed-\(name) > /app/motd; ls /app; cat /app/motd")
                c.mounts = [.overlay("/app", lower: [image], upper: dir + "/upper-" + name, work: dir + "/work-" + name)]
                let (status, out) = try T.run(c)
                #expect(status == .exited(0), "\(out)")
                outs.append(out)
            }
            #expect(outs == ["a\nmotd\nchanged-a\n", "b\nmotd\nchanged-b\n"])
            #expect(T.readFile(image + "/motd") == "image\n")
            #expect(T.listDirectory(image) == ["motd"])
        }
    }

    @Test(arguments: [false, true]) func commandsAreLookedUpInTheRootfs(legacyKernel: Bool) throws {
        Self.legacy(legacyKernel)
        defer { Self.legacy(false) }
        try Self.withRootfs { rootfs, _ in
            #expect(mkdir(rootfs + "/opt", 0o755) == 0 && symlink("/bin/sh", rootfs + "/opt/only-here") == 0)
            // An absolute symlink in the rootfs resolves in the rootfs, not on the host.
            #expect(symlink("/opt", rootfs + "/optlink") == 0)
            var c = SpawnConfiguration(["only-here", "-c", "echo found"], namespaces: Self.container)
            c.root = Root(path: rootfs)
            c.environment = ["PATH=/nonexistent:/optlink:/bin"]
            let (status, out) = try T.run(c)
            #expect(status == .exited(0) && out == "found\n")
            c.arguments = ["no-such-command"]
            #expect {
                _ = try T.run(c)
            } throws: { error in
                let e = error as? NSCoreError
                return e?.code == .notFound && e?.message.contains("root filesystem \(rootfs)") == true && e?.isCommandFailure == true
            }
        }
    }

    @Test func theInitramfsFallbackMovesTheRootAndChroots() throws {
        try Self.withRootfs { rootfs, dir in
            nsc_shim_set_force_chroot_fallback(1)
            defer { nsc_shim_set_force_chroot_fallback(0) }
            let (status, out) = try T.run(Self.config(rootfs, "test -e \(dir) && echo host-visible || echo host-gone; head -n 1 /etc/passwd; ls /dev/null"))
            #expect(status == .exited(0))
            #expect(out == "host-gone\nroot:x:0:0:root:/root:/bin/sh\n/dev/null\n", "\(out)")
        }
    }

    /// Bad input: a clear error naming the mount, no process and no mount left behind.
    @Test func badInputIsRefusedAndLeavesNothing() throws {
        try Self.withRootfs { rootfs, dir in
            let before = T.mountCount()
            let cases: [(String, (inout SpawnConfiguration) -> Void, String)] = [
                ("missing source", { $0.mounts = [.bind("/nonexistent-src", to: "/x")] }, "mounts[0] (bind /nonexistent-src on /x): source /nonexistent-src: ENOENT"),
                ("relative target", { $0.mounts = [.tmpfs("x")] }, "destination 'x' is not an absolute path"),
                ("unknown type", { $0.mounts = [Mount(destination: "/x", type: "foofs")] }, "mounts[0] (foofs on /x): fsopen foofs: ENODEV"),
                ("bad option", { $0.mounts = [Mount(destination: "/x", type: "tmpfs", options: ["size=lots"])] }, "mounts[0] (tmpfs on /x): option size=lots: EINVAL"),
                ("bind option", { $0.mounts = [Mount(destination: "/x", type: "bind", source: dir, options: ["slavish"])] }, "option 'slavish' does not apply to a bind mount"),
                ("no type", { $0.mounts = [Mount(destination: "/x", source: dir)] }, "no type"),
                ("rootfs a file", { $0.root = Root(path: rootfs + "/etc/passwd") }, "not a directory"),
                ("rootfs missing", { $0.root = Root(path: dir + "/none") }, "ENOENT"),
                ("no mount namespace", { $0.namespaces = [.pid] }, "a root filesystem needs a new mount namespace"),
                ("rootfs / without mount namespace", { $0.namespaces = []; $0.root = Root(path: "/") }, "needs a new mount namespace"),
                ("rootfs /", { $0.root = Root(path: "/.") }, "is the caller's own root directory"),
                ("overlay without lower", { $0.mounts = [.overlay("/o", lower: [])] }, "an overlay needs at least one lower directory"),
                ("masked path", { $0.maskedPaths = ["proc/kcore"] }, "maskedPaths[0] 'proc/kcore' is not an absolute path"),
                ("second mount", { $0.mounts = [.tmpfs("/ok"), Mount(destination: "/x", type: "tmpfs", options: ["bogus"])] }, "mounts[1] (tmpfs on /x): option bogus: EINVAL"),
            ]
            for (name, tweak, expected) in cases {
                var c = Self.config(rootfs, "true")
                tweak(&c)
                #expect(throws: NSCoreError.self, "\(name)") { _ = try T.run(c) }
                do { _ = try T.run(c) } catch let e as NSCoreError {
                    #expect(e.message.contains(expected), "\(name): \(e.message)")
                    #expect(!e.isCommandFailure, "\(name)")
                }
                #expect(T.mountCount() == before, "\(name)")
                #expect(!T.hasChildren(), "\(name)")
            }
        }
    }

    /// Mounts without a root land in the copy of the caller's tree; their targets must exist
    /// (nothing is created in the host's tree), and binds are private unless asked otherwise.
    @Test func mountsWithoutARootCreateNothingOnTheHost() throws {
        let dir = PlanStepTests.tempDir()
        defer { _ = try? T.run(["rm", "-rf", dir]) }
        #expect(mkdir(dir + "/t", 0o755) == 0)
        let before = T.mountCount()
        var c = SpawnConfiguration(["sh", "-c", "grep -c ' \(dir)/t .* tmpfs nsc-t ' /proc/self/mountinfo"], namespaces: [.mount])
        c.mounts = [Mount(destination: dir + "/t", type: "tmpfs", source: "nsc-t")]
        let (status, out) = try T.run(c)
        #expect(status == .exited(0) && out == "1\n", "\(out)")
        c.mounts = [Mount(destination: dir + "/missing/x", type: "tmpfs", source: "nsc-t")]
        #expect {
            _ = try T.run(c)
        } throws: { error in
            (error as? NSCoreError)?.errno?.rawValue == ENOENT
        }
        #expect(T.listDirectory(dir) == ["t"])
        #expect(T.mountCount() == before)
    }

    /// A bind without a propagation option is private: what the container mounts under it
    /// never reaches the host, even when the source is a shared mount.
    @Test(arguments: [false, true]) func aBindIsPrivateByDefault(legacyKernel: Bool) throws {
        Self.legacy(legacyKernel)
        defer { Self.legacy(false) }
        try Self.withRootfs { rootfs, dir in
            let src = Self.sharedHostMount(in: dir, subdirectories: ["sub"])
            defer { _ = umount2(src, Int32(MNT_DETACH)) }
            for bind in [Mount.bind(src, to: "/data"), Mount.bind(src, to: "/data", recursive: false)] {
                var c = Self.config(rootfs, "mount -t tmpfs leak /data/sub && grep ' /data ' /proc/self/mountinfo")
                c.capabilities = Self.withSysAdmin
                c.mounts = [bind]
                let (status, out) = try T.run(c)
                #expect(status == .exited(0))
                #expect(Self.lines(out).compactMap { MountEntry(mountinfoLine: $0) }.first?.propagation == .private, "\(out)")
                #expect(T.readFile("/proc/self/mountinfo")?.contains(" leak ") == false)
            }
        }
    }

    // ---- The escape classes ----------------------------------------------------------------

    /// CVE-2019-16884's class: /proc of the rootfs is a symlink (to /, to the host's /tmp).
    @Test(arguments: [false, true]) func aProcSymlinkIsRefused(legacyKernel: Bool) throws {
        Self.legacy(legacyKernel)
        defer { Self.legacy(false) }
        for link in ["/", "/tmp", "../../.."] {
            try Self.withRootfs { rootfs, _ in
                #expect(rmdir(rootfs + "/proc") == 0 && symlink(link, rootfs + "/proc") == 0)
                #expect {
                    _ = try T.run(Self.config(rootfs, "true"))
                } throws: { error in
                    let e = error as? NSCoreError
                    return e?.errno?.rawValue == ELOOP && e?.message.contains("proc") == true
                }
                #expect(!T.hasChildren())
            }
        }
    }

    /// CVE-2025-31133's class: the rootfs's /dev/null is a symlink to a host file. Masking
    /// uses the caller's /dev/null, checked to be the char device 1:3, never the rootfs's.
    @Test func aDevNullSymlinkNeverBecomesAMask() throws {
        try Self.withRootfs { rootfs, dir in
            let victim = dir + "/victim"
            PlanStepTests.write(victim, "host secret\n")
            #expect(mkdir(rootfs + "/dev", 0o755) == 0 || errno == EEXIST)
            #expect(symlink(victim, rootfs + "/dev/null") == 0)
            for defaults in [false, true] {
                var c = Self.config(rootfs, """
                    for f in /proc/keys /proc/timer_list /proc/kcore; do [ -e $f ] && { echo pwned > $f; cat $f; }; done
                    echo done
                    """)
                c.defaultMounts = defaults
                if !defaults {
                    c.mounts = [Mount(destination: "/proc", type: "proc", source: "proc")]
                }
                let (status, out) = try T.run(c)
                #expect(status == .exited(0), "\(out)")
                #expect(out == "done\n", "\(out)")
                #expect(T.readFile(victim) == "host secret\n")
            }
        }
    }

    /// CVE-2021-30465's class: a mount target swapped for a symlink while the spawn runs. The
    /// link leads to /b of the same rootfs by its host path, where a runtime that followed it
    /// would mount (visible in the container). Each spawn refuses the link (ELOOP), or mounts
    /// at /a/t (the swapper may then unlink it, which detaches the mount): never at /b.
    @Test(arguments: [false, true]) func aTargetRacedBySymlinkSwapsStaysInside(legacyKernel: Bool) throws {
        Self.legacy(legacyKernel)
        defer { Self.legacy(false) }
        try Self.withRootfs { rootfs, _ in
            let elsewhere = rootfs + "/b"
            #expect(mkdir(elsewhere, 0o755) == 0 && mkdir(rootfs + "/a", 0o755) == 0)
            let stop = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
            stop.pointee = 0
            defer { stop.deallocate() }
            // The attacker: swaps rootfs/a/t between a directory and a symlink to `elsewhere`.
            final class Args { let base: String; let target: String; let stop: UnsafeMutablePointer<Int32>
                init(_ b: String, _ o: String, _ s: UnsafeMutablePointer<Int32>) { base = b; target = o; stop = s } }
            let args = Args(rootfs + "/a", elsewhere, stop)
            var thread = pthread_t()
            #expect(pthread_create(&thread, nil, { raw in
                let a = Unmanaged<Args>.fromOpaque(raw!).takeRetainedValue()
                let t = a.base + "/t", link = a.base + "/t.link"
                _ = symlink(a.target, link)
                while a.stop.pointee == 0 {
                    _ = mkdir(t, 0o755)
                    _ = rmdir(t)
                    _ = symlink(a.target, t)
                    _ = unlink(t)
                }
                _ = unlink(link)
                return nil
            }, Unmanaged.passRetained(args).toOpaque()) == 0)
            var mounted = 0, refused = 0, detached = 0
            for _ in 0..<200 {
                var c = Self.config(rootfs, "grep ' racefs ' /proc/self/mountinfo; true")
                c.defaultMounts = false
                c.maskedPaths = []
                c.readonlyPaths = []
                c.mounts = [Mount(destination: "/proc", type: "proc", source: "proc"),
                            Mount(destination: "/a/t", type: "tmpfs", source: "racefs")]
                do {
                    let (status, out) = try T.run(c)
                    #expect(status == .exited(0))
                    let points = Self.lines(out).compactMap { MountEntry(mountinfoLine: $0)?.mountPoint }
                    #expect(points.allSatisfy { $0 == "/a/t" || $0 == "/a/t//deleted" }, "\(out)")
                    if points.isEmpty { detached += 1 } else { mounted += 1 }
                } catch let e as NSCoreError {
                    #expect([ELOOP, ENOENT, ENOTDIR, EEXIST].contains(e.errno?.rawValue ?? 0), "\(e.message)")
                    refused += 1
                }
            }
            stop.pointee = 1
            pthread_join(thread, nil)
            #expect(mounted + refused + detached == 200)
            #expect(T.listDirectory(elsewhere).isEmpty)
            #expect(!T.hasChildren())
        }
    }

    // ---- Rootless ---------------------------------------------------------------------------

    /// The same container as uid 65534: user namespace with root mapped, devices bound from
    /// the host, the default mounts, masks and pivot_root.
    @Test(arguments: [false, true]) func rootlessContainersGetTheSameRoot(legacyKernel: Bool) throws {
        Self.legacy(legacyKernel)
        defer { Self.legacy(false) }
        try Self.withRootfs { rootfs, dir in
            final class Result: @unchecked Sendable {
                var status: NSCore.ExitStatus? = nil, out = "", error: String? = nil
                let rootfs: String, dir: String
                init(_ r: String, _ d: String) { rootfs = r; dir = d }
            }
            let result = Result(rootfs, dir)
            var thread = pthread_t()
            #expect(pthread_create(&thread, nil, { raw in
                let r = Unmanaged<Result>.fromOpaque(raw!).takeRetainedValue()
                guard nsc_shim_thread_drop_to(65534, 65534) == 0 else { r.error = "drop"; return nil }
                var c = RootfsTests.config(r.rootfs, """
                    id -u; readlink /proc/1/root; test -e \(r.dir) && echo host-visible || echo host-gone
                    echo x > /dev/null && echo null-ok; head -c 8 /dev/urandom | wc -c
                    echo [$(cat /proc/timer_list 2>&1)]; echo 1 > /proc/sys/kernel/hostname 2>/dev/null || echo procsys-refused
                    grep -E ' /(proc|dev|dev/pts|dev/shm|sys) ' /proc/self/mountinfo
                    """, RootfsTests.container.union([.user, .network]))
                c.mapRootUser = true
                do { (r.status, r.out) = try T.run(c) } catch { r.error = "\(error)" }
                return nil
            }, Unmanaged.passRetained(result).toOpaque()) == 0)
            pthread_join(thread, nil)
            #expect(result.error == nil, "\(result.error ?? "")")
            #expect(result.status == .exited(0), "\(result.out)")
            let l = Self.lines(result.out)
            #expect(l.starts(with: ["0", "/", "host-gone", "null-ok", "8", "[]", "procsys-refused"]), "\(result.out)")
            for at in [" /proc ", " /dev ", " /dev/pts ", " /dev/shm ", " /sys "] {
                #expect(result.out.contains(at), "\(at): \(result.out)")
            }
        }
    }
}

private extension Result where Success == Void {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
}
