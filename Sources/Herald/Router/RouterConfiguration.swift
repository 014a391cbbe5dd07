import Foundation

public struct RouterConfiguration: Sendable {
    public var base: HeraldConfiguration
    /// Events taken per batch (also the prefetch): one transaction and one confirm wait per batch.
    public var batchSize: Int
    /// How long a partial batch waits for more events before it is processed.
    public var batchWait: Duration
    /// A batch also ends when its events reach this many bytes, so large events keep memory bounded.
    public var batchBytes: Int
    /// Events the broker may send ahead (RabbitMQ's prefetch counts messages, not bytes).
    public var prefetch: Int
    /// How often a router compares the shards it routes with its fair share and hands extra ones over.
    public var rebalanceInterval: Duration

    public init(base: HeraldConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        self.base = base
        batchSize = try HeraldConfiguration.int(environment, "HERALD_ROUTER_BATCH", default: 500, range: 1...10_000)
        batchWait = .milliseconds(try HeraldConfiguration.int(environment, "HERALD_ROUTER_BATCH_WAIT_MS", default: 5, range: 0...1000))
        batchBytes = try HeraldConfiguration.int(environment, "HERALD_ROUTER_BATCH_BYTES", default: 16 << 20, range: 1 << 16...1 << 30)
        prefetch = try HeraldConfiguration.int(environment, "HERALD_ROUTER_PREFETCH", default: batchSize * 2, range: 1...65_535)
        rebalanceInterval = .seconds(try HeraldConfiguration.int(environment, "HERALD_ROUTER_REBALANCE_S", default: 5, range: 1...3600))
    }
}
