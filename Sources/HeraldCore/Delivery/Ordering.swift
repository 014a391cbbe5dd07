/// Whether a webhook's deliveries may overtake each other.
public enum DeliveryOrdering: String, Sendable, CaseIterable {
    /// As fast as possible, many at once (the default).
    case none
    /// One at a time in event order: the next goes out only after the previous one succeeded or
    /// was given up on (failed, cancelled). Other webhooks are not affected.
    case fifo
}

/// The FIFO rule as plain decisions (the database applies the gate itself, in the claim):
/// which outcomes let the next delivery in line go, and how long a job that must wait stays away.
public enum OrderingPolicy {
    /// A job that finds an older delivery of its webhook unfinished waits this long (unclaimed, no
    /// attempt spent) — a safety net: it is normally sent for as soon as its predecessor ends.
    public static let waitSeconds = 30

    /// What a claim of a job for an ordered webhook comes to.
    public enum Admission: Sendable, Equatable {
        case send
        /// An older delivery is still pending, in flight, retrying or paused.
        case waitForPredecessor(seconds: Int)
    }

    public static func admission(olderUnfinished: Bool) -> Admission {
        olderUnfinished ? .waitForPredecessor(seconds: waitSeconds) : .send
    }

    /// A delivery that ended (delivered, given up, cancelled) lets the next one go; a retry holds
    /// the line, so the receiver sees events strictly in order.
    public static func releasesSuccessor(finalState: String) -> Bool {
        ["succeeded", "failed", "cancelled"].contains(finalState)
    }
}
