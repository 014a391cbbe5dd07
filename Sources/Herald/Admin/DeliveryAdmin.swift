import AMQP
import Foundation
import HeraldCore
import PostgresClient

/// Resends and recovery of a time range, without access checks: DeliveryQueries (API and
/// heraldctl) checks who asks, then calls these; the dead-letter redrive calls them directly.
public struct DeliveryAdmin {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// The most deliveries one recovery sends (the oldest first); run it again for the rest.
    public static let maxRecover = 10_000

    public static let states = ["pending", "in_flight", "retrying", "succeeded", "failed", "paused", "cancelled"]

    /// A period bound as given by a person, checked before it reaches SQL.
    public static func periodBound(_ text: String, field: String) throws(AdminInputError) -> String {
        guard let bound = Timestamp.periodBound(text) else {
            throw AdminInputError(field: field, value: text, rule: "expected a date (2026-01-22) or an RFC 3339 time (2026-01-22T15:30:00Z)")
        }
        return bound
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
        params.append(DeliveryAdmin.maxRecover)
        let ids = try connection.query(sql + " ORDER BY created_at LIMIT $\(params.count)", params).compactMap { $0[0].text }
        guard !ids.isEmpty, !dryRun else { return ids }
        return try resend(ids: ids, amqp: try amqp(), names: names).map(\.deliveryID)
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
