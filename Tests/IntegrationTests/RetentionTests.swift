import Foundation
import Herald
import HeraldTestSupport
import Testing

/// Retention by day partition: a day past the window goes as a whole (its attempts, deliveries and
/// events), newer days stay, unfinished work is never dropped, and everything reads as before.
@Suite("Retention", .serialized)
struct RetentionTests {
    static let day: Int64 = 86_400_000

    static func event(at ms: Int64, tenant: String? = nil) throws -> Event {
        var event = try Harness.event(data: PipelineTests.order)
        guard case .object(var object) = try JSONValue(parsing: event.raw) else { throw HarnessError("not an object") }
        object["occurred_at"] = .string(Timestamp.iso8601(unixMilliseconds: ms))
        if let tenant { object["tenant"] = .string(tenant) }
        event = try Event(envelope: .object(object))
        return event
    }

    @Test("retention drops the days past the window, keeps newer ones and unfinished work; reports still read right")
    func dropsOldDays() throws {
        let h = try Harness("retention")
        let good = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/orders", "events": ["order.created"]}
            """#)
        let paused = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Paused", "url": "\#(h.receiver.baseURL)/ok/paused", "events": ["order.created"],
             "status": "paused", "paused_behavior": "queue"}
            """#)
        let store = RetentionStore(connection: h.database)
        let now = Timestamp.nowUnixMilliseconds()
        // The days ahead exist before events of those days arrive.
        let first = try store.run(defaultDays: 90, aheadDays: 7, dryRun: false, now: now)
        #expect(first.created.contains { $0.hasPrefix("deliveries_p") } && first.dropped.isEmpty)
        try h.startRouter()
        try h.startWorker()
        let old = try (0..<3).map { _ in try Self.event(at: now - 3_600_000) }          // before partitioning: the first partition
        let newer = try (0..<2).map { _ in try Self.event(at: now + 3 * Self.day) }     // a day ahead
        try h.publish(old + newer)
        try h.waitUntil("5 delivered to the active webhook") {
            try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = 'succeeded'", [good.id]) == 5
        }
        try h.waitUntil("5 waiting for the paused one") {
            try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = 'paused'", [paused.id]) == 5
        }
        #expect(try h.count("SELECT count(*) FROM deliveries_default") == 0)   // every delivery found its day

        // 92 days on: the first partition and today's are past a 90-day window; the paused webhook's
        // old deliveries are not finished, so their day stays.
        let later = now + 92 * Self.day
        let dry = try store.run(defaultDays: 90, aheadDays: 7, dryRun: true, now: later)
        #expect(dry.kept.contains { $0.partition == "deliveries_before_partitions" && $0.reason.contains("3 deliveries") })
        let second = try store.run(defaultDays: 90, aheadDays: 7, dryRun: false, now: later)
        #expect(second.kept.map(\.partition).contains("deliveries_before_partitions"))
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1", [good.id]) == 5)

        // The paused webhook's old deliveries are cancelled: now the day goes, as a whole, fast.
        try h.database.execute("UPDATE deliveries SET state = 'cancelled', completed_at = now() WHERE state = 'paused' AND id < $1",
                               ["msg_" + Identifier.timePrefix(unixMilliseconds: now + 3_600_000)])
        let started = ContinuousClock.now
        let third = try store.run(defaultDays: 90, aheadDays: 7, dryRun: false, now: later)
        let took = ContinuousClock.now - started
        print("retention: dropped \(third.dropped.count) partitions in \(took)")
        for table in ["events", "deliveries", "delivery_attempts"] {
            #expect(third.dropped.contains("\(table)_before_partitions"))
        }
        #expect(took < .seconds(5))

        // What is newer than the window stays, and reads as before.
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = 'succeeded'", [good.id]) == 2)
        #expect(try h.count("SELECT count(*) FROM delivery_attempts WHERE webhook_id = $1", [good.id]) == 2)
        #expect(try h.count("SELECT count(*) FROM events") == 2)
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = 'paused'", [paused.id]) == 2)
        let report = try h.database.query("SELECT deliveries, succeeded FROM herald_delivery_report(now() - interval '1 day', now() + interval '10 days') WHERE webhook_id = $1",
                                          [good.id]).first
        #expect(report?[0].text == "2" && report?[1].text == "2")
        #expect(try h.count("SELECT count(*) FROM delivery_problems") >= 0)
        #expect(try h.count("SELECT waiting_deliveries FROM webhook_status WHERE webhook_id = $1", [paused.id]) == 2)
        let detail = try heraldctl(h, ["delivery", "log", "--webhook", good.id, "--json"])
        #expect(detail.status == 0, "\(detail.err)")
        #expect(detail.out.components(separatedBy: "\"id\"").count - 1 == 2)   // the delivery log: the two that stay

        // The pipeline goes on: a redelivered event is still recognised (one delivery per event and webhook).
        let again = try Self.event(at: now + 3 * Self.day)
        try h.publish([again, again])
        try h.waitUntil("the new event delivered once") {
            try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = 'succeeded'", [good.id]) == 3
        }
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE event_id = $1", [again.id]) == 2)
    }

