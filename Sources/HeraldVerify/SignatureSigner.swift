import HeraldCore
import HeraldCrypto

/// Writes the signature headers of a request: what Herald's worker sends, and what tests and
/// senders built on this package use.
public enum SignatureSigner {
    /// The headers that sign `body` for delivery `messageID` at `timestamp` (Unix seconds) under
    /// every scheme, with `secrets` the live secrets, newest first. `webhook-id` (stable across
    /// retries, for deduplication) comes first on every request, signed or not; a header two
    /// schemes share (`webhook-timestamp`) is written once.
    public static func headers(schemes: [SignatureScheme], secrets: [String], messageID: String, timestamp: Int64,
                               body: [UInt8]) throws(CryptoError) -> [(name: String, value: String)] {
        let timestampText = String(timestamp)
        var headers: [(name: String, value: String)] = [("webhook-id", messageID)]
        func add(_ name: String, _ value: String) {
            guard !headers.contains(where: { $0.name.lowercased() == name.lowercased() }) else { return }
            headers.append((name, value))
        }
        if schemes.isEmpty { add("webhook-timestamp", timestampText) }
        for scheme in schemes {
            if let header = scheme.idHeader { add(header, messageID) }
            if let header = scheme.timestampHeader { add(header, timestampText) }
            let signing = scheme.signingSecrets(secrets)
            guard !signing.isEmpty else { continue }
            let parts = scheme.signedParts(messageID: messageID, timestamp: timestampText, body: body)
            var digests: [String] = []
            for secret in signing {
                guard let key = SigningKey.key(of: secret, scheme.key) else {
                    throw CryptoError(code: .invalidKey, message: "\(scheme.header) is keyed with a whsec_ secret, and this webhook's secret has another form")
                }
                digests.append(encode(try HMAC.sha256(key: key, parts: parts), scheme.encoding))
            }
            add(scheme.header, scheme.headerValue(digests: digests, timestamp: timestampText))
        }
        return headers
    }

    static func encode(_ digest: [UInt8], _ encoding: SignatureScheme.DigestEncoding) -> String {
        switch encoding {
        case .hex: Hex.encode(digest)
        case .base64: Base64.encode(digest)
        }
    }
}
