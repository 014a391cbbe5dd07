/// A compiled template: literal JSON fragments kept as bytes, placeholders resolved at render time.
indirect enum TemplateNode: Sendable {
    case literal([UInt8])
    case object([(key: [UInt8], value: TemplateNode)])
    case array([TemplateNode])
    case repeatItems(TemplateNode)
    case value(TemplateVariable)
    case text([TemplateSegment])

    func render(_ scope: inout TemplateScope, into buffer: inout [UInt8]) {
        switch self {
        case .literal(let bytes):
            buffer.append(contentsOf: bytes)
        case .object(let members):
            buffer.append(123)
            for (i, member) in members.enumerated() {
                if i > 0 { buffer.append(44) }
                buffer.append(contentsOf: member.key)
                member.value.render(&scope, into: &buffer)
            }
            buffer.append(125)
        case .array(let items):
            buffer.append(91)
            for (i, item) in items.enumerated() {
                if i > 0 { buffer.append(44) }
                item.render(&scope, into: &buffer)
            }
            buffer.append(93)
        case .repeatItems(let element):
            buffer.append(91)
            let items = scope.lineItems()
            let saved = scope.item
            for (i, item) in items.enumerated() {
                if i > 0 { buffer.append(44) }
                scope.item = item
                element.render(&scope, into: &buffer)
            }
            scope.item = saved
            buffer.append(93)
        case .value(let variable):
            switch variable {
            case .attempt: buffer.append(contentsOf: String(scope.context.attempt).utf8)
            case .webhookID: JSONValue.writeString(scope.context.webhookID, to: &buffer)
            case .timestamp: JSONValue.writeString(scope.context.timestamp, to: &buffer)
            case .eventType: JSONValue.writeString(scope.context.eventType, to: &buffer)
            case .path(let components, let fromItem):
                if let value = scope.resolve(components, fromItem: fromItem) { value.write(to: &buffer) } else { buffer.append(contentsOf: [110, 117, 108, 108]) }
            }
        case .text(let segments):
            buffer.append(34)
            for segment in segments {
                switch segment {
                case .literal(let bytes): buffer.append(contentsOf: bytes)
                case .variable(let variable): scope.writeText(variable, into: &buffer)
                }
            }
            buffer.append(34)
        }
    }
}

enum TemplateSegment: Sendable {
    case literal([UInt8])      // already escaped for a JSON string
    case variable(TemplateVariable)
}

enum TemplateVariable: Sendable {
    case webhookID, timestamp, eventType, attempt
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

    /// `data.order.items`, else the `items` of the first object in `data` that has them, else `data.items`.
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
        case .timestamp: JSONValue.writeEscaped(context.timestamp, to: &buffer)
        case .eventType: JSONValue.writeEscaped(context.eventType, to: &buffer)
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

/// Turns template JSON into nodes, finding placeholders in strings.
enum TemplateCompiler {
    static func compile(_ value: JSONValue, insideItem: Bool, variables: inout [String]) throws(TemplateError) -> TemplateNode {
        switch value {
        case .object(let object):
            var members: [(key: [UInt8], value: TemplateNode)] = []
            for (key, child) in object {
                var keyBytes: [UInt8] = []
                JSONValue.writeString(key, to: &keyBytes)
                keyBytes.append(58)
                members.append((keyBytes, try compile(child, insideItem: insideItem, variables: &variables)))
            }
            return .object(members)
        case .array(let items):
            if items.count == 1, !insideItem, usesItem(items[0]) {
                return .repeatItems(try compile(items[0], insideItem: true, variables: &variables))
            }
            var nodes: [TemplateNode] = []
            for item in items { nodes.append(try compile(item, insideItem: insideItem, variables: &variables)) }
            return .array(nodes)
        case .string(let s):
            let parts = try placeholders(in: s)
            if parts.count == 1, case .variable(let name) = parts[0] {
                return .value(try variable(name, insideItem: insideItem, variables: &variables))
            }
            if !parts.contains(where: { if case .variable = $0 { true } else { false } }) {
                var bytes: [UInt8] = []
                value.write(to: &bytes)
                return .literal(bytes)
            }
            var segments: [TemplateSegment] = []
            for part in parts {
                switch part {
                case .text(let t):
                    var bytes: [UInt8] = []
                    JSONValue.writeEscaped(t, to: &bytes)
                    segments.append(.literal(bytes))
                case .variable(let name):
                    segments.append(.variable(try variable(name, insideItem: insideItem, variables: &variables)))
                }
            }
            return .text(segments)
        default:
            var bytes: [UInt8] = []
            value.write(to: &bytes)
            return .literal(bytes)
        }
    }

