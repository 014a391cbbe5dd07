import HeraldCore
import HeraldCrypto

/// Signing secrets and the HMAC keys they give.
///
/// - `whsec` schemes (Standard Webhooks): `whsec_<base64 of 24–64 bytes>`; the key is those bytes.
/// - `utf8` schemes (the ERP's and WMS's hex headers, GitHub, Stripe, Shopify): the key is the
///   secret's UTF-8 bytes as the person sees them, `whsec_` included. A partner may bring the
///   secret their receiver already has: any text of 8–256 bytes without control characters or
///   surrounding spaces.
public enum SigningKey {
    public static let whsecPrefix = "whsec_"
    public static let minimumSecretBytes = 8
    public static let maximumSecretBytes = 256

    /// The HMAC key of `secret` for a scheme keyed `derivation`; nil when the secret has not the
    /// form that derivation needs.
    public static func key(of secret: String, _ derivation: SignatureScheme.KeyDerivation) -> [UInt8]? {
        switch derivation {
        case .utf8:
            return secret.isEmpty ? nil : Array(secret.utf8)
        case .whsec:
            guard secret.hasPrefix(whsecPrefix), let bytes = Base64.decode(String(secret.dropFirst(whsecPrefix.count))),
                  (24...64).contains(bytes.count) else { return nil }
            return bytes
        }
    }

    /// Checks a secret a person gives (at creation or rotation) against every scheme that will
    /// sign with it. The error names `field` and never repeats the secret.
    public static func validate(_ secret: String, for schemes: [SignatureScheme], field: String = "secrets") throws(WebhookValidationError) {
        let bytes = secret.utf8.count
        guard (minimumSecretBytes...maximumSecretBytes).contains(bytes) else {
            throw WebhookValidationError(field: field, value: "(\(bytes) bytes)",
                                         rule: "a signing secret is \(minimumSecretBytes) to \(maximumSecretBytes) bytes long")
        }
        guard secret.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && !(0x80..<0xA0).contains($0.value) }) else {
            throw WebhookValidationError(field: field, value: "(hidden)", rule: "a signing secret must not hold control characters (tab, CR, LF, NUL, …)")
        }
        guard secret.first?.isWhitespace == false, secret.last?.isWhitespace == false else {
            throw WebhookValidationError(field: field, value: "(hidden)", rule: "a signing secret must not begin or end with a space (a copy-and-paste slip?)")
        }
        guard !secret.contains("…") else {
            throw WebhookValidationError(field: field, value: "(hidden)",
                                         rule: "holds '…': that is the mask `show` prints, not the secret (use show --secrets)")
        }
        for (i, scheme) in schemes.enumerated() where key(of: secret, scheme.key) == nil {
            throw WebhookValidationError(field: field, value: "(hidden)",
                                         rule: "signing.schemes[\(i)] (\(scheme.header)) is keyed with a whsec_ secret: whsec_ followed by the "
                                             + "base64 of 24 to 64 random bytes; Standard Webhooks cannot use a secret of another form")
        }
    }

    /// A fresh `whsec_<base64 of 32 random bytes>`: valid for every scheme.
    public static func generate() throws(CryptoError) -> String {
        whsecPrefix + Base64.encode(try SecureRandom.bytes(32))
    }
}
