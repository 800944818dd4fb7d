import Glibc

// The netlink message layer: `struct nlmsghdr` encoding and decoding, a builder for requests
// (fixed header, attributes, nested attributes) and the kernel's error/ack messages with their
// extended-ack attributes. Nothing here knows about links or routes, so a later nftables or
// devlink client can reuse it as it is.

/// The 16-byte header of every netlink message (`struct nlmsghdr`), in host byte order.
public struct NetlinkMessageHeader: Sendable, Hashable {
    /// `sizeof(struct nlmsghdr)`.
    public static let size = 16

    /// `nlmsg_len`: the length of the message, header included, padding excluded.
    public var length: UInt32
    /// `nlmsg_type`.
    public var type: NetlinkMessageType
    /// `nlmsg_flags`.
    public var flags: NetlinkMessageFlags
    /// `nlmsg_seq`: the sequence number of the request a reply answers.
    public var sequence: UInt32
    /// `nlmsg_pid`: the sender's port id (0 for the kernel); in a reply, the requester's port.
    public var portID: UInt32

    /// Makes a header from its five fields.
    public init(length: UInt32, type: NetlinkMessageType, flags: NetlinkMessageFlags, sequence: UInt32, portID: UInt32)
    {
        self.length = length
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
    }

    /// Decodes the header at the start of `bytes`, or nil when fewer than 16 bytes are left.
    public init?(decoding bytes: ArraySlice<UInt8>) {
        guard let length = bytes.netlinkLoad(UInt32.self, at: 0),
            let type = bytes.netlinkLoad(UInt16.self, at: 4),
            let flags = bytes.netlinkLoad(UInt16.self, at: 6),
            let sequence = bytes.netlinkLoad(UInt32.self, at: 8),
            let portID = bytes.netlinkLoad(UInt32.self, at: 12)
        else { return nil }
        self.init(
            length: length, type: NetlinkMessageType(rawValue: type), flags: NetlinkMessageFlags(rawValue: flags),
            sequence: sequence, portID: portID)
    }
}

/// One decoded netlink message: its header and a view of its payload (the bytes after the header
/// up to `nlmsg_len`).
public struct NetlinkMessage: Sendable {
    /// The message header.
    public let header: NetlinkMessageHeader
    /// The payload: a family header such as `struct ifinfomsg`, then attributes.
    public let payload: ArraySlice<UInt8>

    /// Wraps a header and its payload.
    public init(header: NetlinkMessageHeader, payload: ArraySlice<UInt8>) {
        self.header = header
        self.payload = payload
    }

    /// The first `size` bytes of the payload: the family's fixed header.
    /// - Throws: ``NSCoreError`` (`EBADMSG`) when the payload is shorter.
    public func fixedHeader(_ size: Int) throws(NSCoreError) -> ArraySlice<UInt8> {
        guard payload.count >= size else {
            throw .malformedNetlink(
                "\(header.type) payload has \(payload.count) bytes, less than its \(size)-byte header")
        }
        return payload.prefix(size)
    }

    /// The attributes after the family's fixed header of `size` bytes (a multiple of 4).
    /// - Throws: ``NSCoreError`` (`EBADMSG`) for a short payload or a bad attribute.
    public func attributes(after size: Int) throws(NSCoreError) -> NetlinkAttributes {
        _ = try fixedHeader(size)
        return try NetlinkAttributes(decoding: payload.dropFirst(netlinkAligned(size)))
    }

    /// Decodes the messages that fill one datagram.
    /// - Throws: ``NSCoreError`` (`EBADMSG`) for a message shorter than its header, one that
    ///   runs past the end of the datagram, or stray bytes after the last message.
    public static func decode(datagram bytes: ArraySlice<UInt8>) throws(NSCoreError) -> [NetlinkMessage] {
        let (messages, error) = decodePartially(datagram: bytes)
        if let error { throw error }
        return messages
    }

