/// Where and why a JSON text is not valid: "at line 1, column 14: expected ',' or '}' after an object member".
public struct JSONParseError: Error, Sendable, CustomStringConvertible, Equatable {
    public var offset: Int
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "at line \(line), column \(column): \(message)" }
}

/// Bounds on parsed JSON.
public enum JSONLimits {
    /// The deepest nesting of arrays and objects the parser accepts. The parser itself does not
    /// recurse, but everything that walks a parsed value does, once per level: `write(to:)`,
    /// `prettySerialized()`, `==`, template rendering and freeing the value. Measured in a debug
    /// build on a thread with a 512 KiB stack, `==` on objects and `prettySerialized()` overflowed
    /// between 256 and 384 levels, so the former limit of 512 was a crash, not a limit; at 128 the
    /// deepest walk needs under half of such a stack. Real events nest a few levels deep.
    public static let maxNestingDepth = 128
}

extension JSONValue {
    /// Strict RFC 8259 parsing of UTF-8 bytes. Nesting deeper than `JSONLimits.maxNestingDepth` levels
    /// is an error, not a crash; lone surrogate escapes become U+FFFD; trailing non-space bytes are an error.
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        self = try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var parser = JSONParser(buffer)
            return try parser.parseDocument()
        }
    }

    public init(parsing text: String) throws(JSONParseError) {
        try self.init(parsing: Array(text.utf8))
    }
}

struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    static let maxDepth = JSONLimits.maxNestingDepth

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected data after the JSON value") }
        return value
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let position = min(offset ?? index, bytes.count)
        var line = 1
        var column = 1
        var i = 0
        while i < position {
            if bytes[i] == 10 { line += 1; column = 1 } else if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return JSONParseError(offset: position, line: line, column: column, message: message)
    }

    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count {
            let c = bytes[index]
            guard c == 32 || c == 10 || c == 13 || c == 9 else { return }
            index += 1
        }
    }

    /// An array or object being parsed: its elements so far, and for an object the key of the
    /// member whose value comes next.
    struct OpenContainer {
        var isObject: Bool
        var items: [JSONValue] = []
        var pairs: [(String, JSONValue)] = []
        var key = ""
        /// Keys seen so far: a key twice in one object is refused (which one counts is ambiguous —
        /// one reader's first is another's last, and a check could pass on one and act on the other).
        var keys = Set<String>()
    }

    /// Parses one value. Arrays and objects are kept on an explicit stack instead of recursion, so
    /// the parser's own stack use does not grow with nesting; `JSONLimits.maxNestingDepth` bounds
    /// that stack and the recursion of everything that walks the value later.
    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        var open: [OpenContainer] = []
        while true {
            var value: JSONValue
            guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                try enterNesting()
                index += 1
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else {
                    var object = OpenContainer(isObject: true)
                    object.key = try parseKey()
                    object.keys.insert(object.key)
                    open.append(object)
                    continue
                }
                index += 1
                depth -= 1
                value = .object(JSONObject())
            case UInt8(ascii: "["):
                try enterNesting()
                index += 1
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "]") else {
                    open.append(OpenContainer(isObject: false))
                    continue
                }
                index += 1
                depth -= 1
                value = .array([])
            case UInt8(ascii: "\""): value = .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); value = .bool(true)
            case UInt8(ascii: "f"): try literal("false"); value = .bool(false)
            case UInt8(ascii: "n"): try literal("null"); value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = .number(try parseNumber())
            default: throw unexpectedCharacter()
            }
            // Add the value to the innermost open container; close every container that ends here.
            while true {
                guard !open.isEmpty else { return value }
                let last = open.count - 1
                skipWhitespace()
                if open[last].isObject {
                    open[last].pairs.append((open[last].key, value))
                    guard index < bytes.count else { throw error("unexpected end of input, expected ',' or '}'") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        let keyStart = index
                        let key = try parseKey()
                        guard open[last].keys.insert(key).inserted else {
                            index = keyStart
                            skipWhitespace()
                            throw error("the key \(Quoted.text(key)) appears twice in one object")
                        }
                        open[last].key = key
                        break
                    }
                    guard bytes[index] == UInt8(ascii: "}") else {
                        throw error("expected ',' or '}' after an object member")
                    }
                    value = .object(JSONObject(open.removeLast().pairs))
                } else {
                    open[last].items.append(value)
                    guard index < bytes.count else { throw error("unexpected end of input, expected ',' or ']'") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        skipWhitespace()
                        break
                    }
                    guard bytes[index] == UInt8(ascii: "]") else {
                        throw error("expected ',' or ']' after an array element")
                    }
                    value = .array(open.removeLast().items)
                }
                index += 1
                depth -= 1
            }
        }
    }

    /// `"key":` of an object member and the whitespace around it, up to the member's value.
    mutating func parseKey() throws(JSONParseError) -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            throw error("expected a string key in the object")
        }
        let key = try parseString()
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
            throw error("expected ':' after the object key")
        }
        index += 1
        skipWhitespace()
        return key
    }

    func unexpectedCharacter() -> JSONParseError {
        error("unexpected character '\(printable(bytes[index]))', expected a value")
    }

    func printable(_ c: UInt8) -> String {
        c >= 32 && c < 127 ? String(UnicodeScalar(c)) : "\\u{\(String(c, radix: 16))}"
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("invalid literal, expected \(word)") }
        let ptr = word.utf8Start
        for i in 0..<count where bytes[index + i] != ptr[i] { throw error("invalid literal, expected \(word)") }
        index += count
    }

    /// One more level of arrays and objects; refuses nesting past the limit.
    mutating func enterNesting() throws(JSONParseError) {
        depth += 1
        guard depth <= JSONParser.maxDepth else {
            throw error("nesting deeper than \(JSONParser.maxDepth) levels (JSONLimits.maxNestingDepth)")
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 48 && bytes[i] <= 57 }
        guard digit(index) else { throw error("expected a digit") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if digit(index) { throw error("numbers must not have leading zeros") }
        } else {
            while digit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digit(index) else { throw error("expected a digit after the decimal point") }
            while digit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digit(index) else { throw error("expected a digit in the exponent") }
            while digit(index) { index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        return JSONNumber(validatedLiteral: text)
    }

    mutating func parseString() throws(JSONParseError) -> String {
        let start = index
        index += 1
        // Fast path: no escapes.
        var i = index
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[index..<i])
                guard let s = String(validating: slice, as: UTF8.self) else { throw error("invalid UTF-8 in a string", at: index) }
                index = i + 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("control character in a string (escape it)", at: i) }
            i += 1
        }
        guard i < bytes.count else { throw error("unterminated string", at: start) }
        var out: [UInt8] = Array(bytes[index..<i])
        index = i
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                index += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw error("invalid UTF-8 in a string", at: start) }
                return s
            }
            if c < 0x20 { throw error("control character in a string (escape it)") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(34)
            case UInt8(ascii: "\\"): out.append(92)
            case UInt8(ascii: "/"): out.append(47)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        let save = index
                        index += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("invalid escape '\\\(printable(e))' in a string", at: index - 2)
            }
        }
        throw error("unterminated string", at: start)
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("expected four hex digits after \\u") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: throw error("expected four hex digits after \\u")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }
}

extension JSONNumber {
    /// For literals the parser already checked.
    init(validatedLiteral text: String) {
        self.init(uncheckedText: text, double: Double(text) ?? 0)
    }
}
