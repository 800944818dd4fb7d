import Glibc

// IPv4 and IPv6 addresses, parsed from and printed to text in Swift (no inet_pton): the same
// forms inet_pton(3) accepts (dotted quads without leading zeros; IPv6 with one "::" and an
// optional dotted-quad tail) and the same text inet_ntop(3) prints (RFC 5952: lower case, the
// longest run of two or more zero groups as "::", the first one on a tie).

/// An IPv4 address.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address as a number in host byte order: 10.0.0.1 is 0x0A00_0001.
    public var rawValue: UInt32

    /// Wraps a host-order number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The address `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// The address in four network-order bytes, or nil unless there are exactly four.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        rawValue = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Parses dotted-quad text such as `10.0.0.1`.
    /// - Throws: ``NSCoreError`` (invalid argument) for anything else.
    public init(_ text: String) throws(NSCoreError) {
        guard let value = Self.parse(Substring(text)) else {
            throw .invalid(
                "parse IPv4 address", "'\(text)' is not an IPv4 address (expected four numbers 0-255, as in 10.0.0.2)")
        }
        rawValue = value
    }

    /// The number of a dotted quad, or nil. Each part is 0...255 in decimal, without leading
    /// zeros (inet_pton rejects them, because other parsers read them as octal).
    static func parse(_ text: Substring) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        // Empty parts are kept so that "1..2.3" and "1.2.3.4." count wrongly and fail; the
        // shorthand forms inet_aton takes ("10.1", "0x0a.0.0.1") are not addresses here.
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                part.count == 1 || part.first != "0", let n = UInt32(part), n <= 255
            else { return nil }
            value = value << 8 | n
            parts += 1
        }
        return parts == 4 ? value : nil
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [UInt8(rawValue >> 24), UInt8(rawValue >> 16 & 0xff), UInt8(rawValue >> 8 & 0xff), UInt8(rawValue & 0xff)]
    }

    /// `0.0.0.0`.
    public static let any = IPv4Address(rawValue: 0)

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        "\(rawValue >> 24).\(rawValue >> 16 & 0xff).\(rawValue >> 8 & 0xff).\(rawValue & 0xff)"
    }
}

/// An IPv6 address.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The first 64 bits, host order (`fd00::` has 0xfd00 in its top 16 bits).
    public var high: UInt64
    /// The last 64 bits, host order.
    public var low: UInt64

    /// Makes an address from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address in sixteen network-order bytes, or nil unless there are exactly sixteen.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// The address of eight 16-bit groups.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has eight groups")
        high = groups[0..<4].reduce(0) { $0 << 16 | UInt64($1) }
        low = groups[4..<8].reduce(0) { $0 << 16 | UInt64($1) }
    }

    /// Parses IPv6 text such as `fd00::2`, `fe80::1:2:3:4` or `::ffff:10.0.0.1`.
    /// Zone suffixes (`%eth0`) are not addresses and are refused.
    /// - Throws: ``NSCoreError`` (invalid argument) for anything else.
    public init(_ text: String) throws(NSCoreError) {
        guard let groups = Self.parse(Substring(text)) else {
            throw .invalid(
                "parse IPv6 address",
                "'\(text)' is not an IPv6 address (expected hex groups with at most one '::', as in fd00::2)")
        }
        self.init(groups: groups)
    }

    /// The eight groups of IPv6 text, or nil.
    static func parse(_ text: Substring) -> [UInt16]? {
        // 45 bytes is the longest valid form (INET6_ADDRSTRLEN - 1, with a dotted-quad tail);
        // anything longer is refused before any work.
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        // Find the one "::" allowed. It stands for one or more zero groups, so the groups
        // written on both sides of it must number seven or fewer; without it, exactly eight.
        let utf8 = Array(text.utf8)
        var gap: Int? = nil
        var i = 0
        while i + 1 < utf8.count {
            if utf8[i] == 0x3a && utf8[i + 1] == 0x3a {
                if gap != nil { return nil }
                gap = i
                i += 2
            } else {
                i += 1
            }
        }
        // One side of the "::": groups of 1 to 4 hex digits separated by single colons (an
        // empty group is an error, so ":1" and "1:" are refused). The last group of the address
        // may instead be a dotted quad, which fills two groups.
        func groups(_ part: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let pieces = part.split(separator: 0x3a, omittingEmptySubsequences: false)
            for (n, piece) in pieces.enumerated() {
                if n == pieces.count - 1 && allowIPv4Tail && piece.contains(0x2e) {
                    guard let v4 = IPv4Address.parse(Substring(decoding: piece, as: UTF8.self)) else { return nil }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xffff))
                    continue
                }
                guard !piece.isEmpty, piece.count <= 4 else { return nil }
                var v: UInt16 = 0
                for c in piece {
                    guard let d = hexDigit(c) else { return nil }
                    v = v << 4 | UInt16(d)
                }
                out.append(v)
            }
            return out
        }
        if let gap {
            guard let head = groups(utf8[0..<gap], allowIPv4Tail: false),
                let tail = groups(utf8[(gap + 2)...], allowIPv4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            return head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard let all = groups(utf8[...], allowIPv4Tail: true), all.count == 8 else { return nil }
        return all
    }

    /// The eight 16-bit groups.
    public var groups: [UInt16] {
        (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * $0)) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * $0)) }
    }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// `::`.
    public static let any = IPv6Address(high: 0, low: 0)

    /// True for `fe80::/10`.
    public var isLinkLocal: Bool { high >> 54 == 0x3fa }

    public static func < (a: IPv6Address, b: IPv6Address) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// The RFC 5952 text, the same as `inet_ntop(3)`: lower-case hex without leading zeros, the
    /// longest run of two or more zero groups written as "::" (the first on a tie), and the
    /// IPv4-mapped and IPv4-compatible forms with a dotted-quad tail.
    public var description: String {
        let g = groups
        // The longest run of zero groups (two or more), the first on a tie.
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for i in 0...8 {
            if i < 8 && g[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        // inet_ntop's embedded IPv4 forms: ::a.b.c.d and ::ffff:a.b.c.d.
        let embeddedIPv4 = bestStart == 0 && (bestLength == 6 || (bestLength == 5 && g[5] == 0xffff))
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLength
                continue
            }
            if embeddedIPv4 && i == 6 {
                if !out.hasSuffix(":") { out += ":" }
                out += "\(g[6] >> 8).\(g[6] & 0xff).\(g[7] >> 8).\(g[7] & 0xff)"
                break
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(g[i], radix: 16)
            i += 1
        }
        return out
    }
}

