import HeraldCore
import Testing

/// The compile error of `source`, or nil when it compiles.
func templateError(_ source: String) -> TemplateError? {
    do {
        _ = try PayloadTemplate(parsing: source)
        return nil
    } catch {
        return error
    }
}

@Suite("Template limits")
struct TemplateLimitsTests {
    let context = TemplateContext(webhookID: "wh_1", deliveryID: "msg_1", timestamp: "2026-01-22T15:30:00.000Z", eventType: "order.created",
                                  attempt: 1)

    /// An event whose `data` serializes to about `bytes` bytes.
    static func bigEvent(bytes: Int) -> JSONValue {
        event(["blob": .string(String(repeating: "x", count: bytes))])
    }

    @Test("2,000 × {data} over a 100 KB event is refused at the rendered size limit, quickly")
    func amplification() throws {
        let source = "[" + Array(repeating: "\"{data}\"", count: 2_000).joined(separator: ", ") + "]"
        #expect(source.utf8.count >= 20_000 && source.utf8.count <= TemplateLimits.maxSourceBytes)
        let template = try PayloadTemplate(parsing: source)
        let e = Self.bigEvent(bytes: 100_000)
        let limit = TemplateLimits.defaultMaxRenderedBytes
        var thrown: TemplateRenderError?
        let elapsed = seconds {
            do throws(TemplateRenderError) {
                _ = try template.render(event: e, context: context, limit: limit)
            } catch {
                thrown = error
            }
        }
        let error = try #require(thrown)
        #expect(error.limit == limit)
        #expect(error.renderedBytes > limit && error.renderedBytes < limit + 200_000,
                "rendering stops right after the limit: \(error.renderedBytes) bytes, not 200 MB")
        #expect(error.description.contains("rendered size limit of \(limit) bytes"))
        #expect(error.description.contains("exceeded"))
        #expect(elapsed < 3, "\(elapsed) s")
    }

    @Test("line items repeated past the limit are refused; under the limit the same template renders")
    func repeatedItems() throws {
        let template = try PayloadTemplate(parsing: #"{"items": [{"sku": "{item.sku}", "all": "{data}"}]}"#)
        let items = JSONValue.array((0..<50).map { _ in ["sku": "A"] })
        let e = event(["order": ["items": items], "pad": .string(String(repeating: "p", count: 10_000))])
        #expect(throws: TemplateRenderError.self) { try template.render(event: e, context: context, limit: 100_000) }
        let bytes = try template.render(event: e, context: context, limit: 1_000_000)
        #expect(try JSONValue(parsing: bytes)["items"]?.arrayValue?.count == 50)
    }

    @Test("the envelope template is capped too, and an output of exactly the limit is allowed")
    func envelopeAndExactLimit() throws {
        let e = Self.bigEvent(bytes: 1_000)
        let size = e.serialized().utf8.count
        #expect(try PayloadTemplate.envelope.render(event: e, context: context, limit: size).count == size)
        #expect(throws: TemplateRenderError(limit: size - 1, renderedBytes: size)) {
            try PayloadTemplate.envelope.render(event: e, context: context, limit: size - 1)
        }
    }

    @Test("templates over 64 KiB are refused")
    func sourceLimit() throws {
        let fill = { (n: Int) in #"{"x": ""# + String(repeating: "y", count: n) + #""}"# }
        let overhead = fill(0).utf8.count
        #expect(templateError(fill(TemplateLimits.maxSourceBytes - overhead)) == nil)
        let refused = try #require(templateError(fill(TemplateLimits.maxSourceBytes - overhead + 1)))
        #expect(refused.message.contains("TemplateLimits.maxSourceBytes"))
        #expect(refused.message.contains("\(TemplateLimits.maxSourceBytes) bytes"))
    }

    @Test("templates nested deeper than 32 levels are refused; 32 levels compile and render")
    func nestingLimit() throws {
        let limit = TemplateLimits.maxNestingDepth
        func nested(_ n: Int) -> String {
            String(repeating: #"{"a": ["#, count: n / 2) + #""{order.id}""# + String(repeating: "]}", count: n / 2)
        }
        let template = try PayloadTemplate(parsing: nested(limit))
        let bytes = try template.render(event: event(["order": ["id": "o1"]]), context: context, limit: 10_000)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#"["o1"]"#))
        let refused = try #require(templateError(nested(limit + 2)))
        #expect(refused.message.contains("deeper than \(limit) levels"))
        #expect(refused.message.contains("TemplateLimits.maxNestingDepth"))
        let arrays = try #require(templateError(String(repeating: "[", count: 100)
                                                    + String(repeating: "]", count: 100)))
        #expect(arrays.message.contains("TemplateLimits.maxNestingDepth"))
        #expect(templateError(String(repeating: "[", count: 1_000) + String(repeating: "]", count: 1_000)) != nil)
    }

    @Test("placeholder paths over 256 bytes are refused with a bounded message")
    func variableLimit() throws {
        let limit = TemplateLimits.maxVariableBytes
        #expect(templateError(#"{"x": "{"# + String(repeating: "a", count: limit) + #"}"}"#) == nil)
        let refused = try #require(templateError(#"{"x": "{"# + String(repeating: "a", count: 60_000) + #"}"}"#))
        #expect(refused.message.contains("TemplateLimits.maxVariableBytes"))
        #expect(refused.description.utf8.count < 400)
        let unknown = try #require(templateError(#"{"x": "{webhook."# + String(repeating: "n", count: 240) + #"}"}"#))
        #expect(unknown.message.utf8.count < 200, "\(unknown.message)")
    }

    @Test("the router's table refuses an amplifying template per delivery instead of rendering it")
    func routingTableCapsRendering() throws {
        let source = "[" + Array(repeating: "\"{data}\"", count: 2_000).joined(separator: ", ") + "]"
        let webhook = Webhook(id: "wh_1", tenantID: "acme", name: "W", url: "https://example.com/h",
                              events: ["order.created"], template: try PayloadTemplate(parsing: source))
        var table = RoutingTable(webhooks: [webhook], tenants: ["acme"])
        let e = try Event(envelope: Self.bigEvent(bytes: 100_000))
        let outcome = table.route(e, timestamp: "2026-01-22T15:30:00Z") { _ in "msg_1" }
        let decision = try #require(outcome.decisions.first)
        #expect(decision.payload == nil)
        #expect(decision.state == .discarded)
        #expect(decision.renderError?.limit == TemplateLimits.defaultMaxRenderedBytes)
        var small = RoutingTable(webhooks: [webhook], tenants: ["acme"], maxRenderedBytes: 100_000_000)
        let fine = try Event(envelope: Self.bigEvent(bytes: 10))
        let ok = try #require(small.route(fine, timestamp: "2026-01-22T15:30:00Z") { _ in "msg_2" }.decisions.first)
        #expect(ok.state == .pending)
        #expect(ok.renderError == nil)
        #expect(try JSONValue(parsing: try #require(ok.payload)).arrayValue?.count == 2_000)
    }
}