    static func usesItem(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let o): return o.contains { usesItem($0.value) }
        case .array(let a): return a.contains(where: usesItem)
        case .string(let s):
            guard let parts = try? placeholders(in: s) else { return false }
            return parts.contains { if case .variable(let v) = $0 { v == "item" || v.hasPrefix("item.") } else { false } }
        default: return false
        }
    }

    static func variable(_ name: String, insideItem: Bool, variables: inout [String]) throws(TemplateError) -> TemplateVariable {
        if !variables.contains(name) { variables.append(name) }
        switch name {
        case "webhook.id": return .webhookID
        case "webhook.timestamp": return .timestamp
        case "webhook.event", "event.type": return name == "event.type" ? .path(["type"], fromItem: false) : .eventType
        case "webhook.attempt": return .attempt
        case "event.id": return .path(["id"], fromItem: false)
        case "event.tenant": return .path(["tenant"], fromItem: false)
        case "event.occurred_at": return .path(["occurred_at"], fromItem: false)
        default: break
        }
        let components = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if components.first == "item" {
            guard insideItem else {
                throw TemplateError(message: "{\(name)} is only available inside a repeated line-item array like [{\"sku\": \"{item.sku}\"}]",
                                    variable: name, hint: nil)
            }
            return .path(Array(components.dropFirst()), fromItem: true)
        }
        if components.first == "webhook" {
            throw TemplateError(message: "unknown variable {\(name)}", variable: name,
                                hint: "system variables: webhook.id, webhook.timestamp, webhook.event, webhook.attempt")
        }
        if let first = components.first, ["id", "type", "tenant", "occurred_at", "data"].contains(first) {
            return .path(components, fromItem: false)
        }
        return .path(["data"] + components, fromItem: false)
    }

    enum Part: Equatable { case text(String), variable(String) }

    /// Splits a string into text and `{path}` / `{{ path }}` placeholders. Braces that do not
    /// enclose a path are text.
    static func placeholders(in s: String) throws(TemplateError) -> [Part] {
        let chars = Array(s)
        var parts: [Part] = []
        var text = ""
        var i = 0
        func isPathChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." || c == "-" }
        while i < chars.count {
            if chars[i] == "{" {
                let double = i + 1 < chars.count && chars[i + 1] == "{"
                var j = i + (double ? 2 : 1)
                while j < chars.count, chars[j] == " " { j += 1 }
                let start = j
                while j < chars.count, isPathChar(chars[j]) { j += 1 }
                let name = String(chars[start..<j])
                while j < chars.count, chars[j] == " " { j += 1 }
                let closeCount = double ? 2 : 1
                if !name.isEmpty, name.first?.isLetter == true || name.first == "_",
                   j + closeCount <= chars.count, chars[j..<(j + closeCount)].allSatisfy({ $0 == "}" }) {
                    if name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
                        throw TemplateError(message: "placeholder {\(name)} has an empty path segment", variable: name, hint: nil)
                    }
                    if !text.isEmpty { parts.append(.text(text)); text = "" }
                    parts.append(.variable(name))
                    i = j + closeCount
                    continue
                }
            }
            text.append(chars[i])
            i += 1
        }
        if !text.isEmpty || parts.isEmpty { parts.append(.text(text)) }
        return parts
    }
}
