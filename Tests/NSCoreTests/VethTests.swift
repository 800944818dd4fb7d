import CNSCoreShim
import Glibc
import Synchronization
import Testing

@testable import NSCore

/// Veth networks (``SpawnConfiguration/network``) set up by the parent while the child waits.
/// The "host" side is a network namespace the test made (a `sleep` container's); the spawns run
/// on a thread inside it, so no link, address or route ever lands in the machine's own
/// namespace, and no packet leaves the test's namespaces.
@Suite(.serialized)
struct VethTests {
    /// Runs `body` on this thread inside a fresh "host" network namespace; afterwards checks
    /// that it holds only `lo` (and the bridges listed in `bridges`, then removed).
    static func inHost(bridges: [String] = [], _ body: (NL.Namespace) throws -> Void) throws {
        try NL.withNamespaces(1) { ns in
            let host = ns[0]
            var failure: (any Error)? = nil
            let r: Result<Void, NSCoreError> = Result { () throws(NSCoreError) in
                try ThreadNamespace.run(in: [.network], of: host.pid) { () throws(NSCoreError) in
                    do { try body(host) } catch { failure = error }
                }
            }
            try r.get()
            if let failure { throw failure }
            let names = try host.netlink().links().map(\.name).sorted()
            #expect(names == (["lo"] + bridges).sorted(), "left in the host namespace: \(names)")
            for b in bridges { try ThreadNamespace.run(in: [.network], of: host.pid) { () throws(NSCoreError) in try Bridge.remove(b) } }
        }
    }

    static func veth(_ addresses: [String], gateway: String? = "10.77.0.1") throws -> NetworkConfiguration {
        .veth(Veth(bridge: Bridge("nscbr0", address: try IPPrefix("10.77.0.1/24")),
                   addresses: try addresses.map { a throws(NSCoreError) in try IPPrefix(a) },
                   gateway: try gateway.map { g throws(NSCoreError) in try IPAddress(g) }))
    }

    static let echoServer = """
        import socket
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", 7777)); s.listen(8)
        for _ in range(2):
            c, _ = s.accept(); c.sendall(b"echo:" + c.recv(100)); c.close()
        """

    static let client = """
        import socket, sys, time
        for host in sys.argv[1:]:
            for attempt in range(100):
                try:
                    c = socket.create_connection((host, 7777), timeout=2); break
                except OSError as e:
                    err = e; time.sleep(0.05)
            else:
                print(host, "failed", err); continue
            c.sendall(b"hi"); print(host, c.recv(100).decode()); c.close()
        """

    /// Serves two echo connections and, meanwhile, connects to each HOST given (retrying until it
    /// listens) and prints its answer: run in two containers, each reaches the other.
    static let peer = """
        import socket, sys, threading, time
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", 7777)); s.listen(8)
        def serve():
            for _ in range(2):
                c, _ = s.accept(); c.sendall(b"echo:" + c.recv(100)); c.close()
        t = threading.Thread(target=serve); t.start()
        for host in sys.argv[1:]:
            for attempt in range(100):
                try:
                    c = socket.create_connection((host, 7777), timeout=2); break
                except OSError as e:
                    err = e; time.sleep(0.05)
            else:
                print(host, "failed", err, flush=True); continue
            c.sendall(b"hi from " + c.getsockname()[0].removeprefix("::ffff:").encode())
            print(host, c.recv(100).decode(), flush=True); c.close()
        t.join()
        """

