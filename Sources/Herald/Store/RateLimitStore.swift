import PostgresClient

/// Token buckets in PostgreSQL, one per webhook, shared by every worker: the limit holds however
/// many workers deliver for the webhook. A worker leases about a second's worth of tokens at a time.
public struct RateLimitStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Takes up to `want` tokens from the webhook's bucket (refilled at `perMinute`, holding at most
    /// a second's worth, at least one); returns how many were granted (0: none left for now).
    public func lease(webhookID: String, perMinute: Int, want: Int) throws(PostgresError) -> Int {
        let rate = Double(perMinute) / 60
        let capacity = max(1, rate)
        let rows = try connection.query("""
            INSERT INTO webhook_rate_buckets AS b (webhook_id, tokens, last_grant, updated_at)
            VALUES ($1, $2::float8 - LEAST($4::int, floor($2::float8)), LEAST($4::int, floor($2::float8))::int, now())
            ON CONFLICT (webhook_id) DO UPDATE SET
                tokens = LEAST($2::float8, b.tokens + extract(epoch FROM now() - b.updated_at) * $3::float8)
                         - LEAST($4::int, floor(LEAST($2::float8, b.tokens + extract(epoch FROM now() - b.updated_at) * $3::float8))),
                last_grant = LEAST($4::int, floor(LEAST($2::float8, b.tokens + extract(epoch FROM now() - b.updated_at) * $3::float8)))::int,
                updated_at = now()
            RETURNING last_grant
            """, [webhookID, capacity, rate, want])
        return (try? rows.first?[0].decode(Int.self)) ?? 0
    }
}
