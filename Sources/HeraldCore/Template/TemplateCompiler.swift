/// Turns template JSON into nodes, finding placeholders in strings. Recursion follows the nesting
/// of the template's arrays and objects, refused past `TemplateLimits.maxNestingDepth`.
enum TemplateCompiler {
    /// `depth` is the number of arrays and objects around `value`.
    static func compile(_ value: JSONValue, insideItem: Bool, depth: Int = 0,
                        variables: inout [String]) throws(TemplateError) -> TemplateNode {
        switch value {
        case .object, .array:
            guard depth < TemplateLimits.maxNestingDepth else {
                throw TemplateError(message: "the template nests arrays and objects deeper than "
                    + "\(TemplateLimits.maxNestingDepth) levels (TemplateLimits.maxNestingDepth)",
                                    variable: nil, hint: nil)
            }
        default:
            break
        }
        switch value {
        case .object(let object):
            var members: [(key: [UInt8], value: TemplateNode)] = []
            for (key, child) in object {
                var keyBytes: [UInt8] = []
                JSONValue.writeString(key, to: &keyBytes)
                keyBytes.append(58)
                members.append((keyBytes, try compile(child, insideItem: insideItem, depth: depth + 1,
                                                      variables: &variables)))
            }
            return .object(members)
        case .array(let items):
            if items.count == 1, !insideItem, usesItem(items[0], depth: depth + 1) {
                return .repeatItems(try compile(items[0], insideItem: true, depth: depth + 1, variables: &variables))
            }
            var nodes: [TemplateNode] = []
            for item in items {
                nodes.append(try compile(item, insideItem: insideItem, depth: depth + 1, variables: &variables))
            }
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

    /// True when `value` uses `{item…}`. Looks no deeper than the nesting limit: a deeper
    /// template is refused by `compile` anyway.
    static func usesItem(_ value: JSONValue, depth: Int) -> Bool {
        switch value {
        case .object(let o):
            guard depth < TemplateLimits.maxNestingDepth else { return false }
            return o.contains { usesItem($0.value, depth: depth + 1) }
        case .array(let a):
            guard depth < TemplateLimits.maxNestingDepth else { return false }
            return a.contains { usesItem($0, depth: depth + 1) }
        case .string(let s):
            guard let parts = try? placeholders(in: s) else { return false }
            return parts.contains {
                if case .variable(let v) = $0 { v == "item" || v.hasPrefix("item.") } else { false }
            }
        default: return false
        }
    }

    static func variable(_ name: String, insideItem: Bool,
                         variables: inout [String]) throws(TemplateError) -> TemplateVariable {
        if !variables.contains(name) { variables.append(name) }
        switch name {
        case "webhook.id": return .webhookID
        case "delivery.id", "webhook.delivery_id": return .deliveryID
        case "webhook.timestamp": return .timestamp
        case "webhook.event", "event.type": return name == "event.type" ? .path(["type"], fromItem: false) : .eventType
        case "webhook.attempt": return .attempt
        case "event.id": return .path(["id"], fromItem: false)
        case "event.tenant": return .path(["tenant"], fromItem: false)
        case "event.occurred_at": return .path(["occurred_at"], fromItem: false)
        case "event.title": return .message(.title)
        case "event.summary": return .message(.summary)
        case "event.summary_slack": return .message(.slackSummary)
        case "event.facts": return .message(.facts)
        default: break
        }
        let components = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if components.first == "item" {
            guard insideItem else {
                throw TemplateError(message: "{\(Quoted.bare(name))} is only available inside a repeated line-item "
                                        + "array like [{\"sku\": \"{item.sku}\"}]", variable: name, hint: nil)
            }
            return .path(Array(components.dropFirst()), fromItem: true)
        }
        if components.first == "webhook" || components.first == "delivery" {
            throw TemplateError(message: "unknown variable {\(Quoted.bare(name))}", variable: name,
                                hint: "system variables: " + PayloadTemplate.systemVariables.sorted().joined(separator: ", "))
        }
        if let first = components.first, ["id", "type", "tenant", "occurred_at", "data"].contains(first) {
            return .path(components, fromItem: false)
        }
        return .path(["data"] + components, fromItem: false)
    }

    enum Part: Equatable { case text(String), variable(String) }

    /// Splits a string into text and `{path}` / `{{ path }}` placeholders. Braces that do not
    /// enclose a path are text. Reads each character a bounded number of times: a scan for a name
    /// stops at the next brace.
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
                    try checkName(name)
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

    static func checkName(_ name: String) throws(TemplateError) {
        guard name.utf8.count <= TemplateLimits.maxVariableBytes else {
            let limit = TemplateLimits.maxVariableBytes
            throw TemplateError(message: "placeholder {\(Quoted.bare(name))} is \(name.utf8.count) bytes long; the "
                                    + "limit is \(limit) bytes (TemplateLimits.maxVariableBytes)",
                                variable: Quoted.bare(name), hint: nil)
        }
        if name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw TemplateError(message: "placeholder {\(Quoted.bare(name))} has an empty path segment",
                                variable: name, hint: nil)
        }
    }
}
