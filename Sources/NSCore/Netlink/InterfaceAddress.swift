import CNSCoreShim

/// An address assigned to a link, as rtnetlink reports it in an `RTM_NEWADDR` message.
public struct InterfaceAddress: Sendable, Hashable {
    /// The index of the link that holds the address (`ifa_index`).
    public var interfaceIndex: Int32
    /// The address with its prefix length (`IFA_LOCAL` for IPv4, `IFA_ADDRESS` for IPv6, and
    /// `ifa_prefixlen`).
    public var prefix: IPPrefix
    /// The remote end of a point-to-point IPv4 address (`IFA_ADDRESS` when it differs from
    /// `IFA_LOCAL`); nil otherwise.
    public var peer: IPAddress?
    /// The IPv4 broadcast address (`IFA_BROADCAST`).
    public var broadcast: IPv4Address?
    /// The IPv4 label (`IFA_LABEL`), usually the link's name.
    public var label: String?
    /// The address flags (`IFA_FLAGS`, or `ifa_flags` from kernels without it).
    public var flags: AddressFlags
    /// The scope (`ifa_scope`): universe ("global"), link, host.
    public var scope: RouteScope
    /// Seconds the address remains valid (`IFA_CACHEINFO`); `UInt32.max` means forever.
    public var validLifetime: UInt32?
    /// Seconds the address remains preferred (`IFA_CACHEINFO`); `UInt32.max` means forever.
    public var preferredLifetime: UInt32?

    /// The address without its prefix length.
    public var address: IPAddress { prefix.address }
    /// The address family.
    public var family: IPAddress.Family { prefix.family }

    /// Decodes an `RTM_NEWADDR` message.
    /// - Throws: ``NSCoreError`` (`EBADMSG`) for a malformed message, an unknown family or an
    ///   address of the wrong size.
    public init(decoding message: NetlinkMessage) throws(NSCoreError) {
        let header = try message.fixedHeader(RouteHeaderSize.address)
        let attributes = try message.attributes(after: RouteHeaderSize.address)
        let familyNumber = header.netlinkLoad(UInt8.self, at: 0) ?? 0
        guard let family = IPAddress.Family(addressFamily: familyNumber) else {
            throw .malformedNetlink("address message of unknown family \(familyNumber)")
        }
        let prefixLength = Int(header.netlinkLoad(UInt8.self, at: 1) ?? 0)
        let headerFlags = header.netlinkLoad(UInt8.self, at: 2) ?? 0
        scope = RouteScope(rawValue: header.netlinkLoad(UInt8.self, at: 3) ?? 0)
        interfaceIndex = header.netlinkLoad(Int32.self, at: 4) ?? 0
        let local = try attributes[AddressAttribute.local]?.ipAddress(family)
        let address = try attributes[AddressAttribute.address]?.ipAddress(family)
        guard let own = local ?? address else {
            throw .malformedNetlink("address message for link \(interfaceIndex) has neither IFA_LOCAL nor IFA_ADDRESS")
        }
        do throws(NSCoreError) {
            prefix = try IPPrefix(address: own, length: prefixLength)
        } catch {
            throw .malformedNetlink("address \(own) has prefix length \(prefixLength)")
        }
        peer = local != nil && address != nil && address != local ? address : nil
        broadcast = try attributes[AddressAttribute.broadcast].map { (a) throws(NSCoreError) in try a.ipv4Address() }
        label = attributes[AddressAttribute.label]?.string()
        flags = AddressFlags(rawValue: try attributes[AddressAttribute.flags]?.uint32() ?? UInt32(headerFlags))
        if let info = attributes[AddressAttribute.cacheInfo] {
            // struct ifa_cacheinfo: ifa_prefered, ifa_valid, cstamp, tstamp (u32 each).
            guard info.payload.count == 16 else {
                throw .malformedNetlink("IFA_CACHEINFO has \(info.payload.count) bytes, expected 16")
            }
            preferredLifetime = info.payload.netlinkLoad(UInt32.self, at: 0)
            validLifetime = info.payload.netlinkLoad(UInt32.self, at: 4)
        }
    }
}

/// Address flags (`IFA_F_*`).
public struct AddressFlags: OptionSet, Sendable, Hashable {
    /// The bits of `IFA_FLAGS`.
    public var rawValue: UInt32
    /// Wraps flag bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `IFA_F_SECONDARY` (IPv4), also `IFA_F_TEMPORARY` (IPv6 privacy address).
    public static let secondary = AddressFlags(rawValue: nsc_shim_IFA_F_SECONDARY)
    /// `IFA_F_NODAD`: no duplicate address detection; an IPv6 address is usable at once.
    public static let noDAD = AddressFlags(rawValue: nsc_shim_IFA_F_NODAD)
    /// `IFA_F_OPTIMISTIC`: optimistic DAD.
    public static let optimistic = AddressFlags(rawValue: nsc_shim_IFA_F_OPTIMISTIC)
    /// `IFA_F_DADFAILED`: duplicate address detection failed.
    public static let dadFailed = AddressFlags(rawValue: nsc_shim_IFA_F_DADFAILED)
    /// `IFA_F_HOMEADDRESS`: a Mobile IPv6 home address.
    public static let homeAddress = AddressFlags(rawValue: nsc_shim_IFA_F_HOMEADDRESS)
    /// `IFA_F_DEPRECATED`: no longer preferred.
    public static let deprecated = AddressFlags(rawValue: nsc_shim_IFA_F_DEPRECATED)
    /// `IFA_F_TENTATIVE`: duplicate address detection has not finished; not usable yet.
    public static let tentative = AddressFlags(rawValue: nsc_shim_IFA_F_TENTATIVE)
    /// `IFA_F_PERMANENT`: configured, not autoconfigured.
    public static let permanent = AddressFlags(rawValue: nsc_shim_IFA_F_PERMANENT)
    /// `IFA_F_NOPREFIXROUTE`: no prefix route was added for it.
    public static let noPrefixRoute = AddressFlags(rawValue: nsc_shim_IFA_F_NOPREFIXROUTE)
}
