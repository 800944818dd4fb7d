// A small, strict JSON parser (RFC 8259) for reading OCI runtime-spec fragments such as a
// `linux.seccomp` profile. NSCore has no Foundation; the writer is Inspect/JSON.swift.
//
// Strict means: one value and nothing but whitespace (space, tab, CR, LF) after it; no comments,
// trailing commas, NaN/Infinity, leading zeros, single quotes or unescaped control characters;
// every \u escape must be well formed and surrogates must come in pairs; the input must be valid
// UTF-8; object keys must be unique. Nesting is limited to 512 arrays/objects.
//
// The parser walks the UTF-8 bytes through an UnsafeBufferPointer (one non-generic code path for
// every input collection). It does not recurse: open arrays and objects live on explicit stacks,
// so its stack use is the same at any depth and it is safe on small-stack threads of an embedding
// process. Strings without escapes become a String straight from their byte slice; line and
// column are computed only when an error is thrown.
//
// The decoding helpers at the end of the file (`value.uint64(at: path)`, `object.member(_:at:)`,
// `object.rejectUnknown(keys:at:)`) turn a JSONValue into typed configuration and report where a
// bad value is with a path such as `syscalls[3].args[0].op`; JSONPath builds those paths.

/// A parsed JSON value.
enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The deepest nesting of arrays and objects that `parse` accepts; deeper input is an error.
    /// (The parser itself does not recurse, but destroying or comparing a tree of values does.)
    static let maximumDepth = 512

    /// Parses one JSON document from its UTF-8 bytes.
    ///
    /// - Parameter bytes: The whole document. Contiguous collections (`[UInt8]`, `ArraySlice`,
    ///   `String.UTF8View`) are read in place; any other collection is copied once.
    /// - Throws: ``JSONParseError`` with the byte offset, line and column of the first problem.
    static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        // Only this wrapper is generic: the parser itself runs on one buffer type.
        if let result = bytes.withContiguousStorageIfAvailable({ JSONParser.parse($0) }) {
            return try result.get()
        }
        return try Array(bytes).withUnsafeBufferPointer { JSONParser.parse($0) }.get()
    }

    /// Parses one JSON document from a string.
    ///
    /// - Throws: ``JSONParseError``.
    static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(text.utf8)
    }

    /// "null", "a boolean", "a number", "a string", "an array" or "an object", for messages.
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON number, kept as its literal text so that no precision is lost before the caller picks
/// a type. Two numbers are equal when their literals are (`1.0` and `1` differ).
struct JSONNumber: Equatable, Sendable, CustomStringConvertible {
    /// The literal exactly as it appeared in the document, e.g. `-12`, `0.5`, `1e3`.
    let text: String

    /// Wraps a literal the parser has already checked against the grammar.
    fileprivate init(validated text: String) { self.text = text }

    /// A number from its JSON literal, or nil if `text` is not exactly one (no whitespace,
    /// no leading `+`, no leading zeros).
    init?(_ text: String) {
        guard case .number(let n)? = try? JSONValue.parse(text), n.text == text else { return nil }
        self = n
    }

    var description: String { text }

