import AMQP
import HeraldCore

/// Publishes events the way DESIGN.md says: to the events exchange, routing key = type,
/// message_id = id, persistent, JSON, with publisher confirms kept as a window.
public struct EventPublisher {
    public let connection: AMQPConnection
    public let exchange: String

    public init(connection: AMQPConnection, exchange: String) throws(AMQPError) {
        self.connection = connection
        self.exchange = exchange
        try connection.declareExchange(exchange, type: "topic")
        try connection.enableConfirms()
    }

    /// `trace` travels as the `traceparent` header: the router carries it to the webhook request.
    public static func message(for event: Event, exchange: String, trace: TraceContext? = nil) -> AMQPMessage {
        var headers: AMQPTable = ["tenant": .string(event.tenant)]
        if let trace { headers[TraceContext.headerName] = .string(trace.traceparent) }
        return AMQPMessage(exchange: exchange, routingKey: event.type, body: event.raw,
                           properties: AMQPProperties(contentType: "application/json", messageID: event.id, persistent: true, headers: headers),
                           mandatory: false)
    }

    /// Returns once the broker has confirmed every event (durably queued).
    public func publish(_ events: [Event], window: Int = 4096, trace: TraceContext? = nil) throws(AMQPError) {
        guard !events.isEmpty else { return }
        _ = try connection.publishConfirmed(events.map { EventPublisher.message(for: $0, exchange: exchange, trace: trace) }, window: window,
                                            timeout: .seconds(60))
    }
}

/// Reads events for `herald-producer publish`: one JSON object, a JSON array of objects, or one
/// object per line. A missing id is generated; every other rule of the envelope is checked, and a
/// bad event is reported with its line (or array index).
public enum EventInput {
    public struct InputError: Error, CustomStringConvertible, Sendable {
        public var location: String
        public var message: String
        public var description: String { "\(location): \(message)" }
    }

    public static func parse(_ text: String, source: String) throws(InputError) -> [Event] {
        let trimmed = text.drop { $0.isWhitespace }
        if trimmed.first == "[" {
            let value: JSONValue
            do { value = try JSONValue(parsing: String(trimmed)) } catch { throw InputError(location: source, message: "not JSON: \(error)") }
            guard case .array(let items) = value else { throw InputError(location: source, message: "expected a JSON array of events") }
            var events: [Event] = []
            for (index, item) in items.enumerated() {
                events.append(try event(from: item, location: "\(source)[\(index)]"))
            }
            return events
        }
        var events: [Event] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let value: JSONValue
            do { value = try JSONValue(parsing: String(line)) } catch {
                throw InputError(location: "\(source) line \(lineNumber)", message: "not JSON: \(error)")
            }
            events.append(try event(from: value, location: "\(source) line \(lineNumber)"))
        }
        return events
    }

    static func event(from value: JSONValue, location: String) throws(InputError) -> Event {
        var value = value
        if case .object(var object) = value, object["id"] == nil {
            var withID = JSONObject([("id", .string(IDs.make("evt_")))])
            for (key, item) in object { withID[key] = item }
            object = withID
            value = .object(object)
        }
        do { return try Event(envelope: value) } catch { throw InputError(location: location, message: error.description) }
    }
}
