import CNSCoreShim
import Glibc

// `Inspect.processes(inPIDNamespaceOf:)`: `ps` as seen from inside a container, computed from the
// outside. A process is inside pid namespace T when T is its own pid namespace or an ancestor of
// it; ancestry is found by walking NS_GET_PARENT from the process's /proc/P/ns/pid. The verdict
// is cached per namespace inode, so each distinct pid namespace on the host is walked once.

extension Inspect {
    /// Every process visible inside the pid namespace of `pid`: the processes of that namespace
    /// and of the pid namespaces nested in it, with their pid as seen inside and outside.
    ///
    /// `innerPID` is the process's pid in the inspected namespace: the `NSpid:` entry at that
    /// namespace's level (the number of entries in the target's own `NSpid:` line, minus one).
    /// `outerPID` is its pid in the caller's pid namespace. Processes that exit during the scan
    /// are skipped. The result is sorted by `innerPID`, so a container's init comes first.
    ///
    /// The corresponding calls are `readdir(3)` on `/proc`, `readlinkat(2)` on `/proc/P/ns/pid`,
    /// `ioctl(2)` `NS_GET_PARENT`, and reads of `/proc/P/{status,cmdline,comm}`.
    /// - Parameter pid: any process in the pid namespace to inspect (typically a container's
    ///   init), as a pid in the caller's pid namespace.
    /// - Throws: ``NSCoreError``: invalid argument for `pid <= 0`; not found ("no process with pid
    ///   N"); process exited if `pid` exits while being inspected; permission denied without
    ///   ptrace access to it.
    public static func processes(inPIDNamespaceOf pid: pid_t) throws(NSCoreError) -> [NamespacedProcess] {
        try validate(pid, "processes")
        var reader = try ProcReader()

        let target: UInt64
        switch reader.stat(pid, "/ns/pid") {
        case .success(let st): target = UInt64(st.st_ino)
        case .failure(let e): throw processError(e, pid: pid, stage: "stat /proc/\(pid)/ns/pid")
        }
        let level: Int
        switch reader.nspid(pid) {
        case .success(let chain): level = chain.count - 1
        case .failure(let e): throw processError(e, pid: pid, stage: "read /proc/\(pid)/status")
        }

        // inode of a pid namespace -> whether it is `target` or nested in it.
        var inside: [UInt64: Bool] = [target: true]
        var out: [NamespacedProcess] = []
        for p in reader.pids() {
            guard case .success(let ns) = reader.namespaceInode(p, "/ns/pid") else { continue }
            let isInside: Bool
            if let known = inside[ns] {
                isInside = known
            } else {
                isInside = descends(&reader, p, from: target, verdicts: &inside)
            }
            guard isInside,
                  case .success(let chain) = reader.nspid(p), chain.count > level,
                  case .success(let command) = reader.command(p) else { continue }
            out.append(NamespacedProcess(innerPID: chain[level], outerPID: p, command: command, pidNamespace: ns))
        }
        out.sort { $0.innerPID < $1.innerPID }
        return out
    }

    /// Whether the pid namespace of `pid` is nested in `target`: walks `NS_GET_PARENT` upward
    /// until it meets `target`, a namespace with a cached verdict, or the top of what the caller
    /// may see (`EPERM`). Records the verdict for every namespace on the way.
    private static func descends(_ reader: inout ProcReader, _ pid: pid_t, from target: UInt64,
                                 verdicts: inout [UInt64: Bool]) -> Bool {
        guard case .success(let start) = reader.open(pid, "/ns/pid") else { return false }
        guard case .success(let startStat) = sys_fstat(start.rawValue) else { return false }
        var path: [UInt64] = [UInt64(startStat.st_ino)]
        // Holds the namespace being walked; assigning the parent closes the child's descriptor.
        var current = start
        var verdict = false
        while true {
            let parent = nsc_shim_ns_get_parent(current.rawValue)
            guard parent >= 0 else { break }  // EPERM: reached the top of the caller's view
            let parentFD = OwnedFD(parent)
            guard case .success(let st) = sys_fstat(parentFD.rawValue) else { break }
            let inode = UInt64(st.st_ino)
            if inode == target {
                verdict = true
                break
            }
            if let known = verdicts[inode] {
                verdict = known
                break
            }
            path.append(inode)
            current = parentFD
        }
        for inode in path { verdicts[inode] = verdict }
        return verdict
    }
}
