/// JSON Schemas (draft 2020-12) of each event type's `data`, derived from the catalog's samples so
/// that the files in schemas/events/ and the code cannot disagree (a test compares them).
extension EventCatalog {
    public static func jsonSchema(for type: String) -> JSONValue? {
        guard let sample = sampleData(for: type) else { return nil }
        guard case .object(var schema) = schemaOf(sample) else { return nil }
        var document = JSONObject([
            ("$schema", "https://json-schema.org/draft/2020-12/schema"),
            ("$id", .string("https://herald.example/schemas/events/\(type).schema.json")),
            ("title", .string(type)),
            ("description", .string("The data of a \(type) event (the envelope is schemas/event.schema.json). Fields not listed are allowed: ERPs add their own.")),
        ])
        for (key, value) in schema { document[key] = value }
        schema = document
        schema["examples"] = .array([sample])
        return .object(schema)
    }

    static func schemaOf(_ value: JSONValue) -> JSONValue {
        switch value {
        case .null: return ["type": "null"]
        case .bool: return ["type": "boolean"]
        case .number(let n): return ["type": n.int != nil && !n.text.contains(".") ? "integer" : "number"]
        case .string: return ["type": "string"]
        case .array(let items):
            guard let first = items.first else { return ["type": "array"] }
            return ["type": "array", "items": schemaOf(first)]
        case .object(let object):
            var properties = JSONObject()
            for (key, child) in object { properties[key] = schemaOf(child) }
            return .object(JSONObject([
                ("type", "object"), ("properties", .object(properties)),
                ("required", .array(object.keys.map { .string($0) })), ("additionalProperties", true),
            ]))
        }
    }
}
