import Foundation
import Herald
import HeraldCore
import HTTPTypes
import Hummingbird

extension APIServer {
    func addWebhookRoutes(_ api: RouterGroup<APIRequestContext>) {
        let maxBody = configuration.maxBodyBytes

        api.get("/webhooks") { request, context in
            let (tenant, q, event, status) = (try request.query("tenant"), try request.query("q"), try request.query("event"), try request.query("status"))
            let cursor = try request.query("cursor")
            let limit = try request.queryInt("limit", default: 50, range: 1...1000)
            let page = try await run(context) { c, who in
                try WebhookAdmin(context: c, principal: who).list(tenant: tenant, search: q, event: event, status: status, cursor: cursor, limit: limit)
            }
            return JSONOut.response(page)
        }

        api.post("/webhooks") { request, context in
            var request = request
            let body = try await request.bodyBytes(limit: maxBody)
            let created = try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).create(json: body) }
            return JSONOut.response(Created(webhook: created.webhook, secret: created.secret), status: .created,
                                    headers: [.location: "/api/v1/webhooks/\(created.webhook.id ?? "")"])
        }

        api.get("/webhooks/:id") { _, context in
            let id = try self.id(context)
            return JSONOut.response(try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).get(id) })
        }

        api.put("/webhooks/:id") { request, context in
            var request = request
            let id = try self.id(context)
            let body = try await request.bodyBytes(limit: maxBody)
            return JSONOut.response(try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).replace(id, json: body) })
        }

        api.patch("/webhooks/:id") { request, context in
            var request = request
            let id = try self.id(context)
            let body = try await request.bodyBytes(limit: maxBody)
            return JSONOut.response(try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).patch(id, json: body) })
        }

        api.delete("/webhooks/:id") { _, context in
            let id = try self.id(context)
            try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).delete(id) }
            return JSONOut.noContent()
        }

        api.post("/webhooks/:id/pause") { request, context in
            var request = request
            let id = try self.id(context)
            let input = try Input(try await request.bodyBytes(limit: maxBody), allowed: ["reason"])
            let reason = try input.string("reason", maxBytes: 500)
            return JSONOut.response(try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).pause(id, reason: reason) })
        }

        api.post("/webhooks/:id/resume") { _, context in
            let id = try self.id(context)
            let result = try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).resume(id) }
            return JSONOut.response(Resumed(webhook: result.webhook, released: result.released))
        }

        api.post("/webhooks/:id/rotate-secret") { request, context in
            var request = request
            let id = try self.id(context)
            let input = try Input(try await request.bodyBytes(limit: maxBody), allowed: ["grace_seconds", "secret"])
            let grace = try input.int("grace_seconds", range: 0...(30 * 86_400)) ?? 86_400
            let given = try input.string("secret", maxBytes: 1024)
            let secret = try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).rotateSecret(id, graceSeconds: grace, secret: given) }
            return JSONOut.response(["secret": secret])
        }

        api.post("/webhooks/:id/test") { request, context in
            var request = request
            let id = try self.id(context)
            let input = try Input(try await request.bodyBytes(limit: maxBody), allowed: ["event_type", "source", "data", "wait_seconds"])
            let type = try input.string("event_type", maxBytes: 128)
            let source = try input.string("source", maxBytes: 20) ?? (input.value("data") == nil ? "sample" : "custom")
            let wait = try input.int("wait_seconds", range: 0...30) ?? 10
            let event: WebhookAdmin.TestEvent
            switch source {
            case "sample": event = .sample
            case "recent": event = .recent
            case "custom":
                guard let data = input.value("data"), case .object = data else { throw Problem.invalid("data", "data: a JSON object is required with source custom") }
                event = .custom(data)
            default: throw Problem.invalid("source", "source: must be sample, recent or custom")
            }
            let sent = try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).sendTest(id, eventType: type, event: event) }
            let detail = try await awaitFinal(context, sent.deliveryID, seconds: wait)
            return JSONOut.response(TestResult(test: sent, state: detail?.delivery.state ?? "pending", result: detail.flatMap { $0.attempts.last },
                                               delivery: detail), status: detail == nil ? .accepted : .ok)
        }

        api.get("/webhooks/:id/stats") { request, context in
            let id = try self.id(context)
            let (from, to) = try period(request)
            return JSONOut.response(try await run(context) { c, who in
                try DeliveryQueries(context: c, principal: who).stats(webhookID: id, from: from, to: to)
            })
        }

        api.post("/webhooks/:id/retry-failed") { _, context in
            let id = try self.id(context)
            let sent = try await run(context) { c, who in try DeliveryQueries(context: c, principal: who).retryFailed(webhookID: id) }
            return JSONOut.response(Resent(resent: sent.count, ids: sent))
        }
    }

    /// Polls the delivery (without holding a pool thread while waiting) until it is final.
    func awaitFinal(_ context: APIRequestContext, _ deliveryID: String, seconds: Int) async throws -> DeliveryQueries.Detail? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let detail = try await run(context) { c, who in try DeliveryQueries(context: c, principal: who).detail(deliveryID) }
            if !["pending", "in_flight"].contains(detail.delivery.state) { return detail }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(150))
        }
    }

    /// `from`/`to` query parameters; the default period is the last 30 days.
    func period(_ request: Request, defaultDays: Int = 30) throws -> (String, String) {
        let now = Timestamp.nowUnixMilliseconds()
        let from = try request.query("from", maxBytes: 64) ?? Timestamp.iso8601(unixMilliseconds: now - Int64(defaultDays) * 86_400_000)
        let to = try request.query("to", maxBytes: 64) ?? Timestamp.iso8601(unixMilliseconds: now + 60_000)
        return (try DeliveryAdmin.periodBound(from, field: "from"), try DeliveryAdmin.periodBound(to, field: "to"))
    }
}

struct Created: Encodable {
    var webhook: WebhookDocument
    /// The signing secret, shown this once.
    var secret: String
}

struct Resumed: Encodable {
    var webhook: WebhookDocument
    var released: Int
}

struct Resent: Encodable {
    var resent: Int
    var ids: [String]
}

struct TestResult: Encodable {
    var test: WebhookAdmin.TestSend
    var state: String
    /// The attempt that decided it (status, duration, response); nil while still pending.
    var result: DeliveryQueries.Attempt?
    var delivery: DeliveryQueries.Detail?
}
