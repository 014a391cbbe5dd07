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
    /// Router shards: 0 = one router queue (`herald.router`); M = events hashed by tenant over M
    /// queues (`herald.router.shard.0` …), each with a single active consumer, so that any number
    /// of routers share them with each tenant's order kept and a standby taking over.
    public var routerShards: Int = 0
    /// The consistent-hash exchange in front of the shards (hash of the `tenant` header).
    public var routerHashExchange: String { prefix + "herald.router.hash" }
    /// A queue every router consumes and nobody publishes to: its consumer count is the number of
    /// routers (a quorum queue with a single active consumer counts only the active one).
    public var routerMembersQueue: String { prefix + "herald.router.members" }
    /// A shard queue's points on the consistent-hash ring (its binding key).
    public static let shardWeight = "20"
    public func routerShardQueue(_ shard: Int) -> String { "\(prefix)herald.router.shard.\(shard)\(queueType == .quorum ? ".quorum" : "")" }
    /// The queues routers consume: the shards, and the single queue (drained of what it held
    /// before sharding was turned on), or the single queue alone.
    public var routerQueues: [String] { routerShards == 0 ? [routerQueue] : (0..<routerShards).map(routerShardQueue) + [routerQueue] }
    /// Delivery shards: 0 = one delivery queue (`herald.deliver`); M = first attempts spread over M
    /// queues (`herald.deliver.shard.0` …) by a hash of the webhook id, so that no single queue (one
    /// Erlang process, one node) carries every job. Retries and redrives come back through the
    /// single queue; workers consume all of them.
    public var deliveryShards: Int = 0
    public func deliverShardQueue(_ shard: Int) -> String { "\(prefix)herald.deliver.shard.\(shard)\(queueType == .quorum ? ".quorum" : "")" }
    public func deliverShardRoutingKey(_ shard: Int) -> String { "\(deliverRoutingKey).\(shard)" }
    /// The queues workers consume: the shards and the single queue, or the single queue alone.
    public var deliverQueues: [String] { (0..<deliveryShards).map(deliverShardQueue) + [deliverQueue] }
    /// Where a job for this webhook goes now: its shard (a stable FNV-1a hash of the id), or the single queue.
    public func deliverRoutingKey(webhookID: String) -> String {
        guard deliveryShards > 0 else { return deliverRoutingKey }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in webhookID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return deliverShardRoutingKey(Int(hash % UInt64(deliveryShards)))
    }
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
        names.routerShards = routerShards
        names.deliveryShards = deliveryShards
        return names
    }

    /// One delay queue per distinct delay: `herald.retry.60s`.
    public func retryQueue(delaySeconds: Int) -> String { "\(retryQueuePrefix)\(delaySeconds)s" }
    public func retryRoutingKey(delaySeconds: Int) -> String { "\(delaySeconds)s" }
}