    /// Decodes the messages of a datagram up to the first bad one: the good ones, and the error
    /// that stopped decoding, if any.
    public static func decodePartially(datagram bytes: ArraySlice<UInt8>) -> ([NetlinkMessage], NSCoreError?) {
        var messages: [NetlinkMessage] = []
        var offset = 0
        let total = bytes.count
        while offset < total {
            guard let header = NetlinkMessageHeader(decoding: bytes.dropFirst(offset)) else {
                return (
                    messages,
                    .malformedNetlink(
                        "\(total - offset) stray byte(s) at offset \(offset), too few for a message header")
                )
            }
            let length = Int(header.length)
            if length < NetlinkMessageHeader.size {
                return (
                    messages,
                    .malformedNetlink("message at offset \(offset) has length \(length), less than its 16-byte header")
                )
            }
            if length > total - offset {
                return (
                    messages,
                    .malformedNetlink(
                        "message at offset \(offset) is truncated: it claims \(length) bytes, \(total - offset) remain")
                )
            }
            let start = bytes.startIndex + offset
            messages.append(
                NetlinkMessage(header: header, payload: bytes[(start + NetlinkMessageHeader.size)..<(start + length)]))
            offset += netlinkAligned(length)
        }
        return (messages, nil)
    }
}

/// Builds one netlink request: the header, a family's fixed header, then attributes.
///
/// The builder writes `nlmsg_len` and the attribute lengths itself; the sequence number and
/// port id are filled in by ``encoded(sequence:portID:)`` when the message is sent. Integers are
/// written in host byte order, as netlink wants them (except attributes flagged
/// `NLA_F_NET_BYTEORDER`, whose value the caller converts).
public struct NetlinkMessageBuilder: Sendable {
    /// The message so far, header included (with `nlmsg_len`, sequence and port id still 0).
    public private(set) var bytes: [UInt8]

    /// Starts a message of `type` with `flags` (add ``NetlinkMessageFlags/request`` yourself).
    public init(type: NetlinkMessageType, flags: NetlinkMessageFlags, capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
        append(UInt32(0))
        append(type.rawValue)
        append(flags.rawValue)
        append(UInt32(0))
        append(UInt32(0))
    }

    /// The message's type.
    public var type: NetlinkMessageType {
        NetlinkMessageType(rawValue: bytes[...].netlinkLoad(UInt16.self, at: 4) ?? 0)
    }

    /// The message's flags.
    public var flags: NetlinkMessageFlags {
        get { NetlinkMessageFlags(rawValue: bytes[...].netlinkLoad(UInt16.self, at: 6) ?? 0) }
        set { patch(newValue.rawValue, at: 6) }
    }

    /// Appends an integer in host byte order, unaligned (for fixed headers).
    public mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    /// Appends raw bytes, unaligned (for fixed headers).
    public mutating func append(bytes more: some Sequence<UInt8>) {
        bytes.append(contentsOf: more)
    }

    /// Pads the message with zeros to a multiple of 4 bytes.
    public mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    /// Overwrites a u16 already written at `offset` (host order).
    private mutating func patch(_ value: UInt16, at offset: Int) {
        withUnsafeBytes(of: value) { v in
            for i in 0..<2 { bytes[offset + i] = v[i] }
        }
    }

    /// Appends an attribute whose payload `body` writes, padded to 4 bytes.
    /// Attributes longer than 65535 bytes cannot be expressed in `nla_len`: that is a bug in the
    /// caller (names and addresses are validated long before), so it traps.
    private mutating func appendAttribute<E: Error>(
        _ type: UInt16, _ body: (inout NetlinkMessageBuilder) throws(E) -> Void
    )
        throws(E)
    {
        pad()
        let start = bytes.count
        append(UInt16(0))
        append(type)
        try body(&self)
        let length = bytes.count - start
        precondition(length <= Int(UInt16.max), "netlink attribute \(type) of \(length) bytes exceeds nla_len")
        patch(UInt16(length), at: start)
        pad()
    }

    /// Appends an attribute with raw bytes as its payload.
    public mutating func appendAttribute(_ type: UInt16, bytes payload: some Sequence<UInt8>) {
        appendAttribute(type) { (b: inout NetlinkMessageBuilder) in b.append(bytes: payload) }
    }

