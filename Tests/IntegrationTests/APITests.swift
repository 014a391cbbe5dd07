import Foundation
import Herald
import HeraldCore
import Testing

/// herald-api as a real process against a real database, broker, worker and receiver.
@Suite("Management API", .serialized)
struct APITests {
    func webhookJSON(_ h: Harness, name: String = "Orders", path: String = "/ok/api", extra: String = "") -> String {
        #"{"name": "\#(name)", "url": "\#(h.receiver.baseURL)\#(path)", "events": ["order.*"]\#(extra)}"#
    }

    @Test("create → test → events → deliveries → detail → resend → stats → export, and heraldctl sees the same")
    func fullFlow() throws {
        let h = try Harness("api_flow")
        try h.startRouter()
        try h.startWorker()
        let api = try APIProcess(h)
        defer { api.stop() }
        let token = try APIProcess.token(h, tenant: "acme").secret

        // Create: the secret is shown once; the tenant comes from the token.
        let created = try api.call("POST", "/api/v1/webhooks", token: token, body: webhookJSON(h, extra: #", "auth": {"type": "bearer", "token": "T0K"}"#))
        #expect(created.status == 201)
        let id = try #require(created.json["webhook"]?["id"]?.stringValue)
        #expect(created.json["webhook"]?["tenant"]?.stringValue == "acme")
        #expect(created.json["webhook"]?["auth"]?["token"]?.stringValue == "…")
        try h.receiver.addSecret(try #require(created.json["secret"]?.stringValue))

        // Test send through the real pipeline.
        let test = try api.call("POST", "/api/v1/webhooks/\(id)/test", token: token, body: #"{"event_type": "order.created", "wait_seconds": 20}"#)
        #expect(test.status == 200, "\(test.text)")
        #expect(test.json["state"]?.stringValue == "succeeded")
        #expect(test.json["result"]?["status_code"]?.intValue == 200)

        // Events over HTTP, delivered end to end.
        let events = try api.call("POST", "/api/v1/events", token: token, body: """
            [{"type": "order.created", "data": {"order": {"id": "A-1", "total": 10}}},
             {"type": "order.updated", "data": {"order": {"id": "A-1", "total": 12}}},
             {"type": "order.shipped", "data": {"order": {"id": "A-1"}}}]
            """)
        #expect(events.status == 202, "\(events.text)")
        #expect(events.json["accepted"]?.intValue == 3)
        try h.waitUntil("4 deliveries succeeded") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 4 }

        // The log, newest first, two per page, cursor to the rest; numbers are numbers.
        let page1 = try api.call("GET", "/api/v1/deliveries?webhook_id=\(id)&limit=2", token: token)
        #expect(page1.status == 200)
        #expect(page1.json["data"]?.arrayValue?.count == 2)
        #expect(page1.json["has_more"] == .bool(true))
        let cursor = try #require(page1.json["next_cursor"]?.stringValue)
        let page2 = try api.call("GET", "/api/v1/deliveries?webhook_id=\(id)&limit=2&cursor=\(cursor)", token: token)
        #expect(page2.json["data"]?.arrayValue?.count == 2)
        #expect(page2.json["has_more"] == .bool(false))
        let apiIDs = ((page1.json["data"]?.arrayValue ?? []) + (page2.json["data"]?.arrayValue ?? [])).compactMap { $0["id"]?.stringValue }
        #expect(Set(apiIDs).count == 4)
        let first = try #require(page1.json["data"]?[0])
        if case .number = first["attempts"] ?? .null {} else { Issue.record("attempts is not a number: \(first)") }

        // heraldctl gives the same log, typed.
        let ctl = try heraldctl(h, ["delivery", "log", "--webhook", id, "--json"])
        let ctlJSON = try JSONValue(parsing: ctl.out)
        #expect(Set((ctlJSON["data"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }) == Set(apiIDs))
        #expect(ctlJSON["data"]?[0]?["attempts"]?.intValue == 1)

        // One delivery with its attempt timeline; resend adds an attempt.
        let detail = try api.call("GET", "/api/v1/deliveries/\(apiIDs[0])", token: token)
        #expect(detail.json["attempts"]?[0]?["succeeded"] == .bool(true))
        #expect(detail.json["request"]?["method"]?.stringValue == "POST")
        #expect(detail.json["request"]?["body"]?.stringValue?.contains("order") == true)
        let resend = try api.call("POST", "/api/v1/deliveries/\(apiIDs[0])/resend", token: token)
        #expect(resend.status == 202)
        try h.waitUntil("the resend's attempt") { try h.count("SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1", [apiIDs[0]]) == 2 }
        let ctlShow = try JSONValue(parsing: try heraldctl(h, ["delivery", "show", apiIDs[0], "--json"]).out)
        #expect(ctlShow["attempts"]?.arrayValue?.count == 2)

        // Stats: the dashboard's figures.
        let stats = try api.call("GET", "/api/v1/webhooks/\(id)/stats", token: token)
        #expect(stats.json["deliveries"]?.intValue == 4)
        #expect(stats.json["succeeded"]?.intValue == 4)
        #expect(stats.json["success_rate"]?.numberValue?.double == 100)
        #expect(stats.json["attempts"]?.intValue == 5)
        #expect(stats.json["p95_latency_ms"]?.numberValue != nil)
        let report = try api.call("GET", "/api/v1/stats", token: token)
        #expect(report.json["data"]?[0]?["deliveries"]?.intValue == 4)

        // Export, streamed: CSV and JSON.
        let csv = try api.call("GET", "/api/v1/attempts/export?webhook_id=\(id)", token: token)
        #expect(csv.status == 200)
        #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
        #expect(csv.text.split(separator: "\n").count == 6)
        let jsonExport = try api.call("GET", "/api/v1/attempts/export?webhook_id=\(id)&format=json", token: token)
        #expect(jsonExport.json.arrayValue?.count == 5)
        #expect(jsonExport.json[0]?["succeeded"] == .bool(true))
        let ctlExport = try heraldctl(h, ["export", "--webhook", id, "--json"])
        #expect((try JSONValue(parsing: ctlExport.out)).arrayValue?.count == 5)

        // PATCH changes one field; the stored credential stays.
        let patched = try api.call("PATCH", "/api/v1/webhooks/\(id)", token: token, body: #"{"rate_limit_per_minute": 600, "description": "patched"}"#)
        #expect(patched.status == 200, "\(patched.text)")
        #expect(patched.json["rate_limit_per_minute"]?.intValue == 600)
        let stored = try WebhookStore(connection: h.database, masterKey: h.configuration.masterKey).document(id: id)
        #expect(stored.auth?.token == "T0K")
        #expect(stored.description == "patched")

        // Pause, resume (what waited is sent), rotate, retry-failed, recover (dry run).
        #expect(try api.call("POST", "/api/v1/webhooks/\(id)/pause", token: token, body: #"{"reason": "maintenance"}"#).json["status"]?.stringValue == "paused")
        Thread.sleep(forTimeInterval: 1.5)   // a pause reaches running routers and workers through LISTEN/NOTIFY within moments
        _ = try api.call("POST", "/api/v1/events", token: token, body: #"{"type": "order.created", "data": {"order": {"id": "P-1"}}}"#)
        do {
            try h.waitUntil("a paused delivery") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'paused'") == 1 }
        } catch {
            Issue.record("states: \(try h.database.query("SELECT state, count(*) FROM deliveries GROUP BY 1").map { "\($0[0].text ?? "") \($0[1].text ?? "")" })")
            throw error
        }
        let resumed = try api.call("POST", "/api/v1/webhooks/\(id)/resume", token: token)
        #expect(resumed.json["released"]?.intValue == 1)
        try h.waitUntil("the released delivery") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 5 }
        let rotated = try api.call("POST", "/api/v1/webhooks/\(id)/rotate-secret", token: token, body: #"{"grace_seconds": 60}"#)
        #expect(rotated.json["secret"]?.stringValue?.hasPrefix("whsec_") == true)
        #expect(try api.call("POST", "/api/v1/webhooks/\(id)/retry-failed", token: token).json["resent"]?.intValue == 0)
        let recovered = try api.call("POST", "/api/v1/deliveries/recover", token: token, body: #"{"from": "2020-01-01", "to": "2100-01-01", "dry_run": true}"#)
        #expect(recovered.json["count"]?.intValue == 0)

        // Tools: catalog, template preview, filter check.
        let catalog = try api.call("GET", "/api/v1/catalog/event-types", token: token)
        #expect(catalog.json["data"]?.arrayValue?.count == EventCatalog.types.count)
        #expect(try api.call("GET", "/api/v1/catalog/event-types/order.created", token: token).json["sample"]?["type"]?.stringValue == "order.created")
        let preview = try api.call("POST", "/api/v1/templates/preview", token: token, body: #"{"template": {"id": "{order.id}"}, "event_type": "order.created"}"#)
        #expect(preview.status == 200, "\(preview.text)")
        #expect(preview.json["json"]?["id"] != nil)
        let check = try api.call("POST", "/api/v1/filters/check", token: token, body: #"{"filter": "order.total > 100000000", "event_type": "order.created"}"#)
        #expect(check.json["matches"] == .bool(false))

        // The audit log saw every change, by this token.
        let audit = try api.call("GET", "/api/v1/audit?target_id=\(id)", token: token)
        let actions = (audit.json["data"]?.arrayValue ?? []).compactMap { $0["action"]?.stringValue }
        for action in ["webhook.create", "webhook.test", "webhook.update", "webhook.pause", "webhook.resume", "webhook.rotate_secret"] {
            #expect(actions.contains(action), "audit lacks \(action): \(actions)")
        }
        #expect(!audit.text.contains("T0K"), "a secret reached the audit log")

        // Delete.
        #expect(try api.call("DELETE", "/api/v1/webhooks/\(id)", token: token).status == 204)
        #expect(try api.call("GET", "/api/v1/webhooks/\(id)", token: token).status == 404)
    }

    @Test("tenant isolation: another tenant's ids are 404, lists never include them; viewers get 403; bad tokens 401")
    func isolation() throws {
        let h = try Harness("api_iso")
        let api = try APIProcess(h)
        defer { api.stop() }
        let a = try APIProcess.token(h, tenant: "acme").secret
        let b = try APIProcess.token(h, tenant: "globex").secret
        let viewer = try APIProcess.token(h, tenant: "acme", role: .viewer).secret
        let created = try api.call("POST", "/api/v1/webhooks", token: a, body: webhookJSON(h))
        let id = try #require(created.json["webhook"]?["id"]?.stringValue)
        _ = try api.call("POST", "/api/v1/events", token: a, body: #"{"type": "order.created", "data": {"order": {"id": "1"}}}"#)

        let routes: [(String, String, String?)] = [
            ("GET", "/api/v1/webhooks/\(id)", nil), ("PUT", "/api/v1/webhooks/\(id)", webhookJSON(h)),
            ("PATCH", "/api/v1/webhooks/\(id)", #"{"name": "x"}"#), ("DELETE", "/api/v1/webhooks/\(id)", nil),
            ("POST", "/api/v1/webhooks/\(id)/pause", "{}"), ("POST", "/api/v1/webhooks/\(id)/resume", nil),
            ("POST", "/api/v1/webhooks/\(id)/rotate-secret", "{}"), ("POST", "/api/v1/webhooks/\(id)/test", "{}"),
            ("GET", "/api/v1/webhooks/\(id)/stats", nil), ("POST", "/api/v1/webhooks/\(id)/retry-failed", nil),
            ("GET", "/api/v1/deliveries?webhook_id=\(id)", nil), ("GET", "/api/v1/attempts/export?webhook_id=\(id)", nil),
        ]
        for (method, path, body) in routes {
            let reply = try api.call(method, path, token: b, body: body)
            #expect(reply.status == 404, "\(method) \(path) by another tenant: \(reply.status) \(reply.text)")
            #expect(!reply.text.contains(h.receiver.baseURL), "\(method) \(path) leaked data")
        }
        // Deliveries of A: recorded directly (no router in this test) so that ids exist.
        try h.database.execute("""
            INSERT INTO deliveries (id, tenant_id, event_id, event_type, webhook_id, state) VALUES ('msg_iso_a', 'acme', 'e1', 'order.created', $1, 'failed')
            """, [id])
        #expect(try api.call("GET", "/api/v1/deliveries/msg_iso_a", token: b).status == 404)
        #expect(try api.call("POST", "/api/v1/deliveries/msg_iso_a/resend", token: b).status == 404)
        #expect(try api.call("GET", "/api/v1/deliveries/msg_iso_a", token: a).status == 200)
        // Lists of B never include A's rows.
        #expect(try api.call("GET", "/api/v1/webhooks", token: b).json["data"]?.arrayValue?.isEmpty == true)
        #expect(try api.call("GET", "/api/v1/webhooks?tenant=acme", token: b).json["data"]?.arrayValue?.isEmpty == true)
        #expect(try api.call("GET", "/api/v1/deliveries", token: b).json["data"]?.arrayValue?.isEmpty == true)
        #expect(try api.call("GET", "/api/v1/stats", token: b).json["data"]?.arrayValue?.isEmpty == true)
        #expect(try api.call("GET", "/api/v1/audit", token: b).json["data"]?.arrayValue?.isEmpty == true)
        let recovered = try api.call("POST", "/api/v1/deliveries/recover", token: b, body: #"{"from": "2020-01-01", "to": "2100-01-01", "dry_run": true}"#)
        #expect(recovered.json["count"]?.intValue == 0)
        // B cannot publish or create for A.
        #expect(try api.call("POST", "/api/v1/events", token: b, body: #"{"type": "order.created", "tenant": "acme", "data": {}}"#).status == 403)
        #expect(try api.call("POST", "/api/v1/webhooks", token: b, body: #"{"tenant": "acme", "name": "x", "url": "https://example.com", "events": ["*"]}"#).status == 403)

        // A viewer reads but changes nothing.
        #expect(try api.call("GET", "/api/v1/webhooks/\(id)", token: viewer).status == 200)
        let changes: [(String, String, String?)] = [
            ("POST", "/api/v1/webhooks", webhookJSON(h)), ("PUT", "/api/v1/webhooks/\(id)", webhookJSON(h)),
            ("PATCH", "/api/v1/webhooks/\(id)", #"{"name": "x"}"#), ("DELETE", "/api/v1/webhooks/\(id)", nil),
            ("POST", "/api/v1/webhooks/\(id)/pause", "{}"), ("POST", "/api/v1/webhooks/\(id)/resume", nil),
            ("POST", "/api/v1/webhooks/\(id)/rotate-secret", "{}"), ("POST", "/api/v1/webhooks/\(id)/test", "{}"),
            ("POST", "/api/v1/webhooks/\(id)/retry-failed", nil), ("POST", "/api/v1/deliveries/msg_iso_a/resend", nil),
            ("POST", "/api/v1/deliveries/recover", #"{"from": "2020-01-01", "to": "2100-01-01"}"#),
            ("POST", "/api/v1/events", #"{"type": "order.created", "data": {}}"#), ("POST", "/api/v1/dead-letters/redrive", "{}"),
        ]
        for (method, path, body) in changes {
            let reply = try api.call(method, path, token: viewer, body: body)
            #expect(reply.status == 403, "viewer \(method) \(path): \(reply.status) \(reply.text)")
            #expect(reply.isProblem)
        }
        #expect(try h.scalar("SELECT name FROM webhooks WHERE id = $1", [id]) == "Orders")

        // Expired, revoked, malformed and missing tokens: 401.
        let expiring = try APIProcess.token(h, tenant: "acme", expiresIn: 60)
        try h.database.execute("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [expiring.id])
        #expect(try api.call("GET", "/api/v1/webhooks", token: expiring.secret).status == 401)
        let revoked = try APIProcess.token(h, tenant: "acme")
        #expect(try api.call("GET", "/api/v1/webhooks", token: revoked.secret).status == 200)
        _ = try TokenStore(connection: h.database).revoke(id: revoked.id)
        let afterRevoke = try api.call("GET", "/api/v1/webhooks", token: revoked.secret)
        #expect(afterRevoke.status == 401)
        #expect(afterRevoke.json["detail"]?.stringValue?.contains("revoked") == true)
        #expect(try api.call("GET", "/api/v1/webhooks", token: "hrld_nope").status == 401)
        #expect(try api.call("GET", "/api/v1/webhooks", token: String(a.dropLast()) + (a.hasSuffix("0") ? "1" : "0")).status == 401)
        let none = try api.call("GET", "/api/v1/webhooks")
        #expect(none.status == 401)
        #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
    }

    @Test("bad input on write routes: a 4xx problem naming the field, nothing half-saved")
    func badInput() throws {
        let h = try Harness("api_bad")
        let api = try APIProcess(h)
        defer { api.stop() }
        let token = try APIProcess.token(h, tenant: "acme").secret
        let id = try #require(try api.call("POST", "/api/v1/webhooks", token: token, body: webhookJSON(h)).json["webhook"]?["id"]?.stringValue)
        let before = try h.scalar("SELECT updated_at::text FROM webhooks WHERE id = $1", [id])
        let big = String(repeating: "x", count: 1_000_000)
        let cases: [(method: String, path: String, body: String, field: String?)] = [
            ("POST", "/api/v1/webhooks", #"{"name": 5, "url": "https://example.com", "events": ["*"]}"#, "name"),
            ("POST", "/api/v1/webhooks", #"{"name": "x", "url": "https://example.com", "events": ["*"], "evnts": 1}"#, "evnts"),
            ("POST", "/api/v1/webhooks", #"{"name": "\#(big)", "url": "https://example.com", "events": ["*"]}"#, nil),
            ("POST", "/api/v1/webhooks", #"{"name": "x", "url": "https://exa"#, "body"),
            ("POST", "/api/v1/webhooks", #"{"name": "x", "url": "https://example.com", "events": ["*"], "filter": "order.total >> 5"}"#, "filter"),
            ("POST", "/api/v1/webhooks", #"{"name": "x", "url": "https://example.com", "events": ["*"], "payload_template": "{\"a\": }"}"#, "payload_template"),
            ("POST", "/api/v1/webhooks", #"{"name": "x", "url": "ftp://example.com", "events": ["*"]}"#, "url"),
            ("POST", "/api/v1/webhooks", #"{"name": "x", "url": "https://example.com", "events": ["*"], "headers": {"X-A": "1\r\nX-B: 2"}}"#, "headers"),
            ("PATCH", "/api/v1/webhooks/\(id)", #"{"url": "notaurl"}"#, "url"),
            ("PATCH", "/api/v1/webhooks/\(id)", #"{"retry": {"max_retries": "many"}}"#, "retry.max_retries"),
            ("PATCH", "/api/v1/webhooks/\(id)", #"{"filter": "order.total >> 5"}"#, "filter"),
            ("PATCH", "/api/v1/webhooks/\(id)", #"{"tenant": "globex"}"#, "tenant"),
            ("PATCH", "/api/v1/webhooks/\(id)", "[1]", "body"),
            ("PUT", "/api/v1/webhooks/\(id)", #"{"name": "x"}"#, "url"),
            ("POST", "/api/v1/webhooks/\(id)/pause", #"{"reason": 7}"#, "reason"),
            ("POST", "/api/v1/webhooks/\(id)/pause", #"{"reason": "\#(big)"}"#, "reason"),
            ("POST", "/api/v1/webhooks/\(id)/rotate-secret", #"{"grace_seconds": -1}"#, "grace_seconds"),
            ("POST", "/api/v1/webhooks/\(id)/test", #"{"source": "somewhere"}"#, "source"),
            ("POST", "/api/v1/deliveries/recover", #"{"from": "yesterday", "to": "2100-01-01"}"#, "from"),
            ("POST", "/api/v1/filters/check", #"{"filter": "a >> 1"}"#, "filter"),
            ("POST", "/api/v1/templates/preview", #"{"template": "{\"a\": \"{nope.x}\"}", "event_type": "order.created"}"#, "template"),
            ("POST", "/api/v1/events", #"{"type": "Not A Type", "data": {}}"#, "event.type"),
            ("POST", "/api/v1/events", "{broken", "body"),
        ]
        for c in cases {
            let reply = try api.call(c.method, c.path, token: token, body: c.body)
            #expect((400..<500).contains(reply.status), "\(c.method) \(c.path) \(c.body.prefix(60)): \(reply.status)")
            #expect(reply.isProblem, "\(c.method) \(c.path): not a problem document: \(reply.text.prefix(200))")
            if let field = c.field { #expect(reply.field?.hasPrefix(field) == true, "\(c.method) \(c.path) \(c.body.prefix(60)): field \(reply.field ?? "nil"): \(reply.text.prefix(300))") }
            #expect(reply.json["detail"]?.stringValue?.isEmpty == false)
        }
        let filterError = try api.call("POST", "/api/v1/webhooks", token: token, body: #"{"name": "x", "url": "https://example.com", "events": ["*"], "filter": "order.total >> 5"}"#)
        #expect(filterError.json["position"]?.intValue != nil)
        let huge = try api.call("POST", "/api/v1/webhooks", token: token, body: String(repeating: " ", count: 2 << 20))
        #expect(huge.status == 413)
        // Nothing half-saved: still one webhook, unchanged.
        #expect(try h.count("SELECT count(*) FROM webhooks") == 1)
        #expect(try h.scalar("SELECT updated_at::text FROM webhooks WHERE id = $1", [id]) == before)
    }

    @Test("events over HTTP: delivered; the same Idempotency-Key twice publishes once; another body with it is refused")
    func ingestIdempotency() throws {
        let h = try Harness("api_ingest")
        try h.startRouter()
        try h.startWorker()
        let api = try APIProcess(h)
        defer { api.stop() }
        let token = try APIProcess.token(h, tenant: "acme").secret
        _ = try api.call("POST", "/api/v1/webhooks", token: token, body: webhookJSON(h))
        let body = #"{"type": "order.created", "data": {"order": {"id": "I-1"}}}"#
        let first = try api.call("POST", "/api/v1/events", token: token, body: body, headers: ["Idempotency-Key": "order-I-1"])
        let second = try api.call("POST", "/api/v1/events", token: token, body: body, headers: ["Idempotency-Key": "order-I-1"])
        #expect(first.status == 202 && second.status == 202)
        #expect(first.json["ids"] == second.json["ids"])
        #expect(second.headers["idempotent-replayed"] == "true")
        let other = try api.call("POST", "/api/v1/events", token: token, body: #"{"type": "order.created", "data": {}}"#, headers: ["Idempotency-Key": "order-I-1"])
        #expect(other.status == 422)
        #expect(other.field == "Idempotency-Key")
        try h.waitUntil("the delivery") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 1 }
        Thread.sleep(forTimeInterval: 1)
        #expect(try h.count("SELECT count(*) FROM events") == 1)
        #expect(try h.count("SELECT count(*) FROM delivery_attempts") == 1)
        #expect(try h.queueDepth(h.configuration.topology.routerQueue) == 0)

        // Refused events: listed with the reason (operators), republished (refused again: still broken).
        try h.publishRaw("{not json", routingKey: "order.created")
        try h.waitUntil("the refused event parked") { try h.queueDepth(h.configuration.topology.invalidQueue) == 1 }
        let operatorToken = try APIProcess.token(h, tenant: nil, role: .operator).secret
        let refused = try api.call("GET", "/api/v1/invalid-events", token: operatorToken)
        #expect(refused.json["data"]?[0]?["reason"]?.stringValue?.contains("JSON") == true, "\(refused.text)")
        #expect(refused.json["data"]?[0]?["body"]?.stringValue == "{not json")
        #expect(try api.call("POST", "/api/v1/invalid-events/redrive", token: token, body: "{}").status == 403)
        let redriven = try api.call("POST", "/api/v1/invalid-events/redrive", token: operatorToken, body: "{}")
        #expect(redriven.json["count"]?.intValue == 1)
        try h.waitUntil("refused again") { try h.queueDepth(h.configuration.topology.invalidQueue) == 1 }
    }

    @Test("hostile requests found in review: forged tenant by a duplicate key, aborted exports, NUL, read-only fields, credentials sent elsewhere")
    func reviewRegressions() throws {
        let h = try Harness("api_review")
        let api = try APIProcess(h)
        defer { api.stop() }
        let acme = try APIProcess.token(h, tenant: "acme").secret
        let globex = try APIProcess.token(h, tenant: "globex").secret
        let created = try api.call("POST", "/api/v1/webhooks", token: acme, body: webhookJSON(h, extra: #", "auth": {"type": "bearer", "token": "SECRET-T"}, "headers": {"X-Api-Key": "SECRET-K"}"#))
        let id = try #require(created.json["webhook"]?["id"]?.stringValue)
        #expect(created.json["webhook"]?["headers"]?["X-Api-Key"]?.stringValue == "…", "a credential-like header is masked")

        // 1. A duplicate "tenant" key cannot smuggle an event into another tenant.
        let forged = try api.call("POST", "/api/v1/events", token: globex, body: #"{"type": "order.created", "tenant": "globex", "tenant": "acme", "data": {}}"#)
        #expect((400..<500).contains(forged.status) && forged.status != 404, "\(forged.status) \(forged.text)")
        #expect(try h.queueDepth(h.configuration.topology.routerQueue) == 0, "nothing was published")
        #expect(try api.call("POST", "/api/v1/events", token: acme, body: "{broken").status == 400)

        // 2. Exports that their clients abandon do not bring the server down.
        try h.database.execute("""
            INSERT INTO deliveries (id, tenant_id, event_id, event_type, webhook_id, state)
            SELECT 'msg_x' || i, 'acme', 'e' || i, 'order.created', $1, 'succeeded' FROM generate_series(1, 20000) i
            """, [id])
        try h.database.execute("""
            INSERT INTO delivery_attempts (delivery_id, attempt, webhook_id, started_at, duration_ms, status_code, succeeded, response_body)
            SELECT 'msg_x' || i, 1, $1, now() - interval '1 hour', 10, 200, true, repeat('x', 200) FROM generate_series(1, 20000) i
            """, [id])
        for _ in 0..<3 { _ = try? api.call("GET", "/api/v1/attempts/export?format=json", token: acme, timeout: .milliseconds(100)) }
        Thread.sleep(forTimeInterval: 1)
        #expect(try api.call("GET", "/healthz").status == 200, "herald-api survived abandoned exports")
        #expect(try api.call("GET", "/api/v1/me", token: globex).status == 200, "other tenants are served")

        // 3. NUL is refused at the edge, naming the field; nothing changes.
        let nul = try api.call("POST", "/api/v1/webhooks/\(id)/pause", token: acme, body: #"{"reason": "a\u0000b"}"#)
        #expect(nul.status == 422 && nul.field == "reason", "\(nul.status) \(nul.text)")
        #expect(try h.scalar("SELECT status FROM webhooks WHERE id = $1", [id]) == "active")
        #expect(try api.call("PATCH", "/api/v1/webhooks/\(id)", token: acme, body: #"{"filter": "a\u0000"}"#).field == "filter")
        #expect(try api.call("GET", "/api/v1/webhooks?q=a%00b", token: acme).status == 422)

        // 4. Read-only fields are refused, not ignored.
        #expect(try api.call("PATCH", "/api/v1/webhooks/\(id)", token: acme, body: #"{"secrets": ["whsec_x"]}"#).field == "secrets")

        // 5. Stored credentials are not sent to a new host unless given again.
        let moved = try api.call("PATCH", "/api/v1/webhooks/\(id)", token: acme, body: #"{"url": "https://elsewhere.example/steal"}"#)
        #expect(moved.status == 422 && moved.field == "auth.token", "\(moved.status) \(moved.text)")
        let header = try api.call("PATCH", "/api/v1/webhooks/\(id)", token: acme,
                                  body: #"{"url": "https://elsewhere.example/steal", "auth": {"type": "bearer", "token": "NEW"}}"#)
        #expect(header.status == 422 && header.field == "headers.X-Api-Key", "\(header.status) \(header.text)")
        let retyped = try api.call("PATCH", "/api/v1/webhooks/\(id)", token: acme,
                                   body: #"{"url": "https://elsewhere.example/new", "auth": {"type": "bearer", "token": "NEW"}, "headers": {"X-Api-Key": "NEW-K"}}"#)
        #expect(retyped.status == 200, "\(retyped.text)")
        // The same host keeps them.
        #expect(try api.call("PATCH", "/api/v1/webhooks/\(id)", token: acme, body: #"{"url": "https://elsewhere.example/other-path"}"#).status == 200)
        let stored = try WebhookStore(connection: h.database, masterKey: h.configuration.masterKey).document(id: id)
        #expect(stored.auth?.token == "NEW" && stored.headers?["X-Api-Key"] == "NEW-K")

        // 6. Readiness says ok or unavailable, nothing more.
        #expect(try api.call("GET", "/readyz").json["database"]?.stringValue == "ok")
    }

    @Test("each token has its own rate limit: beyond it 429 with Retry-After, other tokens unaffected")
    func rateLimit() throws {
        let h = try Harness("api_rate")
        let api = try APIProcess(h, environment: ["HERALD_API_RATE_PER_S": "1", "HERALD_API_RATE_BURST": "3"])
        defer { api.stop() }
        let busy = try APIProcess.token(h, tenant: "acme").secret
        let other = try APIProcess.token(h, tenant: "acme").secret
        let replies = try (0..<6).map { _ in try api.call("GET", "/api/v1/me", token: busy) }
        #expect(replies.prefix(3).allSatisfy { $0.status == 200 })
        let limited = replies.filter { $0.status == 429 }
        #expect(limited.count >= 2, "\(replies.map(\.status))")
        #expect(limited.first?.headers["retry-after"] != nil)
        #expect(limited.first?.isProblem == true)
        #expect(try api.call("GET", "/api/v1/me", token: other).status == 200)
    }

    @Test("the OpenAPI document is served as in the repository, is valid OpenAPI 3.1, and every route in it exists")
    func openAPI() throws {
        let h = try Harness("api_spec")
        let api = try APIProcess(h)
        defer { api.stop() }
        let token = try APIProcess.token(h, tenant: nil, role: .operator).secret
        let served = try api.call("GET", "/api/openapi.yaml")
        let file = try String(contentsOf: Harness.packageRoot.appendingPathComponent("schemas/openapi.yaml"), encoding: .utf8)
        #expect(served.text.trimmingCharacters(in: .whitespacesAndNewlines) == file.trimmingCharacters(in: .whitespacesAndNewlines),
                "run python3 deploy/embed_migrations.py after changing schemas/openapi.yaml")
        // Valid OpenAPI 3.1 (openapi-spec-validator, installed by make setup).
        let validator = Process()
        validator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        validator.arguments = ["python3", "-c", "import sys, yaml, openapi_spec_validator as v; v.validate(yaml.safe_load(open(sys.argv[1]))); print('valid')",
                               Harness.packageRoot.appendingPathComponent("schemas/openapi.yaml").path]
        try validator.run()
        validator.waitUntilExit()
        #expect(validator.terminationStatus == 0, "schemas/openapi.yaml is not valid OpenAPI 3.1 (or openapi-spec-validator is missing)")
        // Walk every documented path and method: each is routed (the router's own 404 says only "Not Found").
        var path: String?
        var walked = 0
        for line in file.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("components:") { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard let current = path, line.hasPrefix("    "), !line.hasPrefix("     "),
                  let method = ["get:", "post:", "put:", "patch:", "delete:"].first(where: { trimmed == $0 }) else { continue }
            let concrete = current.replacingOccurrences(of: "{id}", with: "wh_missing").replacingOccurrences(of: "{type}", with: "order.created")
            let verb = String(method.dropLast()).uppercased()
            let reply = try api.call(verb, concrete, token: token, body: verb == "GET" || verb == "DELETE" ? nil : "{}")
            #expect(reply.status != 405 && reply.json["detail"]?.stringValue != "Not Found", "\(verb) \(current) is documented but not routed: \(reply.status)")
            walked += 1
        }
        #expect(walked >= 30)
    }
}
