import Glibc

/// A file descriptor this process owns. It is closed exactly once: by ``close()`` or when the
/// value goes out of scope. Non-copyable, so ownership is explicit at every hand-off.
public struct OwnedFD: ~Copyable, Sendable {
    /// The raw descriptor number, valid while this value is alive.
    public let rawValue: Int32

    /// Takes ownership of `rawValue`.
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// Gives up ownership and returns the raw number without closing it.
    public consuming func release() -> Int32 {
        let fd = rawValue
        discard self
        return fd
    }

    /// Closes the descriptor now.
    public consuming func close() {
        sys_close(rawValue)
        discard self
    }

    deinit { if rawValue >= 0 { sys_close(rawValue) } }
}
