/// When to try a failed delivery again.
///
/// Delays are whole seconds because each distinct delay is one RabbitMQ delay queue (queue-level TTL);
/// jitter therefore picks one of five fixed steps around the delay (−j, −j/2, 0, +j/2, +j), which
/// spreads retries of a failing endpoint while keeping the number of delay queues small and bounded.
public struct RetryPolicy: Sendable, Equatable {
    public enum Backoff: String, Sendable, CaseIterable {
        case fixed, exponential, custom
    }

    public var maxRetries: Int
    public var backoff: Backoff
    /// custom: the delay before retry n is intervals[n-1] (the last one repeats);
    /// fixed: intervals[0] every time; exponential: intervals[0] doubled each retry, capped at 24 h.
    public var intervals: [Int]
    /// 0...1: fraction of the delay that jitter may add or remove.
    public var jitter: Double

    public static let maximumDelaySeconds = 86_400
    public static let `default` = RetryPolicy(maxRetries: 5, backoff: .custom, intervals: [60, 300, 1800, 7200, 43200], jitter: 0)

    public init(maxRetries: Int, backoff: Backoff, intervals: [Int], jitter: Double = 0) {
        self.maxRetries = maxRetries
        self.backoff = backoff
        self.intervals = intervals
        self.jitter = jitter
    }

    /// Names every rule the policy breaks, for `heraldctl webhook create`.
    public func validate() throws(WebhookValidationError) {
        guard (0...50).contains(maxRetries) else {
            throw WebhookValidationError(field: "retry.max_retries", value: String(maxRetries), rule: "must be between 0 and 50")
        }
        guard !intervals.isEmpty else {
            throw WebhookValidationError(field: "retry.intervals", value: "[]", rule: "needs at least one interval in seconds")
        }
        for interval in intervals where !(1...RetryPolicy.maximumDelaySeconds).contains(interval) {
            throw WebhookValidationError(field: "retry.intervals", value: String(interval), rule: "each interval must be 1 to 86400 seconds")
        }
        guard (0...1).contains(jitter) else {
            throw WebhookValidationError(field: "retry.jitter", value: String(jitter), rule: "must be between 0 and 1")
        }
    }

    /// The delay in seconds before attempt `attempt + 1`, after attempt `attempt` (1-based) failed;
    /// nil when the retries are exhausted. `random` is uniform in 0..<1 and only used with jitter.
    public func delay(afterAttempt attempt: Int, random: Double = 0.5) -> Int? {
        let retry = attempt   // attempt 1 failed → retry 1
        guard retry >= 1, retry <= maxRetries, let first = intervals.first else { return nil }
        var base: Int
        switch backoff {
        case .fixed:
            base = first
        case .custom:
            base = intervals[min(retry - 1, intervals.count - 1)]
        case .exponential:
            let shift = min(retry - 1, 30)
            base = first.multipliedReportingOverflow(by: 1 << shift).overflow ? RetryPolicy.maximumDelaySeconds : first << shift
        }
        base = min(base, RetryPolicy.maximumDelaySeconds)
        guard jitter > 0 else { return base }
        let steps: [Double] = [-1, -0.5, 0, 0.5, 1]
        let step = steps[min(Int(random * Double(steps.count)), steps.count - 1)]
        let jittered = Int((Double(base) * (1 + step * jitter)).rounded())
        return min(max(jittered, 1), RetryPolicy.maximumDelaySeconds)
    }

    /// Every delay this policy can produce: the delay queues a worker may need.
    public var possibleDelays: Set<Int> {
        var result = Set<Int>()
        for attempt in 1...max(maxRetries, 1) {
            for r in [0.0, 0.2, 0.4, 0.6, 0.8] {
                if let d = delay(afterAttempt: attempt, random: r) { result.insert(d) }
            }
        }
        return result
    }
}
