import AMQP
import HeraldCore

/// A message that cannot be processed goes to a parking queue as it came, with the reason and
/// where it came from in its headers, so a person can read why and replay it.
enum Parking {
    /// Headers a parked copy keeps from the original; beyond this they are dropped (and the fact
    /// noted), so a message that came with oversized headers can always be parked.
    static let maxOriginalHeaderBytes = 16 * 1024

    static func message(_ message: AMQPDelivery, queue: String, reason: String) -> AMQPMessage {
        var properties = message.properties
        properties.persistent = true
        let originalSize = properties.headers.encodedSize
        if originalSize > maxOriginalHeaderBytes {
            properties.headers = ["x-herald-headers-dropped": .string("\(properties.headers.count) headers, \(originalSize) bytes")]
        }
        for field in [\AMQPProperties.messageID, \AMQPProperties.correlationID, \AMQPProperties.type] {
            if let value = properties[keyPath: field], value.utf8.count > 255 { properties[keyPath: field] = HeaderText.bounded(value, limit: 200) }
        }
        properties.headers["x-herald-reason"] = .string(HeaderText.bounded(reason))
        properties.headers["x-herald-original-exchange"] = .string(HeaderText.bounded(message.exchange, limit: 255))
        properties.headers["x-herald-original-routing-key"] = .string(HeaderText.bounded(message.routingKey, limit: 255))
        properties.headers["x-herald-parked-at"] = .string(Timestamp.nowISO8601())
        return AMQPMessage(exchange: "", routingKey: queue, body: message.body, properties: properties, mandatory: false)
    }
}