    /// True when the literal has no fraction and no exponent. `1.0` and `1e3` are not integers:
    /// the accessors below never round.
    var isInteger: Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }
    }

    /// True when the literal starts with a minus sign (including `-0`).
    var isNegative: Bool { text.utf8.first == UInt8(ascii: "-") }

    /// The value, if the literal is an integer in `Int64.min...Int64.max`; `-0` is 0.
    var int64: Int64? {
        guard let (negative, m) = magnitude else { return nil }
        if negative {
            // 0 &- m wraps to the two's complement, which is exact up to m == 2^63 (Int64.min).
            return m <= UInt64(1) << 63 ? Int64(truncatingIfNeeded: 0 &- m) : nil
        }
        return m <= UInt64(Int64.max) ? Int64(m) : nil
    }

    /// The value, if the literal is an integer in `0...UInt64.max`; `-0` is 0.
    var uint64: UInt64? {
        guard let (negative, m) = magnitude else { return nil }
        return negative && m != 0 ? nil : m
    }

    /// The nearest Double; literals beyond its range give ±infinity or ±0.
    var double: Double { Double(text) ?? .nan }

    /// Sign and magnitude of an integer literal; nil for a fraction, an exponent or more than
    /// UInt64.max.
    private var magnitude: (negative: Bool, value: UInt64)? {
        var negative = false
        var value: UInt64 = 0
        for b in text.utf8 {
            if b == UInt8(ascii: "-") {
                negative = true
                continue
            }
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(b &- UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        return (negative, value)
    }
}

/// A JSON object: its members in document order, with unique keys.
///
/// Lookup is a linear scan, which is the fast choice for the handful of keys a configuration
/// object has. Equality ignores member order, as JSON does.
struct JSONObject: Equatable, Sendable {
    struct Member: Equatable, Sendable {
        var key: String
        var value: JSONValue
    }

    /// The members in the order they appeared.
    private(set) var members: [Member]

    /// An object with these members; the keys must be unique (a duplicate is a programming error).
    init(_ members: [Member] = []) {
        for (i, m) in members.enumerated() {
            precondition(!members[..<i].contains { $0.key == m.key }, "duplicate JSON key \(m.key)")
        }
        self.members = members
    }

    /// For the parser, which has already rejected duplicates.
    fileprivate init(unique members: [Member]) { self.members = members }

    /// The value of member `key`, or nil if there is none.
    subscript(key: String) -> JSONValue? {
        for m in members where m.key == key { return m.value }
        return nil
    }

    var keys: [String] { members.map(\.key) }
    var count: Int { members.count }
    var isEmpty: Bool { members.isEmpty }

    static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.members.count == b.members.count else { return false }
        if a.members == b.members { return true }
        // Keys are unique and the counts match, so one-way containment is enough.
        return a.members.allSatisfy { b[$0.key] == $0.value }
    }
}

/// Why a document is not valid JSON, and where.
struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset of the problem in the input (the input's length for "unexpected end").
    var offset: Int
    /// 1-based line; lines end at LF.
    var line: Int
    /// 1-based column in Unicode scalars from the start of the line.
    var column: Int
    /// What is wrong, e.g. "expected ',' or '}' after an object member, found '\"'".
    var message: String

    /// "line 3, column 14: expected ',' or '}' after an object member, found '\"'".
    var description: String { "line \(line), column \(column): \(message)" }
}

// MARK: - Parser

private struct JSONParser {
    private let input: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// Reused buffer for strings that contain escapes.
    private var scratch: [UInt8] = []
    /// Elements and members of the open containers, innermost last. A container's values are
    /// collected here and moved into an array of exactly the right size when it closes, instead
    /// of growing an array per container by repeated reallocation.
    private var elementStack: [JSONValue] = []
    private var memberStack: [JSONObject.Member] = []

    private init(_ input: UnsafeBufferPointer<UInt8>) { self.input = input }

