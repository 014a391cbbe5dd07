import HeraldCore
import HeraldCrypto
import HeraldVerify

/// Signs outgoing requests with the webhook's signature schemes (see `SignatureScheme` and
/// `SignaturePreset`): Standard Webhooks by default, or the convention the partner's receiver
/// already verifies. The work is done by HeraldVerify's `SignatureSigner`, the same code a Swift
/// receiver verifies with.
public struct WebhookSigner: Sendable {
    public struct SecretError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// `whsec_<base64 of 32 random bytes>`: valid for every scheme.
    public static func generateSecret() throws(CryptoError) -> String {
        try SigningKey.generate()
    }

    /// Checks a secret given for a webhook signed with `schemes` (Standard Webhooks by default).
    public static func validateSecret(_ secret: String, for schemes: [SignatureScheme] = [.standardWebhooks]) throws(SecretError) {
        do { try SigningKey.validate(secret, for: schemes) } catch { throw SecretError(message: "webhook.\(error.field): \(error.rule)") }
    }

    /// The headers that sign `body` for `messageID` at `timestamp` (Unix seconds).
    /// Every request carries `webhook-id` (stable across retries, for deduplication), even unsigned.
    public static func headers(settings: SigningSettings, secrets: [String], messageID: String, timestamp: Int64,
                               body: [UInt8]) throws(CryptoError) -> [(name: String, value: String)] {
        try SignatureSigner.headers(schemes: settings.schemes, secrets: secrets, messageID: messageID, timestamp: timestamp, body: body)
    }

    /// Verifies a Standard Webhooks signature header against `secret` (for `heraldctl verify` and tests).
    public static func verifyStandard(secret: String, messageID: String, timestamp: String, body: [UInt8], signatureHeader: String) -> Bool {
        guard let verifier = try? WebhookVerifier(scheme: .standardWebhooks, secrets: [secret], toleranceSeconds: .max / 4),
              let seconds = Int64(timestamp) else { return false }
        let headers = ["webhook-id": messageID, "webhook-timestamp": timestamp, "webhook-signature": signatureHeader]
        return (try? verifier.verify(body: body, headers: headers, now: seconds)) != nil
    }
}
