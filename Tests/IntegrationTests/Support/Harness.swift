import AMQP
import CurlClient
import Foundation
import Herald
import HeraldCore
import HeraldTestSupport
import Logging
import PostgresClient
import Testing

/// One isolated Herald installation for one test: its own database (migrated), its own broker
/// names (prefix), its own receiver process, and router/worker services started in-process (or as
/// real processes when a test kills them).
final class Harness: @unchecked Sendable {
    static let adminURL = ProcessInfo.processInfo.environment["HERALD_TEST_DATABASE_URL"] ?? "postgres://herald:herald@127.0.0.1:5432/herald"
    static let amqpURL = ProcessInfo.processInfo.environment["HERALD_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2F"
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    let name: String
    let databaseURL: String
    let prefix: String
    let configuration: HeraldConfiguration
    let database: PostgresConnection
    let receiver: Receiver
    let logger: Logger
    private var groups: [(ServiceThreads, Thread)] = []
    private var processes: [Process] = []

    /// Settings every process of this installation shares, beyond the defaults (e.g. HERALD_QUEUE_TYPE).
    let extraEnvironment: [String: String]

    init(_ label: String, environment extra: [String: String] = [:]) throws {
        extraEnvironment = extra
        name = "it_\(label)_\(UInt32.random(in: 0...UInt32.max))"
        let admin: PostgresConnection
        do { admin = try PostgresConnection(Harness.adminURL) } catch {
            throw HarnessError("PostgreSQL is not reachable at \(Harness.adminURL) (\(error)); start it with deploy/services.sh up")
        }
        try admin.simpleQuery("CREATE DATABASE \(name)")
        admin.close()
        guard let slash = Harness.adminURL.lastIndex(of: "/") else { throw HarnessError("HERALD_TEST_DATABASE_URL must be a postgres:// URL") }
        databaseURL = String(Harness.adminURL[...slash]) + name
        prefix = "\(name)."
        var environment = ProcessInfo.processInfo.environment
        environment["HERALD_AMQP_URL"] = Harness.amqpURL
        environment["HERALD_DATABASE_URL"] = databaseURL
        environment["HERALD_TOPOLOGY_PREFIX"] = prefix
        environment["HERALD_ALLOW_PRIVATE_NETWORKS"] = "true"
        environment["HERALD_LOG_LEVEL"] = environment["HERALD_TEST_LOG_LEVEL"] ?? "warning"
        environment["HERALD_DEVELOPMENT"] = "true"   // tests seal secrets with the development key
        environment.merge(extra) { $1 }
        configuration = try HeraldConfiguration(environment: environment, component: "test")
        database = try PostgresConnection(databaseURL)
        _ = try Migrator(connection: database).migrate(try Migrator.load(directory: Harness.packageRoot.appendingPathComponent("schemas/migrations").path))
        receiver = try Receiver()
        logger = HeraldProcess.logger("test.\(label)", configuration: configuration)
        // The topology exists before anything is published, as it does in a running installation.
        do {
            let amqp = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
            try Topology(names: configuration.topology).declareAll(on: amqp)
            amqp.close()
        } catch {
            throw HarnessError("RabbitMQ is not reachable at \(Harness.amqpURL) (\(error)); start it with deploy/services.sh up")
        }
    }

    /// Environment for a Herald child process (same database, prefix and settings).
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HERALD_AMQP_URL"] = Harness.amqpURL
        environment["HERALD_DATABASE_URL"] = databaseURL
        environment["HERALD_TOPOLOGY_PREFIX"] = prefix
        environment["HERALD_ALLOW_PRIVATE_NETWORKS"] = "true"
        environment["HERALD_LOG_LEVEL"] = "warning"
        environment["HERALD_DEVELOPMENT"] = "true"
        environment.merge(extraEnvironment) { $1 }
        environment.merge(extra) { $1 }
        return environment
    }

    // MARK: services

    @discardableResult
    func startRouter(batchSize: Int = 200, base: HeraldConfiguration? = nil) throws -> ServiceThreads {
        var config = try RouterConfiguration(base: base ?? configuration, environment: [:])
        config.batchSize = batchSize
        return start(HeraldProcess.buildRouter(config, logger: logger))
    }

    func startWorker(concurrency: Int = 100, graceSeconds: Int = 300, reconcileEvery: Duration = .seconds(1)) throws {
        var config = try WorkerConfiguration(base: configuration, environment: [:])
        config.concurrency = concurrency
        config.reconcileGraceSeconds = graceSeconds
        config.reconcileInterval = reconcileEvery
        config.drainTimeout = .seconds(5)
        config.housekeeping = false   // retention is tested on its own (RetentionTests)
        start(HeraldProcess.buildWorker(config, logger: logger))
    }

