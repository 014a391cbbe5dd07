import AMQP
import Foundation
import HeraldCore
import PostgresClient

/// The delivery log as a person reads it — lists, one delivery with its attempt timeline,
/// statistics, CSV export — and what a person does about failures (resend, retry all failed,
/// recover a period). Typed records (numbers are numbers), scoped to the principal's tenant, every
/// list keyset-paginated on an index.
public struct DeliveryQueries {
    public let context: AdminContext
    public let principal: Principal

    public init(context: AdminContext, principal: Principal) {
        self.context = context
        self.principal = principal
    }

    public struct Delivery: Encodable, Sendable {
        public var id: String
        public var tenant: String
        public var webhookID: String
        public var eventID: String
        public var eventType: String
        public var state: String
        public var attempts: Int
        public var lastStatus: Int?
        public var lastError: String?
        public var nextAttemptAt: String?
        public var createdAt: String
        public var updatedAt: String
        public var completedAt: String?

        enum CodingKeys: String, CodingKey {
            case id, tenant, state, attempts
            case webhookID = "webhook_id", eventID = "event_id", eventType = "event_type", lastStatus = "last_status"
            case lastError = "last_error", nextAttemptAt = "next_attempt_at", createdAt = "created_at", updatedAt = "updated_at"
            case completedAt = "completed_at"
        }

        static let columns = """
            d.id, d.tenant_id, d.webhook_id, d.event_id, d.event_type, d.state, d.attempts, d.last_status, d.last_error,
            \(SQLTime.iso("d.next_attempt_at")), \(SQLTime.iso("d.created_at")), \(SQLTime.iso("d.updated_at")), \(SQLTime.iso("d.completed_at"))
            """

        init(_ row: PostgresRow) {
            id = row[0].text ?? ""
            tenant = row[1].text ?? ""
            webhookID = row[2].text ?? ""
            eventID = row[3].text ?? ""
            eventType = row[4].text ?? ""
            state = row[5].text ?? ""
            attempts = Int(row[6].text ?? "") ?? 0
            lastStatus = row[7].text.flatMap { Int($0) }
            lastError = row[8].text
            nextAttemptAt = row[9].text
            createdAt = row[10].text ?? ""
            updatedAt = row[11].text ?? ""
            completedAt = row[12].text
        }
    }

    public struct Attempt: Encodable, Sendable {
        public var attempt: Int
        public var startedAt: String
        public var durationMs: Double
        public var statusCode: Int?
        public var succeeded: Bool
        public var abandoned: Bool
        public var error: String?
        public var requestHeaders: String?
        public var responseHeaders: String?
        public var responseBody: String?
        public var worker: String?
        /// The W3C traceparent sent with this attempt (trace id = the event's).
        public var traceparent: String?

        enum CodingKeys: String, CodingKey {
            case attempt, succeeded, abandoned, error, worker, traceparent
            case startedAt = "started_at", durationMs = "duration_ms", statusCode = "status_code", requestHeaders = "request_headers"
            case responseHeaders = "response_headers", responseBody = "response_body"
        }
    }

    /// What was sent: the endpoint (redacted) and method now configured, and the body.
    public struct Request: Encodable, Sendable {
        public var url: String?
        public var method: String?
        public var body: String?
    }

    public struct Detail: Encodable, Sendable {
        public var delivery: Delivery
        public var request: Request
        public var attempts: [Attempt]
    }

    /// Which deliveries a list shows.
    public struct Filter: Sendable {
        public var webhookID: String?
        public var tenant: String?
        public var state: String?
        public var eventType: String?
        public var from: String?
        public var to: String?
        public init(webhookID: String? = nil, tenant: String? = nil, state: String? = nil, eventType: String? = nil,
                    from: String? = nil, to: String? = nil) {
            self.webhookID = webhookID
            self.tenant = tenant
            self.state = state
            self.eventType = eventType
            self.from = from
            self.to = to
        }
    }

