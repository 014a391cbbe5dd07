/// A compiled template: literal JSON fragments kept as bytes, placeholders resolved at render time.
indirect enum TemplateNode: Sendable {
    case literal([UInt8])
    case object([(key: [UInt8], value: TemplateNode)])
    case array([TemplateNode])
    case repeatItems(TemplateNode)
    case value(TemplateVariable)
    case text([TemplateSegment])

    /// Appends the node's JSON to `buffer`. Returns false as soon as `buffer` holds more than
    /// `limit` bytes, without rendering the rest: the buffer passes the limit by at most one
    /// literal or one value of the event.
    func render(_ scope: inout TemplateScope, into buffer: inout [UInt8], limit: Int) -> Bool {
        switch self {
        case .literal(let bytes):
            buffer.append(contentsOf: bytes)
        case .object(let members):
            buffer.append(123)
            for (i, member) in members.enumerated() {
                if i > 0 { buffer.append(44) }
                buffer.append(contentsOf: member.key)
                guard member.value.render(&scope, into: &buffer, limit: limit) else { return false }
            }
            buffer.append(125)
        case .array(let items):
            buffer.append(91)
            for (i, item) in items.enumerated() {
                if i > 0 { buffer.append(44) }
                guard item.render(&scope, into: &buffer, limit: limit) else { return false }
            }
            buffer.append(93)
        case .repeatItems(let element):
            buffer.append(91)
            let items = scope.lineItems()
            let saved = scope.item
            defer { scope.item = saved }
            for (i, item) in items.enumerated() {
                if i > 0 { buffer.append(44) }
                scope.item = item
                guard element.render(&scope, into: &buffer, limit: limit) else { return false }
            }
            buffer.append(93)
        case .value(let variable):
            switch variable {
            case .attempt: buffer.append(contentsOf: String(scope.context.attempt).utf8)
            case .webhookID: JSONValue.writeString(scope.context.webhookID, to: &buffer)
            case .deliveryID: JSONValue.writeString(scope.context.deliveryID, to: &buffer)
            case .timestamp: JSONValue.writeString(scope.context.timestamp, to: &buffer)
            case .eventType: JSONValue.writeString(scope.context.eventType, to: &buffer)
            case .message(.facts): EventMessages.factsJSON(of: scope.event).write(to: &buffer)
            case .message(let kind): JSONValue.writeString(kind.text(of: scope.event), to: &buffer)
            case .path(let components, let fromItem):
                if let value = scope.resolve(components, fromItem: fromItem) {
                    value.write(to: &buffer)
                } else {
                    buffer.append(contentsOf: [110, 117, 108, 108])
                }
            }
        case .text(let segments):
            buffer.append(34)
            for segment in segments {
                switch segment {
                case .literal(let bytes): buffer.append(contentsOf: bytes)
                case .variable(let variable): scope.writeText(variable, into: &buffer)
                }
                guard buffer.count <= limit else { return false }
            }
            buffer.append(34)
        }
        return buffer.count <= limit
    }
}

enum TemplateSegment: Sendable {
    case literal([UInt8])      // already escaped for a JSON string
    case variable(TemplateVariable)
}

enum TemplateVariable: Sendable {
    case webhookID, deliveryID, timestamp, eventType, attempt
    /// `{event.title}`, `{event.summary}`, `{event.summary_slack}`, `{event.facts}` (EventMessages).
    case message(MessageKind)
    /// Components from the envelope root, or from the current line item.
    case path([String], fromItem: Bool)
}

struct TemplateScope {
    let event: JSONValue
    let context: TemplateContext
    var item: JSONValue?

    func resolve(_ components: [String], fromItem: Bool) -> JSONValue? {
        if fromItem {
            guard let item else { return nil }
            return item.value(at: components)
        }
        return event.value(at: components)
    }

    /// `data.order.items`, else the `items` of the first object in `data` that has them, else
    /// `data.items`.
    func lineItems() -> [JSONValue] {
        guard let data = event["data"] else { return [] }
        if let items = data["order"]?["items"]?.arrayValue { return items }
        if case .object(let object) = data {
            for (_, value) in object {
                if let items = value["items"]?.arrayValue { return items }
            }
        }
        return data["items"]?.arrayValue ?? []
    }

    func writeText(_ variable: TemplateVariable, into buffer: inout [UInt8]) {
        switch variable {
        case .attempt: buffer.append(contentsOf: String(context.attempt).utf8)
        case .webhookID: JSONValue.writeEscaped(context.webhookID, to: &buffer)
        case .deliveryID: JSONValue.writeEscaped(context.deliveryID, to: &buffer)
        case .timestamp: JSONValue.writeEscaped(context.timestamp, to: &buffer)
        case .eventType: JSONValue.writeEscaped(context.eventType, to: &buffer)
        case .message(.facts):
            JSONValue.writeEscaped(EventMessages.factsJSON(of: event).serialized(), to: &buffer)
        case .message(let kind): JSONValue.writeEscaped(kind.text(of: event), to: &buffer)
        case .path(let components, let fromItem):
            guard let value = resolve(components, fromItem: fromItem) else { return }
            switch value {
            case .null: return
            case .string(let s): JSONValue.writeEscaped(s, to: &buffer)
            case .number(let n): buffer.append(contentsOf: n.text.utf8)
            case .bool(let b): buffer.append(contentsOf: (b ? "true" : "false").utf8)
            case .array, .object:
                var inner: [UInt8] = []
                value.write(to: &inner)
                JSONValue.writeEscaped(String(decoding: inner, as: UTF8.self), to: &buffer)
            }
        }
    }
}

enum MessageKind: Sendable {
    case title, summary, slackSummary, facts

    func text(of event: JSONValue) -> String {
        switch self {
        case .title: EventMessages.title(of: event)
        case .summary: EventMessages.summary(of: event)
        case .slackSummary: EventMessages.slackSummary(of: event)
        case .facts: EventMessages.factsJSON(of: event).serialized()
        }
    }
}
