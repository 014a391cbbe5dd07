import HeraldCore
import Testing

@Suite("TraceContext")
struct TraceContextTests {
    static let example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test("the specification's example parses and prints back the same")
    func parsesExample() throws {
        let context = try #require(TraceContext(traceparent: Self.example))
        #expect(context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.spanID == "00f067aa0ba902b7")
        #expect(context.flags == 1)
        #expect(context.sampled)
        #expect(context.traceparent == Self.example)
    }

    @Test("malformed values are refused", arguments: [
        "", "00", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     // upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     // zero span id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",   // version 00 has no more fields
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\r",
    ])
    func refusesMalformed(_ value: String) {
        #expect(TraceContext(traceparent: value) == nil)
    }

    @Test("a later version is read by its first fields and answered as version 00")
    func laterVersion() throws {
        let context = try #require(TraceContext(traceparent: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever"))
        #expect(context.traceparent == Self.example)
    }

    @Test("a child keeps the trace id and flags and takes a new span id")
    func child() throws {
        var random = SystemRandomNumberGenerator()
        let parent = try #require(TraceContext(traceparent: Self.example))
        let child = parent.child(using: &random)
        #expect(child.traceID == parent.traceID)
        #expect(child.flags == parent.flags)
        #expect(child.spanID != parent.spanID)
        #expect(TraceContext(traceparent: child.traceparent) == child)
    }

    @Test("a root is a valid, sampled, new trace")
    func root() throws {
        var random = SystemRandomNumberGenerator()
        let a = TraceContext.root(using: &random), b = TraceContext.root(using: &random)
        #expect(a.traceID != b.traceID)
        #expect(a.sampled)
        #expect(TraceContext(traceparent: a.traceparent) == a)
    }
}

@Suite("OTLPTraces")
struct OTLPTracesTests {
    @Test("spans become an OTLP/HTTP JSON export request: hex ids, nanoseconds as strings, typed attributes, status")
    func body() throws {
        let context = try #require(TraceContext(traceparent: TraceContextTests.example))
        let span = Span(name: "herald.deliver", context: context, parentSpanID: "1111111111111111", kind: .client,
                        startUnixNanoseconds: 1_000_000_000, endUnixNanoseconds: 1_500_000_000,
                        attributes: [("herald.attempt", 2), ("event.type", "order.created")], error: "HTTP 503")
        let json = try JSONValue(parsing: OTLPTraces.body([span], serviceName: "herald-worker", instance: "w1"))
        let resource = json["resourceSpans"]?[0]
        #expect(resource?["resource"]?["attributes"]?[0]?["value"]?["stringValue"]?.stringValue == "herald-worker")
        let encoded = try #require(resource?["scopeSpans"]?[0]?["spans"]?[0])
        #expect(encoded["traceId"]?.stringValue == context.traceID)
        #expect(encoded["spanId"]?.stringValue == context.spanID)
        #expect(encoded["parentSpanId"]?.stringValue == "1111111111111111")
        #expect(encoded["kind"]?.intValue == 3)
        #expect(encoded["startTimeUnixNano"]?.stringValue == "1000000000")
        #expect(encoded["attributes"]?[0]?["value"]?["intValue"]?.stringValue == "2")
        #expect(encoded["attributes"]?[1]?["value"]?["stringValue"]?.stringValue == "order.created")
        #expect(encoded["status"]?["code"]?.intValue == 2 && encoded["status"]?["message"]?.stringValue == "HTTP 503")
    }
}
