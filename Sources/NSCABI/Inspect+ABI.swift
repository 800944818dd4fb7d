// Inspect+ABI.swift - nscore_namespace_id*, nscore_namespace_same and the JSON inspection
// functions (nscore.h "Inspection"). JSON strings are strdup'd; the caller frees them with
// nscore_string_free.
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
