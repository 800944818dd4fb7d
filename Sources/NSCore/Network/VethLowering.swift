import CNSCoreShim
import Glibc
import Synchronization

/// A veth network (``NetworkConfiguration/veth(_:)``), set up by the parent while the child
/// waits at its handshake, as the seed describes: the pair is created with its inside end
/// directly in the child's new network namespace, the host end goes on the bridge and up, and
/// the inside end gets its MAC, addresses, `up` and the default route through a netlink socket
/// opened in the child's namespace. Only then does the child go on to exec.
///
/// Undo: a failure deletes the host end (which deletes the pair). After a successful spawn the
/// container's handle deletes the host end when it reaps the command (the kernel already did
/// when the namespace went with it, unless something else keeps the namespace).
extension SpawnPlanner {
    static func checkNetwork(_ c: SpawnConfiguration, _ ns: NamespaceSet) throws(NSCoreError) {
        switch c.network {
        case .none, .veth: break
        case .namespace(let path):
            if path.isEmpty || path.containsNUL {
                throw .invalid("network", "network: the namespace path must be a non-empty path without NUL bytes")
            }
            fallthrough
        case .container:
            if ns.contains(.network) {
                throw .invalid("network", "network: joining an existing network namespace and creating a new one "
                               + "(the net kind) are exclusive")
            }
            return
        }
        guard case .veth(let v) = c.network else { return }
        if !ns.contains(.network) {
            throw .invalid("network", "network: a veth network needs a new network namespace (the net kind)")
        }
        try InterfaceName.validate(v.interface, role: "interface name")
        if let h = v.hostInterface { try InterfaceName.validate(h, role: "host interface name") }
        if let b = v.bridge {
            try InterfaceName.validate(b.name, role: "bridge name")
            if b.name == v.hostInterface {
                throw .invalid("network", "network: the bridge and the host interface are both named '\(b.name)'")
            }
        }
        var seen: [IPPrefix] = []
        for a in v.addresses {
            if seen.contains(a) { throw .invalid("network", "network: the address \(a) is given twice") }
            seen.append(a)
        }
        // With no address, one comes from the bridge's subnet (AddressPool), which the gateway
        // must then be in.
        let subnets = v.addresses.isEmpty ? (v.bridge?.address.map { [$0] } ?? []) : v.addresses
        if let g = v.gateway, !subnets.contains(where: { $0.contains(g) }) {
            throw .invalid("network", "network: the gateway \(g) is outside every address's subnet ("
                           + subnets.map(\.description).joined(separator: ", ") + ")")
        }
        if let mtu = v.mtu, mtu < 68 || mtu > 65535 {
            throw .invalid("network", "network: MTU \(mtu) is out of range (68-65535)")
        }
    }

    static func lowerNetwork(_ c: SpawnConfiguration, into plan: SpawnPlan) throws(NSCoreError) {
        guard case .veth(let v) = c.network else { return }
        // The child waits for this work at the end of its own (waitForNetwork), so that both
        // run at once.
        let host = v.hostInterface ?? generatedHostInterface()
        // The host end lives in the spawning thread's network namespace: the deletion after
        // the reap (on whatever thread) goes there, not to the reaping thread's.
        let namespace = try OwnedNamespaceFile.currentNetwork()
        // No address and a bridge with a subnet: the next free one of it, the bridge as gateway.
        let pool: PoolAddress? = v.addresses.isEmpty ? v.bridge.flatMap { b in b.address.map { _ in PoolAddress(bridge: b.name) } } : nil
        let remove: @Sendable () -> Void = {
            _ = try? RouteNetlink(networkNamespace: namespace.fd).deleteLink(.name(host))
            pool?.release()
        }
        plan.parentActions.append(ParentAction { pid throws(NSCoreError) in
            var veth = v
            if let pool, let b = v.bridge, let subnet = b.address {
                let address = try AddressPool.allocate(bridge: b.name, subnet: subnet)
                pool.set(address)
                veth.addresses = [address]
                if veth.gateway == nil { veth.gateway = subnet.address }
            }
            do throws(NSCoreError) {
                try setUpVeth(veth, host: host, child: pid)
            } catch {
                pool?.release()
                guard error.errno?.rawValue == EPERM else { throw error }
                var e = error
                e.message = "network: a veth network needs CAP_NET_ADMIN in the caller's network namespace "
                    + "(root); without it (rootless), use the network none (lo only) or join an existing "
                    + "namespace (ns:PATH, container:PID). " + e.message
                throw e
            }
            return remove
        })
        // Used only if the spawn succeeds (a failed one runs the action's undo instead).
        plan.reapCleanups.append(remove)
    }

