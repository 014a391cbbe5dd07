import Foundation

public struct RouterConfiguration: Sendable {
    public var base: HeraldConfiguration
    /// Events taken per batch (also the prefetch): one transaction and one confirm wait per batch.
    public var batchSize: Int
    /// How long a partial batch waits for more events before it is processed.
    public var batchWait: Duration

    public init(base: HeraldConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        self.base = base
        batchSize = try HeraldConfiguration.int(environment, "HERALD_ROUTER_BATCH", default: 500, range: 1...10_000)
        batchWait = .milliseconds(try HeraldConfiguration.int(environment, "HERALD_ROUTER_BATCH_WAIT_MS", default: 5, range: 0...1000))
    }
}
