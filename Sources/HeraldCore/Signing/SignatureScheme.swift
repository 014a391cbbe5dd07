/// How one signature is put on a request, as data: which header carries it, what is signed,
/// how the digest is written, and which key the secret gives. Every receiver convention Herald
/// speaks (Standard Webhooks, the ERP's and the WMS's hex headers, GitHub, Stripe, Shopify) is one
/// value of this type (`SignaturePreset`); a webhook may carry several at once during a migration.
///
/// The signature is always HMAC-SHA256. The header value is
/// `[<timestamp_param>=<timestamp><separator>]<prefix><digest>[<separator><prefix><digest>…]`,
/// one digest per signing secret (see `Rotation`).
public struct SignatureScheme: Sendable, Equatable {
    /// What the HMAC covers. `id` is the delivery id (the stable `webhook-id`), `timestamp` the
    /// Unix time in seconds, `body` the exact bytes sent.
    public enum SignedContent: String, Sendable, CaseIterable {
        case body
        case timestampBody = "timestamp.body"
        case idTimestampBody = "id.timestamp.body"

        public var includesTimestamp: Bool { self != .body }
        public var includesID: Bool { self == .idTimestampBody }
    }

    /// How the 32-byte digest is written.
    public enum DigestEncoding: String, Sendable, CaseIterable { case hex, base64 }

    /// Which key a secret gives: its UTF-8 bytes as the person sees them (`utf8`: GitHub, Stripe,
    /// Shopify, most hand-written receivers), or the bytes a `whsec_<base64>` secret encodes
    /// (`whsec`: Standard Webhooks).
    public enum KeyDerivation: String, Sendable, CaseIterable { case utf8, whsec }

    /// Which live secrets sign while a rotation overlaps.
    public enum Rotation: String, Sendable, CaseIterable {
        /// Every live secret signs; the header lists them all (receivers accept any match).
        case all
        /// One signature, by the longest-standing live secret: receivers that compare the whole
        /// header with one expected value keep verifying with the secret they have until it
        /// expires, then the new one takes over.
        case oldest
    }

    public var header: String
    public var signed: SignedContent
    public var encoding: DigestEncoding
    /// Written before each digest: `sha256=`, `v1,`, `v1=`, or nothing.
    public var prefix: String
    /// Between signatures (and after the timestamp parameter): `" "`, `","`.
    public var separator: String
    /// A header that carries the timestamp (`webhook-timestamp`), if any.
    public var timestampHeader: String?
    /// A parameter at the head of the signature header that carries the timestamp (`t` → `t=1700000000,`).
    public var timestampParameter: String?
    /// A header that carries the delivery id besides `webhook-id` (`X-GitHub-Delivery`), if any.
    public var idHeader: String?
    public var key: KeyDerivation
    public var rotation: Rotation

    public init(header: String, signed: SignedContent = .body, encoding: DigestEncoding = .hex, prefix: String = "",
                separator: String = ",", timestampHeader: String? = nil, timestampParameter: String? = nil,
                idHeader: String? = nil, key: KeyDerivation = .utf8, rotation: Rotation = .oldest) {
        self.header = header
        self.signed = signed
        self.encoding = encoding
        self.prefix = prefix
        self.separator = separator
        self.timestampHeader = timestampHeader
        self.timestampParameter = timestampParameter
        self.idHeader = idHeader
        self.key = key
        self.rotation = rotation
    }

    public enum Limits {
        public static let prefixBytes = 32
        public static let separatorBytes = 4
        public static let schemesPerWebhook = 4
    }

