/// A payload template: JSON whose strings may hold placeholders, compiled once, rendered per
/// delivery straight into a byte buffer.
///
/// - `{order.id}` and `{{ order.id }}` are the same placeholder. Paths read the event's `data`
///   (`order.id` = `data.order.id`) unless they start with an envelope key (`id`, `type`, `tenant`,
///   `occurred_at`, `data`). System variables: `webhook.id` (the webhook's id, `wh_…`),
///   `delivery.id` or `webhook.delivery_id` (the delivery's id, `msg_…`: the stable `webhook-id`
///   header), `webhook.timestamp` (ISO 8601), `webhook.event` (the type), `webhook.attempt`;
///   and `event.id`, `event.type`, `event.tenant`, `event.occurred_at`; a readable message per
///   event type: `event.title`, `event.summary`, `event.summary_slack`, `event.facts` (`EventMessages`).
/// - A string that is exactly one placeholder becomes the value with its JSON type (a number stays
///   a number, an object stays an object; missing → `null`). Inside longer text the value is
///   interpolated as text (missing → empty).
/// - A one-element array whose element uses `item.*` repeats that element per line item. Line
///   items are `data.order.items`, else the `items` of the first object in `data` that has them,
///   else `data.items`.
/// - The output is always valid JSON: every interpolated value is escaped.
/// - Bounded: the source, its nesting and its placeholder paths are limited (`TemplateLimits`), and
///   `render(event:context:limit:)` stops once the output passes its size limit.
public struct PayloadTemplate: Sendable {
    let root: TemplateNode
    public let variables: [String]
    public let isEnvelope: Bool

    public init(parsing source: String) throws(TemplateError) {
        let size = source.utf8.count
        guard size <= TemplateLimits.maxSourceBytes else {
            throw TemplateError(message: "the template is \(size) bytes long; the limit is "
                                    + "\(TemplateLimits.maxSourceBytes) bytes (TemplateLimits.maxSourceBytes)",
                                variable: nil, hint: nil)
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: source) } catch {
            throw TemplateError(message: "the template is not JSON \(error) (placeholders go inside strings: "
                                    + "\"{order.id}\")", variable: nil, hint: nil)
        }
        var variables: [String] = []
        root = try TemplateCompiler.compile(json, insideItem: false, variables: &variables)
        self.variables = variables
        isEnvelope = false
    }

    private init(envelope: Void) {
        root = .literal([])
        variables = []
        isEnvelope = true
    }

    /// The default: the event envelope as it is.
    public static let envelope = PayloadTemplate(envelope: ())

    /// True when the output depends on the attempt (`webhook.attempt`, `webhook.timestamp`).
    public var dependsOnAttempt: Bool {
        variables.contains("webhook.attempt") || variables.contains("webhook.timestamp")
    }

    static let systemVariables: Set<String> = [
        "webhook.id", "webhook.delivery_id", "delivery.id", "webhook.timestamp", "webhook.event", "webhook.attempt",
        "event.id", "event.type", "event.tenant", "event.occurred_at",
        "event.title", "event.summary", "event.summary_slack", "event.facts",
    ]

    /// Checks every variable against the field paths of the subscribed event types. With no known
    /// paths (only custom event types) only the system variables are checked.
    public func validate(knownPaths: Set<String>) throws(TemplateError) {
        for variable in variables {
            if variable.hasPrefix("webhook.") || variable.hasPrefix("event.") || variable.hasPrefix("delivery.") {
                guard PayloadTemplate.systemVariables.contains(variable) else {
                    throw TemplateError(message: "unknown variable {\(Quoted.bare(variable))}", variable: variable,
                                        hint: "system variables: "
                                            + PayloadTemplate.systemVariables.sorted().joined(separator: ", "))
                }
                continue
            }
            guard !knownPaths.isEmpty else { continue }
            var path = variable
            if path.hasPrefix("data.") { path.removeFirst(5) }
            if ["id", "type", "tenant", "occurred_at", "data"].contains(path) { continue }
            if knownPaths.contains(path) { continue }
            // Array indexes (order.items.0.sku) are checked without the index.
            let withoutIndexes = path.split(separator: ".").filter { Int($0) == nil }.joined(separator: ".")
            if knownPaths.contains(withoutIndexes) { continue }
            let candidates = knownPaths.union(PayloadTemplate.systemVariables)
                .map { (path: $0, distance: EditDistance.between($0, variable)) }
                .sorted { $0.distance == $1.distance ? $0.path < $1.path : $0.distance < $1.distance }
            throw TemplateError(message: "unknown variable {\(Quoted.bare(variable))} for the subscribed events",
                                variable: variable,
                                hint: "did you mean "
                                    + candidates.prefix(6).map { "{\($0.path)}" }.joined(separator: ", ") + "?")
        }
    }

    /// Renders the payload for one delivery, refusing output larger than `limit` bytes (normally
    /// `TemplateLimits.defaultMaxRenderedBytes`). Rendering stops as soon as the output passes the
    /// limit, so memory stays near `limit` plus one value of the event, however often the template
    /// repeats it.
    public func render(event: JSONValue, context: TemplateContext,
                       limit: Int) throws(TemplateRenderError) -> [UInt8] {
        var buffer: [UInt8] = []
        guard renderBounded(event: event, context: context, into: &buffer, limit: limit) else {
            throw TemplateRenderError(limit: limit, renderedBytes: buffer.count)
        }
        return buffer
    }

    @available(*, deprecated, message: "renders without a size limit; use render(event:context:limit:)")
    public func render(event: JSONValue, context: TemplateContext) -> [UInt8] {
        var buffer: [UInt8] = []
        _ = renderBounded(event: event, context: context, into: &buffer, limit: Int.max)
        return buffer
    }

    @available(*, deprecated, message: "renders without a size limit; use render(event:context:limit:)")
    public func render(event: JSONValue, context: TemplateContext, into buffer: inout [UInt8]) {
        _ = renderBounded(event: event, context: context, into: &buffer, limit: Int.max)
    }

    /// False when the output passed `limit` (the buffer then holds a truncated payload).
    func renderBounded(event: JSONValue, context: TemplateContext, into buffer: inout [UInt8], limit: Int) -> Bool {
        if isEnvelope {
            event.write(to: &buffer)
            return buffer.count <= limit
        }
        var scope = TemplateScope(event: event, context: context, item: nil)
        return root.render(&scope, into: &buffer, limit: limit)
    }
}

/// What a template needs besides the event: which webhook, which delivery, the attempt.
public struct TemplateContext: Sendable {
    /// `{webhook.id}`: the webhook (`wh_…`).
    public var webhookID: String
    /// `{delivery.id}` / `{webhook.delivery_id}`: the delivery (`msg_…`), the `webhook-id` header.
    public var deliveryID: String
    public var timestamp: String
    public var eventType: String
    public var attempt: Int

    public init(webhookID: String, deliveryID: String, timestamp: String, eventType: String, attempt: Int) {
        self.webhookID = webhookID
        self.deliveryID = deliveryID
        self.timestamp = timestamp
        self.eventType = eventType
        self.attempt = attempt
    }
}

/// Why a template cannot be used: the variable at fault and a hint of what exists.
public struct TemplateError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public var variable: String?
    public var hint: String?

    public var description: String { hint.map { "\(message); \($0)" } ?? message }
}
