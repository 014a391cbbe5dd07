import AMQP
import Foundation
import HeraldCore
import PostgresClient

/// Everything a person does to webhooks, for heraldctl and herald-api alike: the same function
/// checks who asks (tenant, role), validates, changes the store, publishes what must be sent, and
/// writes the audit log. Another tenant's webhook answers exactly as a missing one does.
public struct WebhookAdmin {
    public let context: AdminContext
    public let principal: Principal

    public init(context: AdminContext, principal: Principal) {
        self.context = context
        self.principal = principal
    }

    func store() throws -> WebhookStore { try context.webhookStore() }

    /// The stored webhook (credentials opened), if this principal may see it.
    func visible(_ id: String) throws -> WebhookDocument {
        guard WebhookAdmin.isWellFormedID(id) else { throw AccessError.notFound("webhook \(Quoted.bare(id))") }
        let doc: WebhookDocument
        do { doc = try store().document(id: id) } catch let error as StoreError {
            if case .notFound = error { throw AccessError.notFound("webhook \(id)") }
            throw error
        }
        guard principal.sees(tenant: doc.tenant) else { throw AccessError.notFound("webhook \(id)") }
        return doc
    }

    static func refuseNUL(_ value: JSONValue) throws(StoreError) {
        if let path = value.pathOfNUL() {
            throw .document(.document("webhook\(path.isEmpty ? "" : "." + path): must not contain NUL (\\u0000) characters"))
        }
    }

    static func isWellFormedID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// What a list shows of each webhook: no credentials, the URL redacted.
    public struct Summary: Encodable, Sendable {
        public var id: String
        public var tenant: String
        public var name: String
        public var description: String?
        public var url: String
        public var events: [String]
        public var status: String
        public var pausedReason: String?
        public var consecutiveFailures: Int
        public var createdAt: String
        public var updatedAt: String
        public var health: HealthReport

        enum CodingKeys: String, CodingKey {
            case id, tenant, name, description, url, events, status, health
            case pausedReason = "paused_reason", consecutiveFailures = "consecutive_failures"
            case createdAt = "created_at", updatedAt = "updated_at"
        }
    }

    /// The endpoint's health (`EndpointHealth`), with the last error and when the failures began.
    public struct HealthReport: Codable, Sendable, Equatable {
        public var state: String
        public var lastError: String?
        public var lastErrorAt: String?
        public var failingSince: String?
        public var recentAttempts: Int
        public var recentFailures: Int

        enum CodingKeys: String, CodingKey {
            case state
            case lastError = "last_error", lastErrorAt = "last_error_at", failingSince = "failing_since"
            case recentAttempts = "recent_attempts", recentFailures = "recent_failures"
        }

        /// The columns `init(row:status:consecutiveFailures:at:)` reads, for a query over `webhooks w`:
        /// the latest attempts (bounded by the policy's window) counted through the
        /// (webhook_id, started_at) index.
        static func columns() -> String {
            """
            w.last_error, \(SQLTime.iso("w.last_error_at")), \(SQLTime.iso("w.failing_since")), h.attempts, h.failures
            """
        }

        static func join(_ policy: EndpointHealth.Policy = EndpointHealth.Policy()) -> String {
            """
            LEFT JOIN LATERAL (
                SELECT count(*) AS attempts, count(*) FILTER (WHERE NOT r.succeeded) AS failures
                FROM (SELECT a.succeeded FROM delivery_attempts a
                      WHERE a.webhook_id = w.id AND a.started_at > now() - interval '\(policy.windowSeconds) seconds'
                      ORDER BY a.started_at DESC LIMIT \(policy.window)) r
            ) h ON true
            """
        }

        init(row: PostgresRow, at index: Int, status: String, consecutiveFailures: Int) {
            let attempts = Int(row[index + 3].text ?? "") ?? 0
            let failures = Int(row[index + 4].text ?? "") ?? 0
            let observation = EndpointHealth.Observation(status: Webhook.Status(rawValue: status) ?? .active,
                                                        consecutiveFailures: consecutiveFailures, recentAttempts: attempts,
                                                        recentFailures: failures)
            state = EndpointHealth.classify(observation).rawValue
            lastError = row[index].text
            lastErrorAt = row[index + 1].text
            failingSince = row[index + 2].text
            recentAttempts = attempts
            recentFailures = failures
        }
    }

