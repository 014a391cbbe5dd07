import Foundation
import Herald
import HeraldCore

/// The create/edit form: every setting of a webhook, grouped as the reference screens group them,
/// turned into the same JSON document (create) or merge patch (edit) the REST API takes.
enum WebhookForm {
    static let credentialKeys = ["token", "password", "value", "client_secret", "secret"]
    static let authKeys = ["token", "username", "password", "header", "value", "token_url", "client_id", "client_secret", "scope",
                           "secret", "issuer", "audience"]

    /// The JSON document (create) or merge patch (edit) the form stands for. A number that is not
    /// one is passed on as text, so the document's own checks name the field.
    static func document(_ form: FormData, creating: Bool, tenant: String?) -> [UInt8] {
        var o = JSONObject()
        func text(_ key: String, _ field: String? = nil) {
            let value = form.text(key)
            if creating { if let value { o[field ?? key] = .string(value) } } else { o[field ?? key] = value.map(JSONValue.string) ?? .null }
        }
        func number(_ key: String, into object: inout JSONObject, as field: String? = nil) {
            guard let value = form.text(key) else { if !creating { object[field ?? key] = .null }; return }
            object[field ?? key] = Int(value).map { .number(JSONNumber($0)) } ?? Double(value).map { .number(JSONNumber($0)) } ?? .string(value)
        }
        func list(_ key: String) -> [String] {
            (form.text(key) ?? "").split(whereSeparator: { $0 == "," || $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if creating, tenant == nil, let t = form.text("tenant") { o["tenant"] = .string(t) }
        o["name"] = .string(form["name"] ?? "")
        text("description")
        if let status = form.text("status") { o["status"] = .string(status) }
        text("version")
        o["url"] = .string(form.text("url") ?? "")
        if let method = form.text("method") { o["method"] = .string(method) }
        text("content_type")

        // Authentication: a credential left blank keeps the stored one (same type), or is cleared.
        let type = form.text("auth_type") ?? "none"
        var auth = JSONObject([("type", .string(type))])
        let sameType = form["auth_stored_type"] == type
        for key in authKeys {
            if let value = form.text("auth_\(key)") { auth[key] = .string(value) }
            else if credentialKeys.contains(key), sameType, !creating { auth[key] = .string(WebhookDocument.masked) }
            else if !creating { auth[key] = .null }
        }
        o["auth"] = .object(auth)

        // Headers: the rows given; a stored header whose row was removed is removed.
        var headers = JSONObject()
        for (name, value) in zip(form.all("header_name"), form.all("header_value")) {
            let name = name.trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { headers[name] = .string(value) }
        }
        if !creating { for stored in form.all("header_stored") where headers[stored] == nil { headers[stored] = .null } }
        o["headers"] = .object(headers)

        let events = form.all("events") + list("events_custom")
        o["events"] = .array(events.map(JSONValue.string))
        text("filter")
        if let template = form["payload_template"], !template.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            o["payload_template"] = .string(template)
        } else if !creating { o["payload_template"] = .null }

        number("connect_timeout_ms", into: &o)
        number("response_timeout_ms", into: &o)
        number("success_status_min", into: &o)
        number("success_status_max", into: &o)
        var retry = JSONObject()
        number("retry_max_retries", into: &retry, as: "max_retries")
        if let backoff = form.text("retry_backoff") { retry["backoff"] = .string(backoff) }
        let intervals = list("retry_intervals")
        if !intervals.isEmpty { retry["intervals_s"] = .array(intervals.map { Int($0).map { .number(JSONNumber($0)) } ?? .string($0) }) }
        else if !creating { retry["intervals_s"] = .null }
        number("retry_jitter", into: &retry, as: "jitter")
        o["retry"] = .object(retry)

        text("notify_email")
        text("notify_url")
        o["keep_failed_payloads"] = .bool(form["keep_failed_payloads"] != nil)
        number("pause_after_failures", into: &o)
        number("rate_limit_per_minute", into: &o)
        o["https_only"] = .bool(form["https_only"] != nil)
        let networks = list("allowed_networks")
        o["allowed_networks"] = creating && networks.isEmpty ? nil : .array(networks.map(JSONValue.string))
        if let behaviour = form.text("paused_behavior") { o["paused_behavior"] = .string(behaviour) }
        if let scheme = form.text("signing_scheme") {
            o["signing"] = .object(JSONObject(creating ? [("scheme", .string(scheme))] : [("scheme", .string(scheme)), ("schemes", .null)]))
        }
        var bytes: [UInt8] = []
        JSONValue.object(o).write(to: &bytes)
        return bytes
    }

    static func render(_ doc: WebhookDocument, id: String?, session: ConsoleSessions.Session, error: Problem?, form: FormData? = nil) -> String {
        func v(_ key: String, _ stored: String?) -> String { HTML.esc(form?[key] ?? stored ?? "") }
        func invalid(_ field: String) -> String {
            guard let bad = error?.field else { return "" }
            return bad == field || bad.hasPrefix(field + ".") || bad.hasPrefix(field + "[") ? " aria-invalid=\"true\" class=\"invalid\"" : ""
        }
        func option(_ value: String, _ label: String, selected: String?) -> String {
            "<option value=\"\(HTML.esc(value))\"\(value == selected ? " selected" : "")>\(HTML.esc(label))</option>"
        }
        let readOnly = !session.principal.canChange
        let auth = doc.auth ?? WebhookDocument.Authentication()
        let authType = form?["auth_type"] ?? auth.type
        func authField(_ key: String, _ label: String, _ stored: String?, secret: Bool = false) -> String {
            let placeholder = secret && stored != nil ? " placeholder=\"stored — leave blank to keep\"" : ""
            let value = secret ? "" : v("auth_\(key)", stored)
            return "<label>\(HTML.esc(label))<input name=\"auth_\(key)\" type=\"\(secret ? "password" : "text")\" value=\"\(value)\" autocomplete=\"off\"\(placeholder)\(invalid("auth.\(key)"))></label>"
        }
        let subscribed = Set(form.map { $0.all("events") } ?? doc.events)
        var catalog = ""
        for (entity, actions) in EventCatalog.entities {
            let boxes = (["\(entity).*"] + actions.map { "\(entity).\($0)" }).map { type in
                "<label class=\"check\"><input type=\"checkbox\" name=\"events\" value=\"\(type)\"\(subscribed.contains(type) ? " checked" : "")> <code>\(type)</code></label>"
            }.joined()
            catalog += "<fieldset class=\"events\"><legend>\(HTML.esc(entity.replacingOccurrences(of: "_", with: " ").capitalized))</legend>\(boxes)</fieldset>"
        }
        let custom = doc.events.filter { e in !EventCatalog.entities.contains { ent in e == "\(ent.entity).*" || ent.actions.contains { e == "\(ent.entity).\($0)" } } }
        var headerRows = ""
        let headers = (doc.headers ?? [:]).sorted { $0.key < $1.key }
        for (name, value) in headers + [("", "")] {
            headerRows += """
            <div class="row header-row"><input name="header_name" aria-label="Header name" value="\(HTML.esc(name))" placeholder="X-Header"\(invalid("headers"))>\
            <input name="header_value" aria-label="Header value" value="\(HTML.esc(value))" placeholder="value"><button type="button" class="remove-row" aria-label="Remove header">×</button></div>
            """
        }
        let storedHeaders = headers.map { "<input type=\"hidden\" name=\"header_stored\" value=\"\(HTML.esc($0.key))\">" }.joined()
        let problem = error.map { p in
            "<div class=\"notice error\" role=\"alert\"><strong>\(HTML.esc(p.field.map { "\($0): " } ?? ""))</strong>\(HTML.esc(p.detail))\(p.position.map { " (at column \($0))" } ?? "")</div>"
        } ?? ""
        let action = id.map { "/console/webhooks/\(HTML.esc($0))/edit" } ?? "/console/webhooks/new"
        let tenantField = id == nil && session.principal.tenant == nil
            ? "<label>Tenant<input name=\"tenant\" value=\"\(v("tenant", doc.tenant))\" required\(invalid("tenant"))></label>" : ""
        let signing = form?["signing_scheme"] ?? doc.signing?.scheme ?? "standard-webhooks"
        let schemeOptions = (SignaturePreset.allCases.map(\.rawValue) + ["none"]).map { option($0, $0, selected: signing == "standard" ? "standard-webhooks" : signing) }.joined()
        let retry = doc.retry ?? WebhookDocument.Retry()
        let regenerate = id != nil && !readOnly ? """
            <p>\(HTML.button("Regenerate secret", action: "/console/webhooks/\(id ?? "")/rotate-secret", session: session,
                             confirm: "Create a new signing secret? The old one keeps signing for 24 hours."))</p>
            """ : ""
        let sampleTypes = EventCatalog.types.map { option($0, $0, selected: "order.created") }.joined()
        return """
        <div class="title"><h1>\(id == nil ? "Create webhook" : "Edit " + HTML.esc(doc.name))</h1>\(id.map { "<a href=\"/console/webhooks/\(HTML.esc($0))/test\" class=\"button\">Test</a> <a href=\"/console/webhooks/\(HTML.esc($0))/log\" class=\"button\">Log</a>" } ?? "")</div>
        \(problem)
        <form method="post" action="\(action)" class="webhook-form" id="webhook-form">
        \(HTML.csrfField(session))
        <fieldset \(readOnly ? "disabled" : "")>
        <section class="card"><h2>Basic information</h2>
          \(tenantField)
          <label>Name<input name="name" value="\(v("name", doc.name))" required maxlength="200"\(invalid("name"))></label>
          <label>Description<textarea name="description" rows="2"\(invalid("description"))>\(v("description", doc.description))</textarea></label>
          <div class="row">
          <label>Status<select name="status">\(["active", "paused", "disabled"].map { option($0, $0, selected: form?["status"] ?? doc.status) }.joined())</select></label>
          <label>Version<input name="version" value="\(v("version", doc.version))"\(invalid("version"))></label>
          </div>
        </section>
        <section class="card"><h2>Endpoint</h2>
          <label>URL<input name="url" type="url" value="\(v("url", doc.url))" required\(invalid("url"))></label>
          <div class="row">
          <label>Method<select name="method">\(["POST", "PUT", "PATCH"].map { option($0, $0, selected: form?["method"] ?? doc.method ?? "POST") }.joined())</select></label>
          <label>Content type<input name="content_type" value="\(v("content_type", doc.contentType ?? "application/json"))"\(invalid("content_type"))></label>
          </div>
        </section>
        <section class="card"><h2>Authentication</h2>
          <input type="hidden" name="auth_stored_type" value="\(HTML.esc(auth.type))">
          <label>Type<select name="auth_type" id="auth-type">\([("none", "None"), ("bearer", "Bearer token"), ("basic", "Basic"), ("api_key", "API key header"), ("oauth2", "OAuth 2.0 client credentials"), ("jwt", "JWT (HS256)")].map { option($0.0, $0.1, selected: authType) }.joined())</select></label>
          <div class="auth" data-auth="bearer">\(authField("token", "Token", auth.token, secret: true))</div>
          <div class="auth" data-auth="basic">\(authField("username", "Username", auth.username))\(authField("password", "Password", auth.password, secret: true))</div>
          <div class="auth" data-auth="api_key">\(authField("header", "Header", auth.header))\(authField("value", "Value", auth.value, secret: true))</div>
          <div class="auth" data-auth="oauth2">\(authField("token_url", "Token URL", auth.tokenURL))\(authField("client_id", "Client id", auth.clientID))\(authField("client_secret", "Client secret", auth.clientSecret, secret: true))\(authField("scope", "Scope", auth.scope))</div>
          <div class="auth" data-auth="jwt">\(authField("secret", "Signing secret", auth.secret, secret: true))\(authField("issuer", "Issuer", auth.issuer))\(authField("audience", "Audience", auth.audience))</div>
        </section>
        <section class="card"><h2>Headers</h2>
          <div id="header-rows">\(headerRows)</div>\(storedHeaders)
          <button type="button" id="add-header">Add header</button>
        </section>
        <section class="card"><h2>Events</h2>
          <div class="grid">\(catalog)</div>
          <label>Other types or patterns (comma-separated)<input name="events_custom" value="\(v("events_custom", custom.joined(separator: ", ")))"\(invalid("events"))></label>
        </section>
        <section class="card"><h2>Filter</h2>
          <label for="filter">Only events for which this holds (e.g. <code>order.total &gt; 1000 AND customer.country = "DE"</code>)</label>
          <textarea id="filter" name="filter" rows="2"\(invalid("filter"))>\(v("filter", doc.filter))</textarea>
          <button type="button" id="check-filter">Sample matching</button>
          <div id="filter-result" class="result" aria-live="polite"></div>
        </section>
        <section class="card"><h2>Payload template</h2>
          <label for="payload_template">The JSON sent, with <code>{order.id}</code>-style fields; empty = the event as published</label>
          <textarea id="payload_template" name="payload_template" rows="8" class="code"\(invalid("payload_template"))>\(v("payload_template", doc.payloadTemplate))</textarea>
          <div class="row"><button type="button" id="default-template">Use default template</button>
          <label>Sample<select id="preview-type">\(sampleTypes)</select></label>
          <button type="button" id="preview-template">Preview with sample data</button></div>
          <pre id="preview-result" class="result" aria-live="polite"></pre>
        </section>
        <section class="card"><h2>Delivery settings</h2>
          <div class="row">
          <label>Connect timeout (ms)<input name="connect_timeout_ms" inputmode="numeric" value="\(v("connect_timeout_ms", doc.connectTimeoutMs.map(String.init)))"\(invalid("connect_timeout_ms"))></label>
          <label>Response timeout (ms)<input name="response_timeout_ms" inputmode="numeric" value="\(v("response_timeout_ms", doc.responseTimeoutMs.map(String.init)))"\(invalid("response_timeout_ms"))></label>
          <label>Success from<input name="success_status_min" inputmode="numeric" value="\(v("success_status_min", doc.successStatusMin.map(String.init)))"\(invalid("success_status_min"))></label>
          <label>to<input name="success_status_max" inputmode="numeric" value="\(v("success_status_max", doc.successStatusMax.map(String.init)))"\(invalid("success_status_max"))></label>
          </div>
          <div class="row">
          <label>Retries<input name="retry_max_retries" inputmode="numeric" value="\(v("retry_max_retries", retry.maxRetries.map(String.init)))"\(invalid("retry.max_retries"))></label>
          <label>Backoff<select name="retry_backoff">\(["custom", "exponential", "fixed"].map { option($0, $0, selected: form?["retry_backoff"] ?? retry.backoff ?? "custom") }.joined())</select></label>
          <label>Intervals (s, comma-separated)<input name="retry_intervals" value="\(v("retry_intervals", retry.intervalsSeconds.map { $0.map(String.init).joined(separator: ", ") }))"\(invalid("retry.intervals_s"))></label>
          <label>Jitter (0–1)<input name="retry_jitter" inputmode="decimal" value="\(v("retry_jitter", retry.jitter.map { String($0) }))"\(invalid("retry.jitter"))></label>
          </div>
          <label>Rate limit (requests per minute, empty = none)<input name="rate_limit_per_minute" inputmode="numeric" value="\(v("rate_limit_per_minute", doc.rateLimitPerMinute.map(String.init)))"\(invalid("rate_limit_per_minute"))></label>
        </section>
        <section class="card"><h2>Failure handling</h2>
          <div class="row">
          <label>Notify email<input name="notify_email" type="email" value="\(v("notify_email", doc.notifyEmail))"\(invalid("notify_email"))></label>
          <label>Notify URL<input name="notify_url" type="url" value="\(v("notify_url", doc.notifyURL))"\(invalid("notify_url"))></label>
          </div>
          <div class="row">
          <label>Pause after N consecutive failures (0 = never)<input name="pause_after_failures" inputmode="numeric" value="\(v("pause_after_failures", doc.pauseAfterFailures.map(String.init)))"\(invalid("pause_after_failures"))></label>
          <label>While paused<select name="paused_behavior">\([("queue", "keep deliveries"), ("discard", "discard deliveries")].map { option($0.0, $0.1, selected: form?["paused_behavior"] ?? doc.pausedBehavior ?? "queue") }.joined())</select></label>
          </div>
          <label class="check"><input type="checkbox" name="keep_failed_payloads"\((doc.keepFailedPayloads ?? true) ? " checked" : "")> Keep failed payloads</label>
        </section>
        <section class="card"><h2>Security</h2>
          <label class="check"><input type="checkbox" name="https_only"\((doc.httpsOnly ?? false) ? " checked" : "")> HTTPS only</label>
          <label>IP allowlist (CIDR, comma-separated)<input name="allowed_networks" value="\(v("allowed_networks", doc.allowedNetworks?.joined(separator: ", ")))"\(invalid("allowed_networks"))></label>
          <label>Signature scheme<select name="signing_scheme">\(schemeOptions)</select></label>
          <details><summary>Verification code for the receiver</summary>\(VerificationSnippets.html)</details>
        </section>
        </fieldset>
        \(readOnly ? "<p class=\"empty\">Read only: a viewer token cannot change webhooks.</p>" : "<div class=\"actions sticky\"><button type=\"submit\" class=\"primary\">\(id == nil ? "Create webhook" : "Save changes")</button> <a href=\"/console/webhooks\">Cancel</a></div>")
        </form>
        \(regenerate.isEmpty ? "" : "<section class=\"card\"><h2>Signing secret</h2><p>A new secret is shown once; the old one keeps signing for 24 hours so that receivers can switch.</p>\(regenerate)</section>")
        """
    }
}

/// Receiver code for the default scheme (Standard Webhooks), with the official libraries.
enum VerificationSnippets {
    static let html: String = {
        let snippets: [(String, String)] = [
            ("Python", "from standardwebhooks.webhooks import Webhook\n\nwh = Webhook(secret)   # the whsec_… secret\npayload = wh.verify(request.body, request.headers)  # raises on a bad signature"),
            ("Node.js", "import { Webhook } from \"standardwebhooks\";\n\nconst wh = new Webhook(secret);\nconst payload = wh.verify(rawBody, headers); // throws on a bad signature"),
            ("Go", "import standardwebhooks \"github.com/standard-webhooks/standard-webhooks/libraries/go\"\n\nwh, _ := standardwebhooks.NewWebhook(secret)\nerr := wh.Verify(body, r.Header)"),
            ("PHP", "$wh = new \\StandardWebhooks\\Webhook($secret);\n$payload = $wh->verify($body, $headers);"),
            ("Java", "Webhook wh = new Webhook(secret);\nwh.verify(body, headers); // throws WebhookVerificationException"),
            ("Ruby", "wh = StandardWebhooks::Webhook.new(secret)\npayload = wh.verify(body, headers)"),
            ("Swift", "import HeraldVerify\n\nlet verifier = try WebhookVerifier(scheme: .standardWebhooks, secrets: [secret])\ntry verifier.verify(body: body, headers: headers)"),
        ]
        return snippets.map { "<h3>\(HTML.esc($0.0))</h3><pre>\(HTML.esc($0.1))</pre>" }.joined()
            + "<p>Other schemes (erp-hex, wms-hex, GitHub, Stripe, Shopify): docs/RECEIVERS.md.</p>"
    }()
}

/// The test screen: event type, sample source, payload preview, send, and the result.
enum TestForm {
    static func render(_ doc: WebhookDocument, id: String, session: ConsoleSessions.Session,
                       result: (WebhookAdmin.TestSend, DeliveryQueries.Detail?)?) -> String {
        let types = doc.events.flatMap { EventCatalog.types(matching: $0) }
        let options = (types.isEmpty ? EventCatalog.types : types).map { "<option value=\"\($0)\">\($0)</option>" }.joined()
        var outcome = ""
        if let (sent, detail) = result {
            if let detail, let attempt = detail.attempts.last {
                let working = detail.delivery.state == "succeeded"
                outcome = """
                <section class="card result-card \(working ? "ok" : "bad")" id="test-result">
                <h2>\(working ? "Webhook is working correctly" : "The test delivery failed")</h2>
                <dl class="facts"><dt>Status</dt><dd>\(attempt.statusCode.map { "HTTP \($0)" } ?? "no response")</dd>
                <dt>Duration</dt><dd>\(HTML.ms(attempt.durationMs))</dd>
                \(attempt.error.map { "<dt>Error</dt><dd>\(HTML.esc($0))</dd>" } ?? "")
                <dt>Event</dt><dd>\(HTML.esc(sent.eventType)) (\(HTML.esc(sent.source)))</dd></dl>
                <h3>Response</h3><pre>\(HTML.esc(attempt.responseBody ?? "—"))</pre>
                <p><a href="/console/deliveries/\(HTML.esc(sent.deliveryID))">Delivery detail</a></p>
                </section>
                """
            } else {
                outcome = "<section class=\"card\" id=\"test-result\"><h2>Still waiting</h2><p>The test delivery \(HTML.esc(sent.deliveryID)) is queued; is a worker running? <a href=\"/console/deliveries/\(HTML.esc(sent.deliveryID))\">Follow it</a>.</p></section>"
            }
        }
        return """
        <div class="title"><h1>Test \(HTML.esc(doc.name))</h1><a class="button" href="/console/webhooks/\(HTML.esc(id))/edit">Edit</a></div>
        \(outcome)
        <form method="post" action="/console/webhooks/\(HTML.esc(id))/test" class="card" id="test-form">
        \(HTML.csrfField(session))
        <label>Event type<select name="event_type" id="preview-type">\(options)</select></label>
        <fieldset><legend>Sample data</legend>
          <label class="check"><input type="radio" name="source" value="sample" checked> Generated sample</label>
          <label class="check"><input type="radio" name="source" value="recent"> The most recent real event of this type</label>
          <label class="check"><input type="radio" name="source" value="custom"> Custom JSON (the event's data)</label>
          <textarea name="data" rows="6" class="code" aria-label="Custom JSON">{"order": {"id": "TEST-1", "total": 100}}</textarea>
        </fieldset>
        <input type="hidden" id="payload_template" value="\(HTML.esc(doc.payloadTemplate ?? ""))">
        <button type="button" id="preview-template">Payload preview</button>
        <pre id="preview-result" class="result" aria-live="polite"></pre>
        <button type="submit" class="primary"\(session.principal.canChange ? "" : " disabled")>Send test</button>
        </form>
        """
    }
}
