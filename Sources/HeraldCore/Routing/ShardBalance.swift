/// How router shards spread over routers. A shard queue has a single active consumer, and RabbitMQ
/// makes the first one that subscribed active: left alone, the first router to start would route
/// every shard and the others would only stand by. Each router therefore checks now and then how
/// many shards it is active on against its fair share (shards ÷ routers, rounded up; the routers
/// are the consumers a shard queue counts) and hands the extra ones over: the shard's next
/// consumer in line takes it, and the router subscribes again at the back of the line.
public struct ShardBalance: Sendable, Equatable {
    public var shards: Int

    public init(shards: Int) { self.shards = shards }

    /// A router's fair share when `routers` consume the shards.
    public func fairShare(routers: Int) -> Int {
        guard routers > 0 else { return shards }
        return (shards + routers - 1) / routers
    }

    /// The shards to hand over: of the `active` ones (those this router received events from since
    /// the last check), the ones beyond its fair share — the highest-numbered first, so that
    /// routers agree on which shards move. None while this router is the only one.
    public func handOver(active: Set<Int>, routers: Int) -> [Int] {
        let keep = fairShare(routers: routers)
        guard routers > 1, active.count > keep else { return [] }
        return Array(active.sorted().suffix(active.count - keep))
    }
}
