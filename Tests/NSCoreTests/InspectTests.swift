import Foundation
import Glibc
import Testing

@testable import NSCore

// Real-kernel tests for Inspect: namespaces are made with util-linux `unshare` and checked against
// /proc, readlink(2) and `lsns --json`. Every test kills and reaps what it started (defer).

/// A process started with posix_spawn, killed and reaped by `stop()` (idempotent).
private final class Spawned {
    let pid: pid_t
    private var reaped = false

    /// - Parameter silenceStderr: the process's standard error goes to /dev/null.
    init(_ args: [String], silenceStderr: Bool = false) throws {
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        // Start from a clean signal state (empty mask, default handlers), as a shell would.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if silenceStderr {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, args[0], &actions, &attr, argv, environ)
        guard rc == 0 else { throw Errno(rawValue: rc) }
        self.pid = pid
    }

    /// The direct children of this process (found through PPid:, /proc has no children file here).
    func children() -> [pid_t] {
        childrenOf(pid)
    }

    /// Kills the process tree below (children first, so `unshare --fork` reaps its own child),
    /// then the process itself, and reaps it.
    func stop() {
        guard !reaped else { return }
        for c in children() { kill(c, SIGKILL) }
        var status: Int32 = 0
        // Give unshare a moment to reap its child and exit on its own.
        for _ in 0..<200 {
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                return
            }
            if children().isEmpty { break }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        reaped = true
    }

    /// Waits for the process to exit (without reaping it) and returns once it is a zombie.
    func waitUntilZombie() -> Bool {
        poll { processState(self.pid) == "Z" }
    }

    /// Reaps an exited process.
    func reap() {
        guard !reaped else { return }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        reaped = true
    }

    deinit { stop() }
}

private func childrenOf(_ parent: pid_t) -> [pid_t] {
    var out: [pid_t] = []
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for name in entries {
        guard let p = pid_t(name),
              let status = try? String(contentsOfFile: "/proc/\(p)/status", encoding: .utf8) else { continue }
        for line in status.split(separator: "\n") where line.hasPrefix("PPid:") {
            if pid_t(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) == parent { out.append(p) }
        }
    }
    return out.sorted()
}

private func processState(_ pid: pid_t) -> Character? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    return stat[stat.index(close, offsetBy: 2)...].first
}

private func cmdline(_ pid: pid_t) -> String {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
    return String(decoding: data, as: UTF8.self).split(separator: "\0").joined(separator: " ")
}

