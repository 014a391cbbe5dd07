import AMQP

/// Declares Herald's exchanges and queues. Idempotent: every process calls it at start, so a
/// fresh broker, a restarted one and a running one all end in the same shape.
///
/// ```
/// erp.events (topic) ─#─▶ herald.router
/// herald.deliveries (direct) ─deliver─▶ herald.deliver
/// herald.retry (direct) ─<N>s─▶ herald.retry.<N>s (TTL N s, dead-letter ─▶ herald.deliveries/deliver)
/// herald.dead, herald.invalid: parking lots, published to through the default exchange
/// ```
public struct Topology: Sendable {
    public var names: TopologyNames

    public init(names: TopologyNames) { self.names = names }

    public func declareEvents(on connection: AMQPConnection) throws(AMQPError) {
        try connection.declareExchange(names.eventsExchange, type: "topic")
        try connection.declareQueue(names.routerQueue)
        try connection.bindQueue(names.routerQueue, exchange: names.eventsExchange, routingKey: "#")
        try connection.declareQueue(names.invalidQueue)
    }

    public func declareDeliveries(on connection: AMQPConnection) throws(AMQPError) {
        try connection.declareExchange(names.deliveriesExchange, type: "direct")
        try connection.declareQueue(names.deliverQueue)
        try connection.bindQueue(names.deliverQueue, exchange: names.deliveriesExchange, routingKey: names.deliverRoutingKey)
        try connection.declareExchange(names.retryExchange, type: "direct")
        try connection.declareQueue(names.deadQueue)
        try connection.declareQueue(names.invalidQueue)
    }

    public func declareAll(on connection: AMQPConnection) throws(AMQPError) {
        try declareEvents(on: connection)
        try declareDeliveries(on: connection)
    }

    /// The delay queue for one retry interval: queue-level TTL, dead-lettered back to the deliveries exchange.
    public func declareRetryQueue(delaySeconds: Int, on connection: AMQPConnection) throws(AMQPError) {
        let queue = names.retryQueue(delaySeconds: delaySeconds)
        try connection.declareQueue(queue, arguments: [
            "x-message-ttl": .int(Int64(delaySeconds) * 1000),
            "x-dead-letter-exchange": .string(names.deliveriesExchange),
            "x-dead-letter-routing-key": .string(names.deliverRoutingKey),
        ])
        try connection.bindQueue(queue, exchange: names.retryExchange, routingKey: names.retryRoutingKey(delaySeconds: delaySeconds))
    }
}
