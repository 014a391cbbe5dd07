/// A webhook as a person configured it: where, what, how, and what to do when it fails.
/// Filters and templates are kept parsed, so the router never parses them per event.
public struct Webhook: Sendable {
    public enum Status: String, Sendable, CaseIterable { case active, paused, disabled }
    public enum PausedBehavior: String, Sendable, CaseIterable { case queue, discard }

    public var id: String
    public var tenantID: String
    public var name: String
    public var description: String
    public var status: Status
    public var version: String
    public var url: String
    public var method: String
    public var contentType: String
    public var authentication: WebhookAuthentication
    public var headers: [(name: String, value: String)]
    public var events: [String]
    public var filter: Filter?
    public var template: PayloadTemplate?
    public var connectTimeoutMilliseconds: Int
    public var responseTimeoutMilliseconds: Int
    public var successStatus: ClosedRange<Int>
    public var retry: RetryPolicy
    public var pauseAfterFailures: Int
    public var notifyEmail: String?
    public var notifyURL: String?
    public var keepFailedPayloads: Bool
    public var rateLimitPerMinute: Int?
    public var signing: SigningSettings
    /// Live signing secrets, newest first (`whsec_…`, or a secret the partner brought for schemes
    /// keyed with the secret as written); which of them sign during a rotation is the scheme's choice.
    public var secrets: [String]
    /// When each of `secrets` stops signing (Unix ms; nil or missing = never). The signer asks
    /// `liveSecrets(atMilliseconds:)`, so an expired secret stops signing on time even in a
    /// process whose copy of the webhook is older than the expiry.
    public var secretExpiries: [Int64?] = []
    public var httpsOnly: Bool
    public var allowedNetworks: [String]
    public var pausedBehavior: PausedBehavior
    /// Mutual TLS and a custom CA bundle, or nil.
    public var tls: WebhookTLS? = nil
    /// `fifo`: one delivery at a time, in event order.
    public var ordering: DeliveryOrdering = .none
    /// Batch delivery (opt-in): up to `maxEvents` deliveries per request as one JSON array.
    public var batch: BatchSettings? = nil

