import CNSCoreShim
import Glibc

// Decoding netlink attributes (`struct nlattr`, which rtnetlink calls `struct rtattr`: the same
// four bytes). An attribute is a u16 length (header included), a u16 type, then the payload,
// padded to a multiple of four bytes. Everything here checks bounds before it reads: bytes from
// the kernel (or a fuzzer) that are truncated or misaligned give an error, never a trap.

/// Rounds `length` up to the 4-byte alignment of netlink messages and attributes
/// (`NLMSG_ALIGN`, `NLA_ALIGN`).
@inline(__always)
func netlinkAligned(_ length: Int) -> Int { (length + 3) & ~3 }

extension NSCoreError {
    /// A netlink message or attribute that cannot be decoded (`EBADMSG`).
    static func malformedNetlink(_ what: String) -> NSCoreError {
        NSCoreError(
            .system, errno: Errno(rawValue: EBADMSG), stage: "decode netlink message",
            message: "malformed netlink message: \(what)")
    }
}

extension ArraySlice<UInt8> {
    /// The native-endian integer at `offset` bytes from the start of the slice, or nil when it
    /// does not fit.
    @inline(__always)
    func netlinkLoad<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T? {
        guard offset >= 0, offset <= count - MemoryLayout<T>.size else { return nil }
        return withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
}

/// One decoded netlink attribute: its type and a view of its payload (without padding).
public struct NetlinkAttribute: Sendable, Hashable {
    /// `NLA_F_NESTED`: the payload is a list of attributes.
    public static let nestedFlag = nsc_shim_NLA_F_NESTED
    /// `NLA_F_NET_BYTEORDER`: the payload is in network byte order.
    public static let networkByteOrderFlag = nsc_shim_NLA_F_NET_BYTEORDER
    /// `NLA_TYPE_MASK`: the bits of `nla_type` that hold the type.
    public static let typeMask = nsc_shim_NLA_TYPE_MASK

    /// `nla_type` as sent, flags included.
    public let rawType: UInt16
    /// The payload, without the 4-byte header and without padding.
    public let payload: ArraySlice<UInt8>

    /// Makes an attribute from its type and payload.
    public init(rawType: UInt16, payload: ArraySlice<UInt8>) {
        self.rawType = rawType
        self.payload = payload
    }

    /// The attribute type, without the nested and byte-order flags.
    public var type: UInt16 { rawType & Self.typeMask }
    /// True when the sender set `NLA_F_NESTED`. rtnetlink often nests without setting it.
    public var hasNestedFlag: Bool { rawType & Self.nestedFlag != 0 }
    /// True when the sender set `NLA_F_NET_BYTEORDER`.
    public var isNetworkByteOrder: Bool { rawType & Self.networkByteOrderFlag != 0 }
    /// The payload as a new array.
    public var bytes: [UInt8] { Array(payload) }

    /// The payload as an integer of exactly its size, in host byte order.
    private func integer<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(NSCoreError) -> T {
        guard payload.count == MemoryLayout<T>.size, let v = payload.netlinkLoad(T.self, at: 0) else {
            throw .malformedNetlink(
                "attribute \(type) has \(payload.count) bytes, expected \(MemoryLayout<T>.size) for a \(what)")
        }
        return v
    }

    /// The payload as a u8. Throws if the payload is not exactly one byte.
    public func uint8() throws(NSCoreError) -> UInt8 { try integer(UInt8.self, "u8") }
    /// The payload as a host-order u16. Throws if the payload is not exactly two bytes.
    public func uint16() throws(NSCoreError) -> UInt16 { try integer(UInt16.self, "u16") }
    /// The payload as a host-order u32. Throws if the payload is not exactly four bytes.
    public func uint32() throws(NSCoreError) -> UInt32 { try integer(UInt32.self, "u32") }
    /// The payload as a host-order u64. Throws if the payload is not exactly eight bytes.
    public func uint64() throws(NSCoreError) -> UInt64 { try integer(UInt64.self, "u64") }
    /// The payload as a host-order s32. Throws if the payload is not exactly four bytes.
    public func int32() throws(NSCoreError) -> Int32 { try integer(Int32.self, "s32") }
    /// The payload as a network-order (big-endian) u16, as nftables sends ports.
    public func bigEndianUInt16() throws(NSCoreError) -> UInt16 { UInt16(bigEndian: try uint16()) }
    /// The payload as a network-order (big-endian) u32.
    public func bigEndianUInt32() throws(NSCoreError) -> UInt32 { UInt32(bigEndian: try uint32()) }

    /// The payload as a string: the bytes up to the first NUL (the kernel sends names with
    /// their NUL), or all of them when there is none. Bytes that are not UTF-8 become U+FFFD.
    public func string() -> String {
        let end = payload.firstIndex(of: 0) ?? payload.endIndex
        return String(decoding: payload[payload.startIndex..<end], as: UTF8.self)
    }

    /// The payload as an IPv4 address. Throws unless it is exactly four bytes.
    public func ipv4Address() throws(NSCoreError) -> IPv4Address {
        guard let a = IPv4Address(bytes: payload) else {
            throw .malformedNetlink("attribute \(type) has \(payload.count) bytes, expected 4 for an IPv4 address")
        }
        return a
    }

