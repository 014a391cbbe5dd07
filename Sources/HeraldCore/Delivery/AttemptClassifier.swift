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

/// A worker's side of the rate limits shared by every worker (token buckets in PostgreSQL): the
/// tokens it leased for each webhook (good for one second), and how many of its jobs wait for
/// tokens, so a backlog is spread over the time the limit needs instead of returning every second.
public struct RateLeases: Sendable {
    struct Lease: Sendable { var tokens: Int; var expires: Double }
    private var leases: [String: Lease] = [:]
    private var waiting: [String: Int] = [:]

    public init() {}

    /// About a second of tokens: what one lease asks for.
    public static func leaseSize(perMinute: Int) -> Int { max(1, Int((Double(perMinute) / 60).rounded(.up))) }

    /// Takes a leased token if one is left and still valid.
    public mutating func take(_ key: String, now: Double) -> Bool {
        guard var lease = leases[key], lease.expires > now, lease.tokens > 0 else { return false }
        lease.tokens -= 1
        leases[key] = lease
        return true
    }

    /// Tokens the shared bucket granted, valid for one second.
    public mutating func granted(_ key: String, tokens: Int, now: Double) {
        leases[key] = Lease(tokens: tokens, expires: now + 1)
    }

    /// A job goes to wait for tokens: seconds until it should come back (a delay queue's length),
    /// later the more of this webhook's jobs already wait (`alsoAhead`: jobs held here). It comes
    /// back a little early rather than late (the longest delay queue within the wait), so tokens
    /// are never left unused while jobs sit in a queue.
    public mutating func wait(_ key: String, perMinute: Int, alsoAhead: Int = 0) -> Int {
        let ahead = waiting[key, default: 0] + alsoAhead
        waiting[key] = waiting[key, default: 0] + 1
        let seconds = Int(Double(ahead + 1) / (Double(perMinute) / 60))
        return DelayBuckets.within(max(1, min(seconds, 3600)))
    }

    /// A job that waited for tokens is back.
    public mutating func returned(_ key: String) {
        let left = waiting[key, default: 0] - 1
        waiting[key] = left > 0 ? left : nil
    }
}
