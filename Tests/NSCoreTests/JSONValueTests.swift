import Testing

@testable import NSCore

// The strict JSON parser (Internal/JSONValue.swift) and the path-reporting decoding helpers.
// Error tests check the exact message, line and column, since those are what a user sees.

// Literals for building expected values; test-only, so the library type stays literal-free.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(String(value))!) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONObject.Member(key: $0.0, value: $0.1) }))
    }
}

/// A number from its literal text (for fractions and exponents).
private func number(_ text: String) -> JSONValue { .number(JSONNumber(text)!) }

private func parseError(_ bytes: [UInt8]) -> JSONParseError? {
    do {
        let v = try JSONValue.parse(bytes)
        Issue.record("parsed \(v), expected an error")
        return nil
    } catch {
        return error
    }
}

private func parseError(_ text: String) -> JSONParseError? { parseError(Array(text.utf8)) }

private func expectError(
    _ bytes: [UInt8], line: Int, column: Int, offset: Int? = nil, _ message: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let e = parseError(bytes) else { return }
    #expect(e.message == message, "\(bytes)", sourceLocation: sourceLocation)
    #expect(e.line == line, "line of \(e)", sourceLocation: sourceLocation)
    #expect(e.column == column, "column of \(e)", sourceLocation: sourceLocation)
    if let offset { #expect(e.offset == offset, "offset of \(e)", sourceLocation: sourceLocation) }
}

private func expectError(
    _ text: String, line: Int = 1, column: Int, offset: Int? = nil, _ message: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectError(Array(text.utf8), line: line, column: column, offset: offset, message, sourceLocation: sourceLocation)
}

/// The path error that `body` throws.
private func pathError(_ body: () throws -> Void) -> JSONPathError? {
    do {
        try body()
        Issue.record("decoding succeeded, expected an error")
    } catch let error as JSONPathError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
    }
    return nil
}

@Suite
struct JSONValueTests {
    // MARK: Valid documents

    @Test func parsesEveryKindOfValue() throws {
        let text = """
            {"null": null, "t": true, "f": false, "int": -12, "frac": 0.5, "exp": 6.02E+23,
             "s": "x\\"y", "empty": "", "arr": [1, [], {}], "obj": {"nested": {"deeper": [null]}}}
            """
        let expected: JSONValue = [
            "null": .null, "t": true, "f": false, "int": -12, "frac": number("0.5"), "exp": number("6.02E+23"),
            "s": "x\"y", "empty": "", "arr": [1, [], [:]], "obj": ["nested": ["deeper": [.null]]],
        ]
        #expect(try JSONValue.parse(text) == expected)
    }

    @Test func topLevelScalarsAndWhitespace() throws {
        #expect(try JSONValue.parse("null") == .null)
        #expect(try JSONValue.parse("true") == true)
        #expect(try JSONValue.parse("false") == false)
        #expect(try JSONValue.parse("0") == 0)
        #expect(try JSONValue.parse("\"s\"") == "s")
        #expect(try JSONValue.parse(" \t\r\n[ 1 ,\t2 ]\r\n ") == [1, 2])
        #expect(try JSONValue.parse("[[[]]]") == [[[]]])
        #expect(try JSONValue.parse("{ }") == [:])
    }

    @Test func objectsKeepMemberOrderButCompareAsSets() throws {
        guard case .object(let o) = try JSONValue.parse(#"{"z": 1, "a": 2, "m": 3}"#) else {
            Issue.record("not an object")
            return
        }
        #expect(o.keys == ["z", "a", "m"])
        #expect(o["a"] == 2)
        #expect(o["missing"] == nil)
        #expect(o.count == 3)
        #expect(try JSONValue.parse(#"{"a":1,"b":[2]}"#) == JSONValue.parse(#"{"b":[2],"a":1}"#))
        #expect(try JSONValue.parse(#"{"a":1,"b":2}"#) != JSONValue.parse(#"{"a":1,"b":3}"#))
        #expect(try JSONValue.parse(#"{"a":1}"#) != JSONValue.parse(#"{"a":1,"b":2}"#))
    }

