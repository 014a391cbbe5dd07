import AMQP
import Foundation
import Herald
import HeraldCore
import Testing

/// Sharded routing (HERALD_ROUTER_SHARDS): events hashed by tenant over shard queues, each with a
/// single active consumer, shared by several routers; a standby takes over when a router dies.
@Suite("Sharded routing")
struct ShardedRoutingTests {
    func consumers() throws -> [(queue: String, active: Bool, tag: String)] {
        let process = Process()
        process.executableURL = Harness.packageRoot.appendingPathComponent("deploy/services.sh")
        process.arguments = ["consumers"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // rabbitmqctl orders the columns its own way: read them by the header.
        let lines = text.split(separator: "\n").map { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init) }
        guard let header = lines.first, let q = header.firstIndex(of: "queue_name"), let a = header.firstIndex(of: "active"),
              let t = header.firstIndex(of: "consumer_tag") else { return [] }
        return lines.dropFirst().compactMap { parts in
            parts.count > max(q, a, t) ? (parts[q], parts[a] == "true", parts[t]) : nil
        }
    }

    @Test("8 shards, 2 routers: the shards spread 4 and 4, every event once and each tenant's in order through the hand-overs, one router per shard at a time, the standby takes over after kill -9")
    func shards() throws {
        let h = try Harness("shards", environment: ["HERALD_ROUTER_SHARDS": "8", "HERALD_ROUTER_REBALANCE_S": "1"])
        // FIFO webhooks: the receiver then sees each tenant's events in the order the router recorded them.
        for t in 0..<8 {
            _ = try h.createWebhook(#"{"tenant": "t\#(t)", "name": "W\#(t)", "url": "\#(h.receiver.baseURL)/ok/t\#(t)", "events": ["order.*"], "ordering": "fifo"}"#)
        }
        let first = try h.launch("herald-router")
        let second = try h.launch("herald-router")
        try h.startWorker()
        let names = h.configuration.topology
        try h.waitUntil("both routers consume every shard") {
            let c = try consumers().filter { $0.queue.hasPrefix(names.prefix + "herald.router.shard.") }
            return c.count == 16
        }
        for shard in 0..<8 {
            let c = try consumers().filter { $0.queue == names.routerShardQueue(shard) }
            #expect(c.filter(\.active).count == 1, "shard \(shard): one active consumer of \(c.count)")
        }
        func publish(_ range: Range<Int>) throws {
            try h.publish(try range.map { i in try Harness.event("order.updated", tenant: "t\(i % 8)", data: ["order": ["n": .number(JSONNumber(i))]], id: "evt_\(i)") })
        }
        try publish(0..<200)
        try h.waitUntil("200 deliveries") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 200 }
        // The first router to subscribe was active on every shard; the two now share them, 4 each
        // (HERALD_ROUTER_REBALANCE_S=1 here), and the events keep flowing meanwhile.
        var spread: [String: Int] = [:]
        var published = 200
        var spreading = 0
        try h.waitUntil("the shards spread over both routers", timeout: .seconds(60)) {
            // Events of 64 tenants without webhooks (parked as unknown): traffic on every shard.
            // and the FIFO tenants' events go on through the hand-overs (their order is checked below).
            try h.publish(try (0..<64).map { i in try Harness.event("order.updated", tenant: "x\(i)", data: [:], id: "spread_\(spreading)_\(i)") })
            spreading += 1
            try publish(published..<(published + 16))
            published += 16
            let active = try consumers().filter { $0.queue.hasPrefix(names.prefix + "herald.router.shard.") && $0.active }
            spread = Dictionary(grouping: active, by: { String($0.tag.split(separator: "/").first ?? "") }).mapValues(\.count)
            return active.count == 8 && spread.count == 2 && spread.values.allSatisfy { $0 == 4 }
        }
        try h.waitUntil("\(published) deliveries") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == published }
        // A router dies: its shards' standby consumers (the other router) take over.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        try h.waitUntil("the survivor is active on every shard") {
            let c = try consumers().filter { $0.queue.hasPrefix(names.prefix + "herald.router.shard.") }
            return c.count == 8 && c.allSatisfy(\.active)
        }
        try publish(published..<(published + 100))
        published += 100
        try h.waitUntil("\(published) deliveries", timeout: .seconds(120)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == published
        }
        #expect(try h.count("SELECT count(*) FROM events") == published)
        #expect(try h.receiver.requests().count == published)
        #expect(try h.queueDepth(names.routerQueue) == 0, "the unsharded queue is not bound any more")
        // Per tenant, the receiver saw the events in publish order.
        var seen: [String: [Int]] = [:]
        for request in try h.receiver.requests() {
            guard let event = try? JSONValue(parsing: request.body), let tenant = event["tenant"]?.stringValue,
                  let n = event["data"]?["order"]?["n"]?.intValue else { continue }
            seen[tenant, default: []].append(n)
        }
        #expect(seen.count == 8)
        for (tenant, numbers) in seen { #expect(numbers == numbers.sorted(), "tenant \(tenant) out of order: \(numbers)") }
        _ = second
    }

    @Test("4 delivery shards: each webhook's jobs in one shard, spread over the shards, all delivered; a retry comes back through the single queue")
    func deliveryShards() throws {
        let h = try Harness("dshards", environment: ["HERALD_DELIVERY_SHARDS": "4"])
        var hooks: [String] = []
        for w in 0..<8 {
            hooks.append(try h.createWebhook(#"{"tenant": "acme", "name": "W\#(w)", "url": "\#(h.receiver.baseURL)/ok/w\#(w)", "events": ["order.created"]}"#).id)
        }
        let flaky = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Flaky", "url": "\#(h.receiver.baseURL)/fail/1/flaky", "events": ["order.created"],
             "retry": {"max_retries": 3, "backoff": "custom", "intervals_s": [1]}}
            """#)
        let names = h.configuration.topology
        #expect(names.deliverQueues.count == 5)
        // The router alone first: the jobs wait in the shards, each webhook's in its own.
        try h.startRouter()
        try h.publish(try (0..<10).map { _ in try Harness.event(data: ["order": ["id": "S"]]) })
        try h.waitUntil("90 jobs in the shards") { try (0..<4).map { try h.queueDepth(names.deliverShardQueue($0)) }.reduce(0, +) == 90 }
        let settled = try (0..<4).map { try h.queueDepth(names.deliverShardQueue($0)) }
        #expect(settled.filter { $0 > 0 }.count >= 2, "jobs spread over the shards: \(settled)")
        #expect(settled.allSatisfy { $0 % 10 == 0 }, "each webhook's 10 jobs in one shard: \(settled)")
        #expect(try h.queueDepth(names.deliverQueue) == 0)
        #expect(Set((hooks + [flaky.id]).map { names.deliverRoutingKey(webhookID: $0) }).isSubset(of: (0..<4).map { "deliver.\($0)" }))
        try h.startWorker()
        try h.waitUntil("every delivery final") {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 90
        }
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND attempts = 2", [flaky.id]) == 10)
        #expect(try h.receiver.requests().count == 100)   // 90 first attempts, 10 retries
        for shard in 0..<4 { #expect(try h.queueDepth(names.deliverShardQueue(shard)) == 0) }
    }

    @Test("a list of broker URLs: a node that does not answer is skipped, and the pipeline runs on the next")
    func brokerList() throws {
        let down = "amqp://guest:guest@127.0.0.1:1/%2F"
        let h = try Harness("nodes", environment: ["HERALD_AMQP_URL": "\(down), \(Harness.amqpURL)"])
        _ = try h.createWebhook(#"{"tenant": "acme", "name": "W", "url": "\#(h.receiver.baseURL)/ok/n", "events": ["order.*"]}"#)
        try h.startRouter()
        try h.startWorker()
        try h.publish(try (0..<10).map { _ in try Harness.event(data: ["order": ["id": "N"]]) })
        try h.waitUntil("10 deliveries through the second node") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 10 }
        // Only unreachable nodes: the error names each one, without credentials.
        do {
            _ = try AMQPConnection.connect(anyOf: "\(down),amqp://guest:guest@127.0.0.1:2/%2F", connectionName: "test")
            Issue.record("connected to nothing")
        } catch {
            #expect(error.message.contains("127.0.0.1:1") && error.message.contains("127.0.0.1:2") && !error.message.contains("guest"))
        }
    }
}
