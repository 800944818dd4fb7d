import Glibc

// The values the inspection API returns. Each is a plain, Sendable value with a JSON form
// (`json`) whose key names follow util-linux where util-linux has one (`lsns --json`).

/// The identity of one namespace: its kind and its inode on the nsfs device.
///
/// Two processes are in the same namespace exactly when `stat(2)` of their
/// `/proc/PID/ns/KIND` files gives the same device and inode; `readlink(2)` prints the same
/// identity as `KIND:[INODE]`, and that is this type's ``description``.
public struct NamespaceID: Hashable, Sendable, CustomStringConvertible, JSONWritable {
    /// The kind of namespace.
    public var kind: NamespaceKind
    /// The namespace's inode number (`st_ino`), the number `lsns` shows in its NS column.
    public var inode: UInt64
    /// The device of the nsfs filesystem (`st_dev`); the same for every namespace on a host.
    public var device: UInt64

    /// Creates an identity from its parts.
    public init(kind: NamespaceKind, inode: UInt64, device: UInt64) {
        self.kind = kind
        self.inode = inode
        self.device = device
    }

    /// `KIND:[INODE]`, as `readlink /proc/PID/ns/KIND` prints it (e.g. `net:[4026531833]`).
    public var description: String { "\(kind.procName):[\(inode)]" }

    /// `{"type":"net","inode":N,"device":N}`.
    public var json: String { JSONWriter.document(self) }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("type", kind.procName)
        w.field("inode", inode)
        w.field("device", device)
        w.endObject()
    }
}

/// One entry of `/proc/PID/ns`: a namespace a process is in, or (for `pid_for_children` and
/// `time_for_children`) the namespace its future children will be created in.
public struct NamespaceEntry: Hashable, Sendable, CustomStringConvertible, JSONWritable {
    /// The file name under `/proc/PID/ns`: `"net"`, `"mnt"`, `"pid_for_children"`, ...
    public var name: String
    /// The kind of namespace.
    public var kind: NamespaceKind
    /// The namespace's inode number.
    public var inode: UInt64
    /// The nsfs device number.
    public var device: UInt64
    /// True for `pid_for_children` and `time_for_children`.
    public var forChildren: Bool

    /// Creates an entry from its parts.
    public init(name: String, kind: NamespaceKind, inode: UInt64, device: UInt64, forChildren: Bool) {
        self.name = name
        self.kind = kind
        self.inode = inode
        self.device = device
        self.forChildren = forChildren
    }

    /// The namespace this entry names.
    public var id: NamespaceID { NamespaceID(kind: kind, inode: inode, device: device) }

    /// `NAME -> KIND:[INODE]`, like `ls -l /proc/PID/ns`.
    public var description: String { "\(name) -> \(id)" }

    /// `{"name":"net","type":"net","inode":N,"device":N,"for_children":false}`.
    public var json: String { JSONWriter.document(self) }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("name", name)
        w.field("type", kind.procName)
        w.field("inode", inode)
        w.field("device", device)
        w.field("for_children", forChildren)
        w.endObject()
    }
}

/// One namespace on the system, summarised as one row of `lsns`.
public struct NamespaceSummary: Hashable, Sendable, CustomStringConvertible, JSONWritable {
    /// The namespace.
    public var id: NamespaceID
    /// How many processes (not threads) are in it (lsns NPROCS).
    public var processCount: Int
    /// The lowest pid in it, as seen from the caller's pid namespace (lsns PID).
    public var lowestPID: pid_t
    /// The real uid of that process, from the `Uid:` line of `/proc/PID/status`.
    public var uid: uid_t
    /// That process's command line joined with spaces, or its `comm` when the command line is
    /// empty (kernel threads): lsns's COMMAND column.
    public var command: String
    /// For pid and user namespaces, the inode of the parent namespace, when it is visible to the
    /// caller (`NS_GET_PARENT`); `nil` for other kinds and for the caller's outermost namespace.
    public var parentInode: UInt64?

    /// Creates a summary from its parts.
    public init(id: NamespaceID, processCount: Int, lowestPID: pid_t, uid: uid_t, command: String,
                parentInode: UInt64? = nil) {
        self.id = id
        self.processCount = processCount
        self.lowestPID = lowestPID
        self.uid = uid
        self.command = command
        self.parentInode = parentInode
    }