    @Test func twoContainersOnABridgeTalkOverIPv4AndIPv6() throws {
        try Self.inHost(bridges: ["nscbr0"]) { host in
            var server = SpawnConfiguration(["/usr/bin/python3", "-c", Self.echoServer], namespaces: [.network, .uts])
            server.network = try Self.veth(["10.77.0.2/24", "fd77::2/64"])
            let a = try Container.spawn(server)
            defer { _ = try? a.stop(timeout: .seconds(1)) }
            var client = SpawnConfiguration(["/usr/bin/python3", "-c", Self.client, "10.77.0.2", "fd77::2"],
                                            namespaces: [.network])
            client.network = try Self.veth(["10.77.0.3/24", "fd77::3/64"])
            let (status, out) = try T.run(client)
            #expect(status == .exited(0))
            #expect(out == "10.77.0.2 echo:hi\nfd77::2 echo:hi\n", "\(out)")
            #expect(try a.wait() == .exited(0))

            // Both ways at once: each container serves and connects to the other, over IPv4
            // and IPv6 (the first one's answers go to a file: it shares the test's filesystem).
            let file = "/tmp/nscore-veth-both-\(getpid())"
            defer { unlink(file) }
            var first = SpawnConfiguration(["sh", "-c", "exec /usr/bin/python3 -c \"$0\" \"$@\" > \(file)",
                                            Self.peer, "10.77.0.6", "fd77::6"], namespaces: [.network])
            first.network = try Self.veth(["10.77.0.5/24", "fd77::5/64"])
            let f = try Container.spawn(first)
            defer { _ = try? f.stop(timeout: .seconds(1)) }
            var second = SpawnConfiguration(["/usr/bin/python3", "-c", Self.peer, "10.77.0.5", "fd77::5"], namespaces: [.network])
            second.network = try Self.veth(["10.77.0.6/24", "fd77::6/64"])
            let (s1, o1) = try T.run(second)
            #expect(s1 == .exited(0))
            #expect(o1 == "10.77.0.5 echo:hi from 10.77.0.6\nfd77::5 echo:hi from fd77::6\n", "\(o1)")
            #expect(try f.wait() == .exited(0))
            let fromFirst = T.readFile(file) ?? ""
            #expect(fromFirst == "10.77.0.6 echo:hi from 10.77.0.5\nfd77::6 echo:hi from fd77::5\n", "\(fromFirst)")

            // Inside: eth0 up with its addresses and the default route, ready at exec.
            var look = SpawnConfiguration(["sh", "-c", "ip -o -4 addr show eth0; ip route show default; cat /sys/class/net/eth0/operstate"],
                                          namespaces: [.network, .mount])
            look.network = try Self.veth(["10.77.0.4/24"])
            let (s2, o2) = try T.run(look)
            #expect(s2 == .exited(0))
            #expect(o2.contains("inet 10.77.0.4/24") && o2.contains("default via 10.77.0.1 dev eth0"), "\(o2)")
            // Each container's host end was on the bridge, and is gone with the container.
            _ = host
        }
    }

    /// `tools/pinger.py TIMEOUT HOST...`: ICMP echo to each HOST, a line "HOST reply" or "HOST no
    /// reply" each; exits 1 when any went unanswered.
    static let pinger: String = {
        var path = "\(#filePath)"
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path + "/tools/pinger.py"
    }()

    @Test func pingBetweenContainersAndToTheGateway() throws {
        try Self.inHost(bridges: ["nscbr0"]) { _ in
            var target = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
            target.network = try Self.veth(["10.77.0.2/24", "fd77::2/64"])
            let a = try Container.spawn(target)
            defer { _ = try? a.stop(timeout: .zero) }
            // B to A over IPv4 and IPv6, and B to the bridge (the gateway, IPv4 only).
            var ping = SpawnConfiguration(["/usr/bin/python3", Self.pinger, "2", "10.77.0.2", "fd77::2", "10.77.0.1"],
                                          namespaces: [.network])
            ping.network = try Self.veth(["10.77.0.3/24", "fd77::3/64"])
            let (status, out) = try T.run(ping)
            #expect(status == .exited(0))
            #expect(out == "10.77.0.2 reply\nfd77::2 reply\n10.77.0.1 reply\n", "\(out)")

            // An address nobody on the bridge has: no reply, whatever the address family.
            var nobody = SpawnConfiguration(["/usr/bin/python3", Self.pinger, "0.5", "10.77.0.99", "fd77::99"],
                                            namespaces: [.network])
            nobody.network = try Self.veth(["10.77.0.4/24", "fd77::4/64"])
            let (s2, o2) = try T.run(nobody)
            #expect(s2 == .exited(1))
            #expect(o2 == "10.77.0.99 no reply\nfd77::99 no reply\n", "\(o2)")
        }
    }