    /// With a veth network, the child waits for the parent's network work as late as it can:
    /// after its own steps (mounts, loopback, working directory), just before its stdio and
    /// exec, so that the two overlap. A user namespace's id maps already made it wait earlier
    /// (for both: the parent does the maps, then the network, before it lets the child go).
    static func waitForNetwork(_ c: SpawnConfiguration, into plan: SpawnPlan) {
        if case .veth = c.network { plan.waitForParentOnce(what: .text("wait for the parent to set up the network")) }
    }

    /// The veth pair and everything on both ends; on failure, what it created is deleted.
    ///
    /// The pair is one `RTM_NEWLINK`: the host end up and on its bridge, the inside end made
    /// directly in the child's namespace. Inside, the interface's index is looked up once and
    /// every later request names it by index. No request reads a whole table: the cost of a
    /// spawn does not grow with the number of links on the host.
    private static func setUpVeth(_ v: Veth, host: String, child: pid_t) throws(NSCoreError) {
        let outside = try RouteNetlink()
        try injected(1)
        var master: Int32? = nil
        var cached = false
        let cookie = v.bridge == nil ? nil : outside.socket.networkNamespaceCookie
        if let b = v.bridge {
            if let cookie, let index = BridgeCache.index(of: b.name, in: cookie) {
                master = index
                cached = true
            } else {
                master = try ensureBridge(b, outside)
                if let cookie, let master { BridgeCache.remember(b.name, in: cookie, index: master) }
            }
        }
        try injected(2)
        do {
            try outside.createVethPair(host, peer: v.interface, peerNamespace: .pid(child), mtu: v.mtu,
                                       master: master, up: true)
        } catch where cached && [EINVAL, ENODEV, EOPNOTSUPP].contains(error.errno?.rawValue ?? 0) {
            // The bridge remembered from an earlier spawn is gone (or was made again, with a new
            // index): check it again as the first spawn did, and try once more.
            guard let b = v.bridge, let cookie else { throw error }
            BridgeCache.forget(b.name, in: cookie)
            let index = try ensureBridge(b, outside)
            BridgeCache.remember(b.name, in: cookie, index: index)
            try outside.createVethPair(host, peer: v.interface, peerNamespace: .pid(child), mtu: v.mtu,
                                       master: index, up: true)
        } catch where error.errno?.rawValue == EXFULL && v.bridge != nil {
            var e = error
            e.message += " (bridge \(v.bridge?.name ?? "") is full: a bridge takes at most 1024 ports)"
            throw e
        }
        do {
            try injected(3)
            let inside = try RouteNetlink(networkNamespaceOf: child)
            try injected(4)
            let link = LinkSelector.index(try inside.index(of: .name(v.interface)))
            try injected(5)
            if let mac = v.mac { try inside.setMACAddress(link, mac) }
            try injected(6)
            for a in v.addresses { try inside.addAddress(a, to: link) }
            // With no IPv6 address eth0 gets no IPv6 link-local one either (as Docker's
            // IPv4-only containers have none): it then sends no IPv6 packet of its own, which
            // a bridge would flood to every other container on it (duplicate address detection,
            // router solicitations, MLD), work that grows with each container added.
            if !v.addresses.contains(where: { $0.family == .v6 }) {
                do {
                    try inside.setIPv6AddressGenerationMode(link, .none)
                } catch where [EAFNOSUPPORT, EOPNOTSUPP].contains(error.errno?.rawValue ?? 0) {
                    // A kernel without IPv6 (ipv6.disable=1): nothing to turn off.
                }
            }
            try injected(7)
            try inside.setUp(link)
            try injected(8)
            if let g = v.gateway { try inside.addDefaultRoute(via: g, device: link) }
            try injected(9)
        } catch {
            _ = try? outside.deleteLink(.name(host))
            throw error
        }
    }

    /// Tests: the network step at which the next veth setups fail (0: none), to prove that a
    /// failure at each one leaves nothing behind. Never set by the library.
    static let failureInjection = Atomic<Int>(0)
    static let injectedSteps = 9

    private static func injected(_ step: Int) throws(NSCoreError) {
        if failureInjection.load(ordering: .relaxed) == step {
            throw NSCoreError(.childSetupFailed, errno: nil, stage: "network", message: "network: injected failure at step \(step)")
        }
    }

