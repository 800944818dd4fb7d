import CNSCoreShim
import Glibc

/// A netlink socket that sends requests and collects the kernel's answers.
///
/// The socket is `SOCK_CLOEXEC`, bound to a port id the kernel picks, with
/// - `NETLINK_EXT_ACK`, so errors carry the kernel's explanation;
/// - `NETLINK_CAP_ACK`, so acknowledgements do not echo the whole request back;
/// - `NETLINK_GET_STRICT_CHK`, so dumps are filtered by the kernel as the request says;
/// - a 1 MiB receive buffer (`SO_RCVBUFFORCE`, or `SO_RCVBUF` within `net.core.rmem_max`).
///
/// Each request gets the next sequence number; a reply whose sequence number or port id does
/// not match (a stale answer to an earlier request that failed half way, say) is skipped.
///
/// A netlink socket stays bound to the network namespace it was created in, whichever thread
/// uses it later: see ``open(protocol:inNetworkNamespaceOf:)`` and its siblings to make one for
/// another namespace.
///
/// A socket is not thread-safe: use it from one thread at a time.
public final class NetlinkSocket {
    /// The default `SO_RCVBUF`: 1 MiB, room for a dump of thousands of links.
    public static let defaultReceiveBufferSize = 1 << 20
    /// How many times a dump that the kernel flags as interrupted (`NLM_F_DUMP_INTR`: the table
    /// changed while it was read) is restarted before giving up.
    public static let dumpAttempts = 4

    /// The netlink protocol, e.g. ``NetlinkProtocol/route``.
    public let netlinkProtocol: Int32
    /// The port id the kernel assigned to this socket (`nl_pid`).
    public let portID: UInt32
    private let fd: OwnedFD
    private var lastSequence: UInt32 = 0
    /// The sequence number of a dump whose end has not been read (its reader gave up half way).
    /// The kernel runs one dump per socket at a time and refuses another with `EBUSY`, so the
    /// next dump first reads this one to its end.
    private var unfinishedDump: UInt32?
    /// One datagram at a time is read here. The kernel sizes dump datagrams to what the reader
    /// offered, at most 32 KiB; a larger single reply grows it (and fails that one request).
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    /// Opens a netlink socket in the calling thread's network namespace.
    /// The corresponding syscalls are `socket(2)`, `setsockopt(2)` and `bind(2)`.
    /// - Parameters:
    ///   - netlinkProtocol: the netlink family, ``NetlinkProtocol/route`` by default.
    ///   - receiveBufferSize: the `SO_RCVBUF` to ask for.
    /// - Throws: ``NSCoreError`` when the socket cannot be created or bound.
    public init(
        protocol netlinkProtocol: Int32 = NetlinkProtocol.route,
        receiveBufferSize: Int = NetlinkSocket.defaultReceiveBufferSize
    ) throws(NSCoreError) {
        let stage = "open netlink socket"
        let fd: OwnedFD
        switch sys_socket(nsc_shim_AF_NETLINK, Int32(SOCK_RAW.rawValue), netlinkProtocol) {
        case .success(let f): fd = f
        case .failure(let e): throw .sys(e, stage, "\(stage) (protocol \(netlinkProtocol)): \(e)")
        }
        // Each option is best effort: a kernel without it (EXT_ACK 4.12, CAP_ACK 4.3,
        // GET_STRICT_CHK 4.20) still works, with terser errors or client-side filtering.
        _ = sys_setsockopt(fd.rawValue, nsc_shim_SOL_NETLINK, nsc_shim_NETLINK_EXT_ACK, 1)
        _ = sys_setsockopt(fd.rawValue, nsc_shim_SOL_NETLINK, nsc_shim_NETLINK_CAP_ACK, 1)
        _ = sys_setsockopt(fd.rawValue, nsc_shim_SOL_NETLINK, nsc_shim_NETLINK_GET_STRICT_CHK, 1)
        let size = Int32(clamping: receiveBufferSize)
        if case .failure = sys_setsockopt(fd.rawValue, SOL_SOCKET, SO_RCVBUFFORCE, size) {
            _ = sys_setsockopt(fd.rawValue, SOL_SOCKET, SO_RCVBUF, size)
        }
        switch sys_bindNetlink(fd.rawValue) {
        case .success(let port): portID = port
        case .failure(let e): throw .sys(e, "bind netlink socket")
        }
        self.fd = fd
        self.netlinkProtocol = netlinkProtocol
    }