    /// The kind of namespace (`id.kind`).
    public var kind: NamespaceKind { id.kind }
    /// The inode number (`id.inode`).
    public var inode: UInt64 { id.inode }

    /// A line like lsns prints: `NS TYPE NPROCS PID UID COMMAND`.
    public var description: String {
        "\(inode) \(kind.procName) \(processCount) \(lowestPID) \(uid) \(command)"
    }

    /// `{"ns":N,"type":"net","nprocs":N,"pid":N,"uid":N,"command":"..."}`, the keys of
    /// `lsns --json` with the numeric `uid` in place of the user name; `"pns"` (lsns's parent
    /// namespace column) is added when ``parentInode`` is known.
    public var json: String { JSONWriter.document(self) }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("ns", inode)
        w.field("type", kind.procName)
        w.field("nprocs", processCount)
        w.field("pid", lowestPID)
        w.field("uid", uid)
        w.field("command", command)
        if let parentInode { w.field("pns", parentInode) }
        w.endObject()
    }
}

/// A process seen from inside a pid namespace.
public struct NamespacedProcess: Hashable, Sendable, CustomStringConvertible, JSONWritable {
    /// The process's pid inside the inspected pid namespace (1 for its init).
    public var innerPID: pid_t
    /// The process's pid in the caller's pid namespace (the `/proc` entry).
    public var outerPID: pid_t
    /// The command line joined with spaces, or `comm` when it is empty.
    public var command: String
    /// The inode of the process's own pid namespace: the inspected one, or one nested in it.
    public var pidNamespace: UInt64

    /// Creates a value from its parts.
    public init(innerPID: pid_t, outerPID: pid_t, command: String, pidNamespace: UInt64) {
        self.innerPID = innerPID
        self.outerPID = outerPID
        self.command = command
        self.pidNamespace = pidNamespace
    }

    /// `INNER (host OUTER) COMMAND`.
    public var description: String { "\(innerPID) (host \(outerPID)) \(command)" }

    /// `{"pid":INNER,"host_pid":OUTER,"command":"..."}`.
    public var json: String { JSONWriter.document(self) }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("pid", innerPID)
        w.field("host_pid", outerPID)
        w.field("command", command)
        w.endObject()
    }
}

extension Inspect {
    /// The JSON for ``namespaces(of:)``:
    /// `{"pid":N,"namespaces":[{"name":"net","type":"net","inode":N,"device":N,"for_children":false},...]}`.
    /// - Parameters:
    ///   - entries: the entries, as ``namespaces(of:)`` returned them.
    ///   - pid: the process they belong to.
    public static func json(_ entries: [NamespaceEntry], pid: pid_t) -> String {
        JSONWriter.listDocument(entries, key: "namespaces", perItem: 96) { $0.field("pid", pid) }
    }

    /// The JSON for ``listNamespaces(kinds:)``, shaped like `lsns --json`:
    /// `{"namespaces":[{"ns":N,"type":"net","nprocs":N,"pid":N,"uid":N,"command":"..."},...]}`.
    /// - Parameter summaries: the rows, as ``listNamespaces(kinds:)`` returned them.
    public static func json(_ summaries: [NamespaceSummary]) -> String {
        JSONWriter.listDocument(summaries, key: "namespaces", perItem: 112)
    }

    /// The JSON for ``processes(inPIDNamespaceOf:)``:
    /// `{"pid_namespace":N,"processes":[{"pid":INNER,"host_pid":OUTER,"command":"..."},...]}`.
    /// - Parameters:
    ///   - processes: the processes, as ``processes(inPIDNamespaceOf:)`` returned them.
    ///   - pidNamespace: the inode of the inspected pid namespace.
    public static func json(_ processes: [NamespacedProcess], pidNamespace: UInt64) -> String {
        JSONWriter.listDocument(processes, key: "processes", perItem: 64) { $0.field("pid_namespace", pidNamespace) }
    }

    /// The JSON for ``pidChain(of:)``: `{"pid":N,"nspid":[OUTERMOST,...,INNERMOST]}`.
    /// - Parameters:
    ///   - chain: the pids, as ``pidChain(of:)`` returned them.
    ///   - pid: the process they belong to.
    public static func json(pidChain chain: [pid_t], pid: pid_t) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("pid", pid)
        w.key("nspid")
        w.beginArray()
        for p in chain { w.value(p) }
        w.endArray()
        w.endObject()
        return w.string
    }
}
