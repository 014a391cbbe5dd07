import ArgumentParser
import Foundation
import Herald

/// Options every command shares: where the servers are, and JSON output for scripts.
struct GlobalOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL or conninfo (env HERALD_DATABASE_URL).") var databaseURL: String?
    @Option(help: "RabbitMQ URL (env HERALD_AMQP_URL).") var amqpURL: String?
    @Option(help: "Prefix of every broker name (env HERALD_TOPOLOGY_PREFIX).") var topologyPrefix: String?
    @Flag(help: "Machine-readable JSON output.") var json = false

    func context() throws -> AdminContext {
        var configuration = try HeraldConfiguration(component: "heraldctl")
        if let databaseURL { configuration.databaseURL = databaseURL }
        if let amqpURL { configuration.amqpURL = amqpURL }
        if let topologyPrefix { configuration.topology = TopologyNames(prefix: topologyPrefix) }
        for warning in configuration.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        return AdminContext(configuration: configuration)
    }
}

@main
struct HeraldCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heraldctl",
        abstract: "Administer Herald: migrations, webhooks, deliveries, reports.",
        subcommands: [Migrate.self, WebhookCommand.self, DeliveryCommand.self, DeadCommand.self, Recover.self, Stats.self, Export.self,
                      TemplateCommand.self, FilterCommand.self, CatalogCommand.self, ConfigCheck.self])
}

// MARK: output

enum Output {
    static func table(_ t: DeliveryAdmin.Table, json: Bool) {
        if json {
            let objects: [[String: String?]] = t.rows.map { row in
                Dictionary(uniqueKeysWithValues: zip(t.columns, row).map { ($0, $1) })
            }
            printJSON(objects)
            return
        }
        let widths = t.columns.indices.map { i in
            min(60, max(t.columns[i].count, t.rows.map { terminalSafe($0[i] ?? "").count }.max() ?? 0))
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { cell, w in
                let c = cell.count > w ? String(cell.prefix(w - 1)) + "…" : cell
                return c.padding(toLength: w, withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(t.columns))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for row in t.rows { print(line(row.map { terminalSafe($0 ?? "") })) }
        print("(\(t.rows.count) rows)")
    }

    /// A cell as the terminal should show it: escape sequences and other control bytes (from ids,
    /// responses, anything tenants or receivers wrote) shown escaped, never interpreted.
    static func terminalSafe(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x0D: out += " "
            case 0..<0x20, 0x7F, 0x80..<0xA0: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func printJSON<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}

func readInput(_ path: String) throws -> String {
    if path == "-" {
        var text = ""
        while let line = readLine(strippingNewline: false) { text += line }
        return text
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure(description: "\(path): cannot read the file") }
    return String(decoding: data, as: UTF8.self)
}

func timeRange(from: String?, to: String?, defaultDays: Int = 30) throws -> (String, String) {
    let now = Timestamp.nowUnixMilliseconds()
    return (try from.map { try DeliveryAdmin.periodBound($0, field: "--from") } ?? Timestamp.iso8601(unixMilliseconds: now - Int64(defaultDays) * 86_400_000),
            try to.map { try DeliveryAdmin.periodBound($0, field: "--to") } ?? Timestamp.iso8601(unixMilliseconds: now + 60_000))
}

struct ConfigCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-check",
        abstract: "Read every HERALD_* setting the way the router, worker and heraldctl do; exit 1 naming the first bad one.")
    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let base = try HeraldConfiguration(environment: environment, component: "config-check")
        _ = try RouterConfiguration(base: base, environment: environment)
        _ = try WorkerConfiguration(base: base, environment: environment)
        for warning in base.warnings { print("warning: \(warning)") }
        print("configuration ok")
    }
}

// MARK: migrate

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the SQL migrations (idempotent); they are built into heraldctl, so this works from any folder.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Use the NNNN_name.sql files of this folder instead of the built-in ones (env HERALD_MIGRATIONS_DIR).")
    var directory: String?

    func run() throws {
        let folder = directory ?? ProcessInfo.processInfo.environment["HERALD_MIGRATIONS_DIR"]
        let migrations = try folder.map { try Migrator.load(directory: $0) } ?? Migrator.embedded
        let context = try global.context()
        let migrator = Migrator(connection: try context.database())
        let applied = try migrator.migrate(migrations)
        let version = try migrator.currentVersion() ?? 0
        if global.json { Output.printJSON(["applied": applied, "version": ["\(version)"]]) } else {
            print(applied.isEmpty ? "schema is up to date (version \(version))" : "applied: \(applied.joined(separator: ", ")) (version \(version))")
        }
    }
}

