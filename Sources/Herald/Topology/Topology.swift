import AMQP

/// Declares Herald's exchanges and queues. Idempotent: every process calls it at start, so a
/// fresh broker, a restarted one and a running one all end in the same shape.
///
/// ```
/// erp.events (topic) ─#─▶ herald.router
/// herald.deliveries (direct) ─deliver─▶ herald.deliver
///                            ─deliver.<i>─▶ herald.deliver.shard.<i>   (HERALD_DELIVERY_SHARDS)
/// herald.retry (direct) ─<N>s─▶ herald.retry.<N>s (TTL N s, dead-letter ─▶ herald.deliveries/deliver)
/// herald.dead, herald.invalid: parking lots, published to through the default exchange
/// ```
public struct Topology: Sendable {
    public var names: TopologyNames

    public init(names: TopologyNames) { self.names = names }

    public func declareEvents(on connection: AMQPConnection) throws(AMQPError) {
        try connection.declareExchange(names.eventsExchange, type: "topic")
        try connection.declareQueue(names.routerQueue, arguments: queueArguments([:]))
        if names.routerShards == 0 {
            try connection.bindQueue(names.routerQueue, exchange: names.eventsExchange, routingKey: "#")
        } else {
            // Events hashed by their `tenant` header over the shards (one without the header goes
            // to one shard, the hash of nothing); the single queue keeps only what it held before.
            try connection.declareExchange(names.routerHashExchange, type: "x-consistent-hash", arguments: ["hash-header": .string("tenant")])
            try connection.bindExchange(names.routerHashExchange, to: names.eventsExchange, routingKey: "#")
            for shard in 0..<names.routerShards {
                let queue = names.routerShardQueue(shard)
                try connection.declareQueue(queue, arguments: queueArguments(["x-single-active-consumer": .bool(true)]))
                // 20 points on the hash ring each (the binding's key is its weight): with one point
                // per queue the arcs, and so the tenants per shard, are very uneven.
                try connection.unbindQueue(queue, exchange: names.routerHashExchange, routingKey: "1")
                try connection.bindQueue(queue, exchange: names.routerHashExchange, routingKey: TopologyNames.shardWeight)
            }
            try connection.unbindQueue(names.routerQueue, exchange: names.eventsExchange, routingKey: "#")
        }
        try declareParking(names.invalidQueue, on: connection)
    }

    public func declareDeliveries(on connection: AMQPConnection) throws(AMQPError) {
        try connection.declareExchange(names.deliveriesExchange, type: "direct")
        try connection.declareQueue(names.deliverQueue, arguments: queueArguments([:]))
        try connection.bindQueue(names.deliverQueue, exchange: names.deliveriesExchange, routingKey: names.deliverRoutingKey)
        for shard in 0..<names.deliveryShards {
            let queue = names.deliverShardQueue(shard)
            try connection.declareQueue(queue, arguments: queueArguments([:]))
            try connection.bindQueue(queue, exchange: names.deliveriesExchange, routingKey: names.deliverShardRoutingKey(shard))
        }
        try connection.declareExchange(names.retryExchange, type: "direct")
        try declareParking(names.deadQueue, on: connection)
        try declareParking(names.invalidQueue, on: connection)
    }

    public func declareAll(on connection: AMQPConnection) throws(AMQPError) {
        try declareEvents(on: connection)
        try declareDeliveries(on: connection)
    }

    /// A parking lot, bounded (oldest dropped first). A queue declared by an older Herald without
    /// the bound is refused by the broker (406): the error says how to move on.
    func declareParking(_ queue: String, on connection: AMQPConnection) throws(AMQPError) {
        do {
            try connection.declareQueue(queue, arguments: queueArguments(["x-max-length": .int(Int64(names.parkingMaxLength)),
                                                                          "x-overflow": .string("drop-head")]))
        } catch where error.replyCode == 406 {
            throw AMQPError(code: error.code, replyCode: 406, message: """
                \(error.message) — \(queue) exists without Herald's bound (x-max-length \(names.parkingMaxLength)), \
                or with another one: redrive what it holds (heraldctl dead redrive), delete it \
                (rabbitmqctl delete_queue \(queue)), and start again; or set HERALD_PARKING_MAX_LENGTH to the bound it has
                """)
        }
    }

    /// A queue's arguments with its type (quorum queues are durable, replicated, never exclusive).
    func queueArguments(_ arguments: AMQPTable) -> AMQPTable {
        guard names.queueType == .quorum else { return arguments }
        var arguments = arguments
        arguments["x-queue-type"] = .string("quorum")
        return arguments
    }

    /// The delay queue for one retry interval: queue-level TTL, dead-lettered back to the deliveries exchange.
    public func declareRetryQueue(delaySeconds: Int, on connection: AMQPConnection) throws(AMQPError) {
        let queue = names.retryQueue(delaySeconds: delaySeconds)
        var arguments: AMQPTable = [
            "x-message-ttl": .int(Int64(delaySeconds) * 1000),
            "x-dead-letter-exchange": .string(names.deliveriesExchange),
            "x-dead-letter-routing-key": .string(names.deliverRoutingKey),
        ]
        if names.queueType == .quorum {
            // Dead-lettering from a quorum queue is at most once unless asked: at-least-once needs
            // reject-publish overflow (otherwise RabbitMQ silently falls back to at-most-once).
            arguments["x-dead-letter-strategy"] = .string("at-least-once")
            arguments["x-overflow"] = .string("reject-publish")
        }
        try connection.declareQueue(queue, arguments: queueArguments(arguments))
        try connection.bindQueue(queue, exchange: names.retryExchange, routingKey: names.retryRoutingKey(delaySeconds: delaySeconds))
    }
}
