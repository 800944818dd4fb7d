import CNSCoreShim
import Glibc

/// nscore-init's command line, built from the spellings in `nsc_init_protocol.h` that init.c
/// parses: the one place where the library writes it.
struct InitCommandLine {
    private(set) var words: [String] = [NSC_INIT_ARGV0]

    /// `-r FD`: join mode, reporting on the memfd `fd`.
    mutating func report(_ fd: Int32) { words += [NSC_INIT_OPT_REPORT, String(fd)] }

    /// `-s FD:FLAGS`: `setns(fd, flags)`, in the order given.
    mutating func setns(_ fd: Int32, _ flags: Int32) {
        words += [NSC_INIT_OPT_SETNS, "\(fd):\(UInt32(bitPattern: flags))"]
    }

    /// `-C DIR`: chdir after the joins.
    mutating func chdir(_ dir: String) { words += [NSC_INIT_OPT_CHDIR, dir] }

    /// `-k SIG`: the command's parent-death signal (join mode).
    mutating func parentDeathSignal(_ signal: Int32) { words += [NSC_INIT_OPT_PDEATHSIG, String(signal)] }

    /// `-t`: the command gets a new session with its stdin (a terminal) as the controlling
    /// terminal.
    mutating func terminal() { words.append(NSC_INIT_OPT_TERMINAL) }

    /// `-i`: init mode (PID 1 that reaps and relays signals).
    mutating func initMode() { words.append(NSC_INIT_OPT_INIT) }

    /// `-- PATH ARGV0 [ARGS...]`: the command; ends the line.
    func command(_ path: String, _ arguments: [String]) -> [String] { words + [NSC_INIT_OPT_END, path] + arguments }

    /// `words` with `-e FD` (the error pipe) right after the program name.
    static func withErrorPipe(_ words: [String], _ fd: Int32) -> [String] {
        [words[0], NSC_INIT_OPT_ERROR_PIPE, String(fd)] + words.dropFirst()
    }
}
