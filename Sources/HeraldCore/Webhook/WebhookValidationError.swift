/// A webhook setting that breaks a rule: names the field, the value and the rule
/// (`webhook.url: "ftp://x" — only http and https URLs are allowed`).
public struct WebhookValidationError: Error, Sendable, CustomStringConvertible, Equatable {
    public var field: String
    public var value: String
    public var rule: String

    public init(field: String, value: String, rule: String) {
        self.field = field
        self.value = value
        self.rule = rule
    }

    /// The value is quoted with at most 64 characters shown, control characters escaped.
    public var description: String { "webhook.\(field): \(Quoted.text(value)) — \(rule)" }
}
