import Foundation
import Herald
import HeraldTestSupport
import PostgresClient
import Testing

/// The ERP side and the safety nets: outbox relay, reconciler, the producer's input checks.
@Suite("Producer and recovery", .serialized)
struct ProducerTests {
    @Test("two outbox relays publish 1,000 rows, each event exactly once, and everything is delivered")
    func outboxRelays() throws {
        let h = try Harness("outbox")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.*"]}
            """#)
        var generator = EventGenerator(seed: 5, types: ["order.created"])
        let events = try (0..<1000).map { _ in try Event(envelope: generator.next()) }
        try h.database.transaction { c in
            for chunk in stride(from: 0, to: events.count, by: 250) {
                let slice = events[chunk..<min(chunk + 250, events.count)]
                try c.execute("INSERT INTO outbox (event_id, tenant_id, type, payload) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])",
                              [slice.map(\.id), slice.map(\.tenant), slice.map(\.type), slice.map { String(decoding: $0.raw, as: UTF8.self) }])
            }
            // One row that is not an event: parked, not lost, and it does not block the outbox.
            try c.execute("INSERT INTO outbox (event_id, tenant_id, type, payload) VALUES ('bad', 'acme', 'order.created', 'not json')")
        }
        try h.startRouter()
        try h.startWorker()
        let relay1 = try h.launch("herald-producer", arguments: ["relay", "--batch", "100"])
        let relay2 = try h.launch("herald-producer", arguments: ["relay", "--batch", "100"])
        try h.waitUntil("the outbox is empty") { try h.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0 }
        try h.waitUntil("1,000 deliveries succeeded", timeout: .seconds(60)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 1000
        }
        #expect(try h.count("SELECT count(*) FROM events") == 1000)
        #expect(try h.receiver.stats()["unique_succeeded"]?.intValue == 1000)
        try h.waitUntil("the bad row is parked") { try h.queueDepth(h.configuration.topology.invalidQueue) == 1 }
        for relay in [relay1, relay2] { kill(relay.processIdentifier, SIGTERM); relay.waitUntilExit(); #expect(relay.terminationStatus == 0) }
    }

    @Test("a delivery recorded but never published (router died before publishing) is found and sent by the reconciler")
    func reconcilerRepublishes() throws {
        let h = try Harness("reconcile")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        let event = try Harness.event(data: PipelineTests.order)
        let inserted = try DeliveryStore(connection: h.database).recordRouted(events: [event], deliveries: [NewDelivery(
            id: IDs.make("msg_"), tenantID: "acme", eventID: event.id, eventType: event.type, webhookID: webhook.id, state: .pending,
            payload: nil, payloadDeferred: false, note: nil)])
        #expect(inserted.count == 1)
        try h.startWorker(graceSeconds: 1, reconcileEvery: .milliseconds(300))
        try h.waitUntil("the reconciler republished it and it was delivered", timeout: .seconds(15)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 1
        }
        let request = try #require(try h.receiver.requests().first)
        #expect(request.body == String(decoding: event.raw, as: UTF8.self))
        #expect(request.verified == true)
    }

    @Test("herald-producer publish prints ids, and names the line of a bad event with a non-zero exit")
    func publishCommand() throws {
        let h = try Harness("publish")
        func publish(_ input: String) throws -> (status: Int32, out: String, err: String) {
            let binDir = Bundle.main.bundleURL.deletingLastPathComponent()
            var url = binDir.appendingPathComponent("herald-producer")
            if !FileManager.default.fileExists(atPath: url.path) { url = packageRoot.appendingPathComponent(".build/debug/herald-producer") }
            let process = Process()
            process.executableURL = url
            process.arguments = ["publish"]
            process.environment = h.environment()
            let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
            let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, out, err)
        }
        let good = try publish("""
            {"type": "order.created", "tenant": "acme", "occurred_at": "2026-01-22T15:30:00Z", "data": {"order": {"id": "o1"}}}
            {"id": "evt_given", "type": "order.updated", "tenant": "acme", "occurred_at": "2026-01-22T15:31:00Z", "data": {}}
            """)
        #expect(good.status == 0)
        let ids = good.out.split(separator: "\n")
        #expect(ids.count == 2)
        #expect(ids.first?.hasPrefix("evt_") == true)
        #expect(ids.last == "evt_given")
        let bad = try publish("""
            {"type": "order.created", "tenant": "acme", "occurred_at": "2026-01-22T15:30:00Z", "data": {}}

            {"type": "order.created", "tenant": "acme", "data": {}}
            """)
        #expect(bad.status != 0)
        #expect(bad.err.contains("stdin line 3") && bad.err.contains("occurred_at"), "\(bad.err)")
        #expect(try h.queueDepth(h.configuration.topology.routerQueue) == 2, "nothing of the bad input was published")
    }
}
