// Inspect+ABI.swift - nscore_namespace_id*, nscore_namespace_same, the typed namespace list
// (nscore_inspect_list, nscore_ns_list_*) and the JSON inspection functions (nscore.h
// "Inspection"). JSON strings are strdup'd; the caller frees them with nscore_string_free.
import Glibc
import NSCore

/// Writes an nscore_ns_id: { uint32_t ns; uint32_t reserved; uint64_t inode; uint64_t device; }.
/// The struct is defined by nscore.h, not imported into Swift, so it is filled by offset (the
/// layout has no padding: 4 + 4 + 8 + 8 bytes).
private func store(_ id: NamespaceID, _ out: UnsafeMutableRawPointer) {
    out.storeBytes(of: UInt32(1) << UInt32(id.kind.rawValue), toByteOffset: 0, as: UInt32.self)
    out.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
    out.storeBytes(of: id.inode, toByteOffset: 8, as: UInt64.self)
    out.storeBytes(of: id.device, toByteOffset: 16, as: UInt64.self)
}

/// The `ns` namespace (one NSCORE_NS_* bit) of `pid`, written to *out.
@c
public func nscore_namespace_id(_ pid: pid_t, _ ns: UInt32, _ out: UnsafeMutableRawPointer?,
                                _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_namespace_id"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "out") }
        store(try Inspect.namespace(try ABI.kind(ns, f), of: pid), out)
    }
}

/// The namespace a file refers to (/proc/PID/ns/KIND or a persisted file), written to *out.
@c
public func nscore_namespace_id_at(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutableRawPointer?,
                                   _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_namespace_id_at"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "out") }
        store(try Inspect.namespace(atPath: try ABI.string(path, f, "path")), out)
    }
}

/// *same = 1 when `a` and `b` share their `ns` namespace, else 0.
@c
public func nscore_namespace_same(_ a: pid_t, _ b: pid_t, _ ns: UInt32, _ same: UnsafeMutablePointer<Int32>?,
                                  _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_namespace_same"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let same else { throw ABI.null(f, "same") }
        same.pointee = try Inspect.shareNamespace(try ABI.kind(ns, f), a, b) ? 1 : 0
    }
}

/// Shared shape of the JSON functions: check json_out, produce the document, copy it out.
private func json(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ function: String,
                  _ err: UnsafeMutablePointer<OpaquePointer?>?, _ body: () throws(NSCoreError) -> String) -> Int32 {
    ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(function, "json_out") }
        out.pointee = nil
        try ABI.copyOut(try body(), out, function)
    }
}

/// `/proc/PID/ns` as JSON; the caller frees *json_out with nscore_string_free.
@c
public func nscore_inspect_namespaces_json(_ pid: pid_t, _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                           _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    json(jsonOut, "nscore_inspect_namespaces_json", err) { () throws(NSCoreError) in
        Inspect.json(try Inspect.namespaces(of: pid), pid: pid)
    }
}

/// The credentials and user namespace of a process as JSON (ProcessCredentials.json).
@c
public func nscore_inspect_credentials_json(_ pid: pid_t, _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                            _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    json(jsonOut, "nscore_inspect_credentials_json", err) { () throws(NSCoreError) in
        try Inspect.credentials(of: pid).json
    }
}

/// Every namespace of the given kinds, as lsns; 0 kinds gives an empty list.
@c
public func nscore_inspect_list_json(_ namespaces: UInt32,
                                     _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                     _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    json(jsonOut, "nscore_inspect_list_json", err) { () throws(NSCoreError) in
        Inspect.json(try Inspect.listNamespaces(kinds: try ABI.namespaces(namespaces, "namespaces")))
    }
}

// MARK: - nscore_ns_list

/// `nscore_ns_list`: the rows of one nscore_inspect_list() scan, with each row's command as a C
/// string that lives as long as the handle. Immutable once made, so any thread may read it.
final class NamespaceListHandle {
    let rows: [NamespaceSummary]
    /// strdup'd commands, one per row; freed in deinit.
    let commands: [UnsafeMutablePointer<CChar>]

    /// Copies each row's command; nil when strdup runs out of memory (what was copied is freed).
    init?(_ rows: [NamespaceSummary]) {
        var commands: [UnsafeMutablePointer<CChar>] = []
        commands.reserveCapacity(rows.count)
        for row in rows {
            guard let p = strdup(row.command) else {
                for c in commands { free(c) }
                return nil
            }
            commands.append(p)
        }
        self.rows = rows
        self.commands = commands
    }

    deinit {
        for c in commands { free(c) }
    }
}

/// Writes an nscore_ns_entry by offset (nscore.h defines it; it is not imported into Swift):
/// { uint32_t ns; int32_t pid; uint64_t inode; uint64_t device; uint64_t nprocs; uint32_t uid;
///   uint32_t reserved; uint64_t parent_inode; }, 48 bytes without padding.
private func store(_ row: NamespaceSummary, _ out: UnsafeMutableRawPointer) {
    out.storeBytes(of: UInt32(1) << UInt32(row.kind.rawValue), toByteOffset: 0, as: UInt32.self)
    out.storeBytes(of: Int32(row.lowestPID), toByteOffset: 4, as: Int32.self)
    out.storeBytes(of: row.inode, toByteOffset: 8, as: UInt64.self)
    out.storeBytes(of: row.id.device, toByteOffset: 16, as: UInt64.self)
    out.storeBytes(of: UInt64(row.processCount), toByteOffset: 24, as: UInt64.self)
    out.storeBytes(of: UInt32(row.uid), toByteOffset: 32, as: UInt32.self)
    out.storeBytes(of: UInt32(0), toByteOffset: 36, as: UInt32.self)
    out.storeBytes(of: row.parentInode ?? 0, toByteOffset: 40, as: UInt64.self)
}

