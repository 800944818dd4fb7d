import Glibc

/// An immutable list of C strings in one allocation: a NULL-terminated array of pointers,
/// followed by the NUL-terminated bytes they point to.
///
/// ``SpawnConfiguration`` and ``JoinConfiguration`` keep argv and the environment in this form:
/// converted once, when they are set, then handed to the child as they are, so that a spawn
/// copies no string. The spawn path also makes no Swift `String` or `Array` for them, which is
/// what keeps a short `nscore run` small (DESIGN.md: the CLI is part of the fast path).
final class CStringList: @unchecked Sendable {
    /// The number of strings.
    let count: Int
    /// `count` pointers and a NULL; read-only after init.
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    /// The index of the first string given as a Swift `String` that contained a NUL byte (it is
    /// cut there in the list), for validation to report; nil when none did.
    let firstNULIndex: Int?

    private init(count: Int, bytes: Int, fill: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                                                UnsafeMutablePointer<CChar>) -> Int?) {
        let table = (count + 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride
        let block = malloc(table + max(bytes, 1))!
        self.count = count
        pointers = block.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: count + 1)
        firstNULIndex = fill(pointers, (block + table).bindMemory(to: CChar.self, capacity: max(bytes, 1)))
        pointers[count] = nil
    }

    deinit { free(UnsafeMutableRawPointer(pointers)) }

    /// A copy of `strings`.
    convenience init(_ strings: [String]) {
        var bytes = 0
        for s in strings { bytes += s.utf8.count + 1 }
        self.init(count: strings.count, bytes: bytes) { table, data in
            var cursor = data
            var nul: Int? = nil
            for i in 0..<strings.count {
                var s = strings[i]
                let n = s.withUTF8 { buffer -> Int in
                    if let base = buffer.baseAddress { memcpy(cursor, base, buffer.count) }
                    return buffer.count
                }
                if nul == nil, memchr(cursor, 0, n) != nil { nul = i }
                cursor[n] = 0
                table[i] = cursor
                cursor += n + 1
            }
            return nul
        }
    }

    /// A copy of `count` C strings, or of a NULL-terminated array when `count` is nil.
    convenience init(copying source: UnsafePointer<UnsafeMutablePointer<CChar>?>, count: Int? = nil) {
        var n = 0
        var bytes = 0
        while count.map({ n < $0 }) ?? (source[n] != nil) {
            bytes += strlen(source[n]!) + 1
            n += 1
        }
        self.init(count: n, bytes: bytes) { table, data in
            var cursor = data
            for i in 0..<n {
                let length = strlen(source[i]!) + 1
                memcpy(cursor, source[i]!, length)
                table[i] = cursor
                cursor += length
            }
            return nil
        }
    }

    /// The string at `index` (0 ..< count).
    subscript(index: Int) -> UnsafePointer<CChar> { UnsafePointer(pointers[index]!) }

    /// The list as Swift strings.
    var strings: [String] {
        var out: [String] = []
        out.reserveCapacity(count)
        for i in 0..<count { out.append(String(cString: self[i])) }
        return out
    }

    /// The value of the first `NAME=value` entry for `name` (given with its `=`, e.g. "PATH=").
    func value(of nameWithEquals: StaticString) -> UnsafePointer<CChar>? {
        let n = nameWithEquals.utf8CodeUnitCount
        let name = UnsafeRawPointer(nameWithEquals.utf8Start).assumingMemoryBound(to: CChar.self)
        for i in 0..<count where strncmp(self[i], name, n) == 0 {
            return self[i] + n
        }
        return nil
    }

    /// The index of the first entry without a `=`.
    var firstNonAssignment: Int? {
        for i in 0..<count where strchr(self[i], Int32(UInt8(ascii: "="))) == nil { return i }
        return nil
    }

    static let empty = CStringList([])
}
