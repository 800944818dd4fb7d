import Glibc

// The system-wide scan behind `Inspect.listNamespaces`, the equivalent of `lsns`.
//
// Cost model: one readdir of /proc, then one readlinkat per (process, requested kind) — that is
// the whole per-process cost (plus one fstatat per distinct namespace, for its device). Files
// (status, cmdline, comm) are read only for the lowest pid of each namespace, and a host's
// namespaces mostly share a handful of lowest pids, so those reads are cached per pid.
// Nothing in the per-process loop allocates except the growth of flat arrays.

extension Inspect {
    /// Every namespace on the system that has at least one process in it, as `lsns` lists them.
    ///
    /// Namespaces are found through `/proc/[0-9]*/ns/*` (processes, not threads, and not
    /// namespaces kept alive only by a bind mount or an open descriptor). Each row counts the
    /// processes in the namespace and describes the lowest-numbered one: its pid, real uid and
    /// command (lsns's PID, USER and COMMAND columns). For pid and user namespaces the parent
    /// namespace's inode is filled in when visible. Processes that exit during the scan are
    /// skipped. The rows are sorted by ``NamespaceKind`` order, then inode.
    ///
    /// The corresponding calls are `readdir(3)` on `/proc`, `readlinkat(2)` on each
    /// `/proc/PID/ns/KIND` (`fstatat(2)` once per namespace), reads of
    /// `/proc/PID/{status,cmdline,comm}` and `ioctl(2)` `NS_GET_PARENT`.
    /// - Parameter kinds: the kinds to list (default: all eight).
    /// - Throws: ``NSCoreError`` only if `/proc` itself cannot be read. Processes the caller may
    ///   not inspect are left out, as lsns leaves them out.
    public static func listNamespaces(kinds: NamespaceSet = .all) throws(NSCoreError) -> [NamespaceSummary] {
        let kindList = kinds.intersection(.all).kinds
        guard !kindList.isEmpty else { return [] }
        var reader = try ProcReader()
        let pids = reader.pids()
        let kc = kindList.count
        let suffixes = kindList.map(procNamespaceSuffix)

        // rows[r * kc + k]: the inode of kind k of pids[r]; 0 when the process has none.
        var rows = [UInt64](repeating: 0, count: pids.count * kc)
        var found: [Found] = []
        found.reserveCapacity(64)
        // Per kind: inode -> index in `found`, plus the last index hit (neighbouring processes
        // are usually in the same namespaces, so most lookups never reach the dictionary).
        var index = [[UInt64: Int]](repeating: [:], count: kc)
        var last = [Int](repeating: -1, count: kc)

        var device: UInt64 = 0
        rows.withUnsafeMutableBufferPointer { rows in
            for (r, pid) in pids.enumerated() {
                for k in 0..<kc {
                    guard case .success(let inode) = reader.namespaceInode(pid, suffixes[k]) else {
                        // Gone entirely (not just a zombie without this kind): skip the rest.
                        if k == 0 && !reader.exists(pid) { break }
                        continue
                    }
                    rows[r * kc + k] = inode
                    let l = last[k]
                    if l >= 0 && found[l].inode == inode {
                        found[l].count += 1
                    } else if let i = index[k][inode] {
                        found[i].count += 1
                        last[k] = i
                    } else {
                        // First sighting: one stat for the device (all namespaces share nsfs's).
                        if case .success(let st) = reader.stat(pid, suffixes[k]) { device = UInt64(st.st_dev) }
                        index[k][inode] = found.count
                        last[k] = found.count
                        found.append(Found(kindIndex: k, inode: inode, device: device, count: 1, row: r))
                    }
                }
            }
        }

        // Describe each namespace by its lowest process. If that process exited since the scan,
        // the next process of the namespace describes it instead and the count drops by one (a
        // namespace whose processes all exited is left out). Elsewhere the counts stay as scanned.
        var info: [Int: LowestProcess] = [:]
        var dead = Set<Int>()
        var summaries: [NamespaceSummary] = []
        summaries.reserveCapacity(found.count)
        for var f in found {
            var described: LowestProcess?
            while f.count > 0 {
                if let known = info[f.row] {
                    described = known
                    break
                }
                if !dead.contains(f.row), let fresh = describe(&reader, pids[f.row]) {
                    info[f.row] = fresh
                    described = fresh
                    break
                }
                dead.insert(f.row)
                f.count -= 1
                var next = f.row + 1
                while next < pids.count && (rows[next * kc + f.kindIndex] != f.inode || dead.contains(next)) {
                    next += 1
                }
                guard next < pids.count else {
                    f.count = 0
                    break
                }
                f.row = next
            }
            guard f.count > 0, let described else { continue }
            let kind = kindList[f.kindIndex]
            let pid = pids[f.row]
            var parent: UInt64?
            if kind == .pid || kind == .user { parent = reader.parentInode(pid, suffixes[f.kindIndex]) }
            summaries.append(NamespaceSummary(
                id: NamespaceID(kind: kind, inode: f.inode, device: f.device),
                processCount: f.count, lowestPID: pid, uid: described.uid,
                command: described.command, parentInode: parent))
        }
        summaries.sort { ($0.kind.rawValue, $0.inode) < ($1.kind.rawValue, $1.inode) }
        return summaries
    }

    /// One namespace found by the scan.
    private struct Found {
        /// Index into the requested kinds.
        var kindIndex: Int
        var inode: UInt64
        var device: UInt64
        /// Processes seen in it.
        var count: Int
        /// Row (index into the pid list) of its lowest process.
        var row: Int
    }

    /// What a summary says about its lowest process.
    private struct LowestProcess {
        let uid: uid_t
        var command: String
    }

    /// The uid and command of `pid`, or `nil` if it has exited. A process that exists but whose
    /// files cannot be read (hidepid=, a foreign user) is described as far as possible: the
    /// owner of `/proc/PID` (its effective uid, which lsns shows) and an empty command.
    private static func describe(_ reader: inout ProcReader, _ pid: pid_t) -> LowestProcess? {
        func exited(_ e: Errno) -> Bool { e.rawValue == ENOENT || e.rawValue == ESRCH }
        let uid: uid_t
        switch reader.realUID(pid) {
        case .success(let u): uid = u
        case .failure(let e):
            if exited(e) { return nil }
            guard case .success(let st) = reader.stat(pid, "") else { return nil }
            uid = st.st_uid
        }
        switch reader.command(pid) {
        case .success(let command): return LowestProcess(uid: uid, command: command)
        case .failure(let e): return exited(e) ? nil : LowestProcess(uid: uid, command: "")
        }
    }
}