    /// A spawn remembers the bridge it checked (by namespace and name) and later spawns put
    /// their host end on it by index. When the bridge goes behind its back, the next spawn finds
    /// out, makes it again and uses the new one; a link of another kind under its name is
    /// refused, and nothing is left.
    @Test func aBridgeRemovedOrRemadeBetweenSpawnsIsCheckedAgain() throws {
        try Self.inHost(bridges: ["nscbr0"]) { host in
            let rt = try host.netlink()
            func spawnOnBridge(_ address: String) throws -> Container {
                var c = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
                c.network = try Self.veth([address])
                return try Container.spawn(c)
            }
            /// The bridge's index, and the indexes of its ports.
            func bridgeAndPorts() throws -> (Int32, Set<Int32>) {
                let links = try rt.links()
                let bridge = try #require(links.first { $0.name == "nscbr0" && $0.kind == "bridge" })
                return (bridge.index, Set(links.filter { $0.masterIndex == bridge.index }.map(\.index)))
            }
            let a = try spawnOnBridge("10.77.0.2/24")
            defer { _ = try? a.stop(timeout: .zero) }
            let (first, ports1) = try bridgeAndPorts()
            #expect(ports1.count == 1)

            // Removed behind NSCore's back (its port goes too): made again, with a new index.
            try rt.deleteLink(.name("nscbr0"))
            let b = try spawnOnBridge("10.77.0.3/24")
            defer { _ = try? b.stop(timeout: .zero) }
            let (second, ports2) = try bridgeAndPorts()
            #expect(second != first)
            #expect(ports2.count == 1, "the new container's host end is a port of the new bridge")
            let bridgeAddresses = try rt.addresses(of: .name("nscbr0")).map(\.prefix.description)
            #expect(bridgeAddresses.contains("10.77.0.1/24"), "\(bridgeAddresses)")

            // A link of another kind under the bridge's name: refused, nothing made.
            try rt.deleteLink(.name("nscbr0"))
            try rt.createVethPair("nscbr0", peer: "nscbrpeer0")
            let before = try rt.links().map(\.name).sorted()
            do {
                _ = try spawnOnBridge("10.77.0.4/24")
                Issue.record("a spawn onto a veth named like the bridge succeeded")
            } catch {
                let message = (error as? NSCoreError)?.message ?? "\(error)"
                #expect(message.contains("'nscbr0' exists and is not a bridge (its kind is veth)"), "\(message)")
            }
            #expect(try rt.links().map(\.name).sorted() == before)
            try rt.deleteLink(.name("nscbr0"))
            // Made again by the next spawn, for inHost's check and removal.
            let c = try spawnOnBridge("10.77.0.5/24")
            _ = try c.stop(timeout: .zero)
        }
    }

    @Test func aContainerWithOnlyLoCannotReachThem() throws {
        try Self.inHost(bridges: ["nscbr0"]) { _ in
            var server = SpawnConfiguration(["/usr/bin/python3", "-c", Self.echoServer], namespaces: [.network])
            server.network = try Self.veth(["10.77.0.2/24"])
            let a = try Container.spawn(server)
            defer { _ = try? a.stop(timeout: .seconds(1)) }
            let lonely = SpawnConfiguration(["/usr/bin/python3", "-c", """
                import socket
                try:
                    socket.create_connection(("10.77.0.2", 7777), timeout=1); print("reached")
                except OSError as e:
                    print("unreachable", e.errno)
                """], namespaces: [.network])
            let (status, out) = try T.run(lonely)
            #expect(status == .exited(0))
            #expect(out == "unreachable \(ENETUNREACH)\n", "\(out)")
        }
    }

