import CNSCoreShim
import Glibc

/// Read-only inspection of namespaces, like util-linux `lsns` and `ls -l /proc/PID/ns`.
///
/// Everything here reads `/proc` and nsfs files; nothing joins or changes a namespace, so every
/// function is safe to call from any thread of a multi-threaded host. Pids are interpreted in the
/// pid namespace of the `/proc` mount (normally the caller's). Seeing other users' processes
/// needs the usual ptrace-read permission (root sees everything).
public enum Inspect {
    // MARK: - One process

    /// Every namespace a process is in, one entry per file in `/proc/PID/ns`.
    ///
    /// Includes `pid_for_children` and `time_for_children` when the kernel shows them (they are
    /// skipped while they cannot be resolved, e.g. after the pid namespace's init exited). The
    /// result is ordered by ``NamespaceKind``, each `*_for_children` entry after its kind.
    /// The corresponding calls are `readdir(3)` on `/proc/PID/ns` and `fstatat(2)` on each entry.
    /// - Parameter pid: a process id in the caller's pid namespace.
    /// - Throws: ``NSCoreError``: invalid argument for `pid <= 0`; not found ("no process with pid
    ///   N") when there is no such process; process exited when it is a zombie (an exited process
    ///   keeps only its pid and user namespaces); permission denied without ptrace access.
    public static func namespaces(of pid: pid_t) throws(NSCoreError) -> [NamespaceEntry] {
        try validate(pid, "namespaces")
        let dirPath = "/proc/\(pid)/ns"
        let dirFD: Int32
        switch sys_open(dirPath, O_RDONLY | O_DIRECTORY) {
        case .success(let f): dirFD = f.release()
        case .failure(let e): throw processError(e, pid: pid, stage: "open \(dirPath)")
        }
        let dir: OpaquePointer
        switch sys_fdopendir(dirFD) {
        case .success(let d): dir = d
        case .failure(let e):
            sys_close(dirFD)
            throw processError(e, pid: pid, stage: "fdopendir \(dirPath)")
        }
        defer { sys_closedir(dir) }

        // Collect the names the kernel offers first, so an entry it does not have (an old kernel
        // without time namespaces) is told apart from one that vanished (the process exited).
        var names: [(name: String, kind: NamespaceKind, forChildren: Bool)] = []
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let ent = sys_readdir(dir) {
            let raw = UnsafeRawPointer(ent).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self)
            let name = String(cString: raw)
            if name.hasPrefix(".") { continue }
            var base = Substring(name)
            let forChildren = name.hasSuffix("_for_children")
            if forChildren { base = base.dropLast("_for_children".count) }
            // Only the kernel's own spellings; a future kind this library does not know is skipped.
            guard let kind = NamespaceKind(name: String(base)), kind.procName == base else { continue }
            names.append((name, kind, forChildren))
        }
        names.sort { ($0.kind.rawValue, $0.forChildren ? 1 : 0) < ($1.kind.rawValue, $1.forChildren ? 1 : 0) }

