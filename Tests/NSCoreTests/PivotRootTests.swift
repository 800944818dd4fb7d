import Glibc
import Testing
@testable import NSCore

/// pivot_root into a root filesystem built from the host's binaries (tools/make-test-rootfs.sh),
/// through a hand-built plan: the mechanism the root filesystem feature is built on.
@Suite(.serialized)
struct PivotRootTests {
    /// The repository's tools directory, from this file's path.
    static var tools: String {
        var path = "\(#filePath)"
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/tools"
    }

    /// A fresh rootfs; `body` gets its path; everything is removed afterwards.
    static func withRootfs(_ body: (String) throws -> Void) throws {
        let dir = PlanStepTests.tempDir()
        defer { _ = try? T.run(["rm", "-rf", dir]) }
        let (status, _) = try T.run(["/bin/bash", tools + "/make-test-rootfs.sh", dir + "/root"])
        #expect(status == .exited(0))
        try body(dir + "/root")
    }

    static func run(_ rootfs: String, readOnly: Bool, procInRoot: Bool = false, _ script: String) throws
        -> (NSCore.ExitStatus, String)
    {
        try T.capture { stdout in
            guard case .fd(let out) = stdout else { fatalError("capture gives an fd") }
            let plan = SpawnPlan()
            let args = ["/bin/sh", "-c", script]
            try SpawnPlanner.lowerExecutableAndEnvironment(ProcessConfiguration(args), into: plan)
            plan.argumentList = CStringList(args)
            plan.cloneFlags = UInt64(UInt32(bitPattern: NamespaceSet([.mount, .pid]).cloneFlags))
            plan.resetSignals()
            plan.mount(source: nil, target: plan.string("/"), flags: UInt(MS_REC) | UInt(MS_PRIVATE), what: .text("private /"))
            if procInRoot {
                // /proc mounted before the pivot, on the target opened in the rootfs.
                PivotRoot.lower(rootfs: rootfs, readOnly: readOnly, into: plan) { plan, root in
                    InRoot.mountProc(in: root, into: plan)
                }
            } else {
                PivotRoot.lower(rootfs: rootfs, readOnly: readOnly, into: plan)
                plan.mount(source: plan.string("proc"), target: plan.string("/proc"), fstype: plan.string("proc"),
                           flags: UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC), what: .text("mount proc"))
            }
            SpawnPlanner.lowerExec((-1, out, -1), into: plan)
            return try Spawner.run(plan)
        }
    }

    @Test func theHostRootIsGoneAndTheRootfsIsRoot() throws {
        try Self.withRootfs { rootfs in
            let before = T.mountCount()
            let (status, out) = try Self.run(rootfs, readOnly: false, """
                ls /; echo ---; cat /etc/passwd; readlink /proc/1/root; \
                test -e \(Self.tools) && echo host-visible || echo host-gone; \
                n=0; while read -r line; do n=$((n + 1)); done < /proc/self/mountinfo; echo $n
                """)
            #expect(status == .exited(0))
            let parts = out.split(separator: "---\n", maxSplits: 1)
            #expect(parts.first?.split(separator: "\n").contains("etc") == true)
            #expect(parts.count == 2 && parts[1].hasPrefix("root:x:0:0:root:/root:/bin/sh\n/\nhost-gone\n"), "\(out)")
            // Only the rootfs and its /proc are mounted in there: the old root is detached.
            #expect(parts.count == 2 && parts[1].hasSuffix("\n2\n"), "\(out)")
            #expect(T.mountCount() == before)
        }
    }

    @Test func aReadOnlyRootRefusesWrites() throws {
        try Self.withRootfs { rootfs in
            let (status, out) = try Self.run(rootfs, readOnly: true, "touch /x 2>&1; echo $?; touch /tmp/y 2>&1; echo $?")
            #expect(status == .exited(0))
            let lines = out.split(separator: "\n")
            #expect(lines.contains { $0.contains("Read-only file system") }, "\(out)")
            #expect(access(rootfs + "/x", F_OK) != 0)
        }
    }

    @Test func procMountedOnItsOpenedTargetBeforeThePivot() throws {
        try Self.withRootfs { rootfs in
            let (status, out) = try Self.run(rootfs, readOnly: true, procInRoot: true,
                                             "readlink /proc/1/root; while read -r a b c d e f rest; do [ \"$e\" = /proc ] && echo \"$f\"; done < /proc/self/mountinfo")
            #expect(status == .exited(0))
            #expect(out.hasPrefix("/\n") && out.contains("nosuid,nodev,noexec"), "\(out)")
        }
    }

    /// runc CVE-2019-16884's class: a rootfs whose /proc is a symlink (here to /, which in the
    /// rootfs is the rootfs itself, and to a path out of it). The mount target is refused
    /// (ELOOP), never followed.
    @Test func aProcThatIsASymlinkIsRefused() throws {
        for link in ["/", "../../../../../../etc", "/tmp"] {
            try Self.withRootfs { rootfs in
                #expect(rmdir(rootfs + "/proc") == 0 && symlink(link, rootfs + "/proc") == 0)
                #expect {
                    _ = try Self.run(rootfs, readOnly: false, procInRoot: true, "true")
                } throws: { error in
                    let e = error as? NSCoreError
                    return e?.errno?.rawValue == ELOOP && e?.stage == "open the mount target (no symlinks) in the rootfs: proc"
                }
                #expect(!T.hasChildren())
            }
        }
    }

    @Test func aMissingRootfsFailsTheStepThatNamesIt() throws {
        #expect {
            _ = try Self.run("/nonexistent-rootfs", readOnly: false, "true")
        } throws: { error in
            let e = error as? NSCoreError
            return e?.errno?.rawValue == ENOENT && e?.stage == "bind the rootfs onto itself: /nonexistent-rootfs"
        }
        #expect(!T.hasChildren())
    }
}