    /// Newest first, keyset-paginated on (created_at, id).
    public func list(_ filter: Filter, cursor: String? = nil, limit: Int = 50) throws -> Page<Delivery> {
        try Page<Delivery>.checkLimit(limit)
        if let state = filter.state, !DeliveryAdmin.states.contains(state) {
            throw AdminInputError(field: "state", value: state, rule: "must be one of \(DeliveryAdmin.states.joined(separator: ", "))")
        }
        if let type = filter.eventType, !EventType.isValid(type) {
            throw AdminInputError(field: "event_type", value: type, rule: "is not an event type (entity.action)")
        }
        var sql = "SELECT \(Delivery.columns) FROM deliveries d WHERE true"
        var params: [(any PostgresEncodable)?] = []
        if let webhookID = filter.webhookID {
            _ = try WebhookAdmin(context: context, principal: principal).visible(webhookID)
            params.append(webhookID); sql += " AND d.webhook_id = $\(params.count)"
        }
        if let tenant = principal.tenantFilter(filter.tenant) { params.append(tenant); sql += " AND d.tenant_id = $\(params.count)" }
        if let state = filter.state { params.append(state); sql += " AND d.state = $\(params.count)" }
        if let type = filter.eventType { params.append(type); sql += " AND d.event_type = $\(params.count)" }
        if let from = filter.from { params.append(try DeliveryAdmin.periodBound(from, field: "from")); sql += " AND d.created_at >= $\(params.count)::timestamptz" }
        if let to = filter.to { params.append(try DeliveryAdmin.periodBound(to, field: "to")); sql += " AND d.created_at < $\(params.count)::timestamptz" }
        if let cursor {
            let key = try Page<Delivery>.decodeCursor(cursor)
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2, Timestamp.periodBound(parts[0]) != nil else {
                throw AdminInputError(field: "cursor", value: String(cursor.prefix(40)), rule: "is not a cursor this API returned")
            }
            params.append(parts[0]); params.append(parts[1])
            sql += " AND (d.created_at, d.id) < ($\(params.count - 1)::timestamptz, $\(params.count))"
        }
        params.append(limit + 1)
        sql += " ORDER BY d.created_at DESC, d.id DESC LIMIT $\(params.count)"
        let rows = try context.database().query(sql, params)
        return Page(items: rows.map(Delivery.init), limit: limit) { "\($0.createdAt)|\($0.id)" }
    }

    /// One delivery the principal may see, with every attempt as sent and as answered.
    public func detail(_ id: String) throws -> Detail {
        let db = try context.database()
        guard WebhookAdmin.isWellFormedID(id),
              let row = try db.query("""
                SELECT \(Delivery.columns), COALESCE(d.payload, e.payload), w.url, w.method
                FROM deliveries d
                LEFT JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
                LEFT JOIN webhooks w ON w.id = d.webhook_id
                WHERE d.id = $1 AND ($2::text IS NULL OR d.tenant_id = $2)
                """, [id, principal.tenant]).first else { throw AccessError.notFound("delivery \(Quoted.bare(id))") }
        let attempts = try db.query("""
            SELECT attempt, \(SQLTime.iso("started_at")), duration_ms, status_code, succeeded, abandoned, error, request_headers,
                   response_headers, response_body, worker, traceparent
            FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt
            """, [id]).map { a in
            Attempt(attempt: Int(a[0].text ?? "") ?? 0, startedAt: a[1].text ?? "", durationMs: ((Double(a[2].text ?? "") ?? 0) * 10).rounded() / 10,
                    statusCode: a[3].text.flatMap { Int($0) }, succeeded: a[4].text == "t", abandoned: a[5].text == "t", error: a[6].text,
                    requestHeaders: a[7].text, responseHeaders: a[8].text, responseBody: a[9].text, worker: a[10].text,
                    traceparent: a[11].text)
        }
        return Detail(delivery: Delivery(row), request: Request(url: row[14].text.map(Webhook.redactedURL), method: row[15].text, body: row[13].text),
                      attempts: attempts)
    }

