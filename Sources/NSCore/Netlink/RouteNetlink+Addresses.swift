import Glibc

extension RouteNetlink {
    /// Adds an address with its prefix length to a link (`RTM_NEWADDR` with `NLM_F_CREATE |
    /// NLM_F_EXCL`), as `ip address add` does.
    ///
    /// IPv4 sends the address as both `IFA_LOCAL` and `IFA_ADDRESS`; an address in 127.0.0.0/8
    /// gets host scope, any other universe scope. IPv6 addresses are added with `IFA_F_NODAD`,
    /// so they are usable at once instead of "tentative" for the second or so that duplicate
    /// address detection takes. The kernel adds the prefix route of the network when the link is up.
    /// - Parameters:
    ///   - prefix: the address and prefix length, e.g. `IPPrefix("10.0.0.2/24")`.
    ///   - link: the link that gets it.
    ///   - broadcast: an IPv4 broadcast address (`IFA_BROADCAST`), e.g. `prefix.broadcast`; none
    ///     by default, as with `ip address add` without `brd`.
    /// - Throws: ``NSCoreError``: `EEXIST` when the link already has the address,
    ///   ``NSCoreError/Code/notFound`` when there is no such link, invalid argument for a
    ///   broadcast address with an IPv6 prefix.
    public func addAddress(_ prefix: IPPrefix, to link: LinkSelector, broadcast: IPv4Address? = nil) throws(NSCoreError)
    {
        let operation = "add address \(prefix) to \(link)"
        if broadcast != nil && prefix.family == .v6 {
            throw .invalid(operation, "\(operation): IPv6 has no broadcast address")
        }
        let index = try self.index(of: link, operation)
        let request = RouteRequest.address(
            .newAddress, [.create, .exclusive], prefix, index: index, broadcast: broadcast)
        try socket.request(request, operation: operation)
    }

    /// Removes an address from a link (`RTM_DELADDR`). The prefix length must match the one it
    /// was added with.
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``: `EADDRNOTAVAIL`) when the link
    ///   has no such address, or `ENODEV` when there is no such link.
    public func removeAddress(_ prefix: IPPrefix, from link: LinkSelector) throws(NSCoreError) {
        let operation = "remove address \(prefix) from \(link)"
        let index = try self.index(of: link, operation)
        try socket.request(RouteRequest.address(.deleteAddress, [], prefix, index: index), operation: operation)
    }

    /// The addresses of the namespace (`RTM_GETADDR` dump), or only those of one link or one
    /// family. IPv6 link-local addresses (`fe80::/64`) appear once a link is up.
    /// - Parameters:
    ///   - link: only this link's addresses; nil for every link.
    ///   - family: only this family; nil for both.
    /// - Throws: ``NSCoreError`` (``NSCoreError/Code/notFound``) when `link` does not exist.
    public func addresses(of link: LinkSelector? = nil, family: IPAddress.Family? = nil) throws(NSCoreError)
        -> [InterfaceAddress]
    {
        let operation = link.map { "list addresses of \($0)" } ?? "list addresses"
        let index = try link.map { (l) throws(NSCoreError) in try self.index(of: l, operation) } ?? 0
        // With NETLINK_GET_STRICT_CHK the kernel filters by ifa_index; the filter below also
        // covers kernels without it.
        let request = RouteRequest.dumpAddresses(family: family, index: index)
        var addresses: [InterfaceAddress] = []
        for m in try socket.dump(request, operation: operation) where m.header.type == .newAddress {
            let address = try InterfaceAddress(decoding: m)
            if index != 0 && address.interfaceIndex != index { continue }
            if let family, address.family != family { continue }
            addresses.append(address)
        }
        return addresses
    }
}
