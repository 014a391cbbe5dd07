import AMQP
import Foundation
import HeraldCore
import HeraldCrypto
import PostgresClient

/// Events sent over HTTP (`POST /api/v1/events`) for ERPs that cannot speak AMQP: validated like
/// the producer's, published with confirms to the events exchange. An `Idempotency-Key` makes a
/// retried request publish nothing new: the key, the body's hash and the event ids are recorded
/// before publishing; a repeat with the same key and body answers with the same ids; a repeat
/// after a crash between record and confirm publishes the same ids again (the router keeps one
/// delivery per event id); the same key with another body is refused.
/// A request body that is not JSON at all (400, where a JSON body that breaks a rule is 422).
public struct InvalidJSON: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

public struct EventIngest {
    public let context: AdminContext
    public let principal: Principal

    public init(context: AdminContext, principal: Principal) {
        self.context = context
        self.principal = principal
    }

    public static let maxEventsPerRequest = 1000

    public struct Accepted: Encodable, Sendable {
        public var accepted: Int
        public var ids: [String]
        public var replayed: Bool
    }

    /// `traceparent`: the caller's W3C trace context; the events carry it to the webhook requests
    /// (an invalid one is ignored: the router starts a new trace).
    public func ingest(body: [UInt8], idempotencyKey: String?, traceparent: String? = nil) throws -> Accepted {
        let trace = traceparent.flatMap(TraceContext.init(traceparent:))
        try principal.requireChange()
        if let key = idempotencyKey {
            guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) else {
                throw AdminInputError(field: "Idempotency-Key", value: String(key.prefix(40)), rule: "must be 1 to 255 printable ASCII characters without spaces")
            }
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: body) } catch { throw InvalidJSON(description: "the body is not valid JSON: \(error)") }
        let items: [JSONValue]
        var batch = false
        switch value {
        case .array(let list): items = list; batch = true
        case .object: items = [value]
        default: throw AdminInputError(field: "body", value: "", rule: "must be an event object or an array of events")
        }
        guard !items.isEmpty, items.count <= EventIngest.maxEventsPerRequest else {
            throw AdminInputError(field: "body", value: String(items.count), rule: "give 1 to \(EventIngest.maxEventsPerRequest) events")
        }
        let scope = principal.tenant ?? "*"
        var events: [Event] = []
        for (index, item) in items.enumerated() {
            let location = batch ? "events[\(index)]" : "event"
            guard case .object(var object) = item else { throw AdminInputError(field: location, value: "", rule: "must be a JSON object") }
            if object["tenant"] == nil, let tenant = principal.tenant { object["tenant"] = .string(tenant) }
            if object["occurred_at"] == nil { object["occurred_at"] = .string(Timestamp.nowISO8601()) }
            if case .string(let tenant)? = object["tenant"], !principal.sees(tenant: tenant) {
                throw AccessError.forbidden("\(location).tenant: this token belongs to tenant \(principal.tenant ?? ""); it cannot publish for \(Quoted.text(tenant))")
            }
            if object["id"] == nil {
                // With a key, a missing id is derived from it: a retried request carries the same ids.
                let id = idempotencyKey.map { "evt_" + Hex.encode(Array(SHA256.hash(Array("\(scope)\u{0}\($0)\u{0}\(index)".utf8)).prefix(16))) }
                    ?? IDs.make("evt_")
                var withID = JSONObject([("id", .string(id))])
                for (key, value) in object { withID[key] = value }
                object = withID
            }
            var raw: [UInt8] = []
            JSONValue.object(object).write(to: &raw)
            let event: Event
            do { event = try Event(envelope: .object(object), raw: raw) } catch {
                throw AdminInputError(field: "\(location).\(error.field ?? "")", value: "", rule: error.message)
            }
            // Checked again on the event as it will be published (whatever the object looked like).
            guard principal.sees(tenant: event.tenant) else {
                throw AccessError.forbidden("\(location).tenant: this token belongs to tenant \(principal.tenant ?? ""); it cannot publish for \(Quoted.text(event.tenant))")
            }
            events.append(event)
        }
        let ids = events.map(\.id)
        if let key = idempotencyKey {
            let db = try context.database()
            let hash = SHA256.hash(body)
            let inserted = try db.query("""
                INSERT INTO api_idempotency (tenant_id, key, request_hash, event_ids) VALUES ($1, $2, $3, $4)
                ON CONFLICT DO NOTHING RETURNING 1
                """, [scope, key, hash, ids])
            if inserted.isEmpty {
                guard let row = try db.query("SELECT request_hash, event_ids, published FROM api_idempotency WHERE tenant_id = $1 AND key = $2",
                                             [scope, key]).first else { throw AdminInputError(field: "Idempotency-Key", value: key, rule: "is being used by a request right now; retry") }
                guard let stored = try? row[0].decode([UInt8].self), constantTimeEquals(stored, hash) else {
                    throw AdminInputError(field: "Idempotency-Key", value: key, rule: "was used before with a different body; use a new key for new events")
                }
                let storedIDs = (try? row[1].decode([String].self)) ?? ids
                if row[2].text == "t" { return Accepted(accepted: storedIDs.count, ids: storedIDs, replayed: true) }
            }
            try publish(events, trace: trace)
            try db.execute("UPDATE api_idempotency SET published = true WHERE tenant_id = $1 AND key = $2", [scope, key])
            if Int.random(in: 0..<200) == 0 {
                _ = try? db.execute("DELETE FROM api_idempotency WHERE created_at < now() - interval '24 hours'")
            }
            return Accepted(accepted: ids.count, ids: ids, replayed: false)
        }
        try publish(events, trace: trace)
        return Accepted(accepted: ids.count, ids: ids, replayed: false)
    }

    private func publish(_ events: [Event], trace: TraceContext?) throws {
        let names = context.configuration.topology
        let amqp = try context.amqp(declaring: "events") { try Topology(names: names).declareEvents(on: $0) }
        try EventPublisher(connection: amqp, exchange: names.eventsExchange).publish(events, trace: trace)
    }
}