    /// Waits until the delivery is final (succeeded, failed, cancelled) or no longer in the first
    /// attempt's hands (retrying), up to `timeout`; nil when it is still pending or in flight then.
    public func awaitFinal(_ id: String, timeout: Duration) throws -> Detail? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let detail = try self.detail(id)
            if !["pending", "in_flight"].contains(detail.delivery.state) { return detail }
            if ContinuousClock.now >= deadline { return nil }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Sends deliveries again now, one more attempt each. Ids the principal may not see answer 404.
    public func resend(_ ids: [String]) throws -> [String] {
        try principal.requireChange()
        guard !ids.isEmpty, ids.count <= 1000 else { throw AdminInputError(field: "ids", value: String(ids.count), rule: "give 1 to 1000 delivery ids") }
        let visible = Set(try context.database().query(
            "SELECT id FROM deliveries WHERE id = ANY($1::text[]) AND ($2::text IS NULL OR tenant_id = $2)", [ids, principal.tenant])
            .compactMap { $0[0].text })
        if let missing = ids.first(where: { !visible.contains($0) }) { throw AccessError.notFound("delivery \(Quoted.bare(missing))") }
        let sent = try DeliveryAdmin(connection: context.database()).resend(ids: ids, amqp: context.amqp(), names: context.configuration.topology)
        try audit("delivery.resend", tenant: principal.tenant, target: ids.count == 1 ? ids[0] : nil, after: ["count": String(sent.count)])
        return sent.map(\.deliveryID)
    }

    /// Every failed delivery of one webhook, sent again (at most `max`, oldest first).
    public func retryFailed(webhookID: String, max: Int = 10_000) throws -> [String] {
        try principal.requireChange()
        let doc = try WebhookAdmin(context: context, principal: principal).visible(webhookID)
        let ids = try context.database().query(
            "SELECT id FROM deliveries WHERE webhook_id = $1 AND state = 'failed' ORDER BY created_at LIMIT $2", [webhookID, max])
            .compactMap { $0[0].text }
        guard !ids.isEmpty else { return [] }
        let sent = try DeliveryAdmin(connection: context.database()).resend(ids: ids, amqp: context.amqp(), names: context.configuration.topology)
        try audit("webhook.retry_failed", tenant: doc.tenant, target: webhookID, after: ["count": String(sent.count)])
        return sent.map(\.deliveryID)
    }

    /// The failed deliveries created in [from, to), of the principal's tenant (or one webhook):
    /// sent again, or with `dryRun` only listed.
    public func recover(from: String, to: String, tenant: String?, webhookID: String?, dryRun: Bool) throws -> [String] {
        if !dryRun { try principal.requireChange() }
        if let webhookID { _ = try WebhookAdmin(context: context, principal: principal).visible(webhookID) }
        let scope = principal.tenantFilter(tenant)
        let ids = try DeliveryAdmin(connection: context.database()).recover(
            from: from, to: to, tenant: scope, webhookID: webhookID, dryRun: dryRun, amqp: context.amqp, names: context.configuration.topology)
        if !dryRun { try audit("delivery.recover", tenant: scope, target: webhookID, after: ["from": from, "to": to, "count": String(ids.count)]) }
        return ids
    }

    /// One webhook's figures over a period: the dashboard's numbers.
    public struct Stats: Encodable, Sendable {
        public var webhookID: String
        public var from: String
        public var to: String
        public var deliveries: Int
        public var succeeded: Int
        public var failed: Int
        public var inProgress: Int
        public var successRate: Double?
        public var attempts: Int
        public var avgLatencyMs: Double?
        public var p95LatencyMs: Double?

