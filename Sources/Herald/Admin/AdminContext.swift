import AMQP
import Logging
import PostgresClient

/// Connections for admin work — one heraldctl command, or one thread of herald-api's pool —
/// opened on first use, without retrying: an operator wants a clear error at once when a server
/// is not there. `reset()` drops connections after a failure so the next use connects anew.
public final class AdminContext {
    public let configuration: HeraldConfiguration
    let connectionName: String
    private var _database: PostgresConnection?
    private var _amqp: AMQPConnection?
    private var amqpUsedAt = ContinuousClock.now
    private var declared: Set<String> = []

    public init(configuration: HeraldConfiguration, connectionName: String = "heraldctl") {
        self.configuration = configuration
        self.connectionName = connectionName
    }

    public func database() throws -> PostgresConnection {
        if let _database { return _database }
        let connection = try PostgresConnection(configuration.databaseURL)
        _database = connection
        return connection
    }

    public func amqp() throws -> AMQPConnection {
        // A connection idle for longer than the heartbeat allows may have been closed by the broker
        // (nobody serviced its heartbeats): open a fresh one rather than fail the request.
        if _amqp != nil, ContinuousClock.now - amqpUsedAt > .seconds(20) {
            _amqp?.close()
            _amqp = nil
            declared = []
        }
        amqpUsedAt = ContinuousClock.now
        if let _amqp { return _amqp }
        let connection = try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: connectionName)
        _amqp = connection
        return connection
    }

    /// The broker connection with `part` of the topology declared once per connection.
    public func amqp(declaring part: String, _ declare: (AMQPConnection) throws -> Void) throws -> AMQPConnection {
        let connection = try amqp()
        if !declared.contains(part) {
            try declare(connection)
            declared.insert(part)
        }
        return connection
    }

    public func webhookStore() throws -> WebhookStore { try WebhookStore(connection: database(), masterKey: configuration.masterKey) }
    public func deliveries() throws -> DeliveryAdmin { DeliveryAdmin(connection: try database()) }
    public func audit() throws -> AuditLog { AuditLog(connection: try database()) }
    public func tokens() throws -> TokenStore { TokenStore(connection: try database()) }

    /// Closes both connections; the next use opens new ones.
    public func reset() {
        _database?.close()
        _amqp?.close()
        _database = nil
        _amqp = nil
        declared = []
    }

    public func close() { reset() }

    /// True for errors after which a connection is no longer usable.
    public static func isConnectionFailure(_ error: any Error) -> Bool {
        if let e = error as? PostgresError { return e.isConnectionLost }
        if let e = error as? AMQPError { return e.isConnectionLost }
        if case .database(let e)? = error as? StoreError { return e.isConnectionLost }
        return false
    }
}
