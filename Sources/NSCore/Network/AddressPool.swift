import Synchronization

/// IPv4 addresses handed out from a bridge's subnet to veth containers that asked for none.
///
/// Bookkeeping is per process: the next free host address of the subnet that this process has
/// not handed out (nor is the bridge's own), under one lock, so concurrent spawns never get the
/// same one. An address comes back when its container is reaped, or when its spawn fails.
/// Containers made by other processes on the same bridge are not known here: give them
/// explicit addresses, or let one process make them all.
enum AddressPool {
    /// Per bridge: the addresses handed out, and where the next search starts (just after the
    /// last address handed out), so that handing out n addresses in a row takes O(n), not O(n²).
    private struct Bookkeeping {
        var used: Set<UInt32> = []
        var next: UInt32 = 0
    }
    private static let taken = Mutex<[String: Bookkeeping]>([:])

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
            var book = taken[bridge] ?? Bookkeeping()
            let first = network + 1, count = broadcast - first
            // Start after the last one handed out (or at the first host address), wrap around.
            let start = (book.next > first && book.next < broadcast) ? book.next - first : 0
            for step in 0..<count {
                let candidate = first + (start + step) % count
                if candidate != own.rawValue && !book.used.contains(candidate) {
                    book.used.insert(candidate)
                    book.next = candidate + 1
                    taken[bridge] = book
                    return candidate
                }
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
            taken[bridge]?.used.remove(a.rawValue)
            if taken[bridge]?.used.isEmpty == true { taken[bridge] = nil }
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
