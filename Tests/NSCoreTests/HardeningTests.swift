import Glibc
import Testing

@testable import NSCore

/// Regression tests for the known escape classes of container runtimes, each as the attacker
/// would try it against a default container.
@Suite(.serialized)
struct HardeningTests {
    /// runc CVE-2024-21626: a host directory fd leaked into the container let its working
    /// directory (`/proc/self/fd/N`) resolve outside the rootfs. The host here holds a directory
    /// fd without O_CLOEXEC across the spawn: the container sees only fds 0-2, starts in its own
    /// `/`, and a working directory through the fd does not resolve.
    @Test func aHostDirectoryFDNeverReachesTheContainer() throws {
        let leaked = open("/", O_RDONLY | O_DIRECTORY)  // inheritable on purpose
        #expect(leaked > 2)
        defer { close(leaked) }
        try RootfsTests.withRootfs(extra: ["ls", "readlink"]) { rootfs, _ in
            // ls opens one fd of its own for /proc/self/fd: 3.
            let (status, out) = try T.run(RootfsTests.config(rootfs, "ls /proc/self/fd; readlink /proc/self/cwd"))
            #expect(status == .exited(0))
            #expect(out == "0\n1\n2\n3\n/\n", "\(out)")

            var escape = RootfsTests.config(rootfs, "ls /proc/self/cwd/ | head -3; readlink /proc/self/cwd")
            escape.workingDirectory = "/proc/self/fd/\(leaked)"
            do {
                let (s2, o2) = try T.run(escape)
                Issue.record("the working directory through fd \(leaked) resolved: \(s2) \(o2)")
            } catch {
                let message = (error as? NSCoreError)?.message ?? "\(error)"
                #expect(message.contains("chdir"), "\(message)")
            }
            #expect(T.children().isEmpty)
        }
        // A plain spawn too: only 0-2 (and ls's own).
        let (s3, o3) = try T.run(SpawnConfiguration(["ls", "/proc/self/fd"]))
        #expect(s3 == .exited(0))
        #expect(o3 == "0\n1\n2\n3\n", "\(o3)")
    }