    @Test func acceptsAnyByteCollection() throws {
        let text = #"{"k": ["v", 1]}"#
        let expected: JSONValue = ["k": ["v", 1]]
        #expect(try JSONValue.parse(Array(text.utf8)) == expected)
        #expect(try JSONValue.parse(Array("xx\(text)yy".utf8).dropFirst(2).dropLast(2)) == expected)
        #expect(try JSONValue.parse(text.utf8) == expected)
        // Not contiguous: goes through the copying path.
        #expect(try JSONValue.parse(text.utf8.lazy.map { $0 }) == expected)
    }

    // MARK: Strings

    @Test func stringEscapesAndUnicode() throws {
        #expect(try JSONValue.parse(#""\"\\\/\b\f\n\r\t""#) == "\"\\/\u{8}\u{C}\n\r\t")
        #expect(try JSONValue.parse(#""\u00e9\u00E9\u20AC""#) == "éé€")
        #expect(try JSONValue.parse(#""\uD83D\uDE00 \ud83d\ude00""#) == "😀 😀")
        #expect(try JSONValue.parse(#""\u0000""#) == "\u{0}")
        #expect(try JSONValue.parse(#""\uFFFF""#) == "\u{FFFF}")
        // Raw UTF-8 of every length passes through, and runs mix with escapes.
        #expect(try JSONValue.parse("\"é€😀\"") == "é€😀")
        #expect(try JSONValue.parse(#""a\nb€c\u0041d""#) == "a\nb€cAd")
        // The escape buffer is reused: each string must start empty.
        #expect(try JSONValue.parse(#"["a\n", "b\t", "plain", "\u0063"]"#) == ["a\n", "b\t", "plain", "c"])
        #expect(try JSONValue.parse(#"{"\u0061": "\/"}"#) == ["a": "/"])
    }

    // MARK: Numbers

    private func parsedNumber(_ text: String) throws -> JSONNumber {
        guard case .number(let n) = try JSONValue.parse(text) else { throw JSONPathError(path: "", message: text) }
        return n
    }

    @Test func integerAccessorsAreExact() throws {
        #expect(try parsedNumber("-9223372036854775808").int64 == Int64.min)
        #expect(try parsedNumber("9223372036854775807").int64 == Int64.max)
        #expect(try parsedNumber("9223372036854775808").int64 == nil)
        #expect(try parsedNumber("-9223372036854775809").int64 == nil)
        #expect(try parsedNumber("9223372036854775808").uint64 == 9_223_372_036_854_775_808)
        #expect(try parsedNumber("18446744073709551615").uint64 == UInt64.max)
        #expect(try parsedNumber("18446744073709551616").uint64 == nil)
        #expect(try parsedNumber("99999999999999999999999").uint64 == nil)
        #expect(try parsedNumber("-1").uint64 == nil)
        #expect(try parsedNumber("-1").int64 == -1)
        #expect(try parsedNumber("-0").int64 == 0)
        #expect(try parsedNumber("-0").uint64 == 0)
        #expect(try parsedNumber("0").uint64 == 0)
        // No rounding: a fraction or an exponent is never an integer, whatever its value.
        for text in ["1e3", "1E3", "1.0", "1.5", "-0.0", "0e0", "10e-1"] {
            let n = try parsedNumber(text)
            #expect(n.int64 == nil && n.uint64 == nil && !n.isInteger, "\(text)")
        }
    }

    @Test func doubleAndLiteralText() throws {
        #expect(try parsedNumber("1e3").double == 1000)
        #expect(try parsedNumber("-2.5E-3").double == -0.0025)
        #expect(try parsedNumber("0.1").double == 0.1)
        #expect(try parsedNumber("1e400").double == .infinity)
        #expect(try parsedNumber("-1e400").double == -.infinity)
        #expect(try parsedNumber("1e-400").double == 0)
        #expect(try parsedNumber("18446744073709551616").double == 18_446_744_073_709_551_616.0)
        // The literal is kept as written; equality is literal equality.
        #expect(try parsedNumber("6.0200E+23").text == "6.0200E+23")
        #expect(try JSONValue.parse("1.0") != JSONValue.parse("1"))
        #expect(JSONNumber("12")?.int64 == 12)
        #expect(JSONNumber("01") == nil)
        #expect(JSONNumber(" 1") == nil)
        #expect(JSONNumber("+1") == nil)
        #expect(JSONNumber("\"1\"") == nil)
    }

    // MARK: Errors

