import CNSCoreShim
import Glibc
import Testing
@testable import NSCore

/// The executor's steps that produce fds into result slots, run on the real kernel through
/// hand-built plans: what the root filesystem and mount features are built on.
@Suite(.serialized)
struct PlanStepTests {
    /// Runs `args` after the steps `build` adds; stdin may be a slot. Returns (status, stdout).
    static func run(_ args: [String], namespaces: NamespaceSet = [], stdin: Int32 = -1,
                    _ build: (SpawnPlan) throws -> Void) throws -> (NSCore.ExitStatus, String) {
        try T.capture { stdout in
            guard case .fd(let out) = stdout else { fatalError("capture gives an fd") }
            let plan = SpawnPlan()
            try SpawnPlanner.lowerExecutableAndEnvironment(ProcessConfiguration(args), into: plan)
            plan.argumentList = CStringList(args)
            plan.cloneFlags = UInt64(UInt32(bitPattern: namespaces.cloneFlags))
            plan.resetSignals()
            try build(plan)
            SpawnPlanner.lowerExec((stdin, out, -1), into: plan)
            return try Spawner.run(plan)
        }
    }

    static func tempDir() -> String {
        var template = Array("/tmp/nscore-steps-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil)
        return String(cString: p!)
    }

    static func write(_ path: String, _ text: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(fd >= 0)
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    @Test func aSlotCarriesAnFDToLaterSteps() throws {
        let (status, out) = try Self.run(["pwd"]) { plan in
            let dir = plan.openat2(.cwd, "/usr", flags: nsc_shim_O_PATH | O_DIRECTORY, resolve: 0, what: .text("open /usr"))
            plan.fchdir(.slot(dir), what: .text("fchdir /usr"))
            plan.close(dir, what: .text("close /usr"))
        }
        #expect(status == .exited(0))
        #expect(out == "/usr\n")
    }

    @Test func resolveInRootKeepsASymlinkInsideTheRoot() throws {
        let root = Self.tempDir()
        defer { _ = unlink("\(root)/etc/name"); _ = rmdir("\(root)/etc"); _ = unlink("\(root)/esc"); _ = rmdir(root) }
        #expect(mkdir("\(root)/etc", 0o755) == 0)
        Self.write("\(root)/etc/name", "inside\n")
        #expect(symlink("/etc", "\(root)/esc") == 0)  // absolute: out of the root, unless resolved in it
        // esc/name is the root's etc/name; esc/hostname (which the host has) does not exist there.
        let (status, out) = try Self.run(["cat"]) { plan in
            let rootFD: Int32
            switch sys_open(root, nsc_shim_O_PATH | O_DIRECTORY) {
            case .success(let fd): rootFD = plan.own(fd)
            case .failure(let e): throw e
            }
            let file = plan.openat2(.fd(rootFD), "esc/name", flags: O_RDONLY, resolve: nsc_shim_RESOLVE_IN_ROOT,
                                    what: .text("open esc/name in the root"))
            plan.stdio((Int32(NSC_SLOT_BASE) - file.index, -1, -1))
        }
        #expect(status == .exited(0))
        #expect(out == "inside\n")
        #expect {
            _ = try Self.run(["cat"]) { plan in
                let rootFD: Int32
                switch sys_open(root, nsc_shim_O_PATH | O_DIRECTORY) {
                case .success(let fd): rootFD = plan.own(fd)
                case .failure(let e): throw e
                }
                _ = plan.openat2(.fd(rootFD), "esc/hostname", flags: O_RDONLY, resolve: nsc_shim_RESOLVE_IN_ROOT,
                                 what: .text("open esc/hostname in the root"))
            }
        } throws: { error in
            let e = error as? NSCoreError
            return e?.errno?.rawValue == ENOENT && e?.stage == "open esc/hostname in the root"
        }
    }

    @Test func openTreeAndMoveMountBindADirectory() throws {
        let target = Self.tempDir()
        defer { _ = rmdir(target) }
        let before = T.mountCount()
        let (status, out) = try Self.run(["ls", target], namespaces: [.mount]) { plan in
            plan.mount(source: nil, target: plan.string("/"), flags: UInt(MS_REC) | UInt(MS_PRIVATE),
                       what: .text("make / private"))
            let tree = plan.openTree(.cwd, "/usr", flags: nsc_shim_OPEN_TREE_CLONE, what: .text("open_tree /usr"))
            plan.moveMount(from: .slot(tree), "", to: .cwd, target, flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH,
                           what: .text("move_mount onto the target"))
        }
        #expect(status == .exited(0))
        #expect(out.split(separator: "\n").contains("bin"))
        #expect(T.mountCount() == before)  // only in the child's mount namespace
    }

    @Test func fsmountCreatesAFilesystemAndMountSetattrMakesItReadOnly() throws {
        let target = Self.tempDir()
        defer { _ = rmdir(target) }
        // A fresh tmpfs: writable.
        let (ok, _) = try Self.run(["sh", "-c", "touch \(target)/x && ls \(target)"], namespaces: [.mount]) { plan in
            plan.mount(source: nil, target: plan.string("/"), flags: UInt(MS_REC) | UInt(MS_PRIVATE),
                       what: .text("make / private"))
            let fs = plan.fsopen("tmpfs", what: .text("fsopen tmpfs"))
            plan.fsconfig(.slot(fs), command: nsc_shim_FSCONFIG_SET_STRING, key: "size", value: "1m", what: .text("size=1m"))
            plan.fsconfig(.slot(fs), command: nsc_shim_FSCONFIG_CMD_CREATE, key: nil, value: nil, what: .text("create"))
            let mnt = plan.fsmount(.slot(fs), what: .text("fsmount"))
            plan.moveMount(from: .slot(mnt), "", to: .cwd, target, flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH,
                           what: .text("move_mount"))
        }
        #expect(ok == .exited(0))
        // The same, made read-only with mount_setattr before it is attached: writes fail.
        let (ro, _) = try Self.run(["sh", "-c", "touch \(target)/x 2>/dev/null"], namespaces: [.mount]) { plan in
            plan.mount(source: nil, target: plan.string("/"), flags: UInt(MS_REC) | UInt(MS_PRIVATE),
                       what: .text("make / private"))
            let fs = plan.fsopen("tmpfs", what: .text("fsopen tmpfs"))
            plan.fsconfig(.slot(fs), command: nsc_shim_FSCONFIG_CMD_CREATE, key: nil, value: nil, what: .text("create"))
            let mnt = plan.fsmount(.slot(fs), what: .text("fsmount"))
            plan.mountSetattr(.slot(mnt), "", flags: nsc_shim_AT_EMPTY_PATH | nsc_shim_AT_RECURSIVE,
                              set: UInt64(nsc_shim_MOUNT_ATTR_RDONLY), clear: 0, propagation: 0, what: .text("read-only"))
            plan.moveMount(from: .slot(mnt), "", to: .cwd, target, flags: nsc_shim_MOVE_MOUNT_F_EMPTY_PATH,
                           what: .text("move_mount"))
        }
        #expect(ro != NSCore.ExitStatus.exited(0))
        #expect(access("\(target)/x", F_OK) != 0)  // nothing reached the host's directory
    }

    @Test func anEmptySlotFailsTheStepThatReadsIt() throws {
        #expect {
            _ = try Self.run(["true"]) { plan in
                let dir = plan.openat2(.cwd, "/", flags: nsc_shim_O_PATH | O_DIRECTORY, resolve: 0, what: .text("open /"))
                plan.close(dir, what: .text("close /"))
                plan.fchdir(.slot(dir), what: .text("fchdir into the closed slot"))
            }
        } throws: { error in
            let e = error as? NSCoreError
            return e?.errno?.rawValue == EBADF && e?.stage == "fchdir into the closed slot"
        }
        #expect(!T.hasChildren())
    }

