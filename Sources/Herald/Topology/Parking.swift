import AMQP
import HeraldCore

/// A message that cannot be processed goes to a parking queue as it came, with the reason and
/// where it came from in its headers, so a person can read why and replay it.
enum Parking {
    static func message(_ message: AMQPDelivery, queue: String, reason: String) -> AMQPMessage {
        var properties = message.properties
        properties.persistent = true
        properties.headers["x-herald-reason"] = .string(HeaderText.bounded(reason))
        properties.headers["x-herald-original-exchange"] = .string(HeaderText.bounded(message.exchange, limit: 255))
        properties.headers["x-herald-original-routing-key"] = .string(HeaderText.bounded(message.routingKey, limit: 255))
        properties.headers["x-herald-parked-at"] = .string(Timestamp.nowISO8601())
        return AMQPMessage(exchange: "", routingKey: queue, body: message.body, properties: properties, mandatory: false)
    }
}
