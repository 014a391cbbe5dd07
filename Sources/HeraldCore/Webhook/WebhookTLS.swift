/// A webhook's own TLS material: a client certificate and key (mutual TLS) and a CA bundle to
/// trust for its endpoint instead of the system's store. All PEM text; the key is sealed at rest
/// and masked when shown.
public struct WebhookTLS: Sendable, Equatable {
    public var clientCertificate: String?
    public var clientKey: String?
    public var caBundle: String?

    public init(clientCertificate: String? = nil, clientKey: String? = nil, caBundle: String? = nil) {
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.caBundle = caBundle
    }

    public enum Limits {
        public static let certificateBytes = 32 * 1024
        public static let keyBytes = 16 * 1024
        public static let caBundleBytes = 128 * 1024
    }

    public var isEmpty: Bool { clientCertificate == nil && clientKey == nil && caBundle == nil }

    /// Shape only (bounded, PEM blocks of the right kind, certificate and key together); whether
    /// the key belongs to the certificate is checked with OpenSSL when the webhook is saved.
    public func validate() throws(WebhookValidationError) {
        switch (clientCertificate, clientKey) {
        case (nil, nil), (.some, .some): break
        case (.some, nil):
            throw WebhookValidationError(field: "tls.client_key", value: "", rule: "is required with tls.client_certificate")
        case (nil, .some):
            throw WebhookValidationError(field: "tls.client_certificate", value: "", rule: "is required with tls.client_key")
        }
        if let clientCertificate {
            try WebhookTLS.checkPEM(clientCertificate, field: "tls.client_certificate", labels: ["CERTIFICATE"],
                                    maxBytes: Limits.certificateBytes)
        }
        if let clientKey {
            try WebhookTLS.checkPEM(clientKey, field: "tls.client_key", labels: ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"],
                                    maxBytes: Limits.keyBytes, shown: "…")
        }
        if let caBundle {
            try WebhookTLS.checkPEM(caBundle, field: "tls.ca_bundle", labels: ["CERTIFICATE"], maxBytes: Limits.caBundleBytes)
        }
    }

    /// PEM text: ASCII with line breaks, at most `maxBytes`, at least one block, every block one
    /// of `labels` (`-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----`).
    static func checkPEM(_ text: String, field: String, labels: [String], maxBytes: Int, shown: String? = nil) throws(WebhookValidationError) {
        let value = shown ?? String(text.prefix(40))
        guard text.utf8.count <= maxBytes else {
            throw WebhookValidationError(field: field, value: "\(text.utf8.count) bytes", rule: "at most \(maxBytes) bytes")
        }
        guard text.utf8.allSatisfy({ $0 == 0x0A || $0 == 0x0D || ($0 >= 0x20 && $0 < 0x7F) }) else {
            throw WebhookValidationError(field: field, value: value, rule: "must be PEM text (ASCII lines), without control bytes")
        }
        if text.contains("ENCRYPTED") {
            throw WebhookValidationError(field: field, value: value, rule: "an encrypted key cannot be used: give it without a passphrase (it is sealed at rest)")
        }
        var blocks = 0
        var open: String?
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map(String.init) {
            let line = raw.trimmingWhitespace()
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                let label = String(line.dropFirst(11).dropLast(5))
                guard open == nil, labels.contains(label) else {
                    throw WebhookValidationError(field: field, value: value, rule: "expected PEM blocks of \(labels.joined(separator: " or ")), found \(label)")
                }
                open = label
            } else if line.hasPrefix("-----END "), line.hasSuffix("-----") {
                guard let label = open, String(line.dropFirst(9).dropLast(5)) == label else {
                    throw WebhookValidationError(field: field, value: value, rule: "a PEM END line without its BEGIN")
                }
                open = nil
                blocks += 1
            } else if open != nil, !line.isEmpty, !line.contains(":"),
                      !line.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39)
                                             || $0 == 0x2B || $0 == 0x2F || $0 == 0x3D }) {
                throw WebhookValidationError(field: field, value: value, rule: "a PEM block holds base64 lines only")
            }
        }
        guard open == nil, blocks > 0 else {
            throw WebhookValidationError(field: field, value: value,
                                         rule: "must be PEM: -----BEGIN \(labels[0])----- … -----END \(labels[0])-----")
        }
    }
}
