import AMQP
import Foundation
import Herald
import HeraldTestSupport
import Testing

/// The pipeline end to end against real RabbitMQ, PostgreSQL and an HTTP receiver on 127.0.0.1.
@Suite("Pipeline", .serialized)
struct PipelineTests {
    static let order: JSONValue = [
        "order": ["id": "ord_1", "number": "SO-2026-0001", "total": 150.0, "subtotal": 130.0, "tax": 10.0, "shipping": 10.0,
                  "source": "Online", "ship_method": "Express", "status": "confirmed",
                  "items": [["sku": "SKU-1", "name": "Widget", "quantity": 2, "price": 65.0, "total": 130.0]]],
        "customer": ["id": "cus_1", "name": "Ada Lovelace", "email": "ada@example.com"],
    ]

    @Test("an event arrives with its body, headers and a signature that verifies")
    func deliversSigned() throws {
        let h = try Harness("signed")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/orders", "events": ["order.*"],
             "headers": {"X-Source": "herald-test"}, "auth": {"type": "bearer", "token": "tok-123"}}
            """#)
        try h.startRouter()
        try h.startWorker()
        let event = try Harness.event(data: Self.order)
        try h.publish([event])
        try h.waitUntil("the receiver got one request") { try h.receiver.requests().count == 1 }
        let request = try #require(try h.receiver.requests().first)
        #expect(request.method == "POST")
        #expect(request.path == "/ok/orders")
        #expect(request.body == String(decoding: event.raw, as: UTF8.self))
        #expect(request.verified == true)
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["x-source"] == "herald-test")
        #expect(request.headers["authorization"] == "Bearer tok-123")
        #expect(request.headers["user-agent"]?.hasPrefix("Herald/") == true)
        let messageID = try #require(request.headers["webhook-id"])
        #expect(messageID.hasPrefix("msg_"))
        #expect(WebhookSigner.verifyStandard(secret: webhook.secret, messageID: messageID, timestamp: request.headers["webhook-timestamp"] ?? "",
                                             body: Array(request.body.utf8), signatureHeader: request.headers["webhook-signature"] ?? ""))
        try h.waitUntil("the delivery is recorded as succeeded") {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded' AND id = $1", [messageID]) == 1
        }
        #expect(try h.count("SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1 AND status_code = 200", [messageID]) == 1)
        #expect(try h.scalar("SELECT request_headers FROM delivery_attempts WHERE delivery_id = $1", [messageID])?.contains("tok-123") == false)
    }

    @Test("an endpoint failing twice then succeeding gets three attempts at the configured intervals")
    func retriesOnSchedule() throws {
        let h = try Harness("retry")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Flaky", "url": "\#(h.receiver.baseURL)/fail/2/x", "events": ["order.created"],
             "retry": {"max_retries": 5, "backoff": "custom", "intervals_s": [1, 2]}}
            """#)
        try h.startRouter()
        try h.startWorker()
        try h.publish([try Harness.event(data: Self.order)])
        try h.waitUntil("the delivery succeeded", timeout: .seconds(30)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 1
        }
        let requests = try h.receiver.requests()
        #expect(requests.map(\.status) == [500, 500, 200])
        #expect(Set(requests.map { $0.headers["webhook-id"] ?? "" }).count == 1, "webhook-id is stable across retries")
        if requests.count == 3 {
            let gap1 = requests[1].at - requests[0].at
            let gap2 = requests[2].at - requests[1].at
            #expect(gap1 >= 0.9 && gap1 < 3, "first retry after ~1 s, was \(gap1)")
            #expect(gap2 >= 1.9 && gap2 < 4, "second retry after ~2 s, was \(gap2)")
        }
        #expect(try h.count("SELECT count(*) FROM delivery_attempts") == 3)
        #expect(try h.count("SELECT attempts FROM deliveries") == 3)
    }

    @Test("an exhausted delivery lands in herald.dead and is marked failed")
    func exhaustedGoesToDead() throws {
        let h = try Harness("dead")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Down", "url": "\#(h.receiver.baseURL)/status/503/x", "events": ["order.created"],
             "retry": {"max_retries": 2, "backoff": "fixed", "intervals_s": [1]}}
            """#)
        try h.startRouter()
        try h.startWorker()
        try h.publish([try Harness.event(data: Self.order)])
        try h.waitUntil("the delivery failed", timeout: .seconds(30)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'failed'") == 1
        }
        #expect(try h.count("SELECT count(*) FROM delivery_attempts") == 3)
        try h.waitUntil("the dead-letter queue holds it") { try h.queueDepth(h.configuration.topology.deadQueue) == 1 }
        let parked = try h.take(from: h.configuration.topology.deadQueue, max: 1)
        let reason = parked.first?.properties.headers["x-herald-reason"]
        #expect(reason == .string("HTTP 503 (attempt 3, retries exhausted)"), "the reason says why it was given up")
    }

    @Test("an unsubscribed type produces no delivery; the same event twice gives one delivery")
    func subscriptionAndIdempotency() throws {
        let h = try Harness("idem")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        try h.startRouter()
        try h.startWorker()
        let event = try Harness.event(data: Self.order)
        let other = try Harness.event("invoice.created", data: ["invoice": ["id": "inv_1"]])
        try h.publish([event, other, event])
        try h.waitUntil("both events recorded") { try h.count("SELECT count(*) FROM events") == 2 }
        try h.waitUntil("one delivery succeeded") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 1 }
        try h.publish([event])
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try h.count("SELECT count(*) FROM deliveries") == 1)
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE event_type = 'invoice.created'") == 0)
        #expect(try h.receiver.requests().count == 1)
    }

    @Test("a malformed message lands in herald.invalid with its reason while valid ones around it are delivered")
    func malformedIsParked() throws {
        let h = try Harness("invalid")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "All", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["*"]}
            """#)
        try h.startRouter()
        try h.startWorker()
        try h.publish([try Harness.event(data: Self.order)])
        try h.publishRaw("this is not json", routingKey: "order.created")
        try h.publishRaw(#"{"id": "evt_x", "type": "order.created", "tenant": "acme", "data": {}}"#, routingKey: "order.created")
        try h.publishRaw(#"{"id": "evt_y", "type": "order.created", "tenant": "nobody", "occurred_at": "2026-01-22T15:30:00Z", "data": {}}"#, routingKey: "order.created")
        try h.publish([try Harness.event(data: Self.order)])
        try h.waitUntil("two deliveries succeeded") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 2 }
        try h.waitUntil("three messages parked") { try h.queueDepth(h.configuration.topology.invalidQueue) == 3 }
        let parked = try h.take(from: h.configuration.topology.invalidQueue, max: 3)
        let reasons = parked.compactMap { message -> String? in
            if case .string(let r)? = message.properties.headers["x-herald-reason"] { return r } else { return nil }
        }
        #expect(reasons.count == 3)
        #expect(reasons.contains { $0.contains("not JSON") })
        #expect(reasons.contains { $0.contains("occurred_at") && $0.contains("missing") })
        #expect(reasons.contains { $0.contains("tenant") && $0.contains("nobody") })
    }

    @Test("a paused webhook keeps its events; resuming delivers what waited")
    func pauseAndResume() throws {
        let h = try Harness("pause")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        let store = try WebhookStore(connection: h.database, masterKey: h.configuration.masterKey)
        try store.setStatus(id: webhook.id, status: .paused, reason: "test")
        try h.startRouter()
        try h.startWorker()
        try h.publish((0..<5).map { _ in try Harness.event(data: Self.order) })
        try h.waitUntil("five deliveries wait") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'paused'") == 5 }
        #expect(try h.receiver.requests().isEmpty)
        try store.setStatus(id: webhook.id, status: .active)
        let released = try DeliveryStore(connection: h.database).releasePaused(webhookID: webhook.id)
        let amqp = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        try JobMessages(names: h.configuration.topology).publishNow(released, on: amqp)
        amqp.close()
        try h.waitUntil("all five delivered") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 5 }
        #expect(try h.receiver.requests().count == 5)
    }

    @Test("a webhook change takes effect within a second")
    func reloadsOnNotify() throws {
        let h = try Harness("reload")
        try h.startRouter()
        try h.startWorker()
        Thread.sleep(forTimeInterval: 0.5)
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Late", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        Thread.sleep(forTimeInterval: 1.0)
        try h.publish([try Harness.event(data: Self.order)])
        try h.waitUntil("delivered to the new webhook", timeout: .seconds(10)) { try h.receiver.requests().count == 1 }
    }

    @Test("a worker killed with 500 deliveries in flight loses none after a restart")
    func workerKillLosesNothing() throws {
        let h = try Harness("kill")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Slow", "url": "\#(h.receiver.baseURL)/sleep/1500/x", "events": ["order.created"],
             "response_timeout_ms": 5000, "connect_timeout_ms": 1000}
            """#)
        try h.startRouter(batchSize: 500)
        let env = ["HERALD_WORKER_CONCURRENCY": "600", "HERALD_RECONCILE_GRACE_S": "1", "HERALD_RECONCILE_INTERVAL_MS": "500"]
        let worker = try h.launch("herald-worker", environment: env)
        try h.publish((0..<500).map { _ in try Harness.event(data: Self.order) })
        try h.waitUntil("500 deliveries in flight", timeout: .seconds(30)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'in_flight'") >= 450
        }
        kill(worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()
        _ = try h.launch("herald-worker", environment: env)
        try h.waitUntil("all 500 delivered", timeout: .seconds(60)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 500
        }
        let stats = try h.receiver.stats()
        #expect(stats["unique_succeeded"]?.intValue == 500)
        print("worker kill: receiver saw \(stats["succeeded"]?.intValue ?? 0) successful requests, \(stats["duplicates"]?.intValue ?? 0) duplicates (at least once)")
    }

    @Test("SIGTERM finishes in-flight deliveries and exits 0")
    func gracefulShutdown() throws {
        let h = try Harness("term")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Slow", "url": "\#(h.receiver.baseURL)/sleep/800/x", "events": ["order.created"]}
            """#)
        try h.startRouter()
        let worker = try h.launch("herald-worker")
        try h.publish((0..<50).map { _ in try Harness.event(data: Self.order) })
        try h.waitUntil("deliveries in flight") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'in_flight'") > 0 }
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE state = 'in_flight'") == 0)
        _ = try h.launch("herald-worker")
        try h.waitUntil("all 50 delivered", timeout: .seconds(30)) { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 50 }
    }
}
