/// An ERP business event as published to the events exchange (schemas/event.schema.json).
///
/// `raw` keeps the bytes as received so that the router can store and forward the envelope
/// without encoding it again.
public struct Event: Sendable {
    public var id: String
    public var type: String
    public var tenant: String
    public var occurredAt: String
    public var envelope: JSONValue
    public var raw: [UInt8]

    public var data: JSONValue { envelope["data"] ?? .null }

    /// Parses and validates an envelope. Every rule that fails is named in the error.
    public init(parsing bytes: [UInt8]) throws(EventValidationError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            throw EventValidationError(field: nil, message: "not JSON: \(error)")
        }
        try self.init(envelope: value, raw: bytes)
    }

    public init(envelope value: JSONValue, raw: [UInt8]? = nil) throws(EventValidationError) {
        guard case .object(let object) = value else {
            throw EventValidationError(field: nil, message: "the event must be a JSON object")
        }
        let id = try Event.requiredString(object, "id")
        guard id.utf8.count <= EventLimits.maxIDBytes else {
            throw EventValidationError(field: "id", message: "\(Quoted.text(id)) is longer than "
                + "\(EventLimits.maxIDBytes) bytes")
        }
        guard !EventLimits.containsControl(id) else {
            throw EventValidationError(field: "id", message: "\(Quoted.text(id)) must not contain control characters "
                + "or NUL")
        }
        let type = try Event.requiredString(object, "type")
        guard EventType.isValid(type) else {
            throw EventValidationError(field: "type", message: "\(Quoted.text(type)) is not an event type like "
                + "order.created (lowercase words of a-z, 0-9 and _ joined by dots, at most "
                + "\(EventLimits.maxTypeBytes) bytes)")
        }
        let tenant = try Event.requiredString(object, "tenant")
        guard TenantID.isValid(tenant) else {
            throw EventValidationError(field: "tenant", message: "\(Quoted.text(tenant)) must be 1–"
                + "\(EventLimits.maxTenantBytes) lowercase letters, digits, '-' or '_'")
        }
        let occurredAt = try Event.requiredString(object, "occurred_at")
        guard occurredAt.utf8.count <= EventLimits.maxOccurredAtBytes, Timestamp.isRFC3339(occurredAt) else {
            throw EventValidationError(field: "occurred_at", message: "\(Quoted.text(occurredAt)) is not an RFC 3339 "
                + "date-time such as 2026-01-22T15:30:00Z (at most \(EventLimits.maxOccurredAtBytes) bytes)")
        }
        guard let data = object["data"] else {
            throw EventValidationError(field: "data", message: "is missing")
        }
        guard case .object = data else {
            throw EventValidationError(field: "data", message: "must be a JSON object")
        }
        self.id = id
        self.type = type
        self.tenant = tenant
        self.occurredAt = occurredAt
        self.envelope = value
        if let raw {
            self.raw = raw
        } else {
            var buffer: [UInt8] = []
            value.write(to: &buffer)
            self.raw = buffer
        }
    }

    private static func requiredString(_ object: JSONObject, _ key: String) throws(EventValidationError) -> String {
        guard let value = object[key] else {
            throw EventValidationError(field: key, message: "is missing")
        }
        guard case .string(let string) = value else {
            throw EventValidationError(field: key, message: "must be a string")
        }
        guard !string.isEmpty else {
            throw EventValidationError(field: key, message: "must not be empty")
        }
        return string
    }
}

/// Why an event was refused; `field` names the envelope field when one is at fault.
public struct EventValidationError: Error, Sendable, CustomStringConvertible, Equatable {
    public var field: String?
    public var message: String

    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "event.\(field) \(message)" }
        return message
    }
}

/// Bounds on the envelope's string fields, in UTF-8 bytes. Each field is checked on its bytes, so
/// that a NUL or a line break cannot hide inside a value that looks short.
public enum EventLimits {
    /// `id`: 1–128 bytes, no control characters (U+0000–U+001F, U+007F–U+009F).
    public static let maxIDBytes = 128
    /// `type`: at most 128 bytes (see `EventType.isValid`).
    public static let maxTypeBytes = 128
    /// `tenant`: 1–63 bytes (see `TenantID.isValid`).
    public static let maxTenantBytes = 63
    /// `occurred_at`: an RFC 3339 date-time of at most 64 bytes.
    public static let maxOccurredAtBytes = 64

    static func containsControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }
}

public enum EventType {
    /// `order.created`: at least two segments of lowercase letters, digits and '_', each starting with
    /// a letter, at most `EventLimits.maxTypeBytes` bytes.
    public static func isValid(_ type: String) -> Bool {
        guard type.utf8.count <= EventLimits.maxTypeBytes else { return false }
        let segments = type.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count >= 2 else { return false }
        for segment in segments {
            guard let first = segment.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") else {
                return false
            }
            for c in segment where !((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95) { return false }
        }
        return true
    }
}

public enum TenantID {
    public static func isValid(_ tenant: String) -> Bool {
        guard (1...EventLimits.maxTenantBytes).contains(tenant.utf8.count) else { return false }
        let bytes = Array(tenant.utf8)
        for (i, c) in bytes.enumerated() {
            let alnum = (c >= 97 && c <= 122) || (c >= 48 && c <= 57)
            if i == 0 { guard alnum else { return false } }
            guard alnum || c == 45 || c == 95 else { return false }
        }
        return true
    }
}
