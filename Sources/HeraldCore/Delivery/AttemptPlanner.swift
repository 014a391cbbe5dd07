/// What happened to one attempt, as the worker saw it.
public enum AttemptObservation: Sendable, Equatable {
    /// The endpoint answered. `retryAfter` is its `Retry-After` header, if any.
    case response(status: Int, retryAfter: String?)
    /// No answer: the connection, TLS, DNS, the timeout or the address guard.
    case transportFailure(AttemptClassifier.TransportFailure, message: String)
    /// The request could not be made (an invalid template, a credential that cannot be used).
    case notSent(reason: String, permanent: Bool)
}

/// What the worker does about an attempt: record it, then follow `next`.
public struct AttemptPlan: Sendable, Equatable {
    public enum Next: Sendable, Equatable {
        /// Delivered: nothing more to do.
        case done
        /// Try again as attempt + 1 after `seconds` (a delay queue; the row's `next_attempt_at`).
        case retry(afterSeconds: Int)
        /// Given up: the delivery ends `failed` and is parked with the reason.
        case dead(reason: String)
    }

    /// Something the webhook itself must go through.
    public enum WebhookAction: Sendable, Equatable {
        /// 410 Gone: the endpoint says it no longer exists. The webhook is disabled (its waiting
        /// deliveries handled like a pause) and its owner is told, once.
        case disable(reason: String)
    }

    public var succeeded: Bool
    /// The error recorded with the attempt (nil when it succeeded).
    public var error: String?
    public var next: Next
    /// Drop the stored payload of a failed delivery (`keep_failed_payloads: false`).
    public var dropPayload: Bool
    public var webhookAction: WebhookAction?

    public init(succeeded: Bool, error: String?, next: Next, dropPayload: Bool, webhookAction: WebhookAction?) {
        self.succeeded = succeeded
        self.error = error
        self.next = next
        self.dropPayload = dropPayload
        self.webhookAction = webhookAction
    }
}

/// The worker's policy, with no I/O: given the attempt, the webhook and what happened, what to
/// record and what comes next. Clock and randomness are passed in, so every branch is a plain
/// function call in a test.
public struct AttemptPlanner: Sendable {
    /// `Retry-After` is honoured within these bounds (seconds): a partner cannot park a delivery
    /// for a year, nor make Herald retry faster than once a second.
    public var retryAfterBounds: ClosedRange<Int>

    public init(retryAfterBounds: ClosedRange<Int> = 1...3600) {
        self.retryAfterBounds = retryAfterBounds
    }

    public func plan(attempt: Int, webhook: Webhook, observation: AttemptObservation,
                     nowSeconds: Int64, random: Double) -> AttemptPlan {
        let verdict: AttemptVerdict
        var requested: Int?
        var action: AttemptPlan.WebhookAction?
        switch observation {
        case .response(let status, let retryAfter):
            verdict = AttemptClassifier.classify(status: status, successStatus: webhook.successStatus)
            if status == 429 || status == 503, let retryAfter, let seconds = RetryAfter.seconds(retryAfter, nowSeconds: nowSeconds) {
                requested = seconds
            }
            if status == 410, !webhook.successStatus.contains(410) {
                action = .disable(reason: "the endpoint answered 410 Gone on \(Timestamp.iso8601(unixMilliseconds: nowSeconds * 1000, fractional: false))")
            }
        case .transportFailure(let failure, let message):
            verdict = AttemptClassifier.classify(failure: failure, message: message)
        case .notSent(let reason, let permanent):
            verdict = permanent ? .permanent(reason: reason) : .retryable(reason: reason)
        }
        switch verdict {
        case .succeeded:
            return AttemptPlan(succeeded: true, error: nil, next: .done, dropPayload: false, webhookAction: nil)
        case .permanent(let reason):
            return AttemptPlan(succeeded: false, error: reason, next: .dead(reason: reason),
                               dropPayload: !webhook.keepFailedPayloads, webhookAction: action)
        case .retryable(let reason):
            guard let scheduled = webhook.retry.delay(afterAttempt: attempt, random: random) else {
                let final = "\(reason) (attempt \(attempt), retries exhausted)"
                return AttemptPlan(succeeded: false, error: reason, next: .dead(reason: final),
                                   dropPayload: !webhook.keepFailedPayloads, webhookAction: nil)
            }
            var delay = scheduled
            var error = reason
            if let requested {
                // The partner said when: no earlier than asked (rounded up to a delay queue), within bounds.
                let bounded = min(max(requested, retryAfterBounds.lowerBound), retryAfterBounds.upperBound)
                delay = DelayBuckets.covering(bounded)
                error += " (Retry-After: \(requested) s; next attempt in \(delay) s)"
            }
            return AttemptPlan(succeeded: false, error: error, next: .retry(afterSeconds: delay), dropPayload: false, webhookAction: nil)
        }
    }
}

/// Jobs that wait (deferred, or a Retry-After) go through one of a few delay queues: the shortest
/// that covers the wait, so there are never more than these queues.
public enum DelayBuckets {
    public static let seconds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600]
    public static func covering(_ wait: Int) -> Int { seconds.first { $0 >= wait } ?? wait }
    /// The longest delay queue not longer than `wait` (at least the shortest).
    public static func within(_ wait: Int) -> Int { seconds.last { $0 <= wait } ?? seconds[0] }
}