    /// Webhooks in id (creation) order after `cursor`, optionally of one tenant (operators),
    /// matching `search` in name or URL, subscribed to `event`, in `status`.
    public func list(tenant: String? = nil, search: String? = nil, event: String? = nil, status: String? = nil,
                     cursor: String? = nil, limit: Int = 50) throws -> Page<Summary> {
        try Page<Summary>.checkLimit(limit)
        if let status, !Webhook.Status.allCases.map(\.rawValue).contains(status) {
            throw AdminInputError(field: "status", value: status, rule: "must be one of \(Webhook.Status.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var sql = """
            SELECT w.id, w.tenant_id, w.name, w.description, w.url, w.events, w.status, w.paused_reason, w.consecutive_failures,
                   \(SQLTime.iso("w.created_at")), \(SQLTime.iso("w.updated_at")), \(HealthReport.columns())
            FROM webhooks w \(HealthReport.join()) WHERE true
            """
        var params: [(any PostgresEncodable)?] = []
        if let tenant = principal.tenantFilter(tenant) { params.append(tenant); sql += " AND w.tenant_id = $\(params.count)" }
        if let search, !search.isEmpty {
            guard search.utf8.count <= 200 else { throw AdminInputError(field: "search", value: String(search.prefix(40)), rule: "at most 200 bytes") }
            params.append("%" + SQLText.likeEscaped(search) + "%")
            sql += " AND (w.name ILIKE $\(params.count) OR w.url ILIKE $\(params.count) OR w.id = $\(params.count + 1))"
            params.append(search)
        }
        if let event, !event.isEmpty {
            params.append(event)
            sql += " AND ($\(params.count) = ANY(w.events) OR EXISTS (SELECT 1 FROM unnest(w.events) p WHERE p = '*' OR (p LIKE '%.*' AND $\(params.count) LIKE replace(p, '*', '%'))))"
        }
        if let status { params.append(status); sql += " AND w.status = $\(params.count)" }
        if let cursor { params.append(try Page<Summary>.decodeCursor(cursor)); sql += " AND w.id > $\(params.count)" }
        params.append(limit + 1)
        sql += " ORDER BY w.id LIMIT $\(params.count)"
        let rows = try context.database().query(sql, params)
        let items = rows.map { row in
            Summary(id: row[0].text ?? "", tenant: row[1].text ?? "", name: row[2].text ?? "", description: row[3].text,
                    url: Webhook.redactedURL(row[4].text ?? ""), events: (try? row[5].decode([String].self)) ?? [],
                    status: row[6].text ?? "", pausedReason: row[7].text, consecutiveFailures: Int(row[8].text ?? "") ?? 0,
                    createdAt: row[9].text ?? "", updatedAt: row[10].text ?? "",
                    health: HealthReport(row: row, at: 11, status: row[6].text ?? "", consecutiveFailures: Int(row[8].text ?? "") ?? 0))
        }
        return Page(items: items, limit: limit) { $0.id }
    }

    /// One webhook, credentials masked.
    public func get(_ id: String) throws -> WebhookDocument {
        var doc = WebhookAdmin.shown(try visible(id))
        doc.health = try health(id)
        return doc
    }

    /// One webhook's endpoint health.
    public func health(_ id: String) throws -> HealthReport? {
        try context.database().query("""
            SELECT w.status, w.consecutive_failures, \(HealthReport.columns()) FROM webhooks w \(HealthReport.join()) WHERE w.id = $1
            """, [id]).first.map { row in
            HealthReport(row: row, at: 2, status: row[0].text ?? "", consecutiveFailures: Int(row[1].text ?? "") ?? 0)
        }
    }

    /// The document as shown: credentials masked, secrets left out (they are shown once).
    static func shown(_ doc: WebhookDocument) -> WebhookDocument {
        var shown = doc.redacted()
        shown.secrets = nil
        return shown
    }

    /// Creates a webhook from a JSON document (a tenant token's tenant is filled in when left
    /// out). Returns the webhook as shown and its signing secret, shown this once.
    public func create(json bytes: [UInt8]) throws -> (webhook: WebhookDocument, secret: String) {
        try principal.requireChange()
        var value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw StoreError.document(.document("webhook: not valid JSON: \(error)")) }
        try WebhookAdmin.refuseNUL(value)
        if case .object(var object) = value {
            if object["id"] != nil { throw StoreError.document(.document("webhook.id: is assigned by Herald; leave it out")) }
            if object["tenant"] == nil, let tenant = principal.tenant { object["tenant"] = .string(tenant) }
            value = .object(object)
        }
        var encoded: [UInt8] = []
        value.write(to: &encoded)
        return try create(document: try WebhookDocument.parse(bytes.count > WebhookDocument.maxDocumentBytes ? bytes : encoded))
    }

    public func create(document: WebhookDocument) throws -> (webhook: WebhookDocument, secret: String) {
        try principal.requireChange()
        guard principal.sees(tenant: document.tenant) else {
            throw AccessError.forbidden("this token belongs to tenant \(principal.tenant ?? ""); it cannot create a webhook of tenant \(Quoted.text(document.tenant))")
        }
        let created = try store().create(document)
        let doc = WebhookAdmin.shown(try store().document(id: created.id))
        try audit("webhook.create", tenant: doc.tenant, id: created.id, before: nil, after: doc)
        return (doc, created.secret)
    }

    /// Replaces a webhook's settings (PUT). Read-only fields in the document are ignored; masked
    /// or omitted credentials keep their stored values; the tenant cannot change.
    public func replace(_ id: String, json bytes: [UInt8]) throws -> WebhookDocument {
        try principal.requireChange()
        let stored = try visible(id)
        var value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw StoreError.document(.document("webhook: not valid JSON: \(error)")) }
        try WebhookAdmin.refuseNUL(value)
        if case .object(var object) = value, object["tenant"] == nil {   // the tenant cannot change: it may be left out
            object["tenant"] = .string(stored.tenant)
            value = .object(object)
        }
        var encoded: [UInt8] = []
        value.write(to: &encoded)
        var doc = try WebhookDocument.parse(bytes.count > WebhookDocument.maxDocumentBytes ? bytes : encoded)
        return try save(id, doc: &doc, stored: stored)
    }

    /// Changes only the fields given (RFC 7396 JSON Merge Patch over the shown document):
    /// `null` clears an optional field; credentials not given, or given masked, stay as stored.
    public func patch(_ id: String, json bytes: [UInt8]) throws -> WebhookDocument {
        try principal.requireChange()
        guard bytes.count <= WebhookDocument.maxDocumentBytes else {
            throw StoreError.document(.document("webhook: the document is \(bytes.count) bytes; at most \(WebhookDocument.maxDocumentBytes) are accepted"))
        }
        let stored = try visible(id)
        let patch: JSONValue
        do { patch = try JSONValue(parsing: bytes) } catch { throw StoreError.document(.document("webhook: not valid JSON: \(error)")) }
        guard case .object(let fields) = patch else { throw StoreError.document(.document("webhook: a patch must be a JSON object")) }
        try WebhookAdmin.refuseNUL(patch)
        for field in ["id", "secrets", "consecutive_failures", "paused_reason"] where fields[field] != nil {
            throw StoreError.document(.document("webhook.\(field): is read-only\(field == "secrets" ? " (rotate-secret adds a secret)" : "")"))
        }
        var base = WebhookAdmin.shown(stored)
        base.id = nil
        base.consecutiveFailures = nil
        base.pausedReason = nil
        let baseValue = try JSONValue(parsing: String(decoding: try JSONEncoder().encode(base), as: UTF8.self))
        var merged: [UInt8] = []
        baseValue.merging(patch: patch).write(to: &merged)
        var doc = try WebhookDocument.parse(merged)
        return try save(id, doc: &doc, stored: stored)
    }

    private func save(_ id: String, doc: inout WebhookDocument, stored: WebhookDocument) throws -> WebhookDocument {
        guard doc.tenant == stored.tenant else {
            throw StoreError.document(.document("webhook.tenant: a webhook cannot move to another tenant (it is \(stored.tenant))"))
        }
        doc.id = id
        doc.secrets = nil
        doc.consecutiveFailures = nil
        doc.pausedReason = nil
        try store().update(doc)
        let after = WebhookAdmin.shown(try store().document(id: id))
        try audit("webhook.update", tenant: stored.tenant, id: id, before: WebhookAdmin.shown(stored), after: after)
        return after
    }

    /// Deletes a webhook; its waiting deliveries are cancelled.
    public func delete(_ id: String) throws {
        try principal.requireChange()
        let stored = try visible(id)
        try store().delete(id: id)
        try audit("webhook.delete", tenant: stored.tenant, id: id, before: WebhookAdmin.shown(stored), after: nil)
    }

    public func pause(_ id: String, reason: String?) throws -> WebhookDocument {
        try principal.requireChange()
        let stored = try visible(id)
        let reason = reason ?? "paused by \(principal.actor)"
        guard !reason.utf8.contains(0) else { throw AdminInputError(field: "reason", value: "", rule: "must not contain NUL (\\u0000) characters") }
        guard reason.utf8.count <= 500 else { throw AdminInputError(field: "reason", value: String(reason.prefix(40)), rule: "at most 500 bytes") }
        try store().setStatus(id: id, status: .paused, reason: StoredText.clean(reason))
        let after = WebhookAdmin.shown(try store().document(id: id))
        try audit("webhook.pause", tenant: stored.tenant, id: id, before: ["status": stored.status ?? "active"], after: ["status": "paused", "reason": reason])
        return after
    }

    /// Activates a webhook (paused, auto-paused or disabled) and sends what waited meanwhile.
    public func resume(_ id: String) throws -> (webhook: WebhookDocument, released: Int) {
        try principal.requireChange()
        let stored = try visible(id)
        try store().setStatus(id: id, status: .active)
        let released = try DeliveryStore(connection: context.database()).releasePaused(webhookID: id)
        if !released.isEmpty {
            let amqp = try context.amqp()
            try Topology(names: context.configuration.topology).declareDeliveries(on: amqp)
            try JobMessages(names: context.configuration.topology).publishNow(released, on: amqp)
        }
        try audit("webhook.resume", tenant: stored.tenant, id: id, before: ["status": stored.status ?? "active"],
                  after: ["status": "active", "released": String(released.count)])
        return (WebhookAdmin.shown(try store().document(id: id)), released.count)
    }

    /// A new signing secret (shown once); the old ones keep signing for `graceSeconds`.
    public func rotateSecret(_ id: String, graceSeconds: Int, secret given: String? = nil) throws -> String {
        try principal.requireChange()
        guard (0...(30 * 86_400)).contains(graceSeconds) else {
            throw AdminInputError(field: "grace_seconds", value: String(graceSeconds), rule: "must be 0 to 2592000 (30 days)")
        }
        let stored = try visible(id)
        let secret = try store().rotateSecret(id: id, graceSeconds: graceSeconds, secret: given)
        try audit("webhook.rotate_secret", tenant: stored.tenant, id: id, before: nil,
                  after: ["grace_seconds": String(graceSeconds), "secret": given == nil ? "generated" : "given by the partner"])
        return secret
    }

    // MARK: test sends

    /// Where the event of a test send comes from.
    public enum TestEvent: Sendable {
        /// The catalog's sample of the type.
        case sample
        /// The tenant's most recent real event of the type (the sample when there is none).
        case recent
        /// This `data`, in an envelope of the type.
        case custom(JSONValue)
    }

    public struct TestSend: Encodable, Sendable {
        public var deliveryID: String
        public var eventID: String
        public var eventType: String
        public var source: String
        enum CodingKeys: String, CodingKey { case deliveryID = "delivery_id", eventID = "event_id", eventType = "event_type", source }
    }

    /// Sends one event to this webhook through the real pipeline (router's record, a worker's
    /// delivery), marked as a test. Returns at once; `DeliveryQueries.detail` shows the result.
    public func sendTest(_ id: String, eventType: String?, event: TestEvent) throws -> TestSend {
        try principal.requireChange()
        let doc = try visible(id)
        let type = eventType ?? doc.events.lazy.flatMap { EventCatalog.types(matching: $0) }.first ?? "order.created"
        guard EventType.isValid(type) else { throw AdminInputError(field: "event_type", value: type, rule: "is not an event type (entity.action)") }
        var envelope: JSONValue
        var source = "sample"
        switch event {
        case .custom(let data):
            envelope = .object(JSONObject([("type", .string(type)), ("occurred_at", .string(Timestamp.nowISO8601())), ("data", data)]))
            source = "custom"
        case .recent, .sample:
            var recent: JSONValue?
            if case .recent = event {
                let rows = try context.database().query(
                    "SELECT payload FROM events WHERE tenant_id = $1 AND type = $2 ORDER BY received_at DESC LIMIT 1", [doc.tenant, type])
                recent = rows.first?[0].text.flatMap { try? JSONValue(parsing: $0) }
                if recent != nil { source = "recent" }
            }
            guard let chosen = recent ?? EventCatalog.sampleEvent(for: type) else {
                throw AdminInputError(field: "event_type", value: type, rule: "has no sample in the catalog; send custom data instead")
            }
            envelope = chosen
        }
        guard case .object(var object) = envelope else { throw AdminInputError(field: "data", value: "", rule: "must be a JSON object") }
        object["id"] = .string(IDs.make("evt_test_"))
        object["tenant"] = .string(doc.tenant)
        object["type"] = .string(type)
        envelope = .object(object)
        let testEvent: Event
        do { testEvent = try Event(envelope: envelope) } catch { throw AdminInputError(field: "data", value: "", rule: error.description) }
        let webhook = try doc.makeWebhook(validateTemplateVariables: false)
        let deliveryID = IDs.make("msg_")
        var payload: String?
        if let template = webhook.template, !template.dependsOnAttempt {
            payload = String(decoding: try template.render(event: testEvent.envelope, context: TemplateContext(
                webhookID: id, deliveryID: deliveryID, timestamp: Timestamp.nowISO8601(), eventType: type, attempt: 1),
                limit: context.configuration.maxRenderedBytes), as: UTF8.self)
        }
        var delivery = NewDelivery(
            id: deliveryID, tenantID: doc.tenant, eventID: testEvent.id, eventType: type, webhookID: id, state: .pending,
            payload: payload, payloadDeferred: webhook.template?.dependsOnAttempt ?? false, note: "test send")
        delivery.eventOccurredAt = testEvent.occurredAt
        let jobs = try DeliveryStore(connection: context.database()).recordRouted(events: [testEvent], deliveries: [delivery])
        let amqp = try context.amqp()
        try Topology(names: context.configuration.topology).declareDeliveries(on: amqp)
        try JobMessages(names: context.configuration.topology).publishNow(jobs, on: amqp)
        try audit("webhook.test", tenant: doc.tenant, id: id, before: nil, after: ["delivery_id": deliveryID, "event_type": type])
        return TestSend(deliveryID: deliveryID, eventID: testEvent.id, eventType: type, source: source)
    }

    func audit(_ action: String, tenant: String, id: String, before: (any Encodable)?, after: (any Encodable)?) throws {
        try context.audit().record(principal, action: action, tenant: tenant, targetType: "webhook", targetID: id, before: before, after: after)
    }
}

/// One page of a list: the items, and the cursor of the next page (nil on the last).
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public var data: [Item]
    public var nextCursor: String?
    public var hasMore: Bool { nextCursor != nil }

    enum CodingKeys: String, CodingKey { case data, nextCursor = "next_cursor", hasMore = "has_more" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(data, forKey: .data)
        try c.encode(nextCursor, forKey: .nextCursor)
        try c.encode(hasMore, forKey: .hasMore)
    }

    /// `items` holds up to limit + 1 rows: the extra one says there is a next page.
    public init(items: [Item], limit: Int, key: (Item) -> String) {
        data = Array(items.prefix(limit))
        nextCursor = items.count > limit ? data.last.map { Page.encodeCursor(key($0)) } : nil
    }

    public static func checkLimit(_ limit: Int) throws(AdminInputError) {
        guard (1...1000).contains(limit) else { throw AdminInputError(field: "limit", value: String(limit), rule: "must be 1 to 1000") }
    }

    /// Cursors are opaque to clients: base64url of the last item's sort key.
    public static func encodeCursor(_ key: String) -> String {
        Data(key.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decodeCursor(_ cursor: String) throws(AdminInputError) -> String {
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard cursor.utf8.count <= 400, let data = Data(base64Encoded: text), let key = String(data: data, encoding: .utf8),
              key.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw AdminInputError(field: "cursor", value: String(cursor.prefix(40)), rule: "is not a cursor this API returned")
        }
        return key
    }
}

/// SQL text helpers for admin queries.
enum SQLText {
    /// `text` as a literal part of a LIKE pattern (`%`, `_` and `\` escaped).
    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

enum SQLTime {
    /// A timestamptz column as RFC 3339 UTC with microseconds.
    static func iso(_ column: String) -> String { "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')" }
}
