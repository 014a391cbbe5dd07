/// How a webhook's endpoint is doing, from its recent attempts: what `heraldctl webhook list` and
/// the API show, so an operator sees a failing partner before its webhook is paused.
public enum EndpointHealth: String, Sendable, Equatable, CaseIterable, Encodable {
    /// Recent attempts succeed.
    case healthy
    /// Some recent attempts fail, or the last one did.
    case degraded
    /// Most recent attempts fail, or many in a row: deliveries are retrying and may end failed.
    case failing
    /// Paused (by a person, or automatically after consecutive failures): deliveries wait.
    case paused
    /// Disabled (by a person, or by a 410 Gone from the endpoint).
    case disabled

    /// What the classification looks at. Attempts are the latest ones (at most `Policy.window`
    /// of them, within `Policy.windowSeconds`); consecutive failures are the webhook's counter.
    public struct Observation: Sendable, Equatable {
        public var status: Webhook.Status
        public var consecutiveFailures: Int
        public var recentAttempts: Int
        public var recentFailures: Int

        public init(status: Webhook.Status, consecutiveFailures: Int, recentAttempts: Int, recentFailures: Int) {
            self.status = status
            self.consecutiveFailures = consecutiveFailures
            self.recentAttempts = recentAttempts
            self.recentFailures = recentFailures
        }
    }

    /// The thresholds. Defaults: failing at 5 failures in a row or half of at least 10 recent
    /// attempts; degraded at any failure in a row or 5 % of recent attempts.
    public struct Policy: Sendable, Equatable {
        public var window = 100
        public var windowSeconds = 900
        public var failingInARow = 5
        public var failingShare = 0.5
        public var failingMinimumAttempts = 10
        public var degradedShare = 0.05

        public init() {}
    }

    public static func classify(_ o: Observation, policy: Policy = Policy()) -> EndpointHealth {
        switch o.status {
        case .disabled: return .disabled
        case .paused: return .paused
        case .active: break
        }
        let share = o.recentAttempts > 0 ? Double(o.recentFailures) / Double(o.recentAttempts) : 0
        if o.consecutiveFailures >= policy.failingInARow
            || (o.recentAttempts >= policy.failingMinimumAttempts && share >= policy.failingShare) {
            return .failing
        }
        if o.consecutiveFailures > 0 || (o.recentFailures > 0 && share >= policy.degradedShare) { return .degraded }
        return .healthy
    }
}
