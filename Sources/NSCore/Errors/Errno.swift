import CNSCoreShim
import Glibc

/// A POSIX error number returned by a system call.
///
/// `description` prints the symbolic name and the C library's text, e.g. `"EPERM (Operation not
/// permitted)"`, so error messages say both what a programmer greps for and what a user reads.
public struct Errno: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Error {
    /// The errno number.
    public var rawValue: Int32
    /// Wraps an errno number.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    static var current: Errno { Errno(rawValue: Glibc.errno) }

    /// The symbolic name, e.g. `"ENOENT"`, or `"errno N"` for numbers without one.
    public var name: String {
        if let p = nsc_shim_errno_name(rawValue) { return String(cString: p) }
        return "errno \(rawValue)"
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: 128)
        let text = buffer.withUnsafeMutableBufferPointer { b in
            String(cString: nsc_shim_strerror(rawValue, b.baseAddress!, b.count))
        }
        return "\(name) (\(text))"
    }
}