    /// A container with no IPv6 address gets no IPv6 link-local one on eth0 (it sends nothing
    /// IPv6 onto the bridge); one with an IPv6 address gets its link-local address as usual.
    @Test func onlyContainersWithIPv6GetALinkLocalAddress() throws {
        try Self.inHost(bridges: ["nscbr0"]) { _ in
            var v4 = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
            v4.network = try Self.veth(["10.77.0.2/24"])
            let a = try Container.spawn(v4)
            defer { _ = try? a.stop(timeout: .zero) }
            var dual = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
            dual.network = try Self.veth(["10.77.0.3/24", "fd77::3/64"])
            let b = try Container.spawn(dual)
            defer { _ = try? b.stop(timeout: .zero) }
            func v6(_ c: Container) throws -> [String] {
                try RouteNetlink(networkNamespaceOf: c.pid).addresses(of: .name("eth0"), family: .v6)
                    .map(\.prefix.description).sorted()
            }
            // The kernel adds a link-local address once the link has a carrier: wait for b's.
            var waited = 0
            while try !v6(b).contains(where: { $0.hasPrefix("fe80:") }) && waited < 200 {
                usleep(10_000)
                waited += 1
            }
            let dualV6 = try v6(b), v4V6 = try v6(a)
            #expect(dualV6.count == 2 && dualV6.contains("fd77::3/64"), "\(dualV6)")
            #expect(v4V6 == [], "an IPv4-only container: \(v4V6)")
            // Its IPv4 works as before.
            let inside = try RouteNetlink(networkNamespaceOf: a.pid)
            #expect(try inside.addresses(of: .name("eth0"), family: .v4).map(\.prefix.description) == ["10.77.0.2/24"])
        }
    }

    /// The host end is deleted from the namespace it was made in, which each container keeps
    /// open: containers spawned from one namespace share one descriptor of it.
    @Test func containersShareOneDescriptorOfTheirHostNamespace() throws {
        try Self.inHost(bridges: ["nscbr0"]) { _ in
            let host = try sys_readlink("/proc/thread-self/ns/net").get()
            func held() -> Int {
                var n = 0
                for fd in 0..<4096 where (try? sys_readlink("/proc/self/fd/\(fd)").get()) == host { n += 1 }
                return n
            }
            let before = held()
            var containers: [Container] = []
            defer { for c in containers { _ = try? c.stop(timeout: .zero) } }
            for i in 2...5 {
                var c = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
                c.network = try Self.veth(["10.77.0.\(i)/24"])
                containers.append(try Container.spawn(c))
            }
            #expect(held() == before + 1, "descriptors of the host namespace: \(before) before, \(held()) after")
            for c in containers { _ = try c.stop(timeout: .zero) }
            containers = []
            #expect(held() == before, "after the reaps")
        }
    }

    @Test func theHostEndAndItsPeerAreSetAsAsked() throws {
        try Self.inHost(bridges: ["nscbr0"]) { host in
            var c = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
            c.network = .veth(Veth(interface: "web0", hostInterface: "nschost0",
                                   bridge: Bridge("nscbr0", address: try IPPrefix("10.77.0.1/24")),
                                   addresses: [try IPPrefix("10.77.0.9/24")], gateway: try IPAddress("10.77.0.1"),
                                   mtu: 1400, mac: try MACAddress("02:42:ac:11:00:09")))
            let ctr = try Container.spawn(c)
            let outside = try host.netlink()
            let hostEnd = try outside.link(named: "nschost0")
            let bridge = try outside.link(named: "nscbr0")
            #expect(hostEnd.kind == "veth" && hostEnd.isUp && hostEnd.mtu == 1400 && hostEnd.masterIndex == bridge.index)
            let inside = try RouteNetlink(networkNamespaceOf: ctr.pid)
            let eth = try inside.link(named: "web0")
            #expect(eth.isUp && eth.mtu == 1400 && eth.macAddress?.description == "02:42:ac:11:00:09")
            #expect(eth.vethPeerIndex == hostEnd.index)
            #expect(try inside.addresses(of: .name("web0"), family: .v4).map(\.prefix.description) == ["10.77.0.9/24"])
            #expect(try bridge.isUp && outside.addresses(of: .name("nscbr0"), family: .v4).map(\.prefix.description) == ["10.77.0.1/24"])
            _ = try ctr.stop(timeout: .zero)
            // Reaped: the host end is gone (the handle deletes it if the kernel has not).
            #expect(try outside.linkIfPresent(.name("nschost0")) == nil)
        }
    }

