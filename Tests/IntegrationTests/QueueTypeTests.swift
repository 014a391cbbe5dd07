import Foundation
import Herald
import HeraldCore
import Testing

/// Quorum queues (HERALD_QUEUE_TYPE=quorum), and moving an installation from classic queues to
/// quorum queues with messages waiting.
@Suite("Queue types")
struct QueueTypeTests {
    func queueTypes() throws -> [String: String] {
        let process = Process()
        process.executableURL = Harness.packageRoot.appendingPathComponent("deploy/services.sh")
        process.arguments = ["queue-types"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if parts.count >= 2 { types[String(parts[0])] = String(parts[1]) }
        }
        return types
    }

    @Test("quorum queues: events routed, delivered, and retried through a quorum delay queue (at-least-once dead-lettering)")
    func quorumPipeline() throws {
        let h = try Harness("quorum", environment: ["HERALD_QUEUE_TYPE": "quorum"])
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Flaky", "url": "\#(h.receiver.baseURL)/fail/1/q", "events": ["order.created"],
             "retry": {"max_retries": 3, "backoff": "custom", "intervals_s": [1]}}
            """#)
        try h.startRouter()
        try h.startWorker()
        try h.publish(try (0..<5).map { _ in try Harness.event(data: ["order": ["id": "Q"]]) })
        try h.waitUntil("5 deliveries succeeded on the second attempt") {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded' AND attempts = 2") == 5
        }
        let names = h.configuration.topology
        let types = try queueTypes()
        #expect(types[names.routerQueue] == "quorum")
        #expect(types[names.deliverQueue] == "quorum")
        #expect(types[names.retryQueue(delaySeconds: 1)] == "quorum")
        #expect(types[names.with(queueType: .classic).deliverQueue] == nil, "no classic queue was declared")
    }

    @Test("heraldctl queues migrate --to quorum moves waiting messages; the quorum installation delivers them all")
    func migration() throws {
        let h = try Harness("qmigrate")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/m", "events": ["order.created"]}
            """#)
        try h.publish(try (0..<20).map { _ in try Harness.event(data: ["order": ["id": "M"]]) })   // no router yet: they wait
        let classic = h.configuration.topology
        #expect(try h.queueDepth(classic.routerQueue) == 20)
        let dry = try heraldctl(h, ["queues", "migrate", "--to", "quorum", "--dry-run"])
        #expect(dry.out.contains("\(classic.routerQueue) → \(classic.with(queueType: .quorum).routerQueue): 20 messages would move"), "\(dry.out)\(dry.err)")
        let run = try heraldctl(h, ["queues", "migrate", "--to", "quorum"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("20 messages moved"), "\(run.out)")
        let types = try queueTypes()
        #expect(types[classic.routerQueue] == nil, "the classic router queue is gone")
        let quorum = classic.with(queueType: .quorum)
        #expect(types[quorum.routerQueue] == "quorum")
        #expect(try h.queueDepth(quorum.routerQueue) == 20)
        // An event published now reaches the quorum queue only.
        try h.publish([try Harness.event(data: ["order": ["id": "late"]])])
        var base = h.configuration
        base.topology = quorum
        try h.startRouter(base: base)
        try h.startWorker { $0.base.topology = quorum }
        try h.waitUntil("21 deliveries") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 21 }
        #expect(try h.receiver.requests().count == 21)
    }
}
