import Foundation

/// A value read from a text-format result cell.
public protocol PostgresDecodable {
    init(postgresText: String) throws(PostgresError)
}

func decodingError(_ text: String, _ type: String) -> PostgresError {
    PostgresError(code: .decodingFailed, message: "cannot read \"\(text.prefix(60))\" as \(type)")
}

extension String: PostgresDecodable { public init(postgresText: String) { self = postgresText } }
/// Whole numbers: the text must be a number that fits the type.
public protocol PostgresIntegerDecodable: PostgresDecodable, FixedWidthInteger {}

extension PostgresIntegerDecodable {
    public init(postgresText: String) throws(PostgresError) {
        guard let v = Self(postgresText) else { throw decodingError(postgresText, "\(Self.self)") }
        self = v
    }
}

extension Int: PostgresIntegerDecodable {}
extension Int32: PostgresIntegerDecodable {}
extension Int64: PostgresIntegerDecodable {}
extension Double: PostgresDecodable {
    public init(postgresText: String) throws(PostgresError) {
        guard let v = Double(postgresText) else { throw decodingError(postgresText, "Double") }
        self = v
    }
}
extension Bool: PostgresDecodable {
    public init(postgresText: String) throws(PostgresError) {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw decodingError(postgresText, "Bool")
        }
    }
}
extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText: String) throws(PostgresError) { self = try Wrapped(postgresText: postgresText) }
}

extension Date: PostgresDecodable {
    /// timestamptz text: `2026-01-22 15:30:00.123456+00`, any precision, any offset.
    public init(postgresText text: String) throws(PostgresError) {
        let b = Array(text.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count else { return nil }
            var v = 0
            for i in r { guard b[i] >= 48, b[i] <= 57 else { return nil }; v = v * 10 + Int(b[i] - 48) }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16), let s = num(17..<19) else {
            throw decodingError(text, "Date")
        }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == 46 {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 48, b[i] <= 57 { fraction += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
        }
        var offset = 0
        if i < b.count, b[i] == 43 || b[i] == 45 {
            let sign = b[i] == 45 ? -1 : 1
            guard let oh = num(i + 1..<i + 3) else { throw decodingError(text, "Date") }
            var om = 0
            if i + 3 < b.count, b[i + 3] == 58, let m = num(i + 4..<i + 6) { om = m }
            offset = sign * (oh * 3600 + om * 60)
        }
        // Days from civil (Howard Hinnant).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        let seconds = Double(days * 86400 + h * 3600 + mi * 60 + s - offset) + fraction
        self = Date(timeIntervalSince1970: seconds)
    }
}

/// Arrays from their text form: `{a,"b c",NULL}` and bytea `\x…`.
public protocol PostgresArrayElementDecodable {
    static func decodeArray(_ text: String) throws(PostgresError) -> [Self]
}

extension Array: PostgresDecodable where Element: PostgresArrayElementDecodable {
    public init(postgresText: String) throws(PostgresError) { self = try Element.decodeArray(postgresText) }
}

extension UInt8: PostgresArrayElementDecodable {
    public static func decodeArray(_ text: String) throws(PostgresError) -> [UInt8] {
        let b = Array(text.utf8)
        guard b.count >= 2, b[0] == 92, b[1] == 120, b.count % 2 == 0 else { throw decodingError(text, "bytea") }
        var out = [UInt8]()
        out.reserveCapacity((b.count - 2) / 2)
        func v(_ c: UInt8) -> UInt8? {
            switch c { case 48...57: c - 48; case 97...102: c - 87; case 65...70: c - 55; default: nil }
        }
        var i = 2
        while i < b.count {
            guard let h = v(b[i]), let l = v(b[i + 1]) else { throw decodingError(text, "bytea") }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}

enum PostgresArrayLiteral {
    /// Elements of a one-dimensional array literal; nil elements are NULL.
    static func elements(_ text: String) throws(PostgresError) -> [String?] {
        let chars = Array(text.unicodeScalars)
        guard chars.first == "{", chars.last == "}" else { throw decodingError(text, "array") }
        var result: [String?] = []
        var i = 1
        let end = chars.count - 1
        if i == end { return [] }
        while i < end {
            if chars[i] == "\"" {
                var s = String.UnicodeScalarView()
                i += 1
                while i < end, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < end { i += 1 }
                    s.append(chars[i])
                    i += 1
                }
                i += 1
                result.append(String(s))
            } else {
                var s = String.UnicodeScalarView()
                while i < end, chars[i] != "," { s.append(chars[i]); i += 1 }
                let value = String(s)
                result.append(value == "NULL" ? nil : value)
            }
            if i < end, chars[i] == "," { i += 1 }
        }
        return result
    }
}

extension String: PostgresArrayElementDecodable {
    public static func decodeArray(_ text: String) throws(PostgresError) -> [String] {
        try PostgresArrayLiteral.elements(text).map { $0 ?? "" }
    }
}
extension Int: PostgresArrayElementDecodable {
    public static func decodeArray(_ text: String) throws(PostgresError) -> [Int] {
        var out: [Int] = []
        for e in try PostgresArrayLiteral.elements(text) {
            guard let e, let v = Int(e) else { throw decodingError(text, "[Int]") }
            out.append(v)
        }
        return out
    }
}
extension Int64: PostgresArrayElementDecodable {
    public static func decodeArray(_ text: String) throws(PostgresError) -> [Int64] {
        var out: [Int64] = []
        for e in try PostgresArrayLiteral.elements(text) {
            guard let e, let v = Int64(e) else { throw decodingError(text, "[Int64]") }
            out.append(v)
        }
        return out
    }
}
extension Optional: PostgresArrayElementDecodable where Wrapped == String {
    public static func decodeArray(_ text: String) throws(PostgresError) -> [String?] { try PostgresArrayLiteral.elements(text) }
}
