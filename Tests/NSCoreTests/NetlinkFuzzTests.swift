import Testing

@testable import NSCore

/// Fuzz-style tests of the netlink decoder: thousands of random and mutated buffers go through
/// every decoder, which must return a result or an error and never trap (a trap would end the
/// test process). Seeds are fixed, so a failure reproduces.
@Suite struct NetlinkFuzzTests {
    /// SplitMix64: a small deterministic generator.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Runs every decoder over one datagram; returns how many messages decoded fully.
    @discardableResult
    static func exercise(_ datagram: [UInt8]) -> Int {
        let (messages, _) = NetlinkMessage.decodePartially(datagram: datagram[...])
        var decoded = 0
        for m in messages {
            if (try? NetworkLink(decoding: m)) != nil { decoded += 1 }
            if (try? InterfaceAddress(decoding: m)) != nil { decoded += 1 }
            if (try? Route(decoding: m)) != nil { decoded += 1 }
            if let reply = try? NetlinkErrorReply(decoding: m) {
                decoded += 1
                _ = reply.error(operation: "fuzz")
            }
            _ = try? m.fixedHeader(16)
            for size in [0, 4, 8, 12, 16] { walk((try? m.attributes(after: size)) ?? NetlinkAttributes([]), depth: 0) }
            walk(NetlinkAttributes.decodePartially(m.payload).0, depth: 0)
        }
        return decoded
    }

    /// Calls every typed getter on every attribute, and recurses into each as if nested.
    static func walk(_ attributes: NetlinkAttributes, depth: Int) {
        for a in attributes {
            _ = try? a.uint8()
            _ = try? a.uint16()
            _ = try? a.uint32()
            _ = try? a.uint64()
            _ = try? a.int32()
            _ = try? a.bigEndianUInt16()
            _ = try? a.bigEndianUInt32()
            _ = a.string()
            _ = try? a.ipv4Address()
            _ = try? a.ipv6Address()
            _ = try? a.macAddress()
            _ = try? a.ipAddress(.v4)
            _ = try? a.ipAddress(.v6)
            if depth < 4 {
                walk(NetlinkAttributes.decodePartially(a.payload).0, depth: depth + 1)
                if a.payload.count >= 16 {
                    walk(NetlinkAttributes.decodePartially(a.payload.dropFirst(16)).0, depth: depth + 1)
                }
            }
        }
    }

    static let captured: [[UInt8]] = [
        NetlinkFixtures.loopbackLink, NetlinkFixtures.loopbackLinkAck, NetlinkFixtures.loopbackAddresses,
        NetlinkFixtures.vethLink, NetlinkFixtures.duplicateVethError, NetlinkFixtures.noDeviceError,
        NetlinkFixtures.vethAddresses, NetlinkFixtures.ipv4Routes, NetlinkFixtures.ipv6Routes, NetlinkFixtures.mtuError,
    ]

    @Test func capturedRepliesDecodeCompletely() {
        // The baseline the mutations start from: every captured message decodes.
        for datagram in Self.captured {
            let (messages, error) = NetlinkMessage.decodePartially(datagram: datagram[...])
            #expect(error == nil)
            #expect(Self.exercise(datagram) >= messages.count)
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var g = Generator(state: 0x6e73_636f_7265)
        var errors = 0
        for _ in 0..<4000 {
            let count = Int.random(in: 0...600, using: &g)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
            // Half of the buffers get a plausible first header, so decoding goes deeper.
            if count >= 16 && Bool.random(using: &g) {
                let length = UInt32(Int.random(in: 16...count, using: &g))
                withUnsafeBytes(of: length) { for i in 0..<4 { bytes[i] = $0[i] } }
                let type = [UInt16(2), 3, 16, 20, 24, 100].randomElement(using: &g)!
                withUnsafeBytes(of: type) { for i in 0..<2 { bytes[4 + i] = $0[i] } }
            }
            if NetlinkMessage.decodePartially(datagram: bytes[...]).1 != nil { errors += 1 }
            Self.exercise(bytes)
            // The attribute decoder alone, on raw random bytes.
            Self.walk(NetlinkAttributes.decodePartially(bytes[...]).0, depth: 0)
        }
        #expect(errors > 0)  // random bytes are mostly rejected, without a trap
    }

    @Test func mutatedKernelRepliesNeverCrashTheDecoder() {
        var g = Generator(state: 42)
        var partial = 0
        for round in 0..<4000 {
            var bytes = Self.captured[round % Self.captured.count]
            switch Int.random(in: 0..<5, using: &g) {
            case 0:  // flip a few random bytes
                for _ in 0..<Int.random(in: 1...8, using: &g) {
                    bytes[Int.random(in: 0..<bytes.count, using: &g)] ^= UInt8.random(in: 1...255, using: &g)
                }
            case 1:  // truncate anywhere
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &g)))
            case 2:  // corrupt a 16-bit length field at an aligned offset (attribute or message)
                let offset = Int.random(in: 0..<(bytes.count / 4), using: &g) * 4
                let value = UInt16.random(in: 0...UInt16.max, using: &g)
                bytes[offset] = UInt8(truncatingIfNeeded: value)
                if offset + 1 < bytes.count { bytes[offset + 1] = UInt8(value >> 8) }
            case 3:  // append junk
                bytes += (0..<Int.random(in: 1...40, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            default:  // splice two replies
                let other = Self.captured.randomElement(using: &g)!
                bytes =
                    Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &g)))
                    + Array(other.suffix(Int.random(in: 0...other.count, using: &g)))
            }
            if NetlinkMessage.decodePartially(datagram: bytes[...]).1 != nil { partial += 1 }
            Self.exercise(bytes)
        }
        #expect(partial > 0)
    }
}
