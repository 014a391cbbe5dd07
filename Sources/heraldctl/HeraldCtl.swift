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
        if let topologyPrefix {
            let parking = configuration.topology.parkingMaxLength
            configuration.topology = TopologyNames(prefix: topologyPrefix, queueType: configuration.topology.queueType)
            configuration.topology.parkingMaxLength = parking
        }
        for warning in configuration.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        return AdminContext(configuration: configuration)
    }

    /// The operator at this shell, as the audit log records them.
    var principal: Principal { Principal.shell(user: ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown") }

    func webhooks() throws -> WebhookAdmin { WebhookAdmin(context: try context(), principal: principal) }
    func deliveries() throws -> DeliveryQueries { DeliveryQueries(context: try context(), principal: principal) }
    func tenants() throws -> TenantAdmin { TenantAdmin(context: try context(), principal: principal) }
}

@main
struct HeraldCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heraldctl",
        abstract: "Administer Herald: migrations, webhooks, deliveries, reports.",
        subcommands: [Migrate.self, WebhookCommand.self, DeliveryCommand.self, DeadCommand.self, Recover.self, Stats.self, Export.self,
                      TemplateCommand.self, FilterCommand.self, CatalogCommand.self, TokenCommand.self, AuditCommand.self, TenantCommand.self,
                      RetentionCommand.self, QueuesCommand.self, ConfigCheck.self])
}

// MARK: output

enum Output {
    /// Rows as a table for people (`--json` prints the typed records instead).
    static func table(_ t: (columns: [String], rows: [[String?]])) {
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

// MARK: rules

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "template", abstract: "Payload templates.", subcommands: [PreviewCommand.self])

    struct PreviewCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "preview", abstract: "Render a template against sample data or an event, without sending.")
        @Option(help: "Template file ('-' = stdin); default: the event envelope.") var template: String?
        @Option(help: "Use the catalog's sample of this event type.") var eventType: String?
        @Option(help: "Event JSON file.") var event: String?
        @Option var attempt: Int = 1
        @Option(help: "Preview an integration preset's template (\(IntegrationPreset.names)).") var preset: String?
        @Flag(help: "With --preset: every catalog event type the preset subscribes to.") var all = false
        func run() throws {
            if let preset {
                guard template == nil else { throw CommandFailure(description: "give --template or --preset, not both") }
                if all {
                    for (type, payload) in try PresetAdmin.previewAll(integration: preset) { print("\(type)\t\(payload)") }
                } else {
                    print(try PresetAdmin.preview(integration: preset, eventType: eventType, eventJSON: event.map(readInput)))
                }
                return
            }
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
