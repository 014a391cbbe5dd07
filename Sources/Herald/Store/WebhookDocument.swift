import Foundation
import HeraldCore

/// A webhook as JSON and as a database row: what `heraldctl webhook create --file` reads, what
/// `--json` prints, and what the store saves. `makeWebhook()` turns it into the checked, parsed
/// domain value, so a bad setting fails here with a message naming it.
public struct WebhookDocument: Codable, Sendable, Equatable {
    public struct Authentication: Codable, Sendable, Equatable {
        public var type: String = "none"
        public var token: String?
        public var username: String?
        public var password: String?
        public var header: String?
        public var value: String?
        public var tokenURL: String?
        public var clientID: String?
        public var clientSecret: String?
        public var scope: String?
        public var secret: String?
        public var issuer: String?
        public var audience: String?

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case type, token, username, password, header, value, scope, secret, issuer, audience
            case tokenURL = "token_url", clientID = "client_id", clientSecret = "client_secret"
        }
    }

    public struct Retry: Codable, Sendable, Equatable {
        public var maxRetries: Int?
        public var backoff: String?
        public var intervalsSeconds: [Int]?
        public var jitter: Double?
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable { case maxRetries = "max_retries", backoff, intervalsSeconds = "intervals_s", jitter }
    }

    /// How requests are signed: `scheme` names one preset (`standard-webhooks`, `erp-hex`,
    /// `wms-hex`, `github`, `stripe`, `shopify`; `none`; the legacy `hex`) with `header` and
    /// `sign_timestamp` as overrides, or `schemes` lists several (during a migration), each a
    /// preset name or an object (`SignatureScheme` fields, `preset` optional).
    public struct Signing: Codable, Sendable, Equatable {
        public var scheme: String?
        public var header: String?
        public var signTimestamp: Bool?
        public var schemes: [Scheme]?
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable { case scheme, header, schemes, signTimestamp = "sign_timestamp" }
    }

    /// One signature scheme: a preset name (`"github"`), or an object whose fields override the
    /// preset's (or describe a scheme of its own).
    public typealias Scheme = SignatureScheme.Settings

    /// Mutual TLS (client certificate and key, PEM) and a CA bundle to trust for the endpoint.
    public struct TLS: Codable, Sendable, Equatable {
        public var clientCertificate: String?
        public var clientKey: String?
        public var caBundle: String?
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable {
            case clientCertificate = "client_certificate", clientKey = "client_key", caBundle = "ca_bundle"
        }
    }

    /// Batch delivery: up to `max_events` deliveries per request, waiting at most `max_wait_ms`.
    public struct Batch: Codable, Sendable, Equatable {
        public var maxEvents: Int?
        public var maxWaitMs: Int?
        public init(maxEvents: Int? = nil, maxWaitMs: Int? = nil) {
            self.maxEvents = maxEvents
            self.maxWaitMs = maxWaitMs
        }
        enum CodingKeys: String, CodingKey, CaseIterable { case maxEvents = "max_events", maxWaitMs = "max_wait_ms" }
    }

    public var id: String?
    public var tenant: String
    public var name: String
    public var description: String?
    public var status: String?
    public var version: String?
    public var url: String
    public var method: String?
    public var contentType: String?
    public var auth: Authentication?
    public var headers: [String: String]?
    public var events: [String]
    public var filter: String?
    public var payloadTemplate: String?
    public var connectTimeoutMs: Int?
    public var responseTimeoutMs: Int?
    public var successStatusMin: Int?
    public var successStatusMax: Int?
    public var retry: Retry?
    public var pauseAfterFailures: Int?
    public var notifyEmail: String?
    public var notifyURL: String?
    public var keepFailedPayloads: Bool?
    public var rateLimitPerMinute: Int?
    public var signing: Signing?
    public var httpsOnly: Bool?
    public var allowedNetworks: [String]?
    public var pausedBehavior: String?
    public var tls: TLS?
    /// `none` (default) or `fifo`: one delivery at a time, in event order.
    public var ordering: String?
    /// Batch delivery (opt-in); nil = one delivery per request.
    public var batch: Batch?
    /// An integration preset (`slack`, `teams`, `zapier`, `crm`, `accounting`): its template is the
    /// payload unless `payload_template` is given, its events the subscription unless `events` is.
    public var preset: String?
    /// Read-only: live secrets appear only in `webhook show --secrets`.
    public var secrets: [String]?
    /// When each secret stops signing (Unix ms, nil = never): read from the store, never from input.
    public var secretExpiries: [Int64?] = []
    public var consecutiveFailures: Int?
    public var pausedReason: String?
    /// Read-only: the endpoint's health, shown by `get` (ignored in input).
    public var health: WebhookAdmin.HealthReport?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, tenant, name, description, status, version, url, method, auth, headers, events, filter, retry, signing, secrets, tls, ordering
        case batch
        case contentType = "content_type", payloadTemplate = "payload_template", connectTimeoutMs = "connect_timeout_ms"
        case responseTimeoutMs = "response_timeout_ms", successStatusMin = "success_status_min", successStatusMax = "success_status_max"
        case pauseAfterFailures = "pause_after_failures", notifyEmail = "notify_email", notifyURL = "notify_url"
        case keepFailedPayloads = "keep_failed_payloads", rateLimitPerMinute = "rate_limit_per_minute", httpsOnly = "https_only"
        case allowedNetworks = "allowed_networks", pausedBehavior = "paused_behavior", consecutiveFailures = "consecutive_failures"
        case pausedReason = "paused_reason", preset, health
    }

    public init(tenant: String, name: String, url: String, events: [String]) {
        self.tenant = tenant
        self.name = name
        self.url = url
        self.events = events
    }

    /// Accepts `payload_template` as a JSON string or as a JSON object/array written inline.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        tenant = try c.decode(String.self, forKey: .tenant)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        version = try c.decodeIfPresent(String.self, forKey: .version)
        url = try c.decode(String.self, forKey: .url)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        contentType = try c.decodeIfPresent(String.self, forKey: .contentType)
        auth = try c.decodeIfPresent(Authentication.self, forKey: .auth)
        headers = try c.decodeIfPresent([String: String].self, forKey: .headers)
        preset = try c.decodeIfPresent(String.self, forKey: .preset)
        // With a preset, events may be left to it.
        events = try preset == nil ? c.decode([String].self, forKey: .events) : c.decodeIfPresent([String].self, forKey: .events) ?? []
        filter = try c.decodeIfPresent(String.self, forKey: .filter)
        if let text = try? c.decodeIfPresent(String.self, forKey: .payloadTemplate) {
            payloadTemplate = text
        } else if let raw = try c.decodeIfPresent(AnyJSON.self, forKey: .payloadTemplate) {
            payloadTemplate = raw.text
        }
        connectTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .connectTimeoutMs)
        responseTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .responseTimeoutMs)
        successStatusMin = try c.decodeIfPresent(Int.self, forKey: .successStatusMin)
        successStatusMax = try c.decodeIfPresent(Int.self, forKey: .successStatusMax)
        retry = try c.decodeIfPresent(Retry.self, forKey: .retry)
        pauseAfterFailures = try c.decodeIfPresent(Int.self, forKey: .pauseAfterFailures)
        notifyEmail = try c.decodeIfPresent(String.self, forKey: .notifyEmail)
        notifyURL = try c.decodeIfPresent(String.self, forKey: .notifyURL)
        keepFailedPayloads = try c.decodeIfPresent(Bool.self, forKey: .keepFailedPayloads)
        rateLimitPerMinute = try c.decodeIfPresent(Int.self, forKey: .rateLimitPerMinute)
        signing = try c.decodeIfPresent(Signing.self, forKey: .signing)
        httpsOnly = try c.decodeIfPresent(Bool.self, forKey: .httpsOnly)
        allowedNetworks = try c.decodeIfPresent([String].self, forKey: .allowedNetworks)
        pausedBehavior = try c.decodeIfPresent(String.self, forKey: .pausedBehavior)
        tls = try c.decodeIfPresent(TLS.self, forKey: .tls)
        ordering = try c.decodeIfPresent(String.self, forKey: .ordering)
        batch = try c.decodeIfPresent(Batch.self, forKey: .batch)
        secrets = try c.decodeIfPresent([String].self, forKey: .secrets)
        consecutiveFailures = try c.decodeIfPresent(Int.self, forKey: .consecutiveFailures)
        pausedReason = try c.decodeIfPresent(String.self, forKey: .pausedReason)
        health = try c.decodeIfPresent(WebhookAdmin.HealthReport.self, forKey: .health)
    }

    /// The checked domain value: filter and template parsed, every field validated.
    public func makeWebhook(validateTemplateVariables: Bool = true) throws(WebhookDocumentError) -> Webhook {
        func invalid(_ field: String, _ value: String, _ rule: String) -> WebhookDocumentError {
            .invalid(WebhookValidationError(field: field, value: value, rule: rule))
        }
        guard let status = Webhook.Status(rawValue: status ?? "active") else {
            throw invalid("status", self.status ?? "", "must be active, paused or disabled")
        }
        guard let pausedBehavior = Webhook.PausedBehavior(rawValue: pausedBehavior ?? "queue") else {
            throw invalid("paused_behavior", self.pausedBehavior ?? "", "must be queue or discard")
        }
        guard let ordering = DeliveryOrdering(rawValue: ordering ?? "none") else {
            throw invalid("ordering", self.ordering ?? "", "must be none or fifo")
        }
        let retryDoc = retry ?? Retry()
        guard let backoff = RetryPolicy.Backoff(rawValue: retryDoc.backoff ?? "custom") else {
            throw invalid("retry.backoff", retryDoc.backoff ?? "", "must be fixed, exponential or custom")
        }
        let defaults = RetryPolicy.default
        let policy = RetryPolicy(maxRetries: retryDoc.maxRetries ?? defaults.maxRetries, backoff: backoff,
                                 intervals: retryDoc.intervalsSeconds ?? defaults.intervals, jitter: retryDoc.jitter ?? 0)
        let signingSettings: SigningSettings
        do { signingSettings = try (signing ?? Signing()).makeSettings() } catch { throw .invalid(error) }
        let authentication = try makeAuthentication()
        var parsedFilter: Filter?
        if let filter, !filter.allSatisfy(\.isWhitespace) {
            do { parsedFilter = try Filter(parsing: filter) } catch {
                throw .filter(error)
            }
        }
        var events = self.events
        var payloadTemplate = self.payloadTemplate
        if let preset {
            guard let integration = IntegrationPreset(rawValue: preset) else {
                throw invalid("preset", preset, "must be one of \(IntegrationPreset.names)")
            }
            if events.isEmpty { events = integration.defaultEvents }
            if payloadTemplate?.allSatisfy(\.isWhitespace) ?? true { payloadTemplate = integration.template }
        }
        var parsedTemplate: PayloadTemplate?
        if let payloadTemplate, !payloadTemplate.allSatisfy(\.isWhitespace) {
            do {
                let template = try PayloadTemplate(parsing: payloadTemplate)
                if validateTemplateVariables {
                    var known = Set<String>()
                    for pattern in events {
                        for type in EventCatalog.types(matching: pattern) { known.formUnion(EventCatalog.fieldPaths(for: type)) }
                    }
                    try template.validate(knownPaths: known)
                }
                parsedTemplate = template
            } catch {
                throw .template(error)
            }
        }
        var webhook = Webhook(
            id: id ?? "", tenantID: tenant, name: name, description: description ?? "", status: status,
            version: version ?? "v1", url: url, method: (method ?? "POST").uppercased(), contentType: contentType ?? "application/json",
            authentication: authentication, headers: (headers ?? [:]).sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) },
            events: events, filter: parsedFilter, template: parsedTemplate,
            connectTimeoutMilliseconds: connectTimeoutMs ?? 10_000, responseTimeoutMilliseconds: responseTimeoutMs ?? 30_000,
            successStatus: (successStatusMin ?? 200)...max(successStatusMin ?? 200, successStatusMax ?? 299),
            retry: policy, pauseAfterFailures: pauseAfterFailures ?? 0, notifyEmail: notifyEmail, notifyURL: notifyURL,
            keepFailedPayloads: keepFailedPayloads ?? true, rateLimitPerMinute: rateLimitPerMinute,
            signing: signingSettings,
            secrets: secrets ?? [], httpsOnly: httpsOnly ?? false, allowedNetworks: allowedNetworks ?? [], pausedBehavior: pausedBehavior)
        webhook.secretExpiries = secretExpiries
        webhook.ordering = ordering
        webhook.batch = batch.map {
            BatchSettings(maxEvents: $0.maxEvents ?? BatchSettings.defaultMaxEvents,
                          maxWaitMilliseconds: $0.maxWaitMs ?? BatchSettings.defaultMaxWaitMilliseconds)
        }
        if let tls {
            let material = WebhookTLS(clientCertificate: tls.clientCertificate, clientKey: tls.clientKey, caBundle: tls.caBundle)
            webhook.tls = material.isEmpty ? nil : material
        }
        do { try webhook.validate() } catch { throw .invalid(error) }
        if let min = successStatusMin, let max = successStatusMax, min > max {
            throw invalid("success_status_max", String(max), "must not be below success_status_min (\(min))")
        }
        return webhook
    }

    func makeAuthentication() throws(WebhookDocumentError) -> WebhookAuthentication {
        let a = auth ?? Authentication()
        switch a.type {
        case "none": return .none
        case "bearer": return .bearer(token: a.token ?? "")
        case "basic": return .basic(username: a.username ?? "", password: a.password ?? "")
        case "api_key": return .apiKey(header: a.header ?? "X-API-Key", value: a.value ?? "")
        case "oauth2": return .oauth2(tokenURL: a.tokenURL ?? "", clientID: a.clientID ?? "", clientSecret: a.clientSecret ?? "", scope: a.scope)
        case "jwt": return .jwt(secret: a.secret ?? "", issuer: a.issuer ?? "herald", audience: a.audience)
        case "hmac": return .none   // HMAC is the signature itself (signing settings)
        default:
            throw .invalid(WebhookValidationError(field: "auth.type", value: a.type, rule: "must be none, bearer, basic, api_key, hmac, oauth2 or jwt"))
        }
    }
}