    /// runc CVE-2019-5736: a container overwrote the host's runtime binary through
    /// /proc/PID/exe. NSCore's init (PID 1 with useInit; and the process a join starts) runs
    /// from a sealed memfd, never from a host file: /proc/1/exe names no host path, and
    /// writing to it is refused.
    @Test func theInitBinaryCannotBeReachedOrOverwritten() throws {
        var c = SpawnConfiguration(["sh", "-c", """
            readlink /proc/1/exe
            (echo x > /proc/1/exe) 2>/dev/null && echo written || echo refused
            (exec 3<>/proc/1/exe) 2>/dev/null && echo opened || echo open-refused
            """], namespaces: [.pid, .mount])
        c.useInit = true
        let (status, out) = try T.run(c)
        #expect(status == .exited(0))
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("/memfd:nscore-init") == true, "\(out)")
        #expect(Array(lines.dropFirst()) == ["refused", "open-refused"], "\(out)")
    }

    /// PID 1 of a container's PID namespace cannot be killed with SIGKILL by another process
    /// inside it (the kernel ignores it without a handler); the host still can.
    @Test func killingPID1FromInsideIsIgnored() throws {
        try RootfsTests.withRootfs(extra: ["kill", "sleep"]) { rootfs, _ in
            let (status, out) = try T.run(RootfsTests.config(rootfs, """
                sh -c 'kill -9 1; echo sent'
                sleep 0.2
                echo alive
                """))
            #expect(status == .exited(0))
            #expect(out == "sent\nalive\n", "\(out)")
        }
    }

    /// Inside a default container (a root with the host's /usr bound read-only, for python3):
    /// loading a module, umount and writing /proc/sys fail, raw syscalls included.
    @Test func aDefaultContainerCannotLoadModulesUnmountOrWriteProcSys() throws {
        let script = """
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            def call(nr, *args):
                r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_ulong(a) for a in args])
                return os.strerror(ctypes.get_errno()) if r == -1 else "ok"
            buf = ctypes.create_string_buffer(b"\\x7fELF" + b"\\0" * 60)
            print("init_module", call(175, ctypes.addressof(buf), 64, 0))
            fd = os.open("/usr/bin/python3", os.O_RDONLY)
            print("finit_module", call(313, fd, 0, 0))
            print("delete_module", call(176, ctypes.addressof(ctypes.create_string_buffer(b"ext4")), 0))
            print("umount2", call(166, ctypes.addressof(ctypes.create_string_buffer(b"/proc")), 2))
            try:
                os.write(os.open("/proc/sys/kernel/hostname", os.O_WRONLY), b"1")
                print("proc/sys written")
            except OSError as e:
                print("proc/sys", e.strerror)
            """
        let dir = PlanStepTests.tempDir()
        chmod(dir, 0o755)
        defer { _ = try? T.run(["rm", "-rf", dir]) }
        #expect(mkdir(dir + "/usr", 0o755) == 0)
        for link in ["bin", "lib", "lib64"] { #expect(symlink("usr/" + link, dir + "/" + link) == 0) }
        var c = SpawnConfiguration(["/usr/bin/python3", "-c", script], namespaces: [.mount, .pid, .uts, .ipc, .network])
        c.root = Root(path: dir, readonly: true)
        c.mounts = [Mount(destination: "/usr", type: "bind", source: "/usr", options: ["rbind", "ro"])]
        let (status, out) = try T.run(c)
        #expect(status == .exited(0), "\(out)")
        #expect(out == """
            init_module Operation not permitted
            finit_module Operation not permitted
            delete_module Operation not permitted
            umount2 Operation not permitted
            proc/sys Read-only file system

            """, "\(out)")
    }

    /// A setuid-root program gains nothing under no_new_privs: its effective uid stays the
    /// caller's.
    @Test func aSetuidBinaryGainsNoPrivilege() throws {
        try RootfsTests.withRootfs(extra: ["id"]) { rootfs, _ in
            let copy = rootfs + "/bin/suid-id"
            #expect(T.readFile(rootfs + "/bin/id") != nil)
            let (cp, _) = try T.run(["cp", rootfs + "/bin/id", copy])
            #expect(cp == .exited(0))
            #expect(chown(copy, 0, 0) == 0 && chmod(copy, 0o4755) == 0)
            var c = RootfsTests.config(rootfs, "/bin/suid-id -u; grep NoNewPrivs /proc/self/status")
            c.process.user = User(uid: 1000, gid: 1000)
            var (status, out) = try T.run(c)
            #expect(status == .exited(0) && out == "1000\nNoNewPrivs:\t1\n", "\(out)")
            // Without no_new_privs (explicitly), the same program does gain root.
            c.noNewPrivileges = false
            (status, out) = try T.run(c)
            #expect(status == .exited(0) && out == "0\nNoNewPrivs:\t0\n", "\(out)")
        }
    }

    /// `unshare -U` then mount: a new user namespace gives full capabilities over itself only.
    /// The read-only /proc/sys and the masks a default container has are locked: they cannot be
    /// made writable nor unmounted from a namespace the container makes. (The default seccomp
    /// profile already refuses the unshare; it is lifted here to test the kernel's side.)
    @Test func unshareUserThenMountRegainsNothing() throws {
        try RootfsTests.withRootfs(extra: ["unshare", "umount"]) { rootfs, _ in
            var c = RootfsTests.config(rootfs, """
                unshare -U -r -m sh -c '
                  mount -o remount,rw,bind /proc/sys 2>/dev/null && echo remounted || echo remount-refused
                  umount /proc/sys 2>/dev/null && echo unmounted || echo umount-refused
                  umount /proc/kcore 2>/dev/null && echo unmasked || echo unmask-refused
                  echo 1 > /proc/sys/kernel/hostname 2>/dev/null && echo wrote || echo write-refused
                  mount -t tmpfs t /mnt && echo own-mount
                '
                grep -c " /mnt " /proc/self/mountinfo
                """)
            c.seccomp = .unconfined
            let (status, out) = try T.run(c)
            #expect(status.shellCode == 1 || status == .exited(0), "\(status)")
            #expect(out == "remount-refused\numount-refused\nunmask-refused\nwrite-refused\nown-mount\n0\n", "\(out)")
        }
    }
}
