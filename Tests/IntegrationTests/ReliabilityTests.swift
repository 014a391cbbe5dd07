import AMQP
import Foundation
import Herald
import HeraldCore
import HeraldTestSupport
import PostgresClient
import Testing

/// "Nothing lost": each test reproduces one way deliveries were lost for good, against the real
/// servers, and checks that every delivery ends final with every request recorded.
@Suite("Reliability", .serialized)
struct ReliabilityTests {
    static let order: JSONValue = PipelineTests.order

    private func pendingDelivery(_ h: Harness, webhookID: String) throws -> (event: Event, deliveryID: String) {
        let event = try Harness.event(data: Self.order)
        let id = Herald.Router.deliveryID(for: event, webhookID: webhookID)   // as the router makes it
        var delivery = NewDelivery(id: id, tenantID: "acme", eventID: event.id, eventType: event.type, webhookID: webhookID,
                                   state: .pending, payload: nil, payloadDeferred: false, note: nil)
        delivery.eventOccurredAt = event.occurredAt
        _ = try DeliveryStore(connection: h.database).recordRouted(events: [event], deliveries: [delivery])
        return (event, id)
    }

    @Test("the reconciler's connection outlives idle periods longer than the heartbeat timeout, and it republishes")
    func reconcilerKeepsItsConnection() throws {
        let h = try Harness("reconcile_idle")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        var base = h.configuration
        base.amqpURL += "?heartbeat=1"   // the broker drops a silent connection after ~2 s
        let worker = try WorkerConfiguration(base: base, environment: [:])
        try h.startWorker { config in
            config = worker
            config.reconcileGraceSeconds = 1
            config.reconcileInterval = .seconds(5)
        }
        Thread.sleep(forTimeInterval: 4)   // the reconciler's first pass is over; it waits 5 s for the next
        // A delivery recorded but never published (a router that died before its publish).
        _ = try pendingDelivery(h, webhookID: webhook.id)
        try h.waitUntil("the next pass republished it on its kept connection", timeout: .milliseconds(3500)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 1
        }
    }

    @Test("the reconciler moves nothing when its publish fails, and finds the rows again")
    func reconcilerMovesNothingUnconfirmed() throws {
        let h = try Harness("reconcile_confirm")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        let (_, id) = try pendingDelivery(h, webhookID: webhook.id)
        try h.database.execute("UPDATE deliveries SET next_attempt_at = now() - interval '1 minute' WHERE id = $1", [id])
        let before = try h.scalar("SELECT next_attempt_at FROM deliveries WHERE id = $1", [id])
        let store = DeliveryStore(connection: h.database)
        struct BrokerDown: Error {}
        #expect(throws: BrokerDown.self) {
            try store.republishDue(graceSeconds: 10, inFlightGraceSeconds: 10, limit: 100) { _ in throw BrokerDown() }
        }
        #expect(try h.scalar("SELECT next_attempt_at FROM deliveries WHERE id = $1", [id]) == before)
        var published: [JobTicket] = []
        #expect(try store.republishDue(graceSeconds: 10, inFlightGraceSeconds: 10, limit: 100) { published = $0 } == 1)
        #expect(published == [JobTicket(deliveryID: id, webhookID: webhook.id, attempt: 1)])
    }

    @Test("a router that died between its commit and its publish: the redelivered event publishes the existing delivery's job")
    func redeliveredEventPublishesExistingDeliveries() throws {
        let h = try Harness("router_crash")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        // The first router's transaction committed; it died before publishing and acking.
        let (event, id) = try pendingDelivery(h, webhookID: webhook.id)
        try h.startRouter()
        try h.startWorker { $0.reconcile = false }   // no safety net: the router itself must publish
        try h.publish([event])                         // the broker redelivers the unacked event
        try h.waitUntil("delivered", timeout: .seconds(10)) {
            try h.scalar("SELECT state FROM deliveries WHERE id = $1", [id]) == "succeeded"
        }
        #expect(try h.count("SELECT count(*) FROM deliveries") == 1, "one delivery per (event, webhook)")
        #expect(try h.receiver.requests().count == 1)
    }

    @Test("a job whose claim is held by a dead worker comes back after the lease and is sent, the abandoned attempt recorded")
    func heldClaimIsDeferredNotDropped() throws {
        let h = try Harness("held_claim")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        let (_, id) = try pendingDelivery(h, webhookID: webhook.id)
        // A worker claimed attempt 1 and died: its lease runs for 3 more seconds.
        try h.database.execute("""
            UPDATE deliveries SET state = 'in_flight', attempts = 1, lease_until = now() + interval '3 seconds',
                                  next_attempt_at = now() + interval '3 seconds' WHERE id = $1
            """, [id])
        try h.startWorker { $0.reconcile = false }
        // The broker redelivers the dead worker's unacked job to a live worker.
        let amqp = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        try JobMessages(names: h.configuration.topology).publishNow([JobTicket(deliveryID: id, webhookID: webhook.id, attempt: 1)], on: amqp)
        amqp.close()
        try h.waitUntil("delivered after the lease", timeout: .seconds(15)) {
            try h.scalar("SELECT state FROM deliveries WHERE id = $1", [id]) == "succeeded"
        }
        let attempts = try h.database.query("SELECT attempt, abandoned, succeeded FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt", [id])
        #expect(attempts.map { $0[0].text } == ["1", "2"])
        #expect(attempts.map { $0[1].text } == ["t", "f"], "attempt 1 is on record as abandoned")
        #expect(try h.receiver.requests().count == 1)
    }

    @Test("answers received while PostgreSQL is away are written when it is back: no re-send, every attempt on record")
    func outcomesSurviveADatabaseLoss() throws {
        let h = try Harness("db_loss")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Slow", "url": "\#(h.receiver.baseURL)/sleep/1500/x", "events": ["order.created"]}
            """#)
        try h.startRouter()
        try h.startWorker { $0.reconcile = false }
        try h.publish((0..<20).map { _ in try Harness.event(data: Self.order) })
        try h.waitUntil("all twenty in flight") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'in_flight'") == 20 }
        // Every server-side session of the test database ends: the worker's writes fail once.
        _ = try h.database.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        try h.waitUntil("all twenty recorded", timeout: .seconds(20)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 20
        }
        #expect(try h.receiver.requests().count == 20, "nothing was sent twice")
        #expect(try h.count("SELECT count(*) FROM delivery_attempts WHERE status_code = 200") == 20)
        _ = webhook
    }

    @Test("SIGTERM with no drain time: requests cut off are recorded as interrupted attempts, then sent again")
    func drainRecordsWhatWasSent() throws {
        let h = try Harness("drain_zero")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Slow", "url": "\#(h.receiver.baseURL)/sleep/1500/x", "events": ["order.created"]}
            """#)
        try h.startRouter()
        let env = ["HERALD_WORKER_DRAIN_S": "0", "HERALD_RECONCILE": "false"]
        let worker = try h.launch("herald-worker", environment: env)
        try h.publish((0..<30).map { _ in try Harness.event(data: Self.order) })
        try h.waitUntil("all thirty in flight") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'in_flight'") == 30 }
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
        _ = try h.launch("herald-worker", environment: env)
        try h.waitUntil("all thirty delivered", timeout: .seconds(30)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 30
        }
        Thread.sleep(forTimeInterval: 2)   // the cut-off first requests reach the receiver's log after its sleep
        var seen: [String: Int] = [:]
        for request in try h.receiver.requests() { seen[request.headers["webhook-id"] ?? "", default: 0] += 1 }
        for (id, requests) in seen {
            let recorded = try h.count("SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1", [id])
            #expect(recorded >= requests, "delivery \(id): \(requests) requests, \(recorded) attempts on record")
        }
        #expect(try h.count("SELECT count(*) FROM delivery_attempts WHERE error LIKE 'interrupted%'") == 30)
    }
}

