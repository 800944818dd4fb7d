// Version+ABI.swift - the runtime version of the loaded library (nscore.h "Versions").
// Keep these in step with NSCORE_VERSION_* and NSCORE_ABI_VERSION in include/nscore.h.
import NSCore

private enum Version {
    static let major: UInt32 = 0
    static let minor: UInt32 = 1
    static let patch: UInt32 = 0
    static let abi: Int32 = 0
}

/// MAJOR * 10000 + MINOR * 100 + PATCH of the loaded library (100 for 0.1.0).
#if compiler(>=6.3)
@c
#else
@_cdecl("nscore_version_number")
#endif
public func nscore_version_number() -> UInt32 {
    Version.major * 10000 + Version.minor * 100 + Version.patch
}

/// "MAJOR.MINOR.PATCH", static storage.
#if compiler(>=6.3)
@c
#else
@_cdecl("nscore_version_string")
#endif
public func nscore_version_string() -> UnsafePointer<CChar>? {
    staticCString("0.1.0")
}

/// The ABI version (the soname's number).
#if compiler(>=6.3)
@c
#else
@_cdecl("nscore_abi_version")
#endif
public func nscore_abi_version() -> Int32 {
    Version.abi
}
