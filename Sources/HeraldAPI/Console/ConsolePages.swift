import Foundation
import Herald
import HeraldCore
import HTTPTypes
import Hummingbird

extension APIServer {
    func addConsolePages(_ router: Hummingbird.Router<APIRequestContext>) {
        // 1. The dashboard: every webhook with its 30-day figures, and the totals.
        router.get("/console/webhooks") { request, context in
            await consolePage(request, context) { session in
                let q = try request.query("q", maxBytes: 200)
                let cursor = try request.query("cursor")
                let notice = try ConsoleNotice.from(request)
                let (from, to) = try period(request)
                let data = try await work(session) { c, who in
                    (try WebhookAdmin(context: c, principal: who).list(search: q, cursor: cursor, limit: 50),
                     try DeliveryQueries(context: c, principal: who).report(from: from, to: to))
                }
                let figures = Dictionary(data.1.map { ($0.webhookID, $0) }, uniquingKeysWith: { a, _ in a })
                let total = data.1.reduce(0) { $0 + $1.deliveries }, ok = data.1.reduce(0) { $0 + $1.succeeded }
                let failed = data.1.reduce(0) { $0 + $1.failed }
                let latencies = data.1.compactMap { row in row.avgLatencyMs.map { ($0, row.attempts) } }
                let weight = latencies.reduce(0) { $0 + $1.1 }
                let avg = weight == 0 ? nil : latencies.reduce(0.0) { $0 + $1.0 * Double($1.1) } / Double(weight)
                let rows = data.0.data.map { w -> [String] in
                    let f = figures[w.id]
                    var actions = "<a href=\"/console/webhooks/\(HTML.esc(w.id))/edit\">Edit</a> <a href=\"/console/webhooks/\(HTML.esc(w.id))/test\">Test</a> <a href=\"/console/webhooks/\(HTML.esc(w.id))/log\">Log</a>"
                    if session.principal.canChange {
                        actions += w.status == "active"
                            ? HTML.button("Pause", action: "/console/webhooks/\(w.id)/pause", session: session)
                            : HTML.button("Resume", action: "/console/webhooks/\(w.id)/resume", session: session)
                        actions += HTML.button("Delete", action: "/console/webhooks/\(w.id)/delete", session: session,
                                               confirm: "Delete the webhook \(w.name)? Its waiting deliveries are cancelled.", style: "danger")
                    }
                    return ["<a href=\"/console/webhooks/\(HTML.esc(w.id))/log\"><strong>\(HTML.esc(w.name))</strong></a><div class=\"sub\">\(HTML.esc(w.id))</div>",
                            HTML.esc(HTML.host(of: w.url)), HTML.esc(w.events.joined(separator: ", ")),
                            "\(f?.deliveries ?? 0)", HTML.percent(f?.successRate), HTML.badge(w.status, reason: w.pausedReason),
                            "<div class=\"actions\">\(actions)</div>"]
                }
                let next = data.0.nextCursor.map { "<a class=\"more\" href=\"/console/webhooks?cursor=\(HTML.esc($0))\(q.map { "&amp;q=" + HTML.esc($0) } ?? "")\">Next page →</a>" } ?? ""
                let create = session.principal.canChange ? "<a class=\"button primary\" href=\"/console/webhooks/new\">Create webhook</a>" : ""
                let content = """
                <div class="title"><h1>Webhooks</h1>\(create)</div>
                <section class="stats" aria-label="Delivery statistics, last 30 days">
                  <div><span class="label">Total deliveries</span><span class="value" id="stat-total">\(total)</span></div>
                  <div><span class="label">Successful</span><span class="value ok">\(ok)</span></div>
                  <div><span class="label">Failed</span><span class="value bad">\(failed)</span></div>
                  <div><span class="label">Average latency</span><span class="value">\(HTML.ms(avg))</span></div>
                </section>
                <form method="get" action="/console/webhooks" class="search" role="search">
                  <label for="q" class="visually-hidden">Search</label>
                  <input id="q" name="q" type="search" value="\(HTML.esc(q))" placeholder="Search by name, URL or id">
                  <button type="submit">Search</button>
                </form>
                \(HTML.table(["Name", "Endpoint", "Events", "Deliveries (30 d)", "Success", "Status", ""], rows, empty: "No webhooks yet. Create one to start delivering events."))
                \(next)
                """
                return Self.html(HTML.page("Webhooks", session: session, notice: notice, content))
            }
        }

        // 3. The delivery log of one webhook.
        router.get("/console/webhooks/:id/log") { request, context in
            await consolePage(request, context) { session in
                let id = try self.id(context)
                let periodName = try request.query("period", maxBytes: 10) ?? "7d"
                let days: Int = ["24h": 1, "7d": 7, "30d": 30][periodName] ?? 7
                let now = Timestamp.nowUnixMilliseconds()
                let custom = periodName == "custom"
                let from = (custom ? try request.query("from", maxBytes: 64) : nil) ?? Timestamp.iso8601(unixMilliseconds: now - Int64(days) * 86_400_000)
                let to = (custom ? try request.query("to", maxBytes: 64) : nil) ?? Timestamp.iso8601(unixMilliseconds: now + 60_000)
                let state = try request.query("state", maxBytes: 20)
                let cursor = try request.query("cursor")
                let notice = try ConsoleNotice.from(request)
                let data = try await work(session) { c, who in
                    (try WebhookAdmin(context: c, principal: who).get(id),
                     try DeliveryQueries(context: c, principal: who).stats(webhookID: id, from: from, to: to),
                     try DeliveryQueries(context: c, principal: who).list(DeliveryQueries.Filter(webhookID: id, state: state, from: from, to: to),
                                                                          cursor: cursor, limit: 50))
                }
                let (webhook, stats, page) = data
                let rows = page.data.map { d -> [String] in
                    ["<a href=\"/console/deliveries/\(HTML.esc(d.id))\">\(HTML.esc(d.createdAt.prefix(19).replacingOccurrences(of: "T", with: " ")))</a>",
                     HTML.esc(d.eventType), "<span class=\"state \(HTML.esc(d.state))\">\(HTML.esc(d.state))</span>",
                     d.lastStatus.map(String.init) ?? "—", HTML.esc(d.lastError.map { String($0.prefix(80)) } ?? ""), "\(d.attempts)"]
                }
                let periods = [("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days"), ("custom", "custom")].map { key, label in
                    "<option value=\"\(key)\"\(key == periodName ? " selected" : "")>\(label)</option>"
                }.joined()
                let states = ([""] + DeliveryAdmin.states).map { s in
                    "<option value=\"\(s)\"\(s == (state ?? "") ? " selected" : "")>\(s.isEmpty ? "any status" : s)</option>"
                }.joined()
                let exportURL = "/console/webhooks/\(HTML.esc(id))/export.csv?from=\(HTML.esc(from))&amp;to=\(HTML.esc(to))"
                let retry = session.principal.canChange && stats.failed > 0
                    ? HTML.button("Retry failed (\(stats.failed))", action: "/console/webhooks/\(id)/retry-failed", session: session) : ""
                let next = page.nextCursor.map { "<a class=\"more\" href=\"?period=\(HTML.esc(periodName))&amp;from=\(HTML.esc(from))&amp;to=\(HTML.esc(to))&amp;state=\(HTML.esc(state))&amp;cursor=\(HTML.esc($0))\">Older →</a>" } ?? ""
                let content = """
                <div class="title"><h1>Delivery log: \(HTML.esc(webhook.name))</h1><div class="actions">\(retry)<a class="button" href="\(exportURL)" download>Export CSV</a></div></div>
                <form method="get" class="filters">
                  <label>Period <select name="period">\(periods)</select></label>
                  <label>From (custom) <input type="date" name="from" value="\(custom ? HTML.esc(String(from.prefix(10))) : "")"></label>
                  <label>To <input type="date" name="to" value="\(custom ? HTML.esc(String(to.prefix(10))) : "")"></label>
                  <label>Status <select name="state">\(states)</select></label>
                  <button type="submit">Apply</button>
                </form>
                <section class="stats" aria-label="Summary of the period">
                  <div><span class="label">Total</span><span class="value">\(stats.deliveries)</span></div>
                  <div><span class="label">Successful</span><span class="value ok">\(stats.succeeded)</span></div>
                  <div><span class="label">Failed</span><span class="value bad">\(stats.failed)</span></div>
                  <div><span class="label">Average response</span><span class="value">\(HTML.ms(stats.avgLatencyMs))</span></div>
                </section>
                \(HTML.table(["Time (UTC)", "Event", "Status", "Response", "Error", "Attempts"], rows, empty: "No deliveries in this period."))
                \(next)
                <p><a href="/console/webhooks">← All webhooks</a></p>
                """
                return Self.html(HTML.page("Delivery log", session: session, notice: notice, content))
            }
        }

        router.get("/console/webhooks/:id/export.csv") { request, context in
            await consolePage(request, context) { session in
                let id = try self.id(context)
                let (from, to) = try period(request)
                _ = try await work(session) { c, who in try WebhookAdmin(context: c, principal: who).get(id) }   // 404 before any byte
                return try streamedExport(who: session.principal, from: from, to: to, webhookID: id, tenant: nil, format: .csv, logger: context.logger)
            }
        }

        // 4. One delivery: the attempt timeline, request and response.
        router.get("/console/deliveries/:id") { request, context in
            await consolePage(request, context) { session in
                let id = try self.id(context)
                let notice = try ConsoleNotice.from(request)
                let detail = try await work(session) { c, who in try DeliveryQueries(context: c, principal: who).detail(id) }
                let d = detail.delivery
                let total = detail.attempts.reduce(0.0) { $0 + $1.durationMs }
                var timeline = "<li><strong>Triggered</strong> by event \(HTML.esc(d.eventID)) (\(HTML.esc(d.eventType))) at \(HTML.esc(d.createdAt))</li>"
                for a in detail.attempts {
                    let outcome = a.succeeded ? "ok" : "bad"
                    timeline += """
                    <li class="\(outcome)"><strong>Attempt \(a.attempt)</strong> at \(HTML.esc(a.startedAt)): \(a.statusCode.map { "HTTP \($0)" } ?? "no response")
                    in \(HTML.ms(a.durationMs))\(a.error.map { " — " + HTML.esc($0) } ?? "")
                    <details><summary>Request and response</summary>
                    <h3>Request headers</h3><pre>\(HTML.esc(a.requestHeaders ?? "—"))</pre>
                    <h3>Response headers</h3><pre>\(HTML.esc(a.responseHeaders ?? "—"))</pre>
                    <h3>Response body</h3><pre>\(HTML.esc(a.responseBody ?? "—"))</pre></details></li>
                    """
                }
                let resend = session.principal.canChange ? HTML.button("Resend", action: "/console/deliveries/\(d.id)/resend", session: session, style: "primary") : ""
                let content = """
                <div class="title"><h1>Delivery \(HTML.esc(d.id))</h1>\(resend)</div>
                <dl class="facts">
                  <dt>Status</dt><dd><span class="state \(HTML.esc(d.state))">\(HTML.esc(d.state))</span></dd>
                  <dt>Webhook</dt><dd><a href="/console/webhooks/\(HTML.esc(d.webhookID))/log">\(HTML.esc(d.webhookID))</a></dd>
                  <dt>Attempts</dt><dd>\(d.attempts), \(HTML.ms(total)) in all</dd>
                  <dt>Request</dt><dd>\(HTML.esc(detail.request.method ?? "POST")) \(HTML.esc(detail.request.url ?? ""))</dd>
                </dl>
                <h2>Timeline</h2>
                <ol class="timeline">\(timeline)</ol>
                <h2>Payload</h2>
                <pre class="payload">\(HTML.esc(detail.request.body ?? "—"))</pre>
                """
                return Self.html(HTML.page("Delivery", session: session, notice: notice, content))
            }
        }

        // 6. Dead letters and refused events.
        router.get("/console/dead-letters") { request, context in
            await consolePage(request, context) { session in
                let notice = try ConsoleNotice.from(request)
                let data = try await work(session) { c, who in
                    let admin = DeadLetterAdmin(configuration: c.configuration)
                    var parked = try admin.list(max: 200)
                    var refused = try admin.listInvalid(max: 200)
                    if let tenant = who.tenant {
                        let own = Set(try c.database().query("SELECT id FROM webhooks WHERE tenant_id = $1", [tenant]).compactMap { $0[0].text })
                        parked = parked.filter { $0.webhookID.map(own.contains) ?? false }
                        refused = refused.filter { $0.tenant == tenant }
                    }
                    return (parked, refused)
                }
                let operatorOnly = session.principal.role == .operator
                let content = """
                <h1>Dead letters</h1>
                <p>Deliveries that used up their retries are parked here (PostgreSQL keeps every one with its attempts). \
                \(operatorOnly ? "Redrive sends them once more." : "An operator can redrive them.")</p>
                \(operatorOnly ? HTML.button("Redrive all", action: "/console/dead-letters/redrive", session: session, confirm: "Send every parked delivery again?") : "")
                \(HTML.table(["Delivery", "Webhook", "Parked at", "Reason"], data.0.map {
                    ["\($0.deliveryID.map { "<a href=\"/console/deliveries/\(HTML.esc($0))\">\(HTML.esc($0))</a>" } ?? "—")",
                     HTML.esc($0.webhookID ?? "—"), HTML.esc($0.parkedAt), HTML.esc($0.reason)]
                }, empty: "No parked deliveries."))
                <h2>Refused events</h2>
                <p>Events the router could not accept, with the reason.</p>
                \(operatorOnly ? HTML.button("Publish again", action: "/console/invalid-events/redrive", session: session, confirm: "Publish every refused event again?") : "")
                \(HTML.table(["Event type", "Reason", "Body"], data.1.map {
                    [HTML.esc($0.routingKey), HTML.esc($0.reason), "<code>\(HTML.esc(String($0.body.prefix(200))))</code>"]
                }, empty: "No refused events."))
                """
                return Self.html(HTML.page("Dead letters", session: session, notice: notice, content))
            }
        }

        // 7. The event catalog.
        router.get("/console/catalog") { request, context in
            await consolePage(request, context) { session in
                var sections = ""
                for (entity, actions) in EventCatalog.entities {
                    let links = actions.map { "<li><a href=\"/console/catalog/\(entity).\($0)\"><code>\(entity).\($0)</code></a></li>" }.joined()
                    sections += "<section class=\"card\"><h2>\(HTML.esc(entity.replacingOccurrences(of: "_", with: " ").capitalized))</h2><ul class=\"types\">\(links)</ul></section>"
                }
                return Self.html(HTML.page("Event catalog", session: session, "<h1>Event catalog</h1><div class=\"grid\">\(sections)</div>"))
            }
        }
        router.get("/console/catalog/:type") { request, context in
            await consolePage(request, context) { session in
                let type = try self.id(context, "type")
                guard EventCatalog.isKnown(type) else { throw Problem(.notFound, "event type \(Quoted.text(type)) is not in the catalog") }
                let entry = CatalogEntry(type: type, full: true)
                let fields = EventCatalog.fieldPaths(for: type).sorted().map { "<li><code>\(HTML.esc($0))</code></li>" }.joined()
                let content = """
                <h1><code>\(HTML.esc(type))</code></h1>
                <p>\(HTML.esc(entry.description)).</p>
                <h2>Fields</h2><ul class="fields">\(fields)</ul>
                <h2>Sample payload</h2><pre>\(HTML.esc(entry.sample?.prettySerialized() ?? ""))</pre>
                <h2>JSON Schema</h2><pre>\(HTML.esc(entry.schema?.prettySerialized() ?? ""))</pre>
                <p><a href="/console/catalog">← The catalog</a></p>
                """
                return Self.html(HTML.page(type, session: session, content))
            }
        }
    }
}