        enum CodingKeys: String, CodingKey {
            case from, to, deliveries, succeeded, failed, attempts
            case webhookID = "webhook_id", inProgress = "in_progress", successRate = "success_rate"
            case avgLatencyMs = "avg_latency_ms", p95LatencyMs = "p95_latency_ms"
        }
    }

    public func stats(webhookID: String, from: String, to: String) throws -> Stats {
        _ = try WebhookAdmin(context: context, principal: principal).visible(webhookID)
        let (f, t) = (try DeliveryAdmin.periodBound(from, field: "from"), try DeliveryAdmin.periodBound(to, field: "to"))
        let results = try context.database().pipeline([
            ("""
             SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE state = 'failed'),
                    count(*) FILTER (WHERE state IN ('pending', 'in_flight', 'retrying', 'paused'))
             FROM deliveries WHERE webhook_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
             """, [webhookID, f, t]),
            ("""
             SELECT count(*), round(avg(duration_ms)::numeric, 1), round(percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)::numeric, 1)
             FROM delivery_attempts WHERE webhook_id = $1 AND started_at >= $2::timestamptz AND started_at < $3::timestamptz
               AND NOT abandoned AND status_code IS NOT NULL
             """, [webhookID, f, t]),
        ])
        func int(_ rows: PostgresRows, _ column: Int) -> Int { rows.first.flatMap { Int($0[column].text ?? "") } ?? 0 }
        let d = results[0], a = results[1]
        let succeeded = int(d, 1), failed = int(d, 2)
        let finished = succeeded + failed
        return Stats(webhookID: webhookID, from: f, to: t, deliveries: int(d, 0), succeeded: succeeded, failed: failed,
                     inProgress: int(d, 3), successRate: finished == 0 ? nil : (Double(succeeded) * 1000 / Double(finished)).rounded() / 10,
                     attempts: int(a, 0), avgLatencyMs: a.first?[1].text.flatMap(Double.init),
                     p95LatencyMs: a.first?[2].text.flatMap(Double.init))
    }

    /// Every webhook's figures over a period (of the principal's tenant).
    public struct ReportRow: Encodable, Sendable {
        public var webhookID: String
        public var webhookName: String
        public var tenant: String
        public var deliveries: Int
        public var succeeded: Int
        public var failed: Int
        public var retried: Int
        public var inProgress: Int
        public var successRate: Double?
        public var attempts: Int
        public var avgLatencyMs: Double?
        public var p95LatencyMs: Double?

        enum CodingKeys: String, CodingKey {
            case tenant, deliveries, succeeded, failed, retried, attempts
            case webhookID = "webhook_id", webhookName = "webhook_name", inProgress = "in_progress", successRate = "success_rate"
            case avgLatencyMs = "avg_latency_ms", p95LatencyMs = "p95_latency_ms"
        }
    }

    public func report(from: String, to: String, tenant: String? = nil) throws -> [ReportRow] {
        let (f, t) = (try DeliveryAdmin.periodBound(from, field: "from"), try DeliveryAdmin.periodBound(to, field: "to"))
        var sql = """
            SELECT webhook_id, webhook_name, tenant_id, deliveries, succeeded, failed, retried, in_progress, success_rate,
                   attempts, avg_latency_ms, p95_latency_ms
            FROM herald_delivery_report($1::timestamptz, $2::timestamptz)
            """
        var params: [(any PostgresEncodable)?] = [f, t]
        if let scope = principal.tenantFilter(tenant) { params.append(scope); sql += " WHERE tenant_id = $3" }
        return try context.database().query(sql + " ORDER BY tenant_id, webhook_name", params).map { r in
            func int(_ i: Int) -> Int { Int(r[i].text ?? "") ?? 0 }
            return ReportRow(webhookID: r[0].text ?? "", webhookName: r[1].text ?? "", tenant: r[2].text ?? "", deliveries: int(3),
                             succeeded: int(4), failed: int(5), retried: int(6), inProgress: int(7), successRate: r[8].text.flatMap(Double.init),
                             attempts: int(9), avgLatencyMs: r[10].text.flatMap(Double.init), p95LatencyMs: r[11].text.flatMap(Double.init))
        }
    }