    /// The socket's descriptor, owned by this object (valid while it lives).
    public var fileDescriptor: Int32 { fd.rawValue }

    /// The cookie of the network namespace the socket belongs to (`SO_NETNS_COOKIE`, Linux
    /// 5.14): a 64-bit number that no other namespace gets while the system runs, unlike an
    /// inode number, which a later namespace may reuse. Nil on older kernels.
    public var networkNamespaceCookie: UInt64? {
        // SO_NETNS_COOKIE is 71 in asm-generic/socket.h, which x86_64 and aarch64 use.
        try? sys_getsockopt64(fd.rawValue, SOL_SOCKET, 71).get()
    }

    /// True when the kernel accepted `NETLINK_EXT_ACK` (errors will carry its message text).
    public var hasExtendedAcks: Bool {
        (try? sys_getsockopt(fd.rawValue, nsc_shim_SOL_NETLINK, nsc_shim_NETLINK_EXT_ACK).get()) == 1
    }

    /// Sends one message with the next sequence number and returns that number.
    /// The corresponding syscall is `send(2)`.
    /// - Throws: ``NSCoreError`` naming `operation` when the kernel refuses the datagram.
    public func send(_ message: NetlinkMessageBuilder, operation: @autoclosure () -> String) throws(NSCoreError)
        -> UInt32
    {
        lastSequence &+= 1
        if lastSequence == 0 { lastSequence = 1 }
        let bytes = message.encoded(sequence: lastSequence)
        let result = bytes.withUnsafeBytes { sys_send(fd.rawValue, $0) }
        switch result {
        case .success(let n) where n == bytes.count:
            if message.flags.contains(.dump) { unfinishedDump = lastSequence }
            return lastSequence
        case .success(let n):
            throw .sys(
                Errno(rawValue: EMSGSIZE), operation(), "\(operation()): netlink sent \(n) of \(bytes.count) bytes")
        case .failure(let e): throw .sys(e, operation(), "\(operation()): send to netlink: \(e)")
        }
    }

    /// Receives one datagram and decodes its messages. The corresponding syscall is `recv(2)`.
    /// - Throws: ``NSCoreError`` naming `operation` for a failed receive, a datagram larger than
    ///   the buffer (lost; the buffer grows for the next one), or a malformed message.
    public func receive(operation: @autoclosure () -> String) throws(NSCoreError) -> [NetlinkMessage] {
        let capacity = buffer.count
        let result = buffer.withUnsafeMutableBytes { sys_recv(fd.rawValue, $0, Int32(MSG_TRUNC)) }
        let n: Int
        switch result {
        case .success(let count): n = count
        case .failure(let e): throw .sys(e, operation(), "\(operation()): receive from netlink: \(e)")
        }
        if n > capacity {
            buffer = [UInt8](repeating: 0, count: netlinkAligned(n))
            throw .sys(
                Errno(rawValue: EMSGSIZE), operation(),
                "\(operation()): a netlink reply of \(n) bytes did not fit the \(capacity)-byte buffer and was lost")
        }
        let datagram = Array(buffer[0..<n])
        do throws(NSCoreError) {
            let messages = try NetlinkMessage.decode(datagram: datagram[...])
            if let pending = unfinishedDump,
                messages.contains(where: {
                    $0.header.sequence == pending && ($0.header.type == .done || $0.header.type == .error)
                })
            {
                unfinishedDump = nil
            }
            return messages
        } catch {
            throw NSCoreError(
                error.code, errno: error.errno, stage: operation(), message: "\(operation()): \(error.message)")
        }
    }

    /// True when `message` answers the request with `sequence` sent from this socket.
    @inline(__always)
    private func answers(_ message: NetlinkMessage, _ sequence: UInt32) -> Bool {
        message.header.sequence == sequence && message.header.portID == portID
    }