@inline(__always)
private func hexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x61...0x66: return c - 0x61 + 10
    case 0x41...0x46: return c - 0x41 + 10
    default: return nil
    }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address.
    case v4(IPv4Address)
    /// An IPv6 address.
    case v6(IPv6Address)

    /// The two address families.
    public enum Family: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// IPv4 (`AF_INET`).
        case v4
        /// IPv6 (`AF_INET6`).
        case v6

        /// The socket address family, `AF_INET` or `AF_INET6`.
        public var addressFamily: UInt8 { self == .v4 ? UInt8(AF_INET) : UInt8(AF_INET6) }
        /// The family of an `AF_*` number, or nil for any other.
        public init?(addressFamily: UInt8) {
            switch Int32(addressFamily) {
            case AF_INET: self = .v4
            case AF_INET6: self = .v6
            default: return nil
            }
        }
        /// The address width in bits: 32 or 128.
        public var bitWidth: Int { self == .v4 ? 32 : 128 }
        /// The address width in bytes: 4 or 16.
        public var byteWidth: Int { bitWidth / 8 }
        public var description: String { self == .v4 ? "IPv4" : "IPv6" }
    }

    /// Parses IPv4 or IPv6 text (IPv6 when it holds a ':').
    /// - Throws: ``NSCoreError`` (invalid argument) for text that is neither.
    public init(_ text: String) throws(NSCoreError) {
        if text.utf8.contains(0x3a) {
            self = .v6(try IPv6Address(text))
        } else {
            self = .v4(try IPv4Address(text))
        }
    }

    /// The address of 4 or 16 network-order bytes, or nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        if let a = IPv4Address(bytes: bytes) {
            self = .v4(a)
        } else if let a = IPv6Address(bytes: bytes) {
            self = .v6(a)
        } else {
            return nil
        }
    }

    /// The family.
    public var family: Family {
        if case .v4 = self { return .v4 }
        return .v6
    }

    /// The bytes in network order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): return a.bytes
        case .v6(let a): return a.bytes
        }
    }

    /// True for `0.0.0.0` and `::`.
    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): return a.rawValue == 0
        case .v6(let a): return a.high == 0 && a.low == 0
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }
}
