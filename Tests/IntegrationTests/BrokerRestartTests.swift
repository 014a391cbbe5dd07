import Foundation
import Herald
import HeraldTestSupport
import Testing

/// Restarts the shared RabbitMQ: run on its own (`make test` runs this suite after the others).
@Suite("BrokerRestart", .serialized)
struct BrokerRestartTests {
    @Test("a broker restart mid-stream loses no delivery; /readyz of router and worker is 503 while the broker is away, 200 after")
    func brokerRestartLosesNothing() throws {
        let h = try Harness("restart")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/sleep/20/x", "events": ["order.created"]}
            """#)
        // The ops listeners, as Kubernetes probes them (the restart below is the only one: no extra broker stop).
        let base = OperationsTests.withListener(h)
        let router = try OpsScrape(try h.startRouter(base: base))
        let worker = try OpsScrape(try h.startWorker {
            $0.base = base
            $0.reconcileGraceSeconds = 2
            $0.reconcileInterval = .seconds(1)
        })
        let events = try (0..<1000).map { _ in try Harness.event(data: PipelineTests.order) }
        try h.publish(Array(events[0..<500]))
        try h.waitUntil("deliveries under way") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") > 50 }
        #expect(try router.get("/readyz").status == 200 && worker.get("/readyz").status == 200)
        let probe = ReadinessProbe(router, worker)
        let restart = Process()
        restart.executableURL = URL(fileURLWithPath: Harness.packageRoot.appendingPathComponent("deploy/services.sh").path)
        restart.arguments = ["restart-rabbitmq"]
        try restart.run()
        restart.waitUntilExit()
        #expect(restart.terminationStatus == 0)
        try h.waitUntil("both ready again", timeout: .seconds(60)) {
            try router.get("/readyz").status == 200 && worker.get("/readyz").status == 200
        }
        let seen = probe.finish()
        #expect(seen.router, "the router's /readyz said 503 while the broker was away")
        #expect(seen.worker, "the worker's /readyz said 503 while the broker was away")
        #expect(try worker.get("/healthz").status == 200)   // alive throughout: nothing to restart
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

/// Polls /readyz of two processes on a thread of its own and remembers whether each said 503.
final class ReadinessProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var unready = (router: false, worker: false)
    private var done = false
    private let router: OpsScrape
    private let worker: OpsScrape

    init(_ router: OpsScrape, _ worker: OpsScrape) {
        self.router = router
        self.worker = worker
        Thread { [self] in poll() }.start()
    }

    private func poll() {
        while !lock.withLock({ done }) {
            let r = (try? router.get("/readyz").status) ?? 0, w = (try? worker.get("/readyz").status) ?? 0
            lock.withLock {
                if r == 503 { unready.router = true }
                if w == 503 { unready.worker = true }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func finish() -> (router: Bool, worker: Bool) {
        lock.withLock {
            done = true
            return unready
        }
    }
}
