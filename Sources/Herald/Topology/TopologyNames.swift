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

    public init(prefix: String = "", eventsExchange: String = "erp.events") {
        self.eventsExchange = prefix + eventsExchange
        routerQueue = prefix + "herald.router"
        deliveriesExchange = prefix + "herald.deliveries"
        deliverQueue = prefix + "herald.deliver"
        deliverRoutingKey = "deliver"
        retryExchange = prefix + "herald.retry"
        retryQueuePrefix = prefix + "herald.retry."
        deadQueue = prefix + "herald.dead"
        invalidQueue = prefix + "herald.invalid"
    }

    /// One delay queue per distinct delay: `herald.retry.60s`.
    public func retryQueue(delaySeconds: Int) -> String { "\(retryQueuePrefix)\(delaySeconds)s" }
    public func retryRoutingKey(delaySeconds: Int) -> String { "\(delaySeconds)s" }
}
