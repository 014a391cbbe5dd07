import HeraldCore
import Testing

@Suite("RetentionPlan")
struct RetentionPlanTests {
    static let day = RetentionPlan.dayMilliseconds
    static let today: Int64 = 1_764_115_200_000   // 2025-11-26T00:00:00Z

    static func days(_ parent: String, from first: Int, through last: Int) -> [RetentionPlan.Partition] {
        (first...last).map { offset in
            let start = today + Int64(offset) * day
            return RetentionPlan.Partition(name: "\(parent)_p\(RetentionPlan.dayLabel(start))", parent: parent, from: start, to: start + day)
        }
    }

    @Test("days are created up to the horizon, after the last one that exists, for every table")
    func createsAhead() {
        let existing = RetentionPlan.parents.flatMap { Self.days($0, from: -2, through: 1) }
        let plan = RetentionPlan(partitions: existing, now: Self.today + 3_600_000, keepDays: 90, aheadDays: 4)
        #expect(plan.create.count == 3 * 2)   // days +2 and +3
        #expect(plan.create.first { $0.parent == "deliveries" }?.name == "deliveries_p20251128")
        #expect(plan.create.allSatisfy { $0.to - $0.from == Self.day })
        #expect(plan.drop.isEmpty)
    }

    @Test("a day goes when it ends at or before the cutoff; attempts first, then deliveries, then events")
    func dropsPastTheWindow() {
        let existing = RetentionPlan.parents.flatMap { Self.days($0, from: -5, through: 0) }
        let plan = RetentionPlan(partitions: existing, now: Self.today + 60_000, keepDays: 3, aheadDays: 1)
        #expect(plan.cutoff == Self.today - 3 * Self.day)
        #expect(plan.drop.count == 2)   // days -5 and -4 end at or before the cutoff; day -3 ends after it
        #expect(plan.drop[0].map(\.parent) == ["delivery_attempts", "deliveries", "events"])
        #expect(plan.drop[0][0].name == "delivery_attempts_p20251121")
    }

    @Test("the attached first partition (from the beginning) goes once its end is past the window")
    func firstPartition() {
        let legacy = RetentionPlan.Partition(name: "deliveries_before_partitions", parent: "deliveries", from: nil, to: Self.today - 10 * Self.day)
        #expect(RetentionPlan(partitions: [legacy], now: Self.today, keepDays: 10, aheadDays: 1).drop == [[legacy]])
        #expect(RetentionPlan(partitions: [legacy], now: Self.today, keepDays: 11, aheadDays: 1).drop.isEmpty)
    }

    @Test("RFC 3339 times to Unix milliseconds, offsets and fractions included")
    func parsesTimes() {
        #expect(Timestamp.unixMilliseconds(rfc3339: "1970-01-01T00:00:00Z") == 0)
        #expect(Timestamp.unixMilliseconds(rfc3339: "2025-11-26T00:00:00Z") == Self.today)
        #expect(Timestamp.unixMilliseconds(rfc3339: "2025-11-26T02:00:00.5+02:00") == Self.today + 500)
        #expect(Timestamp.unixMilliseconds(rfc3339: "2025-11-25T23:00:00.123456-01:00") == Self.today + 123)
        #expect(Timestamp.unixMilliseconds(rfc3339: "yesterday") == nil)
        #expect(Timestamp.iso8601(unixMilliseconds: Timestamp.unixMilliseconds(rfc3339: "2024-02-29T12:34:56.789Z") ?? 0)
                == "2024-02-29T12:34:56.789Z")
    }

    @Test("derived ids are stable, sort by their time, and start with the time prefix")
    func derivedIDs() {
        let digest: [UInt8] = Array(0..<32)
        let a = Identifier.derived(prefix: "msg_", unixMilliseconds: Self.today, digest: digest)
        #expect(a == Identifier.derived(prefix: "msg_", unixMilliseconds: Self.today, digest: digest))
        #expect(a != Identifier.derived(prefix: "msg_", unixMilliseconds: Self.today, digest: Array(digest.reversed())))
        #expect(a.count == 30 && a.hasPrefix("msg_" + Identifier.timePrefix(unixMilliseconds: Self.today)))
        #expect(Identifier.derived(prefix: "msg_", unixMilliseconds: Self.today + 1, digest: [0]) > a)
    }
}
