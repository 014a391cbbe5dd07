import Foundation
import Herald
import HeraldCore
import HeraldTestSupport
import Testing

@Suite("Batch delivery")
struct BatchDeliveryTests {
    /// The event ids in a batch request's body (a JSON array of event envelopes), in order.
    static func eventIDs(_ request: Receiver.Request) -> [String]? {
        guard let array = (try? JSONValue(parsing: Array(request.body.utf8)))?.arrayValue else { return nil }
        return array.map { $0["id"]?.stringValue ?? "?" }
    }

    /// Routes `count` events to the webhooks before any worker runs, so the worker finds them all queued.
    static func route(_ h: Harness, count: Int, label: String) throws -> [String] {
        try h.startRouter()
        let ids = (0..<count).map { "evt_\(label)_\($0)" }
        try h.publish(try ids.map { try Harness.event(data: PipelineTests.order, id: $0) })
        try h.waitUntil("all routed") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'pending'") == count }
        return ids
    }

    @Test("batch webhook, max_events 10, 35 events queued: requests of 10, 10, 10 and 5, every event once, each signed")
    func batches() throws {
        let h = try Harness("batch")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Bulk", "url": "\#(h.receiver.baseURL)/ok/bulk", "events": ["order.created"],
             "batch": {"max_events": 10, "max_wait_ms": 1500}}
            """#)
        let ids = try Self.route(h, count: 35, label: "batch")
        try h.startWorker()
        try h.waitUntil("all delivered", timeout: .seconds(30)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 35
        }
        let requests = try h.receiver.requests()
        let batches = requests.compactMap(Self.eventIDs)
        #expect(batches.count == requests.count, "every body is a JSON array")
        #expect(batches.map(\.count).sorted() == [5, 10, 10, 10])
        #expect(batches.flatMap { $0 }.sorted() == ids.sorted(), "every event exactly once")
        for request in requests {
            let messageID = request.headers["webhook-id"] ?? ""
            #expect(messageID.hasPrefix(BatchPolicy.messageIDPrefix))
            #expect(request.headers[BatchPolicy.sizeHeader.lowercased()] == String(Self.eventIDs(request)?.count ?? -1))
            #expect(request.verified == true)
            #expect(WebhookSigner.verifyStandard(secret: webhook.secret, messageID: messageID,
                                                 timestamp: request.headers["webhook-timestamp"] ?? "", body: Array(request.body.utf8),
                                                 signatureHeader: request.headers["webhook-signature"] ?? ""))
        }
        #expect(Set(requests.compactMap { $0.headers["webhook-id"] }).count == 4, "one message id per batch")
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE attempts = 1 AND state = 'succeeded'") == 35)
        #expect(try h.count("SELECT count(*) FROM delivery_attempts WHERE succeeded AND status_code = 200") == 35,
                "each delivery's attempt is recorded on its own")
    }

    @Test("a batch answered 500 once: every delivery in it is retried on its own and finally succeeds once; one failed request is one failure")
    func failingBatch() throws {
        let h = try Harness("batchfail")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Bulk", "url": "\#(h.receiver.baseURL)/fail-nth/1/1/bulk", "events": ["order.created"],
             "batch": {"max_events": 10, "max_wait_ms": 300}, "retry": {"max_retries": 5, "backoff": "fixed", "intervals_s": [1]},
             "pause_after_failures": 3}
            """#)
        let ids = try Self.route(h, count: 10, label: "batchfail")
        try h.startWorker()
        try h.waitUntil("all delivered", timeout: .seconds(30)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 10
        }
        let requests = try h.receiver.requests()
        let failed = Set(requests.filter { $0.status == 500 }.flatMap { Self.eventIDs($0) ?? [] })
        let delivered = requests.filter { $0.status == 200 }.flatMap { Self.eventIDs($0) ?? [] }
        #expect(requests.filter { $0.status == 500 }.count == 1)
        #expect(!failed.isEmpty)
        #expect(delivered.sorted() == ids.sorted(), "every event delivered exactly once")
        #expect(requests.allSatisfy { $0.verified == true })
        for id in ids {
            let attempts = failed.contains(id) ? 2 : 1
            #expect(try h.count("""
                SELECT count(*) FROM deliveries d WHERE d.event_id = $1 AND d.attempts = $2
                   AND (SELECT count(*) FROM delivery_attempts a WHERE a.delivery_id = d.id) = $2
                """, [id, attempts]) == 1, "\(id): \(attempts) attempt(s), each recorded")
        }
        #expect(try h.count("SELECT count(*) FROM delivery_attempts WHERE status_code = 500") == failed.count)
        #expect(try h.scalar("SELECT status FROM webhooks") == "active", "pause_after_failures 3 counts requests, not the deliveries in them")
    }

    @Test("stopping while deliveries wait for their batch: nothing sent, no attempt spent, their jobs queued again")
    func handBackOnStop() throws {
        let h = try Harness("batchstop")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Bulk", "url": "\#(h.receiver.baseURL)/ok/bulk", "events": ["order.created"],
             "batch": {"max_events": 10, "max_wait_ms": 60000}}
            """#)
        _ = try Self.route(h, count: 3, label: "batchstop")
        try h.startWorker()
        try h.waitUntil("claimed and waiting for the batch") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'in_flight'") == 3 }
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE lease_until > now() + interval '60 seconds'") == 3,
                "the claim's lease covers the wait for the batch")
        h.stopServices()
        #expect(try h.receiver.requests().isEmpty)
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE state = 'retrying' AND attempts = 0") == 3)
        #expect(try h.count("SELECT count(*) FROM delivery_attempts") == 0)
        try h.waitUntil("their jobs are queued again") { try h.queueDepth(h.configuration.topology.deliverQueue) == 3 }
    }

    @Test("the batch setting is stored, read back, patched away; the database refuses out-of-bounds values")
    func stored() throws {
        let h = try Harness("batchstore")
        let created = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Bulk", "url": "\#(h.receiver.baseURL)/ok/bulk", "events": ["order.created"],
             "batch": {"max_events": 25}}
            """#)
        let store = try WebhookStore(connection: h.database, masterKey: h.configuration.masterKey)
        var doc = try store.document(id: created.id)
        #expect(doc.batch == WebhookDocument.Batch(maxEvents: 25, maxWaitMs: BatchSettings.defaultMaxWaitMilliseconds))
        #expect(try doc.makeWebhook().batch == BatchSettings(maxEvents: 25, maxWaitMilliseconds: 1000))
        doc.batch = nil
        try store.update(doc)
        #expect(try store.document(id: created.id).batch == nil)
        #expect(throws: (any Error).self) {
            try h.database.execute("UPDATE webhooks SET batch_max_events = 1, batch_max_wait_ms = 0 WHERE id = $1", [created.id])
        }
    }
}
