import HeraldCore
import PostgresClient

/// Retention over the day partitions (migration 0014): creates the days ahead, drops the days past
/// the window (a day's attempts, deliveries and events together, never while one of its deliveries is
/// unfinished), and sweeps in bounded batches what partitions cannot hold apart: the default
/// partitions (rows outside the days created) and tenants whose own window is shorter.
public struct RetentionStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public struct Report: Encodable, Sendable {
        public var dryRun: Bool
        public var keepDays: Int
        public var cutoff: String
        public var created: [String] = []
        public var dropped: [String] = []
        /// Partitions past the window that stay, with why (an unfinished delivery, a lock not granted).
        public var kept: [Kept] = []
        /// Rows removed by the sweeps (default partitions, shorter tenant windows).
        public var swept: Int = 0

        enum CodingKeys: String, CodingKey {
            case dryRun = "dry_run", keepDays = "keep_days", cutoff, created, dropped, kept, swept
        }
    }

    public struct Kept: Encodable, Sendable, Equatable {
        public var partition: String
        public var reason: String
    }

    /// The most rows one sweep removes per table and run: housekeeping stays short.
    public static let sweepLimit = 50_000

    /// One retention pass. `defaultDays`: `HERALD_RETENTION_DAYS`; tenants may override it.
    public func run(defaultDays: Int, aheadDays: Int, dryRun: Bool, now: Int64 = Timestamp.nowUnixMilliseconds()) throws -> Report {
        let overrides = try tenantWindows()
        let keepDays = max(defaultDays, overrides.map(\.days).max() ?? defaultDays)
        let plan = RetentionPlan(partitions: try partitions(), now: now, keepDays: keepDays, aheadDays: aheadDays)
        var report = Report(dryRun: dryRun, keepDays: keepDays, cutoff: Timestamp.iso8601(unixMilliseconds: plan.cutoff))
        for day in plan.create {
            if !dryRun { try create(day) }
            report.created.append(day.name)
        }
        for group in plan.drop {
            if let unfinished = try unfinished(in: group), unfinished > 0 {
                report.kept += group.map { Kept(partition: $0.name, reason: "\(unfinished) deliveries in it are not finished") }
                continue
            }
            if !dryRun { try drop(group) }
            report.dropped += group.map(\.name)
        }
        guard !dryRun else { return report }
        let dayStart = plan.cutoff + Int64(keepDays) * RetentionPlan.dayMilliseconds
        report.swept += try sweep(tenant: nil, before: Timestamp.iso8601(unixMilliseconds: dayStart - Int64(defaultDays) * RetentionPlan.dayMilliseconds),
                                  defaultOnly: true)
        for window in overrides where window.days < keepDays {
            let before = Timestamp.iso8601(unixMilliseconds: dayStart - Int64(window.days) * RetentionPlan.dayMilliseconds)
            report.swept += try sweep(tenant: window.tenant, before: before, defaultOnly: false)
        }
        return report
    }

    /// The partitions recorded by the migration and by earlier runs.
    public func partitions() throws -> [RetentionPlan.Partition] {
        try connection.query("""
            SELECT name, parent, (extract(epoch FROM from_time) * 1000)::int8, (extract(epoch FROM to_time) * 1000)::int8
            FROM herald_partitions ORDER BY to_time, name
            """).map { row in
            RetentionPlan.Partition(name: row[0].text ?? "", parent: row[1].text ?? "", from: try? row[2].decode(Int64.self),
                                    to: (try? row[3].decode(Int64.self)) ?? 0)
        }
    }

    /// Tenants with their own window (days).
    public func tenantWindows() throws -> [(tenant: String, days: Int)] {
        try connection.query("SELECT id, retention_days FROM tenants WHERE retention_days IS NOT NULL ORDER BY id").compactMap { row in
            guard let id = row[0].text, let days = try? row[1].decode(Int.self) else { return nil }
            return (id, days)
        }
    }

    // MARK: partitions

    /// The bound of a day in a table's partition key: a time for events, a delivery-id prefix (its
    /// ULID time) for deliveries and attempts.
    static func bound(_ parent: String, _ ms: Int64) -> String {
        parent == "events" ? Timestamp.iso8601(unixMilliseconds: ms) : "msg_" + Identifier.timePrefix(unixMilliseconds: ms)
    }

    static func key(_ parent: String) -> String { ["events": "occurred_at", "deliveries": "id"][parent] ?? "delivery_id" }

    /// A new day: made beside the table, given the rows the default partition holds for that day
    /// (an early event), then attached. One transaction; a lock not granted in 5 s is tried next run.
    private func create(_ day: RetentionPlan.NewDay) throws {
        let (from, to) = (RetentionStore.bound(day.parent, day.from), RetentionStore.bound(day.parent, day.to))
        let key = RetentionStore.key(day.parent)
        try connection.transaction { c in
            try c.execute("SET LOCAL lock_timeout = '5s'")
            try c.simpleQuery("CREATE TABLE \(day.name) (LIKE \(day.parent) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            try c.execute("""
                WITH moved AS (DELETE FROM \(day.parent)_default WHERE \(key) >= $1 AND \(key) < $2 RETURNING *)
                INSERT INTO \(day.name) SELECT * FROM moved
                """, [from, to])
            try c.execute("ALTER TABLE \(day.parent) ATTACH PARTITION \(day.name) FOR VALUES FROM ('\(from)') TO ('\(to)')")
            try c.execute("INSERT INTO herald_partitions (name, parent, from_time, to_time) VALUES ($1, $2, $3::timestamptz, $4::timestamptz)",
                          [day.name, day.parent, Timestamp.iso8601(unixMilliseconds: day.from), Timestamp.iso8601(unixMilliseconds: day.to)])
        }
    }

    /// Deliveries of a day that are not final: the day is kept until they are. Two counts, each the
    /// exact predicate of a partial index (`deliveries_due`, `deliveries_paused`), so the check reads
    /// those small indexes instead of scanning the day (5 million rows: 0.6 s against 0.1 ms).
    private func unfinished(in group: [RetentionPlan.Partition]) throws -> Int? {
        guard let deliveries = group.first(where: { $0.parent == "deliveries" }) else { return nil }
        return try connection.query("""
            SELECT (SELECT count(*) FROM \(deliveries.name) WHERE state IN ('pending', 'retrying', 'in_flight'))
                 + (SELECT count(*) FROM \(deliveries.name) WHERE state = 'paused')
            """).first.flatMap { try? $0[0].decode(Int.self) }
    }

    private func drop(_ group: [RetentionPlan.Partition]) throws {
        try connection.transaction { c in
            try c.execute("SET LOCAL lock_timeout = '5s'")
            for partition in group {
                try c.simpleQuery("DROP TABLE IF EXISTS \(partition.name)")
                try c.execute("DELETE FROM herald_partitions WHERE name = $1", [partition.name])
            }
        }
    }

    // MARK: sweeps

    /// Removes finished deliveries (with their attempts) and events older than `before`, of one
    /// tenant or in the default partitions only, at most `sweepLimit` of each.
    private func sweep(tenant: String?, before: String, defaultOnly: Bool) throws -> Int {
        let deliveries = defaultOnly ? "deliveries_default" : "deliveries"
        let eventTables = defaultOnly ? ["events_default"] : try partitions().filter { $0.parent == "events" }.map(\.name) + ["events_default"]
        return try connection.transaction { c -> Int in
            let ids = try c.query("""
                SELECT id FROM \(deliveries) WHERE ($1::text IS NULL OR tenant_id = $1) AND created_at < $2::timestamptz
                  AND state IN ('succeeded', 'failed', 'cancelled') LIMIT \(RetentionStore.sweepLimit)
                """, [tenant, before]).compactMap { $0[0].text }
            var removed = 0
            if !ids.isEmpty {
                removed += try c.execute("DELETE FROM delivery_attempts WHERE delivery_id = ANY($1::text[])", [ids])
                removed += try c.execute("DELETE FROM deliveries WHERE id = ANY($1::text[])", [ids])
            }
            // Events one table at a time: a statement over the partitioned table plans a join that
            // reads every day (5 million rows a day: seconds); one day's table deletes by row address
            // what its (tenant_id, received_at) index found.
            var budget = RetentionStore.sweepLimit
            for table in eventTables where budget > 0 {
                let n = try c.execute("""
                    DELETE FROM \(table) WHERE ctid = ANY(ARRAY(
                        SELECT ctid FROM \(table) WHERE ($1::text IS NULL OR tenant_id = $1) AND received_at < $2::timestamptz LIMIT \(budget)))
                    """, [tenant, before])
                removed += n
                budget -= n
            }
            return removed
        }
    }
}
