/// The receiver conventions Herald speaks out of the box. Each is a `SignatureScheme`; a webhook
/// names one (`"signing": {"scheme": "github"}`) or several, and may override any field.
public enum SignaturePreset: String, Sendable, CaseIterable {
    /// Standard Webhooks (the default): `webhook-signature: v1,<base64>` over `id.timestamp.body`
    /// with the key a `whsec_` secret encodes; every live secret signs, space-separated.
    case standardWebhooks = "standard-webhooks"
    /// The ERP's documented format (reference 000): `X-Angage-Signature: sha256=<hex>` over the body
    /// (or `timestamp.body` with `"signed": "timestamp.body"`), keyed with the secret as shown.
    case erpHex = "erp-hex"
    /// The WMS's documented format (reference 004): `X-SmartWMS-Signature: <hex>` over the body,
    /// keyed with the secret the user entered.
    case wmsHex = "wms-hex"
    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body; `X-GitHub-Delivery` carries the id.
    case github
    /// Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>…]` over `{ts}.{body}`.
    case stripe
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>` over the body; `X-Shopify-Webhook-Id` carries the id.
    case shopify

    /// Names a person may also write: `standard` (Herald's earlier name).
    public init?(name: String) {
        if name == "standard" { self = .standardWebhooks; return }
        self.init(rawValue: name)
    }

    public var scheme: SignatureScheme {
        switch self {
        case .standardWebhooks:
            SignatureScheme(header: "webhook-signature", signed: .idTimestampBody, encoding: .base64, prefix: "v1,", separator: " ",
                            timestampHeader: "webhook-timestamp", idHeader: "webhook-id", key: .whsec, rotation: .all)
        case .erpHex:
            SignatureScheme(header: "X-Angage-Signature", signed: .body, encoding: .hex, prefix: "sha256=")
        case .wmsHex:
            SignatureScheme(header: "X-SmartWMS-Signature", signed: .body, encoding: .hex, prefix: "")
        case .github:
            SignatureScheme(header: "X-Hub-Signature-256", signed: .body, encoding: .hex, prefix: "sha256=", idHeader: "X-GitHub-Delivery")
        case .stripe:
            SignatureScheme(header: "Stripe-Signature", signed: .timestampBody, encoding: .hex, prefix: "v1=", separator: ",",
                            timestampParameter: "t", rotation: .all)
        case .shopify:
            SignatureScheme(header: "X-Shopify-Hmac-Sha256", signed: .body, encoding: .base64, prefix: "", idHeader: "X-Shopify-Webhook-Id")
        }
    }

    /// One line for lists and errors.
    public var summary: String {
        switch self {
        case .standardWebhooks: "Standard Webhooks: webhook-signature: v1,<base64> over id.timestamp.body, whsec_ secrets (default)"
        case .erpHex: "the ERP's hex header: X-Angage-Signature: sha256=<hex> over the body (or timestamp.body), secret as shown"
        case .wmsHex: "the WMS's hex header: X-SmartWMS-Signature: <hex> over the body, secret as entered"
        case .github: "GitHub: X-Hub-Signature-256: sha256=<hex> over the body"
        case .stripe: "Stripe: Stripe-Signature: t=<ts>,v1=<hex> over {ts}.{body}"
        case .shopify: "Shopify: X-Shopify-Hmac-Sha256: <base64> over the body"
        }
    }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension SignatureScheme {
    /// Standard Webhooks, the default scheme.
    public static let standardWebhooks = SignaturePreset.standardWebhooks.scheme

    /// A scheme from what a person wrote: the preset (or none: then `header` is required and the
    /// rest defaults to a hex `sha256=` signature of the body keyed with the secret as given) with
    /// the given fields applied, validated. Errors name `field` (`signing.schemes[0]`).
    public static func make(_ o: Settings, field: String) throws(WebhookValidationError) -> SignatureScheme {
        var scheme: SignatureScheme
        if let name = o.preset {
            guard let preset = SignaturePreset(name: name) else {
                throw WebhookValidationError(field: "\(field).preset", value: name, rule: "must be one of \(SignaturePreset.names)")
            }
            scheme = preset.scheme
        } else {
            guard let header = o.header else {
                throw WebhookValidationError(field: "\(field).header", value: "",
                                             rule: "a scheme without a preset needs a header (presets: \(SignaturePreset.names))")
            }
            scheme = SignatureScheme(header: header, prefix: "sha256=")
        }
        func choice<T: RawRepresentable & CaseIterable>(_ text: String?, _ key: String, _: T.Type) throws(WebhookValidationError) -> T? where T.RawValue == String {
            guard let text else { return nil }
            guard let value = T(rawValue: text) else {
                throw WebhookValidationError(field: "\(field).\(key)", value: text,
                                             rule: "must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return value
        }
        if let header = o.header { scheme.header = header }
        if let signed = try choice(o.signed, "signed", SignedContent.self) {
            scheme.signed = signed
            // The timestamp option of a body-signing preset: the timestamp goes in a header named
            // like the signature's (X-Angage-Signature → X-Angage-Timestamp) unless one is given.
            if signed.includesTimestamp, scheme.timestampHeader == nil, scheme.timestampParameter == nil, o.timestampHeader == nil,
               o.timestampParam == nil {
                scheme.timestampHeader = defaultTimestampHeader(for: scheme.header)
            }
        }
        if let encoding = try choice(o.encoding, "encoding", DigestEncoding.self) { scheme.encoding = encoding }
        if let prefix = o.prefix { scheme.prefix = prefix }
        if let separator = o.separator { scheme.separator = separator }
        if let header = o.timestampHeader { scheme.timestampHeader = header.isEmpty ? nil : header }
        if let parameter = o.timestampParam { scheme.timestampParameter = parameter.isEmpty ? nil : parameter }
        if let header = o.idHeader { scheme.idHeader = header.isEmpty ? nil : header }
        if let key = try choice(o.key, "key", KeyDerivation.self) { scheme.key = key }
        if let rotation = try choice(o.rotation, "rotation", Rotation.self) { scheme.rotation = rotation }
        try scheme.validate(field: field)
        return scheme
    }

    /// `X-Angage-Signature` → `X-Angage-Timestamp`; otherwise `X-Herald-Timestamp`.
    static func defaultTimestampHeader(for header: String) -> String {
        let suffix = "-signature"
        guard header.lowercased().hasSuffix(suffix), header.utf8.count > suffix.utf8.count else { return "X-Herald-Timestamp" }
        return String(header.dropLast(suffix.count)) + "-Timestamp"
    }
}
