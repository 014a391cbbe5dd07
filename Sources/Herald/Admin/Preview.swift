import HeraldCore

/// `heraldctl template preview`: renders a template against a sample of an event type or a given
/// event, exactly as the router and worker would, without sending anything.
public enum Preview {
    /// What a preview over HTTP renders at most (a preview is for eyes; deliveries have their own limit).
    public static let interactiveLimit = 256 * 1024

    public struct PreviewError: Error, CustomStringConvertible, Sendable { public var description: String }

    /// `subscribedTypes`: the event types whose fields the template may use (a webhook's
    /// subscription); default: the previewed event's type.
    public static func render(template source: String?, eventType: String?, eventJSON: String?, webhookID: String = "wh_preview", deliveryID: String = "msg_preview",
                              attempt: Int = 1, subscribedTypes: [String]? = nil, limit: Int = TemplateLimits.defaultMaxRenderedBytes) throws -> String {
        let event: JSONValue
        if let eventJSON {
            do { event = try JSONValue(parsing: eventJSON) } catch { throw PreviewError(description: "event: not JSON: \(error)") }
        } else if let eventType {
            guard let sample = EventCatalog.sampleEvent(for: eventType) else {
                throw PreviewError(description: "event type \"\(eventType)\" is not in the catalog; known: \(EventCatalog.types.joined(separator: ", "))")
            }
            event = sample
        } else {
            throw PreviewError(description: "give an event type (--event-type) or an event (--event FILE)")
        }
        let template: PayloadTemplate
        if let source {
            do { template = try PayloadTemplate(parsing: source) } catch { throw PreviewError(description: "template: \(error)") }
            let types = subscribedTypes ?? [event["type"]?.stringValue ?? eventType ?? ""]
            do { try template.validate(knownPaths: types.reduce(into: Set<String>()) { $0.formUnion(EventCatalog.fieldPaths(for: $1)) }) } catch {
                throw PreviewError(description: "template: \(error)")
            }
        } else {
            template = PayloadTemplate.envelope
        }
        let bytes: [UInt8]
        do {
            bytes = try template.render(event: event, context: TemplateContext(
                webhookID: webhookID, deliveryID: deliveryID, timestamp: Timestamp.nowISO8601(), eventType: event["type"]?.stringValue ?? "",
                attempt: attempt), limit: limit)
        } catch { throw PreviewError(description: "template: \(error)") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
