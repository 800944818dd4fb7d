/// An IP address with a prefix length, as `10.0.0.2/24` or `fd00::2/64`.
///
/// The same type names an interface address (the host bits are kept: `10.0.0.2/24` is the
/// address 10.0.0.2 on the network 10.0.0.0/24) and a route destination (see ``network``).
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    /// The address, host bits included.
    public let address: IPAddress
    /// The prefix length: 0...32 for IPv4, 0...128 for IPv6.
    public let length: UInt8

    /// An address with a prefix length.
    /// - Throws: ``NSCoreError`` (invalid argument) when `length` exceeds the family's width.
    public init(address: IPAddress, length: Int) throws(NSCoreError) {
        guard length >= 0, length <= address.family.bitWidth else {
            throw .invalid(
                "parse IP prefix",
                "the prefix length \(length) is out of range for \(address.family) (0...\(address.family.bitWidth))")
        }
        self.address = address
        self.length = UInt8(length)
    }

    /// Parses `ADDRESS/LENGTH`, as `10.0.0.2/24` or `fd00::2/64`.
    /// - Throws: ``NSCoreError`` (invalid argument) that says what is wrong: no prefix length,
    ///   a length that is not a number or too large for the family, or a bad address.
    public init(_ text: String) throws(NSCoreError) {
        let stage = "parse IP prefix"
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard !text.isEmpty else {
            throw .invalid(stage, "an address with a prefix length is empty; write it as 10.0.0.2/24 or fd00::2/64")
        }
        guard parts.count == 2 else {
            let example = text.utf8.contains(0x3a) ? "fd00::2/64" : "10.0.0.2/24"
            throw .invalid(stage, "'\(text)' has no prefix length; write it as ADDRESS/LENGTH, e.g. \(example)")
        }
        // The length is 1 to 3 decimal digits: no sign, no spaces, no hex (Int() alone would
        // take "+24").
        let lengthText = parts[1]
        guard !lengthText.isEmpty, lengthText.utf8.count <= 3, lengthText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let length = Int(lengthText)
        else {
            throw .invalid(stage, "'\(text)': the prefix length '\(lengthText)' is not a number")
        }
        let address: IPAddress
        do {
            address = try IPAddress(String(parts[0]))
        } catch {
            throw .invalid(stage, "'\(text)': '\(parts[0])' is not an IPv4 or IPv6 address")
        }
        guard length <= address.family.bitWidth else {
            let range = "0...\(address.family.bitWidth)"
            throw .invalid(
                stage, "'\(text)': the prefix length \(length) is out of range for \(address.family) (\(range))")
        }
        self.address = address
        self.length = UInt8(length)
    }

    /// The default route's destination of a family: `0.0.0.0/0` or `::/0`.
    public static func any(_ family: IPAddress.Family) -> IPPrefix {
        switch family {
        case .v4: return try! IPPrefix(address: .v4(.any), length: 0)
        case .v6: return try! IPPrefix(address: .v6(.any), length: 0)
        }
    }

    /// The address family.
    public var family: IPAddress.Family { address.family }

    /// The network: the address with its host bits cleared (`10.0.0.0/24` for `10.0.0.2/24`).
    public var network: IPPrefix {
        switch address {
        case .v4(let a):
            let mask: UInt32 = length == 0 ? 0 : ~0 << (32 - UInt32(length))
            return try! IPPrefix(address: .v4(IPv4Address(rawValue: a.rawValue & mask)), length: Int(length))
        case .v6(let a):
            let (highMask, lowMask) = Self.v6Masks(Int(length))
            return try! IPPrefix(
                address: .v6(IPv6Address(high: a.high & highMask, low: a.low & lowMask)), length: Int(length))
        }
    }

    /// True when the host bits are all zero, as a route destination must be.
    public var isNetwork: Bool { network.address == address }

    /// The IPv4 broadcast address (all host bits set), or nil for IPv6 and for /31 and /32.
    public var broadcast: IPv4Address? {
        guard case .v4(let a) = address, length < 31 else { return nil }
        return IPv4Address(rawValue: a.rawValue | ~(length == 0 ? 0 : ~0 << (32 - UInt32(length))))
    }

    /// True when `other` is in this prefix's network.
    public func contains(_ other: IPAddress) -> Bool {
        guard other.family == family else { return false }
        return (try? IPPrefix(address: other, length: Int(length)).network) == network
    }

    /// The masks of the two 64-bit halves for a prefix length. Shifts by 64 or more are not
    /// defined for a u64, so 0, 64 and 128 are spelled out.
    private static func v6Masks(_ length: Int) -> (UInt64, UInt64) {
        let high: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~0 << UInt64(64 - length))
        let low: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~0 << UInt64(128 - length))
        return (high, low)
    }

    public var description: String { "\(address)/\(length)" }
}