/// Why a webhook document cannot be saved: the message names the field and the rule, or the
/// filter/template position.
public enum WebhookDocumentError: Error, Sendable, CustomStringConvertible {
    case invalid(WebhookValidationError)
    case filter(FilterParseError)
    case template(TemplateError)
    /// The document itself: not JSON, an unknown field, a value of the wrong type.
    case document(String)

    public var description: String {
        switch self {
        case .document(let message): message
        case .invalid(let e): e.description
        case .filter(let e): "webhook.filter: \(e)"
        case .template(let e): "webhook.payload_template: \(e)"
        }
    }
}

/// Any JSON, kept as its text (for inline payload templates).
struct AnyJSON: Decodable {
    let text: String
    init(from decoder: any Decoder) throws {
        let value = try JSONDecoderValue(from: decoder)
        var bytes: [UInt8] = []
        value.json.write(to: &bytes)
        text = String(decoding: bytes, as: UTF8.self)
    }
}

/// Decodes arbitrary JSON through Codable into a JSONValue.
struct JSONDecoderValue: Decodable {
    let json: JSONValue
    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONDecoderValue.self).json) }
            json = .array(items)
            return
        }
        if let object = try? decoder.container(keyedBy: DynamicKey.self) {
            var result = JSONObject()
            for key in object.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                result[key.stringValue] = try object.decode(JSONDecoderValue.self, forKey: key).json
            }
            json = .object(result)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { json = .null }
        else if let b = try? single.decode(Bool.self) { json = .bool(b) }
        else if let i = try? single.decode(Int.self) { json = .number(JSONNumber(i)) }
        else if let d = try? single.decode(Double.self) { json = .number(JSONNumber(d)) }
        else { json = .string(try single.decode(String.self)) }
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

