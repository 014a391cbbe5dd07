import Foundation
import Herald
import HTTPTypes
import Hummingbird
import Synchronization

/// Every /api/v1 request carries `Authorization: Bearer hrld_…`: the token is checked against its
/// stored hash (expired and revoked tokens refused), then the request is counted against the
/// token's rate limit. Without a token: 401 saying how to get one.
struct TokenAuthentication: RouterMiddleware {
    typealias Context = APIRequestContext
    let pool: BlockingPool
    let limiter: RateLimiter

    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Problem(.unauthorized, "no API token: send Authorization: Bearer hrld_… (create one with: heraldctl token create --tenant TENANT)")
        }
        guard header.hasPrefix("Bearer ") || header.hasPrefix("bearer ") else {
            throw Problem(.unauthorized, "the Authorization header must be: Bearer hrld_…")
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let principal = try await pool.run { try $0.tokens().authenticate(token) }
        if let wait = limiter.take(key: principal.actor) {
            var problem = Problem(.tooManyRequests, "this token made more than its share of requests; retry in \(wait) s")
            problem.headers[.retryAfter] = String(wait)
            throw problem
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}

/// A token bucket per key (an API token), in memory: `rate` requests a second, `burst` at once.
final class RateLimiter: Sendable {
    private let buckets = Mutex<[String: (tokens: Double, at: ContinuousClock.Instant)]>([:])
    let rate: Double
    let burst: Double

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// nil when the request may go; else the whole seconds to wait.
    func take(key: String) -> Int? {
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }   // bounded: forget idle tokens
            var bucket = buckets[key] ?? (burst, now)
            let elapsed = now - bucket.at
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.at = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }
}

/// Turns every error thrown below it into a problem document (and logs server-side failures).
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            throw Problem(error.status, error.body ?? error.status.reasonPhrase)
        } catch {
            throw Problem.from(error, logger: context.logger)
        }
    }
}
