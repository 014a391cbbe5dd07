import ArgumentParser
import Foundation
import Herald

// Delivery commands: thin shells over DeliveryQueries and DeadLetterAdmin.

struct DeliveryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delivery", abstract: "The delivery log, one delivery in detail, resends.",
                                                    subcommands: [Log.self, Show.self, Resend.self, RetryFailed.self])

    struct Log: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Option var webhook: String?
        @Option var tenant: String?
        @Option(help: "pending, in_flight, retrying, succeeded, failed, paused, cancelled") var state: String?
        @Option var eventType: String?
        @Option(help: "Created at or after (a date or RFC 3339 time).") var from: String?
        @Option(help: "Created before.") var to: String?
        @Option var limit: Int = 50
        func run() throws {
            let page = try global.deliveries().list(DeliveryQueries.Filter(webhookID: webhook, tenant: tenant, state: state, eventType: eventType,
                                                                             from: from, to: to), limit: limit)
            if global.json { Output.printJSON(page); return }
            Output.table((["id", "webhook_id", "event_type", "event_id", "state", "attempts", "last_status", "last_error", "created_at"],
                          page.data.map { [$0.id, $0.webhookID, $0.eventType, $0.eventID, $0.state, String($0.attempts),
                                           $0.lastStatus.map(String.init), $0.lastError.map { String($0.prefix(80)) }, $0.createdAt] }))
        }
    }

    struct Show: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws {
            let detail = try global.deliveries().detail(id)
            if global.json { Output.printJSON(detail); return }
            let d = detail.delivery
            Output.table((["id", "tenant", "webhook_id", "event_id", "event_type", "state", "attempts", "last_status", "created_at", "completed_at"],
                          [[d.id, d.tenant, d.webhookID, d.eventID, d.eventType, d.state, String(d.attempts), d.lastStatus.map(String.init),
                            d.createdAt, d.completedAt]]))
            DeliveryCommand.printAttempts(detail.attempts)
        }
    }

    static func printAttempts(_ attempts: [DeliveryQueries.Attempt]) {
        Output.table((["attempt", "started_at", "duration_ms", "status_code", "succeeded", "error", "response_body", "worker", "traceparent"],
                      attempts.map { [String($0.attempt), $0.startedAt, String($0.durationMs), $0.statusCode.map(String.init),
                                      String($0.succeeded), $0.error, $0.responseBody.map { String($0.prefix(60)) }, $0.worker,
                                      $0.traceparent] }))
    }

    struct Resend: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send deliveries again now (one more attempt each).")
        @OptionGroup var global: GlobalOptions
        @Argument var ids: [String]
        func run() throws {
            let sent = try global.deliveries().resend(ids)
            if global.json { Output.printJSON(["resent": sent.count]) } else { print("resent \(sent.count) of \(ids.count) deliveries") }
        }
    }

    struct RetryFailed: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry-failed", abstract: "Send every failed delivery of one webhook again.")
        @OptionGroup var global: GlobalOptions
        @Option var webhook: String
        func run() throws {
            let sent = try global.deliveries().retryFailed(webhookID: webhook)
            if global.json { Output.printJSON(["resent": sent.count]) } else { print("resent \(sent.count) failed deliveries") }
        }
    }
}

struct DeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dead", abstract: "The parking lot of failed deliveries (herald.dead).",
                                                    subcommands: [List.self, Redrive.self])

    struct List: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Option var max: Int = 50
        func run() throws {
            let parked = try DeadLetterAdmin(configuration: try global.context().configuration).list(max: max)
            if global.json { Output.printJSON(parked); return }
            Output.table((["delivery_id", "webhook_id", "parked_at", "reason"],
                          parked.map { [$0.deliveryID, $0.webhookID, $0.parkedAt, $0.reason] }))
        }
    }

    struct Redrive: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send the parked deliveries again (one more attempt each), then take them off the queue.")
        @OptionGroup var global: GlobalOptions
        @Option var max: Int = 1000
        @Flag(help: "List what would be resent; change nothing.") var dryRun = false
        func run() throws {
            let context = try global.context()
            let ids = try DeadLetterAdmin(configuration: context.configuration).redrive(max: max, dryRun: dryRun, database: context.database())
            if global.json { Output.printJSON(RunResult(dryRun: dryRun, count: ids.count, ids: ids)) } else {
                for id in ids where dryRun { print(id) }
                print(dryRun ? "dry run: \(ids.count) parked deliveries would be resent" : "redriven: \(ids.count) deliveries resent")
            }
        }
    }
}