    static func parse(_ input: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(input)
        do throws(JSONParseError) {
            parser.skipWhitespace()
            let value = try parser.value()
            parser.skipWhitespace()
            guard parser.index == input.count else { throw parser.expected("end of input after the value") }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    // MARK: Errors

    /// An error at `offset`; line and column are counted here, only on failure.
    private func fail(_ message: String, at offset: Int) -> JSONParseError {
        var line = 1
        var column = 1
        for i in 0..<offset {
            let b = input[i]
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {  // not a UTF-8 continuation byte: a new scalar
                column += 1
            }
        }
        return JSONParseError(offset: offset, line: line, column: column, message: message)
    }

    /// "expected X, found 'c'" at the current byte, or "unexpected end of input; expected X".
    private func expected(_ what: String) -> JSONParseError {
        guard index < input.count else { return fail("unexpected end of input; expected \(what)", at: index) }
        return fail("expected \(what), found \(Self.describe(input[index]))", at: index)
    }

    /// `'c'` for printable ASCII (`"'"` for the apostrophe), otherwise `byte 0xNN`.
    private static func describe(_ b: UInt8) -> String {
        if b == UInt8(ascii: "'") { return "\"'\"" }
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(hex(UInt32(b), digits: 2))"
    }

    private static func hex(_ v: UInt32, digits: Int) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }

    // MARK: Values

    private mutating func skipWhitespace() {
        while index < input.count {
            switch input[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func hasPrefix(_ word: String) -> Bool {
        var i = index
        for w in word.utf8 {
            guard i < input.count, input[i] == w else { return false }
            i += 1
        }
        return true
    }

    /// An array or object whose closing bracket has not been reached yet.
    private struct Container {
        var isObject: Bool
        /// Where its elements (or members) start on `elementStack` (or `memberStack`). An object's
        /// last member there is the one whose value is being parsed, with `null` until it is known.
        var base: Int
        /// Object: its keys, once it has too many members for a linear duplicate check.
        var keys: Set<String>? = nil
    }

    /// One value and everything nested in it, without recursion: an opening bracket pushes a
    /// Container, and each complete value is added to the innermost one, which may then close
    /// and be complete in turn.
    private mutating func value() throws(JSONParseError) -> JSONValue {
        var open: [Container] = []
        nextValue: while true {
            var value: JSONValue
            guard index < input.count else { throw expected("a value") }
            switch input[index] {
            case UInt8(ascii: "["):
                try enter(depth: open.count)
                guard index < input.count && input[index] == UInt8(ascii: "]") else {
                    open.append(Container(isObject: false, base: elementStack.count))
                    continue nextValue
                }
                index += 1
                value = .array([])
            case UInt8(ascii: "{"):
                try enter(depth: open.count)
                guard index < input.count && input[index] == UInt8(ascii: "}") else {
                    open.append(Container(isObject: true, base: memberStack.count))
                    try memberKey(&open[open.count - 1])
                    continue nextValue
                }
                index += 1
                value = .object(JSONObject(unique: []))
            default:
                value = try scalar()
            }
            while !open.isEmpty {
                let top = open.count - 1
                skipWhitespace()
                if open[top].isObject {
                    memberStack[memberStack.count - 1].value = consume value
                    guard index < input.count else { throw expected("',' or '}' after an object member") }
                    switch input[index] {
                    case UInt8(ascii: ","):
                        try comma(before: UInt8(ascii: "}"))
                        try memberKey(&open[top])
                        continue nextValue
                    case UInt8(ascii: "}"):
                        index += 1
                        let members = Self.pop(&memberStack, from: open[top].base, leaving: emptyMember)
                        value = .object(JSONObject(unique: members))
                        open.removeLast()
                    default:
                        throw expected("',' or '}' after an object member")
                    }
                } else {
                    elementStack.append(consume value)
                    guard index < input.count else { throw expected("',' or ']' after an array element") }
                    switch input[index] {
                    case UInt8(ascii: ","):
                        try comma(before: UInt8(ascii: "]"))
                        continue nextValue
                    case UInt8(ascii: "]"):
                        index += 1
                        value = .array(Self.pop(&elementStack, from: open[top].base, leaving: .null))
                        open.removeLast()
                    default:
                        throw expected("',' or ']' after an array element")
                    }
                }
            }
            return value
        }
    }

    /// Steps over an opening bracket and the whitespace after it; `depth` containers are open.
    private mutating func enter(depth: Int) throws(JSONParseError) {
        if depth >= JSONValue.maximumDepth {
            throw fail("nesting is deeper than \(JSONValue.maximumDepth) levels", at: index)
        }
        index += 1
        skipWhitespace()
    }

    /// Steps over a ',' and the whitespace after it; `close` right after it is a trailing comma.
    private mutating func comma(before close: UInt8) throws(JSONParseError) {
        let comma = index
        index += 1
        skipWhitespace()
        if index < input.count && input[index] == close {
            throw fail("trailing comma before '\(Character(Unicode.Scalar(close)))'", at: comma)
        }
    }

    /// Parses `"key":` and the whitespace after it for `object`, rejecting a repeated key, and
    /// pushes the member with a `null` value for now.
    private mutating func memberKey(_ object: inout Container) throws(JSONParseError) {
        guard index < input.count && input[index] == UInt8(ascii: "\"") else { throw expected("a string key") }
        let keyStart = index
        let key = try string()
        // A scan is fastest for the few keys configuration objects have; past 16, a set.
        let duplicate: Bool
        if object.keys != nil {
            duplicate = !object.keys!.insert(key).inserted
        } else if memberStack.count - object.base >= 16 {
            object.keys = Set(memberStack[object.base...].lazy.map(\.key))
            duplicate = !object.keys!.insert(key).inserted
        } else {
            duplicate = memberStack[object.base...].contains { $0.key == key }
        }
        if duplicate { throw fail("duplicate key \(JSONWriter.quote(key))", at: keyStart) }
        skipWhitespace()
        guard index < input.count && input[index] == UInt8(ascii: ":") else {
            throw expected("':' after an object key")
        }
        index += 1
        skipWhitespace()
        memberStack.append(JSONObject.Member(key: key, value: .null))
    }

    /// A string, number or literal at the current byte.
    private mutating func scalar() throws(JSONParseError) -> JSONValue {
        switch input[index] {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "/"):
            throw fail("comments are not allowed in JSON", at: index)
        case UInt8(ascii: "'"):
            throw fail("strings must use double quotes", at: index)
        default:
            if hasPrefix("NaN") || hasPrefix("Infinity") {
                throw fail("NaN and Infinity are not allowed in JSON", at: index)
            }
            throw expected("a value")
        }
    }

    private mutating func literal(_ word: String) throws(JSONParseError) {
        guard hasPrefix(word) else { throw fail("invalid literal; expected '\(word)'", at: index) }
        index += word.utf8.count
    }

    /// A placeholder with nothing to release, left in stack slots whose values were moved out.
    private let emptyMember = JSONObject.Member(key: "", value: .null)

    /// Moves `stack[base...]` into a new array of exactly that size and shrinks the stack.
    private static func pop<T>(_ stack: inout [T], from base: Int, leaving filler: T) -> [T] {
        let n = stack.count - base
        // reserveCapacity + append stays in specialized code; Array(unsafeUninitializedCapacity:)
        // calls an unspecialized stdlib entry that looks up the storage metadata on every call.
        var result: [T] = []
        result.reserveCapacity(n)
        stack.withUnsafeMutableBufferPointer { all in
            let source = all.baseAddress! + base
            for k in 0..<n {
                result.append((source + k).move())
                // The slot must hold a value again before the stack destroys it.
                (source + k).initialize(to: filler)
            }
        }
        stack.removeLast(n)
        return result
    }

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    private mutating func skipDigits() {
        while index < input.count && Self.isDigit(input[index]) { index += 1 }
    }

    private mutating func number() throws(JSONParseError) -> JSONNumber {
        let start = index
        if input[index] == UInt8(ascii: "-") { index += 1 }
        guard index < input.count && Self.isDigit(input[index]) else { throw expected("a digit after '-'") }
        if input[index] == UInt8(ascii: "0") {
            index += 1
            if index < input.count && Self.isDigit(input[index]) {
                throw fail("leading zeros are not allowed in numbers", at: start)
            }
        } else {
            skipDigits()
        }
        if index < input.count && input[index] == UInt8(ascii: ".") {
            index += 1
            guard index < input.count && Self.isDigit(input[index]) else {
                throw expected("a digit after the decimal point")
            }
            skipDigits()
        }
        if index < input.count && input[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < input.count && (input[index] == UInt8(ascii: "+") || input[index] == UInt8(ascii: "-")) {
                index += 1
            }
            guard index < input.count && Self.isDigit(input[index]) else { throw expected("a digit in the exponent") }
            skipDigits()
        }
        return JSONNumber(validated: String(decoding: slice(start, index), as: UTF8.self))
    }

    @inline(__always)
    private func slice(_ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: input[from..<to])
    }

    // MARK: Strings

    /// A string starting at the current `"`. Runs of plain bytes are copied as slices: straight
    /// into the String when there is no escape, else into `scratch` between escapes.
    private mutating func string() throws(JSONParseError) -> String {
        let open = index
        index += 1
        var runStart = index
        var escaped = false
        while index < input.count {
            let b = input[index]
            if b == UInt8(ascii: "\"") {
                let s: String
                if escaped {
                    scratch.append(contentsOf: slice(runStart, index))
                    s = String(decoding: scratch, as: UTF8.self)
                } else {
                    s = String(decoding: slice(runStart, index), as: UTF8.self)
                }
                index += 1
                return s
            } else if b == UInt8(ascii: "\\") {
                if !escaped {
                    scratch.removeAll(keepingCapacity: true)
                    escaped = true
                }
                scratch.append(contentsOf: slice(runStart, index))
                try escape()
                runStart = index
            } else if b < 0x20 {
                throw fail("unescaped control character U+\(Self.hex(UInt32(b), digits: 4)) in a string", at: index)
            } else if b < 0x80 {
                index += 1
            } else {
                try skipUTF8Scalar()
            }
        }
        throw fail("unterminated string", at: open)
    }

    /// Checks one multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
    /// above U+10FFFF) and steps over it.
    private mutating func skipUTF8Scalar() throws(JSONParseError) {
        let b0 = input[index]
        var lo: UInt8 = 0x80  // allowed range of the second byte
        var hi: UInt8 = 0xBF
        let trailing: Int
        switch b0 {
        case 0xC2...0xDF: trailing = 1
        case 0xE0:
            trailing = 2
            lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: trailing = 2
        case 0xED:
            trailing = 2
            hi = 0x9F
        case 0xF0:
            trailing = 3
            lo = 0x90
        case 0xF1...0xF3: trailing = 3
        case 0xF4:
            trailing = 3
            hi = 0x8F
        default: throw fail("invalid UTF-8 (byte 0x\(Self.hex(UInt32(b0), digits: 2)))", at: index)
        }
        for k in 1...trailing {
            let i = index + k
            let allowed = k == 1 ? lo...hi : 0x80...0xBF
            guard i < input.count && allowed.contains(input[i]) else {
                throw fail(
                    "invalid UTF-8 (byte 0x\(Self.hex(UInt32(b0), digits: 2)) starts a broken sequence)", at: index)
            }
        }
        index += trailing + 1
    }

    /// Decodes the escape at the current `\` into `scratch`.
    private mutating func escape() throws(JSONParseError) {
        let start = index
        index += 1
        guard index < input.count else { throw expected("an escape character after '\\'") }
        let c = input[index]
        index += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(c)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if 0xD800...0xDBFF ~= scalar {
                // A high surrogate is only valid as the first half of a \uXXXX\uXXXX pair.
                let pairStart = index
                var low: UInt32 = 0
                if index + 1 < input.count && input[index] == UInt8(ascii: "\\")
                    && input[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    low = try hex4()
                }
                guard 0xDC00...0xDFFF ~= low else {
                    index = pairStart
                    throw fail(
                        "unpaired surrogate \\u\(Self.hex(scalar, digits: 4)) (a high surrogate must be followed "
                            + "by a \\uDC00-\\uDFFF escape)", at: start)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if 0xDC00...0xDFFF ~= scalar {
                throw fail(
                    "unpaired surrogate \\u\(Self.hex(scalar, digits: 4)) (a low surrogate must follow a high one)",
                    at: start)
            }
            appendUTF8(scalar)
        default:
            guard c >= 0x20 && c < 0x7F else {
                throw fail(
                    "invalid escape in a string: '\\' followed by byte 0x\(Self.hex(UInt32(c), digits: 2))", at: start)
            }
            throw fail("invalid escape '\\\(Character(Unicode.Scalar(c)))' in a string", at: start)
        }
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard index < input.count else { throw expected("four hex digits after '\\u'") }
            let b = input[index]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw expected("four hex digits after '\\u'")
            }
            v = v << 4 | UInt32(d)
            index += 1
        }
        return v
    }

    private mutating func appendUTF8(_ v: UInt32) {
        switch v {
        case 0..<0x80:
            scratch.append(UInt8(v))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | v >> 6))
            scratch.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | v >> 12))
            scratch.append(UInt8(0x80 | v >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | v & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | v >> 18))
            scratch.append(UInt8(0x80 | v >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | v >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | v & 0x3F))
        }
    }
}

