/// An Ethernet (EUI-48) hardware address, as `02:42:ac:11:00:02`.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The 48 bits in the low bits of a u64, first byte highest.
    public let rawValue: UInt64

    /// The address of six bytes in wire order, or nil unless there are exactly six.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        rawValue = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Parses six hexadecimal bytes separated by colons (`02:00:0a:00:00:02`).
    /// - Throws: ``NSCoreError`` (invalid argument) for anything else.
    public init(_ text: String) throws(NSCoreError) {
        // Six colon-separated parts of one or two hex digits, as `ip link` accepts; the value
        // u64.max (impossible for 48 bits) marks a bad part.
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var value: UInt64 = 0
        for part in parts where parts.count == 6 {
            guard (1...2).contains(part.utf8.count), part.utf8.allSatisfy({ hexValue($0) != nil }) else {
                value = UInt64.max
                break
            }
            value = value << 8 | UInt64(part.utf8.reduce(0) { $0 << 4 | hexValue($1)! })
        }
        guard parts.count == 6, value != UInt64.max else {
            throw .invalid(
                "parse MAC address", "'\(text)' is not a MAC address (expected six hex bytes such as 02:00:0a:00:00:02)"
            )
        }
        rawValue = value
    }

    /// The six bytes in wire order.
    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> (40 - 8 * UInt64($0))) } }

    /// True for a group (multicast or broadcast) address: bit 0 of the first byte. A link's own
    /// address must not be one.
    public var isMulticast: Bool { rawValue >> 40 & 1 != 0 }
    /// True for a locally administered address: bit 1 of the first byte, as in generated ones.
    public var isLocallyAdministered: Bool { rawValue >> 40 & 2 != 0 }

    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}

/// The value of a hexadecimal digit, or nil.
@inline(__always)
private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x61...0x66: return c - 0x61 + 10
    case 0x41...0x46: return c - 0x41 + 10
    default: return nil
    }
}
