import ArgumentParser
import Herald

// Tenants: registered before their first webhook, listed, disabled, enabled.

struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Tenants: create (known to the router before any webhook), list, disable, enable.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self, SetRetention.self])

    struct Create: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The tenant id events carry (lower-case letters, digits, _ and -).") var id: String
        @Option(help: "A name for people (default: the id).") var name: String?
        @Option(help: "Days of history kept for this tenant (default: HERALD_RETENTION_DAYS).") var retentionDays: Int?
        func run() throws {
            let tenants = try global.tenants()
            var tenant = try tenants.create(id: id, name: name)
            if let retentionDays { tenant = try tenants.setRetention(id, days: retentionDays) }
            if global.json { Output.printJSON(tenant) } else { print("created tenant \(tenant.id): its events are recorded from now on") }
        }
    }

    struct List: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        func run() throws {
            let tenants = try global.tenants().list()
            if global.json { Output.printJSON(tenants); return }
            Output.table((["id", "name", "active", "webhooks", "retention_days", "created_at"],
                          tenants.map { [$0.id, $0.name, $0.active ? "yes" : "no", String($0.webhooks),
                                         $0.retentionDays.map(String.init) ?? "default", $0.createdAt] }))
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse the tenant's new events (parked in herald.invalid with the reason).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws {
            let tenant = try global.tenants().setActive(id, false)
            if global.json { Output.printJSON(tenant) } else { print("disabled tenant \(id): its new events are refused") }
        }
    }

    struct SetRetention: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-retention", abstract: "Days of history kept for one tenant.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Argument(help: "Days (1 to 3650), or \"default\" for HERALD_RETENTION_DAYS.") var days: String
        func run() throws {
            let value: Int?
            if days == "default" { value = nil } else if let n = Int(days) { value = n } else {
                throw CommandFailure(description: "days: \"\(days)\" — give a number of days or default")
            }
            let tenant = try global.tenants().setRetention(id, days: value)
            if global.json { Output.printJSON(tenant) } else { print("tenant \(id) keeps \(value.map { "\($0) days" } ?? "the default") of history") }
        }
    }

    struct Enable: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws {
            let tenant = try global.tenants().setActive(id, true)
            if global.json { Output.printJSON(tenant) } else { print("enabled tenant \(id)") }
        }
    }
}
