import CurlClient
@testable import Herald
import Testing

@Suite("Notifier configuration")
struct NotifierConfigurationTests {
    @Test("no HERALD_SMTP_URL: no mail; the URL's scheme decides TLS unless HERALD_SMTP_TLS says")
    func smtpSettings() throws {
        #expect(try NotifierConfiguration(environment: [:]).smtp == nil)
        let plain = try NotifierConfiguration(environment: ["HERALD_SMTP_URL": "smtp://127.0.0.1:2525", "HERALD_SMTP_FROM": "h@example.com"])
        #expect(plain.smtp?.security == SMTPSettings.Security.none)
        #expect(plain.from == "h@example.com")
        let implicit = try NotifierConfiguration(environment: ["HERALD_SMTP_URL": "smtps://mail.example.com:465",
                                                               "HERALD_SMTP_USER": "u", "HERALD_SMTP_PASSWORD": "p"])
        #expect(implicit.smtp?.security == .tls && implicit.smtp?.username == "u" && implicit.smtp?.password == "p")
        let starttls = try NotifierConfiguration(environment: ["HERALD_SMTP_URL": "smtp://mail.example.com:587", "HERALD_SMTP_TLS": "starttls"])
        #expect(starttls.smtp?.security == .starttls)
    }

    @Test("bad settings are refused with the variable's name")
    func refused() {
        for (environment, variable) in [
            (["HERALD_SMTP_URL": "http://mail.example.com"], "HERALD_SMTP_URL"),
            (["HERALD_SMTP_URL": "smtp://user:pw@mail.example.com"], "HERALD_SMTP_URL"),
            (["HERALD_SMTP_URL": "smtp://mail.example.com", "HERALD_SMTP_TLS": "maybe"], "HERALD_SMTP_TLS"),
            (["HERALD_SMTP_URL": "smtps://mail.example.com", "HERALD_SMTP_TLS": "none"], "HERALD_SMTP_TLS"),
            (["HERALD_SMTP_FROM": "herald@example.com\r\nBcc: x@y"], "HERALD_SMTP_FROM"),
            (["HERALD_NOTIFY_DIGEST_S": "0"], "HERALD_NOTIFY_DIGEST_S"),
        ] {
            #expect { try NotifierConfiguration(environment: environment) } throws: { ($0 as? ConfigurationError)?.variable == variable }
        }
    }
}
