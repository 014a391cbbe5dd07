import Foundation
import HeraldCore
import PostgresClient

/// Every change made through the admin layer, API or heraldctl alike: who (token or shell user),
/// what, when, the tenant it concerns, and the target before and after — secrets redacted by the
/// caller (a webhook document is recorded as `redacted()`).
public struct AuditLog {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public struct Entry: Encodable, Sendable {
        public var id: Int
        public var at: String
        public var tenant: String?
        public var actor: String
        public var action: String
        public var targetType: String
        public var targetID: String?
        public var before: JSONValue?
        public var after: JSONValue?

        enum CodingKeys: String, CodingKey {
            case id, at, tenant, actor, action, before, after
            case targetType = "target_type", targetID = "target_id"
        }
    }

    /// Writes one entry. `before`/`after` are any Encodable (already redacted) or nil.
    public func record(_ principal: Principal, action: String, tenant: String?, targetType: String, targetID: String?,
                       before: (any Encodable)? = nil, after: (any Encodable)? = nil) throws {
        try connection.execute("""
            INSERT INTO audit_log (tenant_id, actor, action, target_type, target_id, before, after)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
            """, [tenant, principal.actor, action, targetType, targetID, try AuditLog.json(before), try AuditLog.json(after)])
    }

    static func json(_ value: (any Encodable)?) throws -> String? {
        guard let value else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Newest first; `before` is the id cursor (entries with a smaller id).
    public func list(tenant: String?, targetID: String? = nil, before: Int? = nil, limit: Int) throws -> [Entry] {
        var sql = """
            SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), tenant_id, actor, action, target_type,
                   target_id, before::text, after::text
            FROM audit_log WHERE true
            """
        var params: [(any PostgresEncodable)?] = []
        if let tenant { params.append(tenant); sql += " AND tenant_id = $\(params.count)" }
        if let targetID { params.append(targetID); sql += " AND target_id = $\(params.count)" }
        if let before { params.append(before); sql += " AND id < $\(params.count)" }
        params.append(limit)
        sql += " ORDER BY id DESC LIMIT $\(params.count)"
        return try connection.query(sql, params).map { row in
            Entry(id: Int(row[0].text ?? "") ?? 0, at: row[1].text ?? "", tenant: row[2].text, actor: row[3].text ?? "",
                  action: row[4].text ?? "", targetType: row[5].text ?? "", targetID: row[6].text,
                  before: row[7].text.flatMap { try? JSONValue(parsing: $0) }, after: row[8].text.flatMap { try? JSONValue(parsing: $0) })
        }
    }
}
