import Glibc

/// Resolving a command name to an executable path in the parent, as `execvp` would, so that the
/// child runs `execve` on an absolute path and a missing command is reported by `spawn`.
enum Command {
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The absolute path to execute for `name`.
    /// - Parameters:
    ///   - name: a command name (searched in `PATH`) or a path containing `/`.
    ///   - environment: the child's environment; its `PATH` is searched, else the caller's.
    /// - Throws: ``NSCoreError`` (not found / permission denied) naming the command.
    static func resolve(_ name: String, environment: [String]?) throws(NSCoreError) -> String {
        if name.isEmpty { throw .invalid("resolve command", "command name is empty") }
        if name.contains("/") {
            let path = name.hasPrefix("/") ? name : currentDirectory() + "/" + name
            try checkExecutable(path, shown: name)
            return path
        }
        let search: String
        if let env = environment {
            search = env.first(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) } ?? defaultPath
        } else if let p = getenv("PATH") {
            search = String(cString: p)
        } else {
            search = defaultPath
        }
        var denied = false
        for dir in search.split(separator: ":", omittingEmptySubsequences: false) {
            let base = dir.isEmpty ? "." : String(dir)
            let candidate = base + "/" + name
            if isExecutableFile(candidate) {
                return candidate.hasPrefix("/") ? candidate : currentDirectory() + "/" + candidate
            }
            if access(candidate, F_OK) == 0 { denied = true }
        }
        if denied {
            throw NSCoreError(.permissionDenied, errno: Errno(rawValue: EACCES), stage: "resolve command",
                              message: "command '\(name)' was found in PATH but is not executable")
        }
        throw NSCoreError(.notFound, errno: Errno(rawValue: ENOENT), stage: "resolve command",
                          message: "command not found: '\(name)' (searched PATH=\(search))")
    }

    private static func checkExecutable(_ path: String, shown: String) throws(NSCoreError) {
        var st = stat()
        if stat(path, &st) != 0 {
            let e = Errno.current
            throw NSCoreError(.from(errno: e), errno: e, stage: "resolve command",
                              message: "command not found: '\(shown)': \(e)")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw NSCoreError(.permissionDenied, errno: Errno(rawValue: EACCES), stage: "resolve command",
                              message: "command '\(shown)' is a directory")
        }
        if access(path, X_OK) != 0 {
            let e = Errno.current
            throw NSCoreError(.permissionDenied, errno: e, stage: "resolve command",
                              message: "command '\(shown)' is not executable: \(e)")
        }
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