    @Test func theFrameIsOrdinarySteps() throws {
        let plan = try SpawnPlanner.plan(SpawnConfiguration(["true"], namespaces: [.uts]))
        let kinds = (0..<plan.stepCount).map { plan.kind(ofStep: $0) }
        #expect(kinds.first == NSC_STEP_RESET_SIGNALS)
        #expect(Array(kinds.suffix(3)) == [NSC_STEP_STDIO, NSC_STEP_CLOSE_FDS, NSC_STEP_EXEC])
    }
}

/// The parent's actions during the handshake: run in order while the child waits, undone in
/// reverse when a later one or the spawn fails, kept when the command runs.
@Suite(.serialized)
struct ParentActionTests {
    final class Log: @unchecked Sendable { var entries: [String] = [] }

    static func plan(_ args: [String], log: Log, failSecond: Bool) throws -> SpawnPlan {
        let plan = SpawnPlan()
        try SpawnPlanner.lowerExecutableAndEnvironment(ProcessConfiguration(args), into: plan)
        plan.argumentList = CStringList(args)
        plan.resetSignals()
        plan.waitForParent(what: .text("wait for the parent"))
        plan.parentActions.append(ParentAction { pid throws(NSCoreError) in
            log.entries.append("first \(pid > 0)")
            return { log.entries.append("undo first") }
        })
        plan.parentActions.append(ParentAction { _ throws(NSCoreError) in
            if failSecond { throw .invalid("second", "second: refused") }
            log.entries.append("second")
            return { log.entries.append("undo second") }
        })
        SpawnPlanner.lowerExec((-1, -1, -1), into: plan)
        return plan
    }

    @Test func aFailingActionUndoesTheEarlierOnesAndLeavesNoChild() throws {
        let log = Log()
        #expect { _ = try Spawner.run(Self.plan(["true"], log: log, failSecond: true)) } throws: {
            ($0 as? NSCoreError)?.stage == "second"
        }
        #expect(log.entries == ["first true", "undo first"])
        #expect(!T.hasChildren())
    }

    @Test func aCommandThatCannotBeExecutedUndoesEveryAction() throws {
        // Executable, but not a format the kernel runs: execve fails with ENOEXEC in the child.
        let dir = PlanStepTests.tempDir()
        let bogus = "\(dir)/bogus"
        PlanStepTests.write(bogus, "\u{1}\u{2}not a program\n")
        _ = chmod(bogus, 0o755)
        defer { _ = unlink(bogus); _ = rmdir(dir) }
        let log = Log()
        #expect { _ = try Spawner.run(Self.plan([bogus], log: log, failSecond: false)) } throws: {
            ($0 as? NSCoreError)?.errno?.rawValue == ENOEXEC
        }
        #expect(log.entries == ["first true", "second", "undo second", "undo first"])
        #expect(!T.hasChildren())
    }

    @Test func aCommandThatRunsKeepsWhatTheActionsDid() throws {
        let log = Log()
        let c = try Spawner.run(Self.plan(["true"], log: log, failSecond: false))
        #expect(try c.wait() == .exited(0))
        #expect(log.entries == ["first true", "second"])
    }
}
