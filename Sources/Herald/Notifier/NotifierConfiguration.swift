import CurlClient
import Foundation
import HeraldCore

/// How owners are told: mail through an SMTP server (optional) and a POST to each webhook's
/// notify_url. Read from `HERALD_SMTP_*` and `HERALD_NOTIFY_*`.
public struct NotifierConfiguration: Sendable {
    /// nil: no SMTP server configured, so webhooks' notify_email addresses are not written to.
    public var smtp: SMTPSettings?
    /// The sender (`From:` and `MAIL FROM`).
    public var from: String
    /// Failed deliveries of one webhook within this many seconds go out as one digest.
    public var digestSeconds: Int
    /// How often the outbox is looked at.
    public var pollInterval: Duration
    /// Attempts per notice before it is given up (logged, `last_error` kept).
    public var maxAttempts: Int

    public init(smtp: SMTPSettings? = nil, from: String = "herald@localhost", digestSeconds: Int = 60,
                pollInterval: Duration = .seconds(1), maxAttempts: Int = 5) {
        self.smtp = smtp
        self.from = from
        self.digestSeconds = digestSeconds
        self.pollInterval = pollInterval
        self.maxAttempts = maxAttempts
    }

    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        digestSeconds = try HeraldConfiguration.int(environment, "HERALD_NOTIFY_DIGEST_S", default: 60, range: 1...86_400)
        from = environment["HERALD_SMTP_FROM"] ?? from
        guard MailMessage.isValidAddress(from) else {
            throw ConfigurationError(variable: "HERALD_SMTP_FROM", value: Quoted.bare(from), rule: "must be one address such as herald@example.com")
        }
        guard let url = environment["HERALD_SMTP_URL"], !url.isEmpty else { return }
        let lower = url.lowercased()
        guard lower.hasPrefix("smtp://") || lower.hasPrefix("smtps://"), !url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw ConfigurationError(variable: "HERALD_SMTP_URL", value: Quoted.bare(url), rule: "must be smtp://host:port or smtps://host:port")
        }
        let authority = url.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).first ?? ""
        guard !authority.contains("@") else {
            throw ConfigurationError(variable: "HERALD_SMTP_URL", value: "…",
                                     rule: "must not carry credentials: use HERALD_SMTP_USER and HERALD_SMTP_PASSWORD")
        }
        var security: SMTPSettings.Security?
        if let text = environment["HERALD_SMTP_TLS"], !text.isEmpty {
            guard let parsed = SMTPSettings.Security(rawValue: text.lowercased()) else {
                throw ConfigurationError(variable: "HERALD_SMTP_TLS", value: text,
                                         rule: "must be none (plain, a local relay), starttls (required) or tls (smtps://)")
            }
            security = parsed
        }
        if security == SMTPSettings.Security.none && lower.hasPrefix("smtps://") {
            throw ConfigurationError(variable: "HERALD_SMTP_TLS", value: "none", rule: "contradicts the smtps:// URL")
        }
        smtp = SMTPSettings(url: url, security: security, username: environment["HERALD_SMTP_USER"].flatMap { $0.isEmpty ? nil : $0 },
                            password: environment["HERALD_SMTP_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 },
                            timeout: .seconds(try HeraldConfiguration.int(environment, "HERALD_SMTP_TIMEOUT_S", default: 30, range: 1...600)))
    }
}
