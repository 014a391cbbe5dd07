import HeraldCore
import PostgresClient

/// A notice claimed for sending: what to say, and which channels already went out.
public struct ClaimedNotice: Sendable {
    public var id: Int64
    public var webhookID: String
    public var kind: Notice.Kind
    public var reason: String
    public var count: Int
    public var deliveryIDs: [String]
    public var createdAtMilliseconds: Int64
    public var emailSent: Bool
    public var urlSent: Bool
    public var attempts: Int
}

/// The notifications outbox. A notice is raised once per (webhook, kind, window) — the unique key
/// makes every later raise from any worker a no-op, or adds to the digest — and sent by whichever
/// notifier claims it first (a lease, `SKIP LOCKED`).
public struct NotificationStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Raises notices that go out at once (paused, disabled, circuit open). One round trip.
    public func raise(_ notices: [(webhookID: String, kind: Notice.Kind, reason: String)], digestSeconds: Int) throws(PostgresError) {
        guard !notices.isEmpty else { return }
        try connection.execute("""
            INSERT INTO notifications (webhook_id, kind, window_key, reason)
            SELECT n.webhook, n.kind, floor(extract(epoch FROM now()) / n.win)::bigint, n.reason
            FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS n(webhook, kind, reason, win)
            ON CONFLICT (webhook_id, kind, window_key) DO NOTHING
            """, [notices.map(\.webhookID), notices.map(\.kind.rawValue), notices.map(\.reason),
                  notices.map { $0.kind.windowSeconds(digestSeconds: digestSeconds) }])
    }

    /// The statement that adds failed deliveries to their webhooks' digest of the current window
    /// (run inside the transaction that records them). The digest is due when its window closes.
    static func digestStatement(_ failed: [(webhookID: String, deliveryID: String, reason: String)],
                                digestSeconds: Int) -> (sql: String, parameters: [(any PostgresEncodable)?]) {
        let window = Notice.Kind.exhausted.windowSeconds(digestSeconds: digestSeconds)
        return ("""
            INSERT INTO notifications (webhook_id, kind, window_key, reason, count, delivery_ids, due_at)
            SELECT f.webhook, '\(Notice.Kind.exhausted.rawValue)', floor(extract(epoch FROM now()) / $4::int)::bigint,
                   f.reasons[1], f.n, f.ids[1:\(Notice.listedIDs)],
                   to_timestamp((floor(extract(epoch FROM now()) / $4::int) + 1) * $4::int)
            FROM (SELECT webhook, count(*)::int AS n, array_agg(id) AS ids, array_agg(reason) AS reasons
                  FROM unnest($1::text[], $2::text[], $3::text[]) AS e(webhook, id, reason) GROUP BY webhook) f
            ON CONFLICT (webhook_id, kind, window_key) DO UPDATE
            SET count = notifications.count + EXCLUDED.count,
                delivery_ids = (notifications.delivery_ids || EXCLUDED.delivery_ids)[1:\(Notice.listedIDs)]
            """, [failed.map(\.webhookID), failed.map(\.deliveryID), failed.map(\.reason), window])
    }

    /// Claims up to `limit` due notices for `leaseSeconds`; a notifier that dies while sending
    /// lets its claim lapse and another sends (at least once).
    public func claimDue(limit: Int, leaseSeconds: Int) throws(PostgresError) -> [ClaimedNotice] {
        let rows = try connection.query("""
            UPDATE notifications n SET claimed_until = now() + make_interval(secs => $2::int), attempts = n.attempts + 1
            WHERE n.id IN (SELECT id FROM notifications
                           WHERE done_at IS NULL AND due_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
                           ORDER BY due_at LIMIT $1::int FOR UPDATE SKIP LOCKED)
            RETURNING n.id, n.webhook_id, n.kind, n.reason, n.count, n.delivery_ids,
                      (extract(epoch FROM n.created_at) * 1000)::bigint, n.email_sent_at IS NOT NULL,
                      n.url_sent_at IS NOT NULL, n.attempts
            """, [limit, leaseSeconds])
        return rows.compactMap { row in
            guard let kind = row[2].text.flatMap(Notice.Kind.init(rawValue:)) else { return nil }
            return ClaimedNotice(
                id: (try? row[0].decode(Int64.self)) ?? 0, webhookID: row[1].text ?? "", kind: kind, reason: row[3].text ?? "",
                count: (try? row[4].decode(Int.self)) ?? 0, deliveryIDs: (try? row[5].decode([String].self)) ?? [],
                createdAtMilliseconds: (try? row[6].decode(Int64.self)) ?? 0, emailSent: row[7].text == "t",
                urlSent: row[8].text == "t", attempts: (try? row[9].decode(Int.self)) ?? 1)
        }
    }

    /// Records what went out. Not done: the claim is held until `retryInSeconds` (then tried again).
    public func finished(_ id: Int64, emailSent: Bool, urlSent: Bool, done: Bool, error: String?,
                         retryInSeconds: Int) throws(PostgresError) {
        try connection.execute("""
            UPDATE notifications
            SET email_sent_at = CASE WHEN $2::bool THEN COALESCE(email_sent_at, now()) ELSE email_sent_at END,
                url_sent_at = CASE WHEN $3::bool THEN COALESCE(url_sent_at, now()) ELSE url_sent_at END,
                done_at = CASE WHEN $4::bool THEN now() END, last_error = $5,
                claimed_until = CASE WHEN $4::bool THEN claimed_until ELSE now() + make_interval(secs => $6::int) END
            WHERE id = $1::bigint
            """, [id, emailSent, urlSent, done, error, retryInSeconds])
    }
}
