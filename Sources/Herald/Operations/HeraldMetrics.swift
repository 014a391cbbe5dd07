import CoreMetrics
import Metrics
import Prometheus

/// The Prometheus metrics of one Herald process, recorded through swift-metrics and exposed by
/// `/metrics`. Each process (and each test) owns its own registry, so what a scrape shows is what
/// this process did. Labels take only a few fixed values; a webhook id becomes a label only for the
/// webhooks an operator lists in `HERALD_METRICS_WEBHOOKS`.
public final class HeraldMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    /// Webhooks whose attempts are also counted with a `webhook_id` label.
    public let labelledWebhooks: Set<String>

    // Router
    let eventsReceived: CoreMetrics.Counter
    let eventsRouted: CoreMetrics.Counter
    let deliveriesCreated: CoreMetrics.Counter
    let routerBatchSize: CoreMetrics.Recorder
    let routerTransaction: CoreMetrics.Timer

    // Worker
    let inFlight: CoreMetrics.Gauge
    let httpDuration: CoreMetrics.Timer
    let deliveryLatency: CoreMetrics.Timer

    // Reconciler
    let reconcilerRepublished: CoreMetrics.Counter

    // API
    let apiEventsIngested: CoreMetrics.Counter

    /// Why an event or job was refused: a fixed set, so the label stays small.
    public enum InvalidReason: String, Sendable, CaseIterable {
        case malformed, unknownTenant = "unknown_tenant", invalidJob = "invalid_job", unknownDelivery = "unknown_delivery"
    }

    /// What an attempt led to.
    public enum Outcome: String, Sendable, CaseIterable {
        case succeeded, retry, dead
    }

    /// Why a job waited instead of being sent (no attempt spent).
    public enum Wait: String, Sendable, CaseIterable {
        case circuit, rateLimit = "rate_limit", webhookCap = "webhook_cap", ordered, heldElsewhere = "held_elsewhere", token
    }

    /// Changes the worker made to a webhook or an endpoint.
    public enum WebhookEvent: String, Sendable, CaseIterable {
        case autoPaused = "auto_paused", disabled, circuitOpened = "circuit_opened"
    }

    private let invalid: [InvalidReason: CoreMetrics.Counter]
    private let outcomes: [Outcome: CoreMetrics.Counter]
    private let waits: [Wait: CoreMetrics.Counter]
    private let webhookEvents: [WebhookEvent: CoreMetrics.Counter]
    private let attemptClasses: [String: CoreMetrics.Counter]

    public init(labelledWebhooks: Set<String> = []) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let latency: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                   .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
                                   .seconds(300), .seconds(900), .seconds(3600)]
        factory.durationHistogramBuckets["herald_delivery_latency_seconds"] = latency
        factory.durationHistogramBuckets["herald_http_request_duration_seconds"] = Array(latency.prefix(11))
        factory.valueHistogramBuckets["herald_router_batch_size"] = [1, 5, 10, 25, 50, 100, 200, 500, 1000, 2000]
        self.factory = factory
        self.labelledWebhooks = labelledWebhooks
        eventsReceived = CoreMetrics.Counter(label: "herald_events_received_total", factory: factory)
        eventsRouted = CoreMetrics.Counter(label: "herald_events_routed_total", factory: factory)
        deliveriesCreated = CoreMetrics.Counter(label: "herald_deliveries_created_total", factory: factory)
        routerBatchSize = CoreMetrics.Recorder(label: "herald_router_batch_size", aggregate: true, factory: factory)
        routerTransaction = CoreMetrics.Timer(label: "herald_router_transaction_seconds", factory: factory)
        inFlight = CoreMetrics.Gauge(label: "herald_deliveries_in_flight", factory: factory)
        httpDuration = CoreMetrics.Timer(label: "herald_http_request_duration_seconds", factory: factory)
        deliveryLatency = CoreMetrics.Timer(label: "herald_delivery_latency_seconds", factory: factory)
        reconcilerRepublished = CoreMetrics.Counter(label: "herald_reconciler_republished_total", factory: factory)
        apiEventsIngested = CoreMetrics.Counter(label: "herald_api_events_ingested_total", factory: factory)
        invalid = Dictionary(uniqueKeysWithValues: InvalidReason.allCases.map {
            ($0, CoreMetrics.Counter(label: "herald_events_invalid_total", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        outcomes = Dictionary(uniqueKeysWithValues: Outcome.allCases.map {
            ($0, CoreMetrics.Counter(label: "herald_delivery_outcomes_total", dimensions: [("outcome", $0.rawValue)], factory: factory))
        })
        waits = Dictionary(uniqueKeysWithValues: Wait.allCases.map {
            ($0, CoreMetrics.Counter(label: "herald_delivery_waits_total", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        webhookEvents = Dictionary(uniqueKeysWithValues: WebhookEvent.allCases.map {
            ($0, CoreMetrics.Counter(label: "herald_webhook_changes_total", dimensions: [("change", $0.rawValue)], factory: factory))
        })
        attemptClasses = Dictionary(uniqueKeysWithValues: AttemptStatusClass.allLabels.map {
            ($0, CoreMetrics.Counter(label: "herald_attempts_total", dimensions: [("status_class", $0)], factory: factory))
        })
    }

    /// The text exposition format, as served on `/metrics`.
    public func exposition() -> String { registry.emitToString() }

    // MARK: recording

    /// Events accepted over HTTP and published (a replayed idempotent request counts nothing).
    public func ingested(_ count: Int) { apiEventsIngested.increment(by: count) }
    func received(_ count: Int) { eventsReceived.increment(by: count) }
    func routed(events: Int, deliveries: Int) {
        eventsRouted.increment(by: events)
        deliveriesCreated.increment(by: deliveries)
    }
    func invalid(_ reason: InvalidReason, count: Int = 1) { invalid[reason]?.increment(by: count) }
    func outcome(_ outcome: Outcome) { outcomes[outcome]?.increment() }
    func waited(_ reason: Wait) { waits[reason]?.increment() }
    func webhookChanged(_ change: WebhookEvent) { webhookEvents[change]?.increment() }
    func attempt(statusClass: String) { attemptClasses[statusClass]?.increment() }

    /// A counter with a `webhook_id` label, only for the webhooks an operator asked for.
    func webhookAttempt(_ webhookID: String, outcome: Outcome) {
        guard labelledWebhooks.contains(webhookID) else { return }
        CoreMetrics.Counter(label: "herald_webhook_attempts_total", dimensions: [("webhook_id", webhookID), ("outcome", outcome.rawValue)],
                factory: factory).increment()
    }

    /// A gauge with a fixed label value (queue depths, backlog age).
    func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory)
    }
}

/// The status class label of an attempt: `2xx` … `5xx`, `transport` (no answer), `not_sent`.
public enum AttemptStatusClass {
    public static let allLabels = ["1xx", "2xx", "3xx", "4xx", "5xx", "transport", "not_sent"]

    public static func label(status: Int?, sent: Bool) -> String {
        guard sent else { return "not_sent" }
        guard let status, (100...599).contains(status) else { return "transport" }
        return "\(status / 100)xx"
    }
}
