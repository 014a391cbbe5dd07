/// The broker names Herald uses. Every name is configurable; a prefix keeps tests and
/// side-by-side installations apart.
public struct TopologyNames: Sendable, Equatable {
    public var eventsExchange: String
    public var routerQueue: String
    public var deliveriesExchange: String
    public var deliverQueue: String
    public var deliverRoutingKey: String
    public var retryExchange: String
    public var retryQueuePrefix: String
    public var deadQueue: String
    public var invalidQueue: String
    /// The parking lots keep at most this many messages (the oldest are dropped: every failed
    /// delivery is in PostgreSQL with its reason and attempts; the queue is for eyes and redrive).
    public var parkingMaxLength: Int = 100_000
    /// Classic queues (one node) or quorum queues (replicated, the choice for a cluster). The
    /// broker cannot turn one into the other, so quorum queues have names of their own
    /// (`herald.router.quorum`, …); `heraldctl queues migrate` moves an installation across.
    public var queueType: QueueType
    /// The prefix every name was made with.
    public private(set) var prefix: String

    public enum QueueType: String, Sendable, CaseIterable { case classic, quorum }

    public init(prefix: String = "", eventsExchange: String = "erp.events", queueType: QueueType = .classic) {
        self.queueType = queueType
        self.prefix = prefix
        let q = queueType == .quorum ? ".quorum" : ""
        self.eventsExchange = prefix + eventsExchange
        routerQueue = prefix + "herald.router" + q
        deliveriesExchange = prefix + "herald.deliveries"
        deliverQueue = prefix + "herald.deliver" + q
        deliverRoutingKey = "deliver"
        retryExchange = prefix + "herald.retry"
        retryQueuePrefix = prefix + "herald.retry." + (queueType == .quorum ? "quorum." : "")
        deadQueue = prefix + "herald.dead" + q
        invalidQueue = prefix + "herald.invalid" + q
    }

    /// The same installation's names with the other queue type.
    public func with(queueType: QueueType) -> TopologyNames {
        var names = TopologyNames(prefix: prefix, eventsExchange: String(eventsExchange.dropFirst(prefix.count)), queueType: queueType)
        names.parkingMaxLength = parkingMaxLength
        return names
    }

    /// One delay queue per distinct delay: `herald.retry.60s`.
    public func retryQueue(delaySeconds: Int) -> String { "\(retryQueuePrefix)\(delaySeconds)s" }
    public func retryRoutingKey(delaySeconds: Int) -> String { "\(delaySeconds)s" }
}