    /// Checks the description; `field` names it in errors (`signing.schemes[1]`).
    public func validate(field: String) throws(WebhookValidationError) {
        for (name, value) in [("header", header), ("timestamp_header", timestampHeader), ("id_header", idHeader)] {
            guard let value else { continue }
            guard HTTPHeaderName.isValid(value), value.utf8.count <= 128 else {
                throw WebhookValidationError(field: "\(field).\(name)", value: value,
                                             rule: "must be an HTTP header name: 1–128 letters, digits or !#$%&'*+-.^_`|~ (no spaces, CR or LF)")
            }
            guard !SignatureScheme.reservedHeaders.contains(value.lowercased()) else {
                throw WebhookValidationError(field: "\(field).\(name)", value: value,
                                             rule: "is a header Herald sets itself (\(SignatureScheme.reservedHeaders.sorted().joined(separator: ", ")))")
            }
        }
        guard prefix.utf8.count <= Limits.prefixBytes, prefix.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw WebhookValidationError(field: "\(field).prefix", value: prefix,
                                         rule: "must be at most \(Limits.prefixBytes) visible ASCII characters, such as sha256= or v1,")
        }
        guard !separator.isEmpty, separator.utf8.count <= Limits.separatorBytes,
              separator.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), !separator.utf8.allSatisfy({ $0 == 0x20 }) || separator == " " else {
            throw WebhookValidationError(field: "\(field).separator", value: separator,
                                         rule: "must be 1–\(Limits.separatorBytes) ASCII characters between signatures, such as \",\" or \" \"")
        }
        if let parameter = timestampParameter {
            guard HTTPHeaderName.isValid(parameter), parameter.utf8.count <= 16, !parameter.contains("=") else {
                throw WebhookValidationError(field: "\(field).timestamp_param", value: parameter, rule: "must be a short name such as t")
            }
        }
        if signed.includesTimestamp, timestampHeader == nil, timestampParameter == nil {
            throw WebhookValidationError(field: "\(field).timestamp_header", value: "",
                                         rule: "a scheme that signs the timestamp must send it: set timestamp_header or timestamp_param")
        }
        if signed.includesID, idHeader == nil {
            throw WebhookValidationError(field: "\(field).id_header", value: "",
                                         rule: "a scheme that signs the delivery id must send it: set id_header (webhook-id)")
        }
    }

    /// Headers Herald writes itself; a scheme may not take them over. (`webhook-id` and
    /// `webhook-timestamp` are Herald's too, but a scheme may name them: they carry the same values.)
    public static let reservedHeaders: Set<String> = [
        "host", "content-length", "content-type", "transfer-encoding", "connection", "expect", "te", "upgrade",
        "user-agent", "authorization", "traceparent",
    ]

    /// The headers this scheme writes besides the signature header.
    public var companionHeaders: [String] { [timestampHeader, idHeader].compactMap { $0 } }

    /// The bytes the HMAC covers, in pieces (fed one after the other, never concatenated).
    public func signedParts(messageID: String, timestamp: String, body: [UInt8]) -> [[UInt8]] {
        let dot: [UInt8] = [0x2E]
        switch signed {
        case .body: return [body]
        case .timestampBody: return [Array(timestamp.utf8), dot, body]
        case .idTimestampBody: return [Array(messageID.utf8), dot, Array(timestamp.utf8), dot, body]
        }
    }

    /// Of the live secrets (newest first), those that sign.
    public func signingSecrets(_ live: [String]) -> [String] {
        switch rotation {
        case .all: return live
        case .oldest: return live.last.map { [$0] } ?? []
        }
    }

    /// The signature header's value for already encoded digests.
    public func headerValue(digests: [String], timestamp: String) -> String {
        var parts = digests.map { prefix + $0 }
        if let timestampParameter { parts.insert("\(timestampParameter)=\(timestamp)", at: 0) }
        return parts.joined(separator: separator)
    }

    /// What a signature header holds: the timestamp parameter (if the scheme has one) and the
    /// encoded digests (prefix removed). Entries with another prefix (`v0=`) are skipped.
    public func parseHeaderValue(_ value: String) -> (timestamp: String?, digests: [String]) {
        var timestamp: String?
        var digests: [String] = []
        let trimmedSeparator = separator.trimmingWhitespace()
        let entries: [Substring]
        if trimmedSeparator.isEmpty {
            entries = value.split(separator: " ")
        } else {
            entries = value.split(separator: String(trimmedSeparator)).map { $0.trimmingWhitespace() }
        }
        for entry in entries where !entry.isEmpty {
            if let timestampParameter, entry.hasPrefix(timestampParameter + "=") {
                timestamp = String(entry.dropFirst(timestampParameter.count + 1))
            } else if entry.hasPrefix(prefix) {
                digests.append(String(entry.dropFirst(prefix.count)))
            }
        }
        return (timestamp, digests)
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
