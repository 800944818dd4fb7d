import CNSCoreShim
import Glibc
import Testing

@testable import NSCore

/// rtnetlink against the real kernel. Every test works inside network namespaces of `sleep`
/// containers it spawned (NL.withNamespaces), opens its netlink sockets inside them, and checks
/// at the end that no link is left there. Nothing is configured in the machine's own namespace
/// and no traffic is sent; `ip` is run (through nsenter) only to cross-check what was set.
@Suite(.serialized, .enabled(if: T.isRoot))
struct NetlinkKernelTests {
    /// Polls `condition` every 20 ms for up to 3 s (operstate changes go through the kernel's
    /// linkwatch work, a moment after the flags change).
    func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<150 {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    /// The error `body` throws (an issue is recorded if it throws none).
    func error(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> NSCoreError? {
        do {
            try body()
            Issue.record("expected an error", sourceLocation: sourceLocation)
            return nil
        } catch let e as NSCoreError {
            return e
        } catch {
            Issue.record("not an NSCoreError: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test func vethPairsMoveIntoNamespacesByPidAndByFd() throws {
        let fdsBefore = T.fdCount()
        try NL.withNamespaces(3) { ns in
            let (a, b, c) = (try ns[0].netlink(), try ns[1].netlink(), try ns[2].netlink())
            try a.createVethPair("ve0", peer: "ve1")
            let ve0 = try a.link(named: "ve0")
            let ve1 = try a.link(named: "ve1")
            #expect(ve0.kind == "veth" && ve1.kind == "veth")
            #expect(ve0.vethPeerIndex == ve1.index && ve1.vethPeerIndex == ve0.index)
            #expect(!ve0.isUp && ve0.operationalState == .down)
            #expect(try a.links().map(\.name) == ["lo", "ve1", "ve0"])

            // By pid, renamed on the way: B sees eth0, A sees ve0's peer in another namespace.
            try a.moveLink("ve1", to: .pid(ns[1].pid), newName: "eth0")
            #expect(try a.linkIfPresent("ve1") == nil)
            let eth0 = try b.link(named: "eth0")
            #expect(eth0.kind == "veth" && eth0.linkIndex == ve0.index && eth0.linkNamespaceID != nil)
            #expect(try a.link(named: "ve0").linkNamespaceID != nil)

            // By fd: a peer created directly in C, and a link moved into C afterwards.
            let cFD = open("/proc/\(ns[2].pid)/ns/net", O_RDONLY | O_CLOEXEC)
            #expect(cFD >= 0)
            defer { close(cFD) }
            try a.createVethPair("vf0", peer: "vf1", peerNamespace: .fd(cFD))
            try a.createVethPair("vg0", peer: "vg1")
            try a.moveLink("vg1", to: .fd(cFD))
            #expect(try c.links().map(\.name).sorted() == ["lo", "vf1", "vg1"])
            #expect(try a.links().map(\.name).sorted() == ["lo", "ve0", "vf0", "vg0"])
            // A peer created in B by pid.
            try a.createVethPair("vh0", peer: "vh1", peerNamespace: .pid(ns[1].pid), mtu: 1400)
            #expect(try b.link(named: "vh1").mtu == 1400 && a.link(named: "vh0").mtu == 1400)

            // Both ends of ve0/eth0 up: flags at once, carrier and operstate shortly after.
            try a.setUp("ve0")
            try b.setUp(.index(eth0.index))
            #expect(try a.link(named: "ve0").isUp && b.link(named: "eth0").isUp)
            #expect(try eventually { try a.link(named: "ve0").operationalState == .up })
            #expect(try eventually { try b.link(named: "eth0").operationalState == .up })
            #expect(try b.link(named: "eth0").flags.contains(.lowerUp))
            // Cross-check with ip inside B.
            let shown = try ns[1].ip(["-d", "-o", "link", "show", "dev", "eth0"])
            #expect(shown.contains("eth0@if\(ve0.index):") && shown.contains("state UP") && shown.contains("veth"))
            try a.setDown("ve0")
            #expect(try eventually { try b.link(named: "eth0").operationalState == .lowerLayerDown })

            // Deleting one end deletes the other, wherever it is.
            for name in ["ve0", "vf0", "vg0", "vh0"] { try a.deleteLink(.name(name)) }
            #expect(try b.links().map(\.name) == ["lo"] && c.links().map(\.name) == ["lo"])
        }
        #expect(T.fdCount() == fdsBefore)
    }

    @Test func ipv4AndIPv6AddressesAreListedWithEveryField() throws {
        try NL.withNamespaces(2) { ns in
            let (a, b) = (try ns[0].netlink(), try ns[1].netlink())
            try a.createVethPair("ve0", peer: "eth0", peerNamespace: .pid(ns[1].pid))
            defer { _ = try? a.deleteLink("ve0") }
            try a.setUp("ve0")
            try b.setUp("eth0")
            let index = try a.index(of: "ve0")
            try a.addAddress(IPPrefix("10.0.0.1/24"), to: "ve0", broadcast: IPPrefix("10.0.0.1/24").broadcast)
            try a.addAddress(IPPrefix("fd00::1/64"), to: .index(index))
            try b.addAddress(IPPrefix("10.0.0.2/24"), to: "eth0")
            try b.addAddress(IPPrefix("fd00::2/64"), to: "eth0")

            let v4 = try a.addresses(of: "ve0", family: .v4)
            #expect(v4.count == 1)
            #expect(v4[0].prefix == (try IPPrefix("10.0.0.1/24")))
            #expect(v4[0].interfaceIndex == index)
            #expect(v4[0].family == .v4)
            #expect(v4[0].scope == .universe)
            #expect(v4[0].label == "ve0")
            #expect(v4[0].broadcast == IPv4Address(10, 0, 0, 255))
            #expect(v4[0].peer == nil)
            #expect(v4[0].flags == .permanent)
            #expect(v4[0].validLifetime == UInt32.max && v4[0].preferredLifetime == UInt32.max)

            let v6 = try a.addresses(of: "ve0", family: .v6)
            let global = try #require(v6.first { $0.scope == .universe })
            #expect(global.prefix == (try IPPrefix("fd00::1/64")))
            #expect(global.interfaceIndex == index)
            #expect(global.flags.contains(.noDAD) && global.flags.contains(.permanent))
            #expect(!global.flags.contains(.tentative))  // usable at once
            #expect(global.label == nil && global.broadcast == nil)
            #expect(global.validLifetime == UInt32.max)
            // The link-local address the kernel added when the link came up.
            #expect(
                v6.contains {
                    $0.scope == .link && $0.prefix.length == 64 && $0.address.description.hasPrefix("fe80::")
                })

            // Every address of the namespace: lo's and ve0's, nothing of B's.
            let all = try a.addresses()
            #expect(
                Set(all.map(\.prefix.description)).isSuperset(of: [
                    "127.0.0.1/8", "::1/128", "10.0.0.1/24", "fd00::1/64",
                ]))
            #expect(!all.contains { $0.prefix.description == "10.0.0.2/24" })
            #expect(try b.addresses(of: "eth0", family: .v4).map(\.prefix.description) == ["10.0.0.2/24"])

            // What ip sees inside A.
            let shown = try ns[0].ip(["-o", "addr", "show", "dev", "ve0"])
            #expect(shown.contains("inet 10.0.0.1/24 brd 10.0.0.255 scope global ve0"))
            #expect(shown.contains("inet6 fd00::1/64 scope global nodad"))
            #expect(!shown.split(separator: "\n").contains { $0.contains("fd00::1/64") && $0.contains("tentative") })

            // Remove, then removing again says so.
            try a.removeAddress(IPPrefix("10.0.0.1/24"), from: "ve0")
            try a.removeAddress(IPPrefix("fd00::1/64"), from: "ve0")
            #expect(try a.addresses(of: "ve0").allSatisfy { $0.scope == .link })
            let again = error { try a.removeAddress(IPPrefix("10.0.0.1/24"), from: "ve0") }
            #expect(again?.code == .notFound && again?.errno == Errno(rawValue: EADDRNOTAVAIL))
            #expect(again?.message.hasPrefix("remove address 10.0.0.1/24 from ve0: EADDRNOTAVAIL") == true)
        }
    }

    @Test func defaultRoutesViaAGatewayAreAddedListedAndRemoved() throws {
        try NL.withNamespaces(2) { ns in
            let (a, b) = (try ns[0].netlink(), try ns[1].netlink())
            try a.createVethPair("ve0", peer: "eth0", peerNamespace: .pid(ns[1].pid))
            defer { _ = try? a.deleteLink("ve0") }
            try b.setUp("eth0")
            try b.addAddress(IPPrefix("10.0.0.2/24"), to: "eth0")
            try b.addAddress(IPPrefix("fd00::2/64"), to: "eth0")
            let eth0 = try b.index(of: "eth0")
            try b.addDefaultRoute(via: IPAddress("10.0.0.1"))
            try b.addDefaultRoute(via: IPAddress("fd00::1"), device: "eth0")
            try b.addRoute(to: IPPrefix("10.1.0.0/16"), via: IPAddress("10.0.0.1"), device: "eth0", metric: 5)
            try b.addRoute(to: IPPrefix("10.2.0.0/16"), device: "eth0")

            let v4 = try b.routes(family: .v4)
            let defaultV4 = try #require(v4.first { $0.isDefault })
            #expect(defaultV4.gateway == (try IPAddress("10.0.0.1")))
            #expect(defaultV4.outputInterface == eth0)
            #expect(defaultV4.table == RouteTable.main && defaultV4.protocol == .boot)
            #expect(defaultV4.scope == .universe && defaultV4.type == .unicast && defaultV4.metric == nil)
            let connected = try #require(v4.first { $0.destination.description == "10.0.0.0/24" })
            #expect(connected.gateway == nil && connected.protocol == .kernel && connected.scope == .link)
            #expect(connected.preferredSource == (try IPAddress("10.0.0.2")))
            let via = try #require(v4.first { $0.destination.description == "10.1.0.0/16" })
            #expect(via.gateway == (try IPAddress("10.0.0.1")) && via.metric == 5 && via.outputInterface == eth0)
            let direct = try #require(v4.first { $0.destination.description == "10.2.0.0/16" })
            #expect(direct.gateway == nil && direct.scope == .link && direct.protocol == .boot)
            #expect(v4.count == 4)

            let v6 = try b.routes(family: .v6)
            let defaultV6 = try #require(v6.first { $0.isDefault })
            #expect(defaultV6.gateway == (try IPAddress("fd00::1")) && defaultV6.outputInterface == eth0)
            #expect(defaultV6.metric == 1024 && defaultV6.protocol == .boot)
            #expect(v6.contains { $0.destination.description == "fd00::/64" && $0.protocol == .kernel })
            #expect(try b.routes().count == v4.count + v6.count)
            // The main table only: no local routes (those are in table 255).
            #expect(v4.allSatisfy { $0.table == RouteTable.main && $0.type == .unicast })
            #expect(try b.routes(family: .v4, table: RouteTable.local).contains { $0.type == .local })

            let shown = try ns[1].ip(["-o", "route", "show"])
            #expect(shown.contains("default via 10.0.0.1 dev eth0"))
            #expect(shown.contains("10.1.0.0/16 via 10.0.0.1 dev eth0 metric 5"))
            #expect(try ns[1].ip(["-6", "-o", "route", "show"]).contains("default via fd00::1 dev eth0 metric 1024"))

            try b.removeRoute(to: .any(.v4), via: IPAddress("10.0.0.1"))
            try b.removeRoute(to: .any(.v6))
            try b.removeRoute(to: IPPrefix("10.1.0.0/16"))
            #expect(try !b.routes().contains { $0.isDefault })
            let missing = error { try b.removeRoute(to: .any(.v4)) }
            #expect(missing?.code == .notFound && missing?.errno == Errno(rawValue: ESRCH))
            #expect(missing?.message.contains("no such route") == true)
        }
    }

    @Test func bridgePortsMTUMACAndRename() throws {
        try NL.withNamespaces(1) { ns in
            let a = try ns[0].netlink()
            try a.createBridge("br0")
            try a.createVethPair("ve0", peer: "ve1")
            defer {
                _ = try? a.deleteLink("ve0")
                _ = try? a.deleteLink("br0")
            }
            let bridge = try a.link(named: "br0")
            #expect(bridge.kind == "bridge" && !bridge.isUp)
            try a.setUp("br0")

            try a.attach("ve0", toBridge: "br0")
            var ve0 = try a.link(named: "ve0")
            #expect(ve0.masterIndex == bridge.index && ve0.portKind == "bridge")
            #expect(try ns[0].ip(["-o", "link", "show", "dev", "ve0"]).contains("master br0"))
            try a.detachFromBridge("ve0")
            ve0 = try a.link(named: "ve0")
            #expect(ve0.masterIndex == nil && ve0.portKind == nil)
            try a.detachFromBridge("ve0")  // no master: nothing to do
            try a.attach(.index(ve0.index), toBridge: .index(bridge.index))
            #expect(try a.link(named: "ve0").masterIndex == bridge.index)

            try a.setMTU("ve0", 1400)
            let mac = try MACAddress("02:00:0a:00:00:02")
            try a.setMACAddress("ve0", mac)
            ve0 = try a.link(named: "ve0")
            #expect(ve0.mtu == 1400 && ve0.macAddress == mac)
            let shown = try ns[0].ip(["-o", "link", "show", "dev", "ve0"])
            #expect(shown.contains("mtu 1400") && shown.contains("link/ether 02:00:0a:00:00:02"))

            let ve1 = try a.link(named: "ve1")
            try a.renameLink("ve1", to: "veth-peer")
            #expect(try a.link(named: "veth-peer").index == ve1.index)
            #expect(try a.linkIfPresent("ve1") == nil)
            try a.renameLink(.index(ve1.index), to: "ve1")
            #expect(try a.link(index: ve1.index).name == "ve1")

            try a.deleteLink("br0")
            #expect(try a.link(named: "ve0").masterIndex == nil)
        }
    }

    @Test func errorsAreClearAndLeaveNothingBehind() throws {
        try NL.withNamespaces(1) { ns in
            let a = try ns[0].netlink()
            try a.createVethPair("ve0", peer: "ve1")
            defer { _ = try? a.deleteLink("ve0") }
            let before = try a.links()

            // Duplicate names: EEXIST, nothing created (not even the free half of a pair).
            let duplicate = error { try a.createVethPair("ve0", peer: "vx1") }
            #expect(duplicate?.errno == Errno(rawValue: EEXIST) && duplicate?.stage == "create veth pair ve0/vx1")
            #expect(duplicate?.message.hasPrefix("create veth pair ve0/vx1: EEXIST (File exists)") == true)
            #expect(error { try a.createVethPair("vx0", peer: "ve1") }?.errno == Errno(rawValue: EEXIST))
            #expect(error { try a.createBridge("ve0") }?.message == "create bridge ve0: EEXIST (File exists)")
            #expect(error { try a.renameLink("ve0", to: "ve1") }?.errno == Errno(rawValue: EEXIST))
            // With the kernel's own words where it gives them.
            try a.addAddress(IPPrefix("10.0.0.1/24"), to: "ve0")
            let address = error { try a.addAddress(IPPrefix("10.0.0.1/24"), to: "ve0") }
            #expect(address?.errno == Errno(rawValue: EEXIST))
            #expect(
                address?.message
                    == "add address 10.0.0.1/24 to ve0: EEXIST (File exists): kernel says \"ipv4: Address already assigned\""
            )
            try a.removeAddress(IPPrefix("10.0.0.1/24"), from: "ve0")
            let mtu = error { try a.setMTU("ve0", 20) }
            #expect(mtu?.code == .invalidArgument)
            #expect(
                mtu?.message
                    == "set mtu of ve0 to 20: EINVAL (Invalid argument): kernel says \"mtu less than device minimum\"")
            let gateway = error { try a.addDefaultRoute(via: IPAddress("10.9.0.1")) }
            #expect(
                gateway?.errno == Errno(rawValue: ENETUNREACH) && gateway?.message.contains("kernel says \"") == true)

            // Unknown links: ENODEV, "not found", the operation named.
            let unknown = error { try a.setUp("nosuch") }
            #expect(unknown?.code == .notFound && unknown?.errno == Errno(rawValue: ENODEV))
            #expect(unknown?.message == "set link nosuch up: ENODEV (No such device)")
            #expect(error { try a.deleteLink(.index(999)) }?.code == .notFound)
            #expect(error { _ = try a.link(named: "nosuch") }?.stage == "get link nosuch")
            #expect(
                error { try a.addAddress(IPPrefix("10.0.0.1/24"), to: "nosuch") }?.stage
                    == "add address 10.0.0.1/24 to nosuch")
            #expect(error { try a.attach("ve0", toBridge: "nosuch") }?.code == .notFound)
            #expect(try a.linkIfPresent("nosuch") == nil)

