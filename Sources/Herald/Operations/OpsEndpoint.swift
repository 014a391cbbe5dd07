import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// The operations listener of a router or worker: `/metrics` (Prometheus text format), `/healthz`
/// (the process is alive) and `/readyz` (every loop connected to broker and database and
/// consuming; 503 otherwise). One more lifecycle service beside the thread-based ones.
public final class OpsEndpoint: Service, Sendable {
    public let address: MetricsAddress
    let telemetry: ProcessTelemetry
    let logger: Logger
    private let bound = Atomic<Int>(0)

    public init(address: MetricsAddress, telemetry: ProcessTelemetry, logger: Logger) {
        self.address = address
        self.telemetry = telemetry
        self.logger = logger
    }

    /// The port it listens on once running (useful with port 0), else 0.
    public var port: Int { bound.load(ordering: .acquiring) }

    public func run() async throws {
        let router = Hummingbird.Router()
        OpsEndpoint.addRoutes(to: router, telemetry: telemetry)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "herald-ops"),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? 0
                self.bound.store(port, ordering: .releasing)
                self.logger.info("metrics and health listening", metadata: ["address": "\(self.address.host):\(port)"])
            },
            logger: logger)
        do {
            try await app.run()
        } catch where !address.required && !Task.isCancelled {
            // The default address may be taken (two workers on one host): the pipeline matters more.
            logger.warning("metrics and health listener could not start; set HERALD_METRICS_ADDR to a free address",
                           metadata: ["address": "\(address.host):\(address.port)", "error": "\(error)"])
            try? await gracefulShutdown()
        }
    }

    /// `/metrics`, `/healthz`, `/readyz` on any Hummingbird router (herald-api adds them to its own).
    public static func addRoutes<Context: RequestContext>(to router: Hummingbird.Router<Context>, telemetry: ProcessTelemetry,
                                                        readiness: Bool = true) {
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: telemetry.metrics.exposition())))
        }
        guard readiness else { return }
        router.get("/healthz") { _, _ in OpsEndpoint.json(#"{"status":"ok"}"#, status: .ok) }
        router.get("/readyz") { _, _ in
            let state = telemetry.readiness
            let body = (try? JSONEncoder().encode(Readiness(ready: state.ready, components: state.components))) ?? Data()
            return OpsEndpoint.json(String(decoding: body, as: UTF8.self), status: state.ready ? .ok : .serviceUnavailable)
        }
    }

    static func json(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The `/readyz` answer.
struct Readiness: Encodable {
    var ready: Bool
    var components: [String: ServiceHealth.Snapshot]
}

/// Where `/metrics`, `/healthz` and `/readyz` listen (`HERALD_METRICS_ADDR`, `host:port`).
public struct MetricsAddress: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Set by the operator: failing to listen stops the process. A default that is taken only warns.
    public var required: Bool

    public init(host: String, port: Int, required: Bool) {
        self.host = host
        self.port = port
        self.required = required
    }

    /// `host:port`, or nil for `off`.
    public static func parse(_ text: String, required: Bool) throws(ConfigurationError) -> MetricsAddress? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if ["off", "false", "none", ""].contains(trimmed.lowercased()) { return nil }
        guard let colon = trimmed.lastIndex(of: ":"), let port = Int(trimmed[trimmed.index(after: colon)...]), (0...65_535).contains(port),
              colon > trimmed.startIndex
        else {
            throw ConfigurationError(variable: "HERALD_METRICS_ADDR", value: text, rule: "must be host:port (e.g. 127.0.0.1:9464) or off")
        }
        return MetricsAddress(host: String(trimmed[..<colon]), port: port, required: required)
    }

    /// The default per process: on for the router and the worker (each its own port), off otherwise.
    public static func defaultAddress(component: String) -> MetricsAddress? {
        switch component {
        case "router": MetricsAddress(host: "127.0.0.1", port: 9464, required: false)
        case "worker": MetricsAddress(host: "127.0.0.1", port: 9465, required: false)
        default: nil
        }
    }
}
