import ArgumentParser
import Herald

// Retention: the day partitions of events, deliveries and attempts.

struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "History kept: create days ahead, drop days past the window (HERALD_RETENTION_DAYS).",
        subcommands: [Run.self, Status.self])

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One retention pass now (the worker's housekeeping does it every hour).")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Say what would be created and dropped; change nothing.") var dryRun = false
        @Option(help: "Days kept (default HERALD_RETENTION_DAYS, 90).") var days: Int?
        func run() throws {
            let context = try global.context()
            var base = context.configuration
            if let days {
                guard (1...3650).contains(days) else { throw CommandFailure(description: "--days \(days): must be 1 to 3650") }
                base.retentionDays = days
            }
            guard let report = try Housekeeper.pass(try context.database(), base: base, dryRun: dryRun) else {
                throw CommandFailure(description: "another retention pass is running (a worker's housekeeping); try again in a minute")
            }
            if global.json { Output.printJSON(report); return }
            print("\(dryRun ? "would keep" : "keeping") \(report.keepDays) days (everything before \(report.cutoff) goes)")
            for name in report.created { print("\(dryRun ? "would create" : "created") \(name)") }
            for name in report.dropped { print("\(dryRun ? "would drop" : "dropped") \(name)") }
            for kept in report.kept { print("kept \(kept.partition): \(kept.reason)") }
            if !dryRun { print("swept \(report.swept) rows (default partitions, shorter tenant windows)") }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The day partitions and what each covers.")
        @OptionGroup var global: GlobalOptions
        func run() throws {
            let partitions = try RetentionStore(connection: try global.context().database()).partitions()
            if global.json { Output.printJSON(partitions.map { PartitionRow(name: $0.name, table: $0.parent, from: $0.from, to: $0.to) }); return }
            Output.table((["partition", "table", "from", "to"],
                          partitions.map { [$0.name, $0.parent, $0.from.map { Timestamp.iso8601(unixMilliseconds: $0) } ?? "(the beginning)",
                                            Timestamp.iso8601(unixMilliseconds: $0.to)] }))
        }
    }

    struct PartitionRow: Encodable {
        var name: String
        var table: String
        var from: Int64?
        var to: Int64
    }
}