            // Bad input is refused before any request.
            #expect(
                error { try a.createVethPair("veth-0123456789a", peer: "x") }?.message
                    == "the interface name 'veth-0123456789a' is 16 bytes long; Linux allows at most 15")
            #expect(error { try a.createBridge("br 0") }?.code == .invalidArgument)
            #expect(error { try a.createVethPair("a/b", peer: "c") }?.code == .invalidArgument)
            #expect(error { try a.renameLink("ve0", to: "..") }?.code == .invalidArgument)
            #expect(error { _ = try IPPrefix("10.0.0.2") }?.code == .invalidArgument)
            #expect(error { _ = try IPPrefix("10.0.0.2/33") }?.code == .invalidArgument)
            #expect(
                error { try a.addRoute(to: IPPrefix("10.1.2.3/16"), device: "ve0") }?.message
                    == "add route 10.1.2.3/16 dev ve0: the destination 10.1.2.3/16 has host bits set; the network is 10.1.0.0/16"
            )
            #expect(
                error { try a.addRoute(to: IPPrefix("fd00::/64"), via: IPAddress("10.0.0.1")) }?.code
                    == .invalidArgument)
            #expect(
                error { try a.addAddress(IPPrefix("fd00::1/64"), to: "ve0", broadcast: .any) }?.code == .invalidArgument
            )
            #expect(error { try a.setMACAddress("ve0", MACAddress("01:00:5e:00:00:01")) }?.code == .invalidArgument)
            #expect(error { try a.setUp(.index(0)) }?.code == .invalidArgument)
            #expect(error { try a.attach("ve0", toBridge: "ve1") }?.message.contains("is it a bridge?") == true)

            // Moving into a process that does not exist.
            let exited = try Container.spawn(SpawnConfiguration(["true"]))
            _ = try exited.wait()
            let gone = error { try a.moveLink("ve1", to: .pid(exited.pid)) }
            #expect(gone?.code == .processExited && gone?.errno == Errno(rawValue: ESRCH))
            #expect(gone?.stage == "move link ve1 into the network namespace of pid \(exited.pid)")

            // Nothing changed.
            #expect(try a.links().map(\.name) == before.map(\.name))
            #expect(try a.addresses(of: "ve0", family: .v4).isEmpty)
        }
    }

    @Test func socketsOpenInsideANamespaceAndTheThreadComesBack() throws {
        try NL.withNamespaces(1) { ns in
            var mine = stat()
            var after = stat()
            stat("/proc/thread-self/ns/net", &mine)
            let byPid = try ns[0].netlink()
            let path = "/proc/\(ns[0].pid)/ns/net"
            let byPath = try RouteNetlink(networkNamespaceAt: path)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            defer { close(fd) }
            let byFD = try RouteNetlink(networkNamespace: fd)
            let byReference = try RouteNetlink(.fd(fd))
            stat("/proc/thread-self/ns/net", &after)
            #expect(mine.st_ino == after.st_ino)  // the thread is back in its own namespace

            try byPid.createVethPair("ve0", peer: "ve1")
            for client in [byPath, byFD, byReference] {
                #expect(try client.links().map(\.name) == ["lo", "ve1", "ve0"])
            }
            // The socket stays in the namespace whatever thread uses it.
            let names = try NetlinkThread.run { try byFD.links().map(\.name) }
            #expect(names == ["lo", "ve1", "ve0"])
            try byFD.deleteLink("ve0")

            // Not a network namespace, not a descriptor, not a process.
            let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer { close(devNull) }
            #expect(error { _ = try RouteNetlink(networkNamespace: devNull) }?.code == .invalidArgument)
            #expect(error { _ = try RouteNetlink(networkNamespace: 9999) }?.code == .invalidArgument)
            #expect(error { _ = try RouteNetlink(networkNamespaceAt: "/nonexistent") }?.code == .notFound)
            #expect(error { _ = try RouteNetlink(networkNamespaceOf: 999_999_999) } != nil)
            stat("/proc/thread-self/ns/net", &after)
            #expect(mine.st_ino == after.st_ino)
            #expect(byFD.socket.hasExtendedAcks)
        }
    }

    @Test func largeDumpsSpanManyDatagramsAndStaleRepliesAreSkipped() throws {
        try NL.withNamespaces(1) { ns in
            let a = try ns[0].netlink()
            let pairs = 150
            for i in 0..<pairs { try a.createVethPair("va\(i)", peer: "vb\(i)") }
            defer { for i in 0..<pairs { _ = try? a.deleteLink(.name("va\(i)")) } }
            // Left-over requests: sent, never read. Later requests skip their replies, and a new
            // dump first reads the old one to its end (the kernel runs one dump at a time).
            _ = try a.socket.send(RouteRequest.dumpLinks().withFlags(.dump), operation: "stale dump")
            #expect(try a.link(named: "va3").name == "va3")
            _ = try a.socket.send(try RouteRequest.getLink("vb9", "stale").withFlags(.ack), operation: "stale get")
            let links = try a.links()
            #expect(links.count == 1 + 2 * pairs)
            #expect(Set(links.map(\.name)).count == links.count)
            #expect(try a.link(named: "va7").vethPeerIndex == a.link(named: "vb7").index)
            for i in 0..<pairs { try a.deleteLink(.name("va\(i)")) }
            #expect(try a.links().map(\.name) == ["lo"])
        }
    }
}

extension NetlinkMessageBuilder {
    /// This message with `flags` added (for tests that send by hand).
    func withFlags(_ flags: NetlinkMessageFlags) -> NetlinkMessageBuilder {
        var m = self
        m.flags.formUnion(flags.union(.request))
        return m
    }
}

/// Runs a closure on a new thread and waits for it (pthread; no Foundation).
enum NetlinkThread {
    final class Work: @unchecked Sendable {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    static func run<R>(_ body: @escaping () throws -> R) throws -> R {
        var result: Result<R, any Error>?
        let work = Unmanaged.passRetained(Work { result = Result { try body() } })
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, work.toOpaque())
        precondition(rc == 0)
        pthread_join(thread, nil)
        return try result!.get()
    }
}