    /// The bridge, created (up, with its address) when missing and allowed; left in place for
    /// the next container. Returns its index.
    private static func ensureBridge(_ b: Bridge, _ rt: RouteNetlink) throws(NSCoreError) -> Int32 {
        let index: Int32
        var up = false
        if let link = try rt.linkIfPresent(.name(b.name)) {
            if link.kind != "bridge" {
                throw .invalid("network", "network: '\(b.name)' exists and is not a bridge (its kind is \(link.kind ?? "none"))")
            }
            index = link.index
            up = link.isUp
        } else {
            guard b.create else {
                throw NSCoreError(.notFound, errno: Errno(rawValue: ENODEV), stage: "network",
                                  message: "network: there is no bridge '\(b.name)' (and creating it is off)")
            }
            do {
                try rt.createBridge(b.name)
            } catch where error.errno?.rawValue == EEXIST {
                // Another spawn made it first.
            }
            index = try rt.index(of: .name(b.name))
        }
        if let a = b.address, try !rt.addresses(of: .index(index)).contains(where: { $0.prefix == a }) {
            do {
                try rt.addAddress(a, to: .index(index))
            } catch where error.errno?.rawValue == EEXIST {}
        }
        if !up { try rt.setUp(.index(index)) }
        return index
    }

    /// `nsc` and 8 random hex digits: 11 bytes, unlikely to be taken.
    private static func generatedHostInterface() -> String {
        let hex = String(UInt32.random(in: .min ... .max), radix: 16)
        return "nsc" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}

/// The bridges this process has checked (there, a bridge, with its address, up), by network
/// namespace cookie and name: later spawns onto one put their host end on it by index, in the
/// request that creates the pair, without asking the kernel about it again. A spawn whose
/// remembered index no longer names a bridge forgets it and checks again.
enum BridgeCache {
    private struct Key: Hashable {
        let namespace: UInt64
        let name: String
    }
    private static let indexes = Mutex<[Key: Int32]>([:])

    static func index(of name: String, in namespace: UInt64) -> Int32? {
        indexes.withLock { $0[Key(namespace: namespace, name: name)] }
    }

    static func remember(_ name: String, in namespace: UInt64, index: Int32) {
        indexes.withLock { $0[Key(namespace: namespace, name: name)] = index }
    }

    static func forget(_ name: String, in namespace: UInt64) {
        _ = indexes.withLock { $0.removeValue(forKey: Key(namespace: namespace, name: name)) }
    }

    /// Forgets `name` in every namespace (it was removed through this process).
    static func forget(_ name: String) {
        indexes.withLock { d in d = d.filter { $0.key.name != name } }
    }
}

/// A namespace file kept open for as long as something may still need it; closed with it.
final class OwnedNamespaceFile: Sendable {
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    deinit { sys_close(fd) }

    private final class Weak: @unchecked Sendable {
        weak var file: OwnedNamespaceFile?
        init(_ file: OwnedNamespaceFile) { self.file = file }
    }
    /// The open network namespace files, by namespace inode: the containers spawned from one
    /// namespace share one descriptor (a thousand containers hold one fd, not a thousand). While
    /// an entry's file lives, it keeps its namespace, and so the inode, from being reused.
    private static let network = Mutex<[UInt64: Weak]>([:])

    /// The calling thread's network namespace, opened once for every holder.
    static func currentNetwork() throws(NSCoreError) -> OwnedNamespaceFile {
        let path = "/proc/thread-self/ns/net"
        let inode: UInt64
        switch sys_stat(path) {
        case .success(let st): inode = UInt64(st.st_ino)
        case .failure(let e): throw .sys(e, "stat \(path)")
        }
        return try network.withLock { (open) throws(NSCoreError) -> OwnedNamespaceFile in
            if let file = open[inode]?.file { return file }
            let file: OwnedNamespaceFile
            switch sys_open(path, O_RDONLY) {
            case .success(let fd): file = OwnedNamespaceFile(fd.release())
            case .failure(let e): throw .sys(e, "open \(path)")
            }
            open = open.filter { $0.value.file != nil }
            open[inode] = Weak(file)
            return file
        }
    }
}

extension Container {
    /// Spawns `plan` from the calling thread, entered into the network namespace a
    /// ``NetworkConfiguration/namespace(_:)`` or ``NetworkConfiguration/container(_:)`` network
    /// names, so that the child is cloned into it; the thread is restored afterwards.
    static func spawnJoiningNetwork(_ network: NetworkConfiguration, _ plan: SpawnPlan) throws(NSCoreError) -> Container? {
        let path: String
        switch network {
        case .namespace(let p): path = p
        case .container(let pid):
            guard pid > 0 else { throw .invalid("network", "network: container pid \(pid) is not a valid pid") }
            path = "/proc/\(pid)/ns/net"
        case .none, .veth: return nil
        }
        let fd: OwnedFD
        switch sys_open(path, O_RDONLY) {
        case .success(let f): fd = f
        case .failure(let e):
            throw NSCoreError(.from(errno: e), errno: e, stage: "network", message: "network: open \(path): \(e)")
        }
        return try ThreadNamespace.run(inNetworkNamespace: fd.rawValue) { () throws(NSCoreError) in try Spawner.run(plan) }
    }
}
