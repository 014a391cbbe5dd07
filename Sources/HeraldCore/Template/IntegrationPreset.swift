/// Ready webhook templates for destinations that accept one payload shape (references 000 and
/// 001: Slack notifications, Microsoft Teams, Zapier-style catch hooks, CRM and accounting sync).
/// `heraldctl webhook create --preset slack` and the API fill a webhook's template and events from
/// one of these; `heraldctl template preview --preset slack` shows what it sends.
public enum IntegrationPreset: String, Sendable, CaseIterable {
    /// Slack incoming webhook: `{"text": "New order SO-… from …: 150.00 USD"}`.
    case slack
    /// Microsoft Teams incoming webhook: an Office 365 connector message card with title, text and facts.
    case teams
    /// Zapier / Make / n8n catch hooks: flat top-level fields they can map, the event data under `data`.
    case zapier
    /// CRM customer sync (reference 001): customer id, name, email, phone, company.
    case crm
    /// Accounting sync (QuickBooks, Xero): invoices, payments and bills with their customer.
    case accounting

    public var summary: String {
        switch self {
        case .slack: "Slack incoming webhook: {\"text\": …}, one readable line per event"
        case .teams: "Microsoft Teams incoming webhook: a message card with title, summary and facts"
        case .zapier: "Zapier-style catch hook: flat fields (event_id, event_type, summary, …) and the event data"
        case .crm: "CRM customer sync: customer id, name, email, phone, company"
        case .accounting: "Accounting sync: invoices, payments and bills with their customer"
        }
    }

    /// The payload template (JSON with placeholders).
    public var template: String {
        switch self {
        case .slack:
            #"{"text": "{event.summary_slack}"}"#
        case .teams:
            #"""
            {"@type": "MessageCard", "@context": "https://schema.org/extensions", "themeColor": "0076D7",
             "summary": "{event.summary}", "title": "{event.title}", "text": "{event.summary}",
             "sections": [{"facts": "{event.facts}"}]}
            """#
        case .zapier:
            #"""
            {"event_id": "{event.id}", "event_type": "{webhook.event}", "occurred_at": "{event.occurred_at}",
             "tenant": "{event.tenant}", "title": "{event.title}", "summary": "{event.summary}", "data": "{data}"}
            """#
        case .crm:
            #"""
            {"event": "{webhook.event}", "event_id": "{event.id}", "occurred_at": "{event.occurred_at}",
             "customer_id": "{customer.id}", "name": "{customer.name}", "email": "{customer.email}",
             "phone": "{customer.phone}", "company": "{customer.company}"}
            """#
        case .accounting:
            #"""
            {"event": "{webhook.event}", "event_id": "{event.id}", "occurred_at": "{event.occurred_at}",
             "invoice": "{invoice}", "payment": "{payment}", "bill": "{bill}", "customer": "{customer}"}
            """#
        }
    }

    /// The events a new webhook of this kind subscribes to unless told otherwise.
    public var defaultEvents: [String] {
        switch self {
        case .slack, .teams, .zapier: ["*"]
        case .crm: ["customer.*"]
        case .accounting: ["invoice.*", "payment.*", "bill.*"]
        }
    }

    public var contentType: String { "application/json" }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
