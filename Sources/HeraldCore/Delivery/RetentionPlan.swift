/// What retention does to the day partitions of events, deliveries and attempts: which days to
/// create ahead, which to drop. Pure: the store lists the partitions, this decides, the store runs it.
public struct RetentionPlan: Sendable, Equatable {
    public static let dayMilliseconds: Int64 = 86_400_000
    public static let parents = ["events", "deliveries", "delivery_attempts"]

    /// One partition as recorded: its table, its name, the moments it covers (`from` nil = from the
    /// beginning: the tables attached when partitioning began).
    public struct Partition: Sendable, Equatable {
        public var name: String
        public var parent: String
        public var from: Int64?
        public var to: Int64

        public init(name: String, parent: String, from: Int64?, to: Int64) {
            self.name = name
            self.parent = parent
            self.from = from
            self.to = to
        }
    }

    /// A day partition to create: `[from, to)` in Unix milliseconds, named `<parent>_pYYYYMMDD`.
    public struct NewDay: Sendable, Equatable {
        public var parent: String
        public var name: String
        public var from: Int64
        public var to: Int64
    }

    public var create: [NewDay]
    /// Partitions wholly older than the cutoff, grouped by the day they end: a day's attempts,
    /// deliveries and events go together (attempts first).
    public var drop: [[Partition]]
    /// Everything before this moment is past retention (the start of the day `days` ago).
    public var cutoff: Int64

    /// - Parameters:
    ///   - keepDays: the longest retention in force (the default, or a tenant's longer override).
    ///   - aheadDays: days created in advance (today included), so a router never writes into the
    ///     default partition on an ordinary day.
    public init(partitions: [Partition], now: Int64, keepDays: Int, aheadDays: Int) {
        let today = now - ((now % RetentionPlan.dayMilliseconds) + RetentionPlan.dayMilliseconds) % RetentionPlan.dayMilliseconds
        cutoff = today - Int64(keepDays) * RetentionPlan.dayMilliseconds
        var create: [NewDay] = []
        let horizon = today + Int64(max(1, aheadDays)) * RetentionPlan.dayMilliseconds
        for parent in RetentionPlan.parents {
            var day = partitions.filter { $0.parent == parent }.map(\.to).max() ?? today
            while day < horizon {
                let next = day - ((day % RetentionPlan.dayMilliseconds) + RetentionPlan.dayMilliseconds) % RetentionPlan.dayMilliseconds
                    + RetentionPlan.dayMilliseconds
                create.append(NewDay(parent: parent, name: "\(parent)_p\(RetentionPlan.dayLabel(day))", from: day, to: next))
                day = next
            }
        }
        self.create = create
        var byEnd: [Int64: [Partition]] = [:]
        for partition in partitions where partition.to <= cutoff { byEnd[partition.to, default: []].append(partition) }
        let order = ["delivery_attempts": 0, "deliveries": 1, "events": 2]
        drop = byEnd.keys.sorted().compactMap { end in
            byEnd[end]?.sorted { (order[$0.parent] ?? 3, $0.name) < (order[$1.parent] ?? 3, $1.name) }
        }
    }

    /// `20261127` for a moment of that UTC day.
    public static func dayLabel(_ ms: Int64) -> String {
        let iso = Timestamp.iso8601(unixMilliseconds: ms, fractional: false)
        return String(iso.prefix(10).filter { $0 != "-" })
    }
}