    /// Sends a request with `NLM_F_REQUEST | NLM_F_ACK` added and waits for the kernel's
    /// acknowledgement. Returns the replies that came before it (a GET's answer, or an echo).
    /// - Parameters:
    ///   - message: the request.
    ///   - operation: what the request does, for errors ("create bridge br0").
    /// - Throws: ``NSCoreError`` with the kernel's errno, `operation` as its stage and the
    ///   kernel's extended-ack text: `create veth pair a/b: EEXIST (File exists): kernel says "..."`.
    @discardableResult
    public func request(_ message: NetlinkMessageBuilder, operation: @autoclosure () -> String) throws(NSCoreError)
        -> [NetlinkMessage]
    {
        var message = message
        message.flags.formUnion([.request, .ack])
        let sequence = try send(message, operation: operation())
        var replies: [NetlinkMessage] = []
        while true {
            for reply in try receive(operation: operation()) where answers(reply, sequence) {
                switch reply.header.type {
                case .error:
                    if let error = try decodeStatus(reply, operation) { throw error }
                    return replies
                case .done:
                    if let error = try decodeStatus(reply, operation) { throw error }
                case .noop:
                    continue
                case .overrun:
                    throw .sys(
                        Errno(rawValue: ENOBUFS), operation(), "\(operation()): netlink overrun, a reply was lost")
                default:
                    replies.append(reply)
                }
            }
        }
    }

    /// Sends a dump request (`NLM_F_REQUEST | NLM_F_DUMP` added) and collects every message of
    /// the multi-part reply until `NLMSG_DONE`. A dump the kernel flags as interrupted is
    /// restarted, up to ``dumpAttempts`` times.
    /// - Parameters:
    ///   - message: the dump request.
    ///   - operation: what the dump reads, for errors ("list links").
    /// - Throws: ``NSCoreError`` with the kernel's errno and text, or ``NSCoreError/Code/busy``
    ///   when every attempt was interrupted.
    public func dump(_ message: NetlinkMessageBuilder, operation: @autoclosure () -> String) throws(NSCoreError)
        -> [NetlinkMessage]
    {
        var message = message
        message.flags.formUnion([.request, .dump])
        // Read any earlier dump to its end first (see `unfinishedDump`).
        while unfinishedDump != nil { _ = try receive(operation: operation()) }
        for _ in 0..<Self.dumpAttempts {
            let sequence = try send(message, operation: operation())
            var results: [NetlinkMessage] = []
            var interrupted = false
            var finished = false
            while !finished {
                for reply in try receive(operation: operation()) where answers(reply, sequence) {
                    if reply.header.flags.contains(.dumpInterrupted) { interrupted = true }
                    switch reply.header.type {
                    case .done, .error:
                        if let error = try decodeStatus(reply, operation) { throw error }
                        finished = true
                    case .noop:
                        continue
                    case .overrun:
                        throw .sys(
                            Errno(rawValue: ENOBUFS), operation(),
                            "\(operation()): netlink overrun, part of the dump was lost")
                    default:
                        results.append(reply)
                    }
                    if finished { break }
                }
            }
            if !interrupted { return results }
        }
        throw NSCoreError(
            .busy, errno: Errno(rawValue: EAGAIN), stage: operation(),
            message:
                "\(operation()): the kernel interrupted the dump \(Self.dumpAttempts) times (the table kept changing)")
    }

    /// The error in an `NLMSG_ERROR` or `NLMSG_DONE`, or nil for success.
    private func decodeStatus(_ reply: NetlinkMessage, _ operation: () -> String) throws(NSCoreError) -> NSCoreError? {
        // An NLMSG_DONE from an old kernel may carry no status at all.
        if reply.header.type == .done && reply.payload.count < 4 { return nil }
        let status: NetlinkErrorReply
        do throws(NSCoreError) {
            status = try NetlinkErrorReply(decoding: reply)
        } catch {
            throw NSCoreError(
                error.code, errno: error.errno, stage: operation(), message: "\(operation()): \(error.message)")
        }
        return status.error(operation: operation())
    }
}
