import ArgumentParser
import Herald

@main
struct HeraldRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-router",
        abstract: "Match ERP events against webhooks, record deliveries, publish delivery jobs.",
        discussion: "Every option can also be set with its HERALD_* environment variable.")

    @Option(help: "RabbitMQ URL (HERALD_AMQP_URL).") var amqpURL: String?
    @Option(help: "PostgreSQL URL (HERALD_DATABASE_URL).") var databaseURL: String?
    @Option(help: "Events exchange (HERALD_EVENTS_EXCHANGE).") var eventsExchange: String?
    @Option(help: "Prefix of every broker name (HERALD_TOPOLOGY_PREFIX).") var topologyPrefix: String?
    @Option(help: "Events per batch (HERALD_ROUTER_BATCH).") var batchSize: Int?
    @Option(help: "trace|debug|info|notice|warning|error (HERALD_LOG_LEVEL).") var logLevel: String?
    @Option(help: "text|json (HERALD_LOG_FORMAT).") var logFormat: String?

    func run() async throws {
        var environment = ProcessEnvironment.current
        environment.set("HERALD_AMQP_URL", amqpURL)
        environment.set("HERALD_DATABASE_URL", databaseURL)
        environment.set("HERALD_EVENTS_EXCHANGE", eventsExchange)
        environment.set("HERALD_TOPOLOGY_PREFIX", topologyPrefix)
        environment.set("HERALD_ROUTER_BATCH", batchSize.map(String.init))
        environment.set("HERALD_LOG_LEVEL", logLevel)
        environment.set("HERALD_LOG_FORMAT", logFormat)
        let base = try HeraldConfiguration(environment: environment.values, component: "router")
        let configuration = try RouterConfiguration(base: base, environment: environment.values)
        let logger = HeraldProcess.logger("herald.router", configuration: base)
        try await HeraldProcess.buildRouter(configuration, logger: logger).runWithLifecycle()
    }
}
