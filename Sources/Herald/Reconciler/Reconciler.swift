import AMQP
import HeraldCore
import Logging
import PostgresClient

/// Republishes deliveries that are due but on no queue: a router that died between its commit and
/// its publish, a dead-letter lost in a broker crash, a worker that died holding a claim. PostgreSQL
/// decides what is due; `FOR UPDATE SKIP LOCKED` lets any number of reconcilers run at once, and a
/// republished job that turns out to be a duplicate claims nothing in the worker.
///
/// Its broker connection is kept alive between passes (heartbeats are serviced while it waits), and a
/// row's clock moves only after the broker confirmed its job, so the safety net cannot itself lose
/// work. A due row is taken for lost after `graceSeconds` while the delivery queue holds nothing
/// ready (every job published so far has reached a worker); while a backlog is queued it waits
/// `backlogGraceSeconds`, so work that is merely queued is not republished.
public struct Reconciler: HeraldService {
    public let name = "reconciler"
    let base: HeraldConfiguration
    let interval: Duration
    let graceSeconds: Int
    let backlogGraceSeconds: Int
    let logger: Logger
    let metrics: HeraldMetrics?

    public init(base: HeraldConfiguration, interval: Duration, graceSeconds: Int, backlogGraceSeconds: Int = 300, logger: Logger,
                metrics: HeraldMetrics? = nil) {
        self.metrics = metrics
        self.base = base
        self.interval = interval
        self.graceSeconds = graceSeconds
        self.backlogGraceSeconds = max(backlogGraceSeconds, graceSeconds)
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
                    metrics?.reconcilerRepublished.increment(by: count)
                    if count > 0 { logger.warning("reconciler republished deliveries that were due but on no queue", metadata: ["count": "\(count)"]) }
                    try Reconciler.wait(interval, servicing: amqp, stop: stop)
                    continue
                }
            } catch {
                logger.error("reconciler pass failed; nothing was moved", metadata: ["error": "\(error)"])
                amqp?.close(); amqp = nil
                database?.close(); database = nil
            }
            stop.sleep(interval)
        }
        amqp?.close()
        database?.close()
    }

    /// Waits, reading the connection's frames so its heartbeats keep flowing (an idle librabbitmq
    /// connection sends none, and the broker closes it).
    static func wait(_ duration: Duration, servicing amqp: AMQPConnection, stop: StopSignal) throws {
        let deadline = ContinuousClock.now + duration
        while !stop.isStopped, ContinuousClock.now < deadline {
            try amqp.poll(timeout: min(deadline - ContinuousClock.now, .milliseconds(250)))
        }
    }

    /// One pass: republishes everything due, in batches; returns how many.
    public func pass(amqp: AMQPConnection, store: DeliveryStore) throws -> Int {
        var ready: UInt32 = 0
        for queue in base.topology.deliverQueues { ready += try amqp.messageCount(queue: queue) }
        let grace = ready > 0 ? backlogGraceSeconds : graceSeconds
        let messages = JobMessages(names: base.topology)
        var total = 0
        while true {
            let count = try store.republishDue(graceSeconds: grace, inFlightGraceSeconds: graceSeconds, limit: 1000) { due in
                _ = try amqp.publishConfirmed(due.map { messages.job($0) }, window: 4096, timeout: .seconds(60))
            }
            total += count
            if count < 1000 { break }
        }
        return total
    }
}
