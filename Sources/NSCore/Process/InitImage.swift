import CNSCoreShim
import Glibc
import Synchronization

/// The embedded `nscore-init` program, copied once per process into a sealed memfd.
///
/// Containers exec it with `execveat(memfd, "", AT_EMPTY_PATH)`: `/proc/1/exe` inside the
/// container then points at an anonymous, write-sealed file, never at a host binary that a
/// process in the container could open for writing (the runc CVE-2019-5736 class).
enum InitImage {
    private static let cached = Mutex<Int32>(-1)

    /// The memfd holding the sealed image (CLOEXEC, owned by the library for the process's life).
    /// - Throws: ``NSCoreError`` (unsupported) if this build has no embedded image.
    static func fd() throws(NSCoreError) -> Int32 {
        let result: Result<Int32, NSCoreError> = cached.withLock { fd in
            if fd >= 0 { return .success(fd) }
            var size = 0
            guard let image = nsc_shim_init_image(&size), size > 0 else {
                return .failure(NSCoreError(.unsupported, stage: "nscore-init",
                                            message: "nscore-init: this build of NSCore has no embedded init program (build with `make`)"))
            }
            let m = nsc_shim_memfd_create("nscore-init")
            if m < 0 { return .failure(.sys(.current, "memfd_create(nscore-init)")) }
            if case .failure(let e) = sys_writeAll(m, UnsafeRawBufferPointer(start: image, count: size)) {
                sys_close(m)
                return .failure(.sys(e, "write nscore-init image"))
            }
            if nsc_shim_seal_all(m) != 0 {
                let e = Errno.current
                sys_close(m)
                return .failure(.sys(e, "seal nscore-init memfd"))
            }
            fd = m
            return .success(m)
        }
        return try result.get()
    }
}
