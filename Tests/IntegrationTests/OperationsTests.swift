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
}