struct RunResult: Encodable {
    var dryRun: Bool
    var count: Int
    var ids: [String]
    enum CodingKeys: String, CodingKey { case dryRun = "dry_run", count, ids }
}

struct Recover: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resend every failed delivery created in a time range (of one tenant or webhook).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Start (inclusive): a date (2026-01-22) or an RFC 3339 time.") var from: String
    @Option(help: "End (exclusive): a date or an RFC 3339 time.") var to: String
    @Option(help: "Only this tenant's deliveries.") var tenant: String?
    @Option var webhook: String?
    @Flag(help: "List what would be resent; send nothing.") var dryRun = false
    func run() throws {
        let ids = try global.deliveries().recover(from: from, to: to, tenant: tenant, webhookID: webhook, dryRun: dryRun)
        if global.json {
            Output.printJSON(RunResult(dryRun: dryRun, count: ids.count, ids: ids))
        } else if dryRun {
            for id in ids { print(id) }
            print("dry run: \(ids.count) failed deliveries would be resent")
        } else {
            print("resent \(ids.count) failed deliveries")
        }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Per-webhook delivery report over a period (default: last 30 days).")
    @OptionGroup var global: GlobalOptions
    @Option var from: String?
    @Option var to: String?
    @Option var tenant: String?
    func run() throws {
        let (f, t) = try timeRange(from: from, to: to)
        let rows = try global.deliveries().report(from: f, to: t, tenant: tenant)
        if global.json { Output.printJSON(rows); return }
        Output.table((["webhook_id", "webhook_name", "tenant", "deliveries", "succeeded", "failed", "retried", "in_progress", "success_rate",
                       "attempts", "avg_latency_ms", "p95_latency_ms"],
                      rows.map { [$0.webhookID, $0.webhookName, $0.tenant, String($0.deliveries), String($0.succeeded), String($0.failed),
                                  String($0.retried), String($0.inProgress), $0.successRate.map { String($0) }, String($0.attempts),
                                  $0.avgLatencyMs.map { String($0) }, $0.p95LatencyMs.map { String($0) }] }))
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attempts of a period on stdout: CSV, or a JSON array with --json.")
    @OptionGroup var global: GlobalOptions
    @Option var from: String?
    @Option var to: String?
    @Option var webhook: String?
    @Option var tenant: String?
    func run() throws {
        let (f, t) = try timeRange(from: from, to: to)
        try global.deliveries().exportAttempts(from: f, to: t, webhookID: webhook, tenant: tenant, format: global.json ? .json : .csv) { chunk in
            FileHandle.standardOutput.write(Data(chunk))
        }
    }
}

struct QueuesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queues", abstract: "Herald's broker queues: move them between classic and quorum.",
                                                    subcommands: [Migrate.self])

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move every queue and its messages to the other queue type (stop routers and workers first; start them again with the new HERALD_QUEUE_TYPE).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "classic or quorum.") var to: String
        @Flag(help: "Count what would move; change nothing.") var dryRun = false
        func run() throws {
            guard let type = TopologyNames.QueueType(rawValue: to) else { throw CommandFailure(description: "--to \(to): must be classic or quorum") }
            let context = try global.context()
            let names = context.configuration.topology
            let from = names.with(queueType: type == .quorum ? .classic : .quorum), target = names.with(queueType: type)
            let moved = try QueueMigration(amqpURL: context.configuration.amqpURL, source: from, target: target).run(dryRun: dryRun)
            if global.json { Output.printJSON(moved); return }
            for m in moved { print("\(m.queue) → \(m.into): \(m.messages) messages\(dryRun ? " would move" : " moved")") }
            print(dryRun ? "dry run: nothing changed" : "done: start routers and workers with HERALD_QUEUE_TYPE=\(type.rawValue)")
        }
    }
}