    /// Appends a u8 attribute.
    public mutating func appendAttribute(_ type: UInt16, uint8 value: UInt8) {
        appendAttribute(type) { (b: inout NetlinkMessageBuilder) in b.append(value) }
    }

    /// Appends a u16 attribute (host order).
    public mutating func appendAttribute(_ type: UInt16, uint16 value: UInt16) {
        appendAttribute(type) { (b: inout NetlinkMessageBuilder) in b.append(value) }
    }

    /// Appends a u32 attribute (host order).
    public mutating func appendAttribute(_ type: UInt16, uint32 value: UInt32) {
        appendAttribute(type) { (b: inout NetlinkMessageBuilder) in b.append(value) }
    }

    /// Appends a u64 attribute (host order).
    public mutating func appendAttribute(_ type: UInt16, uint64 value: UInt64) {
        appendAttribute(type) { (b: inout NetlinkMessageBuilder) in b.append(value) }
    }

    /// Appends an s32 attribute (host order).
    public mutating func appendAttribute(_ type: UInt16, int32 value: Int32) {
        appendAttribute(type) { (b: inout NetlinkMessageBuilder) in b.append(value) }
    }

    /// Appends a string attribute with its terminating NUL (`NLA_NUL_STRING`, as the kernel
    /// wants names). The caller has checked that `value` holds no NUL.
    public mutating func appendAttribute(_ type: UInt16, string value: String) {
        appendAttribute(type) { (b: inout NetlinkMessageBuilder) in
            b.append(bytes: value.utf8)
            b.append(UInt8(0))
        }
    }

    /// Appends an IP address attribute: 4 or 16 bytes in network order.
    public mutating func appendAttribute(_ type: UInt16, address: IPAddress) {
        switch address {
        case .v4(let a): appendAttribute(type, uint32: a.rawValue.bigEndian)
        case .v6(let a): appendAttribute(type, bytes: a.bytes)
        }
    }

    /// Appends a nested attribute whose attributes `body` appends.
    /// - Parameters:
    ///   - type: the attribute type.
    ///   - setNestedFlag: set `NLA_F_NESTED` in the type. rtnetlink does not need it (iproute2
    ///     leaves it clear); newer families such as nftables require it.
    ///   - body: appends the nested attributes (it may also write a fixed header first, as
    ///     `VETH_INFO_PEER` carries a `struct ifinfomsg`).
    /// - Throws: what `body` throws.
    public mutating func appendNestedAttribute<E: Error>(
        _ type: UInt16, setNestedFlag: Bool = false,
        _ body: (inout NetlinkMessageBuilder) throws(E) -> Void
    )
        throws(E)
    {
        try appendAttribute(setNestedFlag ? type | NetlinkAttribute.nestedFlag : type, body)
    }

    /// The finished message: `nlmsg_len`, `nlmsg_seq` and `nlmsg_pid` filled in.
    public func encoded(sequence: UInt32, portID: UInt32 = 0) -> [UInt8] {
        var out = bytes
        withUnsafeBytes(of: UInt32(out.count)) { for i in 0..<4 { out[i] = $0[i] } }
        withUnsafeBytes(of: sequence) { for i in 0..<4 { out[8 + i] = $0[i] } }
        withUnsafeBytes(of: portID) { for i in 0..<4 { out[12 + i] = $0[i] } }
        return out
    }
}

