@testable import Herald
import HeraldCore
import HeraldCrypto
import Testing

@Suite("Signing")
struct SigningTests {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let body = Array(#"{"test": 2432232314}"#.utf8)

    @Test("the official Standard Webhooks test vector")
    func standardVector() throws {
        let headers = try WebhookSigner.headers(settings: SigningSettings(), secrets: [secret], messageID: "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                            timestamp: 1_614_265_330, body: body)
        #expect(headers.first { $0.name == "webhook-signature" }?.value == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(headers.first { $0.name == "webhook-id" }?.value == "msg_p5jXN8AQM9LWM0D4loKWxJek")
        #expect(headers.first { $0.name == "webhook-timestamp" }?.value == "1614265330")
        #expect(WebhookSigner.verifyStandard(secret: secret, messageID: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", body: body,
                                             signatureHeader: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))
        #expect(!WebhookSigner.verifyStandard(secret: secret, messageID: "msg_other", timestamp: "1614265330", body: body,
                                              signatureHeader: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))
    }

    @Test("during a rotation every live secret signs, space-separated")
    func rotation() throws {
        let other = try WebhookSigner.generateSecret()
        let headers = try WebhookSigner.headers(settings: SigningSettings(), secrets: [other, secret], messageID: "msg_1", timestamp: 1, body: body)
        let signature = try #require(headers.first { $0.name == "webhook-signature" }?.value)
        #expect(signature.split(separator: " ").count == 2)
        #expect(WebhookSigner.verifyStandard(secret: secret, messageID: "msg_1", timestamp: "1", body: body, signatureHeader: signature))
        #expect(WebhookSigner.verifyStandard(secret: other, messageID: "msg_1", timestamp: "1", body: body, signatureHeader: signature))
    }

    @Test("the legacy hex scheme signs timestamp.body or the body alone, keyed with the secret as written")
    func hexScheme() throws {
        let key = Array(secret.utf8)
        var doc = WebhookDocument.Signing()
        doc.scheme = "hex"
        let withTimestamp = try WebhookSigner.headers(settings: try doc.makeSettings(), secrets: [secret], messageID: "m", timestamp: 42, body: body)
        #expect(withTimestamp.first { $0.name == "X-Herald-Signature" }?.value == "sha256=" + Hex.encode(try HMAC.sha256(key: key, message: Array("42.".utf8) + body)))
        #expect(withTimestamp.first { $0.name == "X-Herald-Timestamp" }?.value == "42")
        doc.header = "X-Sig"
        doc.signTimestamp = false
        let bodyOnly = try WebhookSigner.headers(settings: try doc.makeSettings(), secrets: [secret], messageID: "m", timestamp: 42, body: body)
        #expect(bodyOnly.first { $0.name == "X-Sig" }?.value == "sha256=" + Hex.encode(try HMAC.sha256(key: key, message: body)))
        // Unsigned deliveries still carry the id receivers deduplicate with.
        let unsigned = try WebhookSigner.headers(settings: .unsigned, secrets: [secret], messageID: "m", timestamp: 1, body: body)
        #expect(unsigned.map(\.name) == ["webhook-id", "webhook-timestamp"])
        #expect(unsigned.first?.value == "m")
    }

    @Test("generated secrets have the whsec_ form; malformed ones are refused")
    func secrets() throws {
        let s = try WebhookSigner.generateSecret()
        try WebhookSigner.validateSecret(s)
        #expect(throws: WebhookSigner.SecretError.self) { try WebhookSigner.validateSecret("nope") }
        #expect(throws: WebhookSigner.SecretError.self) { try WebhookSigner.validateSecret("whsec_AAAA") }
        // A secret the partner brings is fine for schemes keyed with the secret as written.
        try WebhookSigner.validateSecret("partner-secret-1", for: [SignaturePreset.github.scheme])
        #expect(throws: WebhookSigner.SecretError.self) { try WebhookSigner.validateSecret("partner-secret-1", for: [.standardWebhooks, SignaturePreset.github.scheme]) }
    }

    @Test("an expired secret stops signing at its expiry, even in a copy of the webhook loaded before it")
    func expiredSecretStopsSigning() throws {
        var webhook = Webhook(id: "wh_1", tenantID: "acme", name: "n", url: "https://example.com/x", events: ["order.created"],
                              secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx"])
        webhook.secretExpiries = [nil, 1_000_000]
        #expect(webhook.liveSecrets(atMilliseconds: 999_999).count == 2)
        #expect(webhook.liveSecrets(atMilliseconds: 1_000_000) == ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        let built = try RequestBuilder(allowPrivateNetworks: false).request(webhook: webhook, deliveryID: "msg_1", body: body,
                                                                             now: 2_000_000, token: { _ in "" })
        let signature = try #require(built.request.headers.first { $0.name == "webhook-signature" }?.value)
        #expect(signature.split(separator: " ").count == 1, "only the live secret signs: \(signature)")
    }

    @Test("an HMAC that cannot be computed throws instead of yielding zeros")
    func hmacFailureSurfaces() {
        #expect(throws: CryptoError.self) { try HMAC.sha256(key: [], message: body) }
    }

    @Test("JWTs are HS256 with the expected claims")
    func jwt() throws {
        let token = try JWT.hs256(secret: "0123456789abcdef", issuer: "herald", audience: "partner", subject: "wh_1", id: "msg_1", issuedAt: 1000)
        let parts = token.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let expected = JWT.base64URL(try HMAC.sha256(key: Array("0123456789abcdef".utf8), message: Array("\(parts[0]).\(parts[1])".utf8)))
        #expect(parts[2] == expected)
        var padded = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while padded.count % 4 != 0 { padded += "=" }
        let claims = try JSONValue(parsing: try #require(Base64.decode(padded)))
        #expect(claims["iss"] == "herald")
        #expect(claims["aud"] == "partner")
        #expect(claims["exp"] == 1300)
    }
}
