import Glibc
import Testing

@testable import NSCore

/// Idmapped mounts: a root filesystem and a volume owned by the host's ids, seen through the
/// container's user namespace without a chown.
@Suite(.serialized)
struct IDMappedMountTests {
    static let range = [IDMapping(containerID: 0, hostID: 100_000, size: 65536)]

    static func config(_ rootfs: String, _ script: String, idmap: Bool) -> SpawnConfiguration {
        var c = RootfsTests.config(rootfs, script, [.mount, .pid, .uts, .ipc, .user])
        c.root = Root(path: rootfs, idmap: idmap)
        c.uidMappings = range
        c.gidMappings = range
        return c
    }

    static func owner(_ path: String) -> (uid_t, gid_t)? {
        var st = stat()
        return stat(path, &st) == 0 ? (st.st_uid, st.st_gid) : nil
    }

    @Test func anIDMappedRootIsTheContainerRootsOwn() throws {
        try RootfsTests.withRootfs(extra: ["stat", "touch", "rm"]) { rootfs, dir in
            #expect(Self.owner(rootfs + "/bin/sh")?.0 == 0)
            // Without idmap, the host's root files belong to nobody inside, and root inside
            // cannot write to them.
            var (s, out) = try T.run(Self.config(rootfs, "stat -c %u:%g /bin/sh; touch /made 2>/dev/null && echo wrote || echo refused",
                                                 idmap: false))
            #expect(s == .exited(0) && out == "65534:65534\nrefused\n", "\(s) \(out)")
            // With idmap they are root's, and what root writes is host root's.
            (s, out) = try T.run(Self.config(rootfs, "stat -c %u:%g /bin/sh; touch /made && echo wrote; id -u 2>/dev/null || true",
                                             idmap: true))
            #expect(s == .exited(0) && out.hasPrefix("0:0\nwrote\n"), "\(s) \(out)")
            #expect(Self.owner(rootfs + "/made").map { $0 == (0, 0) } == true)
            // The host's view of the rootfs is unchanged, and nothing is left mounted on it.
            #expect(Self.owner(rootfs + "/bin/sh")?.0 == 0)
            #expect(!(T.readFile("/proc/self/mountinfo") ?? "").contains(" \(rootfs) "))
            #expect(T.children().isEmpty)
            _ = dir
        }
    }

    @Test func anIDMappedVolume() throws {
        try RootfsTests.withRootfs(extra: ["stat", "touch"]) { rootfs, dir in
            let volume = dir + "/volume"
            #expect(mkdir(volume, 0o755) == 0)
            #expect(chown(volume, 1000, 1000) == 0)
            #expect(mkdir(rootfs + "/data", 0o755) == 0)  // the rootfs is host root's: nobody's inside
            var c = Self.config(rootfs, "stat -c %u:%g /data; touch /data/f && stat -c %u:%g /data/f", idmap: false)
            c.mounts = [Mount(destination: "/data", type: "bind", source: volume, options: ["idmap"])]
            let (s, out) = try T.run(c)
            // Host uid 1000 is uid 1000 inside; a file root makes there is host root's.
            #expect(s == .exited(0) && out == "1000:1000\n0:0\n", "\(s) \(out)")
            #expect(Self.owner(volume + "/f").map { $0 == (0, 0) } == true)
        }
    }

    @Test func idmapIsRefusedWhereItCannotWork() throws {
        try RootfsTests.withRootfs(extra: ["true"]) { rootfs, _ in
            // No user namespace with mappings.
            var c = RootfsTests.config(rootfs, "true")
            c.root = Root(path: rootfs, idmap: true)
            #expect {
                _ = try Container.spawn(c)
            } throws: { e in
                (e as? NSCoreError)?.message.hasPrefix("idmap: an idmapped mount is seen through the container's user namespace") == true
            }
            // idmap on a filesystem that is not a bind.
            var t = Self.config(rootfs, "true", idmap: false)
            t.mounts = [Mount(destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["idmap"])]
            #expect {
                _ = try Container.spawn(t)
            } throws: { e in
                (e as? NSCoreError)?.message.contains("option 'idmap' applies to bind mounts only") == true
            }
            // A filesystem that cannot be idmapped (proc): the parent's error names it.
            var p = Self.config(rootfs, "true", idmap: false)
            p.mounts = [Mount(destination: "/mnt", type: "bind", source: "/proc", options: ["rbind", "idmap"])]
            #expect {
                _ = try Container.spawn(p)
            } throws: { e in
                let m = (e as? NSCoreError)?.message ?? ""
                return m.contains("mount_setattr(MOUNT_ATTR_IDMAP)") && m.contains("cannot be idmapped")
            }
            #expect(T.children().isEmpty)
        }
    }
}
