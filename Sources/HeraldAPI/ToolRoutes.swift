import Foundation
import Herald
import HeraldCore
import HTTPTypes
import Hummingbird

extension APIServer {
    func addToolRoutes(_ api: RouterGroup<APIRequestContext>) {
        let maxBody = configuration.maxBodyBytes

        // The event catalog: types, descriptions, JSON Schemas and samples (no database needed).
        api.get("/catalog/event-types") { request, context in
            _ = try context.who()
            let pattern = try request.query("matching", maxBytes: 128) ?? "*"
            return JSONOut.response(Listed(data: EventCatalog.types(matching: pattern).map { CatalogEntry(type: $0, full: false) }))
        }
        api.get("/catalog/event-types/:type") { _, context in
            _ = try context.who()
            let type = try self.id(context, "type")
            guard EventCatalog.isKnown(type) else { throw Problem(.notFound, "event type \(Quoted.text(type)) is not in the catalog") }
            return JSONOut.response(CatalogEntry(type: type, full: true))
        }

        // Integration presets (slack, teams, …) and signature presets (github, stripe, …).
        api.get("/presets") { _, context in
            _ = try context.who()
            return JSONOut.response(Listed(data: PresetAdmin.list()))
        }
        api.post("/presets/:name/preview") { request, context in
            var request = request
            _ = try context.who()
            let name = try self.id(context, "name")
            let input = try Input(try await request.bodyBytes(limit: maxBody), allowed: ["event_type", "event"])
            let type = try input.string("event_type", maxBytes: 128)
            let event = input.value("event").map { $0.serialized() }
            do { _ = try PresetAdmin.integration(name) } catch { throw Problem(.notFound, "\(error)") }
            let rendered = try await pool.run { _ in
                try PresetAdmin.preview(integration: name, eventType: type, eventJSON: event, limit: Preview.interactiveLimit)
            }
            return JSONOut.response(PreviewResult(rendered: rendered, json: try? JSONValue(parsing: rendered)))
        }

        api.post("/templates/preview") { request, context in
            var request = request
            _ = try context.who()
            let input = try Input(try await request.bodyBytes(limit: maxBody), allowed: ["template", "event_type", "event", "attempt"])
            let template = try input.templateText("template")
            let type = try input.string("event_type", maxBytes: 128)
            let event = input.value("event").map { $0.serialized() }
            let attempt = try input.int("attempt", range: 1...100) ?? 1
            // On the pool (bounded), at most 256 KiB: a preview cannot tie up the event loops or memory.
            let rendered = try await pool.run { _ in
                try Preview.render(template: template, eventType: type, eventJSON: event, attempt: attempt, limit: Preview.interactiveLimit)
            }
            return JSONOut.response(PreviewResult(rendered: rendered, json: try? JSONValue(parsing: rendered)))
        }

        api.post("/filters/check") { request, context in
            var request = request
            _ = try context.who()
            let input = try Input(try await request.bodyBytes(limit: maxBody), allowed: ["filter", "event_type", "event"])
            guard let expression = try input.string("filter", maxBytes: FilterLimits.maxSourceBytes) else {
                throw Problem.invalid("filter", "filter: is required")
            }
            let filter = try Filter(parsing: expression)
            var event = input.value("event")
            if event == nil, let type = try input.string("event_type", maxBytes: 128) {
                guard let sample = EventCatalog.sampleEvent(for: type) else {
                    throw Problem.invalid("event_type", "event_type: \(Quoted.text(type)) is not in the catalog")
                }
                event = sample
            }
            var result = FilterCheck(valid: true, normalized: filter.description, matches: nil, reason: nil)
            if let event {
                switch filter.evaluate(event) {
                case .match: result.matches = true
                case .noMatch: result.matches = false; result.reason = "the event does not satisfy the filter"
                case .typeMismatch(let path):
                    result.matches = false
                    result.reason = "\(path) holds a value of another type than the filter compares with"
                }
            }
            return JSONOut.response(result)
        }

        // Parked deliveries (herald.dead): listed for everyone (a tenant sees its own), redriven by operators.
        api.get("/dead-letters") { request, context in
            let max = try request.queryInt("max", default: 100, range: 1...1000)
            return JSONOut.response(Listed(data: try await run(context, slow: true) { c, who in
                let parked = try DeadLetterAdmin(configuration: c.configuration).list(max: max)
                guard let tenant = who.tenant else { return parked }
                let own = Set(try c.database().query("SELECT id FROM webhooks WHERE tenant_id = $1", [tenant]).compactMap { $0[0].text })
                return parked.filter { $0.webhookID.map(own.contains) ?? false }
            }))
        }
        api.post("/dead-letters/redrive") { request, context in
            var request = request
            let input = try Input(try await request.bodyBytes(limit: maxBody), allowed: ["max", "dry_run"])
            let max = try input.int("max", range: 1...100_000) ?? 1000
            let dryRun = try input.bool("dry_run") ?? false
            let ids = try await run(context, slow: true) { c, who in
                try who.requireOperator()
                let ids = try DeadLetterAdmin(configuration: c.configuration).redrive(max: max, dryRun: dryRun, database: c.database())
                if !dryRun { try c.audit().record(who, action: "dead.redrive", tenant: nil, targetType: "delivery", targetID: nil, after: ["count": String(ids.count)]) }
                return ids
            }
            return JSONOut.response(Recovered(dryRun: dryRun, count: ids.count, ids: ids))
        }

        // Events the router refused (herald.invalid), with the reason; republished by operators.
        api.get("/invalid-events") { request, context in
            let max = try request.queryInt("max", default: 100, range: 1...1000)
            return JSONOut.response(Listed(data: try await run(context, slow: true) { c, who in
                let refused = try DeadLetterAdmin(configuration: c.configuration).listInvalid(max: max)
                guard let tenant = who.tenant else { return refused }
                return refused.filter { $0.tenant == tenant }
            }))
        }
        api.post("/invalid-events/redrive") { request, context in
            var request = request
            let input = try Input(try await request.bodyBytes(limit: 16_384), allowed: ["max", "dry_run"])
            let max = try input.int("max", range: 1...100_000) ?? 1000
            let dryRun = try input.bool("dry_run") ?? false
            let count = try await run(context, slow: true) { c, who in
                try who.requireOperator()
                let count = try DeadLetterAdmin(configuration: c.configuration).redriveInvalid(max: max, dryRun: dryRun)
                if !dryRun { try c.audit().record(who, action: "invalid.redrive", tenant: nil, targetType: "event", targetID: nil, after: ["count": String(count)]) }
                return count
            }
            return JSONOut.response(Recovered(dryRun: dryRun, count: count, ids: []))
        }

        // Events over HTTP, for ERPs that cannot speak AMQP.
        api.post("/events") { request, context in
            var request = request
            let body = try await request.bodyBytes(limit: max(maxBody, 5 << 20))
            let key = request.headers[HTTPField.Name("Idempotency-Key")!]
            let trace = request.headers[HTTPField.Name(TraceContext.headerName)!]
            let accepted = try await run(context) { c, who in
                try EventIngest(context: c, principal: who).ingest(body: body, idempotencyKey: key, traceparent: trace)
            }
            if !accepted.replayed { telemetry.metrics.ingested(accepted.accepted) }
            var headers: HTTPFields = [:]
            if accepted.replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
            return JSONOut.response(accepted, status: .accepted, headers: headers)
        }

        api.get("/audit") { request, context in
            let target = try request.query("target_id", maxBytes: 128)
            let tenant = try request.query("tenant", maxBytes: 63)
            let before = try request.query("cursor", maxBytes: 20).map { text throws(Problem) -> Int in
                guard let id = Int(text) else { throw Problem.invalid("cursor", "cursor: not a cursor this API returned") }
                return id
            }
            let limit = try request.queryInt("limit", default: 50, range: 1...1000)
            let entries = try await run(context) { c, who in
                try c.audit().list(tenant: who.tenantFilter(tenant), targetID: target, before: before, limit: limit + 1)
            }
            return JSONOut.response(AuditPage(data: Array(entries.prefix(limit)), nextCursor: entries.count > limit ? entries.prefix(limit).last.map { String($0.id) } : nil))
        }
    }
}

