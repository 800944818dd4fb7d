// Errors+ABI.swift - nscore_error_* accessors and nscore_string_free (nscore.h "Errors").
import Glibc
import NSCore

/// The NSCORE_E* code of `err`; NSCORE_EINVAL for NULL.
@c
public func nscore_error_code(_ err: OpaquePointer?) -> Int32 {
    guard let err else { return ABI.returnCode(.invalidArgument) }
    return ABI.borrow(err, as: ErrorHandle.self).code
}

/// The kernel's errno behind `err`, 0 if none or for NULL.
@c
public func nscore_error_sys_errno(_ err: OpaquePointer?) -> Int32 {
    guard let err else { return 0 }
    return ABI.borrow(err, as: ErrorHandle.self).sysErrno
}

/// The failing stage, owned by `err`; "" (static) for NULL.
@c
public func nscore_error_stage(_ err: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let err, let s = ABI.borrow(err, as: ErrorHandle.self).stage else { return staticCString("") }
    return UnsafePointer(s)
}

/// The message, owned by `err`; "" (static) for NULL.
@c
public func nscore_error_message(_ err: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let err, let s = ABI.borrow(err, as: ErrorHandle.self).message else { return staticCString("") }
    return UnsafePointer(s)
}

/// Frees an error object; NULL is allowed.
@c
public func nscore_error_free(_ err: OpaquePointer?) {
    guard let err else { return }
    ABI.release(err, as: ErrorHandle.self)
}

/// Frees a string the library returned (they are malloc'd); NULL is allowed.
@c
public func nscore_string_free(_ s: UnsafeMutablePointer<CChar>?) {
    free(s)
}

/// 1 when the command itself could not be started (not found, not executable, its execve
/// failed), else 0; 0 for NULL.
@c
public func nscore_error_is_command_failure(_ err: OpaquePointer?) -> Int32 {
    guard let err else { return 0 }
    return ABI.borrow(err, as: ErrorHandle.self).isCommandFailure ? 1 : 0
}
