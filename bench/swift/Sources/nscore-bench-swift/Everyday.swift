// Section 12 (everyday use) of the Swift benchmark: many `Container.wait() async` awaited
// together, and `Container.run` capturing a large output.
import CRawLoop
import Glibc
import NSCore

let sectionEveryday = "12. everyday use"

func monotonicSeconds() -> Double { Double(raw_now_ns()) / 1e9 }

/// The `Threads:` line of /proc/self/status.
func threadCount() -> Int {
    guard let f = fopen("/proc/self/status", "r") else { fail("open /proc/self/status") }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), f) != nil {
        let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if text.hasPrefix("Threads:"), let n = Int(text.dropFirst(8).filter { $0.isNumber }) { return n }
    }
    fail("no Threads: line in /proc/self/status")
}

/// Soft RLIMIT_NOFILE up to the hard limit: every pending container holds a pidfd, and every
/// asynchronous wait a duplicate of it, more than the usual soft limit of 1024 for a thousand.
func raiseFileLimit() {
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0 else { fail("getrlimit(RLIMIT_NOFILE)") }
    limit.rlim_cur = limit.rlim_max
    guard setrlimit(resource, &limit) == 0 else { fail("setrlimit(RLIMIT_NOFILE)") }
}

/// One round of the wait benchmark, times in ms: the last completion minus the last spawn; the
/// latest completion after the later of the command's end (its spawn + the sleep) and the last
/// spawn (a wait cannot end before either); the most threads seen during the waits, and before
/// the spawns.
struct WaitRound {
    var last: Double
    var late: Double
    var threads: Int
    var threadsBefore: Int

    init(spawned: [Double], done: [Double], sleep: Double, threads: Int, threadsBefore: Int) {
        let lastSpawn = spawned.max()!
        last = (done.max()! - lastSpawn) * 1e3
        late = zip(spawned, done).map { s, d in d - max(s + sleep, lastSpawn) }.max()! * 1e3
        self.threads = threads
        self.threadsBefore = threadsBefore
    }
}

/// Spawns `n` plain children (no new namespace) running `sleep`, one after the other. They die
/// with this process (kill on parent death), and a dropped handle kills and reaps its child.
func spawnSleepers(_ n: Int, _ sleepArgument: String) -> ([Container], [Double]) {
    var config = SpawnConfiguration(["/bin/sleep", sleepArgument])
    config.stdin = .null
    config.killOnParentDeath = true
    var live: [Container] = []
    var spawned: [Double] = []
    live.reserveCapacity(n)
    for _ in 0..<n {
        do { live.append(try Container.spawn(config)) } catch { fail("spawn sleep: \(error)") }
        spawned.append(monotonicSeconds())
    }
    return (live, spawned)
}

/// The subject: all of them awaited together, one child task per container, each calling
/// `try await container.wait()`.
func asyncRound(_ n: Int, _ sleepArgument: String, _ sleep: Double) async -> WaitRound {
    let before = threadCount()
    let (live, spawned) = spawnSleepers(n, sleepArgument)
    let sampler = Task {
        var peak = before
        while !Task.isCancelled {
            peak = max(peak, threadCount())
            try? await Task.sleep(for: .milliseconds(10))
        }
        return peak
    }
    var done = [Double](repeating: 0, count: n)
    await withTaskGroup(of: (Int, Double, ExitStatus?).self) { group in
        for (i, c) in live.enumerated() {
            group.addTask {
                let status = try? await c.wait()
                return (i, monotonicSeconds(), status)
            }
        }
        for await (i, t, status) in group {
            if status != .exited(0) { fail("sleep \(i): \(String(describing: status))") }
            done[i] = t
        }
    }
    sampler.cancel()
    let peak = await sampler.value
    return WaitRound(spawned: spawned, done: done, sleep: sleep, threads: peak, threadsBefore: before)
}

/// The baseline: the same containers waited for with the blocking `wait()`, in spawn order, on
/// one thread (the thread count is read every 50 waits).
func blockingRound(_ n: Int, _ sleepArgument: String, _ sleep: Double) -> WaitRound {
    let before = threadCount()
    let (live, spawned) = spawnSleepers(n, sleepArgument)
    var done = [Double](repeating: 0, count: n)
    var peak = before
    for (i, c) in live.enumerated() {
        let status = try? c.wait()
        if status != .exited(0) { fail("sleep \(i): \(String(describing: status))") }
        done[i] = monotonicSeconds()
        if i % 50 == 0 { peak = max(peak, threadCount()) }
    }
    return WaitRound(spawned: spawned, done: done, sleep: sleep, threads: peak, threadsBefore: before)
}