// MARK: webhooks

struct WebhookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Create, inspect, change and test webhooks.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self, Pause.self, Resume.self, RotateSecret.self, Test.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a webhook from a JSON file (--file) or flags; prints its id and signing secret.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "JSON document of the webhook ('-' = stdin).") var file: String?
        @Option var tenant: String?
        @Option var name: String?
        @Option var url: String?
        @Option(help: "Comma-separated event types or patterns (order.*, *).") var events: String?
        @Option var filter: String?
        @Option(help: "Payload template file.") var templateFile: String?

        func run() throws {
            var doc: WebhookDocument
            if let file {
                doc = try WebhookDocument.parse(Array(try readInput(file).utf8))
            } else {
                guard let tenant, let name, let url, let events else {
                    throw CommandFailure(description: "give --file, or --tenant, --name, --url and --events")
                }
                doc = WebhookDocument(tenant: tenant, name: name, url: url, events: events.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
            }
            if let filter { doc.filter = filter }
            if let templateFile { doc.payloadTemplate = try readInput(templateFile) }
            let context = try global.context()
            let created = try context.webhooks().create(doc)
            let warnings = (try? doc.makeWebhook().warnings(allowPrivateNetworks: context.configuration.allowPrivateNetworks)) ?? []
            if global.json { Output.printJSON(["id": created.id, "secret": created.secret]) } else {
                print("created webhook \(created.id)")
                print("signing secret (shown once): \(created.secret)")
            }
            for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        }
    }

    struct List: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Option var tenant: String?
        func run() throws {
            let docs = try global.context().webhooks().documents(tenant: tenant)
            if global.json {
                Output.printJSON(docs.map { var d = $0.redacted(); d.secrets = nil; d.auth = nil; return d })
                return
            }
            Output.table((["id", "tenant", "name", "status", "reason", "events", "url", "failures"],
                          docs.map { [$0.id, $0.tenant, $0.name, $0.status, $0.pausedReason, $0.events.joined(separator: ","),
                                      Webhook.redactedURL($0.url), $0.consecutiveFailures.map(String.init)] }),
                         json: false)
        }
    }

    struct Show: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Flag(help: "Include live signing secrets and credentials.") var secrets = false
        func run() throws {
            let doc = try global.context().webhooks().document(id: id)
            Output.printJSON(secrets ? doc : doc.redacted())
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a webhook's settings from a JSON document (see `show`).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "JSON document ('-' = stdin).") var file: String
        func run() throws {
            var doc = try WebhookDocument.parse(Array(try readInput(file).utf8))
            doc.id = id
            let context = try global.context()
            try context.webhooks().update(doc)
            print(global.json ? #"{"updated": true}"# : "updated webhook \(id)")
            for warning in (try? doc.makeWebhook().warnings(allowPrivateNetworks: context.configuration.allowPrivateNetworks)) ?? [] {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
        }
    }

    struct Delete: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws {
            try global.context().webhooks().delete(id: id)
            print(global.json ? #"{"deleted": true}"# : "deleted webhook \(id); its waiting deliveries are cancelled")
        }
    }

    struct Pause: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option var reason: String = "paused by an operator"
        func run() throws {
            try global.context().webhooks().setStatus(id: id, status: .paused, reason: reason)
            print(global.json ? #"{"status": "paused"}"# : "paused webhook \(id)")
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a webhook and send what waited while it was paused.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws {
            let context = try global.context()
            try context.webhooks().setStatus(id: id, status: .active)
            let released = try DeliveryStore(connection: context.database()).releasePaused(webhookID: id)
            if !released.isEmpty {
                let amqp = try context.amqp()
                try Topology(names: context.configuration.topology).declareDeliveries(on: amqp)
                try JobMessages(names: context.configuration.topology).publishNow(released, on: amqp)
            }
            print(global.json ? #"{"status": "active", "released": \#(released.count)}"# : "resumed webhook \(id); \(released.count) waiting deliveries sent")
        }
    }

    struct RotateSecret: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a new signing secret; old ones keep signing for --grace seconds.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "Seconds the old secrets stay valid.") var grace: Int = 86_400
        func run() throws {
            let secret = try global.context().webhooks().rotateSecret(id: id, graceSeconds: grace)
            if global.json { Output.printJSON(["secret": secret]) } else { print("new signing secret (shown once): \(secret)\nold secrets expire in \(grace) s") }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a sample event to one webhook through the real pipeline and show the result.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "Event type of the sample (default: the webhook's first subscribed type).") var eventType: String?
        @Option(help: "Seconds to wait for the result.") var wait: Int = 30
        func run() throws {
            let context = try global.context()
            let doc = try context.webhooks().document(id: id)
            let type = eventType ?? doc.events.lazy.flatMap { EventCatalog.types(matching: $0) }.first ?? "order.created"
            guard var sample = EventCatalog.sampleEvent(for: type), case .object(var object) = sample else {
                throw CommandFailure(description: "no sample for event type \(type)")
            }
            object["id"] = .string(IDs.make("evt_test_"))
            object["tenant"] = .string(doc.tenant)
            sample = .object(object)
            let event = try Event(envelope: sample)
            let webhook = try doc.makeWebhook(validateTemplateVariables: false)
            let deliveryID = IDs.make("msg_")
            var payload: String?
            if let template = webhook.template, !template.dependsOnAttempt {
                payload = String(decoding: try template.render(event: event.envelope, context: TemplateContext(
                    webhookID: id, deliveryID: deliveryID, timestamp: Timestamp.nowISO8601(), eventType: type, attempt: 1),
                    limit: context.configuration.maxRenderedBytes), as: UTF8.self)
            }
            let store = DeliveryStore(connection: try context.database())
            let jobs = try store.recordRouted(events: [event], deliveries: [NewDelivery(
                id: deliveryID, tenantID: doc.tenant, eventID: event.id, eventType: type, webhookID: id, state: .pending,
                payload: payload, payloadDeferred: webhook.template?.dependsOnAttempt ?? false, note: "test send")])
            let amqp = try context.amqp()
            try Topology(names: context.configuration.topology).declareDeliveries(on: amqp)
            try JobMessages(names: context.configuration.topology).publishNow(jobs, on: amqp)
            print("test delivery \(deliveryID) of \(type) queued; waiting for a worker…")
            let deadline = Date().addingTimeInterval(TimeInterval(wait))
            while Date() < deadline {
                let detail = try context.deliveries().detail(id: deliveryID)
                let state = detail.delivery.rows.first?[5] ?? nil
                if let state, state != "pending", state != "in_flight" {
                    Output.table(detail.attempts, json: global.json)
                    print("delivery state: \(state)")
                    guard state == "succeeded" else {
                        throw CommandFailure(description: "the test delivery was not accepted (state \(state)); see the attempts above")
                    }
                    return
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
            throw CommandFailure(description: "no result within \(wait) s: is a herald-worker running?")
        }
    }
}

// MARK: deliveries

struct DeliveryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delivery", abstract: "The delivery log, one delivery in detail, resends.",
                                                    subcommands: [Log.self, Show.self, Resend.self])

    struct Log: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Option var webhook: String?
        @Option(help: "pending, in_flight, retrying, succeeded, failed, paused, cancelled") var state: String?
        @Option var limit: Int = 50
        func run() throws {
            Output.table(try global.context().deliveries().log(webhookID: webhook, state: state, limit: limit), json: global.json)
        }
    }

    struct Show: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws {
            let detail = try global.context().deliveries().detail(id: id)
            Output.table(detail.delivery, json: global.json)
            Output.table(detail.attempts, json: global.json)
        }
    }

    struct Resend: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send deliveries again now (one more attempt each).")
        @OptionGroup var global: GlobalOptions
        @Argument var ids: [String]
        func run() throws {
            let context = try global.context()
            let sent = try context.deliveries().resend(ids: ids, amqp: context.amqp(), names: context.configuration.topology)
            print(global.json ? #"{"resent": \#(sent.count)}"# : "resent \(sent.count) of \(ids.count) deliveries")
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
            Output.table((["delivery_id", "webhook_id", "parked_at", "reason"],
                          parked.map { [$0.deliveryID, $0.webhookID, $0.parkedAt, $0.reason] }), json: global.json)
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
            if global.json { Output.printJSON(["dry_run": dryRun ? "true" : "false", "count": String(ids.count)]) } else {
                for id in ids where dryRun { print(id) }
                print(dryRun ? "dry run: \(ids.count) parked deliveries would be resent" : "redriven: \(ids.count) deliveries resent")
            }
        }
    }
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
        let context = try global.context()
        let ids = try context.deliveries().recover(from: from, to: to, tenant: tenant, webhookID: webhook, dryRun: dryRun,
                                                   amqp: context.amqp, names: context.configuration.topology)
        if global.json {
            Output.printJSON(["dry_run": dryRun ? "true" : "false", "count": String(ids.count)])
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
    func run() throws {
        let (f, t) = try timeRange(from: from, to: to)
        Output.table(try global.context().deliveries().report(from: f, to: t), json: global.json)
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attempts of a period as CSV on stdout.")
    @OptionGroup var global: GlobalOptions
    @Option var from: String?
    @Option var to: String?
    @Option var webhook: String?
    func run() throws {
        let (f, t) = try timeRange(from: from, to: to)
        try global.context().deliveries().exportCSV(from: f, to: t, webhookID: webhook) { print($0, terminator: "") }
    }
}

// MARK: rules

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "template", abstract: "Payload templates.", subcommands: [PreviewCommand.self])

    struct PreviewCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "preview", abstract: "Render a template against sample data or an event, without sending.")
        @Option(help: "Template file ('-' = stdin); default: the event envelope.") var template: String?
        @Option(help: "Use the catalog's sample of this event type.") var eventType: String?
        @Option(help: "Event JSON file.") var event: String?
        @Option var attempt: Int = 1
        func run() throws {
            print(try Preview.render(template: template.map(readInput), eventType: eventType, eventJSON: event.map(readInput), attempt: attempt))
        }
    }
}

