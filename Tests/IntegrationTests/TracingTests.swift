import AMQP
import Foundation
import Herald
import HeraldCore
import HeraldTestSupport
import Testing

/// W3C trace context from the ERP to the partner: the trace id published with an event is the one
/// the receiver sees, and each attempt's span is recorded with it.
@Suite("Tracing", .serialized)
struct TracingTests {
    @Test("a traceparent published with an event arrives at the receiver with the same trace id")
    func traceparentFromAMQP() throws {
        let h = try Harness("trace")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/fail/1/orders", "events": ["order.created"],
             "retry": {"max_retries": 3, "backoff": "custom", "intervals_s": [1]}}
            """#)
        try h.startRouter()
        try h.startWorker()
        let sent = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let connection = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        defer { connection.close() }
        try EventPublisher(connection: connection, exchange: h.configuration.topology.eventsExchange)
            .publish([try Harness.event(data: PipelineTests.order)], trace: sent)
        try h.waitUntil("two attempts (one failed, one succeeded)") { try h.receiver.requests().count == 2 }
        let received = try h.receiver.requests().compactMap { $0.headers["traceparent"].flatMap(TraceContext.init(traceparent:)) }
        #expect(received.count == 2)
        #expect(received.allSatisfy { $0.traceID == sent.traceID && $0.spanID != sent.spanID && $0.sampled })
        #expect(Set(received.map(\.spanID)).count == 2)   // each attempt its own span
        try h.waitUntil("succeeded") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 1 }
        let recorded = try h.database.query("SELECT traceparent FROM delivery_attempts ORDER BY attempt").compactMap { $0[0].text }
        #expect(Set(recorded) == Set(received.map(\.traceparent)))
        let routing = try #require(try h.scalar("SELECT traceparent FROM deliveries").flatMap(TraceContext.init(traceparent:)))
        #expect(routing.traceID == sent.traceID)
    }

    @Test("an event without a trace gets one; the HTTP ingest's traceparent header is carried")
    func traceparentFromHTTPIngest() throws {
        let h = try Harness("traceapi")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/orders", "events": ["order.created"]}
            """#)
        try h.startRouter()
        try h.startWorker()
        let api = try APIProcess(h)
        defer { api.stop() }
        let token = try APIProcess.token(h, tenant: "acme").secret
        let sent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let reply = try api.call("POST", "/api/v1/events", token: token, body: #"{"type": "order.created", "data": {"order": {"id": "T-1"}}}"#,
                                 headers: ["traceparent": sent])
        #expect(reply.status == 202)
        try h.publish([try Harness.event(data: PipelineTests.order)])   // no trace: a new one
        try h.waitUntil("both delivered") { try h.receiver.requests().count == 2 }
        let traces = try h.receiver.requests().compactMap { $0.headers["traceparent"].flatMap(TraceContext.init(traceparent:)) }
        #expect(traces.count == 2)
        #expect(traces.contains { $0.traceID == "0af7651916cd43dd8448eb211c80319c" })
        #expect(traces.contains { $0.traceID != "0af7651916cd43dd8448eb211c80319c" })
    }

    @Test("with OTEL_EXPORTER_OTLP_ENDPOINT set, the routing and each attempt are exported as spans of the event's trace")
    func spansExported() throws {
        let h = try Harness("otlp")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Orders", "url": "\#(h.receiver.baseURL)/ok/orders", "events": ["order.created"]}
            """#)
        var base = h.configuration
        base.otlp = try OTLPConfiguration.from(["OTEL_EXPORTER_OTLP_ENDPOINT": "\(h.receiver.baseURL)/ok/collector"], component: "test")
        try h.startRouter(base: base)
        try h.startWorker { $0.base = base }
        let sent = try #require(TraceContext(traceparent: "00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let connection = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        defer { connection.close() }
        try EventPublisher(connection: connection, exchange: h.configuration.topology.eventsExchange)
            .publish([try Harness.event(data: PipelineTests.order)], trace: sent)
        func spans() throws -> [JSONValue] {
            try h.receiver.requests().filter { $0.path == "/ok/collector/v1/traces" }.flatMap { request -> [JSONValue] in
                let json = try JSONValue(parsing: Array(request.body.utf8))
                return (json["resourceSpans"]?.arrayValue ?? []).flatMap { ($0["scopeSpans"]?.arrayValue ?? []).flatMap { $0["spans"]?.arrayValue ?? [] } }
            }
        }
        try h.waitUntil("both spans exported", timeout: .seconds(15)) { try spans().count >= 2 }
        let all = try spans()
        let route = try #require(all.first { $0["name"]?.stringValue == "herald.route" })
        let deliver = try #require(all.first { $0["name"]?.stringValue == "herald.deliver" })
        #expect(route["traceId"]?.stringValue == sent.traceID && deliver["traceId"]?.stringValue == sent.traceID)
        #expect(route["parentSpanId"]?.stringValue == sent.spanID)
        #expect(deliver["parentSpanId"]?.stringValue == route["spanId"]?.stringValue)
        let header = try #require(try h.receiver.requests().first { $0.path == "/ok/orders" }?.headers["traceparent"])
        #expect(TraceContext(traceparent: header)?.spanID == deliver["spanId"]?.stringValue)
    }
}