    /// Bad input and failures at each network step: a clear error, and no link, address or
    /// process left behind.
    @Test func failuresLeaveNothingBehind() throws {
        try Self.inHost(bridges: ["nscbr0", "taken0"]) { host in
            try host.netlink().createBridge("taken0")
            let cases: [(String, (inout Veth) throws -> Void, String)] = [
                ("gateway outside", { $0.gateway = try IPAddress("10.99.0.1") }, "outside every address's subnet"),
                ("long name", { $0.interface = "a-very-long-name0" }, "interface name"),
                ("slash", { $0.hostInterface = "a/b" }, "contains '/'"),
                ("duplicate address", { $0.addresses += $0.addresses }, "given twice"),
                ("missing bridge", { $0.bridge = Bridge("nosuchbr", create: false) }, "there is no bridge 'nosuchbr'"),
                ("not a bridge", { $0.bridge = Bridge("lo") }, "is not a bridge"),
                ("taken host name", { $0.hostInterface = "taken0" }, "EEXIST"),
                // Fails after the pair exists (the MAC is set in the container's namespace): undone.
                ("bad MAC (multicast)", { $0.mac = try MACAddress("01:00:5e:00:00:01") }, "is a multicast address"),
                ("MTU too small", { $0.mtu = 20 }, "MTU 20 is out of range"),
            ]
            for (name, tweak, expected) in cases {
                var v = Veth(hostInterface: "nscfail0", bridge: Bridge("nscbr0", address: try IPPrefix("10.77.0.1/24")),
                             addresses: [try IPPrefix("10.77.0.5/24")], gateway: try IPAddress("10.77.0.1"))
                try tweak(&v)
                var c = SpawnConfiguration(["true"], namespaces: [.network])
                c.network = .veth(v)
                do {
                    _ = try Container.spawn(c)
                    Issue.record("\(name): the spawn succeeded")
                } catch {
                    let message = (error as? NSCoreError)?.message ?? "\(error)"
                    #expect(message.contains(expected), "\(name): \(message)")
                }
                #expect(T.children() == [host.pid], "\(name)")  // only the namespace holder
                let names = try host.netlink().links().map(\.name).sorted()
                #expect(names.allSatisfy { ["lo", "nscbr0", "taken0"].contains($0) }, "\(name): \(names)")
            }
            var noNet = SpawnConfiguration(["true"])
            noNet.network = .veth(Veth())
            #expect(throws: NSCoreError.self) { _ = try Container.spawn(noNet) }
        }
    }

    /// `ns:PATH` and `container:PID`: the command shares an existing network namespace (and the
    /// spawning thread is back in its own afterwards).
    @Test func joiningAnExistingNetworkNamespace() throws {
        try NL.withNamespaces(1) { ns in
            let target = try sys_readlink("/proc/\(ns[0].pid)/ns/net").get()
            let mine = try sys_readlink("/proc/thread-self/ns/net").get()
            for network in [NetworkConfiguration.container(ns[0].pid), .namespace("/proc/\(ns[0].pid)/ns/net")] {
                var c = SpawnConfiguration(["readlink", "/proc/self/ns/net"], namespaces: [.uts])
                c.network = network
                let (status, out) = try T.run(c)
                #expect(status == .exited(0) && out == target + "\n", "\(network): \(out)")
                #expect(try sys_readlink("/proc/thread-self/ns/net").get() == mine)
            }
            let bad: [(NetworkConfiguration, NamespaceSet, String)] = [
                (.container(999_999_999), [], "open /proc/999999999/ns/net"),
                (.namespace("/etc/hostname"), [], "is not a network namespace"),
                (.namespace("/nonexistent/netns"), [], "ENOENT"),
                (.container(ns[0].pid), [.network], "are exclusive"),
            ]
            for (network, kinds, expected) in bad {
                var c = SpawnConfiguration(["true"], namespaces: kinds)
                c.network = network
                do {
                    _ = try Container.spawn(c)
                    Issue.record("\(network): the spawn succeeded")
                } catch {
                    let message = (error as? NSCoreError)?.message ?? "\(error)"
                    #expect(message.contains(expected), "\(network): \(message)")
                }
                #expect(T.children() == [ns[0].pid])
                #expect(try sys_readlink("/proc/thread-self/ns/net").get() == mine)
            }
        }
    }