extension WebhookDocument {
    /// The largest webhook document accepted (templates and filters have their own limits inside).
    public static let maxDocumentBytes = 256 * 1024

    /// Reads a webhook document strictly: not JSON, an unknown field (`"evnts"`), or a value of the
    /// wrong type is refused with the field's path, never ignored or reported as a Swift decoding error.
    public static func parse(_ bytes: [UInt8]) throws(WebhookDocumentError) -> WebhookDocument {
        guard bytes.count <= maxDocumentBytes else {
            throw .document("webhook: the document is \(bytes.count) bytes; at most \(maxDocumentBytes) are accepted")
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw .document("webhook: not valid JSON: \(error)") }
        guard case .object(let top) = value else { throw .document("webhook: the document must be a JSON object") }
        try checkKeys(top, allowed: CodingKeys.allCases.map(\.rawValue), path: "webhook")
        for (key, allowed) in [("auth", Authentication.CodingKeys.allCases.map(\.rawValue)),
                               ("retry", Retry.CodingKeys.allCases.map(\.rawValue)),
                               ("signing", Signing.CodingKeys.allCases.map(\.rawValue)),
                               ("tls", TLS.CodingKeys.allCases.map(\.rawValue)),
                               ("batch", Batch.CodingKeys.allCases.map(\.rawValue))] {
            if case .object(let nested)? = top[key] { try checkKeys(nested, allowed: allowed, path: "webhook.\(key)") }
        }
        if case .object(let signing)? = top["signing"], case .array(let schemes)? = signing["schemes"] {
            for (i, item) in schemes.enumerated() {
                if case .object(let scheme) = item {
                    try checkKeys(scheme, allowed: Scheme.CodingKeys.allCases.map(\.rawValue), path: "webhook.signing.schemes[\(i)]")
                }
            }
        }
        do {
            return try JSONDecoder().decode(WebhookDocument.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .document(describe(error))
        } catch {
            throw .document("webhook: \(error)")
        }
    }

    private static func checkKeys(_ object: JSONObject, allowed: [String], path: String) throws(WebhookDocumentError) {
        for (key, _) in object where !allowed.contains(key) {
            let closest = allowed.min { EditDistance.between($0, key) < EditDistance.between($1, key) }
            let hint = closest.map { EditDistance.between($0, key) <= 3 ? " (did you mean \($0)?)" : "" } ?? ""
            throw .document("\(path).\(Quoted.bare(key)): unknown field\(hint)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ last: (any CodingKey)? = nil) -> String {
            let keys = (context.codingPath + (last.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
            return "webhook" + keys.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context, key)): is required"
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(describeType(type))"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(describeType(type)), found null"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "webhook: \(error)"
        }
    }

    private static func describeType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }

    /// The placeholder `show` prints for a stored credential.
    public static let masked = "…"

    /// A copy safe to show: every stored credential replaced by the placeholder.
    public func redacted() -> WebhookDocument {
        var doc = self
        doc.secrets = doc.secrets.map { $0.map { $0.hasPrefix("whsec_") ? "whsec_…" : WebhookDocument.masked } }
        doc.auth?.redact()
        if doc.tls?.clientKey != nil { doc.tls?.clientKey = WebhookDocument.masked }
        doc.url = Webhook.redactedURL(url)
        if let headers = doc.headers {
            doc.headers = Dictionary(uniqueKeysWithValues: headers.map { ($0.key, WebhookDocument.isSensitiveHeader($0.key) ? WebhookDocument.masked : $0.value) })
        }
        return doc
    }

    /// A custom header whose value is a credential by its name (X-Api-Key, Authorization, …): masked
    /// when shown, kept when an update leaves it masked.
    public static func isSensitiveHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["authorization", "token", "secret", "key", "password", "cookie", "credential", "signature", "auth"].contains { lower.contains($0) }
    }

