import Foundation
import HeraldCore
import HeraldCrypto
import PostgresClient

/// API tokens: `hrld_<id>_<64 hex>`. Only a SHA-256 of the token is stored; the token is shown once
/// at creation. A token belongs to one tenant (admin or viewer) or to no tenant (operator), may
/// expire, and can be revoked.
public struct TokenStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public struct Token: Codable, Sendable, Equatable {
        public var id: String
        public var tenant: String?
        public var role: Principal.Role
        public var name: String
        public var createdAt: String
        public var expiresAt: String?
        public var revokedAt: String?
        public var lastUsedAt: String?

        enum CodingKeys: String, CodingKey {
            case id, tenant, role, name
            case createdAt = "created_at", expiresAt = "expires_at", revokedAt = "revoked_at", lastUsedAt = "last_used_at"
        }
    }

    static let prefix = "hrld_"

    /// Creates a token; returns its record and the token text (shown once).
    public func create(tenant: String?, role: Principal.Role, name: String, expiresInSeconds: Int?) throws -> (token: Token, secret: String) {
        if role == .operator, tenant != nil {
            throw AdminInputError(field: "tenant", value: tenant ?? "", rule: "an operator token belongs to no tenant; leave the tenant out")
        }
        if role != .operator {
            guard let tenant else { throw AdminInputError(field: "tenant", value: "", rule: "an \(role.rawValue) token needs a tenant") }
            guard TenantID.isValid(tenant) else {
                throw AdminInputError(field: "tenant", value: tenant, rule: "must be 1 to 63 lowercase letters, digits, '-' or '_'")
            }
        }
        guard !name.isEmpty, name.utf8.count <= 200, !name.contains(where: { $0.isNewline || $0 == "\u{0}" }) else {
            throw AdminInputError(field: "name", value: name, rule: "must be 1 to 200 characters on one line")
        }
        if let expiresInSeconds, !(60...(10 * 366 * 86_400)).contains(expiresInSeconds) {
            throw AdminInputError(field: "expires_in", value: String(expiresInSeconds), rule: "must be 60 seconds to 10 years")
        }
        let id = IDs.make("tok_")
        let secret = TokenStore.prefix + id.dropFirst(4) + "_" + Hex.encode(try SecureRandom.bytes(32))
        let rows = try connection.query("""
            INSERT INTO api_tokens (id, tenant_id, role, name, token_hash, expires_at)
            VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
            RETURNING \(TokenStore.columns)
            """, [id, tenant, role.rawValue, name, SHA256.hash(Array(secret.utf8)), expiresInSeconds])
        guard let row = rows.first else { throw StoreError.notFound("token \(id)") }
        return (try TokenStore.token(row), secret)
    }

    static let columns = """
        id, tenant_id, role, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        """

    static func token(_ row: PostgresRow) throws -> Token {
        Token(id: row[0].text ?? "", tenant: row[1].text, role: Principal.Role(rawValue: row[2].text ?? "") ?? .viewer,
              name: row[3].text ?? "", createdAt: row[4].text ?? "", expiresAt: row[5].text, revokedAt: row[6].text,
              lastUsedAt: row[7].text)
    }

    /// The principal a presented token stands for. Unknown, malformed, expired and revoked tokens
    /// are refused with a message that says which (never which part of a secret was wrong).
    public func authenticate(_ presented: String) throws -> Principal {
        let parts = presented.split(separator: "_", omittingEmptySubsequences: false)
        guard presented.utf8.count <= 200, parts.count == 3, parts[0] == "hrld", parts[2].utf8.count == 64 else {
            throw AccessError.unauthenticated("the bearer token is not a Herald API token (hrld_…); create one with heraldctl token create")
        }
        let id = "tok_" + parts[1]
        let rows = try connection.query("""
            SELECT token_hash, tenant_id, role, expires_at IS NOT NULL AND expires_at <= now(), revoked_at IS NOT NULL
            FROM api_tokens WHERE id = $1
            """, [id])
        guard let row = rows.first, let hash = try? row[0].decode([UInt8].self),
              constantTimeEquals(hash, SHA256.hash(Array(presented.utf8))) else {
            throw AccessError.unauthenticated("the API token is not valid")
        }
        if row[4].text == "t" { throw AccessError.unauthenticated("the API token \(id) was revoked") }
        if row[3].text == "t" { throw AccessError.unauthenticated("the API token \(id) has expired") }
        // last_used_at at minute resolution: one small write a minute per token, not one per request.
        _ = try? connection.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", [id])
        return Principal(actor: id, tenant: row[1].text, role: Principal.Role(rawValue: row[2].text ?? "") ?? .viewer)
    }

    public func list(tenant: String?) throws -> [Token] {
        var sql = "SELECT \(TokenStore.columns) FROM api_tokens"
        var params: [(any PostgresEncodable)?] = []
        if let tenant { sql += " WHERE tenant_id = $1"; params.append(tenant) }
        return try connection.query(sql + " ORDER BY created_at, id", params).map(TokenStore.token)
    }

    public func get(id: String) throws -> Token {
        guard let row = try connection.query("SELECT \(TokenStore.columns) FROM api_tokens WHERE id = $1", [id]).first else {
            throw StoreError.notFound("token \(id)")
        }
        return try TokenStore.token(row)
    }

    /// Revokes a token at once; its next request answers 401.
    public func revoke(id: String) throws -> Token {
        guard let row = try connection.query("""
            UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING \(TokenStore.columns)
            """, [id]).first else { throw StoreError.notFound("token \(id)") }
        return try TokenStore.token(row)
    }
}