/// Runs `body` on the concurrency runtime and blocks the calling (main) thread until it is done.
func runBlocking(_ body: @escaping @Sendable () async -> Void) {
    nonisolated(unsafe) let finished = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    sem_init(finished, 0, 0)
    Task.detached {
        await body()
        sem_post(finished)
    }
    while sem_wait(finished) != 0 {}
    sem_destroy(finished)
    finished.deallocate()
}

func asyncWaitBenchmark(rounds: Int, containers n: Int, sleepArgument: String) {
    guard let sleep = Double(sleepArgument) else { fail("--sleep \(sleepArgument) is not a number") }
    raiseFileLimit()
    runBlocking {
        // Warm-up: starts the nscore-wait poller and the runtime's threads.
        _ = await asyncRound(min(n, 20), sleepArgument, sleep)
        _ = blockingRound(min(n, 20), sleepArgument, sleep)
        var subj: [WaitRound] = []
        var base: [WaitRound] = []
        for r in 0..<rounds {
            if r % 2 == 0 {
                subj.append(await asyncRound(n, sleepArgument, sleep))
                base.append(blockingRound(n, sleepArgument, sleep))
            } else {
                base.append(blockingRound(n, sleepArgument, sleep))
                subj.append(await asyncRound(n, sleepArgument, sleep))
            }
        }
        let what = "\(n) Container.spawn(sleep \(sleepArgument)), then a task group of try await wait()"
        let baseline = "the same containers, blocking wait() in spawn order on one thread"
        let params = "\"containers\":\(n),\"sleep_s\":\(sleep),\"namespaces\":\"no new namespace\""
        emit(
            id: "everyday.async.swift.last", section: sectionEveryday,
            subject: "Swift: \(what): last completion - last spawn", baseline: baseline,
            subj: subj.map(\.last), base: base.map(\.last), params: params, unit: "ms")
        emit(
            id: "everyday.async.swift.late", section: sectionEveryday,
            subject: "Swift, the same: latest completion - max(its spawn + \(sleepArgument) s, last spawn)",
            baseline: baseline, subj: subj.map(\.late), base: base.map(\.late), params: params, unit: "ms")
        emit(
            id: "everyday.async.swift.threads", section: sectionEveryday,
            subject: "Swift, the same: most threads during the waits",
            baseline: "threads of the process before the spawns",
            subj: subj.map { Double($0.threads) }, base: subj.map { Double($0.threadsBefore) },
            params: params + ",\"ratio\":false", unit: "threads")
    }
}

/// `Container.run` of `head -c SIZE /dev/zero` (stdout and stderr captured) against
/// bench/c/rawcapture.c doing the same with posix_spawn, in MiB/s over `batch` runs per round.
func captureBenchmark(rounds: Int, batch: Int, mib: Int) {
    let size = mib << 20
    let head = access("/usr/bin/head", X_OK) == 0 ? "/usr/bin/head" : "/bin/head"
    let arguments = [head, "-c", String(size), "/dev/zero"]
    let config = SpawnConfiguration(arguments)
    func nscoreRun() {
        do {
            let r = try Container.run(config)
            if r.status != .exited(0) || r.stdout.count != size { fail("head: \(r.status), \(r.stdout.count) bytes") }
        } catch {
            fail("Container.run: \(error)")
        }
    }
    var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for p in cArguments { free(p) } }
    func rawRun() {
        var bytes = 0
        let dt = cArguments.withUnsafeMutableBufferPointer { raw_capture($0.baseAddress!, &bytes) }
        if dt < 0 || bytes != size { fail("raw capture: \(dt), \(bytes) bytes") }
    }
    func rate(_ body: () -> Void) -> Double {
        let t0 = raw_now_ns()
        for _ in 0..<batch { body() }
        return Double(mib * batch) / (Double(raw_now_ns() - t0) / 1e9)
    }
    nscoreRun()
    rawRun()
    let r = rotate(rounds, [{ rate(nscoreRun) }, { rate(rawRun) }])
    emit(
        id: "everyday.capture.swift", section: sectionEveryday,
        subject: "Swift Container.run(head -c \(mib) MiB), stdout and stderr captured",
        baseline: "posix_spawn + poll/read loop into a doubling buffer (C, bench/c/rawcapture.c, in this process)",
        subj: r[0], base: r[1], params: "\"mib\":\(mib),\"batch\":\(batch),\"namespaces\":\"no new namespace\"",
        unit: "MiB/s", better: "higher")
}
