import HeraldCore
import Testing

@Suite("Event envelope bounds")
struct EventBoundsTests {
    func envelope(id: JSONValue = "evt_1", type: JSONValue = "order.created", tenant: JSONValue = "acme",
                  occurredAt: JSONValue = "2026-01-22T15:30:00Z") -> [UInt8] {
        let value = JSONValue.object(JSONObject([("id", id), ("type", type), ("tenant", tenant),
                                                 ("occurred_at", occurredAt), ("data", ["k": 1])]))
        return Array(value.serialized().utf8)
    }

    func refusal(_ bytes: [UInt8]) -> EventValidationError? {
        do {
            _ = try Event(parsing: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("ids are 1–128 bytes, counted as bytes")
    func idLength() throws {
        #expect(refusal(envelope(id: ""))?.field == "id")
        #expect(refusal(envelope(id: .string(String(repeating: "a", count: 128)))) == nil)
        #expect(refusal(envelope(id: .string(String(repeating: "a", count: 129))))?.field == "id")
        let euros = String(repeating: "€", count: 43)   // 43 characters, 129 bytes
        let refused = try #require(refusal(envelope(id: .string(euros))))
        #expect(refused.description.contains("longer than 128 bytes"))
    }

    @Test("ids with NUL or control characters are refused, so x\\0A and x\\0B cannot collapse into one id")
    func idControlCharacters() throws {
        for id in ["x\u{0}A", "x\u{0}B", "a\nb", "a\r\nb", "tab\t", "del\u{7f}", "c1\u{85}"] {
            let refused = try #require(refusal(envelope(id: .string(id))), "\(id.debugDescription)")
            #expect(refused.field == "id")
            #expect(refused.description.contains("control characters or NUL"))
            #expect(!refused.description.unicodeScalars.contains { $0.value < 0x20 }, "the message escapes them")
        }
        #expect(refusal(envelope(id: "evt_Zoë-🚀:1/2")) == nil)
    }

    @Test("types are at most 128 bytes of lowercase words joined by dots (no '-', no uppercase)")
    func types() {
        let segment = String(repeating: "a", count: 63)
        #expect(refusal(envelope(type: .string(segment + "." + segment + "a"))) == nil)   // 128 bytes
        #expect(refusal(envelope(type: .string(segment + "." + segment + "aa")))?.field == "type")
        for bad in ["order-created.x", "Order.created", "order", "order..created", "order.created\u{0}", "1order.x"] {
            #expect(refusal(envelope(type: .string(bad)))?.field == "type", "\(bad.debugDescription)")
        }
    }

    @Test("a 1 MB tenant, type, id or timestamp makes a short message that names the field")
    func boundedMessages() throws {
        let huge = String(repeating: "T", count: 1_000_000)
        let cases = [("tenant", envelope(tenant: .string(huge))), ("type", envelope(type: .string(huge))),
                     ("id", envelope(id: .string(huge))), ("occurred_at", envelope(occurredAt: .string(huge)))]
        for (field, bytes) in cases {
            let refused = try #require(refusal(bytes))
            #expect(refused.field == field)
            #expect(refused.description.hasPrefix("event.\(field) "))
            #expect(refused.description.utf8.count < 400, "\(field): \(refused.description.utf8.count) bytes")
            #expect(refused.description.contains("TTT…\" (1000000 bytes)"))
        }
    }

    @Test("occurred_at is bounded: a timestamp with a megabyte of fraction digits is refused")
    func occurredAtLength() {
        let long = "2026-01-22T15:30:00." + String(repeating: "1", count: 1_000_000) + "Z"
        #expect(refusal(envelope(occurredAt: .string(long)))?.field == "occurred_at")
        #expect(refusal(envelope(occurredAt: "2026-01-22T15:30:00.123456789+02:00")) == nil)
    }
}
