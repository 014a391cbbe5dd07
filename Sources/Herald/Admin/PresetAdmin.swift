import HeraldCore

/// The presets a person can pick when creating a webhook, for heraldctl and the API alike:
/// integration presets (the payload a destination accepts: Slack, Teams, Zapier, CRM, accounting)
/// and signature presets (the signature a partner's receiver already verifies).
public enum PresetAdmin {
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        /// `integration` or `signature`.
        public var kind: String
        public var summary: String
        /// Integration presets: the default subscription and the template.
        public var events: [String]?
        public var template: String?
    }

    public struct PresetError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func list() -> [Entry] {
        IntegrationPreset.allCases.map { Entry(name: $0.rawValue, kind: "integration", summary: $0.summary, events: $0.defaultEvents, template: $0.template) }
            + SignaturePreset.allCases.map { Entry(name: $0.rawValue, kind: "signature", summary: $0.summary, events: nil, template: nil) }
    }

    public static func integration(_ name: String) throws(PresetError) -> IntegrationPreset {
        guard let preset = IntegrationPreset(rawValue: name) else {
            throw PresetError(description: "preset \"\(Quoted.bare(name))\" does not exist; integration presets: \(IntegrationPreset.names)")
        }
        return preset
    }

    /// A webhook document using an integration preset (and, if given, signature presets), for
    /// `WebhookStore.create`: the preset's template and default events apply where the document
    /// leaves them out.
    public static func apply(integration name: String?, signing schemes: [String]?, to document: WebhookDocument) throws(PresetError) -> WebhookDocument {
        var doc = document
        if let name {
            _ = try integration(name)
            doc.preset = name
        }
        if let schemes, !schemes.isEmpty {
            var signing = doc.signing ?? WebhookDocument.Signing()
            if schemes.count == 1, signing.schemes == nil {
                signing.scheme = schemes[0]
            } else {
                guard signing.scheme == nil else {
                    throw PresetError(description: "webhook.signing: the document names a scheme already; list several in signing.schemes")
                }
                signing.schemes = (signing.schemes ?? []) + schemes.map { WebhookDocument.Scheme(preset: $0) }
            }
            doc.signing = signing
        }
        return doc
    }

    /// What a preset's template sends for one sample of `eventType` (or an event given as JSON),
    /// like any template preview.
    public static func preview(integration name: String, eventType: String?, eventJSON: String? = nil,
                               limit: Int = TemplateLimits.defaultMaxRenderedBytes) throws -> String {
        let preset = try integration(name)
        return try Preview.render(template: preset.template, eventType: eventType, eventJSON: eventJSON, subscribedTypes: subscribedTypes(preset),
                                  limit: limit)
    }

    static func subscribedTypes(_ preset: IntegrationPreset) -> [String] {
        EventCatalog.types.filter { type in preset.defaultEvents.contains { EventCatalog.matches(pattern: $0, type: type) } }
    }

    /// The preview over every catalog event type the preset subscribes to by default (all 40
    /// samples for Slack, Teams and Zapier), in catalog order.
    public static func previewAll(integration name: String) throws -> [(eventType: String, payload: String)] {
        let preset = try integration(name)
        let types = subscribedTypes(preset)
        return try types.map { type in (type, try Preview.render(template: preset.template, eventType: type, eventJSON: nil, subscribedTypes: types)) }
    }
}
