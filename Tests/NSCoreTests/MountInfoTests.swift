import Glibc
import Testing
@testable import NSCore

/// /proc/PID/mountinfo, typed: checked against mounts a container makes in its own mount
/// namespace, one in each of the five propagation states.
@Suite(.serialized)
struct MountInfoTests {
    @Test func ownMountsHaveRootAndProc() throws {
        let mounts = try Inspect.mounts(of: getpid())
        #expect(mounts.contains { $0.mountPoint == "/" })
        #expect(mounts.contains { $0.mountPoint == "/proc" && $0.fsType == "proc" })
        #expect(Set(mounts.map(\.id)).count == mounts.count)
        #expect(try Inspect.mounts(of: getpid()).count == mounts.count)
    }

    @Test func theFivePropagationStatesAndEscapedPaths() throws {
        let dir = PlanStepTests.tempDir()
        defer {
            // The mounts went with the container; the directories and the marker are the host's.
            _ = unlink("\(dir)/ready")
            for name in ["shared", "slave", "both", "private", "unbind", "with space"] { _ = rmdir("\(dir)/\(name)") }
            _ = rmdir(dir)
        }
        let script = """
            set -e
            cd \(dir)
            mkdir shared slave both private unbind 'with space'
            mount -t tmpfs nscore-shared shared && mount --make-shared shared
            mount --bind shared slave && mount --make-slave slave
            mount --bind shared both && mount --make-slave both && mount --make-shared both
            mount -t tmpfs nscore-private private && mount --make-private private
            mount -t tmpfs nscore-unbind unbind && mount --make-unbindable unbind
            mount -t tmpfs -o ro,size=1m nscore-space 'with space'
            touch ready
            exec sleep 30
            """
        // The container's root is private (the default), so the host sees none of this.
        var cfg = SpawnConfiguration(["sh", "-c", script], namespaces: [.mount])
        cfg.stdout = .null
        let c = try Container.spawn(cfg)
        defer { _ = try? c.stop(timeout: .milliseconds(100)) }
        for _ in 0..<500 where access("\(dir)/ready", F_OK) != 0 { usleep(10_000) }
        let mounts = try Inspect.mounts(of: c.pid)
        func at(_ name: String) -> MountEntry? { mounts.last { $0.mountPoint == "\(dir)/\(name)" } }
        #expect(at("shared")?.propagation == .shared)
        #expect(at("slave")?.propagation == .slave)
        #expect(at("slave")?.masterGroup == at("shared")?.sharedGroup)
        #expect(at("both")?.propagation == .sharedAndSlave)
        #expect(at("private")?.propagation == .private)
        #expect(at("unbind")?.propagation == .unbindable)
        let spaced = at("with space")
        #expect(spaced?.fsType == "tmpfs" && spaced?.source == "nscore-space" && spaced?.readOnly == true)
        #expect(spaced?.superOptions.contains("size=1024k") == true)
        #expect(at("shared")?.json.contains("\"propagation\":\"shared\"") == true)
        // Not in the caller's mount namespace.
        #expect(try !Inspect.mounts(of: getpid()).contains { $0.mountPoint.hasPrefix(dir + "/") })
    }

    @Test func mountStatsListTheSameMounts() throws {
        let stats = try Inspect.mountStats(of: getpid())
        #expect(stats.contains { $0.mountPoint == "/proc" && $0.fsType == "proc" && $0.device == "proc" })
        #expect(stats.count == (try Inspect.mounts(of: getpid())).count)
        #expect(MountStats(headerLine: "device srv:/x mounted on /mnt\\040a with fstype nfs4 statvers=1.1")?.mountPoint == "/mnt a")
        #expect { try Inspect.mountStats(of: 999_999_999) } throws: { ($0 as? NSCoreError)?.code == .processExited }
    }

    @Test func badInput() throws {
        #expect { try Inspect.mounts(of: 0) } throws: { ($0 as? NSCoreError)?.code == .invalidArgument }
        #expect { try Inspect.mounts(of: 999_999_999) } throws: { ($0 as? NSCoreError)?.code == .processExited }
        #expect(MountEntry(mountinfoLine: "not a mountinfo line") == nil)
        let e = MountEntry(mountinfoLine: "36 35 98:0 /mnt1 /mnt\\0402 rw,noatime master:1 propagate_from:3 - ext3 /dev/root rw,errors=continue")
        #expect(e?.mountPoint == "/mnt 2" && e?.masterGroup == 1 && e?.propagateFrom == 3 && e?.propagation == .slave)
        #expect(e?.major == 98 && e?.minor == 0 && e?.root == "/mnt1" && e?.superOptions == ["rw", "errors=continue"])
    }
}
