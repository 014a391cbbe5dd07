import HeraldCore
import HeraldCrypto
import PostgresClient

/// Web console sessions: a signed-in API token behind a random session id (only its SHA-256 is
/// stored), with a CSRF token of its own. A session ends at sign-out, at expiry, or when its token
/// is revoked or expires.
public struct ConsoleSessions {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public struct Session: Sendable {
        public var principal: Principal
        public var csrf: String
    }

    /// Signs in with an API token; returns the session id (for the cookie) and its CSRF token.
    public func create(token: String, hours: Int = 12) throws -> (id: String, session: Session) {
        let principal = try TokenStore(connection: connection).authenticate(token)
        let id = Hex.encode(try SecureRandom.bytes(32))
        let csrf = Hex.encode(try SecureRandom.bytes(24))
        try connection.execute("""
            INSERT INTO console_sessions (id_hash, token_id, csrf, expires_at) VALUES ($1, $2, $3, now() + make_interval(hours => $4))
            """, [SHA256.hash(Array(id.utf8)), principal.actor, csrf, hours])
        if Int.random(in: 0..<50) == 0 { _ = try? connection.execute("DELETE FROM console_sessions WHERE expires_at < now()") }
        return (id, Session(principal: principal, csrf: csrf))
    }

    /// The session behind a cookie value, if it is still valid.
    public func find(_ id: String) throws -> Session? {
        guard id.utf8.count == 64, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        guard let row = try connection.query("""
            SELECT s.csrf, t.id, t.tenant_id, t.role FROM console_sessions s JOIN api_tokens t ON t.id = s.token_id
            WHERE s.id_hash = $1 AND s.expires_at > now() AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
            """, [SHA256.hash(Array(id.utf8))]).first else { return nil }
        return Session(principal: Principal(actor: row[1].text ?? "", tenant: row[2].text, role: Principal.Role(rawValue: row[3].text ?? "") ?? .viewer),
                       csrf: row[0].text ?? "")
    }

    public func delete(_ id: String) throws {
        try connection.execute("DELETE FROM console_sessions WHERE id_hash = $1", [SHA256.hash(Array(id.utf8))])
    }
}
