/// The ERP event types Herald knows, their sample data, and subscription patterns.
///
/// Patterns: an exact type (`order.created`), a prefix wildcard (`order.*`: every type under
/// `order.`), a suffix wildcard (`*.created`), or `*` (everything). Unknown exact types are
/// allowed (an ERP may publish its own), wildcards must match at least one catalog type.
public enum EventCatalog {
    public static let entities: [(entity: String, actions: [String])] = [
        ("order", ["created", "updated", "confirmed", "shipped", "delivered", "cancelled", "completed"]),
        ("invoice", ["created", "sent", "paid", "overdue", "voided"]),
        ("payment", ["received", "failed", "refunded"]),
        ("customer", ["created", "updated", "deleted"]),
        ("contact", ["created", "updated"]),
        ("product", ["created", "updated", "deleted"]),
        ("inventory", ["updated", "low_stock", "out_of_stock", "adjusted"]),
        ("purchase_order", ["created", "approved", "received", "cancelled"]),
        ("bill", ["created", "paid"]),
        ("shipment", ["created", "shipped", "delivered"]),
        ("receiving", ["completed"]),
        ("object", ["created", "updated", "deleted"]),
    ]

    public static let types: [String] = entities.flatMap { e in e.actions.map { "\(e.entity).\($0)" } }.sorted()
    private static let typeSet = Set(types)

    public static func isKnown(_ type: String) -> Bool { typeSet.contains(type) }

    public static func matches(pattern: String, type: String) -> Bool {
        if pattern == "*" || pattern == type { return true }
        if pattern.hasSuffix(".*") {
            let prefix = pattern.dropLast(1)   // "order."
            return type.hasPrefix(prefix) && type.count > prefix.count
        }
        if pattern.hasPrefix("*.") {
            let suffix = pattern.dropFirst(1)  // ".created"
            return type.hasSuffix(suffix) && type.count > suffix.count
        }
        return false
    }

    /// nil when the pattern is usable, else what is wrong with it.
    public static func validatePattern(_ pattern: String) -> String? {
        if pattern == "*" { return nil }
        if pattern.isEmpty { return "an event pattern must not be empty" }
        if pattern.hasSuffix(".*") || pattern.hasPrefix("*.") {
            let rest = pattern.hasSuffix(".*") ? String(pattern.dropLast(2)) : String(pattern.dropFirst(2))
            guard !rest.contains("*"), !rest.isEmpty, rest.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ segment in
                !segment.isEmpty && segment.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
            }) else {
                return "a wildcard is '*', 'entity.*' or '*.action', with lowercase words"
            }
            guard !types(matching: pattern).isEmpty else {
                return "matches no event type (known entities: \(entities.map(\.entity).joined(separator: ", ")))"
            }
            return nil
        }
        if pattern.contains("*") { return "a wildcard is '*', 'entity.*' or '*.action'" }
        guard EventType.isValid(pattern) else { return "is not an event type like order.created" }
        return nil
    }

    public static func types(matching pattern: String) -> [String] {
        types.filter { matches(pattern: pattern, type: $0) }
    }

    /// Sample `data` for a type (the same object as the example in schemas/events/<type>.schema.json).
    public static func sampleData(for type: String) -> JSONValue? {
        guard isKnown(type) else { return nil }
        var generator = EventGenerator(seed: 20_260_122, tenants: ["acme"], types: [type])
        return generator.next()["data"]
    }

    /// A full sample envelope for previews and test sends.
    public static func sampleEvent(for type: String) -> JSONValue? {
        guard let data = sampleData(for: type) else { return nil }
        return .object(JSONObject([
            ("id", .string("evt_sample_" + String(type.map { $0 == "." ? "_" : $0 }))), ("type", .string(type)),
            ("tenant", "acme"), ("occurred_at", "2026-01-22T15:30:00Z"), ("data", data),
        ]))
    }

    /// Every field path a template may use for this type: `order.id`, `order.items`, `customer.email`,
    /// and `item.*` for line items.
    public static func fieldPaths(for type: String) -> Set<String> {
        guard let data = sampleData(for: type) else { return [] }
        var paths = Set<String>()
        collect(data, prefix: "", into: &paths)
        return paths
    }

    private static func collect(_ value: JSONValue, prefix: String, into paths: inout Set<String>) {
        switch value {
        case .object(let object):
            for (key, child) in object {
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                paths.insert(path)
                collect(child, prefix: path, into: &paths)
            }
        case .array(let items):
            if let first = items.first {
                collect(first, prefix: prefix, into: &paths)
                if prefix.hasSuffix("items") { collect(first, prefix: "item", into: &paths) }
            }
        default:
            break
        }
    }
}
