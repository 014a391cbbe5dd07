import CurlClient
import Foundation
import HeraldCore
import Logging
import Synchronization

/// Where spans go: OTLP over HTTP with JSON bodies (`OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; an OpenTelemetry Collector takes it on port 4318).
public struct OTLPConfiguration: Sendable, Equatable {
    public var tracesURL: String
    public var headers: [String: String]
    public var serviceName: String

    /// nil when neither endpoint is set (no export).
    public static func from(_ environment: [String: String], component: String) throws(ConfigurationError) -> OTLPConfiguration? {
        let url: String
        if let traces = environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], !traces.isEmpty {
            url = traces
        } else if let base = environment["OTEL_EXPORTER_OTLP_ENDPOINT"], !base.isEmpty {
            url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v1/traces"
        } else {
            return nil
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ConfigurationError(variable: "OTEL_EXPORTER_OTLP_ENDPOINT", value: url, rule: "must be an http:// or https:// URL")
        }
        if let protocolName = environment["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? environment["OTEL_EXPORTER_OTLP_PROTOCOL"],
           protocolName != "http/json" {
            throw ConfigurationError(variable: "OTEL_EXPORTER_OTLP_PROTOCOL", value: protocolName,
                                     rule: "Herald exports http/json (an OpenTelemetry Collector accepts it on port 4318 beside http/protobuf)")
        }
        var headers: [String: String] = [:]
        for pair in (environment["OTEL_EXPORTER_OTLP_HEADERS"] ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, (parts[0] + parts[1]).utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw ConfigurationError(variable: "OTEL_EXPORTER_OTLP_HEADERS", value: String(pair.prefix(40)), rule: "must be key=value pairs, comma-separated")
            }
            headers[parts[0]] = parts[1].removingPercentEncoding ?? parts[1]
        }
        return OTLPConfiguration(tracesURL: url, headers: headers, serviceName: environment["OTEL_SERVICE_NAME"] ?? "herald-\(component)")
    }
}

/// Spans waiting to be exported: a bounded buffer the loops add to (a lock and an append), emptied by
/// `SpanExportService` on its own thread. When the collector is away or slow, the oldest spans are
/// dropped and counted: tracing never slows a delivery.
public final class SpanExporter: Sendable {
    public let configuration: OTLPConfiguration
    static let capacity = 8192
    private let buffer = Mutex<[Span]>([])
    private let dropped = Atomic<Int>(0)

    public init(configuration: OTLPConfiguration) { self.configuration = configuration }

    public func record(_ span: Span) {
        let full = buffer.withLock { spans -> Bool in
            if spans.count >= SpanExporter.capacity { spans.removeFirst(spans.count / 4); return true }
            spans.append(span)
            return false
        }
        if full { dropped.add(SpanExporter.capacity / 4, ordering: .relaxed) }
    }

    func take(max: Int) -> [Span] {
        buffer.withLock { spans in
            let batch = Array(spans.prefix(max))
            spans.removeFirst(batch.count)
            return batch
        }
    }

    /// Spans dropped so far because the buffer was full.
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }
}

/// Posts the buffered spans every second (or as soon as 512 wait), one batch at a time.
public struct SpanExportService: HeraldService {
    public let name = "span-exporter"
    let exporter: SpanExporter
    let instance: String
    let logger: Logger

    public init(exporter: SpanExporter, instance: String, logger: Logger) {
        self.exporter = exporter
        self.instance = instance
        self.logger = logger
    }

    public func run(stop: StopSignal) throws {
        let curl = try CurlMulti(maxTotalConnections: 2)
        var lastWarning = ContinuousClock.now - .seconds(60)
        var finalRound = false
        var nextID: UInt64 = 1
        while true {
            let batch = exporter.take(max: 512)
            if batch.isEmpty {
                if stop.isStopped { if finalRound { return }; finalRound = true }
                stop.sleep(.seconds(1))
                continue
            }
            let headers = [HTTPHeader("Content-Type", "application/json")] + exporter.configuration.headers.map { HTTPHeader($0.key, $0.value) }
            let request = HTTPRequest(url: exporter.configuration.tracesURL, method: "POST", headers: headers,
                                      body: OTLPTraces.body(batch, serviceName: exporter.configuration.serviceName, instance: instance),
                                      connectTimeout: .seconds(2), timeout: .seconds(10), maxResponseBodyBytes: 4096,
                                      allowPrivateNetworks: true)   // the operator's own collector, usually on a private network
            var outcome = "no answer"
            do {
                try curl.add(request, id: nextID)
                nextID += 1
                let deadline = ContinuousClock.now + .seconds(12)
                answer: while ContinuousClock.now < deadline {
                    guard let completion = curl.perform(timeout: .milliseconds(100)).completions.first else { continue }
                    switch completion.result {
                    case .success(let response): outcome = (200..<300).contains(response.status) ? "" : "HTTP \(response.status)"
                    case .failure(let error): outcome = error.description
                    }
                    break answer
                }
                if outcome == "no answer" { _ = curl.cancelAll() }
            } catch {
                outcome = "\(error)"
            }
            if !outcome.isEmpty, ContinuousClock.now - lastWarning > .seconds(60) {
                lastWarning = .now
                logger.warning("spans not exported (dropped; tracing never holds up deliveries)",
                               metadata: ["endpoint": "\(exporter.configuration.tracesURL)", "spans": "\(batch.count)", "error": "\(outcome)"])
            }
            if batch.count < 512 { stop.sleep(.seconds(1)) }
        }
    }
}
