import HeraldCore
import Testing

@Suite("Integration presets and event messages")
struct IntegrationPresetTests {
    func render(_ preset: IntegrationPreset, _ event: JSONValue) throws -> JSONValue {
        let template = try PayloadTemplate(parsing: preset.template)
        let bytes = try template.render(event: event, context: TemplateContext(webhookID: "wh_1", deliveryID: "msg_1", timestamp: "2026-01-22T15:30:00Z",
                                                                            eventType: event["type"]?.stringValue ?? "", attempt: 1),
                                        limit: TemplateLimits.defaultMaxRenderedBytes)
        return try JSONValue(parsing: bytes)
    }

    @Test("every preset's template compiles and passes validation against its default subscription", arguments: IntegrationPreset.allCases)
    func templatesValidate(preset: IntegrationPreset) throws {
        let template = try PayloadTemplate(parsing: preset.template)
        var known = Set<String>()
        for pattern in preset.defaultEvents {
            for type in EventCatalog.types(matching: pattern) { known.formUnion(EventCatalog.fieldPaths(for: type)) }
        }
        try template.validate(knownPaths: known)
    }

    @Test("Slack: a non-empty, readable, Slack-escaped text for every one of the 40 catalog samples")
    func slackAllSamples() throws {
        #expect(EventCatalog.types.count == 40)
        var texts = Set<String>()
        for type in EventCatalog.types {
            let sample = try #require(EventCatalog.sampleEvent(for: type))
            let payload = try render(.slack, sample)
            guard case .object(let object) = payload else { Issue.record("\(type): not an object"); continue }
            #expect(object.count == 1)
            let text = try #require(payload["text"]?.stringValue, "\(type)")
            #expect(!text.isEmpty && !text.contains("{") && !text.contains("null") && !text.contains("evt_"), "\(type): \(text)")
            #expect(text.first?.isUppercase == true, "\(type): \(text)")
            texts.insert(text)
        }
        #expect(texts.count == 40, "one message per type")
    }

    @Test("Teams: a message card with title, summary, text and string facts for every one of the 40 samples")
    func teamsAllSamples() throws {
        for type in EventCatalog.types {
            let card = try render(.teams, try #require(EventCatalog.sampleEvent(for: type)))
            #expect(card["@type"] == "MessageCard")
            #expect(card["@context"] == "https://schema.org/extensions")
            #expect(card["summary"]?.stringValue?.isEmpty == false)
            #expect(card["title"]?.stringValue?.isEmpty == false)
            let facts = try #require(card["sections"]?.arrayValue?.first?["facts"]?.arrayValue, "\(type)")
            #expect(facts.count >= 4, "\(type)")
            #expect(facts.allSatisfy { $0["name"]?.stringValue != nil && $0["value"]?.stringValue != nil }, "\(type)")
        }
    }

    @Test("Slack's control characters in data are escaped: a customer named <!channel> pings nobody")
    func slackEscaping() throws {
        let event: JSONValue = ["id": "evt_1", "type": "customer.created", "tenant": "acme", "occurred_at": "2026-01-22T15:30:00Z",
                                "data": ["customer": ["name": "<!channel> & co", "company": "A>B", "email": "x@example.com"]]]
        let text = try #require(try render(.slack, event)["text"]?.stringValue)
        #expect(text == "New customer &lt;!channel&gt; &amp; co (A&gt;B, x@example.com)")
        #expect(try render(.teams, event)["summary"] == "New customer <!channel> & co (A>B, x@example.com)")
    }

    @Test("an event the catalog does not describe, or one missing a field, still gets a plain message")
    func fallback() throws {
        let custom: JSONValue = ["id": "evt_9", "type": "warehouse.robot_stalled", "tenant": "acme", "occurred_at": "2026-01-22T15:30:00Z", "data": [:]]
        #expect(EventMessages.summary(of: custom) == "Warehouse robot stalled: evt_9")
        let partial: JSONValue = ["id": "evt_8", "type": "order.created", "tenant": "acme", "occurred_at": "2026-01-22T15:30:00Z",
                                  "data": ["order": ["number": "SO-1"]]]
        #expect(EventMessages.summary(of: partial) == "Order created: evt_8")
        #expect(try render(.zapier, custom)["summary"] == "Warehouse robot stalled: evt_9")
    }
}