    /// Inspect.network: a container's interfaces and routes, field by field as `ip -j addr`
    /// shows them from inside, and the veth peer's index on the host.
    @Test func inspectingAContainersNetwork() throws {
        try Self.inHost(bridges: ["nscbr0"]) { host in
            var c = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
            c.network = .veth(Veth(hostInterface: "nscinsp0", bridge: Bridge("nscbr0", address: try IPPrefix("10.77.0.1/24")),
                                   addresses: [try IPPrefix("10.77.0.7/24"), try IPPrefix("fd77::7/64")],
                                   gateway: try IPAddress("10.77.0.1"), mtu: 1450))
            let ctr = try Container.spawn(c)
            defer { _ = try? ctr.stop(timeout: .zero) }
            let n = try Inspect.network(of: ctr.pid)
            let eth = try #require(n.interfaces.first { $0.name == "eth0" })
            #expect(eth.link.isUp && eth.link.mtu == 1450 && eth.link.kind == "veth")
            #expect(Set(eth.addresses.map(\.description)).isSuperset(of: ["10.77.0.7/24", "fd77::7/64"]))
            #expect(eth.vethPeerIndex == (try host.netlink().link(named: "nscinsp0").index))
            #expect(n.routes.contains { $0.isDefault && $0.gateway?.description == "10.77.0.1" && $0.outputInterface == eth.index })
            // Field by field against `ip -j addr` inside, normalized by python3.
            let normalize = "import json,sys\nfor i in json.load(sys.stdin):\n    print(i['ifindex'], i['ifname'], i['mtu'], i.get('address'), i['operstate'], ','.join(sorted(a['local']+'/'+str(a['prefixlen']) for a in i.get('addr_info', []))))"
            let (status, out) = try T.run(["sh", "-c", "nsenter --net=/proc/\(ctr.pid)/ns/net ip -j addr | /usr/bin/python3 -c \"$0\"", normalize])
            #expect(status == .exited(0))
            let mine = n.interfaces.map { i in
                "\(i.index) \(i.name) \(i.link.mtu) \(i.link.macAddress?.description ?? "None") \(i.link.operationalState) "
                    + i.addresses.map(\.description).sorted().joined(separator: ",")
            }.joined(separator: "\n") + "\n"
            #expect(out == mine, "ip: \(out)\ninspect: \(mine)")
            let json = Inspect.json(n, pid: ctr.pid)
            #expect(json.hasPrefix("{\"pid\":\(ctr.pid),\"interfaces\":[") && json.contains("\"veth_peer\":\(eth.vethPeerIndex!)"))
        }
    }