    /// The credential an update must give again: stored credentials are kept (masked or omitted)
    /// only while the endpoint's host — and an OAuth token URL — stay the same, so that nobody who
    /// cannot read a credential can have it sent to a server of their own.
    public static func credentialNeedingReentry(given: WebhookDocument, stored: WebhookDocument) -> String? {
        func host(_ url: String) -> String? { URL(string: url)?.host?.lowercased() }
        let hostChanged = host(given.url) != host(stored.url)
        func missing(_ value: String?) -> Bool { value == nil || value == masked || value == "" }
        if let auth = given.auth, let old = stored.auth, auth.type == old.type {
            let tokenURLChanged = auth.tokenURL != nil && auth.tokenURL != old.tokenURL
            if hostChanged || tokenURLChanged {
                for (field, now, before) in [("auth.token", auth.token, old.token), ("auth.password", auth.password, old.password),
                                             ("auth.value", auth.value, old.value), ("auth.client_secret", auth.clientSecret, old.clientSecret),
                                             ("auth.secret", auth.secret, old.secret)] where before != nil && missing(now) {
                    return field
                }
            }
        }
        if hostChanged, let headers = given.headers, let old = stored.headers {
            for (name, value) in headers where value == masked && old[name] != nil && isSensitiveHeader(name) { return "headers.\(name)" }
        }
        return nil
    }

