import CurlClient
import HeraldCore
import HeraldCrypto

/// Turns a claimed delivery into the HTTP request: method, content type, the webhook's own
/// headers, authentication, the signature, and the address guard's settings.
struct RequestBuilder {
    static let userAgent = "Herald/\(HeraldVersion.current)"

    let allowPrivateNetworks: Bool

    /// `token` supplies OAuth 2.0 access tokens (cached by the caller); `extraHeaders` are Herald's
    /// own (a batch's size). `deliveryID` is the message id: a delivery's, or a batch's.
    /// `traceparent` (W3C) goes out as it is: the attempt's span, so the receiver's logs join the trace.
    func request(webhook: Webhook, deliveryID: String, body: [UInt8], now: Int64, extraHeaders: [HTTPHeader] = [], traceparent: String? = nil,
                 token: (Webhook) throws -> String) throws -> (request: HTTPRequest, loggedHeaders: String) {
        var headers: [HTTPHeader] = [
            HTTPHeader("Content-Type", webhook.contentType),
            HTTPHeader("User-Agent", RequestBuilder.userAgent),
            HTTPHeader("Expect", ""),
        ]
        if let traceparent { headers.append(HTTPHeader(TraceContext.headerName, traceparent)) }
        for header in webhook.headers { headers.append(HTTPHeader(header.name, header.value)) }
        headers += extraHeaders
        var redacted: Set<String> = []
        switch webhook.authentication {
        case .none:
            break
        case .bearer(let value):
            headers.append(HTTPHeader("Authorization", "Bearer \(value)"))
            redacted.insert("authorization")
        case .basic(let username, let password):
            headers.append(HTTPHeader("Authorization", "Basic " + Base64.encode(Array("\(username):\(password)".utf8))))
            redacted.insert("authorization")
        case .apiKey(let name, let value):
            headers.append(HTTPHeader(name, value))
            redacted.insert(name.lowercased())
        case .jwt(let secret, let issuer, let audience):
            headers.append(HTTPHeader("Authorization", "Bearer " + (try JWT.hs256(secret: secret, issuer: issuer, audience: audience,
                                                                              subject: webhook.id, id: deliveryID, issuedAt: now / 1000))))
            redacted.insert("authorization")
        case .oauth2:
            headers.append(HTTPHeader("Authorization", "Bearer " + (try token(webhook))))
            redacted.insert("authorization")
        }
        for (name, value) in try WebhookSigner.headers(settings: webhook.signing, secrets: webhook.liveSecrets(atMilliseconds: now),
                                                       messageID: deliveryID, timestamp: now / 1000, body: body) {
            headers.append(HTTPHeader(name, value))
        }
        let networks = webhook.allowedNetworks.compactMap { IPNetwork($0) }
        let request = HTTPRequest(
            url: webhook.url, method: webhook.method, headers: headers, body: body,
            connectTimeout: .milliseconds(webhook.connectTimeoutMilliseconds),
            timeout: .milliseconds(webhook.connectTimeoutMilliseconds + webhook.responseTimeoutMilliseconds),
            responseTimeout: .milliseconds(webhook.responseTimeoutMilliseconds),
            allowPrivateNetworks: allowPrivateNetworks, allowedNetworks: networks,
            clientCertificatePEM: webhook.tls?.clientCertificate, clientKeyPEM: webhook.tls?.clientKey, caBundlePEM: webhook.tls?.caBundle)
        let logged = headers.filter { !$0.value.isEmpty }.map { h in
            "\(h.name): \(redacted.contains(h.name.lowercased()) ? "[redacted]" : h.value)"
        }.joined(separator: "\n")
        return (request, logged)
    }
}

/// Compact HS256 JSON Web Tokens for the `jwt` authentication type (valid for five minutes).
enum JWT {
    static func hs256(secret: String, issuer: String, audience: String?, subject: String, id: String, issuedAt: Int64) throws -> String {
        var claims = JSONObject()
        claims["iss"] = .string(issuer)
        if let audience { claims["aud"] = .string(audience) }
        claims["sub"] = .string(subject)
        claims["jti"] = .string(id)
        claims["iat"] = .number(JSONNumber(Int(issuedAt)))
        claims["exp"] = .number(JSONNumber(Int(issuedAt) + 300))
        var payload: [UInt8] = []
        JSONValue.object(claims).write(to: &payload)
        let signingInput = base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + base64URL(payload)
        let signature = try HMAC.sha256(key: Array(secret.utf8), message: Array(signingInput.utf8))
        return signingInput + "." + base64URL(signature)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        var s = Base64.encode(bytes)
        while s.hasSuffix("=") { s.removeLast() }
        return String(s.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }
}

public enum HeraldVersion {
    public static let current = "0.1.0"
}
