import CNSCoreShim
import Glibc

/// Resolving a command name to an executable path in the parent, as `execvp` would, so that the
/// child runs `execve` on an absolute path and a missing command is reported by `spawn`.
///
/// Works on C strings in the plan's arena: resolving makes no Swift `String` unless it fails.
enum Command {
    static let defaultPath: StaticString = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The absolute path to execute for `name`, as a C string owned by `plan`.
    /// - Parameters:
    ///   - name: a command name (searched in `PATH`) or a path containing `/`.
    ///   - environment: the child's environment; its `PATH` is searched, else the caller's.
    /// - Throws: ``NSCoreError`` (not found / permission denied) naming the command.
    static func resolve(_ name: UnsafePointer<CChar>, environment: CStringList?,
                        plan: SpawnPlan) throws(NSCoreError) -> UnsafePointer<CChar> {
        if name[0] == 0 { throw .invalid("resolve command", "command name is empty") }
        let nameLength = strlen(name)
        if strchr(name, Int32(UInt8(ascii: "/"))) != nil {
            let path = name[0] == slash ? UnsafePointer(plan.cString(bytes: name, count: nameLength))
                                        : try absolute(name, plan: plan)
            try checkExecutable(path, shown: name)
            return path
        }
        let search: UnsafePointer<CChar>
        if let env = environment {
            search = env.value(of: "PATH=") ?? UnsafePointer(plan.cString(defaultPath))
        } else {
            search = getenv("PATH").map { UnsafePointer($0) } ?? UnsafePointer(plan.cString(defaultPath))
        }
        // An empty entry means the current directory.
        var denied = false
        if let found = firstCandidate(name, in: search, plan: plan, emptyEntry: ".", { candidate in
            if isExecutableFile(candidate) { return true }
            if sys_access(candidate, F_OK) { denied = true }
            return false
        }) {
            return found[0] == slash ? UnsafePointer(found) : try absolute(found, plan: plan)
        }
        let shown = String(cString: name)
        if denied {
            throw NSCoreError(.permissionDenied, errno: Errno(rawValue: EACCES), stage: "resolve command",
                              message: "command '\(shown)' was found in PATH but is not executable")
        }
        throw NSCoreError(.notFound, errno: Errno(rawValue: ENOENT), stage: "resolve command",
                          message: "command not found: '\(shown)' (searched PATH=\(String(cString: search)))")
    }

    /// The path inside the root filesystem `root` to execute for `name`, found as ``resolve``
    /// would but in the rootfs: each candidate is opened with `RESOLVE_IN_ROOT`, so the rootfs's
    /// own symlinks (`/bin -> usr/bin`) resolve as they will in the container. `PATH` is the
    /// child's environment's (the caller's when it inherits it), else the default one; only its
    /// absolute entries count. A path with a slash is taken as it is, relative to
    /// `workingDirectory` inside the root. Also used for joins of a mount namespace, with the
    /// target's `/proc/PID/root`.
    static func resolve(_ name: UnsafePointer<CChar>, inRoot root: UnsafePointer<CChar>, environment: CStringList?,
                        workingDirectory: String?, plan: SpawnPlan) throws(NSCoreError) -> UnsafePointer<CChar> {
        if name[0] == 0 { throw .invalid("resolve command", "command name is empty") }
        if strchr(name, Int32(UInt8(ascii: "/"))) != nil {
            if name[0] == slash { return UnsafePointer(plan.cString(bytes: name, count: strlen(name))) }
            let dir = workingDirectory ?? "/"
            return UnsafePointer(plan.cString(dir + (dir.hasSuffix("/") ? "" : "/") + String(cString: name)))
        }
        let rootFD = nsc_shim_openat2(AT_FDCWD, root, UInt64(nsc_shim_O_PATH | O_DIRECTORY), 0)
        if rootFD < 0 {
            let e = Errno(rawValue: -rootFD)
            throw NSCoreError(.from(errno: e), errno: e, stage: "root", message: "root \(String(cString: root)): \(e)")
        }
        defer { sys_close(rootFD) }
        let search: UnsafePointer<CChar>
        if let env = environment {
            search = env.value(of: "PATH=") ?? UnsafePointer(plan.cString(defaultPath))
        } else {
            search = getenv("PATH").map { UnsafePointer($0) } ?? UnsafePointer(plan.cString(defaultPath))
        }
        // Only absolute entries: a relative one would name the caller's directory.
        var denied = false
        if let found = firstCandidate(name, in: search, plan: plan, emptyEntry: nil, { candidate in
            guard candidate[0] == slash else { return false }
            let fd = nsc_shim_openat2(rootFD, candidate, UInt64(nsc_shim_O_PATH), nsc_shim_RESOLVE_IN_ROOT)
            guard fd >= 0 else { return false }
            let st = sys_fstat(fd)
            sys_close(fd)
            guard case .success(let st) = st, (st.st_mode & S_IFMT) == S_IFREG else { return false }
            if st.st_mode & 0o111 != 0 { return true }
            denied = true
            return false
        }) {
            return UnsafePointer(found)
        }
        let shown = String(cString: name)
        if denied {
            throw NSCoreError(.permissionDenied, errno: Errno(rawValue: EACCES), stage: "resolve command",
                              message: "command '\(shown)' was found in the root filesystem \(String(cString: root)) but is not executable")
        }
        throw NSCoreError(.notFound, errno: Errno(rawValue: ENOENT), stage: "resolve command",
                          message: "command not found in the root filesystem \(String(cString: root)): '\(shown)' (searched PATH=\(String(cString: search)))")
    }

