import Synchronization

/// IPv4 addresses handed out from a bridge's subnet to veth containers that asked for none.
///
/// Bookkeeping is per process: the next free host address of the subnet that this process has
/// not handed out (nor is the bridge's own), under one lock, so concurrent spawns never get the
/// same one. An address comes back when its container is reaped, or when its spawn fails.
/// Containers made by other processes on the same bridge are not known here: give them
/// explicit addresses, or let one process make them all.
enum AddressPool {
    private static let taken = Mutex<[String: Set<UInt32>]>([:])

    /// The next free address of `subnet` (an IPv4 prefix, the bridge's own address) for a
    /// container on `bridge`, with the subnet's prefix length.
    /// - Throws: ``NSCoreError`` when the subnet is not IPv4 or has no free address left.
    static func allocate(bridge: String, subnet: IPPrefix) throws(NSCoreError) -> IPPrefix {
        guard case .v4(let own) = subnet.address, subnet.length <= 30 else {
            throw .invalid("network", "network: addresses are handed out only from an IPv4 bridge subnet of /30 or "
                           + "wider (the bridge has \(subnet)); give the container an address")
        }
        let hostBits = 32 - UInt32(subnet.length)
        let mask: UInt32 = hostBits == 32 ? 0 : ~((1 << hostBits) - 1)
        let network = own.rawValue & mask
        let broadcast = network | ~mask
        let found: UInt32? = taken.withLock { taken in
            var used = taken[bridge] ?? []
            var candidate = network + 1
            while candidate < broadcast {
                if candidate != own.rawValue && !used.contains(candidate) {
                    used.insert(candidate)
                    taken[bridge] = used
                    return candidate
                }
                candidate += 1
            }
            return nil
        }
        guard let address = found else {
            throw NSCoreError(.busy, errno: nil, stage: "network",
                              message: "network: no free address left in \(subnet.network) on bridge \(bridge)")
        }
        return try IPPrefix(address: .v4(IPv4Address(rawValue: address)), length: Int(subnet.length))
    }

    /// Gives `address` back.
    static func release(bridge: String, address: IPPrefix) {
        guard case .v4(let a) = address.address else { return }
        taken.withLock { taken in
            taken[bridge]?.remove(a.rawValue)
            if taken[bridge]?.isEmpty == true { taken[bridge] = nil }
        }
    }
}

/// The address a veth spawn took from the pool, shared by its undo and its reap cleanup.
final class PoolAddress: @unchecked Sendable {
    private let lock = Mutex<IPPrefix?>(nil)
    let bridge: String
    init(bridge: String) { self.bridge = bridge }

    func set(_ address: IPPrefix) { lock.withLock { $0 = address } }

    /// Gives the address back (once).
    func release() {
        if let a = lock.withLock({ a -> IPPrefix? in defer { a = nil }; return a }) {
            AddressPool.release(bridge: bridge, address: a)
        }
    }
}
