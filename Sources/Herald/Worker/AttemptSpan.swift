import HeraldCore
/// The span of one webhook attempt (exported over OTLP when it is on): a child of the routing step's.
enum AttemptSpan {
    static func make(_ trace: TraceContext, parent: String?, delivery: ClaimedDelivery, webhookID: String, record: AttemptRecord,
                     error: String?) -> Span {
        var attributes: [(String, JSONValue)] = [("herald.delivery_id", .string(delivery.id)), ("herald.webhook_id", .string(webhookID)),
                                                 ("herald.attempt", .number(JSONNumber(delivery.attempt))),
                                                 ("event.id", .string(delivery.eventID)), ("event.type", .string(delivery.eventType))]
        if let status = record.statusCode { attributes.append(("http.response.status_code", .number(JSONNumber(status)))) }
        let start = record.startedAtMilliseconds * 1_000_000
        return Span(name: "herald.deliver", context: trace, parentSpanID: parent.flatMap(TraceContext.init(traceparent:))?.spanID,
                    kind: .client, startUnixNanoseconds: start, endUnixNanoseconds: start + Int64(record.durationMilliseconds * 1_000_000),
                    attributes: attributes, error: error)
    }
}
