import Foundation
import Herald
import HeraldTestSupport
import Testing

/// What an operator's Prometheus and Kubernetes see: `/metrics`, `/healthz`, `/readyz` of a running
/// router and worker, scraped over HTTP.
@Suite("Operations", .serialized)
struct OperationsTests {
    /// The harness's settings with an ops listener on a free port.
    static func withListener(_ h: Harness) -> HeraldConfiguration {
        var base = h.configuration
        base.metricsAddress = MetricsAddress(host: "127.0.0.1", port: 0, required: true)
        return base
    }

    @Test("metrics scraped from router and worker count a known run exactly")
    func metricsCountAKnownRun() throws {
        let h = try Harness("metrics")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/orders", "events": ["order.*"]}
            """#)
        let base = Self.withListener(h)
        var labelled = base
        labelled.metricsWebhooks = [webhook.id]
        let router = try OpsScrape(try h.startRouter(base: base))
        let worker = try OpsScrape(try h.startWorker { $0.base = labelled })
        let n = 250
        try h.publish(try (0..<n).map { _ in try Harness.event(data: PipelineTests.order) })
        try h.publishRaw("{not json", routingKey: "order.created")
        try h.publish([try Harness.event(tenant: "nobody", data: PipelineTests.order)])
        try h.waitUntil("the worker's metrics show \(n) delivered") {
            try worker.value(#"herald_delivery_outcomes_total{outcome="succeeded"}"#) == Double(n)
        }
        let routed = try router.get("/metrics").text
        #expect(OpsScrape.value("herald_events_received_total", in: routed) == Double(n + 2))
        #expect(OpsScrape.value("herald_events_routed_total", in: routed) == Double(n))
        #expect(OpsScrape.value("herald_deliveries_created_total", in: routed) == Double(n))
        #expect(OpsScrape.value(#"herald_events_invalid_total{reason="malformed"}"#, in: routed) == 1)
        #expect(OpsScrape.value(#"herald_events_invalid_total{reason="unknown_tenant"}"#, in: routed) == 1)
        #expect(routed.contains("herald_router_transaction_seconds_bucket"))
        let delivered = try worker.get("/metrics").text
        #expect(OpsScrape.value(#"herald_attempts_total{status_class="2xx"}"#, in: delivered) == Double(n))
        #expect(OpsScrape.value(#"herald_delivery_outcomes_total{outcome="retry"}"#, in: delivered) ?? 0 == 0)
        #expect(OpsScrape.value(#"herald_webhook_attempts_total{webhook_id="\#(webhook.id)",outcome="succeeded"}"#, in: delivered) == Double(n))
        #expect(OpsScrape.value("herald_http_request_duration_seconds_count", in: delivered) == Double(n))
        #expect(OpsScrape.value("herald_delivery_latency_seconds_count", in: delivered) == Double(n))
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == n)
        // Queue depths come from the broker: the sampler reports every queue it knows.
        try h.waitUntil("queue depths sampled") { try worker.value(#"herald_queue_messages{queue="herald.deliver"}"#) != nil }
        #expect(try router.get("/healthz").status == 200)
        let ready = try worker.get("/readyz")
        #expect(ready.status == 200)
        #expect(ready.text.contains(#""ready":true"#))
    }

    @Test("a process with the listener turned off serves nothing, and the API serves /metrics")
    func listenerOff() throws {
        let h = try Harness("metricsoff")
        let group = try h.startRouter()
        #expect(group.ops == nil)
        let api = try APIProcess(h)
        defer { api.stop() }
        let metrics = try api.call("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("herald_api_events_ingested_total"))
    }

    @Test("endpoint health from recent attempts: healthy, failing with the last error and since when, paused; in heraldctl and the API")
    func endpointHealth() throws {
        let h = try Harness("health")
        let good = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Good", "url": "\#(h.receiver.baseURL)/ok/good", "events": ["order.created"]}
            """#)
        let bad = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Bad", "url": "\#(h.receiver.baseURL)/status/503", "events": ["order.created"],
             "pause_after_failures": 0, "retry": {"max_retries": 0}}
            """#)
        let idle = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Idle", "url": "\#(h.receiver.baseURL)/ok/idle", "events": ["invoice.created"]}
            """#)
        try h.startRouter()
        try h.startWorker()
        try h.publish(try (0..<6).map { _ in try Harness.event(data: PipelineTests.order) })
        try h.waitUntil("all 12 deliveries final") {
            try h.count("SELECT count(*) FROM deliveries WHERE state IN ('succeeded', 'failed')") == 12
        }
        #expect(try heraldctl(h, ["webhook", "pause", idle.id]).status == 0)
        let listed = try heraldctl(h, ["webhook", "list", "--json"])
        #expect(listed.status == 0, "\(listed.err)")
        let rows = try JSONValue(parsing: Array(listed.out.utf8))["data"]?.arrayValue ?? []
        func health(_ id: String) -> JSONValue? { rows.first { $0["id"]?.stringValue == id }?["health"] }
        #expect(health(good.id)?["state"]?.stringValue == "healthy")
        #expect(health(good.id)?["recent_attempts"]?.intValue == 6)
        #expect(health(bad.id)?["state"]?.stringValue == "failing")
        #expect(health(bad.id)?["recent_failures"]?.intValue == 6)
        #expect(health(bad.id)?["last_error"]?.stringValue?.contains("503") == true)
        #expect(health(bad.id)?["failing_since"]?.stringValue != nil)
        #expect(health(idle.id)?["state"]?.stringValue == "paused")
        let table = try heraldctl(h, ["webhook", "list"])
        #expect(table.out.contains("failing") && table.out.contains("healthy"))
        // The API's webhook detail carries the same report.
        let api = try APIProcess(h)
        defer { api.stop() }
        let token = try APIProcess.token(h, tenant: "acme").secret
        let detail = try api.call("GET", "/api/v1/webhooks/\(bad.id)", token: token)
        #expect(detail.json["health"]?["state"]?.stringValue == "failing")
        // Success again: the run of failures ends.
        try h.database.execute("UPDATE webhooks SET url = $1 WHERE id = $2", ["\(h.receiver.baseURL)/ok/bad", bad.id])
        Thread.sleep(forTimeInterval: 1.5)
        try h.publish([try Harness.event(data: PipelineTests.order)])
        try h.waitUntil("the bad endpoint answered 200") {
            try h.count("SELECT count(*) FROM delivery_attempts WHERE webhook_id = $1 AND succeeded", [bad.id]) == 1
        }
        let after = try api.call("GET", "/api/v1/webhooks/\(bad.id)", token: token)
        #expect((after.json["health"]?["failing_since"] ?? .null) == .null)
        #expect(after.json["health"]?["state"]?.stringValue == "degraded")   // 6 of the last 7 failed, none in a row
        #expect(after.json["consecutive_failures"]?.intValue == 0)
    }
}