    /// A veth without addresses on a bridge with a subnet: each container gets the next free
    /// address (the bridge is the gateway), none twice under 8 spawning threads, and addresses
    /// come back when their containers are reaped.
    @Test func addressesFromTheBridgeSubnetAreNeverHandedOutTwice() throws {
        try Self.inHost(bridges: ["nscpool0"]) { host in
            final class Results: @unchecked Sendable {
                let lock = Mutex<[(Container?, String)]>([])
            }
            let results = Results()
            let holder = host.pid
            var threads: [pthread_t] = []
            final class Args { let holder: pid_t; let results: Results; init(_ h: pid_t, _ r: Results) { holder = h; results = r } }
            for _ in 0..<8 {
                var t = pthread_t()
                #expect(pthread_create(&t, nil, { raw in
                    let a = Unmanaged<Args>.fromOpaque(raw!).takeRetainedValue()
                    for _ in 0..<5 {
                        let r: Result<Container, NSCoreError> = Result { () throws(NSCoreError) in
                            try ThreadNamespace.run(in: [.network], of: a.holder) { () throws(NSCoreError) in
                                var c = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
                                c.network = .veth(Veth(bridge: Bridge("nscpool0", address: try IPPrefix("10.90.0.1/24"))))
                                return try Container.spawn(c)
                            }
                        }
                        switch r {
                        case .success(let c): a.results.lock.withLock { $0.append((c, "")) }
                        case .failure(let e): a.results.lock.withLock { $0.append((nil, e.message)) }
                        }
                    }
                    return nil
                }, Unmanaged.passRetained(Args(holder, results)).toOpaque()) == 0)
                threads.append(t)
            }
            for t in threads { pthread_join(t, nil) }
            let all = results.lock.withLock { $0 }
            #expect(all.allSatisfy { $0.0 != nil }, "\(all.map(\.1))")
            var seen: [String] = []
            for (c, _) in all {
                guard let c else { continue }
                let n = try Inspect.network(of: c.pid)
                let eth = try #require(n.interfaces.first { $0.name == "eth0" })
                let v4 = eth.addresses.filter { $0.family == .v4 }.map(\.description)
                #expect(v4.count == 1 && v4[0].hasPrefix("10.90.0.") && v4[0].hasSuffix("/24") && v4[0] != "10.90.0.1/24")
                seen += v4
                #expect(n.routes.contains { $0.isDefault && $0.gateway?.description == "10.90.0.1" })
            }
            #expect(seen.count == 40 && Set(seen).count == 40, "\(seen.sorted())")
            for (c, _) in all { _ = try c?.stop(timeout: .zero) }
            // All given back: the next one is the first host address again.
            let again = try ThreadNamespace.run(in: [.network], of: holder) { () throws(NSCoreError) -> Container in
                var c = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
                c.network = .veth(Veth(bridge: Bridge("nscpool0", address: try IPPrefix("10.90.0.1/24"))))
                return try Container.spawn(c)
            }
            let first = try Inspect.network(of: again.pid).interfaces.first { $0.name == "eth0" }?.addresses
                .filter { $0.family == .v4 }.map(\.description)
            #expect(first == ["10.90.0.2/24"])
            _ = try again.stop(timeout: .zero)
        }
    }

    /// A failure injected at each network step in turn (after: the socket, the bridge, the
    /// pair, the socket inside, the index lookup, MAC, addresses, inside up, the route): the
    /// spawn fails naming it, and no veth, process or pool address is left (the bridge, once
    /// made, stays by design).
    @Test func aFailureAtEachNetworkStepLeavesNothing() throws {
        try Self.inHost(bridges: ["nscinj0"]) { host in
            defer { SpawnPlanner.failureInjection.store(0, ordering: .relaxed) }
            for step in 1...SpawnPlanner.injectedSteps {
                SpawnPlanner.failureInjection.store(step, ordering: .relaxed)
                var c = SpawnConfiguration(["true"], namespaces: [.network])
                c.network = .veth(Veth(hostInterface: "nscinjh0", bridge: Bridge("nscinj0", address: try IPPrefix("10.91.0.1/24")),
                                       mac: try MACAddress("02:42:ac:11:00:0a")))
                do {
                    _ = try Container.spawn(c)
                    Issue.record("step \(step): the spawn succeeded")
                } catch {
                    let message = (error as? NSCoreError)?.message ?? "\(error)"
                    #expect(message.contains("injected failure at step \(step)"), "\(message)")
                }
                #expect(T.children() == [host.pid], "step \(step)")
                let names = try host.netlink().links().map(\.name)
                #expect(!names.contains("nscinjh0"), "step \(step): \(names)")
            }
            SpawnPlanner.failureInjection.store(0, ordering: .relaxed)
            // Every address went back to the pool: the next container gets the first one.
            var c = SpawnConfiguration(["sleep", "30"], namespaces: [.network])
            c.network = .veth(Veth(bridge: Bridge("nscinj0", address: try IPPrefix("10.91.0.1/24"))))
            let ctr = try Container.spawn(c)
            let eth = try Inspect.network(of: ctr.pid).interfaces.first { $0.name == "eth0" }
            #expect(eth?.addresses.filter { $0.family == .v4 }.map(\.description) == ["10.91.0.2/24"])
            _ = try ctr.stop(timeout: .zero)
        }
    }
}
