import Glibc
import NSCore

// Writing to stdout/stderr with write(2) (no stdio buffers to flush or to duplicate across a
// fork), aligned tables like lsns prints, uid -> user name, and the exit codes.

enum Output {
    /// Writes `text` to standard output.
    static func out(_ text: String) { write(1, text) }

    /// Writes `text` to standard error.
    static func err(_ text: String) { write(2, text) }

    private static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return  // A closed stdout (EPIPE, EBADF): nothing useful left to do.
                }
                offset += n
            }
        }
    }
}

/// Exit codes, as docker and podman use them for `run`/`exec`.
enum ExitCode {
    /// The command line was wrong.
    static let usage: Int32 = 2
    /// An inspection command failed.
    static let failure: Int32 = 1
    /// nscore itself failed to create or join the container, or to persist or unpersist a
    /// namespace.
    static let runtimeFailed: Int32 = 125
    /// The command exists but cannot be executed.
    static let notExecutable: Int32 = 126
    /// The command was not found.
    static let notFound: Int32 = 127

    /// The exit code for an error thrown by spawn or join: 127 for a command that does not
    /// exist, 126 for one that cannot be executed, else 125.
    static func forSpawnError(_ error: NSCoreError) -> Int32 {
        guard error.isCommandFailure else { return runtimeFailed }
        if error.code == .notFound { return notFound }
        if error.code == .permissionDenied { return notExecutable }
        return runtimeFailed
    }
}

/// A table printed with aligned columns; the last column is not padded.
struct Table {
    enum Alignment { case left, right }

    let headers: [String]
    let alignments: [Alignment]
    private(set) var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func append(_ row: [String]) { rows.append(row.map(Table.printable)) }

    /// The table as text, one line per row, headers first.
    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in [headers] + rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                let last = i == row.count - 1
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                if alignments[i] == .right {
                    line += pad + cell
                } else {
                    line += last ? cell : cell + pad
                }
                if !last { line += " " }
            }
            out += line + "\n"
        }
        return out
    }

    /// Control characters (a newline in a command line) would break the columns: show `?`.
    private static func printable(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return s }
        return String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : $0 }))
    }
}

/// uid -> user name through getpwuid_r(3), cached; the number when there is no passwd entry.
struct UserNames {
    private var cache: [uid_t: String] = [:]

    mutating func name(_ uid: uid_t) -> String {
        if let known = cache[uid] { return known }
        let name = UserNames.lookup(uid) ?? String(uid)
        cache[uid] = name
        return name
    }

    private static func lookup(_ uid: uid_t) -> String? {
        var size = 1024
        while size <= 1 << 20 {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>? = nil
            var buffer = [CChar](repeating: 0, count: size)
            // pw_name points into `buffer`: read it while the buffer is pinned.
            let (rc, name): (Int32, String?) = buffer.withUnsafeMutableBufferPointer { b in
                let rc = getpwuid_r(uid, &entry, b.baseAddress!, b.count, &result)
                guard rc == 0, result != nil, let p = entry.pw_name else { return (rc, nil) }
                return (rc, String(cString: p))
            }
            if rc == ERANGE {
                size *= 4
                continue
            }
            return name
        }
        return nil
    }
}
