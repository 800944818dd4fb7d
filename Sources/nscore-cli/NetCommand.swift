import Glibc
import NSCore

/// `nscore net [PID]`: the interfaces, addresses and routes of a process's network namespace,
/// read through rtnetlink (like `ip -br addr` followed by `ip route`).
enum NetCommand {
    static let help = """
        Usage: nscore net [options] [PID]

        Show the network namespace of process PID (default: nscore itself), read through
        rtnetlink from inside it: a table of its interfaces (like ip -br addr) with the
        kind, operational state, MTU, MAC address, master (the bridge a port is on), veth
        peer (its interface index in the peer's namespace) and addresses of each; then the
        routes of its main table, one a line, like ip route:
          DESTINATION [via GATEWAY] [dev INTERFACE] [metric N]
        where DESTINATION is "default" for a default route (IPv4 or IPv6).
        Root (or the owner of the namespace) is needed to enter another process's namespace.

        Options:
          -J, --json    print JSON: {"pid":N,"interfaces":[{"index","name","kind","up","state",
                        "mac","mtu","master","veth_peer","addresses"},...],"routes":[{
                        "destination","gateway","interface","metric","default"},...]}
          -h, --help    show this help

        """

    static func main(_ arguments: CommandArguments) throws(CLIError) -> Int32 {
        guard let request = try PIDViewArguments.parse("net", arguments, help: help) else { return 0 }
        let target = request.pid ?? getpid()
        let network: NetworkInspection
        do {
            network = try Inspect.network(of: target)
        } catch {
            throw .failed(error, exitCode: ExitCode.failure)
        }
        if request.json {
            Output.out(Inspect.json(network, pid: target) + "\n")
            return 0
        }
        Output.out(render(network))
        return 0
    }

    /// The interface table, then (after a blank line, when there are any) the routes.
    static func render(_ network: NetworkInspection) -> String {
        // Masters and route devices are named by index; a name not in this namespace (which
        // should not happen for either) falls back to `ip`'s `if<N>` spelling.
        var names: [Int32: String] = [:]
        for i in network.interfaces { names[i.index] = i.name }
        func name(_ index: Int32) -> String { names[index] ?? "if\(index)" }

        var table = Table([("INTERFACE", .left), ("KIND", .left), ("STATE", .left), ("MTU", .right),
                           ("MAC", .left), ("MASTER", .left), ("PEER", .left), ("ADDRESSES", .left)])
        for i in network.interfaces {
            let link = i.link
            // The operational state, except for a link that is administratively down: its
            // operstate is DOWN too, but say so even when the driver reports UNKNOWN.
            let state = link.isUp ? link.operationalState.description : "DOWN"
            table.append([
                i.name,
                link.kind ?? "-",
                state,
                String(link.mtu),
                link.macAddress?.description ?? "-",
                link.masterIndex.map(name) ?? "-",
                link.vethPeerIndex.map { "if\($0)" } ?? "-",
                i.addresses.isEmpty ? "-" : i.addresses.map(\.description).joined(separator: " "),
            ])
        }
        var out = table.render()
        if network.routes.isEmpty { return out }
        out += "\n"
        for r in network.routes {
            var line = r.isDefault ? "default" : r.destination.description
            if let g = r.gateway { line += " via \(g)" }
            if let o = r.outputInterface { line += " dev \(name(o))" }
            if let m = r.metric { line += " metric \(m)" }
            out += line + "\n"
        }
        return out
    }
}
