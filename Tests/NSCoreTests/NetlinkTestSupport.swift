import CNSCoreShim
import Glibc
import Testing

@testable import NSCore

/// Helpers for the netlink tests. Every link and address these tests make lives in a network
/// namespace of a `sleep` container the test spawned; nothing touches the machine's own network
/// namespace, and no packet leaves those namespaces.
enum NL {
    /// A network namespace held alive by a `sleep` container.
    final class Namespace {
        let container: Container
        var pid: pid_t { container.pid }

        init() throws {
            container = try Container.spawn(SpawnConfiguration(["sleep", "120"], namespaces: [.network]))
        }

        /// A client whose socket was opened inside this namespace.
        func netlink() throws -> RouteNetlink { try RouteNetlink(networkNamespaceOf: pid) }

        /// `ip ARGS` run inside this namespace through nsenter (for cross-checks only): its stdout.
        func ip(_ args: [String]) throws -> String {
            let (status, out) = try T.run(["nsenter", "--net=/proc/\(pid)/ns/net", "ip"] + args)
            #expect(status == .exited(0), "ip \(args)")
            return out
        }

        /// Kills and reaps the container: its namespace (and any link left in it) goes with it.
        func close() {
            _ = try? container.signal(SIGKILL)
            _ = try? container.wait()
        }
    }

    /// Runs `body` with `count` fresh network namespaces, then checks that each holds nothing
    /// but `lo` (the test cleaned up after itself) and kills them, even when `body` throws.
    static func withNamespaces<R>(
        _ count: Int, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: ([Namespace]) throws -> R
    ) throws -> R {
        var namespaces: [Namespace] = []
        defer { for ns in namespaces { ns.close() } }
        for _ in 0..<count { namespaces.append(try Namespace()) }
        let result = try body(namespaces)
        for (i, ns) in namespaces.enumerated() {
            let names = try ns.netlink().links().map(\.name)
            #expect(names == ["lo"], "namespace \(i) still holds \(names)", sourceLocation: sourceLocation)
        }
        return result
    }

    /// Bytes from hex text; spaces and newlines are ignored.
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.utf8.filter { $0 != 0x20 && $0 != 0x0a }
        precondition(digits.count % 2 == 0, "odd hex")
        return stride(from: 0, to: digits.count, by: 2).map { i in
            UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16)!
        }
    }

    /// Hex text of bytes.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Sends `request` on `socket` and returns the raw datagrams of the answer, up to the
    /// acknowledgement, error or `NLMSG_DONE` (for capturing kernel replies).
    static func rawExchange(_ socket: NetlinkSocket, _ request: NetlinkMessageBuilder) throws -> [[UInt8]] {
        let sequence = try socket.send(request, operation: "capture")
        var datagrams: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(socket.fileDescriptor, $0.baseAddress, $0.count, 0) }
            precondition(n > 0)
            let datagram = Array(buffer[0..<n])
            let messages = try NetlinkMessage.decode(datagram: datagram[...])
            guard messages.contains(where: { $0.header.sequence == sequence }) else { continue }
            datagrams.append(datagram)
            if messages.contains(where: { $0.header.type == .error || $0.header.type == .done }) { return datagrams }
        }
    }
}
