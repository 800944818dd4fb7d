// Version+ABI.swift - the runtime version of the loaded library (nscore.h "Versions").
// The numbers come from NSCoreVersion; include/nscore.h repeats them as NSCORE_VERSION_*.
import Glibc
import NSCore

/// NSCoreVersion.string as a C string, made once and kept for the life of the process.
nonisolated(unsafe) private let versionCString: UnsafeMutablePointer<CChar> = strdup(NSCoreVersion.string)!

/// MAJOR * 10000 + MINOR * 100 + PATCH of the loaded library (100 for 0.1.0).
@c
public func nscore_version_number() -> UInt32 {
    UInt32(NSCoreVersion.number)
}

/// "MAJOR.MINOR.PATCH", static storage.
@c
public func nscore_version_string() -> UnsafePointer<CChar>? {
    UnsafePointer(versionCString)
}

/// The ABI version (the soname's number).
@c
public func nscore_abi_version() -> Int32 {
    Int32(NSCoreVersion.abi)
}
