import AMQP
import Foundation
@testable import Herald
import HeraldCore
import HeraldTestSupport
import Testing

/// Issue 8's open gap: after a broker restart a worker can fetch two copies of one job in the same
/// batch (the broker's redelivery and the reconciler's republish). One claim must mean one request,
/// and every request sent must be on record.
@Suite("Reliability: every request sent is on record")
struct EveryRequestRecordedTests {
    @Test("two copies of each job fetched together: one request per delivery, each recorded once, all succeeded")
    func copiesInOneBatch() throws {
        let h = try Harness("jobcopies")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/sleep/200/copies", "events": ["order.created"]}
            """#)
        try h.startRouter()
        try h.publish(try (0..<20).map { try Harness.event(data: PipelineTests.order, id: "evt_copy_\($0)") })
        try h.waitUntil("all routed") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'pending'") == 20 }
        // The router published one job per delivery; a second copy of each sits behind it, as after a
        // broker restart that requeued the jobs while the reconciler republished them.
        let tickets = try h.database.query("SELECT id, webhook_id FROM deliveries").map {
            JobTicket(deliveryID: $0[0].text ?? "", webhookID: $0[1].text ?? "", attempt: 1)
        }
        let amqp = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        try JobMessages(names: h.configuration.topology).publishNow(tickets, on: amqp)
        amqp.close()
        try h.waitUntil("both copies queued") { try h.queueDepth(h.configuration.topology.deliverQueue) == 40 }
        try h.startWorker()
        try h.waitUntil("all delivered", timeout: .seconds(30)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 20
        }
        try h.waitUntil("every job acked") { try h.queueDepth(h.configuration.topology.deliverQueue) == 0 }
        Thread.sleep(forTimeInterval: 0.5)
        let requests = try h.receiver.requests()
        var perID: [String: Int] = [:]
        for request in requests { perID[request.headers["webhook-id"] ?? "", default: 0] += 1 }
        #expect(perID.count == 20)
        #expect(requests.count == 20, "one claim, one request: \(perID.filter { $0.value > 1 }.count) deliveries sent twice")
        for (id, sent) in perID {
            let rows = try h.count("SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1", [id])
            #expect(rows >= sent, "\(id): \(sent) requests, \(rows) attempt rows")
        }
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE attempts = 1") == 20)
    }

    @Test("two outcomes of one attempt in one write: recorded once, the rest of the batch is not held up")
    func sameAttemptTwiceInOneWrite() throws {
        let h = try Harness("sameattempt")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        let store = DeliveryStore(connection: h.database)
        let events = try (0..<2).map { try Harness.event(data: PipelineTests.order, id: "evt_same_\($0)") }
        let jobs = try store.recordRouted(events: events, deliveries: events.map {
            NewDelivery(id: IDs.make("msg_"), tenantID: "acme", eventID: $0.id, eventType: $0.type, webhookID: webhook.id,
                        state: .pending, payload: nil, payloadDeferred: false, note: nil)
        })
        let claimed = try store.claim(jobs.map { DeliveryJob(deliveryID: $0.deliveryID, attempt: $0.attempt) }, leaseSeconds: [30, 30]).claimed
        #expect(claimed.count == 2)
        func outcome(_ d: ClaimedDelivery) -> AttemptOutcome {
            AttemptOutcome(deliveryID: d.id, attempt: d.attempt, webhookID: webhook.id, startedAtMilliseconds: Timestamp.nowUnixMilliseconds(),
                           durationMilliseconds: 5, statusCode: 200, succeeded: true, error: nil, requestHeaders: nil, responseHeaders: nil,
                           responseBody: nil, nextState: .succeeded, nextAttemptInSeconds: nil, dropPayload: false, wasSent: true)
        }
        _ = try store.record([outcome(claimed[0]), outcome(claimed[0]), outcome(claimed[1])], worker: "test")
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 2)
        #expect(try h.count("SELECT count(*) FROM delivery_attempts") == 2)
    }

    @Test("an outcome PostgreSQL refuses holds up no other: the rest of its batch is written at once")
    func refusedOutcomeIsolated() throws {
        let h = try Harness("poison")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        // A stand-in for any outcome the server cannot take: a trigger refuses one delivery's attempt rows.
        try h.database.simpleQuery("""
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM deliveries WHERE id = NEW.delivery_id AND event_id = 'evt_poison_0') THEN
                    RAISE EXCEPTION 'refused for the test';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_poison BEFORE INSERT ON delivery_attempts FOR EACH ROW EXECUTE FUNCTION refuse_poison();
            """)
        try h.startRouter()
        try h.publish(try (0..<10).map { try Harness.event(data: PipelineTests.order, id: "evt_poison_\($0)") })
        try h.waitUntil("all routed") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'pending'") == 10 }
        try h.startWorker()
        try h.waitUntil("the nine others recorded", timeout: .seconds(10)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 9
        }
        #expect(try h.count("SELECT count(*) FROM delivery_attempts") == 9)
    }

    @Test("a worker whose claim was taken over reports late: its real result replaces the abandoned placeholder, state untouched")
    func lateReportAfterTakeover() throws {
        let h = try Harness("latereport")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        let store = DeliveryStore(connection: h.database)
        let event = try Harness.event(data: PipelineTests.order, id: "evt_late")
        let job = try #require(try store.recordRouted(events: [event], deliveries: [NewDelivery(
            id: IDs.make("msg_"), tenantID: "acme", eventID: event.id, eventType: event.type, webhookID: webhook.id,
            state: .pending, payload: nil, payloadDeferred: false, note: nil)]).first)
        // The first worker claims attempt 1 with a short lease, sends, and is stuck past the lease.
        let first = try #require(try store.claim([DeliveryJob(deliveryID: job.deliveryID, attempt: 1)], leaseSeconds: [1]).claimed.first)
        Thread.sleep(forTimeInterval: 2.2)
        // The job comes again (a redelivery or the reconciler): the claim is taken over for attempt 2.
        let second = try #require(try store.claim([DeliveryJob(deliveryID: job.deliveryID, attempt: 1)], leaseSeconds: [30]).claimed.first)
        #expect(second.attempt == 2)
        #expect(try h.scalar("SELECT abandoned FROM delivery_attempts WHERE delivery_id = $1 AND attempt = 1", [job.deliveryID]) == "t")
        func outcome(_ d: ClaimedDelivery, status: Int) -> AttemptOutcome {
            AttemptOutcome(deliveryID: d.id, attempt: d.attempt, webhookID: webhook.id, startedAtMilliseconds: Timestamp.nowUnixMilliseconds(),
                           durationMilliseconds: 5, statusCode: status, succeeded: status < 300, error: nil, requestHeaders: nil,
                           responseHeaders: nil, responseBody: nil, nextState: status < 300 ? .succeeded : .retrying,
                           nextAttemptInSeconds: status < 300 ? nil : 1, dropPayload: false, wasSent: true)
        }
        // The first worker comes back and reports attempt 1 (a 500): recorded, but the delivery is the second's now.
        _ = try store.record([outcome(first, status: 500)], worker: "first")
        #expect(try h.scalar("SELECT abandoned::text || ':' || status_code || ':' || worker FROM delivery_attempts WHERE delivery_id = $1 AND attempt = 1",
                             [job.deliveryID]) == "false:500:first")
        #expect(try h.scalar("SELECT state || ':' || attempts FROM deliveries WHERE id = $1", [job.deliveryID]) == "in_flight:2")
        _ = try store.record([outcome(second, status: 200)], worker: "second")
        #expect(try h.scalar("SELECT state FROM deliveries WHERE id = $1", [job.deliveryID]) == "succeeded")
        #expect(try h.count("SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1", [job.deliveryID]) == 2, "two requests, two rows")
    }
}
