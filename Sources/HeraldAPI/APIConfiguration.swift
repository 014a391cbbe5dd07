import Herald

/// herald-api's own settings (HERALD_API_*), on top of the shared ones.
public struct APIConfiguration: Sendable {
    public var base: HeraldConfiguration
    /// host:port to listen on (HERALD_API_ADDR, default 127.0.0.1:8080).
    public var host: String
    public var port: Int
    /// Threads (each with a PostgreSQL and a RabbitMQ connection) doing the blocking work (HERALD_API_POOL_SIZE).
    public var poolSize: Int
    /// Requests per second each token may make, and the burst above it (HERALD_API_RATE_PER_S, HERALD_API_RATE_BURST).
    public var ratePerSecond: Double
    public var rateBurst: Double
    /// The largest request body (HERALD_API_MAX_BODY_BYTES, default 1 MiB; event batches up to 5 MiB).
    public var maxBodyBytes: Int

    public init(base: HeraldConfiguration, environment: [String: String]) throws(ConfigurationError) {
        self.base = base
        let address = environment["HERALD_API_ADDR"] ?? "127.0.0.1:8080"
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65_535).contains(port),
              colon != address.startIndex else {
            throw ConfigurationError(variable: "HERALD_API_ADDR", value: address, rule: "must be host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
        }
        host = String(address[..<colon]).trimmingCharacters(in: ["[", "]"])
        self.port = port
        poolSize = try HeraldConfiguration.int(environment, "HERALD_API_POOL_SIZE", default: 4, range: 1...64)
        ratePerSecond = Double(try HeraldConfiguration.int(environment, "HERALD_API_RATE_PER_S", default: 50, range: 1...100_000))
        rateBurst = Double(try HeraldConfiguration.int(environment, "HERALD_API_RATE_BURST", default: 100, range: 1...1_000_000))
        maxBodyBytes = try HeraldConfiguration.int(environment, "HERALD_API_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(64 << 20))
    }
}
