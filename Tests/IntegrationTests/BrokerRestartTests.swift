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

    static func services(_ command: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.packageRoot.appendingPathComponent("deploy/services.sh").path)
        process.arguments = [command]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("/readyz of router and worker turns 503 while the broker is stopped and 200 after")
    func readinessFollowsTheBroker() throws {
        let h = try Harness("readyz")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"]}
            """#)
        let base = OperationsTests.withListener(h)
        let router = try OpsScrape(try h.startRouter(base: base))
        let worker = try OpsScrape(try h.startWorker { $0.base = base })
        try h.waitUntil("both ready") { try router.get("/readyz").status == 200 && worker.get("/readyz").status == 200 }
        #expect(try Self.services("rabbitmq-stop-app") == 0)
        defer { _ = try? Self.services("rabbitmq-start-app") }
        try h.waitUntil("both unready without the broker", timeout: .seconds(60)) {
            try router.get("/readyz").status == 503 && worker.get("/readyz").status == 503
        }
        #expect(try worker.get("/healthz").status == 200)   // alive all the same: no restart wanted
        #expect(try worker.get("/readyz").text.contains(#""broker":false"#))
        #expect(try Self.services("rabbitmq-start-app") == 0)
        try h.waitUntil("both ready again", timeout: .seconds(60)) {
            try router.get("/readyz").status == 200 && worker.get("/readyz").status == 200
        }
        try h.publish([try Harness.event(data: PipelineTests.order)])
        try h.waitUntil("delivered after the broker came back") { try h.receiver.requests().count == 1 }
    }
}
