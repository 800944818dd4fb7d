import Glibc
import Testing

@testable import NSCore

/// A time namespace's clock offsets (OCI `linux.timeOffsets`), read from inside.
@Suite struct TimeOffsetTests {
    static func clocks(_ offsets: TimeOffsets?) throws -> (NSCore.ExitStatus, [Double]) {
        var c = SpawnConfiguration(["python3", "-c", "import time; print(time.clock_gettime(time.CLOCK_MONOTONIC)); print(time.clock_gettime(time.CLOCK_BOOTTIME))"],
                                   namespaces: [.time])
        c.timeOffsets = offsets
        let (s, out) = try T.run(c)
        return (s, out.split(separator: "\n").compactMap { Double($0) })
    }

    static func now(_ clock: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(clock, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    @Test func theClocksAreOffset() throws {
        let day: Int64 = 86_400
        let (s, v) = try Self.clocks(TimeOffsets(monotonic: .init(seconds: 10 * day, nanoseconds: 500_000_000),
                                                 boottime: .init(seconds: 3 * day)))
        #expect(s == .exited(0))
        #expect(v.count == 2)
        if v.count == 2 {
            let mono = Self.now(CLOCK_MONOTONIC), boot = Self.now(CLOCK_BOOTTIME)
            #expect(abs(v[0] - (mono + Double(10 * day) + 0.5)) < 5, "\(v[0]) vs \(mono)")
            #expect(abs(v[1] - (boot + Double(3 * day))) < 5, "\(v[1]) vs \(boot)")
        }
        // A time namespace without offsets reads the host's clocks.
        let (s2, w) = try Self.clocks(nil)
        #expect(s2 == .exited(0))
        if w.count == 2 { #expect(abs(w[0] - Self.now(CLOCK_MONOTONIC)) < 5) }
    }

    @Test func badOffsetsAreNamed() throws {
        func message(_ t: TimeOffsets, _ ns: NamespaceSet = [.time]) -> String {
            var c = SpawnConfiguration(["true"], namespaces: ns)
            c.timeOffsets = t
            do { _ = try Container.spawn(c).wait(); return "spawned" } catch { return error.message }
        }
        #expect(message(TimeOffsets(monotonic: .init(seconds: 1)), [.uts]) == "timeOffsets: needs a new time namespace")
        #expect(message(TimeOffsets(boottime: .init(seconds: 1, nanoseconds: 1_000_000_000))).contains("timeOffsets.boottime.nanosecs is 1000000000"))
        // A clock the offset would make negative: the kernel refuses it, and the step is named.
        let m = message(TimeOffsets(monotonic: .init(seconds: -Int64(Self.now(CLOCK_MONOTONIC)) - 1000)))
        #expect(m.contains("timens_offsets") && m.contains("timeOffsets"), "\(m)")
        #expect(T.children().isEmpty)
    }
}
