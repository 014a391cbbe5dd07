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
    /// Live signing secrets (`whsec_…`), newest first; all of them sign during a rotation.
    public var secrets: [String]
    /// When each of `secrets` stops signing (Unix ms; nil or missing = never). The signer asks
    /// `liveSecrets(atMilliseconds:)`, so an expired secret stops signing on time even in a
    /// process whose copy of the webhook is older than the expiry.
    public var secretExpiries: [Int64?] = []
    public var httpsOnly: Bool
    public var allowedNetworks: [String]
    public var pausedBehavior: PausedBehavior

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

    /// Checks every setting; the first broken rule is thrown with its field, value and rule.
    public func validate() throws(WebhookValidationError) {
        guard !name.trimmingWhitespace().isEmpty else {
            throw WebhookValidationError(field: "name", value: name, rule: "must not be empty")
        }
        guard TenantID.isValid(tenantID) else {
            throw WebhookValidationError(field: "tenant", value: tenantID, rule: "must be 1–63 lowercase letters, digits, '-' or '_'")
        }
        let lowerURL = url.lowercased()
        guard lowerURL.hasPrefix("http://") || lowerURL.hasPrefix("https://") else {
            throw WebhookValidationError(field: "url", value: url, rule: "only http and https URLs are allowed")
        }
        guard url.utf8.count <= 2048, !url.contains(" "), url.split(separator: "/", omittingEmptySubsequences: false).count >= 3,
              !(url.split(separator: "/", omittingEmptySubsequences: false)[2].isEmpty) else {
            throw WebhookValidationError(field: "url", value: url, rule: "must be an absolute URL with a host, without spaces, at most 2048 characters")
        }
        if httpsOnly && !lowerURL.hasPrefix("https://") {
            throw WebhookValidationError(field: "url", value: url, rule: "this webhook is HTTPS-only")
        }
        guard ["POST", "PUT", "PATCH"].contains(method) else {
            throw WebhookValidationError(field: "method", value: method, rule: "must be POST, PUT or PATCH")
        }
        guard !events.isEmpty else {
            throw WebhookValidationError(field: "events", value: "[]", rule: "subscribe to at least one event type or pattern")
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
        for header in headers {
            guard HTTPHeaderName.isValid(header.name) else {
                throw WebhookValidationError(field: "headers", value: header.name, rule: "is not a valid HTTP header name")
            }
            guard !header.value.contains("\r"), !header.value.contains("\n") else {
                throw WebhookValidationError(field: "headers.\(header.name)", value: header.value, rule: "header values must not contain line breaks")
            }
        }
        try signing.validate()
        try authentication.validate()
        for network in allowedNetworks where !IPNetworkSyntax.isValid(network) {
            throw WebhookValidationError(field: "allowed_networks", value: network, rule: "must be an IP address or CIDR such as 203.0.113.0/24")
        }
    }
}

/// How requests are signed.
public struct SigningSettings: Sendable, Equatable {
    public enum Scheme: String, Sendable, CaseIterable {
        /// Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature: v1,<base64>.
        case standard
        /// `X-Herald-Signature: sha256=<hex>` over the body, or over `timestamp.body`.
        case hex
        case none
    }

    public var scheme: Scheme
    public var headerName: String
    public var signTimestamp: Bool

    public init(scheme: Scheme = .standard, headerName: String = "X-Herald-Signature", signTimestamp: Bool = true) {
        self.scheme = scheme
        self.headerName = headerName
        self.signTimestamp = signTimestamp
    }

    func validate() throws(WebhookValidationError) {
        guard HTTPHeaderName.isValid(headerName) else {
            throw WebhookValidationError(field: "signature_header", value: headerName, rule: "is not a valid HTTP header name")
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
        case .basic(let username, _):
            guard !username.isEmpty, !username.contains(":") else {
                throw WebhookValidationError(field: "auth.username", value: username, rule: "basic auth needs a user name without ':'")
            }
        case .apiKey(let header, let value):
            guard HTTPHeaderName.isValid(header) else { throw WebhookValidationError(field: "auth.header", value: header, rule: "is not a valid HTTP header name") }
            guard !value.isEmpty else { throw WebhookValidationError(field: "auth.value", value: "", rule: "an API key value is required") }
        case .oauth2(let tokenURL, let clientID, let clientSecret, _):
            guard tokenURL.lowercased().hasPrefix("http://") || tokenURL.lowercased().hasPrefix("https://") else {
                throw WebhookValidationError(field: "auth.token_url", value: tokenURL, rule: "only http and https URLs are allowed")
            }
            guard !clientID.isEmpty, !clientSecret.isEmpty else {
                throw WebhookValidationError(field: "auth.client_id", value: clientID, rule: "OAuth 2.0 needs a client id and a client secret")
            }
        case .jwt(let secret, let issuer, _):
            guard secret.utf8.count >= 16 else { throw WebhookValidationError(field: "auth.secret", value: "…", rule: "a JWT secret needs at least 16 characters") }
            guard !issuer.isEmpty else { throw WebhookValidationError(field: "auth.issuer", value: "", rule: "a JWT issuer is required") }
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
