import Glibc
import NSCore

/// `nscore run`'s network options (`--network veth`, `--bridge`, `--ip`, ...), turned into
/// ``SpawnConfiguration/network`` (their help is in RunCommand.help, a literal: an
/// interpolated one would be built at every start).
///
/// Text is parsed here, so that a bad address is a usage error (exit 2) naming the option;
/// what only the engine can judge (a gateway outside every subnet, a missing bridge, a name too
/// long) fails at spawn with its own message (exit 125).
struct NetworkOptions {
    static func add(to t: inout OptionTable) {
        t.add(OptionSpec("network", value: .required))
        t.add(OptionSpec("bridge", value: .required))
        t.add(OptionSpec("ip", value: .required))
        t.add(OptionSpec("gateway", value: .required))
        t.add(OptionSpec("mtu", value: .required))
        t.add(OptionSpec("mac", value: .required))
        t.add(OptionSpec("interface", value: .required))
        t.add(OptionSpec("host-interface", value: .required))
    }

    /// What `--network` said: nil when it was not given.
    private var mode: Mode?
    /// The veth settings, once any veth option was given (nil otherwise, so that a plain
    /// `nscore run` makes no array).
    private var veth: Veth?
    /// How the first veth option was spelled, for the `--network none` conflict message.
    private var firstVethOption: String?

    private enum Mode { case none, veth }
    /// `--network ns:PATH` or `container:PID`.
    private var join: NetworkConfiguration? = nil

    /// Applies `option`; false when it is not one of these.
    mutating func apply(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> Bool {
        if option.name == "network" {
            let value = try parser.nonEmpty(option)
            if value.hasPrefix("ns:") && value.count > 3 {
                join = .namespace(String(value.dropFirst(3)))
                return true
            }
            if value.hasPrefix("container:"), let pid = pid_t(value.dropFirst(10)), pid > 0 {
                join = .container(pid)
                return true
            }
            switch value {
            case "none": mode = Mode.none
            case "veth": mode = .veth
            default:
                throw parser.usage("invalid network '\(value)' for '\(option.spelling)' (expected none, veth, "
                                   + "ns:PATH or container:PID)")
            }
            return true
        }
        switch option.name {
        case "bridge", "ip", "gateway", "mtu", "mac", "interface", "host-interface": break
        default: return false  // before any Veth value exists: a plain `nscore run` makes none
        }
        var v = veth ?? Veth()
        switch option.name {
        case "bridge":
            let text = try parser.nonEmpty(option)
            // NAME[:CIDR]; an interface name has no ':', an IPv6 CIDR has several.
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard !parts[0].isEmpty else {
                throw parser.usage("invalid bridge '\(text)' for '\(option.spelling)': expected NAME[:CIDR]")
            }
            var bridge = Bridge(String(parts[0]))
            if parts.count == 2 {
                bridge.address = try Self.parse(option, parser) { () throws(NSCoreError) in try IPPrefix(String(parts[1])) }
            }
            v.bridge = bridge
        case "ip":
            let text = option.value ?? ""
            v.addresses.append(try Self.parse(option, parser) { () throws(NSCoreError) in try IPPrefix(text) })
        case "gateway":
            let text = option.value ?? ""
            v.gateway = try Self.parse(option, parser) { () throws(NSCoreError) in try IPAddress(text) }
        case "mtu":
            let text = option.value ?? ""
            // Decimal digits only: UInt32() alone would take "+1400".
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let mtu = UInt32(text)
            else {
                throw parser.usage("invalid MTU '\(text)' for '\(option.spelling)': expected a number of bytes")
            }
            v.mtu = mtu
        case "mac":
            let text = option.value ?? ""
            v.mac = try Self.parse(option, parser) { () throws(NSCoreError) in try MACAddress(text) }
        case "interface": v.interface = try parser.nonEmpty(option)
        case "host-interface": v.hostInterface = try parser.nonEmpty(option)
        default: return false
        }
        veth = v
        if firstVethOption == nil { firstVethOption = option.spelling }
        return true
    }

    /// Sets `config.network`, and adds the network namespace to `namespaces` when there is a veth.
    /// - Throws: a usage error for `--network none` with a veth option.
    func configure(_ config: inout SpawnConfiguration, namespaces: inout NamespaceSet,
                   _ parser: ArgumentParser) throws(CLIError) {
        if let join {
            if let firstVethOption {
                throw parser.usage("'\(firstVethOption)' needs a veth network, but '--network' names one to join")
            }
            config.network = join
            return
        }
        if mode == Mode.none {
            if let firstVethOption {
                throw parser.usage("'\(firstVethOption)' needs a veth network, but '--network none' was given")
            }
            return
        }
        guard mode == .veth || veth != nil else { return }
        config.network = .veth(veth ?? Veth())
        namespaces.insert(.network)
    }

    /// The value `body` parses, or a usage error that names the option and quotes the parser.
    private static func parse<T>(_ option: ParsedOption, _ parser: ArgumentParser,
                                 _ body: () throws(NSCoreError) -> T) throws(CLIError) -> T {
        do {
            return try body()
        } catch {
            throw parser.usage("invalid value for '\(option.spelling)': \(error.message)")
        }
    }
}
