import AMQP
import HeraldCore
import Logging

/// A router's consumers of the shard queues, each on a channel of its own, so that one shard can be
/// handed to another router without touching the rest: closing the channel puts back what this
/// router had received and not yet routed, in order, and the shard's next consumer takes over.
/// Every `interval` the router compares the shards it was active on with its fair share
/// (`ShardBalance`; the routers are counted as the consumers of `herald.router.members`) and hands
/// the extra ones over, subscribing again at the back of their lines.
struct ShardConsumers {
    let names: TopologyNames
    /// Consumer tags `<instance>/shard.<N>`: `rabbitmqctl list_consumers` shows which router has which shard.
    let instance: String
    let prefetch: UInt16
    let interval: Duration
    private let balance: ShardBalance
    private var shardOfChannel: [UInt16: Int] = [:]
    private var channelOfShard: [Int: UInt16] = [:]
    private var nextChannel: UInt16 = 2
    private var active: Set<Int> = []
    private var lastCheck = ContinuousClock.now

    init(names: TopologyNames, instance: String, prefetch: Int, interval: Duration) {
        self.names = names
        self.instance = instance
        self.prefetch = UInt16(clamping: max(32, prefetch / max(1, names.routerShards)))
        self.interval = interval
        balance = ShardBalance(shards: names.routerShards)
    }

    /// Subscribes to every shard (each on its own channel), and counts itself in as a router.
    mutating func subscribeAll(_ amqp: AMQPConnection) throws(AMQPError) {
        guard names.routerShards > 0 else { return }
        try routers(amqp)
        try amqp.consume(queue: names.routerMembersQueue, consumerTag: "\(instance)/member")
        for shard in 0..<names.routerShards { try subscribe(shard, amqp) }
    }

    /// The routers running: the consumers of the members queue (a classic, transient queue that
    /// goes with its last consumer; declaring it again, not passively, brings it back after the node
    /// that held it went down). A quorum shard queue cannot tell: it counts only its active consumer.
    @discardableResult
    private func routers(_ amqp: AMQPConnection) throws(AMQPError) -> Int {
        Int(try amqp.declareQueue(names.routerMembersQueue, durable: false, autoDelete: true).consumerCount)
    }

    private mutating func subscribe(_ shard: Int, _ amqp: AMQPConnection) throws(AMQPError) {
        // A fresh channel id each time: nothing still on its way for a closed one can be taken for
        // the new one's.
        let id = nextChannel
        nextChannel = nextChannel >= 2000 ? 2 : nextChannel + 1
        try amqp.openChannel(id, prefetch: prefetch)
        try amqp.consume(queue: names.routerShardQueue(shard), consumerTag: "\(instance)/shard.\(shard)", channel: id)
        shardOfChannel[id] = shard
        channelOfShard[shard] = id
    }

    /// Notes the shard an event came from (this router is its active consumer).
    mutating func received(_ delivery: AMQPDelivery) {
        if let shard = shardOfChannel[delivery.channel] { active.insert(shard) }
    }

    /// Hands over the shards beyond this router's fair share, at most once per `interval`. Called
    /// between batches, when everything routed is acknowledged. Returns the shards handed over.
    mutating func rebalance(_ amqp: AMQPConnection, logger: Logger) throws(AMQPError) -> [Int] {
        guard names.routerShards > 0, ContinuousClock.now - lastCheck >= interval else { return [] }
        lastCheck = .now
        defer { active = [] }
        let routers = try routers(amqp)
        let moving = balance.handOver(active: active, routers: routers)
        logger.debug("router shards", metadata: ["routers": "\(routers)", "active": "\(active.sorted())", "handing_over": "\(moving)"])
        for shard in moving {
            if let id = channelOfShard[shard] {
                try amqp.closeChannel(id)
                shardOfChannel[id] = nil
            }
            try subscribe(shard, amqp)
        }
        return moving
    }
}