struct CatalogEntry: Encodable {
    var type: String
    var entity: String
    var action: String
    var description: String
    var schema: JSONValue?
    var sample: JSONValue?

    init(type: String, full: Bool) {
        self.type = type
        let parts = type.split(separator: ".", maxSplits: 1).map(String.init)
        entity = parts.first ?? type
        action = parts.count > 1 ? parts[1] : ""
        let noun = entity.replacingOccurrences(of: "_", with: " ")
        description = "\(noun.prefix(1).uppercased() + noun.dropFirst()) \(action.replacingOccurrences(of: "_", with: " "))"
        schema = EventCatalog.jsonSchema(for: type)
        sample = full ? EventCatalog.sampleEvent(for: type) : nil
    }
}

struct PreviewResult: Encodable {
    var rendered: String
    /// The rendered payload as JSON, when it is JSON.
    var json: JSONValue?
}

struct FilterCheck: Encodable {
    var valid: Bool
    var normalized: String
    var matches: Bool?
    var reason: String?
}

struct AuditPage: Encodable {
    var data: [AuditLog.Entry]
    var nextCursor: String?
    enum CodingKeys: String, CodingKey { case data, nextCursor = "next_cursor" }
}

extension Input {
    /// A template given as a JSON string, or written inline as a JSON object/array.
    func templateText(_ key: String) throws(Problem) -> String? {
        guard let value = object[key], value != .null else { return nil }
        if case .string(let text) = value { return text }
        return value.serialized()
    }
}