/// Polls `condition` every 10 ms for up to `seconds`.
private func poll(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// `readlink(2)` of a path.
private func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func statInode(_ path: String) -> UInt64? {
    var st = stat()
    return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
}

/// Runs a command and returns its standard output.
private func run(_ args: [String]) throws -> Data {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return data
}

/// The (type, ns) pairs and the rows of `lsns --json`.
private func lsns() throws -> [[String: Any]] {
    let data = try run(["lsns", "--json"])
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return flatten(object?["namespaces"] as? [[String: Any]] ?? [])
}

private struct Pair: Hashable {
    var type: String
    var ns: UInt64
}

private func pairs(_ rows: [[String: Any]]) -> Set<Pair> {
    Set(rows.compactMap { row in
        guard let type = row["type"] as? String, let ns = (row["ns"] as? NSNumber)?.uint64Value else { return nil }
        return Pair(type: type, ns: ns)
    })
}

/// Parses a JSON object with Foundation's parser (independent of NSCore's writer).
private func parseObject(_ json: String) throws -> [String: Any]? {
    try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
}

/// The row for namespace (type, ns) in lsns-shaped rows.
private func row(_ rows: [[String: Any]], type: String, ns: UInt64) -> [String: Any]? {
    rows.first { $0["type"] as? String == type && ($0["ns"] as? NSNumber)?.uint64Value == ns }
}

/// lsns --json nests a namespace under the row of its lowest process's ancestor ("children");
/// this flattens the tree into one list of rows.
private func flatten(_ rows: [[String: Any]]) -> [[String: Any]] {
    rows.flatMap { row -> [[String: Any]] in
        var me = row
        me.removeValue(forKey: "children")
        return [me] + flatten(row["children"] as? [[String: Any]] ?? [])
    }
}

/// Starts `unshare ARGS... sleep 30` without --fork and waits until `sleep` has been exec'd.
private func unshareSleep(_ flags: [String]) throws -> Spawned {
    let p = try Spawned(["unshare"] + flags + ["sleep", "30"])
    #expect(poll { cmdline(p.pid) == "sleep 30" }, "unshare did not exec sleep")
    return p
}

/// Starts `unshare --pid --fork --kill-child ... COMMAND` and returns it with the forked child
/// (pid 1 of the new pid namespace) once `ready(child)` holds.
///
/// Its standard error is silenced: `stop()` kills the forked child first (so that unshare reaps
/// it), and util-linux 2.38's unshare, whose child died of SIGKILL, then prints
/// "sigprocmask unblock failed: Invalid argument" on its way out. Readiness is checked by polling,
/// so nothing the test needs is lost.
private func unsharePID(_ command: [String], ready: (pid_t) -> Bool) throws -> (Spawned, pid_t) {
    let p = try Spawned(["unshare", "--pid", "--fork", "--kill-child"] + command, silenceStderr: true)
    var child: pid_t = 0
    let ok = poll {
        guard let c = p.children().first else { return false }
        child = c
        return ready(c)
    }
    #expect(ok, "the pid namespace's init did not start")
    return (p, child)
}

@Suite(.serialized)
struct InspectTests {
    @Test func ownNamespacesMatchProcSelf() throws {
        let entries = try Inspect.namespaces(of: getpid())
        let names = Set(entries.map(\.name))
        for kind in NamespaceKind.allCases { #expect(names.contains(kind.procName)) }
        #expect(names.contains("pid_for_children"))
        for e in entries {
            #expect(statInode("/proc/self/ns/\(e.name)") == e.inode, "\(e.name)")
            #expect(readLink("/proc/self/ns/\(e.name)") == "\(e.kind.procName):[\(e.inode)]")
            #expect(e.forChildren == e.name.hasSuffix("_for_children"))
        }
        let net = try Inspect.namespace(.network, of: getpid())
        #expect(net.description == readLink("/proc/self/ns/net"))
        #expect(entries.first { $0.name == "net" }?.id == net)

        // JSON: the documented shape, parsed by an independent parser.
        let json = Inspect.json(entries, pid: getpid())
        let object = try #require(try parseObject(json))
        #expect((object["pid"] as? NSNumber)?.int32Value == getpid())
        let list = try #require(object["namespaces"] as? [[String: Any]])
        #expect(list.count == entries.count)
        let netRow = try #require(list.first { $0["name"] as? String == "net" })
        #expect(netRow["type"] as? String == "net")
        #expect((netRow["inode"] as? NSNumber)?.uint64Value == net.inode)
        #expect((netRow["device"] as? NSNumber)?.uint64Value == net.device)
        #expect((netRow["for_children"] as? Bool) == false)
    }

    @Test func unsharedNetworkDiffersAndUTSIsShared() throws {
        let p = try unshareSleep(["--net"])
        defer { p.stop() }
        let mine = try Inspect.namespace(.network, of: getpid())
        let theirs = try Inspect.namespace(.network, of: p.pid)
        #expect(mine.inode != theirs.inode)
        #expect(readLink("/proc/\(p.pid)/ns/net") == theirs.description)
        #expect(try Inspect.namespace(.uts, of: p.pid) == Inspect.namespace(.uts, of: getpid()))
        #expect(try !Inspect.shareNamespace(.network, getpid(), p.pid))
        #expect(try Inspect.shareNamespace(.uts, getpid(), p.pid))
        #expect(try Inspect.shareNamespace(.mount, p.pid, p.pid))
        let entries = try Inspect.namespaces(of: p.pid)
        #expect(entries.first { $0.name == "net" }?.inode == theirs.inode)
    }

    @Test func differingNamespacesAreWhatNsenterAllWouldJoin() throws {
        let p = try unshareSleep(["--net", "--uts"])
        defer { p.stop() }
        #expect(try Inspect.differingNamespaces(of: p.pid) == [.network, .uts])
        #expect(try Inspect.differingNamespaces(of: p.pid, among: [.uts, .ipc]) == [.uts])
        #expect(try Inspect.differingNamespaces(of: getpid()).isEmpty)
        #expect { try Inspect.differingNamespaces(of: 0) } throws: { ($0 as? NSCoreError)?.code == .invalidArgument }
        #expect { try Inspect.differingNamespaces(of: 999_999_999) } throws: { ($0 as? NSCoreError)?.code == .processExited }
        #expect(NamespaceKind.network.path(of: p.pid) == "/proc/\(p.pid)/ns/net")
    }

    @Test func namespaceAtPath() throws {
        let p = try unshareSleep(["--net", "--uts"])
        defer { p.stop() }
        let id = try Inspect.namespace(atPath: "/proc/\(p.pid)/ns/net")
        #expect(id.kind == .network)
        #expect(id == (try Inspect.namespace(.network, of: p.pid)))
        let uts = try Inspect.namespace(atPath: "/proc/\(p.pid)/ns/uts")
        #expect(uts.kind == .uts && uts.inode == statInode("/proc/\(p.pid)/ns/uts"))
        #expect(try Inspect.namespace(atPath: "/proc/self/ns/pid_for_children").kind == .pid)

        // A namespace kept by a bind mount, as `ip netns add` does.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inspect-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bound = dir.appendingPathComponent("netns").path
        #expect(FileManager.default.createFile(atPath: bound, contents: nil))
        let mounted = mount("/proc/\(p.pid)/ns/net", bound, nil, UInt(MS_BIND), nil) == 0
        let mountErrno = Errno(rawValue: errno)
        #expect(mounted, "bind mount failed: \(mountErrno)")
        if mounted {
            defer { umount2(bound, Int32(MNT_DETACH)) }
            #expect(try Inspect.namespace(atPath: bound) == id)
        }

        // Files that are not namespaces.
        let plain = dir.appendingPathComponent("plain").path
        #expect(FileManager.default.createFile(atPath: plain, contents: Data("x".utf8)))
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        for path in [plain, fifo, "/proc", "/proc/self/status", "/dev/null"] {
            do {
                _ = try Inspect.namespace(atPath: path)
                Issue.record("\(path) was taken for a namespace")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.message == "\(path) is not a namespace file")
            }
        }
        #expect(throws: NSCoreError.self) { try Inspect.namespace(atPath: dir.appendingPathComponent("missing").path) }
        do {
            _ = try Inspect.namespace(atPath: dir.appendingPathComponent("missing").path)
        } catch {
            #expect(error.code == .notFound)
        }
    }

    @Test func listNamespacesMatchesLsns() throws {
        let p = try unshareSleep(["--net"])
        defer { p.stop() }
        let net = try Inspect.namespace(.network, of: p.pid)

        let before = try lsns()
        let list = try Inspect.listNamespaces()
        let after = try lsns()

        let summary = try #require(list.first { $0.id.kind == .network && $0.inode == net.inode })
        #expect(summary.processCount == 1)
        #expect(summary.lowestPID == p.pid)
        #expect(summary.uid == getuid())
        #expect(summary.command == "sleep 30")
        #expect(summary.parentInode == nil)

        // Same (type, ns) set as lsns. Other tests may start or stop processes meanwhile, so
        // ours must lie between what both lsns runs saw and what either saw.
        let ours = Set(list.map { Pair(type: $0.kind.procName, ns: $0.inode) })
        let both = pairs(before).intersection(pairs(after))
        let either = pairs(before).union(pairs(after))
        #expect(both.isSubset(of: ours), "missing: \(both.subtracting(ours))")
        #expect(ours.isSubset(of: either), "extra: \(ours.subtracting(either))")
        let lsnsRow = try #require(row(after, type: "net", ns: net.inode))
        #expect((lsnsRow["nprocs"] as? NSNumber)?.intValue == summary.processCount)
        #expect((lsnsRow["pid"] as? NSNumber)?.int32Value == summary.lowestPID)
        #expect(lsnsRow["command"] as? String == summary.command)

        // Sorted by kind, then inode; pid namespaces below the root have a parent.
        #expect(list == list.sorted { ($0.kind.rawValue, $0.inode) < ($1.kind.rawValue, $1.inode) })
        // A kind filter lists only those kinds.
        let onlyNet = try Inspect.listNamespaces(kinds: .network)
        #expect(onlyNet.allSatisfy { $0.kind == .network })
        #expect(onlyNet.contains { $0.inode == net.inode && $0.lowestPID == p.pid })
        #expect(try Inspect.listNamespaces(kinds: []).isEmpty)

        // JSON with lsns's key names.
        let object = try #require(try parseObject(Inspect.json(list)))
        let rows = try #require(object["namespaces"] as? [[String: Any]])
        #expect(rows.count == list.count)
        let jsonRow = try #require(row(rows, type: "net", ns: net.inode))
        #expect((jsonRow["nprocs"] as? NSNumber)?.intValue == 1)
        #expect((jsonRow["pid"] as? NSNumber)?.int32Value == p.pid)
        #expect((jsonRow["uid"] as? NSNumber)?.uint32Value == getuid())
        #expect(jsonRow["command"] as? String == "sleep 30")
    }

    @Test func listNamespacesShowsPIDParent() throws {
        let (p, child) = try unsharePID(["sleep", "30"]) { cmdline($0) == "sleep 30" }
        defer { p.stop() }
        let inner = try Inspect.namespace(.pid, of: child)
        let outer = try Inspect.namespace(.pid, of: getpid())
        let list = try Inspect.listNamespaces(kinds: .pid)
        let row = try #require(list.first { $0.inode == inner.inode })
        #expect(row.lowestPID == child && row.processCount == 1)
        #expect(row.parentInode == outer.inode)
        #expect(row.json.contains("\"pns\":\(outer.inode)"))
    }

    @Test func pidChainOfContainerInit() throws {
        let (p, child) = try unsharePID(["sleep", "30"]) { cmdline($0) == "sleep 30" }
        defer { p.stop() }
        let own = try Inspect.pidChain(of: getpid())
        #expect(own.first == getpid())
        let chain = try Inspect.pidChain(of: child)
        #expect(chain.count == own.count + 1)
        #expect(chain.count >= 2)
        #expect(chain.first == child)
        #expect(chain.last == 1)
        // unshare itself stays in our pid namespace, but its children go to the new one.
        #expect(try Inspect.pidChain(of: p.pid).count == own.count)
        let entries = try Inspect.namespaces(of: p.pid)
        let pidForChildren = try #require(entries.first { $0.name == "pid_for_children" })
        #expect(pidForChildren.inode == (try Inspect.namespace(.pid, of: child)).inode)

        let object = try #require(try parseObject(Inspect.json(pidChain: chain, pid: child)))
        #expect((object["pid"] as? NSNumber)?.int32Value == child)
        #expect((object["nspid"] as? [NSNumber])?.map(\.int32Value) == chain)
    }

    @Test func processesInsidePIDNamespace() throws {
        let (p, child) = try unsharePID(["sh", "-c", "sleep 30 & sleep 30"]) { c in
            let all = [c] + childrenOf(c)
            return all.filter { cmdline($0) == "sleep 30" }.count >= 2
        }
        defer { p.stop() }
        let target = try Inspect.namespace(.pid, of: child)
        let list = try Inspect.processes(inPIDNamespaceOf: child)
        let inner = list.map(\.innerPID)
        #expect(inner == [1, 2] || inner == [1, 2, 3], "\(list)")
        #expect(list.first?.outerPID == child)
        #expect(list.filter { $0.command == "sleep 30" }.count == 2)
        for proc in list {
            let chain = try Inspect.pidChain(of: proc.outerPID)
            #expect(chain.last == proc.innerPID)
            #expect(proc.pidNamespace == target.inode)
        }
        // unshare itself is outside.
        #expect(!list.contains { $0.outerPID == p.pid })

        let object = try #require(try parseObject(Inspect.json(list, pidNamespace: target.inode)))
        #expect((object["pid_namespace"] as? NSNumber)?.uint64Value == target.inode)
        let rows = try #require(object["processes"] as? [[String: Any]])
        #expect(rows.map { ($0["pid"] as? NSNumber)?.int32Value } == inner)
        #expect((rows.first?["host_pid"] as? NSNumber)?.int32Value == child)
    }

    @Test func processesIncludeNestedPIDNamespaces() throws {
        // init of A is `unshare`, which makes B with `sleep` as its init.
        let (p, child) = try unsharePID(["unshare", "--pid", "--fork", "--kill-child", "sleep", "30"]) { c in
            childrenOf(c).contains { cmdline($0) == "sleep 30" }
        }
        defer { p.stop() }
        let sleeper = try #require(childrenOf(child).first)
        let a = try Inspect.namespace(.pid, of: child)
        let b = try Inspect.namespace(.pid, of: sleeper)
        #expect(a != b)
        let list = try Inspect.processes(inPIDNamespaceOf: child)
        #expect(list.map(\.outerPID) == [child, sleeper])
        #expect(list.map(\.innerPID) == [1, 2])
        #expect(list.map(\.pidNamespace) == [a.inode, b.inode])
        // Seen from B, only the sleeper, as its pid 1.
        let fromB = try Inspect.processes(inPIDNamespaceOf: sleeper)
        #expect(fromB.map(\.innerPID) == [1] && fromB.first?.outerPID == sleeper)
        // Our own namespace contains everything, ourselves included at our own pid.
        let all = try Inspect.processes(inPIDNamespaceOf: getpid())
        #expect(all.contains { $0.outerPID == getpid() && $0.innerPID == getpid() })
        #expect(all.contains { $0.outerPID == sleeper })
    }

    @Test func badPIDs() throws {
        func expectError(_ code: NSCoreError.Code, naming pid: pid_t, _ body: () throws -> Void,
                         sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                try body()
                Issue.record("no error for pid \(pid)", sourceLocation: sourceLocation)
            } catch let error as NSCoreError {
                #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
                #expect(error.message.contains("\(pid)"), "\(error.message)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            }
        }
        for pid: pid_t in [-1, 0] {
            expectError(.invalidArgument, naming: pid) { _ = try Inspect.namespaces(of: pid) }
            expectError(.invalidArgument, naming: pid) { _ = try Inspect.namespace(.network, of: pid) }
            expectError(.invalidArgument, naming: pid) { _ = try Inspect.pidChain(of: pid) }
            expectError(.invalidArgument, naming: pid) { _ = try Inspect.processes(inPIDNamespaceOf: pid) }
            expectError(.invalidArgument, naming: pid) { _ = try Inspect.shareNamespace(.uts, pid, getpid()) }
        }
        let missing: pid_t = 999_999_999
        expectError(.notFound, naming: missing) { _ = try Inspect.namespaces(of: missing) }
        expectError(.notFound, naming: missing) { _ = try Inspect.namespace(.network, of: missing) }
        expectError(.notFound, naming: missing) { _ = try Inspect.pidChain(of: missing) }
        expectError(.notFound, naming: missing) { _ = try Inspect.processes(inPIDNamespaceOf: missing) }
        expectError(.notFound, naming: missing) { _ = try Inspect.shareNamespace(.uts, getpid(), missing) }
        do {
            _ = try Inspect.namespaces(of: missing)
        } catch {
            #expect(error.message == "no process with pid 999999999")
        }

        // An exited but unreaped process (a zombie) keeps only its pid and user namespaces.
        let z = try Spawned(["true"])
        defer { z.stop() }
        #expect(z.waitUntilZombie())
        expectError(.processExited, naming: z.pid) { _ = try Inspect.namespaces(of: z.pid) }
        expectError(.processExited, naming: z.pid) { _ = try Inspect.namespace(.network, of: z.pid) }
        #expect(try Inspect.namespace(.pid, of: z.pid) == Inspect.namespace(.pid, of: getpid()))
        // Once reaped, the pid names nothing.
        z.reap()
        expectError(.notFound, naming: z.pid) { _ = try Inspect.namespaces(of: z.pid) }
        expectError(.notFound, naming: z.pid) { _ = try Inspect.namespace(.uts, of: z.pid) }
        expectError(.notFound, naming: z.pid) { _ = try Inspect.pidChain(of: z.pid) }
    }

    @Test func jsonEscaping() throws {
        let nasty = "a\"b\\c\n\t\r\u{8}\u{c}\u{1}\u{1f}\u{7f} é ✓ 🐧 </script>"
        let quoted = JSONWriter.quote(nasty)
        #expect(quoted.hasPrefix("\"") && quoted.hasSuffix("\""))
        #expect(!quoted.utf8.contains { $0 < 0x20 })
        #expect(quoted.contains("\\u0001") && quoted.contains("\\u001f") && quoted.contains("\\\""))
        let decoded = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
        #expect(decoded == [nasty])

        var w = JSONWriter()
        w.beginObject()
        w.field("min", Int64.min)
        w.field("max", UInt64.max)
        w.field("zero", 0)
        w.key("list")
        w.beginArray()
        w.value(-5)
        w.value(true)
        w.null()
        w.beginObject()
        w.endObject()
        w.endArray()
        w.endObject()
        let expected = #"{"min":-9223372036854775808,"max":18446744073709551615,"zero":0,"list":[-5,true,null,{}]}"#
        #expect(w.string == expected)

        let summary = NamespaceSummary(id: NamespaceID(kind: .network, inode: 42, device: 4), processCount: 2,
                                       lowestPID: 7, uid: 0, command: "sh -c \"echo\ttab\"")
        let object = try JSONSerialization.jsonObject(with: Data(summary.json.utf8)) as? [String: Any]
        #expect(object?["command"] as? String == "sh -c \"echo\ttab\"")
        #expect(object?["pns"] == nil)
        #expect(summary.description == "42 net 2 7 0 sh -c \"echo\ttab\"")
    }
}