// MARK: - Decoding with paths

/// A decoding error that names where in the document the bad value is.
struct JSONPathError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where the value is, e.g. `syscalls[3].args[0].value`; empty for the top level.
    var path: String
    /// What is wrong, e.g. "expected an unsigned integer, got a string".
    var message: String

    /// "syscalls[3].args[0].value: expected an unsigned integer, got a string".
    var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Builds the paths that ``JSONPathError`` reports, e.g. `syscalls[3].args[0].op`. The top level
/// is the empty path.
enum JSONPath {
    /// `path.key`; just `key` at the top level; `path["key"]` when the key is not an identifier
    /// (`annotations["io.k8s/name"]`).
    static func member(_ key: String, of path: String) -> String {
        guard isIdentifier(key) else { return "\(path)[\(JSONWriter.quote(key))]" }
        return path.isEmpty ? key : "\(path).\(key)"
    }

    /// `path[index]`.
    static func element(_ index: Int, of path: String) -> String {
        "\(path)[\(index)]"
    }

    /// ASCII letters, digits and `_`, not starting with a digit: keys that read well after a dot.
    private static func isIdentifier(_ key: String) -> Bool {
        func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
        guard let first = key.utf8.first, !isDigit(first) else { return false }
        return key.utf8.allSatisfy { b in
            b == UInt8(ascii: "_") || isDigit(b) || (b | 0x20) &- UInt8(ascii: "a") < 26
        }
    }
}

