import AMQP
import HeraldCore
import Logging
import PostgresClient

/// Republishes deliveries that are due but on no queue: a router that died between its commit and
/// its publish, a dead-letter lost in a broker crash, a worker that died holding a claim. PostgreSQL
/// decides what is due; `FOR UPDATE SKIP LOCKED` lets any number of reconcilers run at once, and a
/// republished job that turns out to be a duplicate claims nothing in the worker.
public struct Reconciler: HeraldService {
    public let name = "reconciler"
    let base: HeraldConfiguration
    let interval: Duration
    let graceSeconds: Int
    let logger: Logger

    public init(base: HeraldConfiguration, interval: Duration, graceSeconds: Int, logger: Logger) {
        self.base = base
        self.interval = interval
        self.graceSeconds = graceSeconds
        self.logger = logger
    }

    public func run(stop: StopSignal) throws {
        var amqp: AMQPConnection?
        var database: PostgresConnection?
        while !stop.isStopped {
            do {
                if amqp == nil {
                    let connection = try Connections.amqp(base, name: "reconciler", logger: logger, stop: stop)
                    try Topology(names: base.topology).declareDeliveries(on: connection)
                    try connection.enableConfirms()
                    amqp = connection
                }
                if database == nil { database = try Connections.postgres(base, logger: logger, stop: stop) }
                if let amqp, let database {
                    let count = try pass(amqp: amqp, store: DeliveryStore(connection: database))
                    if count > 0 { logger.warning("reconciler republished deliveries that were due but on no queue", metadata: ["count": "\(count)"]) }
                }
            } catch {
                logger.error("reconciler pass failed", metadata: ["error": "\(error)"])
                amqp?.close(); amqp = nil
                database?.close(); database = nil
            }
            stop.sleep(interval)
        }
        amqp?.close()
        database?.close()
    }

    /// One pass: republishes everything due, in batches; returns how many.
    public func pass(amqp: AMQPConnection, store: DeliveryStore) throws -> Int {
        var total = 0
        while true {
            let due = try store.takeDue(graceSeconds: graceSeconds, limit: 1000)
            if due.isEmpty { break }
            try Reconciler.publish(due, on: amqp, names: base.topology)
            total += due.count
            if due.count < 1000 { break }
        }
        return total
    }

    /// Publishes jobs for these deliveries to the deliveries exchange, confirmed.
    public static func publish(_ due: [DueDelivery], on amqp: AMQPConnection, names: TopologyNames) throws {
        let messages = due.map { item in
            AMQPMessage(exchange: names.deliveriesExchange, routingKey: names.deliverRoutingKey,
                        body: DeliveryJob(deliveryID: item.id, attempt: item.attempt).encoded(),
                        properties: AMQPProperties(contentType: "application/json", messageID: item.id, persistent: true,
                                                   headers: ["attempt": .int(Int64(item.attempt))]),
                        mandatory: true)
        }
        _ = try amqp.publishConfirmed(messages, window: 4096, timeout: .seconds(60))
    }
}