    /// An update written from `show` output (or with credentials left out) keeps the stored ones:
    /// a masked or omitted credential is never written over the real value.
    public func keepingStoredCredentials(of stored: WebhookDocument) -> WebhookDocument {
        var doc = self
        if doc.url == Webhook.redactedURL(stored.url) { doc.url = stored.url }
        if var headers = doc.headers, let old = stored.headers {
            for (name, value) in headers where value == WebhookDocument.masked { headers[name] = old[name] }
            doc.headers = headers
        }
        if var tls = doc.tls, let old = stored.tls,
           tls.clientKey == WebhookDocument.masked || tls.clientKey == "" || (tls.clientKey == nil && tls.clientCertificate != nil) {
            // The key is kept only for the certificate it belongs to.
            if tls.clientCertificate == nil || tls.clientCertificate == old.clientCertificate {
                tls.clientCertificate = old.clientCertificate
                tls.clientKey = old.clientKey
            }
            doc.tls = tls
        }
        guard var auth = doc.auth, let old = stored.auth, auth.type == old.type else { return doc }
        func keep(_ given: String?, _ previous: String?) -> String? {
            guard let given, given != WebhookDocument.masked, !given.isEmpty else { return previous }
            return given
        }
        auth.token = keep(auth.token, old.token)
        auth.password = keep(auth.password, old.password)
        auth.value = keep(auth.value, old.value)
        auth.clientSecret = keep(auth.clientSecret, old.clientSecret)
        auth.secret = keep(auth.secret, old.secret)
        doc.auth = auth
        return doc
    }
}

