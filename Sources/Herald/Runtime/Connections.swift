import AMQP
import Logging
import PostgresClient

/// Opening connections the same way in every service: retrying while the server comes up, with
/// a log line per failed try so an operator sees what the process waits for.
enum Connections {
    static func amqp(_ configuration: HeraldConfiguration, name: String, logger: Logger, stop: StopSignal) throws -> AMQPConnection {
        var delay = Duration.milliseconds(200)
        while true {
            do {
                return try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: "\(configuration.instanceName)/\(name)")
            } catch {
                if stop.isStopped || error.code == .invalidURL { throw error }
                logger.warning("RabbitMQ not reachable, retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                stop.sleep(delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// One try, for loops that must not block (the worker keeps its transfers going meanwhile).
    static func openAMQP(_ configuration: HeraldConfiguration, name: String) throws -> AMQPConnection {
        try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: "\(configuration.instanceName)/\(name)")
    }

    static func postgres(_ configuration: HeraldConfiguration, logger: Logger, stop: StopSignal) throws -> PostgresConnection {
        var delay = Duration.milliseconds(200)
        while true {
            do {
                return try PostgresConnection(configuration.databaseURL)
            } catch {
                if stop.isStopped || error.code == .invalidConfiguration { throw error }
                logger.warning("PostgreSQL not reachable, retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                stop.sleep(delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}

/// Keeps an in-memory copy of the webhooks fresh: LISTEN herald_webhooks, reload on every
/// notification (and every `refreshInterval`, so expiring secrets and missed notifications heal).
final class WebhookWatcher {
    private let configuration: HeraldConfiguration
    private let logger: Logger
    private var listener: PostgresConnection?
    private var lastLoad = ContinuousClock.now
    let refreshInterval: Duration

    init(configuration: HeraldConfiguration, logger: Logger, refreshInterval: Duration = .seconds(60)) {
        self.configuration = configuration
        self.logger = logger
        self.refreshInterval = refreshInterval
    }

    /// The first load; also (re)opens the listening connection.
    func load(stop: StopSignal) throws -> (webhooks: [Webhook], tenants: Set<String>) {
        let connection = try Connections.postgres(configuration, logger: logger, stop: stop)
        try connection.listen("herald_webhooks")
        listener = connection
        return try reload()
    }

    private func reload() throws -> (webhooks: [Webhook], tenants: Set<String>) {
        guard let listener else { throw StoreError.invalid("webhook watcher is not connected") }
        let store = try WebhookStore(connection: listener, masterKey: configuration.masterKey)
        let (webhooks, broken) = try store.loadWebhooks()
        for item in broken {
            logger.error("webhook cannot be loaded; it receives nothing until fixed", metadata: ["webhook_id": "\(item.id)", "reason": "\(item.reason)"])
        }
        let tenants = try store.knownTenants()
        lastLoad = .now
        logger.debug("webhooks loaded", metadata: ["count": "\(webhooks.count)"])
        return (webhooks, tenants)
    }

    var socketDescriptor: Int32? { listener?.socketDescriptor }

    /// Reads the webhooks now, whatever the notifications said (the source of truth decides).
    func reloadNow(stop: StopSignal) -> (webhooks: [Webhook], tenants: Set<String>)? {
        do {
            guard let listener, listener.isConnected else { return try load(stop: stop) }
            return try reload()
        } catch {
            logger.warning("webhook reload failed; keeping the current set", metadata: ["error": "\(error)"])
            listener = nil
            return nil
        }
    }

    /// New webhooks when something changed (or the refresh interval passed), else nil. Never blocks
    /// longer than `timeout`. A lost connection is reopened and forces a reload.
    func poll(timeout: Duration = .zero, stop: StopSignal) -> (webhooks: [Webhook], tenants: Set<String>)? {
        do {
            guard let listener, listener.isConnected else { return try load(stop: stop) }
            let notes = try listener.notifications(timeout: timeout)
            if !notes.isEmpty || ContinuousClock.now - lastLoad > refreshInterval {
                return try reload()
            }
            return nil
        } catch {
            logger.warning("webhook reload failed; keeping the current set", metadata: ["error": "\(error)"])
            listener = nil
            return nil
        }
    }
}
