import HeraldCore
import HeraldCrypto

/// Signs outgoing requests.
///
/// Standard Webhooks (default): `webhook-id`, `webhook-timestamp`, and
/// `webhook-signature: v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`, one signature per live
/// secret, space-separated, so receivers keep verifying during a rotation. Verifiable with the
/// official libraries. Hex: `<header>: sha256=<hex HMAC-SHA256(secret, [timestamp.]body)>`.
public struct WebhookSigner: Sendable {
    public struct SecretError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// `whsec_<base64 of 24–64 random bytes>`.
    public static func generateSecret() throws(CryptoError) -> String {
        "whsec_" + Base64.encode(try SecureRandom.bytes(32))
    }

    /// The HMAC key of a `whsec_` secret; other strings are used as their UTF-8 bytes (hex scheme secrets).
    public static func key(of secret: String) -> [UInt8] {
        if secret.hasPrefix("whsec_"), let bytes = Base64.decode(String(secret.dropFirst(6))) { return bytes }
        return Array(secret.utf8)
    }

    public static func validateSecret(_ secret: String) throws(SecretError) {
        guard secret.hasPrefix("whsec_") else { throw SecretError(message: "a signing secret starts with whsec_") }
        guard let bytes = Base64.decode(String(secret.dropFirst(6))), (24...64).contains(bytes.count) else {
            throw SecretError(message: "a signing secret is whsec_ followed by the base64 of 24 to 64 random bytes")
        }
    }

    /// The headers that sign `body` for `messageID` at `timestamp` (Unix seconds).
    /// Every scheme sends `webhook-id` (stable across retries, for deduplication), even unsigned.
    public static func headers(settings: SigningSettings, secrets: [String], messageID: String, timestamp: Int64,
                               body: [UInt8]) throws(CryptoError) -> [(name: String, value: String)] {
        let timestampText = String(timestamp)
        switch settings.scheme {
        case .none:
            return [("webhook-id", messageID), ("webhook-timestamp", timestampText)]
        case .standard:
            var headers: [(name: String, value: String)] = [("webhook-id", messageID), ("webhook-timestamp", timestampText)]
            guard !secrets.isEmpty else { return headers }
            let parts: [[UInt8]] = [Array(messageID.utf8), [UInt8(ascii: ".")], Array(timestampText.utf8), [UInt8(ascii: ".")], body]
            let signatures = try secrets.map { (s) throws(CryptoError) in "v1," + Base64.encode(try HMAC.sha256(key: key(of: s), parts: parts)) }
            headers.append(("webhook-signature", signatures.joined(separator: " ")))
            return headers
        case .hex:
            var headers: [(name: String, value: String)] = [("webhook-id", messageID)]
            guard !secrets.isEmpty else { return headers }
            let parts: [[UInt8]] = settings.signTimestamp ? [Array(timestampText.utf8), [UInt8(ascii: ".")], body] : [body]
            let signatures = try secrets.map { (s) throws(CryptoError) in "sha256=" + Hex.encode(try HMAC.sha256(key: key(of: s), parts: parts)) }
            if settings.signTimestamp { headers.append(("X-Herald-Timestamp", timestampText)) }
            headers.append((settings.headerName, signatures.joined(separator: ",")))
            return headers
        }
    }

    /// Verifies a Standard Webhooks signature header against `secret` (for `heraldctl verify` and tests).
    public static func verifyStandard(secret: String, messageID: String, timestamp: String, body: [UInt8], signatureHeader: String) -> Bool {
        let parts: [[UInt8]] = [Array(messageID.utf8), [UInt8(ascii: ".")], Array(timestamp.utf8), [UInt8(ascii: ".")], body]
        guard let expected = try? HMAC.sha256(key: key(of: secret), parts: parts) else { return false }
        for candidate in signatureHeader.split(separator: " ") {
            guard candidate.hasPrefix("v1,"), let given = Base64.decode(String(candidate.dropFirst(3))) else { continue }
            if constantTimeEquals(given, expected) { return true }
        }
        return false
    }
}
