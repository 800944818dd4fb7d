/// The version of NSCore. `include/nscore.h` repeats these as `NSCORE_VERSION_*`;
/// `tests-c` checks that the header and the library agree.
public enum NSCoreVersion {
    public static let major = 0
    public static let minor = 1
    public static let patch = 0
    /// The C ABI version: the soname is `libnscore.so.<abi>`.
    public static let abi = 0
    /// `"MAJOR.MINOR.PATCH"`.
    public static let string = "\(major).\(minor).\(patch)"
    /// `MAJOR * 10000 + MINOR * 100 + PATCH`, as `NSCORE_VERSION_NUMBER`.
    public static let number = major * 10000 + minor * 100 + patch
}