        var entries: [NamespaceEntry] = []
        entries.reserveCapacity(names.count)
        let fd = dirfd(dir)
        for n in names {
            let st: stat
            switch sys_fstatat(fd, n.name) {
            case .success(let s): st = s
            case .failure(let e):
                if n.forChildren && e.rawValue == ENOENT { continue }
                if e.rawValue == ENOENT || e.rawValue == ESRCH {
                    throw exitedError(e, pid: pid, stage: "stat \(dirPath)/\(n.name)")
                }
                throw processError(e, pid: pid, stage: "stat \(dirPath)/\(n.name)")
            }
            entries.append(NamespaceEntry(name: n.name, kind: n.kind, inode: UInt64(st.st_ino),
                                          device: UInt64(st.st_dev), forChildren: n.forChildren))
        }
        return entries
    }

    /// The namespace of one kind that a process is in.
    ///
    /// The corresponding call is `stat(2)` on `/proc/PID/ns/KIND`.
    /// - Parameters:
    ///   - kind: which namespace.
    ///   - pid: a process id in the caller's pid namespace.
    /// - Throws: ``NSCoreError``: invalid argument for `pid <= 0`; not found ("no process with pid
    ///   N"); process exited for a zombie (except for its pid and user namespaces, which remain);
    ///   unsupported when the kernel lacks that kind; permission denied without ptrace access.
    public static func namespace(_ kind: NamespaceKind, of pid: pid_t) throws(NSCoreError) -> NamespaceID {
        try validate(pid, "namespace")
        let path = kind.path(of: pid)
        switch sys_stat(path) {
        case .success(let st):
            return NamespaceID(kind: kind, inode: UInt64(st.st_ino), device: UInt64(st.st_dev))
        case .failure(let e) where e.rawValue == ENOENT:
            // Three different reasons share ENOENT: no such process, a zombie, an old kernel.
            if case .failure = sys_stat("/proc/\(pid)") {
                throw processError(e, pid: pid, stage: "stat \(path)")
            }
            if case .failure = sys_stat("/proc/self/ns/\(kind.procName)") {
                throw NSCoreError(.unsupported, errno: e, stage: "stat \(path)",
                                  message: "this kernel has no \(kind.procName) namespaces (no \(path))")
            }
            throw exitedError(e, pid: pid, stage: "stat \(path)")
        case .failure(let e):
            throw processError(e, pid: pid, stage: "stat \(path)")
        }
    }

    /// The namespace a namespace file refers to: a `/proc/PID/ns/KIND` path, a file a namespace
    /// was bind-mounted on (``Persist``, `ip netns add`), or a `/proc/PID/fd/N` of an open one.
    ///
    /// The kind comes from the kernel, not from the name. The corresponding calls are `stat(2)`,
    /// `open(2)`, `ioctl(2)` `NS_GET_NSTYPE` (which only nsfs files answer) and `fstat(2)`.
    /// - Parameter path: the file.
    /// - Throws: ``NSCoreError``: not found if nothing is at `path`; invalid argument ("PATH is not
    ///   a namespace file") for any other file; permission denied if it cannot be opened.
    public static func namespace(atPath path: String) throws(NSCoreError) -> NamespaceID {
        guard !path.isEmpty, !path.containsNUL else {
            throw .invalid("path", "namespace(atPath:): the path is empty or contains a NUL byte")
        }
        let notNamespace = NSCoreError.invalid("namespace \(path)", "\(path) is not a namespace file")
        // Check the type before opening: opening a FIFO or a device could block or have effects.
        switch sys_stat(path) {
        case .success(let st):
            guard st.st_mode & S_IFMT == S_IFREG else { throw notNamespace }
        case .failure(let e):
            throw NSCoreError(.from(errno: e), errno: e, stage: "stat \(path)", message: "cannot inspect \(path): \(e)")
        }
        let fd: OwnedFD
        switch sys_open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY) {
        case .success(let f): fd = f
        case .failure(let e):
            throw NSCoreError(.from(errno: e), errno: e, stage: "open \(path)", message: "cannot open \(path): \(e)")
        }
        let type = nsc_shim_ns_get_nstype(fd.rawValue)
        guard type >= 0 else {
            let e = Errno.current
            if e.rawValue == ENOTTY || e.rawValue == EINVAL { throw notNamespace }
            throw NSCoreError(.from(errno: e), errno: e, stage: "ioctl(NS_GET_NSTYPE) \(path)",
                              message: "cannot get the namespace type of \(path): \(e)")
        }
        guard let kind = NamespaceKind(cloneFlag: type) else {
            throw NSCoreError(.unsupported, stage: "ioctl(NS_GET_NSTYPE) \(path)",
                              message: "\(path) is a namespace of a kind this library does not know "
                                  + "(0x\(String(type, radix: 16)))")
        }
        let st: stat
        switch sys_fstat(fd.rawValue) {
        case .success(let s): st = s
        case .failure(let e): throw .sys(e, "fstat \(path)")
        }
        // Belt and braces against a foreign ioctl that happens to share NS_GET_NSTYPE's number:
        // every namespace file lives on the kernel's single nsfs superblock, so its device must
        // be the device of our own namespace files.
        if case .success(let own) = sys_stat("/proc/self/ns/user"), own.st_dev != st.st_dev { throw notNamespace }
        return NamespaceID(kind: kind, inode: UInt64(st.st_ino), device: UInt64(st.st_dev))
    }

    /// The kinds among `kinds` in which process `pid` is in another namespace than the calling
    /// thread: what `nsenter --all` (and a join without explicit kinds) enters. A kind this
    /// kernel lacks counts as shared.
    ///
    /// The corresponding call is `readlink(2)` on `/proc/PID/ns/*` and `/proc/thread-self/ns/*`.
    /// - Throws: ``NSCoreError`` (process exited) when `pid` is gone, (permission denied) when
    ///   its namespaces cannot be read.
    public static func differingNamespaces(of pid: pid_t, among kinds: NamespaceSet = .all) throws(NSCoreError) -> NamespaceSet {
        guard pid > 0 else { throw .invalid("pid", "pid \(pid) is not a valid pid") }
        return try Joiner.differingKinds(pid: pid, requested: kinds, explicit: false).0
    }

    /// Whether two processes are in the same namespace of `kind`.
    ///
    /// The corresponding call is `stat(2)` on both `/proc/PID/ns/KIND` files (same device and
    /// inode means same namespace).
    /// - Parameters:
    ///   - kind: which namespace to compare.
    ///   - a: one process id.
    ///   - b: another process id.
    /// - Throws: ``NSCoreError`` as ``namespace(_:of:)`` does, for whichever pid fails.
    public static func shareNamespace(_ kind: NamespaceKind, _ a: pid_t, _ b: pid_t) throws(NSCoreError) -> Bool {
        let first = try namespace(kind, of: a)
        let second = try namespace(kind, of: b)
        return first.inode == second.inode && first.device == second.device
    }

    /// A process's pid in each pid namespace it belongs to, outermost first (the `NSpid:` line
    /// of `/proc/PID/status`). The first element is `pid` itself (the pid in the namespace of
    /// `/proc`), the last is the pid in the process's own namespace: 1 for a container's init.
    ///
    /// The corresponding file is `/proc/PID/status`.
    /// - Parameter pid: a process id in the caller's pid namespace.
    /// - Throws: ``NSCoreError``: invalid argument for `pid <= 0`; not found ("no process with pid
    ///   N"); process exited if it vanished while being read.
    public static func pidChain(of pid: pid_t) throws(NSCoreError) -> [pid_t] {
        try validate(pid, "pidChain")
        var reader = try ProcReader()
        switch reader.nspid(pid) {
        case .success(let chain): return chain
        case .failure(let e): throw processError(e, pid: pid, stage: "read /proc/\(pid)/status")
        }
    }

    // MARK: - Errors

    /// Rejects pids that cannot name a process.
    static func validate(_ pid: pid_t, _ stage: String) throws(NSCoreError) {
        guard pid > 0 else { throw .invalid(stage, "\(stage): \(pid) is not a valid pid (must be > 0)") }
    }

    /// The error for a failed access to `/proc/PID/...`, with a message that names the pid.
    static func processError(_ e: Errno, pid: pid_t, stage: String) -> NSCoreError {
        switch e.rawValue {
        case ENOENT, ENOTDIR:
            return NSCoreError(.notFound, errno: e, stage: stage, message: "no process with pid \(pid)")
        case ESRCH:
            return exitedError(e, pid: pid, stage: stage)
        case EPERM, EACCES:
            return NSCoreError(.permissionDenied, errno: e, stage: stage,
                               message: "not allowed to inspect pid \(pid) (\(stage): \(e))")
        default:
            return NSCoreError(.from(errno: e), errno: e, stage: stage,
                               message: "cannot inspect pid \(pid): \(stage): \(e)")
        }
    }

    /// The error for a process that exists only as a zombie (or vanished mid-read).
    static func exitedError(_ e: Errno, pid: pid_t, stage: String) -> NSCoreError {
        NSCoreError(.processExited, errno: e, stage: stage,
                    message: "process \(pid) has exited; its namespaces are gone")
    }
}
