import Foundation
import Herald
import HeraldCore
import HTTPTypes
import Hummingbird

extension APIServer {
    func addConsoleForms(_ router: Hummingbird.Router<APIRequestContext>) {
        // 2. Create and edit.
        router.get("/console/webhooks/new") { request, context in
            await consolePage(request, context) { session in
                try session.principal.requireChange()
                var doc = WebhookDocument(tenant: session.principal.tenant ?? "", name: "", url: "https://", events: [])
                doc.status = "active"
                return Self.html(HTML.page("Create webhook", session: session, WebhookForm.render(doc, id: nil, session: session, error: nil)))
            }
        }
        router.post("/console/webhooks/new") { request, context in
            await consolePost(request, context) { session, form in
                let json = WebhookForm.document(form, creating: true, tenant: session.principal.tenant)
                do {
                    let created = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).create(json: json) }
                    let id = created.webhook.id ?? ""
                    let notice = HTML.Notice(kind: "secret", html: """
                        Webhook created. Its signing secret is shown this once — copy it to the receiver now:
                        <code class="secret" id="secret">\(HTML.esc(created.secret))</code>
                        """)
                    return Self.html(HTML.page("Webhook created", session: session, notice: notice,
                                               WebhookForm.render(created.webhook, id: id, session: session, error: nil)))
                } catch {
                    let problem = Problem.from(error, logger: context.logger)
                    let doc = (try? WebhookDocument.parse(json)) ?? WebhookDocument(tenant: session.principal.tenant ?? "", name: form["name"] ?? "", url: form["url"] ?? "", events: form.all("events"))
                    return Self.html(HTML.page("Create webhook", session: session, WebhookForm.render(doc, id: nil, session: session, error: problem, form: form)),
                                     status: problem.status)
                }
            }
        }
        router.get("/console/webhooks/:id/edit") { request, context in
            await consolePage(request, context) { session in
                let id = try self.id(context)
                let notice = try ConsoleNotice.from(request)
                let doc = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).get(id) }
                return Self.html(HTML.page("Edit \(doc.name)", session: session, notice: notice, WebhookForm.render(doc, id: id, session: session, error: nil)))
            }
        }
        router.post("/console/webhooks/:id/edit") { request, context in
            await consolePost(request, context) { session, form in
                let id = try self.id(context)
                let json = WebhookForm.document(form, creating: false, tenant: nil)
                do {
                    _ = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).patch(id, json: json) }
                    return Self.redirect("/console/webhooks/\(id)/edit?notice=saved")
                } catch {
                    let problem = Problem.from(error, logger: context.logger)
                    if problem.status == .notFound || problem.status == .forbidden { throw error }
                    let stored = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).get(id) }
                    return Self.html(HTML.page("Edit \(stored.name)", session: session, WebhookForm.render(stored, id: id, session: session, error: problem, form: form)),
                                     status: problem.status)
                }
            }
        }

        // Actions from the dashboard and the pages.
        router.post("/console/webhooks/:id/pause") { request, context in
            await consolePost(request, context) { session, _ in
                let id = try self.id(context)
                _ = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).pause(id, reason: "paused in the console") }
                return Self.redirect("/console/webhooks?notice=paused")
            }
        }
        router.post("/console/webhooks/:id/resume") { request, context in
            await consolePost(request, context) { session, _ in
                let id = try self.id(context)
                let result = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).resume(id) }
                return Self.redirect("/console/webhooks?notice=resumed&n=\(result.released)")
            }
        }
        router.post("/console/webhooks/:id/delete") { request, context in
            await consolePost(request, context) { session, _ in
                let id = try self.id(context)
                try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).delete(id) }
                return Self.redirect("/console/webhooks?notice=deleted")
            }
        }
        router.post("/console/webhooks/:id/rotate-secret") { request, context in
            await consolePost(request, context) { session, _ in
                let id = try self.id(context)
                let secret = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).rotateSecret(id, graceSeconds: 86_400) }
                let doc = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).get(id) }
                let notice = HTML.Notice(kind: "secret", html: """
                    New signing secret, shown this once (the old one keeps signing for 24 hours):
                    <code class="secret" id="secret">\(HTML.esc(secret))</code>
                    """)
                return Self.html(HTML.page("Edit \(doc.name)", session: session, notice: notice, WebhookForm.render(doc, id: id, session: session, error: nil)))
            }
        }
        router.post("/console/webhooks/:id/retry-failed") { request, context in
            await consolePost(request, context) { session, _ in
                let id = try self.id(context)
                let sent = try await work(session) { c, who in try DeliveryQueries(context: c, principal: who).retryFailed(webhookID: id) }
                return Self.redirect("/console/webhooks/\(id)/log?notice=retried&n=\(sent.count)")
            }
        }
        router.post("/console/deliveries/:id/resend") { request, context in
            await consolePost(request, context) { session, _ in
                let id = try self.id(context)
                _ = try await work(session) { c, who in try DeliveryQueries(context: c, principal: who).resend([id]) }
                return Self.redirect("/console/deliveries/\(id)?notice=resent")
            }
        }
        router.post("/console/dead-letters/redrive") { request, context in
            await consolePost(request, context) { session, _ in
                let count = try await work(session) { c, who in
                    try who.requireOperator()
                    return try DeadLetterAdmin(configuration: c.configuration).redrive(max: 10_000, dryRun: false, database: c.database()).count
                }
                return Self.redirect("/console/dead-letters?notice=redriven&n=\(count)")
            }
        }
        router.post("/console/invalid-events/redrive") { request, context in
            await consolePost(request, context) { session, _ in
                let count = try await work(session) { c, who in
                    try who.requireOperator()
                    return try DeadLetterAdmin(configuration: c.configuration).redriveInvalid(max: 10_000, dryRun: false)
                }
                return Self.redirect("/console/dead-letters?notice=republished&n=\(count)")
            }
        }

        // 5. Test a webhook.
        router.get("/console/webhooks/:id/test") { request, context in
            await consolePage(request, context) { session in
                let id = try self.id(context)
                let doc = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).get(id) }
                return Self.html(HTML.page("Test \(doc.name)", session: session, TestForm.render(doc, id: id, session: session, result: nil)))
            }
        }
        router.post("/console/webhooks/:id/test") { request, context in
            await consolePost(request, context) { session, form in
                let id = try self.id(context)
                let doc = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).get(id) }
                let event: WebhookAdmin.TestEvent
                switch form["source"] ?? "sample" {
                case "recent": event = .recent
                case "custom":
                    guard let text = form.text("data"), let data = try? JSONValue(parsing: text), case .object = data else {
                        return Self.html(HTML.page("Test \(doc.name)", session: session, notice: .error("Custom data must be a JSON object."),
                                                   TestForm.render(doc, id: id, session: session, result: nil)), status: .unprocessableContent)
                    }
                    event = .custom(data)
                default: event = .sample
                }
                let type = form.text("event_type")
                let sent = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).sendTest(id, eventType: type, event: event) }
                let detail = try await awaitFinal(session, sent.deliveryID, seconds: 15)
                return Self.html(HTML.page("Test \(doc.name)", session: session, TestForm.render(doc, id: id, session: session, result: (sent, detail))))
            }
        }

        // Helpers the form's script calls (same session, CSRF header): preview and sample matching.
        router.post("/console/api/preview") { request, context in
            var request = request
            guard let session = try await session(request) else { throw Problem(.unauthorized, "sign in again") }
            try Self.checkCSRF(request, session)
            let input = try Input(try await request.bodyBytes(limit: configuration.maxBodyBytes), allowed: ["template", "event_type"])
            let template = try input.string("template", maxBytes: TemplateLimits.maxSourceBytes)
            let type = try input.string("event_type", maxBytes: 128) ?? "order.created"
            do {
                let source = template?.isEmpty == false ? template : nil
                let rendered = try await pool.run { _ in
                    try Preview.render(template: source, eventType: type, eventJSON: nil, limit: Preview.interactiveLimit)
                }
                return JSONOut.response(["ok": "true", "rendered": (try? JSONValue(parsing: rendered).prettySerialized()) ?? rendered])
            } catch {
                return JSONOut.response(["ok": "false", "error": "\(error)"])
            }
        }
        router.post("/console/api/match") { request, context in
            var request = request
            guard let session = try await session(request) else { throw Problem(.unauthorized, "sign in again") }
            try Self.checkCSRF(request, session)
            let input = try Input(try await request.bodyBytes(limit: configuration.maxBodyBytes), allowed: ["filter", "events"])
            let expression = try input.string("filter", maxBytes: FilterLimits.maxSourceBytes) ?? ""
            let patterns = try input.strings("events", maxCount: 100) ?? ["*"]
            let filter: Filter?
            do { filter = expression.isEmpty ? nil : try Filter(parsing: expression) } catch {
                return JSONOut.response(SampleMatching(error: "\(error)", samples: [], recent: []))
            }
            let types = EventCatalog.types.filter { type in patterns.contains { EventCatalog.matches(pattern: $0, type: type) } }
            func check(_ event: JSONValue) -> MatchRow {
                let type = event["type"]?.stringValue ?? "?"
                guard let filter else { return MatchRow(type: type, id: event["id"]?.stringValue, matches: true, why: "no filter: every event of a subscribed type") }
                switch filter.evaluate(event) {
                case .match: return MatchRow(type: type, id: event["id"]?.stringValue, matches: true, why: "the filter holds")
                case .noMatch: return MatchRow(type: type, id: event["id"]?.stringValue, matches: false, why: "the filter does not hold for this event")
                case .typeMismatch(let path): return MatchRow(type: type, id: event["id"]?.stringValue, matches: false, why: "\(path) holds another type of value")
                }
            }
            let samples = types.compactMap { EventCatalog.sampleEvent(for: $0) }.map(check)
            let tenant = session.principal.tenant
            let recent = try await pool.run { c -> [JSONValue] in
                try c.database().query("SELECT payload FROM events WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY received_at DESC LIMIT 20", [tenant])
                    .compactMap { $0[0].text.flatMap { try? JSONValue(parsing: $0) } }
            }.filter { event in patterns.contains { EventCatalog.matches(pattern: $0, type: event["type"]?.stringValue ?? "") } }.map(check)
            return JSONOut.response(SampleMatching(error: nil, samples: samples, recent: recent))
        }
    }

    static func checkCSRF(_ request: Request, _ session: ConsoleSessions.Session) throws(Problem) {
        let given = request.headers[HTTPField.Name("X-CSRF-Token")!] ?? ""
        guard !given.isEmpty, given == session.csrf else { throw Problem(.forbidden, "missing or wrong CSRF token; reload the page") }
    }

    func awaitFinal(_ session: ConsoleSessions.Session, _ deliveryID: String, seconds: Int) async throws -> DeliveryQueries.Detail? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let detail = try await work(session) { c, who in try DeliveryQueries(context: c, principal: who).detail(deliveryID) }
            if !["pending", "in_flight"].contains(detail.delivery.state) { return detail }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(150))
        }
    }
}

struct MatchRow: Encodable { var type: String; var id: String?; var matches: Bool; var why: String }
struct SampleMatching: Encodable { var error: String?; var samples: [MatchRow]; var recent: [MatchRow] }

/// The console's messages after an action: fixed texts chosen by a code in the address (a link
/// cannot put words of its own into the page).
enum ConsoleNotice {
    static func from(_ request: Request) throws -> HTML.Notice? {
        guard let code = try request.query("notice", maxBytes: 20) else { return nil }
        let n = (try request.query("n", maxBytes: 10)).flatMap { Int($0) } ?? 0
        let text: String? = switch code {
        case "saved": "Saved."
        case "paused": "Paused."
        case "resumed": "Resumed; \(n) waiting deliveries sent."
        case "deleted": "Deleted."
        case "retried": "\(n) failed deliveries sent again."
        case "resent": "Sent again."
        case "redriven": "\(n) deliveries sent again."
        case "republished": "\(n) events published again."
        default: nil
        }
        return text.map(HTML.Notice.ok)
    }
}
