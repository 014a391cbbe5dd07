/// What an attempt's result means for the delivery: done, try again later, or give up now.
public enum AttemptVerdict: Sendable, Equatable {
    case succeeded
    /// Worth another try (server error, timeout, connection trouble, 429, any other non-success status).
    case retryable(reason: String)
    /// Trying again cannot help (410 Gone, an address the guard refuses, a request that cannot be built).
    case permanent(reason: String)
}

public enum AttemptClassifier {
    public enum TransportFailure: Sendable, Equatable {
        case timeout, connection, dns, tls, blockedAddress, invalidRequest, other
    }

    public static func classify(status: Int, successStatus: ClosedRange<Int>) -> AttemptVerdict {
        if successStatus.contains(status) { return .succeeded }
        if status == 410 { return .permanent(reason: "HTTP 410 Gone: the endpoint says it no longer exists") }
        return .retryable(reason: "HTTP \(status)")
    }

    public static func classify(failure: TransportFailure, message: String) -> AttemptVerdict {
        switch failure {
        case .blockedAddress, .invalidRequest: .permanent(reason: message)
        default: .retryable(reason: message)
        }
    }

    /// The next step after a failed attempt: a delay in seconds, or nil when retries are exhausted.
    public static func nextDelay(after attempt: Int, verdict: AttemptVerdict, policy: RetryPolicy, random: Double) -> Int? {
        guard case .retryable = verdict else { return nil }
        return policy.delay(afterAttempt: attempt, random: random)
    }
}

/// A token bucket per webhook for "requests per minute": bursts up to one second's worth (at
/// least one request), then the configured pace. `wait` says how long until the next request may go.
public struct RateLimiter: Sendable {
    struct Bucket { var tokens: Double; var updated: Double }
    private var buckets: [String: Bucket] = [:]

    public init() {}

    /// Takes a token if one is there (returns 0), else returns the seconds to wait.
    public mutating func take(key: String, perMinute: Int, now: Double) -> Double {
        let rate = Double(perMinute) / 60
        let capacity = max(1, rate)
        var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            buckets[key] = bucket
            return 0
        }
        buckets[key] = bucket
        return (1 - bucket.tokens) / rate
    }
}