    /// The payload as an IPv6 address. Throws unless it is exactly sixteen bytes.
    public func ipv6Address() throws(NSCoreError) -> IPv6Address {
        guard let a = IPv6Address(bytes: payload) else {
            throw .malformedNetlink("attribute \(type) has \(payload.count) bytes, expected 16 for an IPv6 address")
        }
        return a
    }

    /// The payload as an IP address of `family`'s size.
    public func ipAddress(_ family: IPAddress.Family) throws(NSCoreError) -> IPAddress {
        switch family {
        case .v4: return .v4(try ipv4Address())
        case .v6: return .v6(try ipv6Address())
        }
    }

    /// The payload as a MAC address. Throws unless it is exactly six bytes.
    public func macAddress() throws(NSCoreError) -> MACAddress {
        guard let m = MACAddress(bytes: payload) else {
            throw .malformedNetlink("attribute \(type) has \(payload.count) bytes, expected 6 for a MAC address")
        }
        return m
    }

    /// The payload decoded as a list of nested attributes.
    /// - Throws: ``NSCoreError`` (`EBADMSG`) if a nested attribute is truncated or misaligned.
    public func nested() throws(NSCoreError) -> NetlinkAttributes {
        try NetlinkAttributes(decoding: payload)
    }
}

/// A decoded list of netlink attributes, in the order they came.
///
/// Decoding checks every attribute: its length covers at least its own 4-byte header, it fits
/// in what is left of the buffer, and its padding does too (a buffer may end right after the
/// last attribute's payload, as the kernel's `nla_ok` allows). Anything else is an error.
public struct NetlinkAttributes: Sequence, Sendable {
    /// The attributes, in order.
    public let attributes: [NetlinkAttribute]

    /// Decodes the attributes that fill `bytes` exactly.
    /// - Throws: ``NSCoreError`` (`EBADMSG`) naming the offset of the first bad attribute.
    public init(decoding bytes: ArraySlice<UInt8>) throws(NSCoreError) {
        let (list, error) = Self.decodePartially(bytes)
        if let error { throw error }
        attributes = list.attributes
    }

    /// Decodes the attributes that fill `bytes` exactly.
    public init(decoding bytes: [UInt8]) throws(NSCoreError) {
        try self.init(decoding: bytes[...])
    }

    /// Wraps already decoded attributes.
    public init(_ attributes: [NetlinkAttribute]) { self.attributes = attributes }

    /// Decodes as many attributes as are well formed: the list up to the first bad one, and the
    /// error that stopped decoding, if any. For tolerant readers (and the fuzz tests).
    public static func decodePartially(_ bytes: ArraySlice<UInt8>) -> (NetlinkAttributes, NSCoreError?) {
        var list: [NetlinkAttribute] = []
        var offset = 0
        let total = bytes.count
        while offset < total {
            let left = total - offset
            guard left >= 4, let header = bytes.netlinkLoad(UInt16.self, at: offset),
                let rawType = bytes.netlinkLoad(UInt16.self, at: offset + 2)
            else {
                let problem = "\(left) stray byte(s) at offset \(offset), too few for an attribute header"
                return (NetlinkAttributes(list), .malformedNetlink(problem))
            }
            let length = Int(header)
            let attribute = "attribute \(rawType & NetlinkAttribute.typeMask) at offset \(offset)"
            if length < 4 {
                let problem = "\(attribute) has length \(length), less than its 4-byte header"
                return (NetlinkAttributes(list), .malformedNetlink(problem))
            }
            if length > left {
                let problem = "\(attribute) is truncated: it claims \(length) bytes, \(left) remain"
                return (NetlinkAttributes(list), .malformedNetlink(problem))
            }
            // The next attribute starts at the aligned end. The buffer may stop right after the
            // payload (the kernel's nla_ok accepts a missing final padding), but not in the middle
            // of the padding: that is bytes out of step with the 4-byte grid.
            let next = offset + netlinkAligned(length)
            if next > total && offset + length < total {
                let problem =
                    "\(attribute) is misaligned: \(total - offset - length) byte(s) follow its \(length) "
                    + "bytes, not the padding to \(netlinkAligned(length))"
                return (NetlinkAttributes(list), .malformedNetlink(problem))
            }
            let start = bytes.startIndex + offset
            list.append(NetlinkAttribute(rawType: rawType, payload: bytes[(start + 4)..<(start + length)]))
            offset = next
        }
        return (NetlinkAttributes(list), nil)
    }

    /// The attribute of type `type` (flags ignored); the last one when it repeats, as the
    /// kernel's `nla_parse` keeps.
    public subscript(_ type: UInt16) -> NetlinkAttribute? {
        attributes.last { $0.type == type }
    }

    /// Every attribute of type `type`, in order.
    public func all(_ type: UInt16) -> [NetlinkAttribute] {
        attributes.filter { $0.type == type }
    }

    /// The number of attributes.
    public var count: Int { attributes.count }

    public func makeIterator() -> IndexingIterator<[NetlinkAttribute]> { attributes.makeIterator() }
}
