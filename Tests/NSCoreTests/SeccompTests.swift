import CNSCoreShim
import Glibc
import Testing

@testable import NSCore

/// The seccomp compiler, checked instruction by instruction through the BPF interpreter (for
/// every architecture it targets, including those this machine cannot run), and the filters
/// it makes, checked on the real kernel from inside containers.
@Suite(.serialized)
struct SeccompTests {
    static let EPERM_RET = Seccomp.Action.errno(1).returnValue
    static let ENOSYS_RET = Seccomp.Action.errno(38).returnValue
    static let ALLOW = Seccomp.Action.allow.returnValue
    static let KILL = Seccomp.Action.killProcess.returnValue

    static func nr(_ name: String, _ t: SeccompTarget) -> Int32 {
        nsc_number(name, t)
    }

    static func run(_ p: SeccompProgram, _ name: String, _ t: SeccompTarget, _ args: [UInt64] = []) -> UInt32? {
        BPFInterpreter.run(p.instructions, number: nr(name, t), architecture: t.audit, arguments: args)
    }

    // ---- The compiler, through the interpreter ---------------------------------------------

    @Test func theDefaultProfileDeniesWhatDockersDenies() throws {
        let docker = CapabilitySet.dockerDefault
        let p = try SeccompCompiler.compileUncached(Seccomp.default(capabilities: docker), targets: [.x86_64, .i386])
        let t = SeccompTarget.x86_64
        for allowed in ["read", "write", "getppid", "execve", "openat", "mmap", "futex", "arch_prctl", "chown", "kill"] {
            #expect(Self.run(p, allowed, t) == Self.ALLOW, "\(allowed)")
        }
        for denied in ["mount", "umount2", "unshare", "setns", "kexec_load", "init_module", "finit_module",
                       "delete_module", "reboot", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
                       "open_by_handle_at", "pivot_root", "swapon", "iopl", "settimeofday", "syslog", "acct",
                       "ptrace_nonexistent_placeholder"] where SeccompCompiler.lookup(denied) >= 0 {
            #expect(Self.run(p, denied, t) == Self.EPERM_RET, "\(denied)")
        }
        // clone: only without namespace flags; clone3: ENOSYS so libc falls back to clone.
        #expect(Self.run(p, "clone", t, [UInt64(SIGCHLD)]) == Self.ALLOW)
        #expect(Self.run(p, "clone", t, [UInt64(0x1000_0000) | UInt64(SIGCHLD)]) == Self.EPERM_RET)
        #expect(Self.run(p, "clone", t, [UInt64(0x2_0000)]) == Self.EPERM_RET)
        #expect(Self.run(p, "clone3", t) == Self.ENOSYS_RET)
        // socket: AF_VSOCK refused, also with high bits set (the kernel reads an int).
        #expect(Self.run(p, "socket", t, [2]) == Self.ALLOW)
        #expect(Self.run(p, "socket", t, [40]) == Self.EPERM_RET)
        #expect(Self.run(p, "socket", t, [40 | (1 << 32)]) == Self.EPERM_RET)
        // personality: five values only, compared as the kernel reads them (32 bits).
        for v: UInt64 in [0, 8, 0x20000, 0x20008, 0xffff_ffff, 8 | (1 << 40)] {
            #expect(Self.run(p, "personality", t, [v]) == Self.ALLOW, "personality(\(v))")
        }
        for v: UInt64 in [1, 0x0040000, 0x1_0000_0000 - 2] {
            #expect(Self.run(p, "personality", t, [v]) == Self.EPERM_RET, "personality(\(v))")
        }
        // x32 numbers: ENOSYS; another architecture: killed.
        #expect(BPFInterpreter.run(p.instructions, number: 0x4000_0000 | 39, architecture: t.audit) == Self.ENOSYS_RET)
        #expect(BPFInterpreter.run(p.instructions, number: 39, architecture: 0xC000_00B7) == Self.KILL)
        // The 32-bit table: its own numbers.
        #expect(Self.run(p, "getppid", .i386) == Self.ALLOW)
        #expect(Self.run(p, "socketcall", .i386) == Self.ALLOW)
        #expect(Self.run(p, "mount", .i386) == Self.EPERM_RET)
        #expect(Self.run(p, "init_module", .i386) == Self.EPERM_RET)
        #expect(Self.run(p, "clone", .i386, [UInt64(0x2000_0000)]) == Self.EPERM_RET)

        // With CAP_SYS_ADMIN (and CAP_SYS_PTRACE ...) what needs it is allowed.
        let all = try SeccompCompiler.compileUncached(Seccomp.default(capabilities: CapabilitySet(mask: (1 << 41) - 1)),
                                                      targets: [.x86_64])
        for name in ["mount", "unshare", "setns", "clone3", "init_module", "reboot", "ptrace", "bpf"] {
            #expect(Self.run(all, name, t) == Self.ALLOW, "\(name)")
        }
        #expect(Self.run(all, "clone", t, [UInt64(0x1000_0000)]) == Self.ALLOW)
        #expect(Self.run(all, "kexec_load", t) == Self.EPERM_RET)
        #expect(Self.run(all, "keyctl", t) == Self.EPERM_RET)
    }

