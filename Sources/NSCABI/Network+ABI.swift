// Network+ABI.swift - nscore_spawn_config_set_network and the veth settings (nscore.h "Network").
//
// The handle keeps the mode and a `Veth` value apart from the SpawnConfiguration, so that the
// veth settings survive a switch to NSCORE_NETWORK_NONE and back, and can be given in any order
// (before or after the mode). Every setter then writes `configuration.network` from the two.
//
// Text (CIDR, IP, MAC) is parsed here with the engine's own parsers, so a typo fails at the
// setter with the parser's message; the rest (interface names, the gateway's subnet, the MTU
// range, whether the bridge exists) is checked by the engine at nscore_spawn.
import Glibc
import NSCore

/// Runs a network setter on a configuration handle, then maps mode + veth onto the configuration.
private func withNetwork(_ cfg: OpaquePointer?, _ function: String, _ err: UnsafeMutablePointer<OpaquePointer?>?,
                         _ body: (SpawnConfigHandle) throws(NSCoreError) -> Void) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        let h = try ABI.handle(cfg, SpawnConfigHandle.self, function, "cfg")
        try body(h)
        if let path = h.networkNamespace {
            h.configuration.network = .namespace(path)
        } else {
            h.configuration.network = h.networkMode == 1 ? .veth(h.veth) : .none
        }
    }
}

/// Runs a parser, turning its error into NSCORE_EINVAL that names the function and argument
/// and keeps the parser's message ("'10.0.0.2' has no prefix length; ...").
private func parse<T>(_ function: String, _ argument: String,
                      _ parser: () throws(NSCoreError) -> T) throws(NSCoreError) -> T {
    do {
        return try parser()
    } catch {
        throw ABI.invalid(argument, "\(function): \(argument) \(error.message)")
    }
}

/// NSCORE_NETWORK_NONE (0) or NSCORE_NETWORK_VETH (1).
@c
public func nscore_spawn_config_set_network(_ cfg: OpaquePointer?, _ mode: Int32,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_network"
    return withNetwork(cfg, f, err) { h throws(NSCoreError) in
        guard mode == 0 || mode == 1 else {
            throw ABI.invalid("mode", "\(f): mode must be NSCORE_NETWORK_NONE (0) or NSCORE_NETWORK_VETH (1), "
                              + "not \(mode)")
        }
        h.networkMode = mode
    }
}

/// The inside interface (NULL: "eth0") and the host end (NULL: generated); names checked at spawn.
@c
public func nscore_spawn_config_set_veth_interface(_ cfg: OpaquePointer?, _ inside: UnsafePointer<CChar>?,
                                                   _ host: UnsafePointer<CChar>?,
                                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_veth_interface"
    return withNetwork(cfg, f, err) { h throws(NSCoreError) in
        let i = try ABI.optionalString(inside, f, "inside") ?? "eth0"
        let o = try ABI.optionalString(host, f, "host")
        h.veth.interface = i
        h.veth.hostInterface = o
    }
}

/// The bridge for the host end (NULL name: none), its address (NULL: none), and whether to create it.
@c
public func nscore_spawn_config_set_bridge(_ cfg: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                           _ addressCIDR: UnsafePointer<CChar>?, _ create: Int32,
                                           _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_bridge"
    return withNetwork(cfg, f, err) { h throws(NSCoreError) in
        let make = try ABI.flag(create, f, "create")
        let address = try ABI.optionalString(addressCIDR, f, "address_cidr").map { a throws(NSCoreError) in
            try parse(f, "address_cidr") { () throws(NSCoreError) in try IPPrefix(a) }
        }
        guard let n = try ABI.optionalString(name, f, "name") else {
            if address != nil { throw ABI.invalid("address_cidr", "\(f): address_cidr is given without a bridge name") }
            h.veth.bridge = nil
            return
        }
        h.veth.bridge = Bridge(n, address: address, create: make)
    }
}

/// Appends an address with its prefix length ("10.0.0.2/24", "fd00::2/64").
@c
public func nscore_spawn_config_add_address(_ cfg: OpaquePointer?, _ cidr: UnsafePointer<CChar>?,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_add_address"
    return withNetwork(cfg, f, err) { h throws(NSCoreError) in
        let text = try ABI.string(cidr, f, "cidr")
        h.veth.addresses.append(try parse(f, "cidr") { () throws(NSCoreError) in try IPPrefix(text) })
    }
}

/// Drops every address added with nscore_spawn_config_add_address.
@c
public func nscore_spawn_config_clear_addresses(_ cfg: OpaquePointer?,
                                                _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withNetwork(cfg, "nscore_spawn_config_clear_addresses", err) { h throws(NSCoreError) in
        h.veth.addresses = []
    }
}

/// The default route's gateway (NULL: none); its subnet is checked at spawn.
@c
public func nscore_spawn_config_set_gateway(_ cfg: OpaquePointer?, _ address: UnsafePointer<CChar>?,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_gateway"
    return withNetwork(cfg, f, err) { h throws(NSCoreError) in
        h.veth.gateway = try ABI.optionalString(address, f, "address").map { a throws(NSCoreError) in
            try parse(f, "address") { () throws(NSCoreError) in try IPAddress(a) }
        }
    }
}

/// The MTU of both ends (0: the kernel's default); the range is checked at spawn.
@c
public func nscore_spawn_config_set_mtu(_ cfg: OpaquePointer?, _ mtu: UInt32,
                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    withNetwork(cfg, "nscore_spawn_config_set_mtu", err) { h throws(NSCoreError) in
        h.veth.mtu = mtu == 0 ? nil : mtu
    }
}

/// The inside interface's MAC address (NULL: the kernel's).
@c
public func nscore_spawn_config_set_mac(_ cfg: OpaquePointer?, _ mac: UnsafePointer<CChar>?,
                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_mac"
    return withNetwork(cfg, f, err) { h throws(NSCoreError) in
        h.veth.mac = try ABI.optionalString(mac, f, "mac").map { m throws(NSCoreError) in
            try parse(f, "mac") { () throws(NSCoreError) in try MACAddress(m) }
        }
    }
}

/// Joins the network namespace at `path` (NULL: back to the mode).
@c
public func nscore_spawn_config_set_network_namespace(_ cfg: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                                                      _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_spawn_config_set_network_namespace"
    return withNetwork(cfg, f, err) { h throws(NSCoreError) in
        let p = try ABI.optionalString(path, f, "path")
        if p?.isEmpty == true { throw ABI.invalid("path", "\(f): path is empty") }
        h.networkNamespace = p
    }
}

/// Deletes the bridge `name` from the calling thread's network namespace.
@c
public func nscore_bridge_remove(_ name: UnsafePointer<CChar>?, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        try Bridge.remove(try ABI.string(name, "nscore_bridge_remove", "name"))
    }
}
