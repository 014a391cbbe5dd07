import HeraldCore
import HeraldCrypto
import HeraldVerify
import Testing

@Suite("Signature schemes: sign and verify")
struct HeraldVerifyTests {
    let body = Array(#"{"test": 2432232314}"#.utf8)

    func sign(_ scheme: SignatureScheme, _ secrets: [String], id: String = "msg_1", at timestamp: Int64 = 1_700_000_000,
              body: [UInt8]? = nil) throws -> [String: String] {
        let headers = try SignatureSigner.headers(schemes: [scheme], secrets: secrets, messageID: id, timestamp: timestamp, body: body ?? self.body)
        return Dictionary(headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("the official Standard Webhooks test vector verifies, and a changed id does not")
    func standardVector() throws {
        let verifier = try WebhookVerifier(secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        var headers = ["webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                       "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="]
        try verifier.verify(body: body, headers: headers, now: 1_614_265_330)
        headers["webhook-id"] = "msg_other"
        #expect(throws: WebhookVerifier.Failure.self) { try verifier.verify(body: body, headers: headers, now: 1_614_265_330) }
    }

    @Test("GitHub's documented test vector: sha256= hex of the body keyed with the secret as written")
    func githubVector() throws {
        let headers = try sign(SignaturePreset.github.scheme, ["It's a Secret to Everybody"], body: Array("Hello, World!".utf8))
        #expect(headers["X-Hub-Signature-256"] == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
        #expect(headers["X-GitHub-Delivery"] == "msg_1")
        try WebhookVerifier(preset: .github, secrets: ["It's a Secret to Everybody"]).verify(body: Array("Hello, World!".utf8), headers: headers)
    }

    @Test("every preset signs what its own verifier accepts; another secret, another body or a stale time is refused", arguments: SignaturePreset.allCases)
    func roundTrip(preset: SignaturePreset) throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let now: Int64 = 1_700_000_000
        let headers = try sign(preset.scheme, [secret], at: now)
        #expect(headers["webhook-id"] == "msg_1")
        try WebhookVerifier(preset: preset, secrets: [secret]).verify(body: body, headers: headers, now: now + 10)
        let other = "whsec_" + Base64.encode([UInt8](repeating: 7, count: 24))
        #expect(throws: WebhookVerifier.Failure.self) { try WebhookVerifier(preset: preset, secrets: [other]).verify(body: body, headers: headers, now: now) }
        #expect(throws: WebhookVerifier.Failure.self) {
            try WebhookVerifier(preset: preset, secrets: [secret]).verify(body: body + [32], headers: headers, now: now)
        }
        if preset.scheme.signed.includesTimestamp {
            let failure = #expect(throws: WebhookVerifier.Failure.self) {
                try WebhookVerifier(preset: preset, secrets: [secret]).verify(body: body, headers: headers, now: now + 301)
            }
            #expect(failure?.code == .timestampOutOfTolerance)
        }
    }

    @Test("the encodings and prefixes of each convention")
    func formats() throws {
        let secret = "partner-secret-1"
        let key = Array(secret.utf8)
        let digest = try HMAC.sha256(key: key, message: body)
        #expect(try sign(SignaturePreset.erpHex.scheme, [secret])["X-Angage-Signature"] == "sha256=" + Hex.encode(digest))
        #expect(try sign(SignaturePreset.wmsHex.scheme, [secret])["X-SmartWMS-Signature"] == Hex.encode(digest))
        #expect(try sign(SignaturePreset.shopify.scheme, [secret])["X-Shopify-Hmac-Sha256"] == Base64.encode(digest))
        let stripe = try HMAC.sha256(key: key, message: Array("1700000000.".utf8) + body)
        #expect(try sign(SignaturePreset.stripe.scheme, [secret])["Stripe-Signature"] == "t=1700000000,v1=" + Hex.encode(stripe))
    }

    @Test("during a rotation: list schemes carry every live secret, single-signature schemes the oldest until it expires")
    func rotation() throws {
        let old = "old-partner-secret", new = "new-partner-secret"
        let stripe = try sign(SignaturePreset.stripe.scheme, [new, old])
        #expect(stripe["Stripe-Signature"]?.split(separator: ",").count == 3)
        try WebhookVerifier(preset: .stripe, secrets: [old]).verify(body: body, headers: stripe, now: 1_700_000_000)
        try WebhookVerifier(preset: .stripe, secrets: [new]).verify(body: body, headers: stripe, now: 1_700_000_000)
        let github = try sign(SignaturePreset.github.scheme, [new, old])
        #expect(github["X-Hub-Signature-256"] == "sha256=" + Hex.encode(try HMAC.sha256(key: Array(old.utf8), message: body)))
        let afterExpiry = try sign(SignaturePreset.github.scheme, [new])
        try WebhookVerifier(preset: .github, secrets: [new]).verify(body: body, headers: afterExpiry)
        // A receiver that knows both secrets accepts either side of the switch.
        let both = try WebhookVerifier(preset: .github, secrets: [old, new])
        try both.verify(body: body, headers: github)
        try both.verify(body: body, headers: afterExpiry)
    }

    @Test("secrets: whsec_ for Standard Webhooks; a partner's own secret elsewhere, within bounds")
    func secrets() throws {
        let github = [SignaturePreset.github.scheme]
        try SigningKey.validate("partner-secret-1", for: github)
        try SigningKey.validate("Pässwort mit Leerzeichen!", for: github)
        try SigningKey.validate(try SigningKey.generate(), for: SignaturePreset.allCases.map(\.scheme))
        for bad in ["short", String(repeating: "x", count: 257), "tab\there1", "line\nbreak!", " leading-space", "whsec_…"] {
            #expect(throws: WebhookValidationError.self, "\(bad)") { try SigningKey.validate(bad, for: github) }
        }
        let error = #expect(throws: WebhookValidationError.self) { try SigningKey.validate("partner-secret-1", for: [.standardWebhooks]) }
        #expect(error?.description.contains("whsec_") == true)
        #expect(error?.description.contains("partner-secret-1") == false, "the secret is never repeated in an error")
        #expect(throws: WebhookVerifier.Failure.self) { try WebhookVerifier(preset: .standardWebhooks, secrets: ["partner-secret-1"]) }
    }

    func settings(_ s: SignatureScheme.Settings, _ preset: String) -> SignatureScheme.Settings {
        var s = s
        s.preset = preset
        return s
    }

    @Test("scheme descriptions are validated field by field")
    func validation() throws {
        var o = SignatureScheme.Settings()
        o.header = "X-Bad\r\nInjected: 1"
        var error = #expect(throws: WebhookValidationError.self) { try SignatureScheme.make(settings(o, "github"), field: "signing") }
        #expect(error?.field == "signing.header")
        o = SignatureScheme.Settings()
        o.header = "Content-Type"
        error = #expect(throws: WebhookValidationError.self) { try SignatureScheme.make(settings(o, "github"), field: "signing") }
        #expect(error?.rule.contains("Herald sets itself") == true)
        o = SignatureScheme.Settings()
        o.encoding = "base32"
        error = #expect(throws: WebhookValidationError.self) { try SignatureScheme.make(settings(o, "github"), field: "signing.schemes[1]") }
        #expect(error?.field == "signing.schemes[1].encoding")
        error = #expect(throws: WebhookValidationError.self) { try SignatureScheme.make(settings(SignatureScheme.Settings(), "gitlab"), field: "signing") }
        #expect(error?.rule.contains("erp-hex") == true)
        o = SignatureScheme.Settings()
        o.signed = "timestamp.body"
        let erp = try SignatureScheme.make(settings(o, "erp-hex"), field: "signing")
        #expect(erp.timestampHeader == "X-Angage-Timestamp", "the timestamp option names its header after the signature's")
        o.timestampHeader = ""
        error = #expect(throws: WebhookValidationError.self) { try SignatureScheme.make(settings(o, "erp-hex"), field: "signing") }
        #expect(error?.field == "signing.timestamp_header")
        o = SignatureScheme.Settings()
        o.prefix = "sha256 ="
        #expect(throws: WebhookValidationError.self) { try SignatureScheme.make(settings(o, "github"), field: "signing") }
    }
}