    public init(
        id: String, tenantID: String, name: String, description: String = "", status: Status = .active,
        version: String = "v1", url: String, method: String = "POST", contentType: String = "application/json",
        authentication: WebhookAuthentication = .none, headers: [(name: String, value: String)] = [],
        events: [String], filter: Filter? = nil, template: PayloadTemplate? = nil,
        connectTimeoutMilliseconds: Int = 10_000, responseTimeoutMilliseconds: Int = 30_000,
        successStatus: ClosedRange<Int> = 200...299, retry: RetryPolicy = .default, pauseAfterFailures: Int = 0,
        notifyEmail: String? = nil, notifyURL: String? = nil, keepFailedPayloads: Bool = true,
        rateLimitPerMinute: Int? = nil, signing: SigningSettings = SigningSettings(), secrets: [String] = [],
        httpsOnly: Bool = false, allowedNetworks: [String] = [], pausedBehavior: PausedBehavior = .queue
    ) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.description = description
        self.status = status
        self.version = version
        self.url = url
        self.method = method
        self.contentType = contentType
        self.authentication = authentication
        self.headers = headers
        self.events = events
        self.filter = filter
        self.template = template
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.responseTimeoutMilliseconds = responseTimeoutMilliseconds
        self.successStatus = successStatus
        self.retry = retry
        self.pauseAfterFailures = pauseAfterFailures
        self.notifyEmail = notifyEmail
        self.notifyURL = notifyURL
        self.keepFailedPayloads = keepFailedPayloads
        self.rateLimitPerMinute = rateLimitPerMinute
        self.signing = signing
        self.secrets = secrets
        self.httpsOnly = httpsOnly
        self.allowedNetworks = allowedNetworks
        self.pausedBehavior = pausedBehavior
        self.secretExpiries = []
    }

    /// The secrets that sign a request made at `now` (Unix ms), newest first.
    public func liveSecrets(atMilliseconds now: Int64) -> [String] {
        secrets.indices.compactMap { i in
            let expiry = i < secretExpiries.count ? secretExpiries[i] : nil
            if let expiry, expiry <= now { return nil }
            return secrets[i]
        }
    }

    /// Exact types and wildcards (`order.*`, `*.created`, `*`).
    public func subscribes(to type: String) -> Bool {
        events.contains { EventCatalog.matches(pattern: $0, type: type) }
    }

    /// Limits on what one webhook may hold, so no tenant's settings can weigh on everyone's.
    public enum Limits {
        public static let nameBytes = 200
        public static let descriptionBytes = 4000
        public static let urlBytes = 2048
        public static let headers = 50
        public static let headerValueBytes = 8192
        public static let events = 100
        public static let allowedNetworks = 100
        public static let credentialBytes = 4096
    }

    /// Checks every setting; the first broken rule is thrown with its field, value and rule.
    public func validate() throws(WebhookValidationError) {
        guard !name.trimmingWhitespace().isEmpty else {
            throw WebhookValidationError(field: "name", value: name, rule: "must not be empty")
        }
        guard name.utf8.count <= Limits.nameBytes, TextRules.isSingleLine(name) else {
            throw WebhookValidationError(field: "name", value: name, rule: "must be one line of at most \(Limits.nameBytes) bytes, without control characters")
        }
        guard description.utf8.count <= Limits.descriptionBytes, TextRules.isText(description) else {
            throw WebhookValidationError(field: "description", value: description, rule: "must be at most \(Limits.descriptionBytes) bytes of text")
        }
        guard version.utf8.count <= 32, TextRules.isSingleLine(version) else {
            throw WebhookValidationError(field: "version", value: version, rule: "must be at most 32 characters on one line")
        }
        guard TenantID.isValid(tenantID) else {
            throw WebhookValidationError(field: "tenant", value: tenantID, rule: "must be 1–63 lowercase letters, digits, '-' or '_'")
        }
        try Webhook.validateURL(url, field: "url")
        if httpsOnly && !url.lowercased().hasPrefix("https://") {
            throw WebhookValidationError(field: "url", value: url, rule: "this webhook is HTTPS-only")
        }
        guard ["POST", "PUT", "PATCH"].contains(method) else {
            throw WebhookValidationError(field: "method", value: method, rule: "must be POST, PUT or PATCH")
        }
        guard !contentType.isEmpty, contentType.utf8.count <= 256, TextRules.isSingleLine(contentType) else {
            throw WebhookValidationError(field: "content_type", value: contentType, rule: "must be a media type such as application/json, on one line")
        }
        guard !events.isEmpty else {
            throw WebhookValidationError(field: "events", value: "[]", rule: "subscribe to at least one event type or pattern")
        }
        guard events.count <= Limits.events else {
            throw WebhookValidationError(field: "events", value: "\(events.count) patterns", rule: "at most \(Limits.events)")
        }
        for pattern in events {
            if let problem = EventCatalog.validatePattern(pattern) {
                throw WebhookValidationError(field: "events", value: pattern, rule: problem)
            }
        }
        guard (100...120_000).contains(connectTimeoutMilliseconds) else {
            throw WebhookValidationError(field: "connect_timeout_ms", value: String(connectTimeoutMilliseconds), rule: "must be 100 to 120000 ms")
        }
        guard (100...600_000).contains(responseTimeoutMilliseconds) else {
            throw WebhookValidationError(field: "response_timeout_ms", value: String(responseTimeoutMilliseconds), rule: "must be 100 to 600000 ms")
        }
        guard successStatus.lowerBound >= 100, successStatus.upperBound <= 599 else {
            throw WebhookValidationError(field: "success_status", value: "\(successStatus.lowerBound)-\(successStatus.upperBound)", rule: "must lie within 100-599")
        }
        try retry.validate()
        guard pauseAfterFailures >= 0 else {
            throw WebhookValidationError(field: "pause_after_failures", value: String(pauseAfterFailures), rule: "must be 0 (never) or more")
        }
        if let rate = rateLimitPerMinute, rate <= 0 {
            throw WebhookValidationError(field: "rate_limit_per_minute", value: String(rate), rule: "must be a positive number of requests per minute")
        }
        if let notifyURL { try Webhook.validateURL(notifyURL, field: "notify_url") }
        try tls?.validate()
        if let batch {
            try batch.validate()
            guard ordering == .none else {
                throw WebhookValidationError(field: "batch", value: "max_events \(batch.maxEvents)",
                                             rule: "cannot be combined with ordering fifo (one delivery at a time)")
            }
        }
        if let notifyEmail {
            let parts = notifyEmail.split(separator: "@", omittingEmptySubsequences: false)
            guard MailMessage.isValidAddress(notifyEmail), TextRules.isSingleLine(notifyEmail),
                  parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else {
                throw WebhookValidationError(field: "notify_email", value: notifyEmail, rule: "must be an email address such as ops@example.com")
            }
        }
        guard headers.count <= Limits.headers else {
            throw WebhookValidationError(field: "headers", value: "\(headers.count) headers", rule: "at most \(Limits.headers)")
        }
        let reserved: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "expect", "te", "upgrade"]
        for header in headers {
            guard HTTPHeaderName.isValid(header.name), !reserved.contains(header.name.lowercased()) else {
                throw WebhookValidationError(field: "headers", value: header.name,
                                             rule: "is not a valid HTTP header name, or one Herald sets itself (\(reserved.sorted().joined(separator: ", ")))")
            }
            try Webhook.validateHeaderValue(header.value, field: "headers.\(header.name)", maxBytes: Limits.headerValueBytes)
        }
        try signing.validate()
        let signatureHeaders = Set(signing.schemes.flatMap { [$0.header] + $0.companionHeaders }.map { $0.lowercased() } + ["webhook-id", "webhook-timestamp"])
        for header in headers where signatureHeaders.contains(header.name.lowercased()) {
            throw WebhookValidationError(field: "headers", value: header.name, rule: "is a signing header; the signature scheme sets it")
        }
        try authentication.validate()
        guard allowedNetworks.count <= Limits.allowedNetworks else {
            throw WebhookValidationError(field: "allowed_networks", value: "\(allowedNetworks.count) networks", rule: "at most \(Limits.allowedNetworks)")
        }
        for network in allowedNetworks where !IPNetworkSyntax.isValid(network) {
            throw WebhookValidationError(field: "allowed_networks", value: network, rule: "must be an IP address or CIDR such as 203.0.113.0/24")
        }
    }

    /// An http(s) URL with a host, no spaces or control bytes, and no credentials in it (they would
    /// be stored and listed in plain text: use `auth` instead).
    static func validateURL(_ url: String, field: String) throws(WebhookValidationError) {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw WebhookValidationError(field: field, value: url, rule: "only http and https URLs are allowed")
        }
        let parts = url.split(separator: "/", omittingEmptySubsequences: false)
        guard url.utf8.count <= Limits.urlBytes, url.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }), parts.count >= 3, !parts[2].isEmpty else {
            throw WebhookValidationError(field: field, value: url,
                                         rule: "must be an absolute URL with a host, without spaces or control characters, at most \(Limits.urlBytes) bytes")
        }
        guard !parts[2].contains("@") else {
            throw WebhookValidationError(field: field, value: Webhook.redactedURL(url),
                                         rule: "must not hold a user name or password; use auth (basic, bearer, API key) so they are sealed")
        }
    }

    static func validateHeaderValue(_ value: String, field: String, maxBytes: Int = Limits.credentialBytes) throws(WebhookValidationError) {
        guard value.utf8.count <= maxBytes, TextRules.isSingleLine(value) else {
            throw WebhookValidationError(field: field, value: "…",
                                         rule: "must be at most \(maxBytes) bytes on one line: CR, LF, NUL and other control characters are refused")
        }
    }

    /// The URL as shown in lists, logs and errors: user information and query values hidden.
    public static func redactedURL(_ url: String) -> String {
        var result = url
        if let start = authorityStart(result) {
            let authorityEnd = result[start...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? result.endIndex
            if let at = result[start..<authorityEnd].lastIndex(of: "@") {
                result.replaceSubrange(start...at, with: "***@")
            }
        }
        guard let q = result.firstIndex(of: "?") else { return result }
        let query = result[result.index(after: q)...].split(separator: "&").map { pair -> String in
            guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
            return String(pair[...eq]) + "***"
        }
        return String(result[...q]) + query.joined(separator: "&")
    }

    /// What is allowed but probably wrong, said when saving: event types not in the catalog (with
    /// the closest one), and destinations the SSRF guard will refuse.
    public func warnings(allowPrivateNetworks: Bool) -> [String] {
        var result: [String] = []
        for pattern in events where !pattern.contains("*") && !EventCatalog.isKnown(pattern) {
            let closest = EventCatalog.types.min { EditDistance.between($0, pattern) < EditDistance.between($1, pattern) }
            result.append("webhook.events: \"\(pattern)\" is not in the event catalog" + (closest.map { " (did you mean \($0)?)" } ?? ""))
        }
        if !allowPrivateNetworks, let host = Webhook.host(of: url), Webhook.isPrivateLiteral(host) {
            result.append("webhook.url: \(host) is a loopback or private address: deliveries will be refused unless the operator sets HERALD_ALLOW_PRIVATE_NETWORKS=true")
        }
        return result
    }

    static func host(of url: String) -> String? {
        guard let start = authorityStart(url) else { return nil }
        let rest = url[start...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
        if hostPort.hasPrefix("[") { return hostPort.split(separator: "]").first.map { String($0.dropFirst()) } }
        return hostPort.split(separator: ":").first.map { $0.lowercased() }
    }

    /// Where the authority begins (after `scheme://`).
    static func authorityStart(_ url: String) -> String.Index? {
        let utf8 = Array(url.utf8)
        guard utf8.count >= 3 else { return nil }
        for i in 0...(utf8.count - 3) where utf8[i] == 58 && utf8[i + 1] == 47 && utf8[i + 2] == 47 {
            return url.utf8.index(url.utf8.startIndex, offsetBy: i + 3)
        }
        return nil
    }

    static func isPrivateLiteral(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host.hasPrefix("fe80:") || host.hasPrefix("fc")
            || host.hasPrefix("fd") && host.contains(":") { return true }
        let octets = host.split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4 else { return false }
        switch (octets[0], octets[1]) {
        case (127, _), (10, _), (0, _), (169, 254), (192, 168): return true
        case (172, let b) where (16...31).contains(b): return true
        case (100, let b) where (64...127).contains(b): return true
        default: return false
        }
    }
}

/// How requests are signed: one or more signature schemes (several during a migration from one
/// receiver convention to another); none means unsigned. Every request also carries `webhook-id`.
public struct SigningSettings: Sendable, Equatable {
    public var schemes: [SignatureScheme]

    public init(schemes: [SignatureScheme] = [.standardWebhooks]) {
        self.schemes = schemes
    }

    /// Unsigned requests (only `webhook-id`, `webhook-timestamp`).
    public static let unsigned = SigningSettings(schemes: [])

    /// True when some scheme keys the HMAC with a `whsec_` secret's bytes (Standard Webhooks):
    /// then every secret must have that form.
    public var needsWhsecSecrets: Bool { schemes.contains { $0.key == .whsec } }

    func validate() throws(WebhookValidationError) {
        guard schemes.count <= SignatureScheme.Limits.schemesPerWebhook else {
            throw WebhookValidationError(field: "signing.schemes", value: "\(schemes.count) schemes",
                                         rule: "at most \(SignatureScheme.Limits.schemesPerWebhook)")
        }
        var seen: [String: Int] = [:]
        for (i, scheme) in schemes.enumerated() {
            try scheme.validate(field: "signing.schemes[\(i)]")
            let name = scheme.header.lowercased()
            if let other = seen[name] {
                throw WebhookValidationError(field: "signing.schemes[\(i)].header", value: scheme.header,
                                             rule: "signing.schemes[\(other)] writes this header already; each scheme needs its own")
            }
            seen[name] = i
        }
        for (i, scheme) in schemes.enumerated() {
            for companion in scheme.companionHeaders {
                if let owner = seen[companion.lowercased()] {
                    throw WebhookValidationError(field: "signing.schemes[\(i)]", value: companion,
                                                 rule: "is the signature header of signing.schemes[\(owner)]")
                }
            }
        }
    }
}

/// How Herald authenticates to the endpoint (besides the signature).
public enum WebhookAuthentication: Sendable, Equatable {
    case none
    case bearer(token: String)
    case basic(username: String, password: String)
    case apiKey(header: String, value: String)
    /// OAuth 2.0 client credentials: a token is fetched from `tokenURL` and cached until it expires.
    case oauth2(tokenURL: String, clientID: String, clientSecret: String, scope: String?)
    /// A short-lived HS256 JWT per request in `Authorization: Bearer`.
    case jwt(secret: String, issuer: String, audience: String?)

    public var kind: String {
        switch self {
        case .none: "none"
        case .bearer: "bearer"
        case .basic: "basic"
        case .apiKey: "api_key"
        case .oauth2: "oauth2"
        case .jwt: "jwt"
        }
    }

    func validate() throws(WebhookValidationError) {
        switch self {
        case .none: return
        case .bearer(let token):
            guard !token.isEmpty else { throw WebhookValidationError(field: "auth.token", value: "", rule: "a bearer token is required") }
            try Webhook.validateHeaderValue(token, field: "auth.token")
        case .basic(let username, let password):
            guard !username.isEmpty, !username.contains(":") else {
                throw WebhookValidationError(field: "auth.username", value: username, rule: "basic auth needs a user name without ':'")
            }
            try Webhook.validateHeaderValue(username, field: "auth.username")
            try Webhook.validateHeaderValue(password, field: "auth.password")
        case .apiKey(let header, let value):
            guard HTTPHeaderName.isValid(header) else { throw WebhookValidationError(field: "auth.header", value: header, rule: "is not a valid HTTP header name") }
            guard !value.isEmpty else { throw WebhookValidationError(field: "auth.value", value: "", rule: "an API key value is required") }
            try Webhook.validateHeaderValue(value, field: "auth.value")
        case .oauth2(let tokenURL, let clientID, let clientSecret, let scope):
            try Webhook.validateURL(tokenURL, field: "auth.token_url")
            guard !clientID.isEmpty, !clientSecret.isEmpty else {
                throw WebhookValidationError(field: "auth.client_id", value: clientID, rule: "OAuth 2.0 needs a client id and a client secret")
            }
            try Webhook.validateHeaderValue(clientID, field: "auth.client_id")
            try Webhook.validateHeaderValue(clientSecret, field: "auth.client_secret")
            if let scope { try Webhook.validateHeaderValue(scope, field: "auth.scope") }
        case .jwt(let secret, let issuer, let audience):
            guard secret.utf8.count >= 16 else { throw WebhookValidationError(field: "auth.secret", value: "…", rule: "a JWT secret needs at least 16 characters") }
            guard !issuer.isEmpty else { throw WebhookValidationError(field: "auth.issuer", value: "", rule: "a JWT issuer is required") }
            try Webhook.validateHeaderValue(secret, field: "auth.secret")
            try Webhook.validateHeaderValue(issuer, field: "auth.issuer")
            if let audience { try Webhook.validateHeaderValue(audience, field: "auth.audience") }
        }
    }
}

public enum HTTPHeaderName {
    /// RFC 9110 token characters.
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 256 else { return false }
        let extra = Set("!#$%&'*+-.^_`|~".utf8)
        return name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || extra.contains($0) }
    }
}

/// Syntax check of "203.0.113.7", "203.0.113.0/24", "2001:db8::/32" (the HTTP layer does the matching).
public enum IPNetworkSyntax {
    public static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = parts.first, !address.isEmpty else { return false }
        let isV6 = address.contains(":")
        if parts.count == 2 {
            guard let bits = Int(parts[1]), bits >= 0, bits <= (isV6 ? 128 : 32) else { return false }
        }
        if isV6 {
            return address.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } && address.split(separator: ":", omittingEmptySubsequences: false).count <= 9
        }
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { octet in Int(octet).map { (0...255).contains($0) && octet.count <= 3 } ?? false }
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
