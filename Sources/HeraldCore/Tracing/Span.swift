/// One finished step of a trace, as Herald exports it: the routing of an event, one webhook attempt.
public struct Span: Sendable, Equatable {
    public enum Kind: Int, Sendable { case `internal` = 1, server = 2, client = 3, producer = 4, consumer = 5 }

    public var name: String
    public var context: TraceContext
    /// The span this one continues (the event's, the routing step's); nil for a root.
    public var parentSpanID: String?
    public var kind: Kind
    public var startUnixNanoseconds: Int64
    public var endUnixNanoseconds: Int64
    /// Values are strings or whole numbers (OTLP `stringValue` / `intValue`).
    public var attributes: [(String, JSONValue)]
    /// nil: unset; a message: the step failed, and why.
    public var error: String?

    public init(name: String, context: TraceContext, parentSpanID: String?, kind: Kind, startUnixNanoseconds: Int64,
                endUnixNanoseconds: Int64, attributes: [(String, JSONValue)] = [], error: String? = nil) {
        self.name = name
        self.context = context
        self.parentSpanID = parentSpanID
        self.kind = kind
        self.startUnixNanoseconds = startUnixNanoseconds
        self.endUnixNanoseconds = endUnixNanoseconds
        self.attributes = attributes
        self.error = error
    }

    public static func == (lhs: Span, rhs: Span) -> Bool {
        lhs.name == rhs.name && lhs.context == rhs.context && lhs.parentSpanID == rhs.parentSpanID && lhs.kind == rhs.kind
            && lhs.startUnixNanoseconds == rhs.startUnixNanoseconds && lhs.endUnixNanoseconds == rhs.endUnixNanoseconds
            && lhs.error == rhs.error && lhs.attributes.map(\.0) == rhs.attributes.map(\.0) && lhs.attributes.map(\.1) == rhs.attributes.map(\.1)
    }
}

/// The OTLP/HTTP JSON body of `POST /v1/traces` (opentelemetry-proto `ExportTraceServiceRequest`
/// in its JSON mapping: ids as lowercase hex, 64-bit numbers as strings).
public enum OTLPTraces {
    public static func body(_ spans: [Span], serviceName: String, instance: String) -> [UInt8] {
        let resource: JSONValue = ["attributes": .array([attribute("service.name", .string(serviceName)),
                                                         attribute("service.instance.id", .string(instance))])]
        let encoded = spans.map { span -> JSONValue in
            var object = JSONObject([
                ("traceId", .string(span.context.traceID)), ("spanId", .string(span.context.spanID)),
                ("name", .string(span.name)), ("kind", .number(JSONNumber(span.kind.rawValue))),
                ("startTimeUnixNano", .string(String(span.startUnixNanoseconds))),
                ("endTimeUnixNano", .string(String(span.endUnixNanoseconds))),
                ("attributes", .array(span.attributes.map { attribute($0.0, $0.1) })),
            ])
            if let parent = span.parentSpanID { object["parentSpanId"] = .string(parent) }
            object["status"] = span.error.map { ["code": 2, "message": .string($0)] } ?? ["code": 1]
            return .object(object)
        }
        let request: JSONValue = ["resourceSpans": [["resource": resource,
                                                      "scopeSpans": [["scope": ["name": "herald"], "spans": .array(encoded)]]]]]
        var bytes: [UInt8] = []
        request.write(to: &bytes)
        return bytes
    }

    static func attribute(_ key: String, _ value: JSONValue) -> JSONValue {
        switch value {
        case .number(let number): ["key": .string(key), "value": ["intValue": .string(number.description)]]
        case .bool(let flag): ["key": .string(key), "value": ["boolValue": .bool(flag)]]
        default: ["key": .string(key), "value": ["stringValue": .string(value.stringValue ?? "")]]
        }
    }
}
