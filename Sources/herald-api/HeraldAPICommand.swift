import ArgumentParser
import Herald
import HeraldAPI

@main
struct HeraldAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-api",
        abstract: "The management REST API (/api/v1), its OpenAPI document, /healthz and /readyz.",
        discussion: "Every option can also be set with its HERALD_* environment variable. Tokens: heraldctl token create.")

    @Option(help: "host:port to listen on (HERALD_API_ADDR, default 127.0.0.1:8080).") var addr: String?
    @Option(help: "RabbitMQ URL (HERALD_AMQP_URL).") var amqpURL: String?
    @Option(help: "PostgreSQL URL (HERALD_DATABASE_URL).") var databaseURL: String?
    @Option(help: "Prefix of every broker name (HERALD_TOPOLOGY_PREFIX).") var topologyPrefix: String?
    @Option(help: "Threads with database and broker connections for the blocking work (HERALD_API_POOL_SIZE, default 4).") var poolSize: Int?
    @Option(help: "Requests per second per token (HERALD_API_RATE_PER_S, default 50).") var ratePerSecond: Int?
    @Option(help: "trace|debug|info|notice|warning|error (HERALD_LOG_LEVEL).") var logLevel: String?
    @Option(help: "text|json (HERALD_LOG_FORMAT).") var logFormat: String?

    func run() async throws {
        var environment = ProcessEnvironment.current
        environment.set("HERALD_API_ADDR", addr)
        environment.set("HERALD_AMQP_URL", amqpURL)
        environment.set("HERALD_DATABASE_URL", databaseURL)
        environment.set("HERALD_TOPOLOGY_PREFIX", topologyPrefix)
        environment.set("HERALD_API_POOL_SIZE", poolSize.map(String.init))
        environment.set("HERALD_API_RATE_PER_S", ratePerSecond.map(String.init))
        environment.set("HERALD_LOG_LEVEL", logLevel)
        environment.set("HERALD_LOG_FORMAT", logFormat)
        let base = try HeraldConfiguration(environment: environment.values, component: "api")
        let configuration = try APIConfiguration(base: base, environment: environment.values)
        let logger = HeraldProcess.logger("herald.api", configuration: base)
        let server = APIServer(configuration: configuration, logger: logger)
        defer { server.pool.shutdown(); server.slowPool.shutdown() }
        try await server.application().runService()
    }
}