    /// Assembles each candidate "DIR/NAME" of the colon-separated `search` in one buffer of the
    /// plan and returns the first one `accept` takes. An empty entry stands for `emptyEntry`, or
    /// is skipped when that is nil; a candidate longer than PATH_MAX is skipped.
    private static func firstCandidate(_ name: UnsafePointer<CChar>, in search: UnsafePointer<CChar>, plan: SpawnPlan,
                                       emptyEntry: StaticString?,
                                       _ accept: (UnsafeMutablePointer<CChar>) -> Bool) -> UnsafeMutablePointer<CChar>? {
        let nameLength = strlen(name)
        let capacity = Int(PATH_MAX) + 1
        let buffer = plan.allocate(capacity).bindMemory(to: CChar.self, capacity: capacity)
        var dir = search
        while true {
            var end = dir
            while end[0] != 0 && end[0] != colon { end += 1 }
            var dirLength = end - dir
            var base = dir
            if dirLength == 0, let e = emptyEntry {
                base = UnsafeRawPointer(e.utf8Start).assumingMemoryBound(to: CChar.self)
                dirLength = e.utf8CodeUnitCount
            }
            if dirLength > 0 && dirLength + 1 + nameLength < capacity {
                memcpy(buffer, base, dirLength)
                buffer[dirLength] = slash
                memcpy(buffer + dirLength + 1, name, nameLength + 1)
                if accept(buffer) { return buffer }
            }
            if end[0] == 0 { return nil }
            dir = end + 1
        }
    }

    private static let slash = CChar(UInt8(ascii: "/"))
    private static let colon = CChar(UInt8(ascii: ":"))

    /// `relative` made absolute against the current directory, in the plan's arena.
    private static func absolute(_ relative: UnsafePointer<CChar>, plan: SpawnPlan) throws(NSCoreError) -> UnsafePointer<CChar> {
        let capacity = Int(PATH_MAX) + 1
        let cwd = plan.allocate(capacity).bindMemory(to: CChar.self, capacity: capacity)
        if case .failure(let e) = sys_getcwd(cwd, capacity) {
            throw NSCoreError(.from(errno: e), errno: e, stage: "getcwd",
                              message: "getcwd (to resolve '\(String(cString: relative))'): \(e)")
        }
        let cwdLength = strlen(cwd)
        let length = strlen(relative)
        let out = plan.allocate(cwdLength + 1 + length + 1).bindMemory(to: CChar.self, capacity: cwdLength + length + 2)
        memcpy(out, cwd, cwdLength)
        out[cwdLength] = slash
        memcpy(out + cwdLength + 1, relative, length + 1)
        return UnsafePointer(out)
    }

    private static func checkExecutable(_ path: UnsafePointer<CChar>, shown: UnsafePointer<CChar>) throws(NSCoreError) {
        let st: stat
        switch sys_stat(path) {
        case .success(let s): st = s
        case .failure(let e):
            throw NSCoreError(.from(errno: e), errno: e, stage: "resolve command",
                              message: "command not found: '\(String(cString: shown))': \(e)")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw NSCoreError(.permissionDenied, errno: Errno(rawValue: EACCES), stage: "resolve command",
                              message: "command '\(String(cString: shown))' is a directory")
        }
        if !sys_access(path, X_OK) {
            let e = Errno.current
            throw NSCoreError(.permissionDenied, errno: e, stage: "resolve command",
                              message: "command '\(String(cString: shown))' is not executable: \(e)")
        }
    }

    private static func isExecutableFile(_ path: UnsafePointer<CChar>) -> Bool {
        guard case .success(let st) = sys_stat(path) else { return false }
        return (st.st_mode & S_IFMT) == S_IFREG && sys_access(path, X_OK)
    }
}
