import AMQP
import HeraldCore
import Logging
import PostgresClient

/// Samples what the broker and the database hold, for `/metrics`: the depth of Herald's queues
/// (passive declares, no consumer) and the age of the oldest delivery that is due but not sent
/// (the backlog's age: what an operator alerts on). Every process that samples reports the same
/// figures; dashboards take `max by (queue)`.
public struct QueueSampler: HeraldService {
    public let name = "queue-sampler"
    let base: HeraldConfiguration
    let interval: Duration
    let metrics: HeraldMetrics
    let logger: Logger

    public init(base: HeraldConfiguration, interval: Duration = .seconds(15), metrics: HeraldMetrics, logger: Logger) {
        self.base = base
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
    }

    /// The queues sampled, by their label (the name without the installation's prefix).
    var queues: [(label: String, name: String)] {
        let names = base.topology
        return [("herald.router", names.routerQueue), ("herald.deliver", names.deliverQueue), ("herald.dead", names.deadQueue),
                ("herald.invalid", names.invalidQueue)]
            + DelayBuckets.seconds.map { ("herald.retry.\($0)s", names.retryQueue(delaySeconds: $0)) }
            + (0..<names.routerShards).map { ("herald.router.shard.\($0)", names.routerShardQueue($0)) }
            + (0..<names.deliveryShards).map { ("herald.deliver.shard.\($0)", names.deliverShardQueue($0)) }
    }

    public func run(stop: StopSignal) throws {
        let gauges = queues.map { (name: $0.name, gauge: metrics.gauge("herald_queue_messages", [("queue", $0.label)])) }
        let backlog = metrics.gauge("herald_backlog_age_seconds")
        var amqp: AMQPConnection?
        var database: PostgresConnection?
        // Delay queues nobody has needed yet: a passive declare of one closes the channel, so it is
        // asked again only after a while.
        var absentUntil: [String: ContinuousClock.Instant] = [:]
        while !stop.isStopped {
            do {
                for (name, gauge) in gauges {
                    if let until = absentUntil[name], ContinuousClock.now < until { gauge.record(0); continue }
                    if amqp == nil { amqp = try Connections.openAMQP(base, name: "queue-sampler") }
                    guard let connection = amqp else { break }
                    if let depth = try QueueSampler.depth(of: name, on: connection) {
                        gauge.record(Int(depth))
                    } else {
                        gauge.record(0)
                        absentUntil[name] = .now + .seconds(300)
                        connection.close()
                        amqp = nil
                    }
                }
                if database == nil { database = try PostgresConnection(base.databaseURL) }
                if let database {
                    let age = try database.query("""
                        SELECT COALESCE(extract(epoch FROM now() - min(next_attempt_at)), 0)::float8 FROM deliveries
                        WHERE state IN ('pending', 'retrying') AND next_attempt_at < now()
                        """).first.flatMap { try? $0[0].decode(Double.self) } ?? 0
                    backlog.record(age)
                }
            } catch {
                logger.debug("queue sampling failed; trying again", metadata: ["error": "\(error)"])
                amqp?.close(); amqp = nil
                database?.close(); database = nil
            }
            if let connection = amqp {
                do { try Reconciler.wait(interval, servicing: connection, stop: stop) } catch { connection.close(); amqp = nil }
            } else {
                stop.sleep(interval)
            }
        }
        amqp?.close()
        database?.close()
    }

    /// The queue's message count, or nil when it does not exist (the channel is then closed).
    static func depth(of queue: String, on connection: AMQPConnection) throws(AMQPError) -> UInt32? {
        do {
            return try connection.messageCount(queue: queue)
        } catch {
            if error.replyCode == 404 { return nil }
            throw error
        }
    }
}