/// The kernel's answer in an `NLMSG_ERROR` message (`struct nlmsgerr` plus extended-ack
/// attributes), or the error status at the end of a dump (`NLMSG_DONE`).
///
/// An error number of 0 is an acknowledgement. With `NETLINK_EXT_ACK` the kernel adds a message
/// text (`NLMSGERR_ATTR_MSG`), the offset in the request of the attribute it blamed
/// (`NLMSGERR_ATTR_OFFS`) and the type of a missing attribute (`NLMSGERR_ATTR_MISS_TYPE`).
public struct NetlinkErrorReply: Sendable, Hashable {
    /// The error as a positive errno value, 0 for an acknowledgement.
    public var errorNumber: Int32
    /// The header of the request this answers (nil in an `NLMSG_DONE`).
    public var request: NetlinkMessageHeader?
    /// The kernel's explanation (`NLMSGERR_ATTR_MSG`), when it gave one.
    public var kernelMessage: String?
    /// The offset in the request of the attribute the kernel rejected (`NLMSGERR_ATTR_OFFS`).
    public var attributeOffset: UInt32?
    /// The type of a required attribute the request lacked (`NLMSGERR_ATTR_MISS_TYPE`).
    public var missingAttributeType: UInt32?

    /// Decodes an `NLMSG_ERROR` or `NLMSG_DONE` message.
    /// - Throws: ``NSCoreError`` (`EBADMSG`) when the message is too short or its attributes
    ///   are malformed.
    public init(decoding message: NetlinkMessage) throws(NSCoreError) {
        let payload = message.payload
        guard message.header.type == .error || message.header.type == .done else {
            throw .malformedNetlink("a \(message.header.type) message is not an error or done message")
        }
        guard let error = payload.netlinkLoad(Int32.self, at: 0) else {
            throw .malformedNetlink(
                "\(message.header.type) payload has \(payload.count) bytes, too few for an error number")
        }
        // The kernel sends -errno; a positive value is not something it does, but keep it usable.
        errorNumber = error == Int32.min ? Int32.max : abs(error)
        var attributesStart = 4
        if message.header.type == .error {
            guard let request = NetlinkMessageHeader(decoding: payload.dropFirst(4)) else {
                throw .malformedNetlink(
                    "NLMSG_ERROR payload has \(payload.count) bytes, too few for the request's header")
            }
            self.request = request
            attributesStart = 4 + NetlinkMessageHeader.size
            // Without NLM_F_CAPPED the request's own payload is echoed back before the attributes.
            if !message.header.flags.contains(.capped) {
                attributesStart += netlinkAligned(max(0, Int(request.length) - NetlinkMessageHeader.size))
            }
        } else {
            request = nil
        }
        guard message.header.flags.contains(.ackTLVs) else { return }
        guard attributesStart <= payload.count else {
            throw .malformedNetlink("\(message.header.type) echoes a request longer than itself")
        }
        let attributes = try NetlinkAttributes(decoding: payload.dropFirst(attributesStart))
        kernelMessage = attributes[NetlinkErrorAttribute.message].map { $0.string() }
        attributeOffset = try attributes[NetlinkErrorAttribute.offset]?.uint32()
        missingAttributeType = try attributes[NetlinkErrorAttribute.missingType]?.uint32()
    }

    /// Makes a reply from its fields (for tests).
    public init(errorNumber: Int32, request: NetlinkMessageHeader? = nil, kernelMessage: String? = nil) {
        self.errorNumber = errorNumber
        self.request = request
        self.kernelMessage = kernelMessage
    }

    /// This reply as an ``NSCoreError`` for `operation`, or nil for an acknowledgement.
    /// The message reads `operation: ENAME (text): kernel says "..."`.
    public func error(operation: String) -> NSCoreError? {
        guard errorNumber != 0 else { return nil }
        let errno = Errno(rawValue: errorNumber)
        var message = "\(operation): \(errno)"
        if let text = kernelMessage, !text.isEmpty { message += ": kernel says \"\(text)\"" }
        if let missing = missingAttributeType { message += " (missing attribute \(missing))" }
        return NSCoreError(Self.code(for: errno), errno: errno, stage: operation, message: message)
    }

    /// The code of a netlink errno: rtnetlink reports a missing link as `ENODEV` and a missing
    /// address as `EADDRNOTAVAIL`, which NSCore calls "not found".
    static func code(for errno: Errno) -> NSCoreError.Code {
        switch errno.rawValue {
        case ENODEV, EADDRNOTAVAIL: return .notFound
        default: return .from(errno: errno)
        }
    }
}