    @Test func errorDescriptionHasLineAndColumn() throws {
        let text = "{\n  \"a\": 1,\n  \"b\": [1, 2]\"c\"\n}"
        let e = try #require(parseError(text))
        #expect(e.description == "line 3, column 14: expected ',' or '}' after an object member, found '\"'")
        #expect(e.offset == 25)
    }

    @Test func structuralErrors() {
        expectError("", column: 1, offset: 0, "unexpected end of input; expected a value")
        expectError("   ", column: 4, "unexpected end of input; expected a value")
        expectError("[", column: 2, "unexpected end of input; expected a value")
        expectError("[1", column: 3, "unexpected end of input; expected ',' or ']' after an array element")
        expectError("{", column: 2, "unexpected end of input; expected a string key")
        expectError(#"{"a""#, column: 5, "unexpected end of input; expected ':' after an object key")
        expectError(#"{"a":1"#, column: 7, "unexpected end of input; expected ',' or '}' after an object member")
        expectError("[1 2]", column: 4, "expected ',' or ']' after an array element, found '2'")
        expectError(#"{"a" 1}"#, column: 6, "expected ':' after an object key, found '1'")
        expectError(#"{"a":1 "b":2}"#, column: 8, "expected ',' or '}' after an object member, found '\"'")
        expectError("{a:1}", column: 2, "expected a string key, found 'a'")
        expectError("{'a':1}", column: 2, "expected a string key, found \"'\"")
        expectError("['a']", column: 2, "strings must use double quotes")
        expectError("1 2", column: 3, offset: 2, "expected end of input after the value, found '2'")
        expectError("{}}", column: 3, "expected end of input after the value, found '}'")
        expectError("tru", column: 1, "invalid literal; expected 'true'")
        expectError("[nul]", column: 2, "invalid literal; expected 'null'")
        expectError("falsy", column: 1, "invalid literal; expected 'false'")
        expectError("True", column: 1, "expected a value, found 'T'")
        expectError("[1,,2]", column: 4, "expected a value, found ','")
    }

    @Test func trailingCommasAndComments() {
        expectError("[1,]", column: 3, "trailing comma before ']'")
        expectError("[1, \n ]", column: 3, "trailing comma before ']'")
        expectError(#"{"a":1,}"#, column: 7, "trailing comma before '}'")
        expectError("// c\n1", column: 1, "comments are not allowed in JSON")
        expectError("[1, /* x */ 2]", column: 5, "comments are not allowed in JSON")
        expectError("1 // c", column: 3, "expected end of input after the value, found '/'")
    }

    @Test func numberErrors() {
        expectError("NaN", column: 1, "NaN and Infinity are not allowed in JSON")
        expectError("[Infinity]", column: 2, "NaN and Infinity are not allowed in JSON")
        expectError("-Infinity", column: 2, "expected a digit after '-', found 'I'")
        expectError("-", column: 2, "unexpected end of input; expected a digit after '-'")
        expectError("+1", column: 1, "expected a value, found '+'")
        expectError("01", column: 1, "leading zeros are not allowed in numbers")
        expectError("[-012]", column: 2, "leading zeros are not allowed in numbers")
        expectError("00", column: 1, "leading zeros are not allowed in numbers")
        expectError("1.", column: 3, "unexpected end of input; expected a digit after the decimal point")
        expectError("[1.e5]", column: 4, "expected a digit after the decimal point, found 'e'")
        expectError(".5", column: 1, "expected a value, found '.'")
        expectError("1e", column: 3, "unexpected end of input; expected a digit in the exponent")
        expectError("[1e+]", column: 5, "expected a digit in the exponent, found ']'")
        expectError("0x10", column: 2, "expected end of input after the value, found 'x'")
    }

    @Test func stringErrors() {
        expectError("\"a\tb\"", column: 3, "unescaped control character U+0009 in a string")
        expectError("[\"line\nbreak\"]", column: 7, offset: 6, "unescaped control character U+000A in a string")
        expectError("\"\u{1F}\"", column: 2, "unescaped control character U+001F in a string")
        expectError(#"  "abc"#, column: 3, "unterminated string")
        expectError(#""abc\"#, column: 6, "unexpected end of input; expected an escape character after '\\'")
        expectError(#""\x""#, column: 2, "invalid escape '\\x' in a string")
        expectError(#""\'""#, column: 2, "invalid escape '\\'' in a string")
        expectError(
            [0x22, 0x5C, 0xC3, 0xA9, 0x22], line: 1, column: 2,
            "invalid escape in a string: '\\' followed by byte 0xC3")
        expectError(#""\u12G4""#, column: 6, "expected four hex digits after '\\u', found 'G'")
        expectError(#""\u12"#, column: 6, "unexpected end of input; expected four hex digits after '\\u'")
    }

    @Test func surrogateErrors() {
        let high = "unpaired surrogate \\uD800 (a high surrogate must be followed by a \\uDC00-\\uDFFF escape)"
        expectError(#""\uD800""#, column: 2, high)
        expectError(#""x\uD800\u0041""#, column: 3, high)
        expectError(#""\uD800\uD800""#, column: 2, high)
        expectError(#""\uD800\n""#, column: 2, high)
        expectError(#""\uD800"#, column: 2, high)
        expectError(#""\uDC00""#, column: 2, "unpaired surrogate \\uDC00 (a low surrogate must follow a high one)")
        expectError(
            #""\uDE00\uD83D""#, column: 2, "unpaired surrogate \\uDE00 (a low surrogate must follow a high one)")
    }

    @Test func invalidUTF8() {
        let broken = { (b: String) in "invalid UTF-8 (byte 0x\(b) starts a broken sequence)" }
        expectError([0x22, 0xC3, 0x28, 0x22], line: 1, column: 2, offset: 1, broken("C3"))
        expectError([0x22, 0xC0, 0x80, 0x22], line: 1, column: 2, "invalid UTF-8 (byte 0xC0)")  // overlong
        expectError([0x22, 0xE0, 0x80, 0x80, 0x22], line: 1, column: 2, broken("E0"))  // overlong
        expectError([0x22, 0xED, 0xA0, 0x80, 0x22], line: 1, column: 2, broken("ED"))  // encoded surrogate
        expectError([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], line: 1, column: 2, broken("F4"))  // above U+10FFFF
        expectError([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], line: 1, column: 2, "invalid UTF-8 (byte 0xF5)")
        expectError([0x22, 0x80, 0x22], line: 1, column: 2, "invalid UTF-8 (byte 0x80)")  // lone continuation
        expectError([0x22, 0xFF, 0x22], line: 1, column: 2, "invalid UTF-8 (byte 0xFF)")
        expectError([0x22, 0xE2, 0x82], line: 1, column: 2, broken("E2"))  // truncated by the end
        expectError([0x22, 0xE2, 0x82, 0x22], line: 1, column: 2, broken("E2"))  // truncated by the quote
        expectError([0x5B, 0xFF, 0x5D], line: 1, column: 2, "expected a value, found byte 0xFF")
        // Valid sequences of every length, including the extremes.
        #expect(throws: Never.self) {
            try JSONValue.parse([
                0x22, 0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80,
                0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22,
            ])
        }
    }

    @Test func onlyFourWhitespaceCharacters() {
        expectError("\u{0B}1", column: 1, "expected a value, found byte 0x0B")  // vertical tab
        expectError("\u{0C}1", column: 1, "expected a value, found byte 0x0C")  // form feed
        expectError("\u{A0}1", column: 1, "expected a value, found byte 0xC2")  // no-break space
        expectError("\u{FEFF}{}", column: 1, "expected a value, found byte 0xEF")  // byte order mark
        expectError("1\u{0}", column: 2, "expected end of input after the value, found byte 0x00")
    }

    @Test func linesAndColumns() {
        // Columns count Unicode scalars, not bytes: é is two bytes but one column.
        expectError("[\"é\" x]", column: 6, offset: 6, "expected ',' or ']' after an array element, found 'x'")
        // CRLF line ends: the LF starts the new line.
        expectError("{\r\n  \"a\" 1}", line: 2, column: 7, offset: 9, "expected ':' after an object key, found '1'")
        expectError("[\n\n\n   nope]", line: 4, column: 4, "invalid literal; expected 'null'")
    }

    @Test func duplicateKeys() {
        expectError(#"{"a":1,"a":2}"#, column: 8, offset: 7, "duplicate key \"a\"")
        expectError(#"{"x": {"b": 1, "c": 2, "b": 3}}"#, column: 24, "duplicate key \"b\"")
        // Escapes are decoded before comparing.
        expectError(#"{"a":1,"\u0061":2}"#, column: 8, "duplicate key \"a\"")
        expectError(#"{"q\"":1,"q\"":2}"#, column: 10, "duplicate key \"q\\\"\"")
        // Past 16 members the check switches to a set; it must still catch the repeat.
        let members = (0..<40).map { "\"k\($0)\": \($0)" }
        let big = "{" + (members + ["\"k3\": 0"]).joined(separator: ",") + "}"
        #expect(parseError(big)?.message == "duplicate key \"k3\"")
        let late = "{" + (members + ["\"k39\": 0"]).joined(separator: ",") + "}"
        #expect(parseError(late)?.message == "duplicate key \"k39\"")
        #expect(throws: Never.self) { try JSONValue.parse("{" + members.joined(separator: ",") + "}") }
        // The same key in different objects is fine.
        #expect(throws: Never.self) { try JSONValue.parse(#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#) }
    }

    @Test func nestingIsLimited() throws {
        let limit = JSONValue.maximumDepth
        #expect(limit == 512)
        var deepest = try JSONValue.parse(String(repeating: "[", count: limit) + String(repeating: "]", count: limit))
        var levels = 0
        while case .array(let a) = deepest, let first = a.first {
            levels += 1
            deepest = first
        }
        #expect(levels == limit - 1)  // 511 non-empty arrays around one empty array
        let over = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        expectError(over, column: limit + 1, offset: limit, "nesting is deeper than 512 levels")
        // Objects count too, and a huge hostile input fails fast instead of overflowing the stack.
        expectError(
            String(repeating: #"{"a":"#, count: limit + 1), column: 5 * limit + 1,
            "nesting is deeper than 512 levels")
        expectError(String(repeating: "[", count: 1_000_000), column: limit + 1, "nesting is deeper than 512 levels")
        // Depth is nesting, not the number of containers.
        let wide = "[" + Array(repeating: "[[]]", count: 2000).joined(separator: ",") + "]"
        #expect(throws: Never.self) { try JSONValue.parse(wide) }
    }

    // MARK: Decoding with paths

    struct Arg: Equatable {
        var index: UInt32
        var value: UInt64
        var op: String
    }

    struct Rule: Equatable {
        var names: [String]
        var action: String
        var errnoRet: UInt32?
        var args: [Arg]
    }

    /// A cut-down seccomp profile decoder, written the way the real one uses the helpers.
    private func decodeRules(_ text: String, at root: String = "") throws -> (String, [Rule]) {
        let profile = try JSONValue.parse(text).object(at: root)
        try profile.rejectUnknown(keys: ["defaultAction", "syscalls"], at: root)
        let defaultAction = try profile.member("defaultAction", at: root)
            .string(at: JSONPath.member("defaultAction", of: root))
        var rules: [Rule] = []
        let syscallsPath = JSONPath.member("syscalls", of: root)
        for (i, r) in try (profile.optionalMember("syscalls")?.array(at: syscallsPath) ?? []).enumerated() {
            let path = JSONPath.element(i, of: syscallsPath)
            let rule = try r.object(at: path)
            try rule.rejectUnknown(keys: ["names", "action", "errnoRet", "args"], at: path)
            let namesPath = JSONPath.member("names", of: path)
            let names = try rule.member("names", at: path).array(at: namesPath).enumerated().map {
                (j, n) throws(JSONPathError) in try n.string(at: JSONPath.element(j, of: namesPath))
            }
            let action = try rule.member("action", at: path).string(at: JSONPath.member("action", of: path))
            guard ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO"].contains(action) else {
                throw JSONPathError(path: JSONPath.member("action", of: path), message: "unknown action \(action)")
            }
            let errnoRet = try rule.optionalMember("errnoRet")?.integer(
                UInt32.self, at: JSONPath.member("errnoRet", of: path))
            var args: [Arg] = []
            let argsPath = JSONPath.member("args", of: path)
            for (j, a) in try (rule.optionalMember("args")?.array(at: argsPath) ?? []).enumerated() {
                let ap = JSONPath.element(j, of: argsPath)
                let arg = try a.object(at: ap)
                try arg.rejectUnknown(keys: ["index", "value", "op"], at: ap)
                args.append(
                    Arg(
                        index: try arg.member("index", at: ap).integer(
                            UInt32.self, at: JSONPath.member("index", of: ap)),
                        value: try arg.member("value", at: ap).uint64(at: JSONPath.member("value", of: ap)),
                        op: try arg.member("op", at: ap).string(at: JSONPath.member("op", of: ap))))
            }
            rules.append(Rule(names: names, action: action, errnoRet: errnoRet, args: args))
        }
        return (defaultAction, rules)
    }

    private func decodeFailure(_ text: String, at root: String = "") -> String? {
        do {
            let r = try decodeRules(text, at: root)
            Issue.record("decoded \(r), expected an error")
            return nil
        } catch {
            return "\(error)"
        }
    }

    private let profileTemplate = """
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
          {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": null},
          {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1,
           "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
          {"names": ["clone"], "action": "SCMP_ACT_ERRNO",
           "args": [{"index": 0, "value": %VALUE%, "op": %OP%}]}
        ]}
        """

    private func profile(value: String = "2114060288", op: String = "\"SCMP_CMP_NE\"") -> String {
        profileTemplate.replacing("%VALUE%", with: value).replacing("%OP%", with: op)
    }

    @Test func decodesAProfile() throws {
        let (action, rules) = try decodeRules(profile())
        #expect(action == "SCMP_ACT_ERRNO")
        #expect(rules.count == 4)
        #expect(rules[0] == Rule(names: ["read", "write"], action: "SCMP_ACT_ALLOW", args: []))
        #expect(rules[1].args == [])  // null is absent
        #expect(rules[2].errnoRet == 1)
        #expect(rules[2].args == [Arg(index: 0, value: 4_294_967_295, op: "SCMP_CMP_EQ")])
        #expect(rules[3].args == [Arg(index: 0, value: 2_114_060_288, op: "SCMP_CMP_NE")])
    }

    @Test func decodingErrorsNameThePath() {
        #expect(
            decodeFailure(profile(value: "\"0x7E020000\""))
                == "syscalls[3].args[0].value: expected an unsigned integer, got a string")
        #expect(
            decodeFailure(profile(value: "-1")) == "syscalls[3].args[0].value: expected an unsigned integer, got -1")
        #expect(
            decodeFailure(profile(value: "1.5")) == "syscalls[3].args[0].value: expected an unsigned integer, got 1.5")
        #expect(
            decodeFailure(profile(value: "18446744073709551616"))
                == "syscalls[3].args[0].value: expected an unsigned integer in 0...18446744073709551615, "
                + "got 18446744073709551616")
        #expect(decodeFailure(profile(op: "null")) == "syscalls[3].args[0].op: expected a string, got null")
        #expect(decodeFailure(profile(op: "7")) == "syscalls[3].args[0].op: expected a string, got a number")
        #expect(
            decodeFailure(profile().replacing(#""errnoRet": 1"#, with: #""errnoRet": 5000000000"#))
                == "syscalls[2].errnoRet: expected an unsigned integer in 0...4294967295, got 5000000000")
        #expect(
            decodeFailure(profile().replacing(#"["kill"]"#, with: #"["kill", 9]"#))
                == "syscalls[1].names[1]: expected a string, got a number")
        #expect(
            decodeFailure(profile().replacing(#""names": ["kill"], "#, with: ""))
                == #"syscalls[1]: missing required key "names""#)
        #expect(
            decodeFailure(profile().replacing(#""names": ["kill"]"#, with: #""nmes": ["kill"]"#))
                == #"syscalls[1]: unknown key "nmes"; expected one of "names", "action", "errnoRet", "args""#)
        #expect(
            decodeFailure(profile().replacing(#""SCMP_ACT_ERRNO","#, with: #""SCMP_ACT_NOPE","#))
                == "syscalls[3].action: unknown action SCMP_ACT_NOPE")
        #expect(
            decodeFailure(#"{"defaultAction": "x", "syscalls": {}}"#) == "syscalls: expected an array, got an object")
        #expect(
            decodeFailure(#"{"defaultAction": "x", "syscalls": [[]]}"#)
                == "syscalls[0]: expected an object, got an array")
        #expect(decodeFailure("[]") == "expected an object, got an array")
        #expect(decodeFailure("[]", at: "linux.seccomp") == "linux.seccomp: expected an object, got an array")
        #expect(
            decodeFailure(#"{"syscalls": []}"#, at: "linux.seccomp")
                == #"linux.seccomp: missing required key "defaultAction""#)
        #expect(
            decodeFailure(#"{"defaultAction": true}"#, at: "linux.seccomp")
                == "linux.seccomp.defaultAction: expected a string, got a boolean")
        #expect(
            decodeFailure(
                #"{"defaultAction": "x", "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW", "#
                    + #""args": [{"index": 1.0, "value": 0, "op": ""}]}]}"#, at: "linux.seccomp")
                == "linux.seccomp.syscalls[0].args[0].index: expected an unsigned integer, got 1.0")
        // Parse errors pass through unchanged.
        #expect(decodeFailure(#"{"defaultAction": }"#) == "line 1, column 19: expected a value, found '}'")
    }

    @Test func integerConversions() throws {
        func value(_ text: String) -> JSONValue { try! JSONValue.parse(text) }
        #expect(try value("-9223372036854775808").int64(at: "n") == Int64.min)
        #expect(try value("18446744073709551615").uint64(at: "n") == UInt64.max)
        #expect(try value("-0").uint64(at: "n") == 0)
        #expect(try value("255").integer(UInt8.self, at: "n") == 255)
        #expect(try value("-128").integer(Int8.self, at: "n") == -128)
        #expect(
            pathError { _ = try value("9223372036854775808").int64(at: "n") }?.description
                == "n: expected an integer in -9223372036854775808...9223372036854775807, got 9223372036854775808")
        #expect(pathError { _ = try value("1e3").int64(at: "n") }?.description == "n: expected an integer, got 1e3")
        #expect(
            pathError { _ = try value("1.0").uint64(at: "n") }?.description
                == "n: expected an unsigned integer, got 1.0")
        #expect(
            pathError { _ = try value("-129").integer(Int8.self, at: "n") }?.description
                == "n: expected an integer in -128...127, got -129")
        #expect(
            pathError { _ = try value("true").int64(at: "n") }?.description == "n: expected an integer, got a boolean")
        #expect(pathError { _ = try value("{}").bool(at: "n") }?.description == "n: expected a boolean, got an object")
        #expect(pathError { _ = try value("[]").string(at: "") }?.description == "expected a string, got an array")
        #expect(try value("false").bool(at: "n") == false)
    }

    @Test func membersAndPaths() throws {
        let root = try JSONValue.parse(
            #"{"annotations": {"io.k8s/name": 1, "2fa": 2, "plain_key9": 3, "": 4}, "#
                + #""opt": null, "list": [null]}"#)
        let object = try root.object(at: "")
        let annotations = try root.member("annotations", at: "").object(at: "annotations")
        #expect(annotations.keys == ["io.k8s/name", "2fa", "plain_key9", ""])
        #expect(
            annotations.keys.map { JSONPath.member($0, of: "annotations") }
                == [
                    #"annotations["io.k8s/name"]"#, #"annotations["2fa"]"#, "annotations.plain_key9",
                    #"annotations[""]"#,
                ])
        #expect(JSONPath.member("a", of: "") == "a")
        #expect(JSONPath.member("a b", of: "") == #"["a b"]"#)
        #expect(JSONPath.element(3, of: "syscalls") == "syscalls[3]")
        #expect(JSONPath.element(0, of: "") == "[0]")
        #expect(object.optionalMember("opt") == nil)
        #expect(object.optionalMember("absent") == nil)
        #expect(object.optionalMember("list") == [.null])
        #expect(try object.member("opt", at: "").isNull)
        #expect(pathError { _ = try object.member("absent", at: "") }?.description == #"missing required key "absent""#)
        #expect(pathError { _ = try root.member("x", at: "") }?.description == #"missing required key "x""#)
        #expect(
            pathError { _ = try JSONValue.null.member("x", at: "linux") }?.description
                == "linux: expected an object, got null")
        #expect(
            pathError { try annotations.rejectUnknown(keys: ["io.k8s/name", "2fa", ""], at: "annotations") }?
                .description == #"annotations: unknown key "plain_key9"; expected one of "io.k8s/name", "2fa", """#)
        #expect(throws: Never.self) { try object.rejectUnknown(keys: ["list", "opt", "annotations"], at: "") }
    }
}
