import Foundation
import HeraldCore
import HeraldCrypto
import Logging

/// Settings every Herald process shares. Read from `HERALD_*` environment variables; each
/// executable lets flags override them, then calls `validate()` before it starts anything.
public struct HeraldConfiguration: Sendable {
    public var amqpURL: String
    public var databaseURL: String
    public var topology: TopologyNames
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Deliveries to loopback/private addresses are refused unless this is true (SSRF guard).
    public var allowPrivateNetworks: Bool
    /// 32 bytes, base64 or hex: seals webhook secrets and credentials at rest.
    public var masterKey: [UInt8]
    /// A name for this process in logs, attempts and connection names.
    public var instanceName: String
    /// The largest payload a template may render; a delivery over it fails with that reason.
    public var maxRenderedBytes: Int
    /// Where `/metrics`, `/healthz`, `/readyz` listen (`HERALD_METRICS_ADDR`); nil: no listener.
    public var metricsAddress: MetricsAddress?
    /// Webhooks whose attempts are also counted with a `webhook_id` label (`HERALD_METRICS_WEBHOOKS`).
    public var metricsWebhooks: Set<String> = []
    /// Spans exported over OTLP/HTTP (JSON) when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
    public var otlp: OTLPConfiguration?
    /// Days of history kept (events, deliveries, attempts); a tenant's `retention_days` overrides it.
    public var retentionDays: Int = 90
    /// Day partitions created in advance.
    public var partitionsAheadDays: Int = 7
    /// Said loudly at every start (e.g. running on the development master key).
    public var warnings: [String] = []