extension WebhookDocument.Authentication {
    mutating func redact() {
        if token != nil { token = WebhookDocument.masked }
        if password != nil { password = WebhookDocument.masked }
        if value != nil { value = WebhookDocument.masked }
        if clientSecret != nil { clientSecret = WebhookDocument.masked }
        if secret != nil { secret = WebhookDocument.masked }
    }
}

extension WebhookDocument.Signing {
    /// The checked schemes: presets resolved, overrides applied, every field validated.
    public func makeSettings() throws(WebhookValidationError) -> SigningSettings {
        if let schemes {
            guard scheme == nil, header == nil, signTimestamp == nil else {
                throw WebhookValidationError(field: "signing.schemes", value: "",
                                             rule: "give either signing.scheme (with header, sign_timestamp) or signing.schemes, not both")
            }
            guard !schemes.isEmpty else {
                throw WebhookValidationError(field: "signing.schemes", value: "[]", rule: "list at least one scheme; for unsigned requests use \"scheme\": \"none\"")
            }
            var result: [SignatureScheme] = []
            for (i, item) in schemes.enumerated() {
                result.append(try SignatureScheme.make(item, field: "signing.schemes[\(i)]"))
            }
            return SigningSettings(schemes: result)
        }
        let name = scheme ?? "standard-webhooks"
        if name == "none" { return .unsigned }
        var overrides = SignatureScheme.Settings()
        overrides.header = header
        if name == "hex" {
            // Herald's earlier hex scheme: X-Herald-Signature: sha256=<hex> over timestamp.body
            // (sign_timestamp, default true) with X-Herald-Timestamp, keyed with the secret as written.
            overrides.header = header ?? "X-Herald-Signature"
            overrides.signed = signTimestamp ?? true ? "timestamp.body" : "body"
            overrides.timestampHeader = signTimestamp ?? true ? "X-Herald-Timestamp" : nil
            return SigningSettings(schemes: [try SignatureScheme.make(overrides, field: "signing")])
        }
        guard let preset = SignaturePreset(name: name) else {
            throw WebhookValidationError(field: "signing.scheme", value: name, rule: "must be one of \(SignaturePreset.names), none (or hex)")
        }
        if let signTimestamp {
            if preset.scheme.signed == .body {
                overrides.signed = signTimestamp ? "timestamp.body" : "body"
            } else if !signTimestamp {
                throw WebhookValidationError(field: "signing.sign_timestamp", value: "false", rule: "\(preset.rawValue) always signs the timestamp")
            }
        }
        overrides.preset = preset.rawValue
        return SigningSettings(schemes: [try SignatureScheme.make(overrides, field: "signing")])
    }
}
