import AMQP
import HeraldCore

/// Moves an installation's queues from one type to the other (classic → quorum for a cluster, or
/// back). RabbitMQ cannot redeclare a queue with another type, so the target queues have names of
/// their own: they are declared and bound first, the source queues unbound (from then on new
/// messages reach only the target), every waiting message moved (published to its target with
/// confirms, then acked), and the emptied source queues deleted. Safe while producers publish; run
/// it with routers and workers stopped, then start them with the new HERALD_QUEUE_TYPE. A message
/// in a retry queue waits its delay again in the target queue.
public struct QueueMigration {
    public let amqpURL: String
    public let source: TopologyNames
    public let target: TopologyNames

    public init(amqpURL: String, source: TopologyNames, target: TopologyNames) {
        self.amqpURL = amqpURL
        self.source = source
        self.target = target
    }

    public struct Moved: Encodable, Sendable {
        public var queue: String
        public var into: String
        public var messages: Int
    }

    public func run(dryRun: Bool) throws -> [Moved] {
        let connection = try AMQPConnection.connect(anyOf: amqpURL, connectionName: "heraldctl-queues-migrate")
        defer { connection.close() }
        let from = Topology(names: source), to = Topology(names: target)
        try from.declareAll(on: connection)
        var pairs = (0..<source.routerShards).map { (source.routerShardQueue($0), target.routerShardQueue($0)) }
        pairs += (0..<source.deliveryShards).map { (source.deliverShardQueue($0), target.deliverShardQueue($0)) }
        pairs += [(source.routerQueue, target.routerQueue), (source.deliverQueue, target.deliverQueue),
                     (source.deadQueue, target.deadQueue), (source.invalidQueue, target.invalidQueue)]
        for delay in DelayBuckets.seconds { pairs.append((source.retryQueue(delaySeconds: delay), target.retryQueue(delaySeconds: delay))) }
        if dryRun {
            var counts: [Moved] = []
            for (queue, into) in pairs {
                if queue.contains(".retry.") { try from.declareRetryQueue(delaySeconds: delaySeconds(queue), on: connection) }
                counts.append(Moved(queue: queue, into: into, messages: Int(try connection.messageCount(queue: queue))))
            }
            return counts.filter { $0.messages > 0 || !$0.queue.contains(".retry.") }
        }
        try to.declareAll(on: connection)
        for delay in DelayBuckets.seconds {
            try from.declareRetryQueue(delaySeconds: delay, on: connection)
            try to.declareRetryQueue(delaySeconds: delay, on: connection)
        }
        // From here on new messages reach only the target queues.
        try connection.unbindQueue(source.routerQueue, exchange: source.eventsExchange, routingKey: "#")
        for shard in 0..<source.routerShards {
            try connection.unbindQueue(source.routerShardQueue(shard), exchange: source.routerHashExchange, routingKey: TopologyNames.shardWeight)
        }
        try connection.unbindQueue(source.deliverQueue, exchange: source.deliveriesExchange, routingKey: source.deliverRoutingKey)
        for shard in 0..<source.deliveryShards {
            try connection.unbindQueue(source.deliverShardQueue(shard), exchange: source.deliveriesExchange, routingKey: source.deliverShardRoutingKey(shard))
        }
        for delay in DelayBuckets.seconds {
            try connection.unbindQueue(source.retryQueue(delaySeconds: delay), exchange: source.retryExchange,
                                       routingKey: source.retryRoutingKey(delaySeconds: delay))
        }
        var moved: [Moved] = []
        let publisher = try AMQPConnection.connect(anyOf: amqpURL, connectionName: "heraldctl-queues-migrate-publish")
        defer { publisher.close() }
        try publisher.enableConfirms()
        for (queue, into) in pairs {
            let count = try move(queue, into: into, consumer: connection, publisher: publisher)
            guard try connection.messageCount(queue: queue) == 0 else {
                throw AMQPError(code: .protocolError, message: "\(queue) still holds messages (is a router or worker still consuming it?); run the migration again")
            }
            try connection.deleteQueue(queue)
            if count > 0 || !queue.contains(".retry.") { moved.append(Moved(queue: queue, into: into, messages: count)) }
        }
        return moved
    }

    private func delaySeconds(_ queue: String) -> Int {
        Int(queue.split(separator: ".").last?.dropLast() ?? "") ?? 1
    }

    /// Every message of `queue` into `into`: published with confirms, then acked, 500 at a time.
    private func move(_ queue: String, into: String, consumer: AMQPConnection, publisher: AMQPConnection) throws -> Int {
        guard try consumer.messageCount(queue: queue) > 0 else { return 0 }
        try consumer.setPrefetch(500)
        let tag = try consumer.consume(queue: queue)
        defer { _ = try? consumer.cancel(consumerTag: tag) }
        var total = 0
        while true {
            let batch = try consumer.deliveries(max: 500, timeout: .milliseconds(500))
            if batch.isEmpty { break }
            _ = try publisher.publishConfirmed(batch.map { AMQPMessage(exchange: "", routingKey: into, body: $0.body, properties: $0.properties, mandatory: false) },
                                              window: 500, timeout: .seconds(60))
            if let last = batch.last { try consumer.ack(last.deliveryTag, multiple: true) }
            total += batch.count
        }
        return total
    }
}
