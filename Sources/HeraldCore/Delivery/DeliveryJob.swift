/// The message that carries one attempt of one delivery through the broker. It is small on
/// purpose: PostgreSQL holds the payload and the state, the broker only carries the work.
public struct DeliveryJob: Sendable, Equatable {
    public var deliveryID: String
    /// 1 for the first attempt; a job whose attempt is not the delivery's next is a duplicate.
    public var attempt: Int

    public init(deliveryID: String, attempt: Int) {
        self.deliveryID = deliveryID
        self.attempt = attempt
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        JSONValue.object(JSONObject([("delivery_id", .string(deliveryID)), ("attempt", .number(JSONNumber(attempt)))])).write(to: &bytes)
        return bytes
    }

    public init(decoding bytes: [UInt8]) throws(DeliveryJobError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw DeliveryJobError(message: "not JSON: \(error)") }
        guard let id = value["delivery_id"]?.stringValue, id.hasPrefix("msg_"), id.utf8.count <= 64 else {
            throw DeliveryJobError(message: "delivery_id must be a string like msg_01J…")
        }
        guard let attempt = value["attempt"]?.intValue, (1...1000).contains(attempt) else {
            throw DeliveryJobError(message: "attempt must be a whole number from 1")
        }
        self.init(deliveryID: id, attempt: attempt)
    }
}

public struct DeliveryJobError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "invalid delivery job: \(message)" }
}