/// Every namespace of the given kinds, as lsns (the rows of nscore_inspect_list_json), in a new
/// list handle; 0 kinds gives an empty list.
@c
public func nscore_inspect_list(_ namespaces: UInt32, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                                _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_inspect_list"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let out else { throw ABI.null(f, "out") }
        out.pointee = nil
        let rows = try Inspect.listNamespaces(kinds: try ABI.namespaces(namespaces, "namespaces"))
        guard let list = NamespaceListHandle(rows) else {
            throw NSCoreError(.system, errno: Errno(rawValue: ENOMEM), stage: f,
                              message: "\(f): out of memory for the commands of \(rows.count) namespaces")
        }
        out.pointee = ABI.retain(list)
    }
}

/// The number of rows; 0 for NULL.
@c
public func nscore_ns_list_count(_ list: OpaquePointer?) -> Int {
    guard let list else { return 0 }
    return ABI.borrow(list, as: NamespaceListHandle.self).rows.count
}

/// Row `index`, written to *out.
@c
public func nscore_ns_list_get(_ list: OpaquePointer?, _ index: Int, _ out: UnsafeMutableRawPointer?,
                               _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_ns_list_get"
    return ABI.run(err) { () throws(NSCoreError) in
        let h = try ABI.handle(list, NamespaceListHandle.self, f, "list")
        guard let out else { throw ABI.null(f, "out") }
        // size_t arrives as Int: an index above Int.max reads as negative.
        guard index >= 0 && index < h.rows.count else {
            throw ABI.invalid("index", "\(f): index \(UInt(bitPattern: index)) is out of range "
                              + "(the list has \(h.rows.count) entries)")
        }
        store(h.rows[index], out)
    }
}

/// The command of row `index`, owned by the list; NULL for NULL or an index out of range.
@c
public func nscore_ns_list_command(_ list: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    guard let list else { return nil }
    let h = ABI.borrow(list, as: NamespaceListHandle.self)
    guard index >= 0 && index < h.commands.count else { return nil }
    return UnsafePointer(h.commands[index])
}

/// Frees a list; NULL is allowed.
@c
public func nscore_ns_list_free(_ list: OpaquePointer?) {
    guard let list else { return }
    ABI.release(list, as: NamespaceListHandle.self)
}

/// The NSpid chain of `pid`, outermost first, as JSON.
@c
public func nscore_inspect_pid_chain_json(_ pid: pid_t, _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                          _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    json(jsonOut, "nscore_inspect_pid_chain_json", err) { () throws(NSCoreError) in
        Inspect.json(pidChain: try Inspect.pidChain(of: pid), pid: pid)
    }
}

/// The processes inside the PID namespace of `pid`, as JSON.
@c
public func nscore_inspect_processes_json(_ pid: pid_t, _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                          _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    json(jsonOut, "nscore_inspect_processes_json", err) { () throws(NSCoreError) in
        // The namespace inode is read first: if pid exits in between, processes() reports it.
        let ns = try Inspect.namespace(.pid, of: pid)
        return Inspect.json(try Inspect.processes(inPIDNamespaceOf: pid), pidNamespace: ns.inode)
    }
}

/// The mounts of `pid`'s mount namespace (/proc/PID/mountinfo), as JSON.
@c
public func nscore_inspect_mounts_json(_ pid: pid_t, _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                       _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    json(jsonOut, "nscore_inspect_mounts_json", err) { () throws(NSCoreError) in
        Inspect.json(try Inspect.mounts(of: pid), pid: pid)
    }
}

/// The interfaces and routes of `pid`'s network namespace, as JSON.
@c
public func nscore_inspect_network_json(_ pid: pid_t, _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                        _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    json(jsonOut, "nscore_inspect_network_json", err) { () throws(NSCoreError) in
        Inspect.json(try Inspect.network(of: pid), pid: pid)
    }
}

/// *differ = the kinds among `namespaces` in which `pid` is in another namespace than the
/// calling thread (what nsenter --all enters).
@c
public func nscore_namespace_differing(_ pid: pid_t, _ namespaces: UInt32, _ differ: UnsafeMutablePointer<UInt32>?,
                                      _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let f = "nscore_namespace_differing"
    return ABI.run(err) { () throws(NSCoreError) in
        guard let differ else { throw ABI.null(f, "differ") }
        differ.pointee = try Inspect.differingNamespaces(of: pid, among: try ABI.namespaces(namespaces, f)).rawValue
    }
}

/// /proc/PID/mountstats, as JSON.
@c
public func nscore_inspect_mountstats_json(_ pid: pid_t, _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                           _ err: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    json(jsonOut, "nscore_inspect_mountstats_json", err) { () throws(NSCoreError) in
        Inspect.json(try Inspect.mountStats(of: pid), pid: pid)
    }
}
