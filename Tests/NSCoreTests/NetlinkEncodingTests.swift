import Glibc
import Testing

@testable import NSCore

/// The netlink message layer against real bytes: kernel replies captured once
/// (NetlinkFixtures), and requests compared with the bytes iproute2 sent for the same
/// operation, which the kernel accepted. No socket is opened here.
@Suite struct NetlinkEncodingTests {
    // MARK: Decoding captured kernel replies

    @Test func loopbackLinkDecodesFieldByField() throws {
        let messages = try NetlinkMessage.decode(datagram: NetlinkFixtures.loopbackLink[...])
        #expect(messages.count == 1)
        let m = messages[0]
        #expect(m.header == NetlinkMessageHeader(length: 1468, type: .newLink, flags: [], sequence: 1, portID: 0x6d72))
        #expect(m.payload.count == 1468 - 16)
        let lo = try NetworkLink(decoding: m)
        #expect(lo.index == 1)
        #expect(lo.name == "lo")
        #expect(lo.kind == nil && lo.portKind == nil)
        #expect(lo.flags.rawValue == 0x1_0049)
        #expect(lo.flags == [.loopback, .up, .running, .lowerUp])
        #expect(lo.flags.description == "LOOPBACK,UP,LOWER_UP")  // what `ip -j link` listed
        #expect(lo.isUp)
        #expect(lo.operationalState == .unknown && lo.operationalState.description == "UNKNOWN")
        #expect(lo.mtu == 65536)
        #expect(lo.hardwareAddress == [0, 0, 0, 0, 0, 0])
        #expect(lo.macAddress?.description == "00:00:00:00:00:00")
        #expect(lo.hardwareType == 772)  // ARPHRD_LOOPBACK
        #expect(lo.transmitQueueLength == 1000)
        #expect(lo.masterIndex == nil && lo.linkIndex == nil && lo.linkNamespaceID == nil && lo.vethPeerIndex == nil)

        // The attribute list itself: IFLA_IFNAME first, every payload inside the message.
        let attributes = try m.attributes(after: RouteHeaderSize.link)
        #expect(attributes.attributes.first?.type == LinkAttribute.name)
        #expect(attributes[LinkAttribute.name]?.payload.count == 3)  // "lo" and its NUL
        #expect(try attributes[LinkAttribute.mtu]?.uint32() == 65536)
        let linkInfo = attributes[LinkAttribute.linkInfo]
        #expect(linkInfo == nil)

        // The acknowledgement that followed: error 0, capped, answering request 1.
        let ack = try NetlinkMessage.decode(datagram: NetlinkFixtures.loopbackLinkAck[...])
        #expect(ack.count == 1 && ack[0].header.type == .error)
        #expect(ack[0].header.flags == .capped)
        let status = try NetlinkErrorReply(decoding: ack[0])
        #expect(status.errorNumber == 0)
        #expect(status.error(operation: "get link lo") == nil)
        #expect(
            status.request
                == NetlinkMessageHeader(length: 32, type: .getLink, flags: [.request, .ack], sequence: 1, portID: 0))
        #expect(status.kernelMessage == nil)
    }

    @Test func vethLinkDecodesFieldByField() throws {
        let messages = try NetlinkMessage.decode(datagram: NetlinkFixtures.vethLink[...])
        #expect(messages.count == 1)
        let ve0 = try NetworkLink(decoding: messages[0])
        #expect(ve0.index == 3)
        #expect(ve0.name == "ve0")
        #expect(ve0.kind == "veth")
        #expect(ve0.portKind == nil)
        #expect(ve0.flags == [.broadcast, .multicast])
        #expect(!ve0.isUp)
        #expect(ve0.operationalState == .down)
        #expect(ve0.mtu == 1500)
        #expect(ve0.macAddress == (try MACAddress("d6:b3:4a:66:4e:67")))
        #expect(ve0.hardwareType == 1)  // ARPHRD_ETHER
        #expect(ve0.linkIndex == 2 && ve0.vethPeerIndex == 2)  // ve1, as `ip -d link` showed
        #expect(ve0.linkNamespaceID == nil)
        #expect(ve0.masterIndex == nil)
        #expect(ve0.transmitQueueLength == 1000)
    }

    @Test func loopbackAddressesDecodeFieldByField() throws {
        let messages = try NetlinkMessage.decode(datagram: NetlinkFixtures.loopbackAddresses[...])
        #expect(messages.map(\.header.type) == [.newAddress, .newAddress])
        #expect(messages.allSatisfy { $0.header.flags == .multipart && $0.header.sequence == 2 })
        let v4 = try InterfaceAddress(decoding: messages[0])
        #expect(v4.family == .v4)
        #expect(v4.prefix == (try IPPrefix("127.0.0.1/8")))
        #expect(v4.interfaceIndex == 1)
        #expect(v4.scope == .host)
        #expect(v4.label == "lo")
        #expect(v4.flags == .permanent)
        #expect(v4.peer == nil && v4.broadcast == nil)
        #expect(v4.validLifetime == UInt32.max && v4.preferredLifetime == UInt32.max)
        let v6 = try InterfaceAddress(decoding: messages[1])
        #expect(v6.family == .v6)
        #expect(v6.prefix == (try IPPrefix("::1/128")))
        #expect(v6.interfaceIndex == 1)
        #expect(v6.scope == .host)
        #expect(v6.label == nil)
        #expect(v6.flags == .permanent)
        #expect(v6.validLifetime == UInt32.max && v6.preferredLifetime == UInt32.max)

        let done = try NetlinkMessage.decode(datagram: NetlinkFixtures.loopbackAddressesDone[...])
        #expect(done.count == 1 && done[0].header.type == .done && done[0].header.flags == .multipart)
        #expect(try NetlinkErrorReply(decoding: done[0]).errorNumber == 0)
    }

    @Test func vethAddressesDecodeFieldByField() throws {
        let messages = try NetlinkMessage.decode(datagram: NetlinkFixtures.vethAddresses[...])
        // The kernel filtered the dump by index (NETLINK_GET_STRICT_CHK).
        #expect(messages.allSatisfy { $0.header.flags == [.multipart, .dumpFiltered] })
        let addresses = try messages.map { try InterfaceAddress(decoding: $0) }
        #expect(addresses.map(\.prefix.description) == ["10.0.0.2/24", "fd00::2/64", "fe80::d4b3:4aff:fe66:4e67/64"])
        #expect(addresses.allSatisfy { $0.interfaceIndex == 3 && $0.validLifetime == UInt32.max })
        #expect(addresses.map(\.scope) == [.universe, .universe, .link])
        #expect(addresses.map(\.label) == ["ve0", nil, nil])
        #expect(addresses[0].flags == .permanent)
        #expect(addresses[1].flags == [.noDAD, .permanent])  // usable at once: never tentative
        #expect(addresses[2].flags == [.tentative, .permanent])  // the link-local one was still in DAD
    }

    @Test func routesDecodeFieldByField() throws {
        let v4 = try NetlinkMessage.decode(datagram: NetlinkFixtures.ipv4Routes[...]).map { try Route(decoding: $0) }
        #expect(v4.count == 2)
        #expect(v4[0].isDefault && v4[0].destination == .any(.v4))
        #expect(v4[0].gateway == (try IPAddress("10.0.0.1")))
        #expect(v4[0].outputInterface == 3)
        #expect(v4[0].table == RouteTable.main)
        #expect(v4[0].protocol == .boot && v4[0].scope == .universe && v4[0].type == .unicast)
        #expect(v4[0].metric == nil && v4[0].preferredSource == nil)
        #expect(v4[1].destination == (try IPPrefix("10.0.0.0/24")))
        #expect(v4[1].gateway == nil)
        #expect(v4[1].protocol == .kernel && v4[1].scope == .link)
        #expect(v4[1].preferredSource == (try IPAddress("10.0.0.2")))

        let v6 = try NetlinkMessage.decode(datagram: NetlinkFixtures.ipv6Routes[...]).map { try Route(decoding: $0) }
        #expect(v6.map(\.destination.description) == ["fd00::/64", "fe80::/64", "fe80::/64", "::/0"])
        #expect(v6.map(\.outputInterface) == [3, 2, 3, 3])
        #expect(v6.map(\.metric) == [256, 256, 256, 1024])
        #expect(v6.map(\.protocol) == [.kernel, .kernel, .kernel, .boot])
        #expect(v6[3].gateway == (try IPAddress("fd00::1")) && v6[3].isDefault)
        #expect(v6.allSatisfy { $0.table == RouteTable.main && $0.type == .unicast && $0.family == .v6 })
        let done = try NetlinkMessage.decode(datagram: NetlinkFixtures.ipv6RoutesDone[...])
        #expect(done.map(\.header.type) == [.done])
    }

    @Test func kernelErrorsBecomeNSCoreErrors() throws {
        // EEXIST without text: the kernel gives none for a taken link name.
        let duplicate = try NetlinkErrorReply(
            decoding: NetlinkMessage.decode(datagram: NetlinkFixtures.duplicateVethError[...])[0])
        #expect(duplicate.errorNumber == EEXIST)
        #expect(
            duplicate.request
                == NetlinkMessageHeader(
                    length: 56, type: .newLink,
                    flags: [.request, .ack, .create, .exclusive], sequence: 5, portID: 0))
        #expect(duplicate.kernelMessage == nil)
        let e1 = try #require(duplicate.error(operation: "create veth pair ve0/ve1"))
        #expect(e1.errno == Errno(rawValue: EEXIST))
        #expect(e1.stage == "create veth pair ve0/ve1")
        #expect(e1.message == "create veth pair ve0/ve1: EEXIST (File exists)")

        let noDevice = try NetlinkErrorReply(
            decoding: NetlinkMessage.decode(datagram: NetlinkFixtures.noDeviceError[...])[0])
        let e2 = try #require(noDevice.error(operation: "get link #99"))
        #expect(e2.code == .notFound && e2.errno == Errno(rawValue: ENODEV))

        // EINVAL with NLMSGERR_ATTR_MSG.
        let mtuMessages = try NetlinkMessage.decode(datagram: NetlinkFixtures.mtuError[...])
        #expect(mtuMessages[0].header.flags == [.capped, .ackTLVs])
        let mtu = try NetlinkErrorReply(decoding: mtuMessages[0])
        #expect(mtu.errorNumber == EINVAL)
        #expect(mtu.kernelMessage == "mtu less than device minimum")
        #expect(mtu.attributeOffset == nil)
        let e3 = try #require(mtu.error(operation: "set mtu of #3 to 20"))
        #expect(e3.code == .invalidArgument)
        #expect(
            e3.message == "set mtu of #3 to 20: EINVAL (Invalid argument): kernel says \"mtu less than device minimum\""
        )
    }

    @Test func uncappedErrorSkipsTheEchoedRequest() throws {
        // Without NETLINK_CAP_ACK the kernel echoes the whole request before the TLVs; build
        // such a message by hand with all three extended-ack attributes.
        var request = try RouteRequest.setMTU("ve0", 20, "test")
        request.flags.formUnion([.request, .ack])
        let echoed = request.encoded(sequence: 9)
        var reply = NetlinkMessageBuilder(type: .error, flags: .ackTLVs)
        reply.append(Int32(-EINVAL))
        reply.append(bytes: echoed)
        reply.appendAttribute(NetlinkErrorAttribute.message, string: "bad mtu")
        reply.appendAttribute(NetlinkErrorAttribute.offset, uint32: 36)
        reply.appendAttribute(NetlinkErrorAttribute.missingType, uint32: 4)
        let bytes = reply.encoded(sequence: 9, portID: 77)
        let message = try NetlinkMessage.decode(datagram: bytes[...])[0]
        let status = try NetlinkErrorReply(decoding: message)
        #expect(status.errorNumber == EINVAL)
        #expect(status.request?.sequence == 9 && status.request?.length == UInt32(echoed.count))
        #expect(status.kernelMessage == "bad mtu")
        #expect(status.attributeOffset == 36)
        #expect(status.missingAttributeType == 4)
        #expect(
            status.error(operation: "x")?.message
                == "x: EINVAL (Invalid argument): kernel says \"bad mtu\" (missing attribute 4)")
    }

    // MARK: Encoding requests like iproute2

    /// The bytes `ip` sent for the same operations (strace -e write=3, in a fresh namespace where
    /// ve1 was index 2, ve0 index 3 and br0 index 4), which the kernel accepted.
    @Test func requestsMatchWhatIproute2Sends() throws {
        func encode(_ m: NetlinkMessageBuilder, sequence: UInt32 = 0x6b0d_eee3) -> String {
            var m = m
            m.flags.formUnion([.request, .ack])
            return NL.hex(m.encoded(sequence: sequence))
        }
        let ip = "ip link add ve0 type veth peer name ve1"
        #expect(
            encode(
                try RouteRequest.createVethPair("ve0", peer: "ve1", peerNamespace: nil, mtu: nil), sequence: 0x6b0d_eee2
            )
                == "5400000010000506e2ee0d6b000000000000000000000000000000000000000008000300766530002c001200080001007665"
                + "7468200002001c000100000000000000000000000000000000000800030076653100", "\(ip)")
        #expect(
            encode(try RouteRequest.createBridge("br0", mtu: nil))
                == "3800000010000506e3ee0d6b00000000000000000000000000000000000000000800030062723000100012000a0001006272"
                + "696467650000")
        #expect(
            encode(try RouteRequest.setUp(.index(3), true, "t"))
                == "2000000010000500e3ee0d6b0000000000000000030000000100000001000000")
        #expect(
            encode(try RouteRequest.setUp(.index(3), false, "t"))
                == "2000000010000500e3ee0d6b0000000000000000030000000000000001000000")
        #expect(
            encode(try RouteRequest.setMaster(.index(3), 4, "t"))
                == "2800000010000500e3ee0d6b000000000000000003000000000000000000000008000a0004000000")
        #expect(
            encode(try RouteRequest.setMaster(.index(3), 0, "t"))
                == "2800000010000500e3ee0d6b000000000000000003000000000000000000000008000a0000000000")
        #expect(
            encode(try RouteRequest.setMTU(.index(3), 1400, "t"))
                == "2800000010000500e3ee0d6b00000000000000000300000000000000000000000800040078050000")
        #expect(
            encode(
                try RouteRequest.setMACAddress(.index(3), MACAddress("02:00:00:00:00:01"), "t"), sequence: 0x6b0d_eee4)
                == "2c00000010000500e4ee0d6b00000000000000000300000000000000000000000a0001000200000000010000")
        #expect(
            encode(try RouteRequest.setIPv6AddressGenerationMode(.index(3), .none, "t"))
                == "3000000010000500e3ee0d6b00000000000000000300000000000000000000001000" + "1a000c000a000500080001000000",
            "ip link set dev ve0 addrgenmode none")
        #expect(
            encode(try RouteRequest.deleteLink(.index(3), "t"))
                == "2000000011000500e3ee0d6b0000000000000000030000000000000000000000")
        #expect(
            encode(RouteRequest.address(.newAddress, [.create, .exclusive], try IPPrefix("10.0.0.2/24"), index: 2))
                == "2800000014000506e3ee0d6b000000000218000002000000080002000a000002080001000a000002")
        #expect(
            encode(RouteRequest.address(.newAddress, [.create, .exclusive], try IPPrefix("fd00::2/64"), index: 2))
                == "4000000014000506e3ee0d6b000000000a4002000200000014000200fd0000000000000000000000000000021400"
                + "0100fd000000000000000000000000000002", "ip addr add fd00::2/64 dev ve1 nodad")
        #expect(
            encode(RouteRequest.address(.deleteAddress, [], try IPPrefix("10.0.0.2/24"), index: 2))
                == "2800000015000500e3ee0d6b000000000218000002000000080002000a000002080001000a000002")
        #expect(
            encode(
                RouteRequest.route(
                    .newRoute, [.create, .exclusive], to: .any(.v4), gateway: try IPAddress("10.0.0.1"),
                    outputIndex: nil, metric: nil, source: nil, table: RouteTable.main,
                    protocol: .boot, scope: .universe, type: .unicast))
                == "2400000018000506e3ee0d6b0000000002000000fe03000100000000080005000a000001")
        #expect(
            encode(
                RouteRequest.route(
                    .newRoute, [.create, .exclusive], to: try IPPrefix("10.1.0.0/16"),
                    gateway: try IPAddress("10.0.0.1"), outputIndex: 2, metric: 5, source: nil,
                    table: RouteTable.main, protocol: .boot, scope: .universe, type: .unicast))
                == "3c00000018000506e3ee0d6b0000000002100000fe03000100000000080001000a010000080005000a0000010800060005"
                + "0000000800040002000000")
        #expect(
            encode(
                RouteRequest.route(
                    .deleteRoute, [], to: .any(.v4), gateway: try IPAddress("10.0.0.1"),
                    outputIndex: nil, metric: nil, source: nil, table: RouteTable.main,
                    protocol: .unspecified, scope: .nowhere, type: .unspecified))
                == "2400000019000500e3ee0d6b0000000002000000fe00ff0000000000080005000a000001")
    }

    /// Link queries ask the kernel to leave statistics out (`IFLA_EXT_MASK`
    /// `RTEXT_FILTER_SKIP_STATS`): one link or all of them.
    @Test func linkQueriesSkipStatistics() throws {
        for request in [try RouteRequest.getLink(.name("eth0"), "t"), RouteRequest.dumpLinks()] {
            let bytes = request.encoded(sequence: 1)
            let attributes = try NetlinkMessage.decode(datagram: bytes[...])[0].attributes(after: RouteHeaderSize.link)
            #expect(try attributes[LinkAttribute.extendedMask]?.uint32() == 1 << 3)
        }
    }

    @Test func vethPeerInAnotherNamespaceIsNestedInsidePeerInfo() throws {
        let m = try RouteRequest.createVethPair("h0", peer: "eth0", peerNamespace: .pid(1234), mtu: 1400)
        let bytes = m.encoded(sequence: 1)
        let message = try NetlinkMessage.decode(datagram: bytes[...])[0]
        let top = try message.attributes(after: RouteHeaderSize.link)
        #expect(top[LinkAttribute.name]?.string() == "h0")
        #expect(try top[LinkAttribute.mtu]?.uint32() == 1400)
        #expect(top[LinkAttribute.namespacePID] == nil)  // only the peer moves
        let info = try #require(top[LinkAttribute.linkInfo]).nested()
        #expect(info[LinkAttribute.infoKind]?.string() == "veth")
        let data = try #require(info[LinkAttribute.infoData]).nested()
        let peer = try #require(data[LinkAttribute.vethPeer])
        // VETH_INFO_PEER: a 16-byte struct ifinfomsg, then the peer's attributes.
        let peerAttributes = try NetlinkAttributes(decoding: peer.payload.dropFirst(RouteHeaderSize.link))
        #expect(peerAttributes[LinkAttribute.name]?.string() == "eth0")
        #expect(try peerAttributes[LinkAttribute.mtu]?.uint32() == 1400)
        #expect(try peerAttributes[LinkAttribute.namespacePID]?.uint32() == 1234)
        // Up and on a bridge in the same request: IFF_UP in ifi_flags and ifi_change, IFLA_MASTER.
        let onBridge = try RouteRequest.createVethPair(
            "h0", peer: "eth0", peerNamespace: .pid(1234), mtu: nil, master: 4, up: true
        ).encoded(sequence: 1)
        let created = try NetlinkMessage.decode(datagram: onBridge[...])[0]
        let header = Array(created.payload.prefix(RouteHeaderSize.link))
        #expect(header[8..<16] == [1, 0, 0, 0, 1, 0, 0, 0], "ifi_flags and ifi_change: IFF_UP")
        #expect(try created.attributes(after: RouteHeaderSize.link)[LinkAttribute.master]?.uint32() == 4)
        let byFD = try RouteRequest.move(.index(5), to: .fd(7), newName: "eth1", "t").encoded(sequence: 1)
        let moved = try NetlinkMessage.decode(datagram: byFD[...])[0].attributes(after: RouteHeaderSize.link)
        #expect(moved[LinkAttribute.name]?.string() == "eth1")
        #expect(try moved[LinkAttribute.namespaceFD]?.uint32() == 7)
    }

    // MARK: Attributes

    @Test func attributesRoundTripWithPaddingAndNesting() throws {
        var m = NetlinkMessageBuilder(type: NetlinkMessageType(rawValue: 0x100), flags: .request)
        m.append(UInt32(0xdead_beef))  // a 4-byte family header
        m.appendAttribute(1, uint8: 0xab)
        m.appendAttribute(2, uint16: 0xbeef)
        m.appendAttribute(3, uint32: 0x0102_0304)
        m.appendAttribute(4, uint64: 0x0102_0304_0506_0708)
        m.appendAttribute(5, string: "eth0")
        m.appendAttribute(6, bytes: [1, 2, 3])
        m.appendAttribute(7, address: try IPAddress("10.1.2.3"))
        m.appendAttribute(8, address: try IPAddress("fd00::abcd"))
        m.appendAttribute(9, int32: -5)
        m.appendAttribute(10, uint16: UInt16(443).bigEndian)
        m.appendNestedAttribute(11, setNestedFlag: true) { n in
            n.appendAttribute(1, string: "inner")
            n.appendNestedAttribute(2) { $0.appendAttribute(3, uint32: 7) }
        }
        let bytes = m.encoded(sequence: 42, portID: 99)
        #expect(bytes.count % 4 == 0)
        #expect(bytes[...].netlinkLoad(UInt32.self, at: 0) == UInt32(bytes.count))
        // u8: a 5-byte attribute padded to 8, right after the 4-byte family header.
        #expect(Array(bytes[20..<28]) == [5, 0, 1, 0, 0xab, 0, 0, 0])
        let message = try NetlinkMessage.decode(datagram: bytes[...])[0]
        #expect(message.header.sequence == 42 && message.header.portID == 99 && message.header.flags == .request)
        let a = try message.attributes(after: 4)
        #expect(a.count == 11)
        #expect(try a[1]?.uint8() == 0xab)
        #expect(try a[2]?.uint16() == 0xbeef)
        #expect(try a[3]?.uint32() == 0x0102_0304)
        #expect(try a[4]?.uint64() == 0x0102_0304_0506_0708)
        #expect(a[5]?.string() == "eth0" && a[5]?.payload.count == 5)
        #expect(a[6]?.bytes == [1, 2, 3])
        #expect(try a[7]?.ipv4Address() == IPv4Address(10, 1, 2, 3))
        #expect(try a[8]?.ipv6Address().description == "fd00::abcd")
        #expect(try a[9]?.int32() == -5)
        #expect(try a[10]?.bigEndianUInt16() == 443)
        let nested = try #require(a[11])
        #expect(nested.hasNestedFlag && nested.type == 11 && !nested.isNetworkByteOrder)
        let inner = try nested.nested()
        #expect(inner[1]?.string() == "inner")
        #expect(try inner[2]?.nested()[3]?.uint32() == 7)
        // Typed getters check the size.
        #expect(throws: NSCoreError.self) { try a[3]?.uint16() }
        #expect(throws: NSCoreError.self) { try a[1]?.uint32() }
        #expect(throws: NSCoreError.self) { try a[7]?.ipv6Address() }
        #expect(throws: NSCoreError.self) { try a[6]?.macAddress() }
    }

    @Test func truncatedOrMisalignedInputIsAnErrorNotACrash() throws {
        func attributes(_ bytes: [UInt8]) -> (Int, String?) {
            let (list, error) = NetlinkAttributes.decodePartially(bytes[...])
            return (list.count, error?.message)
        }
        let good: [UInt8] = [8, 0, 1, 0, 1, 2, 3, 4]
        #expect(attributes(good).0 == 1 && attributes(good).1 == nil)
        // Length below the 4-byte header.
        #expect(attributes([3, 0, 1, 0]).1?.contains("less than its 4-byte header") == true)
        // Length beyond the buffer: truncated. The good attribute before it is kept.
        let truncated = attributes(good + [12, 0, 2, 0, 9, 9])
        #expect(truncated.0 == 1 && truncated.1?.contains("truncated") == true)
        // Two stray bytes after a complete attribute.
        #expect(attributes(good + [0, 0]).1?.contains("stray") == true)
        // A 5-byte attribute followed by one byte: its padding is cut short.
        #expect(attributes([5, 0, 1, 0, 7, 0]).1?.contains("misaligned") == true)
        // ...but a buffer may end right after the last payload (no padding at all).
        #expect(attributes([5, 0, 1, 0, 7]).1 == nil)
        #expect(throws: NSCoreError.self) { try NetlinkAttributes(decoding: [UInt8]([3, 0, 1, 0])) }
        do {
            _ = try NetlinkAttributes(decoding: [UInt8]([3, 0, 1, 0]))
        } catch {
            #expect(error.errno == Errno(rawValue: EBADMSG) && error.stage == "decode netlink message")
        }

        // Messages: too short, claims more than the datagram, stray bytes after.
        let ack = NetlinkFixtures.loopbackLinkAck
        #expect(throws: NSCoreError.self) { try NetlinkMessage.decode(datagram: ack[0..<10]) }
        #expect(throws: NSCoreError.self) { try NetlinkMessage.decode(datagram: ack[0..<30]) }
        var short = ack
        short[0] = 8
        #expect(throws: NSCoreError.self) { try NetlinkMessage.decode(datagram: short[...]) }
        let (messages, error) = NetlinkMessage.decodePartially(datagram: (ack + [1, 2, 3])[...])
        #expect(messages.count == 1 && error != nil)
        // A link message whose payload is shorter than struct ifinfomsg.
        var tiny = NetlinkMessageBuilder(type: .newLink, flags: [])
        tiny.append(UInt32(0))
        let tinyMessage = try NetlinkMessage.decode(datagram: tiny.encoded(sequence: 1)[...])[0]
        #expect(throws: NSCoreError.self) { try NetworkLink(decoding: tinyMessage) }
        #expect(throws: NSCoreError.self) { try NetlinkErrorReply(decoding: tinyMessage) }
    }

    // MARK: Addresses, prefixes, names

    @Test func ipAddressesParseAndPrintLikeInetPtonAndNtop() throws {
        let v6 = [
            "::", "::1", "fd00::2", "fe80::1:2:3:4", "2001:db8::", "2001:db8:0:0:1:0:0:1", "1:0:0:2:0:0:0:3",
            "::ffff:10.0.0.1", "::10.0.0.1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "FD00:0:0:0:0:0:0:0", "0:0:1::",
            "fe80::d4b3:4aff:fe66:4e67", "1::2:3:4:5:6:7",
        ]
        for text in v6 {
            var raw = [UInt8](repeating: 0, count: 16)
            #expect(inet_pton(AF_INET6, text, &raw) == 1, "\(text)")
            let a = try IPv6Address(text)
            #expect(a.bytes == raw, "\(text)")
            var out = [CChar](repeating: 0, count: 64)
            _ = inet_ntop(AF_INET6, raw, &out, 64)
            #expect(
                a.description == String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                "\(text)")
        }
        for bad in [
            "", ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::", "1:2:3:4:5:6:7", "fe80::1%eth0",
            "::1.2.3", "1.2.3.4::", "::ffff:1.2.3.256", " ::1",
        ] {
            var raw = [UInt8](repeating: 0, count: 16)
            #expect(inet_pton(AF_INET6, bad, &raw) != 1, "\(bad)")
            #expect(throws: NSCoreError.self, "\(bad)") { try IPv6Address(bad) }
        }
        #expect(try IPv4Address("10.0.0.2").rawValue == 0x0A00_0002)
        #expect(try IPv4Address("255.255.255.255").description == "255.255.255.255")
        for bad in ["", "10.0.0", "10.0.0.256", "10.0.0.02", "a.b.c.d", "1.2.3.4.5", "1..2.3", "+1.2.3.4", "1.2.3.4 "] {
            #expect(throws: NSCoreError.self, "\(bad)") { try IPv4Address(bad) }
        }
        #expect(try IPAddress("fd00::2").family == .v6)
        #expect(try IPAddress("10.0.0.2").family == .v4)
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(try IPv6Address("fe80::1").isLinkLocal)
        #expect(try !IPv6Address("fd00::1").isLinkLocal)
    }

    @Test func prefixesParseWithClearErrors() throws {
        let p = try IPPrefix("10.0.0.2/24")
        #expect(p.address == (try IPAddress("10.0.0.2")) && p.length == 24 && p.family == .v4)
        #expect(p.network.description == "10.0.0.0/24" && !p.isNetwork)
        #expect(p.broadcast == IPv4Address(10, 0, 0, 255))
        #expect(p.contains(try IPAddress("10.0.0.200")))
        #expect(!p.contains(try IPAddress("10.0.1.1")))
        #expect(!p.contains(try IPAddress("fd00::1")))
        let q = try IPPrefix("fd00::2/64")
        #expect(q.network.description == "fd00::/64" && q.broadcast == nil && q.description == "fd00::2/64")
        #expect(try IPPrefix("fd00:1:2:3:4:5:f006:7/100").network.description == "fd00:1:2:3:4:5:f000:0/100")
        #expect(try IPPrefix("fd00:1:2:3:4:5:6:7/60").network.description == "fd00:1:2::/60")
        #expect(try IPPrefix("0.0.0.0/0").isNetwork && IPPrefix.any(.v6).description == "::/0")

        func message(_ text: String) -> String {
            do {
                _ = try IPPrefix(text)
                return "accepted"
            } catch {
                #expect(error.code == .invalidArgument && error.stage == "parse IP prefix")
                return error.message
            }
        }
        #expect(message("10.0.0.2") == "'10.0.0.2' has no prefix length; write it as ADDRESS/LENGTH, e.g. 10.0.0.2/24")
        #expect(message("fd00::2") == "'fd00::2' has no prefix length; write it as ADDRESS/LENGTH, e.g. fd00::2/64")
        #expect(message("10.0.0.2/33") == "'10.0.0.2/33': the prefix length 33 is out of range for IPv4 (0...32)")
        #expect(message("fd00::2/129") == "'fd00::2/129': the prefix length 129 is out of range for IPv6 (0...128)")
        #expect(message("10.0.0.2/x") == "'10.0.0.2/x': the prefix length 'x' is not a number")
        #expect(message("10.0.0.2/-1") == "'10.0.0.2/-1': the prefix length '-1' is not a number")
        #expect(message("garbage/24") == "'garbage/24': 'garbage' is not an IPv4 or IPv6 address")
        #expect(message("10.0.0.2/24/1") == "'10.0.0.2/24/1': the prefix length '24/1' is not a number")
        #expect(message("").hasPrefix("an address with a prefix length is empty"))
        #expect(throws: NSCoreError.self) { try IPPrefix(address: .v4(.any), length: 33) }
    }

    @Test func macAddressesAndInterfaceNames() throws {
        let mac = try MACAddress("02:00:0A:00:00:2")
        #expect(mac.description == "02:00:0a:00:00:02" && mac.bytes == [2, 0, 10, 0, 0, 2])
        #expect(mac.isLocallyAdministered && !mac.isMulticast)
        #expect(try MACAddress("01:00:5e:00:00:01").isMulticast)
        for bad in [
            "", "02:00:00:00:00", "02:00:00:00:00:00:00", "02:00:00:00:00:0g", "020:00:00:00:00:00",
            "02-00-00-00-00-00",
            "+2:00:00:00:00:00",
        ] {
            #expect(throws: NSCoreError.self, "\(bad)") { try MACAddress(bad) }
        }
        func problem(_ name: String) -> String? {
            do {
                try InterfaceName.validate(name)
                return nil
            } catch {
                #expect(error.code == .invalidArgument)
                return error.message
            }
        }
        #expect(problem("eth0") == nil && problem("a") == nil && problem("veth-0123456789") == nil)  // 15 bytes
        #expect(
            problem("veth-01234567890")
                == "the interface name 'veth-01234567890' is 16 bytes long; Linux allows at most 15")
        #expect(problem("") == "the interface name is empty")
        #expect(problem("a/b") == "the interface name 'a/b' contains '/'")
        #expect(problem("a b") == "the interface name 'a b' contains whitespace")
        #expect(problem("a\tb") == "the interface name 'a\tb' contains whitespace")
        #expect(problem("eth0:1") == "the interface name 'eth0:1' contains ':'")
        #expect(problem(".") == "the interface name '.' is reserved" && problem("..") != nil)
        #expect(problem("eth%d") == "the interface name 'eth%d' contains '%', which the kernel takes as a name template")
        #expect(problem("é") == nil && problem("ééééééé") == nil && problem("éééééééé") != nil)  // bytes, not characters
        #expect(InterfaceName.maximumLength == 15)
    }
}
