import Glibc
import Testing

@testable import NSCore

/// Regenerates NetlinkFixtures: prints the raw kernel replies it stores, with `ip`'s view of the
/// same namespace to check them against. Off unless NSCORE_NETLINK_CAPTURE is set:
/// `NSCORE_NETLINK_CAPTURE=1 swift test --filter NetlinkCapture | grep CAPTURE`.
@Suite(.serialized, .enabled(if: getenv("NSCORE_NETLINK_CAPTURE") != nil))
struct NetlinkCaptureTests {
    @Test func printKernelReplies() throws {
        try NL.withNamespaces(1) { ns in
            let nl = try ns[0].netlink()
            func show(_ name: String, _ request: NetlinkMessageBuilder) throws {
                var r = request
                r.flags.formUnion(r.flags.contains(.dump) ? [.request] : [.request, .ack])
                for d in try NL.rawExchange(nl.socket, r) { print("CAPTURE \(name) \(NL.hex(d))") }
            }
            func dump(_ request: NetlinkMessageBuilder) -> NetlinkMessageBuilder {
                var r = request
                r.flags.formUnion(.dump)
                return r
            }
            try show("loopbackLink", try RouteRequest.getLink(.index(1), "capture"))
            try show("loopbackAddresses", dump(RouteRequest.dumpAddresses(family: nil, index: 0)))
            try nl.createVethPair("ve0", peer: "ve1")
            defer { _ = try? nl.deleteLink("ve0") }
            try show("vethLink", try RouteRequest.getLink("ve0", "capture"))
            var duplicate = RouteRequest.linkMessage(.newLink, [.create, .exclusive])
            duplicate.appendAttribute(LinkAttribute.name, string: "ve1")
            duplicate.appendNestedAttribute(LinkAttribute.linkInfo) { RouteRequest.appendKind("veth", to: &$0) }
            try show("duplicateVethError", duplicate)
            try show("noDeviceError", RouteRequest.linkMessage(.getLink, [], index: 99))
            try show("mtuError", try RouteRequest.setMTU(.index(3), 20, "capture"))
            try nl.setUp("ve0")
            try nl.setUp("ve1")
            try nl.addAddress(IPPrefix("10.0.0.2/24"), to: "ve0")
            try nl.addAddress(IPPrefix("fd00::2/64"), to: "ve0")
            try nl.addDefaultRoute(via: IPAddress("10.0.0.1"))
            try nl.addDefaultRoute(via: IPAddress("fd00::1"))
            try show("vethAddresses", dump(RouteRequest.dumpAddresses(family: nil, index: 3)))
            try show("ipv4Routes", dump(RouteRequest.dumpRoutes(family: .v4, table: RouteTable.main)))
            try show("ipv6Routes", dump(RouteRequest.dumpRoutes(family: .v6, table: RouteTable.main)))
            print("CAPTURE ip-link", try ns[0].ip(["-d", "-j", "link", "show"]))
            print("CAPTURE ip-addr", try ns[0].ip(["-j", "addr", "show"]))
        }
    }
}
