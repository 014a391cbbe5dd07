import HeraldCore
import PostgresClient

/// A delivery the router decided on: one per (event, webhook).
public struct NewDelivery: Sendable {
    public enum InitialState: String, Sendable { case pending, paused, cancelled, failed }
    public var id: String
    public var tenantID: String
    public var eventID: String
    public var eventType: String
    public var webhookID: String
    public var state: InitialState
    /// The rendered body; nil = the event envelope (not stored twice).
    public var payload: String?
    public var payloadDeferred: Bool
    public var note: String?
    /// Takes a place in its webhook's line (`ordering: fifo`): numbered in insertion order.
    public var ordered = false
    /// The routing step's W3C traceparent (the event's trace id).
    public var traceparent: String?
    /// The event's `occurred_at` (its events partition).
    public var eventOccurredAt: String?

    public init(id: String, tenantID: String, eventID: String, eventType: String, webhookID: String, state: InitialState,
                payload: String?, payloadDeferred: Bool, note: String?) {
        self.id = id
        self.tenantID = tenantID
        self.eventID = eventID
        self.eventType = eventType
        self.webhookID = webhookID
        self.state = state
        self.payload = payload
        self.payloadDeferred = payloadDeferred
        self.note = note
    }
}

/// What recording outcomes did to webhooks: paused after consecutive failures, disabled by a 410.
public struct RecordedChanges: Sendable {
    public var paused: [(id: String, name: String, failures: Int)] = []
    public var disabled: [(id: String, name: String, reason: String)] = []
    /// Ordered webhooks whose delivery ended: the next one in line, to publish now.
    public var released: [JobTicket] = []
    public init() {}
}

/// A delivery a worker claimed for one attempt.
public struct ClaimedDelivery: Sendable {
    public var id: String
    public var attempt: Int
    public var webhookID: String
    public var eventID: String
    public var eventType: String
    public var tenantID: String
    /// The body to send (the rendered template, or the event envelope).
    public var payload: [UInt8]
    /// True when the template depends on the attempt: the worker renders it from `eventPayload`.
    public var deferred: Bool
    /// The event envelope, when the delivery stores none of its own.
    public var eventPayload: [UInt8]?
    /// Neither a stored body nor the event is there any more: nothing can be sent.
    public var bodyMissing: Bool = false
    /// When the router recorded it (the start of its publish-to-response latency).
    public var createdAtMilliseconds: Int64 = 0
    /// The routing step's W3C traceparent; each attempt is a child span of it.
    public var traceparent: String?
}

/// What one attempt came to.
public struct AttemptOutcome: Sendable {
    public enum NextState: String, Sendable { case succeeded, retrying, failed, paused, cancelled }
    public var deliveryID: String
    public var attempt: Int
    public var webhookID: String
    public var startedAtMilliseconds: Int64
    public var durationMilliseconds: Double
    public var statusCode: Int?
    public var succeeded: Bool
    public var error: String?
    public var requestHeaders: String?
    public var responseHeaders: String?
    public var responseBody: String?
    public var nextState: NextState
    public var nextAttemptInSeconds: Int?
    public var dropPayload: Bool
    /// false for outcomes that were not an HTTP attempt (webhook paused or gone): no attempt row.
    public var wasSent: Bool
    /// The endpoint is gone (410): disable the webhook with this reason.
    public var disableWebhook: String? = nil
    /// The delivery ended failed and its owner wants to know: it joins the webhook's digest.
    public var notifyFailed = false
    /// The webhook delivers in order: when this one ends, the next in line is released.
    public var ordered = false
    /// Counts towards the webhook's consecutive failures (false for all but one delivery of a
    /// batch request: a request that failed is one failure, however many deliveries it carried).
    public var countsTowardsPause = true
    /// The attempt's own traceparent, as sent to the endpoint.
    public var traceparent: String? = nil
}

private struct AttemptKey: Hashable {
    var deliveryID: String
    var attempt: Int
}

