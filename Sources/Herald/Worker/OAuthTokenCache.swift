import CurlClient
import Foundation
import HeraldCore

/// OAuth 2.0 client-credentials tokens, fetched on first use and reused until a minute before
/// they expire. The fetch is synchronous on the worker's thread; it happens once per token lifetime.
final class OAuthTokenCache {
    struct TokenError: Error, CustomStringConvertible { var description: String }

    private var tokens: [String: (token: String, expires: ContinuousClock.Instant)] = [:]
    private let allowPrivateNetworks: Bool

    init(allowPrivateNetworks: Bool) { self.allowPrivateNetworks = allowPrivateNetworks }

    func token(for webhook: Webhook) throws -> String {
        guard case .oauth2(let tokenURL, let clientID, let clientSecret, let scope) = webhook.authentication else {
            throw TokenError(description: "webhook \(webhook.id) does not use OAuth 2.0")
        }
        let key = "\(tokenURL)\u{0}\(clientID)\u{0}\(scope ?? "")"
        if let cached = tokens[key], cached.expires > .now { return cached.token }
        var form = "grant_type=client_credentials&client_id=\(formEncode(clientID))&client_secret=\(formEncode(clientSecret))"
        if let scope { form += "&scope=\(formEncode(scope))" }
        let multi = try CurlMulti(maxTotalConnections: 4)
        try multi.add(HTTPRequest(url: tokenURL, method: "POST",
                                  headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json")],
                                  body: Array(form.utf8), connectTimeout: .seconds(5), timeout: .seconds(15),
                                  allowPrivateNetworks: allowPrivateNetworks), id: 1)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            for completion in multi.perform(timeout: .milliseconds(100)).completions {
                let response = try completion.result.get()
                guard (200...299).contains(response.status) else {
                    throw TokenError(description: "OAuth token endpoint answered HTTP \(response.status)")
                }
                let json = try JSONValue(parsing: response.body)
                guard let token = json["access_token"]?.stringValue else {
                    throw TokenError(description: "OAuth token response has no access_token")
                }
                let lifetime = max(60, json["expires_in"]?.intValue ?? 3600)
                tokens[key] = (token, .now + .seconds(lifetime - 60))
                return token
            }
        }
        throw TokenError(description: "OAuth token endpoint did not answer within 20 s")
    }

    private func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
