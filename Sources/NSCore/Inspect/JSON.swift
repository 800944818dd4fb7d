// A minimal JSON writer for the inspection API (NSCore has no Foundation). It writes UTF-8 bytes
// directly: objects and arrays, string keys, strings, integers, booleans and null. Strings are
// escaped per RFC 8259: quote, backslash and every control character below U+0020 (the common
// ones as \n \t ..., the rest as \u00XX). Swift strings are always valid UTF-8, so the output is
// too. Key order is the order of the calls, so output is stable and diffable.

/// A value that writes itself as one JSON value.
protocol JSONWritable {
    func write(to w: inout JSONWriter)
}

/// Builds one JSON document. Commas are inserted automatically between members.
struct JSONWriter {
    /// The JSON text of `value` alone.
    static func document(_ value: some JSONWritable) -> String {
        var w = JSONWriter()
        value.write(to: &w)
        return w.string
    }

    /// An object whose fields `header` writes, then `key` with the array of `items`:
    /// `{"pid":N,"mounts":[...]}`. `perItem` sizes the buffer.
    static func listDocument<T: JSONWritable>(_ items: [T], key: String, perItem: Int,
                                              header: (inout JSONWriter) -> Void = { _ in }) -> String {
        var w = JSONWriter(capacity: perItem * items.count + 48)
        w.beginObject()
        header(&w)
        w.key(key)
        w.beginArray()
        for item in items { item.write(to: &w) }
        w.endArray()
        w.endObject()
        return w.string
    }

    /// The document so far.
    private(set) var bytes: [UInt8] = []
    /// One entry per open container: whether a member has been written into it yet.
    private var hasMember: [Bool] = []
    /// True right after ``key(_:)``: the next value belongs to that key and takes no comma.
    private var afterKey = false

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// The document as a String.
    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Writes the comma that separates this value from the previous member, if any.
    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        if let last = hasMember.last {
            if last { bytes.append(UInt8(ascii: ",")) }
            hasMember[hasMember.count - 1] = true
        }
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        hasMember.append(false)
    }

    mutating func endObject() {
        hasMember.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        hasMember.append(false)
    }

    mutating func endArray() {
        hasMember.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes an object key; the next call must write its value.
    mutating func key(_ name: String) {
        separate()
        appendEscaped(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    mutating func value(_ s: String) {
        separate()
        appendEscaped(s)
    }

    mutating func value<T: BinaryInteger>(_ n: T) {
        separate()
        appendInteger(n)
    }

    mutating func value(_ b: Bool) {
        separate()
        if b { bytes.append(contentsOf: "true".utf8) } else { bytes.append(contentsOf: "false".utf8) }
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// `"name":value` for the common cases.
    mutating func field(_ name: String, _ s: String) {
        key(name)
        value(s)
    }

    mutating func field<T: BinaryInteger>(_ name: String, _ n: T) {
        key(name)
        value(n)
    }

    mutating func field(_ name: String, _ b: Bool) {
        key(name)
        value(b)
    }

    private mutating func appendInteger<T: BinaryInteger>(_ n: T) {
        if n == 0 {
            bytes.append(0x30)
            return
        }
        // Work in the magnitude so Int.min and UInt64.max both print correctly.
        var m = n.magnitude
        if n < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        while m > 0 {
            bytes.append(UInt8(truncatingIfNeeded: m % 10) + 0x30)
            m /= 10
        }
        bytes[start...].reverse()
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendEscaped(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])  // \"
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])  // \\
            case 0x08: bytes.append(contentsOf: [0x5C, 0x62])  // \b
            case 0x0C: bytes.append(contentsOf: [0x5C, 0x66])  // \f
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])  // \n
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])  // \r
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])  // \t
            case 0x00..<0x20:
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30])  // \u00
                bytes.append(JSONWriter.hex[Int(c >> 4)])
                bytes.append(JSONWriter.hex[Int(c & 0xF)])
            default:
                bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONWriter {
    /// Escapes `s` as a JSON string literal, quotes included.
    static func quote(_ s: String) -> String {
        var w = JSONWriter(capacity: s.utf8.count + 2)
        w.value(s)
        return w.string
    }
}
