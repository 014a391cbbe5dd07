import Foundation
import Herald
import HeraldTestSupport
import Testing

/// Restarts the shared RabbitMQ: run on its own (`make test` runs this suite after the others).
@Suite("BrokerRestart", .serialized)
struct BrokerRestartTests {
    @Test("a broker restart mid-stream loses no delivery")
    func brokerRestartLosesNothing() throws {
        let h = try Harness("restart")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/sleep/20/x", "events": ["order.created"]}
            """#)
        try h.startRouter()
        try h.startWorker(graceSeconds: 2, reconcileEvery: .seconds(1))
        let events = try (0..<1000).map { _ in try Harness.event(data: PipelineTests.order) }
        try h.publish(Array(events[0..<500]))
        try h.waitUntil("deliveries under way") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") > 50 }
        let restart = Process()
        restart.executableURL = URL(fileURLWithPath: Harness.packageRoot.appendingPathComponent("deploy/services.sh").path)
        restart.arguments = ["restart-rabbitmq"]
        try restart.run()
        restart.waitUntilExit()
        #expect(restart.terminationStatus == 0)
        try h.publish(Array(events[500...]))
        try h.waitUntil("all 1000 events recorded", timeout: .seconds(90)) { try h.count("SELECT count(*) FROM events") == 1000 }
        try h.waitUntil("all 1000 delivered", timeout: .seconds(90)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 1000
        }
        let stats = try h.receiver.stats()
        #expect(stats["unique_succeeded"]?.intValue == 1000)
        print("broker restart: \(stats["duplicates"]?.intValue ?? 0) duplicate deliveries (at least once)")
    }
}
