import AMQP
import Foundation
import HeraldCore
import PostgresClient

/// What operators ask of deliveries: the log, one delivery with its attempts, resends, recovery
/// of a time range, statistics and CSV export. Plain SQL over the tables and views of schemas/.
public struct DeliveryAdmin {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public struct Row: Codable, Sendable {
        public var values: [String: String?]
    }

    /// Rows as ordered (column, value) pairs, for tables and JSON alike.
    public typealias Table = (columns: [String], rows: [[String?]])

    static func table(_ rows: PostgresRows) -> Table {
        (rows.columns, rows.map { row in rows.columns.indices.map { row[$0].text } })
    }

    public static let states = ["pending", "in_flight", "retrying", "succeeded", "failed", "paused", "cancelled"]

    /// A period bound as given by a person, checked before it reaches SQL.
    public static func periodBound(_ text: String, field: String) throws(AdminInputError) -> String {
        guard let bound = Timestamp.periodBound(text) else {
            throw AdminInputError(field: field, value: text, rule: "expected a date (2026-01-22) or an RFC 3339 time (2026-01-22T15:30:00Z)")
        }
        return bound
    }

    public func log(webhookID: String?, state: String?, limit: Int) throws -> Table {
        if let state, !DeliveryAdmin.states.contains(state) {
            throw AdminInputError(field: "state", value: state, rule: "must be one of \(DeliveryAdmin.states.joined(separator: ", "))")
        }
        guard (1...10_000).contains(limit) else { throw AdminInputError(field: "limit", value: String(limit), rule: "must be 1 to 10000") }
        var sql = """
            SELECT d.id, d.webhook_id, d.event_type, d.event_id, d.state, d.attempts, d.last_status,
                   left(d.last_error, 80) AS last_error, d.created_at, d.completed_at
            FROM deliveries d WHERE true
            """
        var params: [(any PostgresEncodable)?] = []
        if let webhookID { params.append(webhookID); sql += " AND d.webhook_id = $\(params.count)" }
        if let state { params.append(state); sql += " AND d.state = $\(params.count)" }
        params.append(limit)
        sql += " ORDER BY d.created_at DESC LIMIT $\(params.count)"
        return DeliveryAdmin.table(try connection.query(sql, params))
    }

    public func detail(id: String) throws -> (delivery: Table, attempts: Table) {
        let delivery = try connection.query("""
            SELECT id, tenant_id, webhook_id, event_id, event_type, state, attempts, next_attempt_at, last_status, last_error,
                   created_at, updated_at, completed_at, payload
            FROM deliveries WHERE id = $1
            """, [id])
        guard !delivery.isEmpty else { throw StoreError.notFound("delivery \(id)") }
        let attempts = try connection.query("""
            SELECT attempt, started_at, round(duration_ms::numeric, 1) AS duration_ms, status_code, succeeded, error,
                   request_headers, response_headers, response_body, worker
            FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt
            """, [id])
        return (DeliveryAdmin.table(delivery), DeliveryAdmin.table(attempts))
    }

    /// Sends deliveries again, whatever their state (except in flight): each gets one more attempt now.
    public func resend(ids: [String], amqp: AMQPConnection, names: TopologyNames) throws -> [JobTicket] {
        let rows = try connection.query("""
            UPDATE deliveries SET state = 'retrying', next_attempt_at = now(), completed_at = NULL, updated_at = now()
            WHERE id = ANY($1::text[]) AND state IN ('succeeded', 'failed', 'cancelled', 'retrying', 'pending')
            RETURNING id, webhook_id, attempts + 1
            """, [ids])
        let due = rows.map { JobTicket(deliveryID: $0[0].text ?? "", webhookID: $0[1].text ?? "", attempt: (try? $0[2].decode(Int.self)) ?? 1) }
        try Topology(names: names).declareDeliveries(on: amqp)
        try JobMessages(names: names).publishNow(due, on: amqp)
        return due
    }

    /// The failed deliveries created in [from, to), optionally of one tenant and one webhook: sent
    /// again, or with `dryRun` only listed.
    public func recover(from: String, to: String, tenant: String?, webhookID: String?, dryRun: Bool,
                        amqp: () throws -> AMQPConnection, names: TopologyNames) throws -> [String] {
        var sql = "SELECT id FROM deliveries WHERE state = 'failed' AND created_at >= $1::timestamptz AND created_at < $2::timestamptz"
        var params: [(any PostgresEncodable)?] = [try DeliveryAdmin.periodBound(from, field: "from"), try DeliveryAdmin.periodBound(to, field: "to")]
        if let tenant { params.append(tenant); sql += " AND tenant_id = $\(params.count)" }
        if let webhookID { params.append(webhookID); sql += " AND webhook_id = $\(params.count)" }
        let ids = try connection.query(sql + " ORDER BY created_at", params).compactMap { $0[0].text }
        guard !ids.isEmpty, !dryRun else { return ids }
        return try resend(ids: ids, amqp: try amqp(), names: names).map(\.deliveryID)
    }

    public func report(from: String, to: String) throws -> Table {
        let (from, to) = (try DeliveryAdmin.periodBound(from, field: "from"), try DeliveryAdmin.periodBound(to, field: "to"))
        return DeliveryAdmin.table(try connection.query("""
            SELECT webhook_id, webhook_name, tenant_id, deliveries, succeeded, failed, retried, in_progress, success_rate,
                   attempts, avg_latency_ms, p95_latency_ms
            FROM herald_delivery_report($1::timestamptz, $2::timestamptz) ORDER BY tenant_id, webhook_name
            """, [from, to]))
    }

    /// Attempts in [from, to) as CSV (RFC 4180 quoting), for spreadsheets and accounting.
    public func exportCSV(from: String, to: String, webhookID: String?, write: (String) -> Void) throws {
        let (from, to) = (try DeliveryAdmin.periodBound(from, field: "from"), try DeliveryAdmin.periodBound(to, field: "to"))
        var sql = """
            SELECT a.delivery_id, d.webhook_id, d.event_id, d.event_type, a.attempt, a.started_at, round(a.duration_ms::numeric, 1),
                   a.status_code, a.succeeded, a.error, d.state
            FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
            WHERE a.started_at >= $1::timestamptz AND a.started_at < $2::timestamptz
            """
        var params: [(any PostgresEncodable)?] = [from, to]
        if let webhookID { params.append(webhookID); sql += " AND d.webhook_id = $3" }
        sql += " ORDER BY a.started_at"
        let rows = try connection.query(sql, params)
        write("delivery_id,webhook_id,event_id,event_type,attempt,started_at,duration_ms,status_code,succeeded,error,delivery_state\n")
        for row in rows {
            write(rows.columns.indices.map { CSV.field(row[$0].text ?? "") }.joined(separator: ",") + "\n")
        }
    }
}

public enum CSV {
    /// RFC 4180 quoting, and no formulas: a cell that a spreadsheet would evaluate (`=`, `+`, `-`,
    /// `@`, tab, CR first) is prefixed with `'`, so an id like `=HYPERLINK(…)` stays text.
    public static func field(_ value: String) -> String {
        var value = value
        if let first = value.utf8.first, [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D].contains(first), Double(value) == nil {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// An admin request that cannot be carried out as given: names the field, the value and the rule.
public struct AdminInputError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var value: String
    public var rule: String

    public init(field: String, value: String, rule: String) {
        self.field = field
        self.value = value
        self.rule = rule
    }

    public var description: String { "\(field): \(Quoted.text(value)) — \(rule)" }
}