    public static let defaultAMQPURL = "amqp://guest:guest@127.0.0.1:5672/%2F"
    public static let defaultDatabaseURL = "postgres://herald:herald@127.0.0.1:5432/herald"
    /// The development key: a fixed key so that a local setup works out of the box. Production sets its own.
    public static let developmentMasterKey: [UInt8] = Array("herald-development-key-change-me".utf8)

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, component: String) throws(ConfigurationError) {
        amqpURL = environment["HERALD_AMQP_URL"] ?? HeraldConfiguration.defaultAMQPURL
        databaseURL = environment["HERALD_DATABASE_URL"] ?? HeraldConfiguration.defaultDatabaseURL
        let queueType = environment["HERALD_QUEUE_TYPE"] ?? "classic"
        guard let type = TopologyNames.QueueType(rawValue: queueType) else {
            throw ConfigurationError(variable: "HERALD_QUEUE_TYPE", value: queueType, rule: "must be classic or quorum")
        }
        topology = TopologyNames(prefix: environment["HERALD_TOPOLOGY_PREFIX"] ?? "",
                                 eventsExchange: environment["HERALD_EVENTS_EXCHANGE"] ?? "erp.events", queueType: type)
        topology.parkingMaxLength = try HeraldConfiguration.int(environment, "HERALD_PARKING_MAX_LENGTH", default: 100_000, range: 1...100_000_000)
        topology.routerShards = try HeraldConfiguration.int(environment, "HERALD_ROUTER_SHARDS", default: 0, range: 0...256)
        topology.deliveryShards = try HeraldConfiguration.int(environment, "HERALD_DELIVERY_SHARDS", default: 0, range: 0...256)
        let level = environment["HERALD_LOG_LEVEL"] ?? "info"
        guard let parsedLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw ConfigurationError(variable: "HERALD_LOG_LEVEL", value: level, rule: "must be one of trace, debug, info, notice, warning, error, critical")
        }
        logLevel = parsedLevel
        let format = environment["HERALD_LOG_FORMAT"] ?? "text"
        guard let parsedFormat = LogFormat(rawValue: format.lowercased()) else {
            throw ConfigurationError(variable: "HERALD_LOG_FORMAT", value: format, rule: "must be text or json")
        }
        logFormat = parsedFormat
        allowPrivateNetworks = try HeraldConfiguration.bool(environment, "HERALD_ALLOW_PRIVATE_NETWORKS", default: false)
        // No silent fallback: without a key, only an explicit development mode (demo, tests) may
        // seal secrets with the public development key, and it says so at every start.
        if let key = environment["HERALD_MASTER_KEY"] {
            masterKey = try HeraldConfiguration.parseKey(key)
        } else if try HeraldConfiguration.bool(environment, "HERALD_DEVELOPMENT", default: false) {
            masterKey = HeraldConfiguration.developmentMasterKey
            warnings.append("HERALD_MASTER_KEY is not set: secrets are sealed with the PUBLIC development key (HERALD_DEVELOPMENT=true); "
                            + "never run like this with real data — set HERALD_MASTER_KEY (openssl rand -base64 32)")
        } else if HeraldConfiguration.componentsWithoutSecrets.contains(component) {
            masterKey = HeraldConfiguration.developmentMasterKey   // never used: this process opens no secret
        } else {
            throw ConfigurationError(variable: "HERALD_MASTER_KEY", value: "",
                                     rule: "is required: 32 bytes that seal webhook secrets at rest (generate one with: openssl rand -base64 32); "
                                         + "for a local trial only, HERALD_DEVELOPMENT=true uses a public development key")
        }
        maxRenderedBytes = try HeraldConfiguration.int(environment, "HERALD_MAX_RENDERED_BYTES",
                                                       default: TemplateLimits.defaultMaxRenderedBytes, range: 1024...(1 << 30))
        if let text = environment["HERALD_METRICS_ADDR"] {
            metricsAddress = try MetricsAddress.parse(text, required: true)
        } else {
            metricsAddress = MetricsAddress.defaultAddress(component: component)
        }
        let webhooks = (environment["HERALD_METRICS_WEBHOOKS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        metricsWebhooks = Set(webhooks.filter { !$0.isEmpty })
        guard metricsWebhooks.count <= 100 else {
            throw ConfigurationError(variable: "HERALD_METRICS_WEBHOOKS", value: "\(metricsWebhooks.count) ids",
                                     rule: "at most 100 webhooks get their own label (each adds series to every scrape)")
        }
        otlp = try OTLPConfiguration.from(environment, component: component)
        retentionDays = try HeraldConfiguration.int(environment, "HERALD_RETENTION_DAYS", default: 90, range: 1...3650)
        partitionsAheadDays = try HeraldConfiguration.int(environment, "HERALD_PARTITIONS_AHEAD_DAYS", default: 7, range: 1...60)
        instanceName = environment["HERALD_INSTANCE"] ?? "\(component)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Processes that never open a sealed secret, so they need no master key.
    static let componentsWithoutSecrets: Set<String> = ["producer"]

    public static func bool(_ environment: [String: String], _ name: String, default value: Bool) throws(ConfigurationError) -> Bool {
        guard let text = environment[name] else { return value }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw ConfigurationError(variable: name, value: text, rule: "must be true or false")
        }
    }

    public static func int(_ environment: [String: String], _ name: String, default value: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = environment[name] else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw ConfigurationError(variable: name, value: text, rule: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return parsed
    }

    /// A 32-byte key as 64 hex digits or base64.
    public static func parseKey(_ text: String) throws(ConfigurationError) -> [UInt8] {
        if text.count == 64, let bytes = Hex.decode(text) { return bytes }
        if let bytes = Base64.decode(text), bytes.count == 32 { return bytes }
        throw ConfigurationError(variable: "HERALD_MASTER_KEY", value: "…", rule: "must be 32 bytes as 64 hex digits or base64 (generate one with: openssl rand -base64 32)")
    }
}

public enum LogFormat: String, Sendable, CaseIterable { case text, json }

/// A setting that cannot be used; names the variable or flag, the value and the rule.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var variable: String
    public var value: String
    public var rule: String

    public init(variable: String, value: String, rule: String) {
        self.variable = variable
        self.value = value
        self.rule = rule
    }

    public var description: String { "\(variable)=\"\(value)\": \(rule)" }
}
