import AMQP
import HeraldCore
import PostgresClient

/// The parking lot of failed deliveries (`herald.dead`): what is in it, and sending it again.
///
/// PostgreSQL keeps every failed delivery with its reason and attempts; the queue is a bounded
/// copy for eyes and tools that read queues. Redrive takes messages off it and resends their
/// deliveries through the same path as `delivery resend`; a message is acked only after its
/// delivery's new job was confirmed by the broker.
public struct DeadLetterAdmin {
    public struct Parked: Encodable, Sendable {
        public var deliveryID: String?
        public var webhookID: String?
        public var reason: String
        public var parkedAt: String
        enum CodingKeys: String, CodingKey { case deliveryID = "delivery_id", webhookID = "webhook_id", reason, parkedAt = "parked_at" }
    }

    public let configuration: HeraldConfiguration

    public init(configuration: HeraldConfiguration) { self.configuration = configuration }

    /// Up to `max` parked messages, left in the queue (they come back when this connection closes).
    public func list(max: Int) throws -> [Parked] {
        let amqp = try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: "heraldctl-dead-list")
        defer { amqp.close() }
        return try take(from: amqp, max: max).map(\.parked)
    }

    /// Resends the deliveries of up to `max` parked messages, then removes those messages. Returns
    /// the delivery ids resent (dry run: that would be resent, nothing changes).
    public func redrive(max: Int, dryRun: Bool, database: PostgresConnection) throws -> [String] {
        let amqp = try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: "heraldctl-dead-redrive")
        defer { amqp.close() }
        let taken = try take(from: amqp, max: max)
        let ids = Array(Set(taken.compactMap(\.parked.deliveryID))).sorted()
        guard !dryRun else { return ids }
        let publisher = try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: "heraldctl-dead-redrive-publish")
        defer { publisher.close() }
        let resent = try DeliveryAdmin(connection: database).resend(ids: ids, amqp: publisher, names: configuration.topology)
        for message in taken where message.parked.deliveryID != nil { try amqp.ack(message.tag) }
        return resent.map(\.deliveryID)
    }

    /// An event the router refused (`herald.invalid`): why, and what it was.
    public struct Refused: Encodable, Sendable {
        public var reason: String
        public var routingKey: String
        public var messageID: String?
        public var tenant: String?
        /// The body as received, at most 4 KiB of it (it may be anything).
        public var body: String
        enum CodingKeys: String, CodingKey { case reason, routingKey = "routing_key", messageID = "message_id", tenant, body }
    }

    /// Up to `max` refused events, left in the queue.
    public func listInvalid(max: Int) throws -> [Refused] {
        let amqp = try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: "herald-invalid-list")
        defer { amqp.close() }
        return try takeInvalid(from: amqp, max: max).map(\.refused)
    }

    /// Publishes up to `max` refused events to the events exchange again (with confirms), then
    /// removes them: for events refused while their tenant had no webhook yet, or after a fix. One
    /// that is still invalid is refused again, with its reason. Returns how many were republished.
    public func redriveInvalid(max: Int, dryRun: Bool) throws -> Int {
        let amqp = try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: "herald-invalid-redrive")
        defer { amqp.close() }
        let taken = try takeInvalid(from: amqp, max: max)
        guard !dryRun, !taken.isEmpty else { return taken.count }
        let publisher = try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: "herald-invalid-redrive-publish")
        defer { publisher.close() }
        try Topology(names: configuration.topology).declareEvents(on: publisher)
        try publisher.enableConfirms()
        _ = try publisher.publishConfirmed(taken.map { item in
            var properties = item.properties
            for header in ["x-herald-reason", "x-herald-original-exchange", "x-herald-original-routing-key", "x-herald-parked-at"] {
                properties.headers[header] = nil
            }
            return AMQPMessage(exchange: configuration.topology.eventsExchange, routingKey: item.refused.routingKey, body: item.body,
                               properties: properties, mandatory: false)
        }, window: 1024, timeout: .seconds(60))
        for item in taken { try amqp.ack(item.tag) }
        return taken.count
    }

    private func takeInvalid(from amqp: AMQPConnection, max: Int) throws
        -> [(tag: UInt64, refused: Refused, body: [UInt8], properties: AMQPProperties)] {
        try Topology(names: configuration.topology).declareEvents(on: amqp)
        try amqp.setPrefetch(UInt16(min(Swift.max(max, 1), 65_535)))
        try amqp.consume(queue: configuration.topology.invalidQueue)
        var result: [(tag: UInt64, refused: Refused, body: [UInt8], properties: AMQPProperties)] = []
        while result.count < max, let message = try amqp.nextDelivery(timeout: .milliseconds(500)) {
            func header(_ name: String) -> String? {
                if case .string(let text)? = message.properties.headers[name] { return text }
                return nil
            }
            let refused = Refused(reason: header("x-herald-reason") ?? "", routingKey: header("x-herald-original-routing-key") ?? message.routingKey,
                                  messageID: message.properties.messageID, tenant: header("tenant"),
                                  body: String(decoding: message.body.prefix(4096), as: UTF8.self))
            result.append((message.deliveryTag, refused, message.body, message.properties))
        }
        return result
    }

    private func take(from amqp: AMQPConnection, max: Int) throws -> [(tag: UInt64, parked: Parked)] {
        try Topology(names: configuration.topology).declareDeliveries(on: amqp)
        try amqp.setPrefetch(UInt16(min(Swift.max(max, 1), 65_535)))
        try amqp.consume(queue: configuration.topology.deadQueue)
        var result: [(tag: UInt64, parked: Parked)] = []
        while result.count < max, let message = try amqp.nextDelivery(timeout: .milliseconds(500)) {
            func header(_ name: String) -> String? {
                if case .string(let text)? = message.properties.headers[name] { return text }
                return nil
            }
            let job = try? DeliveryJob(decoding: message.body)
            result.append((message.deliveryTag, Parked(deliveryID: job?.deliveryID, webhookID: header("webhook_id"),
                                                      reason: header("x-herald-reason") ?? "", parkedAt: header("x-herald-parked-at") ?? "")))
        }
        return result
    }
}
