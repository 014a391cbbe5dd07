import Foundation
import HeraldCore

public struct WorkerConfiguration: Sendable {
    public var base: HeraldConfiguration
    /// Deliveries in flight at once in this process (one libcurl multi handle).
    public var concurrency: Int
    /// Fairness between webhooks: a webhook with this many deliveries in flight may start more only
    /// while this many slots stay free for every other webhook, so a slow or hanging endpoint can
    /// never hold more than `concurrency - maxInFlightPerWebhook` slots (default: a tenth of
    /// `concurrency`, at least 4).
    public var maxInFlightPerWebhook: Int
    /// When an endpoint counts as down and how long it is left alone (shared by every worker).
    public var circuit: CircuitPolicy
    /// The longest `Retry-After` honoured (longer ones are cut to this).
    public var maxRetryAfterSeconds: Int
    /// Outcomes are written and acked in batches of this size, or after `flushInterval`.
    public var flushBatch: Int
    public var flushInterval: Duration
    /// How long SIGTERM waits for in-flight deliveries before handing them back.
    public var drainTimeout: Duration
    /// Run the retention housekeeping in this process (`HERALD_HOUSEKEEPING`, default true).
    public var housekeeping = true
    /// Run the reconciler in this process too.
    public var reconcile: Bool
    public var reconcileInterval: Duration
    /// A delivery due this long without being claimed (or a claim this long past its lease) is
    /// presumed lost and republished, while the delivery queue holds no backlog.
    public var reconcileGraceSeconds: Int
    /// The same while a backlog is queued (the job may simply be waiting its turn).
    public var reconcileBacklogGraceSeconds: Int
    /// Telling owners (mail and notify_url): SMTP server, sender, digest window.
    public var notifications: NotifierConfiguration

    public init(base: HeraldConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        self.base = base
        concurrency = try HeraldConfiguration.int(environment, "HERALD_WORKER_CONCURRENCY", default: 100, range: 1...10_000)
        maxInFlightPerWebhook = try HeraldConfiguration.int(environment, "HERALD_WORKER_MAX_IN_FLIGHT_PER_WEBHOOK",
                                                            default: max(4, concurrency / 10), range: 1...10_000)
        circuit = CircuitPolicy(
            windowSeconds: try HeraldConfiguration.int(environment, "HERALD_CIRCUIT_WINDOW_S", default: 30, range: 1...3600),
            minRequests: try HeraldConfiguration.int(environment, "HERALD_CIRCUIT_MIN_REQUESTS", default: 20, range: 1...100_000),
            failureRatio: Double(try HeraldConfiguration.int(environment, "HERALD_CIRCUIT_FAILURE_PERCENT", default: 50, range: 1...100)) / 100,
            cooldownSeconds: try HeraldConfiguration.int(environment, "HERALD_CIRCUIT_COOLDOWN_S", default: 5, range: 1...3600),
            maxCooldownSeconds: try HeraldConfiguration.int(environment, "HERALD_CIRCUIT_MAX_COOLDOWN_S", default: 30, range: 1...86_400))
        maxRetryAfterSeconds = try HeraldConfiguration.int(environment, "HERALD_MAX_RETRY_AFTER_S", default: 3600, range: 1...86_400)
        flushBatch = try HeraldConfiguration.int(environment, "HERALD_WORKER_FLUSH_BATCH", default: 500, range: 1...10_000)
        flushInterval = .milliseconds(try HeraldConfiguration.int(environment, "HERALD_WORKER_FLUSH_MS", default: 10, range: 1...5000))
        drainTimeout = .seconds(try HeraldConfiguration.int(environment, "HERALD_WORKER_DRAIN_S", default: 30, range: 0...3600))
        reconcile = try HeraldConfiguration.bool(environment, "HERALD_RECONCILE", default: true)
        housekeeping = try HeraldConfiguration.bool(environment, "HERALD_HOUSEKEEPING", default: true)
        reconcileInterval = .milliseconds(try HeraldConfiguration.int(environment, "HERALD_RECONCILE_INTERVAL_MS", default: 2000, range: 100...3_600_000))
        reconcileGraceSeconds = try HeraldConfiguration.int(environment, "HERALD_RECONCILE_GRACE_S", default: 10, range: 0...86_400)
        reconcileBacklogGraceSeconds = try HeraldConfiguration.int(environment, "HERALD_RECONCILE_BACKLOG_GRACE_S", default: 300, range: 0...86_400)
        notifications = try NotifierConfiguration(environment: environment)
    }
}