    public enum ExportFormat: String, Sendable, CaseIterable {
        /// RFC 4180 CSV with a header line (spreadsheets, accounting).
        case csv
        /// One JSON array of attempt objects; numbers and booleans typed.
        case json
    }

    static let exportColumns = ["delivery_id", "webhook_id", "event_id", "event_type", "attempt", "started_at", "duration_ms",
                                "status_code", "succeeded", "error", "delivery_state"]

    /// Attempts in [from, to), fetched through a server-side cursor 1,000 rows at a time and handed
    /// to `write` chunk by chunk: an export of millions of rows never sits in memory.
    public func exportAttempts(from: String, to: String, webhookID: String?, tenant: String? = nil, format: ExportFormat = .csv,
                               write: ([UInt8]) throws -> Void) throws {
        if let webhookID { _ = try WebhookAdmin(context: context, principal: principal).visible(webhookID) }
        let (f, t) = (try DeliveryAdmin.periodBound(from, field: "from"), try DeliveryAdmin.periodBound(to, field: "to"))
        var sql = """
            SELECT a.delivery_id, d.webhook_id, d.event_id, d.event_type, a.attempt, \(SQLTime.iso("a.started_at")),
                   round(a.duration_ms::numeric, 1), a.status_code, a.succeeded, a.error, d.state
            FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
            WHERE a.started_at >= $1::timestamptz AND a.started_at < $2::timestamptz
            """
        var params: [(any PostgresEncodable)?] = [f, t]
        if let webhookID { params.append(webhookID); sql += " AND a.webhook_id = $\(params.count)" }
        if let scope = principal.tenantFilter(tenant) { params.append(scope); sql += " AND d.tenant_id = $\(params.count)" }
        sql += " ORDER BY a.started_at"
        switch format {
        case .csv: try write(Array((DeliveryQueries.exportColumns.joined(separator: ",") + "\n").utf8))
        case .json: try write(Array("[".utf8))
        }
        var first = true
        let db = try context.database()
        try db.transaction { c in
            try c.execute("DECLARE herald_export NO SCROLL CURSOR FOR " + sql, params)
            while true {
                let rows = try c.query("FETCH 1000 FROM herald_export")
                if rows.isEmpty { break }
                var chunk: [UInt8] = []
                chunk.reserveCapacity(rows.count * 200)
                for row in rows {
                    switch format {
                    case .csv:
                        let cells = rows.columns.indices.map { i -> String in
                            let text = row[i].text ?? ""
                            return CSV.field(i == 8 ? (text == "t" ? "true" : "false") : text)
                        }
                        chunk.append(contentsOf: cells.joined(separator: ",").utf8)
                        chunk.append(0x0A)
                    case .json:
                        var object = JSONObject()
                        for (i, name) in DeliveryQueries.exportColumns.enumerated() {
                            let text = row[i].text
                            switch i {
                            case 4, 6, 7: object[name] = text.flatMap { JSONNumber(literal: $0) }.map(JSONValue.number) ?? .null
                            case 8: object[name] = .bool(text == "t")
                            default: object[name] = text.map(JSONValue.string) ?? .null
                            }
                        }
                        if !first { chunk.append(0x2C) }
                        first = false
                        chunk.append(0x0A)
                        JSONValue.object(object).write(to: &chunk)
                    }
                }
                try write(chunk)
            }
            try c.execute("CLOSE herald_export")
        }
        if format == .json { try write(Array("\n]\n".utf8)) }
    }

    func audit(_ action: String, tenant: String?, target: String?, after: [String: String]) throws {
        try context.audit().record(principal, action: action, tenant: tenant, targetType: "delivery", targetID: target, after: after)
    }
}
