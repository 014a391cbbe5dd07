import CurlClient
import Foundation
import HeraldCore
import Synchronization

/// OAuth 2.0 client-credentials tokens, reused until a minute before they expire. A token is
/// fetched on a thread of its own, never on the worker's: deliveries that need it wait (their
/// attempt given back) while every other delivery goes on. A failed fetch is remembered and not
/// tried again before its backoff (5 s, doubling, at most 2 min), so a token endpoint that hangs or
/// fails costs one request per backoff, not one per delivery.
final class OAuthTokenCache: Sendable {
    struct TokenError: Error, CustomStringConvertible { var description: String }
    /// The token is being fetched: try the delivery again shortly.
    struct Pending: Error, CustomStringConvertible { var description: String { "waiting for the OAuth 2.0 token" } }

    private enum Entry {
        case ready(token: String, expires: ContinuousClock.Instant)
        case fetching
        case failed(reason: String, retryAt: ContinuousClock.Instant, backoff: Duration)
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let allowPrivateNetworks: Bool

    init(allowPrivateNetworks: Bool) { self.allowPrivateNetworks = allowPrivateNetworks }

    /// The token, or `Pending` while it is fetched, or the last fetch's error during its backoff.
    func token(for webhook: Webhook) throws -> String {
        guard case .oauth2(let tokenURL, let clientID, let clientSecret, let scope) = webhook.authentication else {
            throw TokenError(description: "webhook \(webhook.id) does not use OAuth 2.0")
        }
        let key = "\(tokenURL)\u{0}\(clientID)\u{0}\(scope ?? "")"
        let now = ContinuousClock.now
        enum Decision { case use(String), wait, refuse(String), start(previousBackoff: Duration) }
        let decision: Decision = entries.withLock { entries in
            var previous = Duration.zero
            switch entries[key] {
            case .ready(let token, let expires) where expires > now: return .use(token)
            case .fetching: return .wait
            case .failed(let reason, let retryAt, _) where retryAt > now:
                return .refuse("OAuth 2.0 token endpoint failed: \(reason) (next try in \(Int((retryAt - now).inSeconds.rounded())) s)")
            case .failed(_, _, let backoff): previous = backoff
            default: break
            }
            entries[key] = .fetching
            return .start(previousBackoff: previous)
        }
        switch decision {
        case .use(let token): return token
        case .wait: throw Pending()
        case .refuse(let reason): throw TokenError(description: reason)
        case .start(let previousBackoff):
            let request = tokenRequest(url: tokenURL, clientID: clientID, clientSecret: clientSecret, scope: scope)
            let thread = Thread { [self] in self.fetch(request, key: key, previousBackoff: previousBackoff) }
            thread.name = "oauth-token"
            thread.start()
            throw Pending()
        }
    }


    private func tokenRequest(url: String, clientID: String, clientSecret: String, scope: String?) -> HTTPRequest {
        var form = "grant_type=client_credentials&client_id=\(formEncode(clientID))&client_secret=\(formEncode(clientSecret))"
        if let scope { form += "&scope=\(formEncode(scope))" }
        return HTTPRequest(url: url, method: "POST",
                           headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json")],
                           body: Array(form.utf8), connectTimeout: .seconds(5), timeout: .seconds(15),
                           allowPrivateNetworks: allowPrivateNetworks)
    }

    private func fetch(_ request: HTTPRequest, key: String, previousBackoff: Duration) {
        let outcome: Result<(String, Int), TokenError>
        do {
            let multi = try CurlMulti(maxTotalConnections: 2)
            try multi.add(request, id: 1)
            var result: Result<HTTPResponse, HTTPError>?
            let deadline = ContinuousClock.now + .seconds(20)
            while result == nil, ContinuousClock.now < deadline {
                result = multi.perform(timeout: .milliseconds(200)).completions.first?.result
            }
            outcome = OAuthTokenCache.parse(result)
        } catch {
            outcome = .failure(TokenError(description: "\(error)"))
        }
        entries.withLock { entries in
            switch outcome {
            case .success(let (token, lifetime)):
                entries[key] = .ready(token: token, expires: .now + .seconds(max(60, lifetime) - 60))
            case .failure(let error):
                let backoff = previousBackoff == .zero ? Duration.seconds(5) : min(previousBackoff * 2, .seconds(120))
                entries[key] = .failed(reason: error.description, retryAt: .now + backoff, backoff: backoff)
            }
        }
    }

    static func parse(_ result: Result<HTTPResponse, HTTPError>?) -> Result<(String, Int), TokenError> {
        guard let result else { return .failure(TokenError(description: "no answer within 20 s")) }
        let response: HTTPResponse
        switch result {
        case .success(let r): response = r
        case .failure(let error): return .failure(TokenError(description: error.description))
        }
        guard (200...299).contains(response.status) else { return .failure(TokenError(description: "HTTP \(response.status)")) }
        guard let json = try? JSONValue(parsing: response.body), let token = json["access_token"]?.stringValue else {
            return .failure(TokenError(description: "the response has no access_token"))
        }
        // The token goes into a header: a hostile token endpoint must not be able to inject one.
        guard !token.isEmpty, token.utf8.count <= 8192, TextRules.isSingleLine(token) else {
            return .failure(TokenError(description: "the access_token is empty, too long or holds control characters"))
        }
        return .success((token, json["expires_in"]?.intValue ?? 3600))
    }

    private func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
