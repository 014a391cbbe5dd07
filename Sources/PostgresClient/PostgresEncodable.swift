import Foundation

/// A value sent as a text parameter ($1, $2, …). nil (`postgresText == nil`) is SQL NULL.
public protocol PostgresEncodable {
    var postgresText: String? { get }
}

extension String: PostgresEncodable { public var postgresText: String? { self } }
extension Substring: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int32: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int64: PostgresEncodable { public var postgresText: String? { String(self) } }
extension UInt64: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Bool: PostgresEncodable { public var postgresText: String? { self ? "t" : "f" } }
extension Double: PostgresEncodable {
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
}
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self.flatMap { $0.postgresText } }
}

/// bytea, as `\x` hex.
extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public var postgresText: String? { Element.encodeArray(self) }
}

/// Elements of arrays sent as PostgreSQL array literals (`{"a","b",NULL}`); `[UInt8]` is bytea.
public protocol PostgresArrayElement {
    static func encodeArray(_ array: [Self]) -> String
}

extension PostgresArrayElement where Self: PostgresEncodable {
    public static func encodeArray(_ array: [Self]) -> String {
        var out: [UInt8] = [123]   // {
        for (i, element) in array.enumerated() {
            if i > 0 { out.append(44) }
            guard let text = element.postgresText else { out.append(contentsOf: [78, 85, 76, 76]); continue }
            out.append(34)
            for c in text.utf8 {
                if c == 34 || c == 92 { out.append(92) }
                out.append(c)
            }
            out.append(34)
        }
        out.append(125)
        return String(decoding: out, as: UTF8.self)
    }
}

extension UInt8: PostgresArrayElement {
    public static func encodeArray(_ array: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [92, 120]   // \x
        out.reserveCapacity(2 + array.count * 2)
        for b in array { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
extension String: PostgresArrayElement {}
extension Int: PostgresArrayElement {}
extension Int32: PostgresArrayElement {}
extension Int64: PostgresArrayElement {}
extension Bool: PostgresArrayElement {}
extension Double: PostgresArrayElement {}
extension Optional: PostgresArrayElement where Wrapped: PostgresEncodable {}

/// Text for json/jsonb parameters.
public struct PostgresJSON: PostgresEncodable, Sendable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var postgresText: String? { text }
}

extension Date: PostgresEncodable {
    public var postgresText: String? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: self)
    }
}
