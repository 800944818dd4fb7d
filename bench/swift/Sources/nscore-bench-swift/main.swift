// The Swift-API benchmarks: `Container.spawn` and `Container.join` against the raw loops of
// bench/c/rawloop.c (linked into this program), interleaved round by round; for section 12,
// `Container.wait() async` over many containers against blocking waits, and `Container.run`
// capturing a large output against bench/c/rawcapture.c.
//
//   nscore-bench-swift spawn   --rounds R --batch N [--modes a,b,c]
//   nscore-bench-swift join    --rounds R --batch N
//   nscore-bench-swift async   --rounds R --containers N [--sleep S]
//   nscore-bench-swift capture --rounds R --batch N --mib M
//
// Prints one JSON line per result (see bench/c/benchutil.h).
import CRawLoop
import Glibc
import NSCore

let truePath = "/bin/true"

struct Mode {
    let letter: String
    let name: String
    let namespaces: NamespaceSet
    let mapRoot: Bool
}

let modes: [String: Mode] = [
    "a": Mode(letter: "a", name: "no new namespace", namespaces: [], mapRoot: false),
    "b": Mode(
        letter: "b", name: "pid+ipc+uts+mnt+net", namespaces: [.pid, .ipc, .uts, .mount, .network], mapRoot: false),
    "c": Mode(letter: "c", name: "all eight (user, root mapped)", namespaces: .all, mapRoot: true),
]

func fail(_ message: String) -> Never {
    let line = "nscore-bench-swift: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(1)
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}

func emit(
    id: String, section: String, subject: String, baseline: String, subj: [Double], base: [Double], params: String,
    unit: String = "us/op", better: String = "lower"
) {
    func arr(_ v: [Double]) -> String { "[" + v.map { String($0) }.joined(separator: ",") + "]" }
    print(
        "{\"id\":\(jsonString(id)),\"section\":\(jsonString(section)),\"subject\":\(jsonString(subject)),"
            + "\"baseline\":\(jsonString(baseline)),\"unit\":\(jsonString(unit)),\"better\":\(jsonString(better)),"
            + "\"subject_samples\":\(arr(subj)),\"baseline_samples\":\(arr(base)),\"params\":{\(params)}}")
    fflush(nil)
}

func usPerOp(_ n: Int, _ body: () -> Void) -> Double {
    let t0 = raw_now_ns()
    for _ in 0..<n { body() }
    return Double(raw_now_ns() - t0) / Double(n) / 1e3
}

func rawBatch(_ ns: UInt32, _ n: Int) -> Double {
    let dt = raw_spawn_batch(ns, truePath, Int32(n))
    if dt < 0 { fail("raw spawn (ns \(ns)): errno \(-dt)") }
    return Double(dt) / Double(n) / 1e3
}

/// Runs every function once per round, the order rotating from round to round.
func rotate(_ rounds: Int, _ fns: [() -> Double]) -> [[Double]] {
    var out = Array(repeating: [Double](), count: fns.count)
    for r in 0..<rounds {
        for k in 0..<fns.count {
            let i = (k + r) % fns.count
            out[i].append(fns[i]())
        }
    }
    return out
}

/// The raw loop run by a small C process (bench/c/rawonce.c), which prints its own time in ns.
let rawOnce: String = {
    guard let p = getenv("NSBENCH_RAWONCE") else { fail("NSBENCH_RAWONCE is not set") }
    return String(cString: p)
}()

func smallC(_ arguments: [String], _ n: Int) -> Double {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { fail("pipe") }
    var config = SpawnConfiguration([rawOnce] + arguments)
    config.stdout = .fd(fds[1])
    let child: Container
    do { child = try Container.spawn(config) } catch { fail("spawn rawonce: \(error)") }
    close(fds[1])
    var text = ""
    var buf = [UInt8](repeating: 0, count: 64)
    while true {
        let k = read(fds[0], &buf, buf.count)
        if k <= 0 { break }
        text += String(decoding: buf[0..<k], as: UTF8.self)
    }
    close(fds[0])
    guard (try? child.wait()) == .exited(0), let ns = Double(text.filter { $0.isNumber }) else {
        fail("rawonce \(arguments) failed")
    }
    return ns / Double(n) / 1e3
}

func spawnWait(_ config: SpawnConfiguration) {
    do {
        let c = try Container.spawn(config)
        let status = try c.wait()
        if status != .exited(0) { fail("/bin/true \(status)") }
    } catch {
        fail("Container.spawn: \(error)")
    }
}

// ---- arguments ---------------------------------------------------------------------------------

