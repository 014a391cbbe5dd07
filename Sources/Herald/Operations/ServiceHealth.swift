import Synchronization

/// What a service loop says about itself, for `/readyz`: connected to the broker and the database,
/// and consuming its queue. Written by the loop's own thread (a few atomic stores per pass), read
/// by the HTTP listener.
public final class ServiceHealth: Sendable {
    public let name: String
    private let broker = Atomic<Bool>(false)
    private let database = Atomic<Bool>(false)
    private let consuming = Atomic<Bool>(false)

    public init(name: String) { self.name = name }

    public func update(broker: Bool, database: Bool, consuming: Bool) {
        self.broker.store(broker, ordering: .relaxed)
        self.database.store(database, ordering: .relaxed)
        self.consuming.store(consuming, ordering: .relaxed)
    }

    public func down() { update(broker: false, database: false, consuming: false) }

    public var snapshot: Snapshot {
        Snapshot(broker: broker.load(ordering: .relaxed), database: database.load(ordering: .relaxed),
                 consuming: consuming.load(ordering: .relaxed))
    }

    public struct Snapshot: Sendable, Equatable, Encodable {
        public var broker: Bool
        public var database: Bool
        public var consuming: Bool
        public var ready: Bool { broker && database && consuming }
    }
}

/// The process's metrics and the health of its loops, shared by the services and the ops listener.
public final class ProcessTelemetry: Sendable {
    public let metrics: HeraldMetrics
    /// Where finished spans go, when OTLP export is on.
    public let spans: SpanExporter?
    private let components = Mutex<[ServiceHealth]>([])

    public init(metrics: HeraldMetrics = HeraldMetrics(), spans: SpanExporter? = nil) {
        self.metrics = metrics
        self.spans = spans
    }

    /// A loop that counts for readiness.
    public func health(_ name: String) -> ServiceHealth {
        let health = ServiceHealth(name: name)
        components.withLock { $0.append(health) }
        return health
    }

    /// Ready when every registered loop is connected and consuming (and at least one is registered).
    public var readiness: (ready: Bool, components: [String: ServiceHealth.Snapshot]) {
        let all = components.withLock { $0 }
        let snapshots = Dictionary(all.map { ($0.name, $0.snapshot) }, uniquingKeysWith: { a, _ in a })
        return (!all.isEmpty && snapshots.values.allSatisfy(\.ready), snapshots)
    }
}
