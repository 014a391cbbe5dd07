import Foundation
@testable import Herald
import HeraldCore
import Testing

/// The `signing` part of a webhook document: presets, overrides, several schemes, strict parsing.
@Suite("Signing in webhook documents")
struct SigningDocumentTests {
    func document(_ signing: String, secrets: String = "") throws(WebhookDocumentError) -> WebhookDocument {
        try WebhookDocument.parse(Array(#"""
            {"tenant": "acme", "name": "n", "url": "https://example.com/h", "events": ["order.created"], "signing": \#(signing)\#(secrets)}
            """#.utf8))
    }

    @Test("no signing = Standard Webhooks; a preset by name; several at once; overrides; none")
    func resolution() throws {
        #expect(try WebhookDocument.parse(Array(#"{"tenant": "acme", "name": "n", "url": "https://e.com/h", "events": ["order.created"]}"#.utf8))
            .makeWebhook().signing.schemes == [.standardWebhooks])
        #expect(try document(#"{"scheme": "github"}"#).makeWebhook().signing.schemes == [SignaturePreset.github.scheme])
        #expect(try document(#"{"scheme": "standard"}"#).makeWebhook().signing.schemes == [.standardWebhooks])
        let several = try document(#"{"schemes": ["standard-webhooks", {"preset": "erp-hex", "header": "X-Acme-Signature", "signed": "timestamp.body"}]}"#)
            .makeWebhook().signing.schemes
        #expect(several.count == 2)
        #expect(several[1].header == "X-Acme-Signature" && several[1].timestampHeader == "X-Acme-Timestamp" && several[1].key == .utf8)
        let custom = try document(#"{"schemes": [{"header": "X-Sig", "encoding": "base64", "prefix": "", "key": "utf8"}]}"#).makeWebhook().signing.schemes[0]
        #expect(custom == SignatureScheme(header: "X-Sig", signed: .body, encoding: .base64, prefix: ""))
        #expect(try document(#"{"scheme": "none"}"#).makeWebhook().signing.schemes.isEmpty)
        #expect(try document(#"{"scheme": "erp-hex", "sign_timestamp": true}"#).makeWebhook().signing.schemes[0].signed == .timestampBody)
    }

    @Test("mistakes are named: unknown preset, unknown field, header clashes, both forms, injection")
    func errors() throws {
        func message(_ signing: String) -> String {
            do { _ = try document(signing).makeWebhook(); return "accepted" } catch { return error.description }
        }
        #expect(message(#"{"scheme": "gitlab"}"#).hasPrefix("webhook.signing.scheme:"))
        #expect(message(#"{"schemes": [{"preset": "github", "heder": "X"}]}"#) == "webhook.signing.schemes[0].heder: unknown field (did you mean header?)")
        #expect(message(#"{"schemes": ["github", {"preset": "erp-hex", "header": "x-hub-signature-256"}]}"#).hasPrefix("webhook.signing.schemes[1].header:"))
        #expect(message(#"{"scheme": "github", "schemes": ["stripe"]}"#).hasPrefix("webhook.signing.schemes:"))
        #expect(message(#"{"schemes": []}"#).hasPrefix("webhook.signing.schemes:"))
        #expect(message(#"{"schemes": [{"preset": "github", "header": "X-A\r\nX-B"}]}"#).hasPrefix("webhook.signing.schemes[0].header:"))
        #expect(message(#"{"schemes": [{"preset": "github", "signed": "everything"}]}"#).contains("must be one of body, timestamp.body, id.timestamp.body"))
        #expect(message(#"{"scheme": "stripe", "sign_timestamp": false}"#).hasPrefix("webhook.signing.sign_timestamp:"))
        #expect(message(#"{"schemes": ["github", "stripe", "shopify", "erp-hex", "wms-hex"]}"#).contains("at most 4"))
        let clash = try WebhookDocument.parse(Array(#"""
            {"tenant": "acme", "name": "n", "url": "https://e.com/h", "events": ["order.created"], "signing": {"scheme": "github"},
             "headers": {"X-Hub-Signature-256": "forged"}}
            """#.utf8))
        #expect(throws: WebhookDocumentError.self) { try clash.makeWebhook() }
    }

    @Test("the signing object survives encoding (what the store keeps) with presets written as names")
    func roundTrip() throws {
        let doc = try document(#"{"schemes": ["standard-webhooks", {"preset": "erp-hex", "signed": "timestamp.body"}]}"#)
        let encoded = try JSONEncoder().encode(doc.signing)
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""standard-webhooks""#))
        let decoded = try JSONDecoder().decode(WebhookDocument.Signing.self, from: encoded)
        #expect(decoded == doc.signing)
    }

    @Test("an integration preset fills the template and the events a document leaves out")
    func integrationPreset() throws {
        let doc = try WebhookDocument.parse(Array(#"{"tenant": "acme", "name": "n", "url": "https://hooks.slack.com/services/T/B/X", "preset": "slack"}"#.utf8))
        let webhook = try doc.makeWebhook()
        #expect(webhook.events == ["*"])
        #expect(webhook.template?.variables == ["event.summary_slack"])
        let bad = try WebhookDocument.parse(Array(#"{"tenant": "acme", "name": "n", "url": "https://e.com/h", "preset": "discord"}"#.utf8))
        #expect(throws: WebhookDocumentError.self) { try bad.makeWebhook() }
        let applied = try PresetAdmin.apply(integration: "teams", signing: ["standard-webhooks", "erp-hex"], to: doc)
        #expect(applied.preset == "teams" && applied.signing?.schemes?.count == 2)
    }
}
