import Foundation
import Herald
import HeraldCore
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// herald-api: the management REST API over the admin layer. Routes parse and answer HTTP; the
/// admin layer (shared with heraldctl) does the work on the blocking pool's threads.
public struct APIServer: Sendable {
    public let configuration: APIConfiguration
    public let pool: BlockingPool
    /// The slow lane: exports, dead-letter and refused-event listings, redrives, recovery — work
    /// that may hold a thread for long, kept off the pool every other request (and sign-in) needs.
    public let slowPool: BlockingPool
    let logger: Logger
    let limiter: RateLimiter
    /// Tenants with an export running (at most one each).
    let exports = RunningSet()
    /// `/metrics` of this process (events taken in over HTTP).
    public let telemetry = ProcessTelemetry()

    public init(configuration: APIConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.pool = BlockingPool(size: configuration.poolSize, configuration: configuration.base, logger: logger)
        self.slowPool = BlockingPool(size: 2, maxWaiting: 16, configuration: configuration.base, logger: logger)
        self.limiter = RateLimiter(rate: configuration.ratePerSecond, burst: configuration.rateBurst)
    }

    /// The application; `onRunning` is told the port it listens on (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.get("/healthz") { _, _ in JSONOut.response(["status": "ok"]) }
        router.get("/readyz") { _, _ in try await self.readiness() }
        let telemetry = self.telemetry
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: telemetry.metrics.exposition())))
        }
        router.get("/api/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        let api = router.group("/api/v1").add(middleware: TokenAuthentication(pool: pool, limiter: limiter))
        api.get("/me") { _, context in
            let who = try context.who()
            return JSONOut.response(Me(actor: who.actor, tenant: who.tenant, role: who.role.rawValue))
        }
        addWebhookRoutes(api)
        addDeliveryRoutes(api)
        addToolRoutes(api)
        addConsoleRoutes(router)
        let logger = self.logger
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "herald-api"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("herald-api listening", metadata: ["address": "\(configuration.host):\(port)"])
                await onRunning(port)
            },
            logger: logger)
    }

    /// Keys of work running now (a class: shared by every copy of the server).
    final class RunningSet: Sendable {
        private let keys = Mutex<Set<String>>([])
        func insert(_ key: String) -> Bool { keys.withLock { $0.insert(key).inserted } }
        func remove(_ key: String) { _ = keys.withLock { $0.remove(key) } }
    }

    struct Me: Encodable { var actor: String; var tenant: String?; var role: String }

    /// Ready when the database answers and the broker accepts a connection.
    func readiness() async throws -> Response {
        // Only "ok" or "unavailable" (details go to the log: this endpoint answers anyone).
        struct Ready: Encodable { var ready: Bool; var database: String; var broker: String }
        let logger = self.logger
        let result = try await pool.run { context -> Ready in
            var database = "ok", broker = "ok"
            do { _ = try context.database().query("SELECT 1") } catch {
                context.reset(); database = "unavailable"
                logger.warning("not ready: database", metadata: ["error": "\(error)"])
            }
            do { try context.amqp().declareExchange(context.configuration.topology.eventsExchange) } catch {
                context.reset(); broker = "unavailable"
                logger.warning("not ready: broker", metadata: ["error": "\(error)"])
            }
            return Ready(ready: database == "ok" && broker == "ok", database: database, broker: broker)
        }
        return JSONOut.response(result, status: result.ready ? .ok : .serviceUnavailable)
    }

    /// Runs admin work for the request's principal on the pool (or, `slow`, on the slow lane).
    func run<T: Sendable>(_ context: APIRequestContext, slow: Bool = false,
                          _ body: @escaping @Sendable (AdminContext, Principal) throws -> T) async throws -> T {
        let who = try context.who()
        return try await (slow ? slowPool : pool).run { try body($0, who) }
    }

    func id(_ context: APIRequestContext, _ name: String = "id") throws(Problem) -> String {
        guard let value = context.parameters.get(name), !value.isEmpty else { throw Problem.invalid(name, "\(name) is missing from the path") }
        return value
    }
}