var args = CommandLine.arguments.dropFirst()
guard let command = args.popFirst() else { fail("usage: nscore-bench-swift spawn|join [options]") }
var rounds = 5
var batch = 10
var modeList = "a,b,c"
var containers = 100
var sleepArgument = "0.2"
var mib = 16
while let key = args.popFirst() {
    guard let value = args.popFirst() else { fail("\(key) needs a value") }
    switch key {
    case "--rounds": rounds = Int(value) ?? rounds
    case "--batch": batch = Int(value) ?? batch
    case "--modes": modeList = value
    case "--containers": containers = Int(value) ?? containers
    case "--sleep": sleepArgument = value
    case "--mib": mib = Int(value) ?? mib
    default: fail("unknown option \(key)")
    }
}
// Die with our parent (run.sh's timeout), so that nothing outlives a killed run.
raw_die_with_parent()

switch command {
case "spawn":
    for letter in modeList.split(separator: ",").map(String.init) {
        guard let m = modes[letter] else { fail("unknown mode \(letter)") }
        var config = SpawnConfiguration([truePath], namespaces: m.namespaces)
        config.mapRootUser = m.mapRoot
        let ns = m.namespaces.rawValue
        _ = rawBatch(ns, batch / 4 + 1)
        _ = smallC(["--batch", String(batch / 4 + 1), letter], batch / 4 + 1)
        _ = usPerOp(batch / 4 + 1) { spawnWait(config) }
        let r = rotate(
            rounds,
            [
                { usPerOp(batch) { spawnWait(config) } },
                { smallC(["--batch", String(batch), letter], batch) },
                { rawBatch(ns, batch) },
            ])
        let params = "\"mode\":\"\(letter)\",\"namespaces\":\"\(m.name)\",\"batch\":\(batch)"
        emit(
            id: "spawn.swift.\(letter)", section: "1. spawn /bin/true + wait, in-process",
            subject: "Swift Container.spawn",
            baseline: "raw clone3 loop (small C process)", subj: r[0], base: r[1], params: params)
        emit(
            id: "spawn.swift.\(letter).inproc", section: "1. spawn /bin/true + wait, in-process",
            subject: "Swift Container.spawn",
            baseline: "raw clone3 loop (C, in this Swift process)", subj: r[0], base: r[2], params: params)
    }
case "join":
    var targetConfig = SpawnConfiguration(["/bin/sleep", "100000"], namespaces: modes["b"]!.namespaces)
    targetConfig.stdin = .null
    targetConfig.killOnParentDeath = true
    let target: Container
    do { target = try Container.spawn(targetConfig) } catch { fail("spawn the join target: \(error)") }
    var j = raw_join()
    let rc = raw_join_open(&j, target.pid)
    if rc < 0 { fail("raw_join_open: errno \(-rc)") }
    let joinConfig = JoinConfiguration(target: .process(target.pid), [truePath])
    func joinWait() {
        do {
            let c = try Container.join(joinConfig)
            let status = try c.wait()
            if status != .exited(0) { fail("joined /bin/true \(status)") }
        } catch {
            fail("Container.join: \(error)")
        }
    }
    func rawJoin(_ n: Int) -> Double {
        let dt = withUnsafePointer(to: &j) { raw_join_batch($0, truePath, Int32(n)) }
        if dt < 0 { fail("raw join: errno \(-dt)") }
        return Double(dt) / Double(n) / 1e3
    }
    _ = rawJoin(batch / 4 + 1)
    _ = smallC(["--join", String(batch / 4 + 1), String(target.pid)], batch / 4 + 1)
    _ = usPerOp(batch / 4 + 1, joinWait)
    let r = rotate(
        rounds,
        [
            { usPerOp(batch, joinWait) },
            { smallC(["--join", String(batch), String(target.pid)], batch) },
            { rawJoin(batch) },
        ])
    let params = "\"target\":\"pid+ipc+uts+mnt+net\",\"batch\":\(batch)"
    emit(
        id: "join.swift", section: "2. join a running container + /bin/true", subject: "Swift Container.join",
        baseline: "raw setns+clone loop (small C process)", subj: r[0], base: r[1], params: params)
    emit(
        id: "join.swift.inproc", section: "2. join a running container + /bin/true", subject: "Swift Container.join",
        baseline: "raw setns+clone loop (C, in this Swift process)", subj: r[0], base: r[2], params: params)
    raw_join_close(&j)
    _ = try? target.stop(timeout: .seconds(1))
case "async":
    asyncWaitBenchmark(rounds: rounds, containers: containers, sleepArgument: sleepArgument)
case "capture":
    captureBenchmark(rounds: rounds, batch: batch, mib: mib)
default:
    fail("unknown benchmark \(command)")
}