// Typed access for decoders. Each accessor takes the path of the value it is called on, so that
// its error says where the value is:
//
//     let rule = try value.object(at: path)
//     try rule.rejectUnknown(keys: ["names", "action", "args"], at: path)
//     let action = try rule.member("action", at: path).string(at: JSONPath.member("action", of: path))
//     let args = try rule.optionalMember("args")?.array(at: JSONPath.member("args", of: path)) ?? []
//
// Kinds are never converted: a number is not a string, `1.0` is not an integer, null is not an
// empty array (optionalMember treats null as absent, as Go's encoding/json does).
extension JSONValue {
    /// True for `null`.
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    private func mismatch(_ expected: String, at path: String) -> JSONPathError {
        JSONPathError(path: path, message: "expected \(expected), got \(kindDescription)")
    }

    /// - Throws: ``JSONPathError`` at `path` unless this is an object.
    func object(at path: String) throws(JSONPathError) -> JSONObject {
        guard case .object(let o) = self else { throw mismatch("an object", at: path) }
        return o
    }

    /// The member `key` of this object.
    ///
    /// - Throws: ``JSONPathError`` at `path` unless this is an object with that member.
    func member(_ key: String, at path: String) throws(JSONPathError) -> JSONValue {
        try object(at: path).member(key, at: path)
    }