    @Test func aarch64HasItsOwnTable() throws {
        let p = try SeccompCompiler.compileUncached(Seccomp.default(capabilities: .dockerDefault), targets: [.aarch64])
        let t = SeccompTarget.aarch64
        #expect(Self.nr("getppid", t) == 173)
        #expect(Self.run(p, "getppid", t) == Self.ALLOW)
        #expect(Self.run(p, "openat", t) == Self.ALLOW)
        #expect(Self.run(p, "mount", t) == Self.EPERM_RET)
        #expect(Self.run(p, "clone3", t) == Self.ENOSYS_RET)
        #expect(Self.run(p, "clone", t, [UInt64(0x4000_0000)]) == Self.EPERM_RET)
        // aarch64 has no x32 bit check and no open(2): a number it lacks gets the default.
        #expect(Self.nr("open", t) == -1)
        #expect(BPFInterpreter.run(p.instructions, number: 2, architecture: SeccompTarget.x86_64.audit) == Self.KILL)
    }

    /// Every comparison, against a plain Swift evaluation, on values around the 32-bit halves.
    @Test func everyComparisonMatchesAReference() throws {
        let interesting: [UInt64] = [0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001,
                                     0x1_ffff_ffff, 0x2_0000_0000, 0x8000_0000_0000_0000, .max - 1, .max,
                                     0x1234_5678_9abc_def0, 0x1234_5678_0000_0000, 0x0000_0000_9abc_def0]
        func reference(_ op: Seccomp.Operator, _ a: UInt64, _ v: UInt64, _ v2: UInt64) -> Bool {
            switch op {
            case .notEqual: return a != v
            case .lessThan: return a < v
            case .lessThanOrEqual: return a <= v
            case .equal: return a == v
            case .greaterThanOrEqual: return a >= v
            case .greaterThan: return a > v
            case .maskedEqual: return a & v == v2
            }
        }
        var checked = 0
        for op in Seccomp.Operator.allCases {
            for v in interesting {
                let v2s: [UInt64] = op == .maskedEqual ? [0, v, v & 0xffff_0000_ffff_0000, 1] : [0]
                for v2 in v2s {
                    for index: UInt32 in [0, 5] {
                        let profile = Seccomp(defaultAction: .allow, syscalls: [
                            .init(names: ["getppid"], action: .errno(99),
                                  arguments: [.init(index: index, value: v, valueTwo: v2, op: op)]),
                        ])
                        let p = try SeccompCompiler.compileUncached(profile, targets: [.x86_64])
                        for a in interesting {
                            var args = [UInt64](repeating: 0x5555_5555_5555_5555, count: 6)
                            args[Int(index)] = a
                            let expected = reference(op, a, v, v2) ? Seccomp.Action.errno(99).returnValue : Self.ALLOW
                            let got = Self.run(p, "getppid", .x86_64, args)
                            #expect(got == expected, "\(op.rawValue) arg\(index)=\(a) value=\(v) valueTwo=\(v2)")
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked > 2000)
    }

    /// Comparisons of different arguments must all hold; repeated comparisons of one argument
    /// are alternatives; the first matching rule decides; a later unconditional rule is the
    /// fallback for the syscall.
    @Test func rulesCombineAsDocumented() throws {
        let profile = Seccomp(defaultAction: .errno(1), syscalls: [
            .init(names: ["write"], action: .allow, arguments: [.init(index: 0, value: 1, op: .equal),
                                                                .init(index: 2, value: 10, op: .lessThan)]),
            .init(names: ["read"], action: .errno(5), arguments: [.init(index: 0, value: 3, op: .equal),
                                                                 .init(index: 0, value: 4, op: .equal)]),
            .init(names: ["read"], action: .allow),
            .init(names: ["read"], action: .errno(7)),  // never reached
        ])
        let p = try SeccompCompiler.compileUncached(profile, targets: [.x86_64])
        #expect(Self.run(p, "write", .x86_64, [1, 0, 9]) == Self.ALLOW)
        #expect(Self.run(p, "write", .x86_64, [1, 0, 10]) == Self.EPERM_RET)
        #expect(Self.run(p, "write", .x86_64, [2, 0, 9]) == Self.EPERM_RET)
        #expect(Self.run(p, "read", .x86_64, [3]) == Seccomp.Action.errno(5).returnValue)
        #expect(Self.run(p, "read", .x86_64, [4]) == Seccomp.Action.errno(5).returnValue)
        #expect(Self.run(p, "read", .x86_64, [5]) == Self.ALLOW)
        #expect(Self.run(p, "close", .x86_64) == Self.EPERM_RET)
    }

    /// A profile with hundreds of segments (every other syscall allowed) needs the long jumps
    /// of the search tree; every number must still land on its own action.
    @Test func theSearchTreeFindsEveryNumber() throws {
        var names: [String] = []
        var allowedNumbers: Set<Int32> = []
        for row in 0..<nsc_shim_syscall_count() {
            let n = nsc_shim_syscall_number(row, SeccompTarget.x86_64.rawValue)
            if n >= 0 && n % 2 == 0 {
                names.append(String(cString: nsc_shim_syscall_row_name(row)!))
                allowedNumbers.insert(n)
            }
        }
        var rules = [Seccomp.Rule(names: names, action: .allow)]
        // Argument blocks in the middle of the tree too.
        rules.insert(.init(names: ["getppid"], action: .errno(3), arguments: [.init(index: 1, value: 7, op: .greaterThan)]), at: 0)
        let p = try SeccompCompiler.compileUncached(Seccomp(defaultAction: .errno(1), syscalls: rules), targets: [.x86_64, .i386])
        #expect(p.instructions.count > 300)
        let getppid = Self.nr("getppid", .x86_64)
        for n in Int32(0)..<600 {
            let got = BPFInterpreter.run(p.instructions, number: n, architecture: SeccompTarget.x86_64.audit, arguments: [0, 8])
            let expected = n == getppid ? Seccomp.Action.errno(3).returnValue
                : (allowedNumbers.contains(n) ? Self.ALLOW : Self.EPERM_RET)
            #expect(got == expected, "syscall \(n)")
        }
        #expect(BPFInterpreter.run(p.instructions, number: getppid, architecture: SeccompTarget.x86_64.audit,
                                   arguments: [0, 7]) == (allowedNumbers.contains(getppid) ? Self.ALLOW : Self.EPERM_RET))
        #expect(BPFInterpreter.run(p.instructions, number: -1, architecture: SeccompTarget.x86_64.audit) == Self.ENOSYS_RET)
    }

    @Test func badProfilesAreRefusedNamingTheField() throws {
        func message(_ s: Seccomp) -> String {
            do {
                _ = try SeccompCompiler.compileUncached(s)
                return "compiled"
            } catch {
                return error.message
            }
        }
        #expect(message(Seccomp(defaultAction: .allow, syscalls: [.init(names: ["read", "no_such_call"], action: .errno(1))]))
                == "seccomp: syscalls[0].names[1]: unknown syscall 'no_such_call'")
        #expect(message(Seccomp(defaultAction: .allow, syscalls: [.init(names: ["read"], action: .errno(1),
                                                                        arguments: [.init(index: 6, value: 0, op: .equal)])]))
                .contains("syscalls[0].args[0].index is 6"))
        #expect(message(Seccomp(defaultAction: .errno(5000))).contains("defaultAction: errno 5000 is out of range"))
        #expect(message(Seccomp(defaultAction: .allow, syscalls: [.init(names: [], action: .errno(1))]))
                .contains("syscalls[0].names is empty"))
        // Names of other architectures are known (skipped here), not errors.
        #expect(message(Seccomp(defaultAction: .allow, syscalls: [.init(names: ["s390_runtime_instr", "recv"], action: .errno(1))]))
                == "compiled")
        // Too long for the kernel: 5000 argument rules.
        let huge = (0..<1000).map { i in
            Seccomp.Rule(names: ["getppid"], action: .errno(1), arguments: [.init(index: 0, value: UInt64(i), op: .equal)])
        }
        #expect(message(Seccomp(defaultAction: .allow, syscalls: huge)).contains("the kernel takes at most 4096"))
    }

    /// Syscalls newer than the tables get ENOSYS from the default profile, as on a kernel
    /// that lacks them (libc then falls back); a custom profile's default applies to them.
    @Test func newerSyscallsAreMissingUnderTheDefaultProfile() throws {
        let t = SeccompTarget.x86_64
        let highest = t.highestKnownNumber
        #expect(highest >= 450)
        let p = try SeccompCompiler.compileUncached(Seccomp.default(capabilities: .dockerDefault), targets: [t])
        for n in [highest + 1, highest + 20, 1000] {
            #expect(BPFInterpreter.run(p.instructions, number: Int32(n), architecture: t.audit) == Self.ENOSYS_RET, "\(n)")
        }
        #expect(Self.run(p, "kexec_load", t) == Self.EPERM_RET)
        let custom = try SeccompCompiler.compileUncached(Seccomp(defaultAction: .errno(1)), targets: [t])
        #expect(BPFInterpreter.run(custom.instructions, number: Int32(highest + 1), architecture: t.audit) == Self.EPERM_RET)
    }

    @Test func ociJSONBothWays() throws {
        let text = """
            {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
             "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
             "flags": ["SECCOMP_FILTER_FLAG_LOG"], "listenerPath": "",
             "syscalls": [
               {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
               {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "comment": "no directories"},
               {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
                  {"index": 0, "value": 4294967295, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]},
               {"names": ["getppid"], "action": "SCMP_ACT_TRACE", "errnoRet": 7, "args": null},
               {"names": ["kill"], "action": "SCMP_ACT_KILL"},
               {"names": ["tkill"], "action": "SCMP_ACT_NOTIFY"}
             ]}
            """
        let s = try Seccomp(json: text)
        #expect(s.defaultAction == .errno(38))
        #expect(s.architectures == [.x86_64, .x86, .x32])
        #expect(s.flags == .log)
        #expect(s.syscalls.count == 6)
        #expect(s.syscalls[1] == .init(names: ["mkdir"], action: .errno(13)))
        #expect(s.syscalls[2].arguments == [.init(index: 0, value: 0xffff_ffff, valueTwo: 8, op: .maskedEqual)])
        #expect(s.syscalls[3].action == .trace(7))
        #expect(s.syscalls[4].action == .killThread)
        #expect(s.syscalls[5].action == .notify)
        #expect(try Seccomp(json: s.json) == s)
        // A config.json: its linux.seccomp.
        let config = "{\"ociVersion\": \"1.0.2\", \"linux\": {\"seccomp\": \(text)}}"
        #expect(try Seccomp(json: config) == s)
        // The default profile's JSON reads back as the same rules.
        let d = Seccomp.default(capabilities: .dockerDefault)
        let back = try Seccomp(json: d.json)
        #expect(back.syscalls == d.syscalls && back.defaultAction == d.defaultAction)
    }

    @Test func badJSONIsRefusedNamingThePlace() throws {
        func message(_ text: String) -> String {
            do {
                _ = try Seccomp(json: text)
                return "parsed"
            } catch {
                return error.message
            }
        }
        #expect(message("{\"defaultAction\": \"SCMP_ACT_ALLOW\",}").contains("line 1, column"))
        #expect(message("{}") == "seccomp: missing required key \"defaultAction\"")
        #expect(message(#"{"defaultAction": "SCMP_ACT_NOPE"}"#).contains("defaultAction: unknown action 'SCMP_ACT_NOPE'"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000}"#).contains("defaultErrnoRet: errno 5000 is out of range"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}"#)
                .contains("architectures[0]: unknown architecture 'SCMP_ARCH_Z80'"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}"#)
                .contains("flags[0]: unknown flag"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}"#)
                .contains("syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ABOUT'"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]}"#)
                .contains("syscalls[0].args[0].index: is 9"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}"#)
                .contains("syscalls[0].args[0].value: expected an unsigned integer"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}"#)
                .contains("syscalls[0].names: is missing or empty"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}"#)
                .contains("syscalls[0].includes: is Docker's profile format"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "archMap": []}"#).contains("archMap: is Docker's profile format"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/x.sock"}"#).contains("listenerPath: is not supported"))
        #expect(message(#"{"defaultAction": "SCMP_ACT_ALLOW", "sycalls": []}"#).contains("unknown key \"sycalls\""))
        // Unknown syscall names are found when the spawn compiles the profile.
        var c = SpawnConfiguration(["true"])
        c.seccomp = try Seccomp(json: #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdri"], "action": "SCMP_ACT_ERRNO"}]}"#)
        #expect {
            _ = try Container.spawn(c)
        } throws: { e in
            (e as? NSCoreError)?.message == "seccomp: syscalls[0].names[1]: unknown syscall 'mkdri'"
        }
    }

    // ---- On the kernel ------------------------------------------------------------------------

    /// `python3 -c` making one raw syscall and printing "result errno".
    static func syscallScript(_ name: String, _ args: [UInt64] = [], prelude: String = "") -> [String] {
        let nr = nr(name, .native)
        let a = args.map { "ctypes.c_ulong(\($0))" }.joined(separator: ",")
        return ["python3", "-c", """
            import ctypes, os, signal, sys
            \(prelude)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            r = libc.syscall(ctypes.c_long(\(nr))\(a.isEmpty ? "" : ", " + a))
            print(r, ctypes.get_errno() if r == -1 else 0, flush=True)
            """]
    }

    static func config(_ argv: [String], _ seccomp: Seccomp?) -> SpawnConfiguration {
        var c = SpawnConfiguration(argv, namespaces: [.pid, .mount, .ipc, .uts])
        c.seccomp = seccomp
        c.process.capabilities = .dockerDefault
        c.noNewPrivileges = true
        return c
    }

    @Test func everyActionOnTheKernel() throws {
        func rule(_ action: Seccomp.Action) -> Seccomp {
            Seccomp(defaultAction: .allow, syscalls: [.init(names: ["getppid"], action: action)])
        }
        // errno: the call fails with it.
        var (s, out) = try T.run(Self.config(Self.syscallScript("getppid"), rule(.errno(77))))
        #expect(s == .exited(0) && out == "-1 77\n", "\(s) \(out)")
        // allow and log: the call runs (PID 1's parent is 0 in its namespace).
        for action in [Seccomp.Action.allow, .log] {
            (s, out) = try T.run(Self.config(Self.syscallScript("getppid"), rule(action)))
            #expect(s == .exited(0) && out == "0 0\n", "\(action) \(s) \(out)")
        }
        // trace, with no tracer: ENOSYS.
        (s, out) = try T.run(Self.config(Self.syscallScript("getppid"), rule(.trace(5))))
        #expect(s == .exited(0) && out == "-1 38\n", "\(s) \(out)")
        // kill process / kill thread: SIGSYS, uncatchable.
        let handler = "signal.signal(signal.SIGSYS, lambda *a: (print('trapped', flush=True), os._exit(3)))"
        for action in [Seccomp.Action.killProcess, .killThread] {
            (s, out) = try T.run(Self.config(Self.syscallScript("getppid", prelude: handler), rule(action)))
            #expect(s == .signaled(SIGSYS) && out == "", "\(action) \(s) \(out)")
        }
        // trap: SIGSYS, which the handler catches (on getpgid: Python's own signal handling
        // calls getppid, which would trap again while SIGSYS is blocked, and be fatal).
        (s, out) = try T.run(Self.config(Self.syscallScript("getpgid", [0], prelude: handler),
                                         Seccomp(defaultAction: .allow, syscalls: [.init(names: ["getpgid"], action: .trap)])))
        #expect(s == .exited(3) && out == "trapped\n", "\(s) \(out)")
        #expect(T.children().isEmpty)
    }

    @Test func notifyHandsTheCallToTheCaller() throws {
        let dir = PlanStepTests.tempDir()
        defer { _ = try? T.run(["rm", "-rf", dir]) }
        var c = SpawnConfiguration(["sh", "-c", "mkdir \(dir)/a; echo rc=$?; mkdir \(dir)/b; echo rc=$?; ls /proc/self/fd | wc -l"])
        c.seccomp = Seccomp(defaultAction: .allow, syscalls: [.init(names: ["mkdir", "mkdirat"], action: .notify)])
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        c.stdout = .fd(fds[1])
        let container = try Container.spawn(c)
        close(fds[1])
        #expect(container.seccompListener >= 0)
        let first = try Seccomp.receiveNotification(from: container.seccompListener)
        #expect(first.name == "mkdir" || first.name == "mkdirat", "\(String(describing: first.name))")
        #expect(first.pid > container.pid)  // sh's child
        try Seccomp.respond(to: first, on: container.seccompListener, with: .error(EACCES))
        let second = try Seccomp.receiveNotification(from: container.seccompListener)
        try Seccomp.respond(to: second, on: container.seccompListener, with: .value(0))
        let out = T.readAll(fds[0])
        close(fds[0])
        #expect(try container.wait() == .exited(0))
        // First refused, second "succeeded" without running: neither directory exists. The
        // command holds no listener (0-2 and ls's own fd).
        #expect(out == "rc=1\nrc=0\n4\n", "\(out)")
        #expect(access(dir + "/a", F_OK) != 0 && access(dir + "/b", F_OK) != 0)
    }

    @Test func theDefaultProfileInADefaultContainer() throws {
        try RootfsTests.withRootfs(extra: ["unshare", "python3"]) { rootfs, _ in
            var c = RootfsTests.config(rootfs, """
                grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
                mount -t tmpfs x /tmp 2>/dev/null && echo mounted || echo mount-refused
                unshare -U true 2>/dev/null && echo unshared || echo unshare-refused
                """)
            c.environment = ["PATH=/usr/bin:/bin"]
            let (s, out) = try T.run(c)
            #expect(s == .exited(0))
            #expect(out == "NoNewPrivs:\t1\nSeccomp:\t2\nmount-refused\nunshare-refused\n", "\(out)")
        }
        // On the kernel: clone3 gets ENOSYS, AF_VSOCK with high bits EPERM, a plain fork works.
        var (s, out) = try T.run(Self.config(Self.syscallScript("clone3", [0, 0]), .default))
        #expect(s == .exited(0) && out == "-1 38\n", "\(out)")
        (s, out) = try T.run(Self.config(Self.syscallScript("socket", [40 | (1 << 32), 1, 0]), .default))
        #expect(s == .exited(0) && out == "-1 1\n", "\(out)")
        (s, out) = try T.run(Self.config(Self.syscallScript("finit_module", [0, 0, 0]), .default))
        #expect(s == .exited(0) && out == "-1 1\n", "\(out)")
        (s, out) = try T.run(Self.config(["python3", "-c", "import os; p = os.fork(); os._exit(0) if p == 0 else print(os.waitpid(p, 0)[1])"], .default))
        #expect(s == .exited(0) && out == "0\n", "\(out)")
    }

    /// Without no_new_privs, the filter goes in before the user and capabilities change
    /// (which then lose CAP_SYS_ADMIN); the command still runs filtered.
    @Test func withoutNoNewPrivilegesTheFilterGoesInEarlier() throws {
        var c = Self.config(["sh", "-c", "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status"], .default)
        c.noNewPrivileges = false
        c.process.user = User(uid: 65534, gid: 65534)
        let (s, out) = try T.run(c)
        #expect(s == .exited(0))
        #expect(out == "CapEff:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\n", "\(out)")
    }

    /// A filter that refuses (or holds for a supervisor) what the child calls after installing
    /// it: execve, or rt_sigprocmask (the command would start with its signals blocked).
    @Test func aFilterThatRefusesExecveIsRefusedBeforeTheClone() throws {
        let before = T.children()
        for (name, action) in [("execve", Seccomp.Action.errno(1)), ("execve", .notify), ("execve", .killProcess),
                               ("rt_sigprocmask", .errno(1)), ("rt_sigprocmask", .notify)] {
            var c = SpawnConfiguration(["true"])
            c.seccomp = Seccomp(defaultAction: .allow, syscalls: [.init(names: [name], action: action)])
            #expect {
                _ = try Container.spawn(c)
            } throws: { e in
                (e as? NSCoreError)?.message.contains("the filter gives \(name) \(action)") == true
            }
        }
        #expect(T.children() == before)
    }

    /// The machine's own architecture is always admitted (as libseccomp does); others only when
    /// listed. A profile that allows everything but lists an architecture is installed: it
    /// still kills the calls of the others.
    @Test func architecturesAreAdmittedAsLibseccompDoes() throws {
        let allowAll = Seccomp(defaultAction: .allow, architectures: [.aarch64])
        #expect(!allowAll.isUnconfined && Seccomp(defaultAction: .allow).isUnconfined)
        let f = try allowAll.compile()
        #expect(f.architectures == [.native])
        var c = SpawnConfiguration(["grep", "^Seccomp:", "/proc/self/status"])
        c.seccomp = allowAll
        var (s, out) = try T.run(c)
        #expect(s == .exited(0) && out == "Seccomp:\t2\n", "\(out)")
        c.seccomp = Seccomp(defaultAction: .allow)
        (s, out) = try T.run(c)
        #expect(s == .exited(0) && out == "Seccomp:\t0\n", "\(out)")
        #expect(try Seccomp(defaultAction: .allow, architectures: [.x86_64, .x86]).compile().architectures.count == 2)
        // The default profile admits Docker's: x86 too; x32's calls are denied.
        #expect(try Seccomp.default.compile().architectures == [.x86_64, .x86])
    }

    /// The program compiled at build time (default_seccomp.c) is what the compiler makes now,
    /// and the default profile allows every call the child makes after installing it.
    @Test func theBuiltDefaultProgramIsTheCompilers() throws {
        let compiled = try SeccompCompiler.compileUncached(Seccomp.default(capabilities: .dockerDefault))
        #if arch(x86_64)
        let built = try #require(SeccompCompiler.builtDefault)
        #expect(built == compiled, "rerun tools/gen-default-seccomp.sh: the compiler, the default profile or the tables changed")
        #else
        #expect(SeccompCompiler.builtDefault == nil)
        #endif
        for caps in [CapabilitySet.dockerDefault, CapabilitySet(mask: (1 << 41) - 1), CapabilitySet()] {
            let p = try SeccompCompiler.compileDefault(caps)
            for early in [false, true] {
                try SpawnPlanner.checkCallsAfterInstall(p, execveat: false, early: early)
                try SpawnPlanner.checkCallsAfterInstall(p, execveat: true, early: early)
            }
        }
    }

    @Test func theCompiledProgramIsCached() throws {
        let a = try SeccompCompiler.compile(Seccomp.default(capabilities: .dockerDefault))
        let b = try SeccompCompiler.compile(Seccomp.default(capabilities: .dockerDefault))
        #expect(a == b)
        #expect(a.instructions.count < 700)
    }
}

private func nsc_number(_ name: String, _ t: SeccompTarget) -> Int32 {
    nsc_shim_syscall_number(SeccompCompiler.lookup(name), t.rawValue)
}

extension SeccompTarget {
    static var native: SeccompTarget { SeccompTarget.targets(for: []).first! }
}
