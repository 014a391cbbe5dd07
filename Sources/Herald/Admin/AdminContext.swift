import AMQP
import Logging
import PostgresClient

/// Connections for one heraldctl command, opened once, without retrying: an operator wants a
/// clear error at once when a server is not there. Each connection closes when its last user is done.
public final class AdminContext {
    public let configuration: HeraldConfiguration
    private var _database: PostgresConnection?
    private var _amqp: AMQPConnection?

    public init(configuration: HeraldConfiguration) { self.configuration = configuration }

    public func database() throws -> PostgresConnection {
        if let _database { return _database }
        let connection = try PostgresConnection(configuration.databaseURL)
        _database = connection
        return connection
    }

    public func amqp() throws -> AMQPConnection {
        if let _amqp { return _amqp }
        let connection = try AMQPConnection(AMQPConfiguration(url: configuration.amqpURL, connectionName: "heraldctl"))
        _amqp = connection
        return connection
    }

    public func webhooks() throws -> WebhookStore { try WebhookStore(connection: database(), masterKey: configuration.masterKey) }
    public func deliveries() throws -> DeliveryAdmin { DeliveryAdmin(connection: try database()) }
}
