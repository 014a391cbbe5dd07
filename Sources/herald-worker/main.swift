import ArgumentParser
import Herald

@main
struct HeraldWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-worker",
        abstract: "Deliver webhook jobs over HTTP, record attempts, retry on schedule, reconcile.",
        discussion: "Every option can also be set with its HERALD_* environment variable.")

    @Option(help: "RabbitMQ URL (HERALD_AMQP_URL).") var amqpURL: String?
    @Option(help: "PostgreSQL URL (HERALD_DATABASE_URL).") var databaseURL: String?
    @Option(help: "Prefix of every broker name (HERALD_TOPOLOGY_PREFIX).") var topologyPrefix: String?
    @Option(help: "Deliveries in flight at once (HERALD_WORKER_CONCURRENCY, default 100).") var concurrency: Int?
    @Option(help: "Allow private and loopback targets (HERALD_ALLOW_PRIVATE_NETWORKS).") var allowPrivateNetworks: Bool?
    @Option(help: "Run the reconciler in this process (HERALD_RECONCILE, default true).") var reconcile: Bool?
    @Option(help: "Seconds a due delivery may wait before the reconciler republishes it (HERALD_RECONCILE_GRACE_S).") var reconcileGrace: Int?
    @Option(help: "The same while a backlog is queued (HERALD_RECONCILE_BACKLOG_GRACE_S).") var reconcileBacklogGrace: Int?
    @Option(help: "trace|debug|info|notice|warning|error (HERALD_LOG_LEVEL).") var logLevel: String?
    @Option(help: "text|json (HERALD_LOG_FORMAT).") var logFormat: String?

    func run() async throws {
        var environment = ProcessEnvironment.current
        environment.set("HERALD_AMQP_URL", amqpURL)
        environment.set("HERALD_DATABASE_URL", databaseURL)
        environment.set("HERALD_TOPOLOGY_PREFIX", topologyPrefix)
        environment.set("HERALD_WORKER_CONCURRENCY", concurrency.map(String.init))
        environment.set("HERALD_ALLOW_PRIVATE_NETWORKS", allowPrivateNetworks.map(String.init))
        environment.set("HERALD_RECONCILE", reconcile.map(String.init))
        environment.set("HERALD_RECONCILE_GRACE_S", reconcileGrace.map(String.init))
        environment.set("HERALD_RECONCILE_BACKLOG_GRACE_S", reconcileBacklogGrace.map(String.init))
        environment.set("HERALD_LOG_LEVEL", logLevel)
        environment.set("HERALD_LOG_FORMAT", logFormat)
        let base = try HeraldConfiguration(environment: environment.values, component: "worker")
        let configuration = try WorkerConfiguration(base: base, environment: environment.values)
        let logger = HeraldProcess.logger("herald.worker", configuration: base)
        try await HeraldProcess.buildWorker(configuration, logger: logger).runWithLifecycle()
    }
}
