import Herald
import HeraldCore
import HTTPTypes
import Hummingbird
import NIOCore

/// A small JSON request body read strictly: not JSON → 400; an unknown field, a wrong type or a
/// value out of range → 422 naming the field.
struct Input {
    let object: JSONObject

    init(_ bytes: [UInt8], allowed: [String]) throws(Problem) {
        if bytes.isEmpty { object = JSONObject(); return }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw Problem(.badRequest, "the body is not valid JSON: \(error)", field: "body") }
        guard case .object(let object) = value else { throw Problem.invalid("body", "the body must be a JSON object") }
        if let path = value.pathOfNUL() { throw Problem.invalid(path, "\(path): must not contain NUL (\\u0000) characters") }
        for key in object.keys where !allowed.contains(key) {
            let closest = allowed.min { EditDistance.between($0, key) < EditDistance.between($1, key) }
            let hint = closest.map { EditDistance.between($0, key) <= 3 ? " (did you mean \($0)?)" : "" } ?? ""
            throw Problem.invalid(key, "\(Quoted.bare(key)): unknown field\(hint); known: \(allowed.joined(separator: ", "))")
        }
        self.object = object
    }

    func string(_ key: String, maxBytes: Int = 1000) throws(Problem) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard case .string(let text) = value else { throw Problem.invalid(key, "\(key): expected a string") }
        guard text.utf8.count <= maxBytes else { throw Problem.invalid(key, "\(key): \(text.utf8.count) bytes; at most \(maxBytes)") }
        return text
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(Problem) -> Int? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let n) = value, let i = n.int else { throw Problem.invalid(key, "\(key): expected a whole number") }
        guard range.contains(i) else { throw Problem.invalid(key, "\(key): \(i) is out of range \(range.lowerBound)…\(range.upperBound)") }
        return i
    }

    func bool(_ key: String) throws(Problem) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let b) = value else { throw Problem.invalid(key, "\(key): expected true or false") }
        return b
    }

    func strings(_ key: String, maxCount: Int, maxBytes: Int = 200) throws(Problem) -> [String]? {
        guard let value = object[key], value != .null else { return nil }
        guard case .array(let items) = value else { throw Problem.invalid(key, "\(key): expected an array of strings") }
        guard items.count <= maxCount else { throw Problem.invalid(key, "\(key): \(items.count) items; at most \(maxCount)") }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let text) = item, text.utf8.count <= maxBytes else {
                throw Problem.invalid("\(key)[\(i)]", "\(key)[\(i)]: expected a string of at most \(maxBytes) bytes")
            }
            result.append(text)
        }
        return result
    }

    func value(_ key: String) -> JSONValue? { object[key] }
}

extension Request {
    /// The body, at most `limit` bytes (413 naming the limit beyond it).
    mutating func bodyBytes(limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem(.contentTooLarge, "the body is larger than \(limit) bytes", field: "body")
        } catch is NIOTooManyBytesError {
            throw Problem(.contentTooLarge, "the body is larger than \(limit) bytes", field: "body")
        }
    }

    /// A query parameter, bounded in size.
    func query(_ name: String, maxBytes: Int = 500) throws(Problem) -> String? {
        guard let value = uri.queryParameters.get(name) else { return nil }
        guard value.utf8.count <= maxBytes else { throw Problem.invalid(name, "\(name): at most \(maxBytes) bytes") }
        guard !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { throw Problem.invalid(name, "\(name): must not contain control characters") }
        return value.isEmpty ? nil : value
    }

    func queryInt(_ name: String, default value: Int, range: ClosedRange<Int>) throws(Problem) -> Int {
        guard let text = try query(name, maxBytes: 20) else { return value }
        guard let i = Int(text), range.contains(i) else {
            throw Problem.invalid(name, "\(name): \(Quoted.text(text)) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return i
    }
}