struct FilterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "filter", abstract: "Check a filter expression, optionally against an event.")
    @Argument var expression: String
    @Option(help: "Event JSON file to evaluate against.") var event: String?
    @Option(help: "Evaluate against the catalog's sample of this event type.") var eventType: String?
    func run() throws {
        let filter = try Filter(parsing: expression)
        print("ok: \(filter.description)")
        var value: JSONValue?
        if let event { value = try JSONValue(parsing: try readInput(event)) }
        if let eventType { value = EventCatalog.sampleEvent(for: eventType) }
        if let value {
            switch filter.evaluate(value) {
            case .match: print("evaluates to: true")
            case .noMatch: print("evaluates to: false")
            case .typeMismatch(let path): print("evaluates to: false (\(path) holds a value of another type than the filter compares with)")
            }
        }
    }
}

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "catalog", abstract: "The event catalog: types, samples, JSON Schemas.",
                                                    subcommands: [Types.self, Sample.self, WriteSchemas.self])

    struct Types: ParsableCommand {
        @Option(help: "Only types matching this pattern (order.*, *.created).") var matching: String = "*"
        func run() { for type in EventCatalog.types(matching: matching) { print(type) } }
    }

    struct Sample: ParsableCommand {
        @Argument var type: String
        func run() throws {
            guard let sample = EventCatalog.sampleEvent(for: type) else { throw CommandFailure(description: "unknown event type \(type)") }
            print(sample.prettySerialized())
        }
    }

    struct WriteSchemas: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "write-schemas", abstract: "Write schemas/events/<type>.schema.json for every type.")
        @Option var directory: String = "schemas/events"
        func run() throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for type in EventCatalog.types {
                guard let schema = EventCatalog.jsonSchema(for: type) else { continue }
                try (schema.prettySerialized() + "\n").write(toFile: "\(directory)/\(type).schema.json", atomically: true, encoding: .utf8)
            }
            print("wrote \(EventCatalog.types.count) schemas to \(directory)")
        }
    }
}