    @Test("a tenant's shorter window is swept row by row: its finished work goes, unfinished work and other tenants stay")
    func sweepsShorterTenantWindows() throws {
        let h = try Harness("retention_tenant")
        let brief = try h.createWebhook(#"""
            {"tenant": "brief", "name": "Brief", "url": "\#(h.receiver.baseURL)/ok/brief", "events": ["order.created"]}
            """#)
        let waiting = try h.createWebhook(#"""
            {"tenant": "brief", "name": "Waiting", "url": "\#(h.receiver.baseURL)/ok/waiting", "events": ["order.created"],
             "status": "paused", "paused_behavior": "queue"}
            """#)
        let long = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Long", "url": "\#(h.receiver.baseURL)/ok/long", "events": ["order.created"]}
            """#)
        try h.database.execute("UPDATE tenants SET retention_days = 1 WHERE id = 'brief'")
        let store = RetentionStore(connection: h.database)
        let now = Timestamp.nowUnixMilliseconds()
        _ = try store.run(defaultDays: 90, aheadDays: 7, dryRun: false, now: now)
        try h.startRouter()
        try h.startWorker()
        try h.publish(try (0..<3).map { _ in try Self.event(at: now, tenant: "brief") } + (0..<2).map { _ in try Self.event(at: now, tenant: "acme") })
        try h.waitUntil("delivered and parked") {
            try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = 'succeeded'", [brief.id]) == 3
                && h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = 'succeeded'", [long.id]) == 2
                && h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = 'paused'", [waiting.id]) == 3
        }
        // Within a day nothing goes; two days on, the brief tenant's finished deliveries, their
        // attempts and its events are swept, while the 90-day tenant keeps everything.
        #expect(try store.run(defaultDays: 90, aheadDays: 7, dryRun: false, now: now + 3_600_000).swept == 0)
        try h.database.execute("UPDATE deliveries SET created_at = created_at - interval '2 days' WHERE tenant_id IN ('brief', 'acme')")
        try h.database.execute("UPDATE events SET received_at = received_at - interval '2 days' WHERE tenant_id IN ('brief', 'acme')")
        let report = try store.run(defaultDays: 90, aheadDays: 7, dryRun: false, now: now)
        #expect(report.swept == 3 + 3 + 3, "3 deliveries, 3 attempts, 3 events: \(report.swept)")
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1", [brief.id]) == 0)
        #expect(try h.count("SELECT count(*) FROM delivery_attempts WHERE webhook_id = $1", [brief.id]) == 0)
        #expect(try h.count("SELECT count(*) FROM events WHERE tenant_id = 'brief'") == 0)
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = 'paused'", [waiting.id]) == 3)
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1", [long.id]) == 2)
        #expect(try h.count("SELECT count(*) FROM events WHERE tenant_id = 'acme'") == 2)
        #expect(try store.run(defaultDays: 90, aheadDays: 7, dryRun: false, now: now).swept == 0)   // nothing twice
    }
}