@Suite("Hostile receivers")
struct HostileReceiverTests {
    @Test("a receiver answering NUL bytes is recorded (NUL stored as U+FFFD) without failing other webhooks' outcomes")
    func nulInResponse() throws {
        let h = try Harness("nul_response")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Hostile", "url": "\#(h.receiver.baseURL)/nul/x", "events": ["order.created"]}
            """#)
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Fine", "url": "\#(h.receiver.baseURL)/ok/y", "events": ["order.created"]}
            """#)
        try h.startRouter()
        try h.startWorker { $0.reconcile = false }
        try h.publish((0..<10).map { _ in try Harness.event(data: PipelineTests.order) })
        try h.waitUntil("all twenty succeeded", timeout: .seconds(15)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 20
        }
        #expect(try h.receiver.requests().count == 20, "nothing was sent twice")
        #expect(try h.count("SELECT count(*) FROM delivery_attempts WHERE response_body LIKE '%\u{FFFD}%'") == 10)
    }
}

@Suite("Poison events")
struct PoisonEventTests {
    @Test("an event with a 200 KB type, a 1 MB tenant or 64 KB of headers is parked (reason bounded) and the events behind it flow")
    func poisonEventsParked() throws {
        let h = try Harness("poison")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        try h.startRouter()
        try h.startWorker { $0.reconcile = false }
        let hugeType = String(repeating: "a", count: 200_000)
        let hugeTenant = String(repeating: "t", count: 1_000_000)
        try h.publishRaw(#"{"id": "evt_1", "type": "\#(hugeType)", "tenant": "acme", "occurred_at": "2026-01-22T15:30:00Z", "data": {}}"#,
                         routingKey: "order.created")
        try h.publishRaw(#"{"id": "evt_2", "type": "order.created", "tenant": "\#(hugeTenant)", "occurred_at": "2026-01-22T15:30:00Z", "data": {}}"#,
                         routingKey: "order.created")
        let connection = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        try connection.enableConfirms()
        var headers: AMQPTable = [:]
        for i in 0..<64 { headers["x-erp-\(i)"] = .string(String(repeating: "h", count: 1000)) }
        _ = try connection.publishConfirmed([AMQPMessage(exchange: h.configuration.topology.eventsExchange, routingKey: "order.created",
                                                         body: Array("not json".utf8), properties: AMQPProperties(persistent: true, headers: headers),
                                                         mandatory: false)])
        connection.close()
        try h.publish((0..<5).map { _ in try Harness.event(data: PipelineTests.order) })
        try h.waitUntil("the valid events behind the poison are delivered", timeout: .seconds(10)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 5
        }
        try h.waitUntil("three parked") { try h.queueDepth(h.configuration.topology.invalidQueue) == 3 }
        for parked in try h.take(from: h.configuration.topology.invalidQueue, max: 3) {
            guard case .string(let reason)? = parked.properties.headers["x-herald-reason"] else { Issue.record("no reason"); continue }
            #expect(reason.utf8.count < 2_000, "the reason is bounded: \(reason.utf8.count) bytes")
            #expect(parked.properties.headers.encodedSize < 20_000)
        }
    }
}
