import Foundation
@testable import Herald
import Testing

@Suite("Operations configuration")
struct OperationsConfigurationTests {
    static let dev = ["HERALD_DEVELOPMENT": "true"]

    @Test("HERALD_METRICS_ADDR: on by default for router and worker (taken ports only warn), off for the rest, explicit ones required")
    func metricsAddress() throws {
        #expect(try HeraldConfiguration(environment: Self.dev, component: "router").metricsAddress
                == MetricsAddress(host: "127.0.0.1", port: 9464, required: false))
        #expect(try HeraldConfiguration(environment: Self.dev, component: "worker").metricsAddress?.port == 9465)
        #expect(try HeraldConfiguration(environment: Self.dev, component: "heraldctl").metricsAddress == nil)
        let set = try HeraldConfiguration(environment: Self.dev.merging(["HERALD_METRICS_ADDR": "0.0.0.0:9500"]) { $1 }, component: "router")
        #expect(set.metricsAddress == MetricsAddress(host: "0.0.0.0", port: 9500, required: true))
        #expect(try MetricsAddress.parse("[::1]:9464", required: true)?.host == "::1")
        #expect(try MetricsAddress.parse("off", required: true) == nil)
        for bad in ["9464", ":9464", "host:", "host:70000", "a b:1"] {
            #expect(throws: ConfigurationError.self) { try MetricsAddress.parse(bad, required: true) }
        }
        #expect(throws: ConfigurationError.self) {
            try HeraldConfiguration(environment: Self.dev.merging(["HERALD_METRICS_WEBHOOKS": (0...100).map { "wh_\($0)" }.joined(separator: ",")]) { $1 },
                                    component: "worker")
        }
    }

    @Test("OTLP: off without an endpoint; the traces URL, headers and service name from the standard variables; http/json only")
    func otlp() throws {
        #expect(try OTLPConfiguration.from([:], component: "worker") == nil)
        let base = try #require(try OTLPConfiguration.from(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/",
                                                            "OTEL_EXPORTER_OTLP_HEADERS": "api-key=s3cret,x-team=ops"], component: "worker"))
        #expect(base.tracesURL == "http://collector:4318/v1/traces")
        #expect(base.headers == ["api-key": "s3cret", "x-team": "ops"])
        #expect(base.serviceName == "herald-worker")
        let full = try OTLPConfiguration.from(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://x/traces", "OTEL_SERVICE_NAME": "erp-hooks"],
                                              component: "router")
        #expect(full?.tracesURL == "https://x/traces" && full?.serviceName == "erp-hooks")
        #expect(throws: ConfigurationError.self) {
            try OTLPConfiguration.from(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"], component: "worker")
        }
        #expect(throws: ConfigurationError.self) { try OTLPConfiguration.from(["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"], component: "worker") }
    }

    @Test("the ops listener answers GET /metrics, /healthz, /readyz (503 until a loop is ready) and nothing else")
    func listenerAnswers() throws {
        let telemetry = ProcessTelemetry()
        let listener = OpsListener(address: MetricsAddress(host: "127.0.0.1", port: 0, required: true), telemetry: telemetry,
                                   logger: .init(label: "test"))
        #expect(listener.respond(to: ("GET", "/healthz")).status == "200 OK")
        #expect(listener.respond(to: ("GET", "/readyz")).status.hasPrefix("503"))
        let health = telemetry.health("worker")
        health.update(broker: true, database: true, consuming: true)
        #expect(listener.respond(to: ("GET", "/readyz?verbose")).status == "200 OK")
        health.update(broker: false, database: true, consuming: true)
        #expect(listener.respond(to: ("GET", "/readyz")).body.contains(#""broker":false"#))
        #expect(listener.respond(to: ("GET", "/metrics")).body.contains("herald_events_routed_total"))
        #expect(listener.respond(to: ("POST", "/metrics")).status.hasPrefix("405"))
        #expect(listener.respond(to: ("GET", "/admin")).status.hasPrefix("404"))
        #expect(listener.respond(to: nil).status.hasPrefix("400"))
        #expect(OpsListener.requestLine(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))?.path == "/metrics")
        #expect(OpsListener.requestLine(Array("GET metrics\r\n".utf8)) == nil)
    }
}