/// What a claim came to for the jobs it could not claim.
public struct UnclaimedJob: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// Another worker holds this attempt: the job must come back after `seconds` (its lease).
        case heldElsewhere(seconds: Int)
        /// The delivery has moved past this attempt (a redelivery or a republish): nothing to do.
        case duplicate
        /// No such delivery (deleted, or a job from another installation).
        case unknown
        /// Its webhook delivers in order and an older delivery is not finished: it waits (no attempt spent).
        case waitingForPredecessor(seconds: Int)
    }
    public var deliveryID: String
    public var reason: Reason

    /// Another copy of a job whose delivery was just claimed (for attempt `claimed`) through the
    /// first copy in the same batch: it is what the claim would make of it now — held (until the
    /// lease ends) when it names the claimed attempt, else a duplicate. Never a second request.
    public static func copy(ofAttempt attempt: Int, claimed: Int, leaseSeconds: Int) -> Reason {
        attempt == claimed ? .heldElsewhere(seconds: leaseSeconds) : .duplicate
    }
}

/// The SQL of the delivery pipeline. Every write is batched: one round trip per batch, not per row.
public struct DeliveryStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Records events and their deliveries in one transaction and returns the jobs to publish: one
    /// for every new pending delivery, and — because a router can die between this commit and its
    /// publish — one for every delivery of these events that already existed and is still pending
    /// (a redelivered event). A job that turns out to be a duplicate claims nothing in the worker.
    /// The caller passes each (tenant, event, webhook) once.
    public func recordRouted(events: [Event], deliveries: [NewDelivery]) throws(PostgresError) -> [JobTicket] {
        // Multi-row VALUES with one parameter per value: payloads go to the server as they are,
        // with no array-literal escaping on either side.
        var eventSQL = "INSERT INTO events (tenant_id, id, type, occurred_at, payload) VALUES "
        var eventParams: [(any PostgresEncodable)?] = []
        eventParams.reserveCapacity(events.count * 5)
        for (i, event) in events.enumerated() {
            let b = i * 5
            eventSQL += i == 0 ? "" : ","
            eventSQL += "($\(b + 1),$\(b + 2),$\(b + 3),$\(b + 4)::timestamptz,$\(b + 5))"
            eventParams += [event.tenant, event.id, event.type, event.occurredAt, String(decoding: event.raw, as: UTF8.self)]
        }
        eventSQL += " ON CONFLICT DO NOTHING"
        var deliverySQL = """
            INSERT INTO deliveries (id, tenant_id, event_id, event_type, webhook_id, state, payload, payload_deferred,
                                    last_error, traceparent, event_occurred_at, next_attempt_at, completed_at, seq) VALUES
            """
        var deliveryParams: [(any PostgresEncodable)?] = []
        deliveryParams.reserveCapacity(deliveries.count * 11)
        for (i, d) in deliveries.enumerated() {
            let b = i * 11
            deliverySQL += i == 0 ? "" : ","
            deliverySQL += "($\(b + 1),$\(b + 2),$\(b + 3),$\(b + 4),$\(b + 5),$\(b + 6),$\(b + 7),$\(b + 8)::bool,$\(b + 9),$\(b + 10),"
            deliverySQL += "$\(b + 11)::timestamptz,now(),"
            deliverySQL += d.state == .cancelled || d.state == .failed ? "now()," : "NULL,"
            // Rows of one statement take sequence numbers in VALUES order: the events' order.
            deliverySQL += d.ordered ? "nextval('delivery_seq'))" : "NULL)"
            deliveryParams += [d.id, d.tenantID, d.eventID, d.eventType, d.webhookID, d.state.rawValue, d.payload, d.payloadDeferred, d.note, d.traceparent,
                               d.eventOccurredAt]
        }
        // An existing row is "updated" to itself only when it is still pending, so that RETURNING
        // names it: its job may never have been published.
        deliverySQL += """
             ON CONFLICT (id) DO UPDATE SET state = deliveries.state
             WHERE deliveries.state = 'pending'
            RETURNING id, webhook_id, attempts + 1, state
            """
        var statements: [(sql: String, parameters: [(any PostgresEncodable)?])] = [("BEGIN", [])]
        if !events.isEmpty { statements.append((eventSQL, eventParams)) }
        if !deliveries.isEmpty { statements.append((deliverySQL, deliveryParams)) }
        statements.append(("COMMIT", []))
        let results = try connection.pipeline(statements)
        guard !deliveries.isEmpty else { return [] }
        var jobs: [JobTicket] = []
        jobs.reserveCapacity(deliveries.count)
        for row in results[results.count - 2] where row[3].text == "pending" {
            guard let id = row[0].text, let webhookID = row[1].text else { continue }
            jobs.append(JobTicket(deliveryID: id, webhookID: webhookID, attempt: (try? row[2].decode(Int.self)) ?? 1))
        }
        return jobs
    }

    /// Claims jobs for their attempt. A job whose attempt is not the delivery's next one (a
    /// redelivery, a republish) claims nothing. An in-flight claim whose lease expired (its worker
    /// died) is taken over: the abandoned attempt is recorded as such — the receiver may have got it
    /// — and the job goes out as the next attempt. Jobs not claimed come back with the reason, so a
    /// job held by a live claim elsewhere is deferred until that lease ends, never dropped.
    public func claim(_ jobs: [DeliveryJob], leaseSeconds: [Int]) throws(PostgresError) -> (claimed: [ClaimedDelivery], unclaimed: [UnclaimedJob]) {
        guard !jobs.isEmpty else { return ([], []) }
        let rows = try connection.query("""
            WITH c AS (
                UPDATE deliveries d
                SET state = 'in_flight', attempts = CASE WHEN old.state = 'in_flight' THEN j.attempt + 1 ELSE j.attempt END,
                    updated_at = now(), lease_until = now() + make_interval(secs => j.lease),
                    next_attempt_at = now() + make_interval(secs => j.lease)
                FROM unnest($1::text[], $2::int[], $3::int[]) AS j(id, attempt, lease), deliveries old
                -- `= ANY($1)` beside the join lets the planner keep only the day partitions of these ids.
                WHERE d.id = j.id AND old.id = d.id AND d.id = ANY($1::text[]) AND old.id = ANY($1::text[]) AND (
                      (d.state IN ('pending', 'retrying') AND d.attempts = j.attempt - 1)
                   OR (d.state = 'in_flight' AND d.attempts = j.attempt AND d.lease_until < now()))
                  -- Ordered webhooks (seq set): only the oldest unfinished delivery may go.
                  AND (d.seq IS NULL OR NOT EXISTS (
                      SELECT 1 FROM deliveries o WHERE o.webhook_id = d.webhook_id AND o.seq < d.seq
                         AND o.state IN ('pending', 'in_flight', 'retrying', 'paused')))
                RETURNING d.id, d.attempts, d.webhook_id, d.event_id, d.event_type, d.tenant_id, d.payload, d.payload_deferred,
                          d.created_at, d.traceparent, d.event_occurred_at, old.state AS old_state, old.updated_at AS old_updated, j.attempt AS job_attempt
            ), abandoned AS (
                INSERT INTO delivery_attempts (delivery_id, attempt, webhook_id, started_at, duration_ms, succeeded, error, abandoned)
                SELECT id, job_attempt, webhook_id, old_updated, 0, false,
                       'abandoned: the worker holding this attempt stopped before recording its result; the receiver may have received it',
                       true
                FROM c WHERE old_state = 'in_flight'
                ON CONFLICT DO NOTHING
            )
            SELECT c.id, c.attempts, c.webhook_id, c.event_id, c.event_type, c.tenant_id, c.payload, c.payload_deferred,
                   CASE WHEN c.payload IS NULL THEN
                       -- With the event's time, one events partition is read (rows from before it: every one).
                       CASE WHEN c.event_occurred_at IS NOT NULL THEN
                           (SELECT e.payload FROM events e WHERE e.tenant_id = c.tenant_id AND e.id = c.event_id
                                                             AND e.occurred_at = c.event_occurred_at)
                       ELSE (SELECT e.payload FROM events e WHERE e.tenant_id = c.tenant_id AND e.id = c.event_id LIMIT 1) END END,
                   (extract(epoch FROM c.created_at) * 1000)::int8, c.traceparent
            FROM c
            """, [jobs.map(\.deliveryID), jobs.map(\.attempt), leaseSeconds])
        var claimed: [ClaimedDelivery] = []
        claimed.reserveCapacity(rows.count)
        for row in rows {
            claimed.append(ClaimedDelivery(
                id: row[0].text ?? "", attempt: (try? row[1].decode(Int.self)) ?? 0, webhookID: row[2].text ?? "",
                eventID: row[3].text ?? "", eventType: row[4].text ?? "", tenantID: row[5].text ?? "",
                payload: Array((row[6].text ?? row[8].text ?? "").utf8), deferred: row[7].text == "t",
                eventPayload: row[8].text.map { Array($0.utf8) }, bodyMissing: row[6].isNull && row[8].isNull,
                createdAtMilliseconds: (try? row[9].decode(Int64.self)) ?? 0, traceparent: row[10].text))
        }
        guard claimed.count < jobs.count else { return (claimed, []) }
        let claimedIDs = Set(claimed.map(\.id))
        let missing = jobs.filter { !claimedIDs.contains($0.deliveryID) }
        let states = try connection.query("""
            SELECT id, state, attempts, ceil(extract(epoch FROM lease_until - now()))::int, seq IS NOT NULL
            FROM deliveries WHERE id = ANY($1::text[])
            """, [missing.map(\.deliveryID)])
        var byID: [String: (state: String, attempts: Int, leaseLeft: Int?, ordered: Bool)] = [:]
        for row in states {
            guard let id = row[0].text else { continue }
            byID[id] = (row[1].text ?? "", (try? row[2].decode(Int.self)) ?? 0, try? row[3].decode(Int.self), row[4].text == "t")
        }
        let unclaimed = missing.map { job -> UnclaimedJob in
            guard let row = byID[job.deliveryID] else { return UnclaimedJob(deliveryID: job.deliveryID, reason: .unknown) }
            if row.state == "in_flight", row.attempts == job.attempt {
                return UnclaimedJob(deliveryID: job.deliveryID, reason: .heldElsewhere(seconds: max(1, row.leaseLeft ?? 1)))
            }
            if row.ordered, ["pending", "retrying"].contains(row.state), row.attempts == job.attempt - 1,
               case .waitForPredecessor(let seconds) = OrderingPolicy.admission(olderUnfinished: true) {
                return UnclaimedJob(deliveryID: job.deliveryID, reason: .waitingForPredecessor(seconds: seconds))
            }
            return UnclaimedJob(deliveryID: job.deliveryID, reason: .duplicate)
        }
        return (claimed, unclaimed)
    }

    /// Records attempts and the deliveries' new states in one transaction, counts consecutive
    /// failures per webhook and pauses those past their limit. Returns the webhooks it paused.
    /// Deliveries that ended failed with `notifyFailed` join their webhook's digest notice in the
    /// same transaction (`digestSeconds` long windows).
    public func record(_ outcomes: [AttemptOutcome], worker: String, digestSeconds: Int = 60) throws(PostgresError) -> RecordedChanges {
        guard !outcomes.isEmpty else { return RecordedChanges() }
        // At most one row per (delivery, attempt) in one statement: PostgreSQL refuses a second one
        // (21000, "cannot affect row a second time") and the whole write would fail on every retry,
        // leaving every outcome of the batch unwritten. A claim is sent once, so this is a guard.
        var keys = Set<AttemptKey>()
        let sent = outcomes.filter {
            $0.wasSent && keys.insert(AttemptKey(deliveryID: $0.deliveryID, attempt: $0.attempt)).inserted
        }
        var statements: [(sql: String, parameters: [(any PostgresEncodable)?])] = [("BEGIN", [])]
        if !sent.isEmpty {
            statements.append(("""
                INSERT INTO delivery_attempts (delivery_id, attempt, webhook_id, started_at, duration_ms, status_code, succeeded,
                                               error, request_headers, response_headers, response_body, worker, traceparent)
                SELECT a.id, a.attempt, a.webhook, to_timestamp(a.started / 1000.0), a.duration, a.status, a.ok,
                       a.error, a.req, a.resp, a.body, $12, a.trace
                FROM unnest($1::text[], $2::int[], $3::text[], $4::float8[], $5::float8[], $6::int[], $7::bool[],
                            $8::text[], $9::text[], $10::text[], $11::text[], $13::text[])
                     AS a(id, attempt, webhook, started, duration, status, ok, error, req, resp, body, trace)
                ON CONFLICT (delivery_id, attempt) DO UPDATE
                SET started_at = EXCLUDED.started_at, duration_ms = EXCLUDED.duration_ms, status_code = EXCLUDED.status_code,
                    succeeded = EXCLUDED.succeeded, error = EXCLUDED.error, request_headers = EXCLUDED.request_headers,
                    response_headers = EXCLUDED.response_headers, response_body = EXCLUDED.response_body,
                    worker = EXCLUDED.worker, traceparent = EXCLUDED.traceparent, abandoned = false
                WHERE delivery_attempts.abandoned
                """, [sent.map(\.deliveryID), sent.map(\.attempt), sent.map(\.webhookID),
                      sent.map { Double($0.startedAtMilliseconds) }, sent.map(\.durationMilliseconds),
                      sent.map { $0.statusCode.map(String.init) }, sent.map(\.succeeded), sent.map(\.error),
                      sent.map(\.requestHeaders), sent.map(\.responseHeaders), sent.map(\.responseBody), worker,
                      sent.map(\.traceparent)]))
        }
        statements.append(("""
            UPDATE deliveries d
            SET state = o.state, attempts = CASE WHEN o.sent THEN d.attempts ELSE d.attempts - 1 END,
                next_attempt_at = CASE WHEN o.delay IS NULL THEN NULL ELSE now() + make_interval(secs => o.delay) END,
                lease_until = NULL, updated_at = now(),
                last_status = COALESCE(o.status, CASE WHEN o.sent THEN NULL ELSE d.last_status END),
                last_error = o.error,
                completed_at = CASE WHEN o.state IN ('succeeded', 'failed', 'cancelled') THEN now() END,
                -- keep_failed_payloads = false: the rendered copy goes; a resend renders it again from the event.
                payload = CASE WHEN o.drop THEN NULL ELSE d.payload END,
                payload_deferred = CASE WHEN o.drop AND d.payload IS NOT NULL THEN true ELSE d.payload_deferred END
            FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::int[], $6::text[], $7::bool[], $8::bool[])
                 AS o(id, attempt, state, delay, status, error, drop, sent)
            WHERE d.id = o.id AND d.id = ANY($1::text[]) AND d.attempts = o.attempt AND d.state = 'in_flight'
            """, [outcomes.map(\.deliveryID), outcomes.map(\.attempt), outcomes.map(\.nextState.rawValue),
                  outcomes.map { $0.nextAttemptInSeconds.map(String.init) }, outcomes.map { $0.statusCode.map(String.init) },
                  outcomes.map(\.error), outcomes.map(\.dropPayload), outcomes.map(\.wasSent)]))
        // Consecutive failures per webhook, in completion order.
        var order: [String] = []
        var tally: [String: (reset: Bool, failures: Int, error: String?)] = [:]
        for outcome in sent where outcome.countsTowardsPause {
            var entry = tally[outcome.webhookID] ?? (reset: false, failures: 0, error: nil)
            if tally[outcome.webhookID] == nil { order.append(outcome.webhookID) }
            if outcome.succeeded { entry = (reset: true, failures: 0, error: entry.error) } else {
                entry.failures += 1
                entry.error = outcome.error ?? outcome.statusCode.map { "HTTP \($0)" } ?? "failed"
            }
            tally[outcome.webhookID] = entry
        }
        var pausedIndex: Int?
        if !order.isEmpty {
            statements.append(("""
                UPDATE webhooks w
                SET consecutive_failures = CASE WHEN f.reset THEN f.failures ELSE w.consecutive_failures + f.failures END,
                    failing_since = CASE WHEN f.failures = 0 THEN NULL
                                         WHEN f.reset OR w.consecutive_failures = 0 THEN now() ELSE w.failing_since END,
                    last_error = COALESCE(f.error, w.last_error),
                    last_error_at = CASE WHEN f.error IS NULL THEN w.last_error_at ELSE now() END
                FROM unnest($1::text[], $2::bool[], $3::int[], $4::text[]) AS f(id, reset, failures, error)
                WHERE w.id = f.id AND (f.failures > 0 OR w.consecutive_failures <> 0 OR f.error IS NOT NULL)
                """, [order, order.map { tally[$0]?.reset ?? false }, order.map { tally[$0]?.failures ?? 0 },
                      order.map { tally[$0]?.error.map { StoredText.clean(HeaderText.bounded($0, limit: 500)) } }]))
            statements.append(("""
                UPDATE webhooks
                SET status = 'paused', paused_at = now(), updated_at = now(),
                    paused_reason = 'paused automatically after ' || consecutive_failures || ' consecutive failed deliveries'
                WHERE id = ANY($1::text[]) AND status = 'active' AND pause_after_failures > 0
                  AND consecutive_failures >= pause_after_failures
                RETURNING id, name, consecutive_failures
                """, [order]))
            pausedIndex = statements.count - 1
        }
        // 410 Gone: the webhook is disabled (once: only the first worker to record it sees it change)
        // and its waiting deliveries are kept like a pause, or dropped, as configured.
        var disabledIndex: Int?
        let gone = Dictionary(outcomes.compactMap { o in o.disableWebhook.map { (o.webhookID, $0) } }, uniquingKeysWith: { a, _ in a })
        if !gone.isEmpty {
            statements.append(("""
                UPDATE webhooks w SET status = 'disabled', paused_reason = g.reason, paused_at = now(), updated_at = now()
                FROM unnest($1::text[], $2::text[]) AS g(id, reason)
                WHERE w.id = g.id AND w.status <> 'disabled'
                RETURNING w.id, w.name, g.reason
                """, [Array(gone.keys), Array(gone.values)]))
            disabledIndex = statements.count - 1
            statements.append(("""
                UPDATE deliveries d
                SET state = CASE WHEN w.paused_behavior = 'queue' THEN 'paused' ELSE 'cancelled' END,
                    completed_at = CASE WHEN w.paused_behavior = 'queue' THEN NULL ELSE now() END,
                    last_error = 'webhook disabled: ' || w.paused_reason, updated_at = now()
                FROM webhooks w
                WHERE d.webhook_id = w.id AND w.id = ANY($1::text[]) AND d.state IN ('pending', 'retrying')
                """, [Array(gone.keys)]))
        }
        let failed = outcomes.filter { $0.notifyFailed && $0.nextState == .failed }
        if !failed.isEmpty {
            statements.append(NotificationStore.digestStatement(
                failed.map { (webhookID: $0.webhookID, deliveryID: $0.deliveryID, reason: $0.error ?? "failed") },
                digestSeconds: digestSeconds))
        }
        // Ordered webhooks whose delivery ended: the oldest unfinished one is next (if it waits).
        var releasedIndex: Int?
        let releasing = Set(outcomes.filter { $0.ordered && OrderingPolicy.releasesSuccessor(finalState: $0.nextState.rawValue) }
            .map(\.webhookID))
        if !releasing.isEmpty {
            statements.append(("""
                SELECT DISTINCT ON (webhook_id) id, webhook_id, attempts + 1, state FROM deliveries
                WHERE webhook_id = ANY($1::text[]) AND seq IS NOT NULL AND state IN ('pending', 'in_flight', 'retrying', 'paused')
                ORDER BY webhook_id, seq
                """, [Array(releasing)]))
            releasedIndex = statements.count - 1
        }
        statements.append(("COMMIT", []))
        let results = try connection.pipeline(statements)
        var changes = RecordedChanges()
        if let releasedIndex, results.count > releasedIndex {
            changes.released = results[releasedIndex].filter { $0[3].text == "pending" }.map {
                JobTicket(deliveryID: $0[0].text ?? "", webhookID: $0[1].text ?? "", attempt: (try? $0[2].decode(Int.self)) ?? 1)
            }
        }
        if let pausedIndex, results.count > pausedIndex {
            changes.paused = results[pausedIndex].map { (id: $0[0].text ?? "", name: $0[1].text ?? "", failures: (try? $0[2].decode(Int.self)) ?? 0) }
        }
        if let disabledIndex, results.count > disabledIndex {
            changes.disabled = results[disabledIndex].map { (id: $0[0].text ?? "", name: $0[1].text ?? "", reason: $0[2].text ?? "") }
        }
        return changes
    }

    /// Republishes deliveries that are due but on no queue — never published (pending), a lost
    /// dead-letter (retrying), a claim whose worker died (in flight past its lease) — through
    /// `publish`, which must return only once the broker confirmed the jobs. Only then is each
    /// row's clock moved on (it is republished at most once per grace period); if `publish` throws,
    /// nothing moved. Rows are locked `FOR UPDATE SKIP LOCKED` for the transaction, so any number of
    /// reconcilers can run at once. Returns how many were republished.
    ///
    /// `graceSeconds` is how long a due row must have waited; `inFlightGraceSeconds` applies past a
    /// claim's lease.
    public func republishDue(graceSeconds: Int, inFlightGraceSeconds: Int, limit: Int,
                             publish: ([JobTicket]) throws -> Void) throws -> Int {
        try connection.transaction { c in
            let rows = try c.query("""
                SELECT id, webhook_id, CASE WHEN state = 'in_flight' THEN attempts ELSE attempts + 1 END
                FROM deliveries
                WHERE state IN ('pending', 'retrying', 'in_flight')
                  AND next_attempt_at < now() - make_interval(secs => LEAST($1::int, $2::int))
                  AND CASE WHEN state = 'in_flight' THEN lease_until < now() - make_interval(secs => $2::int)
                           ELSE next_attempt_at < now() - make_interval(secs => $1::int) END
                ORDER BY next_attempt_at
                LIMIT $3::int
                FOR UPDATE SKIP LOCKED
                """, [graceSeconds, inFlightGraceSeconds, limit])
            let due = rows.map { JobTicket(deliveryID: $0[0].text ?? "", webhookID: $0[1].text ?? "", attempt: (try? $0[2].decode(Int.self)) ?? 1) }
            guard !due.isEmpty else { return 0 }
            try publish(due)
            try c.execute("UPDATE deliveries SET next_attempt_at = now() WHERE id = ANY($1::text[])", [due.map(\.deliveryID)])
            return due.count
        }
    }

    /// Jobs that wait in a delay queue without a claim (a rate limit): their rows are due later, so
    /// the reconciler does not take them for lost.
    public func postpone(_ deliveryIDs: [String], seconds: [Int]) throws(PostgresError) {
        guard !deliveryIDs.isEmpty else { return }
        try connection.execute("""
            UPDATE deliveries d SET next_attempt_at = now() + make_interval(secs => p.seconds)
            FROM unnest($1::text[], $2::int[]) AS p(id, seconds)
            WHERE d.id = p.id AND d.id = ANY($1::text[]) AND d.state IN ('pending', 'retrying')
            """, [deliveryIDs, seconds])
    }

    /// Paused deliveries of a resumed webhook become pending, due at once.
    @discardableResult
    public func releasePaused(webhookID: String) throws(PostgresError) -> [JobTicket] {
        let rows = try connection.query("""
            UPDATE deliveries SET state = 'pending', next_attempt_at = now(), updated_at = now()
            WHERE webhook_id = $1 AND state = 'paused'
            RETURNING id, webhook_id, attempts + 1
            """, [webhookID])
        return rows.map { JobTicket(deliveryID: $0[0].text ?? "", webhookID: $0[1].text ?? "", attempt: (try? $0[2].decode(Int.self)) ?? 1) }
    }
}