    /// A worker with settings of the test's choosing.
    @discardableResult
    func startWorker(_ configure: (inout WorkerConfiguration) -> Void) throws -> ServiceThreads {
        var config = try WorkerConfiguration(base: configuration, environment: [:])
        config.drainTimeout = .seconds(5)
        config.housekeeping = false
        configure(&config)
        return start(HeraldProcess.buildWorker(config, logger: logger))
    }

    @discardableResult
    private func start(_ group: ServiceThreads) -> ServiceThreads {
        let thread = Thread { try? group.run(handleSignals: false) }
        thread.start()
        groups.append((group, thread))
        return group
    }

    /// A real executable from the build folder, e.g. `herald-worker`.
    func launch(_ executable: String, arguments: [String] = [], environment extra: [String: String] = [:]) throws -> Process {
        let binDir = Bundle.main.bundleURL.deletingLastPathComponent()
        var url = binDir.appendingPathComponent(executable)
        if !FileManager.default.fileExists(atPath: url.path) {
            url = Harness.packageRoot.appendingPathComponent(".build/debug/\(executable)")
        }
        guard FileManager.default.fileExists(atPath: url.path) else { throw HarnessError("\(executable) is not built (run swift build)") }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment(extra)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        processes.append(process)
        return process
    }

    func stopServices() {
        for (group, _) in groups { group.stopSignal.stop() }
        let deadline = Date().addingTimeInterval(15)
        while groups.contains(where: { !$0.1.isFinished }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        groups.removeAll()
    }

    deinit {
        stopServices()
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        receiver.stop()
        database.close()
        if let admin = try? PostgresConnection(Harness.adminURL) {
            _ = try? admin.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            admin.close()
        }
        if let amqp = try? AMQPConnection(AMQPConfiguration(url: Harness.amqpURL)) {
            for type in TopologyNames.QueueType.allCases {
                let names = configuration.topology.with(queueType: type)
                for queue in names.routerQueues + names.deliverQueues + [names.deadQueue, names.invalidQueue] { try? amqp.deleteQueue(queue) }
                for delay in DelayBuckets.seconds { try? amqp.deleteQueue(names.retryQueue(delaySeconds: delay)) }
            }
            if configuration.topology.routerShards > 0 { try? amqp.deleteExchange(configuration.topology.routerHashExchange) }
            amqp.close()
        }
    }

    // MARK: actions

    func createWebhook(_ json: String) throws -> (id: String, secret: String) {
        let doc = try JSONDecoder().decode(WebhookDocument.self, from: Data(json.utf8))
        let created = try WebhookStore(connection: database, masterKey: configuration.masterKey).create(doc)
        try receiver.addSecret(created.secret)
        return created
    }

    func publish(_ events: [Event]) throws {
        let connection = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        defer { connection.close() }
        try EventPublisher(connection: connection, exchange: configuration.topology.eventsExchange).publish(events)
    }

    /// Raw bytes to the events exchange (for malformed input).
    func publishRaw(_ body: String, routingKey: String) throws {
        let connection = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        defer { connection.close() }
        try connection.declareExchange(configuration.topology.eventsExchange, type: "topic")
        try connection.enableConfirms()
        _ = try connection.publishConfirmed([AMQPMessage(exchange: configuration.topology.eventsExchange, routingKey: routingKey,
                                                         body: Array(body.utf8), properties: AMQPProperties(persistent: true), mandatory: false)])
    }

    static func event(_ type: String = "order.created", tenant: String = "acme", data: JSONValue, id: String? = nil) throws -> Event {
        try Event(envelope: .object(JSONObject([
            ("id", .string(id ?? IDs.make("evt_"))), ("type", .string(type)), ("tenant", .string(tenant)),
            ("occurred_at", "2026-01-22T15:30:00Z"), ("data", data),
        ])))
    }

    func scalar(_ sql: String, _ params: [(any PostgresEncodable)?] = []) throws -> String? {
        try database.query(sql, params).first?[0].text
    }

    func count(_ sql: String, _ params: [(any PostgresEncodable)?] = []) throws -> Int {
        Int(try scalar(sql, params) ?? "0") ?? 0
    }

    /// Polls until `condition` holds or `timeout` passes; the failure message says what was awaited.
    func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw HarnessError("timed out after \(timeout) waiting for: \(what)")
    }

    func queueDepth(_ queue: String) throws -> UInt32 {
        let connection = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        defer { connection.close() }
        return try connection.messageCount(queue: queue)
    }

    func take(from queue: String, max: Int) throws -> [AMQPDelivery] {
        let connection = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        defer { connection.close() }
        try connection.consume(queue: queue)
        var result: [AMQPDelivery] = []
        while result.count < max, let d = try connection.nextDelivery(timeout: .seconds(2)) {
            result.append(d)
            try connection.ack(d.deliveryTag)
        }
        return result
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