    /// - Throws: ``JSONPathError`` at `path` unless this is an array.
    func array(at path: String) throws(JSONPathError) -> [JSONValue] {
        guard case .array(let a) = self else { throw mismatch("an array", at: path) }
        return a
    }

    /// - Throws: ``JSONPathError`` at `path` unless this is a string.
    func string(at path: String) throws(JSONPathError) -> String {
        guard case .string(let s) = self else { throw mismatch("a string", at: path) }
        return s
    }

    /// - Throws: ``JSONPathError`` at `path` unless this is `true` or `false`.
    func bool(at path: String) throws(JSONPathError) -> Bool {
        guard case .bool(let b) = self else { throw mismatch("a boolean", at: path) }
        return b
    }

    /// - Throws: ``JSONPathError`` at `path` unless this is an integer literal in Int64's range.
    func int64(at path: String) throws(JSONPathError) -> Int64 { try integer(Int64.self, at: path) }

    /// - Throws: ``JSONPathError`` at `path` unless this is an integer literal in UInt64's range.
    func uint64(at path: String) throws(JSONPathError) -> UInt64 { try integer(UInt64.self, at: path) }

    /// An integer that fits `T` (at most 64 bits) exactly: `1.0`, `1e3` and out-of-range
    /// literals are errors, never rounded or truncated.
    ///
    /// - Throws: ``JSONPathError`` at `path`, giving `T`'s range when the literal is an integer
    ///   that does not fit (`expected an unsigned integer in 0...4294967295, got 5000000000`).
    func integer<T: FixedWidthInteger>(_ type: T.Type, at path: String) throws(JSONPathError) -> T {
        let what = T.isSigned ? "an integer" : "an unsigned integer"
        guard case .number(let n) = self else { throw mismatch(what, at: path) }
        let exact: T? = T.isSigned ? n.int64.flatMap { T(exactly: $0) } : n.uint64.flatMap { T(exactly: $0) }
        if let exact { return exact }
        if n.isInteger && (T.isSigned || !n.isNegative) {
            throw JSONPathError(path: path, message: "expected \(what) in \(T.min)...\(T.max), got \(n.text)")
        }
        throw JSONPathError(path: path, message: "expected \(what), got \(n.text)")
    }
}

extension JSONObject {
    /// The member `key`, which must be present (it may be `null`; the typed accessor on the
    /// result rejects that).
    ///
    /// - Parameter path: This object's path.
    /// - Throws: ``JSONPathError`` at `path` naming the missing key.
    func member(_ key: String, at path: String) throws(JSONPathError) -> JSONValue {
        guard let v = self[key] else {
            throw JSONPathError(path: path, message: "missing required key \(JSONWriter.quote(key))")
        }
        return v
    }

    /// The member `key`, or nil when it is absent or `null` (Go writes `null` for a nil slice).
    func optionalMember(_ key: String) -> JSONValue? {
        guard let v = self[key], !v.isNull else { return nil }
        return v
    }

    /// Rejects members outside `keys`, so that a misspelt key is an error instead of being ignored.
    ///
    /// - Parameter path: This object's path.
    /// - Throws: ``JSONPathError`` at `path` naming the first unknown key and the known ones.
    func rejectUnknown(keys known: [String], at path: String) throws(JSONPathError) {
        for m in members where !known.contains(m.key) {
            throw JSONPathError(
                path: path,
                message: "unknown key \(JSONWriter.quote(m.key)); expected one of "
                    + known.map(JSONWriter.quote).joined(separator: ", "))
        }
    }
}
