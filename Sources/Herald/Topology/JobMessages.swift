import AMQP
import HeraldCore

/// One delivery job bound for the broker: which delivery, which attempt, for which webhook.
public struct JobTicket: Sendable, Equatable, Hashable {
    public var deliveryID: String
    public var webhookID: String
    /// The attempt the job is for (1 = the first); a worker claims it only if it is the delivery's next.
    public var attempt: Int

    public init(deliveryID: String, webhookID: String, attempt: Int) {
        self.deliveryID = deliveryID
        self.webhookID = webhookID
        self.attempt = attempt
    }
}

/// Builds every broker message that carries a delivery job — the router's first job, a retry, a
/// deferral, a resend or resume, the reconciler's republish, a dead letter — so they all have one
/// shape: body `{"delivery_id","attempt"}`, message_id = delivery id, persistent, mandatory, headers
/// `webhook_id` and `attempt`. A delay travels as data (`delaySeconds`), never parsed back out of
/// a routing key.
public struct JobMessages: Sendable {
    public let names: TopologyNames

    public init(names: TopologyNames) { self.names = names }

    /// A job to run now (delay 0: straight to the deliveries exchange) or after `delaySeconds`
    /// (through that delay's queue, which the publisher declares first: `Topology.declareRetryQueue`).
    /// `deferred` names why a job waits without an attempt (e.g. "rate"), so the worker that gets it
    /// back knows.
    public func job(_ ticket: JobTicket, delaySeconds: Int = 0, deferred: String? = nil, waitingSince: Int64? = nil) -> AMQPMessage {
        var extra: AMQPTable = [:]
        if let deferred { extra[JobMessages.deferredHeader] = .string(deferred) }
        if let waitingSince { extra[JobMessages.waitingSinceHeader] = .int(waitingSince) }
        return AMQPMessage(exchange: delaySeconds > 0 ? names.retryExchange : names.deliveriesExchange,
                           routingKey: delaySeconds > 0 ? names.retryRoutingKey(delaySeconds: delaySeconds)
                                                         : names.deliverRoutingKey(webhookID: ticket.webhookID),
                           body: DeliveryJob(deliveryID: ticket.deliveryID, attempt: ticket.attempt).encoded(),
                           properties: properties(ticket, extra: extra), mandatory: true)
    }

    public static let deferredHeader = "x-herald-deferred"
    /// Since when (Unix ms) a deferred job has been waiting, so its wait can be bounded.
    public static let waitingSinceHeader = "x-herald-waiting-since"

    public static func waitingSince(_ properties: AMQPProperties) -> Int64? {
        if case .int(let ms)? = properties.headers[waitingSinceHeader] { return ms }
        return nil
    }

    /// The parking-lot copy of a delivery that failed for good, with the reason a person reads.
    public func dead(_ ticket: JobTicket, reason: String, status: Int?) -> AMQPMessage {
        var extra: AMQPTable = ["x-herald-reason": .string(HeaderText.bounded(reason)),
                                "x-herald-parked-at": .string(Timestamp.nowISO8601())]
        if let status { extra["x-herald-last-status"] = .int(Int64(status)) }
        return AMQPMessage(exchange: "", routingKey: names.deadQueue,
                           body: DeliveryJob(deliveryID: ticket.deliveryID, attempt: ticket.attempt).encoded(),
                           properties: properties(ticket, extra: extra), mandatory: true)
    }

    /// The webhook a job message names (for rate limits before anything is claimed).
    public static func webhookID(of properties: AMQPProperties) -> String? {
        if case .string(let id)? = properties.headers["webhook_id"] { return id }
        return nil
    }

    private func properties(_ ticket: JobTicket, extra: AMQPTable) -> AMQPProperties {
        var headers: AMQPTable = ["webhook_id": .string(ticket.webhookID), "attempt": .int(Int64(ticket.attempt))]
        for (key, value) in extra { headers[key] = value }
        return AMQPProperties(contentType: "application/json", messageID: ticket.deliveryID, persistent: true, headers: headers)
    }
}

/// Text Herald writes into an AMQP header: bounded, so a hostile value can never make a message
/// too large to publish (the broker's frame, librabbitmq's table buffer).
public enum HeaderText {
    public static let limit = 1024

    public static func bounded(_ text: String, limit: Int = HeaderText.limit) -> String {
        guard text.utf8.count > limit else { return text }
        var cut = text.utf8.prefix(limit)
        while !cut.isEmpty, String(validating: cut, as: UTF8.self) == nil { cut = cut.dropLast() }
        return (String(validating: cut, as: UTF8.self) ?? "") + "… [\(text.utf8.count) bytes, truncated]"
    }
}

extension JobMessages {
    /// Publishes jobs to run now (resume, resend, recover, test), confirmed by the broker.
    public func publishNow(_ tickets: [JobTicket], on amqp: AMQPConnection) throws(AMQPError) {
        guard !tickets.isEmpty else { return }
        try amqp.enableConfirms()
        _ = try amqp.publishConfirmed(tickets.map { job($0) }, window: 4096, timeout: .seconds(60))
    }
}
