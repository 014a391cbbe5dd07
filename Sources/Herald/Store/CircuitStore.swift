import HeraldCore
import PostgresClient

/// Circuit breakers in PostgreSQL, one row per endpoint, shared by every worker. Each worker
/// applies the pure `CircuitState` machine under a row lock, so reports from many workers add up.
public struct CircuitStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Circuits that are not closed (what workers must respect), by endpoint.
    public func notClosed() throws(PostgresError) -> [String: CircuitState] {
        var result: [String: CircuitState] = [:]
        for row in try connection.query("""
            SELECT endpoint, phase, window_start, requests, failures, open_until, cooldown_s FROM endpoint_circuits WHERE phase <> 'closed'
            """) {
            guard let endpoint = row[0].text, let phase = CircuitState.Phase(rawValue: row[1].text ?? "") else { continue }
            result[endpoint] = CircuitState(phase: phase, windowStart: (try? row[2].decode(Int64.self)) ?? 0,
                                            requests: (try? row[3].decode(Int.self)) ?? 0, failures: (try? row[4].decode(Int.self)) ?? 0,
                                            openUntil: (try? row[5].decode(Int64.self)) ?? 0, cooldownSeconds: (try? row[6].decode(Int.self)) ?? 0)
        }
        return result
    }

    /// Adds one worker's answers per endpoint; returns the endpoints this report opened.
    public func report(_ counts: [String: (successes: Int, failures: Int)], now: Int64, policy: CircuitPolicy) throws -> [String] {
        guard !counts.isEmpty else { return [] }
        return try connection.transaction { c in
            let endpoints = counts.keys.sorted()   // one lock order for every worker
            try c.execute("INSERT INTO endpoint_circuits (endpoint) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", [endpoints])
            var states: [String: CircuitState] = [:]
            for row in try c.query("""
                SELECT endpoint, phase, window_start, requests, failures, open_until, cooldown_s FROM endpoint_circuits
                WHERE endpoint = ANY($1::text[]) ORDER BY endpoint FOR UPDATE
                """, [endpoints]) {
                guard let endpoint = row[0].text, let phase = CircuitState.Phase(rawValue: row[1].text ?? "") else { continue }
                states[endpoint] = CircuitState(phase: phase, windowStart: (try? row[2].decode(Int64.self)) ?? 0,
                                                requests: (try? row[3].decode(Int.self)) ?? 0, failures: (try? row[4].decode(Int.self)) ?? 0,
                                                openUntil: (try? row[5].decode(Int64.self)) ?? 0, cooldownSeconds: (try? row[6].decode(Int.self)) ?? 0)
            }
            var opened: [String] = []
            var updates: [CircuitState] = []
            for endpoint in endpoints {
                var state = states[endpoint] ?? CircuitState()
                let count = counts[endpoint] ?? (0, 0)
                if state.record(successes: count.successes, failures: count.failures, now: now, policy: policy) { opened.append(endpoint) }
                updates.append(state)
            }
            try c.execute("""
                UPDATE endpoint_circuits e SET phase = u.phase, window_start = u.ws, requests = u.req, failures = u.fail,
                    open_until = u.until, cooldown_s = u.cool, updated_at = now(),
                    opened_at = CASE WHEN u.phase = 'open' AND e.phase <> 'open' THEN now() ELSE e.opened_at END
                FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::int[], $6::bigint[], $7::int[])
                     AS u(endpoint, phase, ws, req, fail, until, cool)
                WHERE e.endpoint = u.endpoint
                """, [endpoints, updates.map(\.phase.rawValue), updates.map(\.windowStart), updates.map(\.requests),
                      updates.map(\.failures), updates.map(\.openUntil), updates.map(\.cooldownSeconds)])
            return opened
        }
    }

    /// Takes the single probe of an open circuit whose cool-down is over (true: send one request).
    public func claimProbe(endpoint: String, now: Int64, probeSeconds: Int) throws(PostgresError) -> Bool {
        let rows = try connection.query("""
            UPDATE endpoint_circuits SET phase = 'half_open', open_until = $2::bigint + $3::bigint * 1000, updated_at = now()
            WHERE endpoint = $1 AND phase IN ('open', 'half_open') AND open_until <= $2::bigint
            RETURNING 1
            """, [endpoint, now, probeSeconds])
        return !rows.isEmpty
    }
}
