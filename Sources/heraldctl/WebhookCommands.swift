import ArgumentParser
import Foundation
import Herald

// Webhook commands: thin shells over WebhookAdmin (the same functions herald-api calls).

struct WebhookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Create, inspect, change and test webhooks.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Patch.self, Delete.self, Pause.self, Resume.self,
                      RotateSecret.self, Test.self, Presets.self])

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
        @Option(help: "Integration preset: the payload a destination accepts (\(IntegrationPreset.names)); see `webhook presets`.")
        var preset: String?
        @Option(help: "Comma-separated signature presets the receiver verifies (\(SignaturePreset.names), none).")
        var signing: String?
        @Option(help: "A signing secret the partner already has (not for standard-webhooks, which needs whsec_); default: a new whsec_ secret.")
        var secret: String?

        func run() throws {
            var doc: WebhookDocument
            func list(_ text: String) -> [String] { text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            if let file {
                doc = try WebhookDocument.parse(Array(try readInput(file).utf8))
            } else {
                guard let tenant, let name, let url, events != nil || preset != nil else {
                    throw CommandFailure(description: "give --file, or --tenant, --name, --url and --events (or --preset)")
                }
                doc = WebhookDocument(tenant: tenant, name: name, url: url, events: [])
            }
            if let events { doc.events = list(events) }
            if let filter { doc.filter = filter }
            if let templateFile { doc.payloadTemplate = try readInput(templateFile) }
            if let secret { doc.secrets = [secret] }
            doc = try PresetAdmin.apply(integration: preset, signing: signing.map(list), to: doc)
            let admin = try global.webhooks()
            let created = try admin.create(document: doc)
            let id = created.webhook.id ?? ""
            if global.json { Output.printJSON(["id": id, "secret": created.secret]) } else {
                print("created webhook \(id)")
                print("signing secret (shown once): \(created.secret)")
            }
            let warnings = (try? doc.makeWebhook().warnings(allowPrivateNetworks: admin.context.configuration.allowPrivateNetworks)) ?? []
            for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        }
    }

    struct List: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Option var tenant: String?
        @Option(help: "Only webhooks whose name or URL contains this.") var search: String?
        @Option(help: "Only webhooks subscribed to this event type.") var event: String?
        @Option(help: "active, paused or disabled.") var status: String?
        @Option var limit: Int = 1000
        func run() throws {
            let page = try global.webhooks().list(tenant: tenant, search: search, event: event, status: status, limit: limit)
            if global.json { Output.printJSON(page); return }
            Output.table((["id", "tenant", "name", "status", "health", "failing since", "last error", "reason", "events", "url", "failures"],
                          page.data.map { [$0.id, $0.tenant, $0.name, $0.status, $0.health.state, $0.health.failingSince,
                                           $0.health.lastError.map { String($0.prefix(60)) }, $0.pausedReason,
                                           $0.events.joined(separator: ","), $0.url, String($0.consecutiveFailures)] }))
            if page.hasMore { print("(more: narrow with --tenant/--search, or raise --limit)") }
        }
    }

    struct Show: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Flag(help: "Include live signing secrets and credentials.") var secrets = false
        func run() throws {
            if secrets {
                Output.printJSON(try global.context().webhookStore().document(id: id))
            } else {
                Output.printJSON(try global.webhooks().get(id))
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a webhook's settings from a JSON document (see `show`); masked credentials stay as stored.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "JSON document ('-' = stdin).") var file: String
        func run() throws {
            let admin = try global.webhooks()
            let doc = try admin.replace(id, json: Array(try readInput(file).utf8))
            if global.json { Output.printJSON(doc) } else { print("updated webhook \(id)") }
            for warning in (try? doc.makeWebhook().warnings(allowPrivateNetworks: admin.context.configuration.allowPrivateNetworks)) ?? [] {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
        }
    }

    struct Patch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change only the fields of a JSON merge patch ('{\"rate_limit_per_minute\": 60}').")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Argument(help: "The patch as JSON, or @FILE, or - for stdin.") var patch: String
        func run() throws {
            let text = patch == "-" ? try readInput("-") : patch.hasPrefix("@") ? try readInput(String(patch.dropFirst())) : patch
            let doc = try global.webhooks().patch(id, json: Array(text.utf8))
            if global.json { Output.printJSON(doc) } else { print("updated webhook \(id)") }
        }
    }

    struct Delete: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws {
            try global.webhooks().delete(id)
            if global.json { Output.printJSON(["deleted": true]) } else { print("deleted webhook \(id); its waiting deliveries are cancelled") }
        }
    }

    struct Pause: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option var reason: String = "paused by an operator"
        func run() throws {
            _ = try global.webhooks().pause(id, reason: reason)
            if global.json { Output.printJSON(["status": "paused"]) } else { print("paused webhook \(id)") }
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a webhook and send what waited while it was paused.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws {
            let result = try global.webhooks().resume(id)
            if global.json { Output.printJSON(ResumeResult(status: "active", released: result.released)) } else {
                print("resumed webhook \(id); \(result.released) waiting deliveries sent")
            }
        }
    }

    struct RotateSecret: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a new signing secret; old ones keep signing for --grace seconds.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "Seconds the old secrets stay valid.") var grace: Int = 86_400
        @Option(help: "The new secret, when the partner chose it (default: a new whsec_ secret).") var secret: String?
        func run() throws {
            let secret = try global.webhooks().rotateSecret(id, graceSeconds: grace, secret: secret)
            if global.json { Output.printJSON(["secret": secret]) } else { print("new signing secret (shown once): \(secret)\nold secrets expire in \(grace) s") }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a sample event to one webhook through the real pipeline and show the result.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "Event type of the sample (default: the webhook's first subscribed type).") var eventType: String?
        @Flag(help: "Send the tenant's most recent real event of the type instead of the catalog sample.") var recent = false
        @Option(help: "Send this JSON file as the event's data.") var data: String?
        @Option(help: "Seconds to wait for the result.") var wait: Int = 30
        func run() throws {
            let context = try global.context()
            let admin = WebhookAdmin(context: context, principal: global.principal)
            let event: WebhookAdmin.TestEvent = try data.map { .custom(try JSONValue(parsing: try readInput($0))) } ?? (recent ? .recent : .sample)
            let sent = try admin.sendTest(id, eventType: eventType, event: event)
            if !global.json { print("test delivery \(sent.deliveryID) of \(sent.eventType) (\(sent.source)) queued; waiting for a worker…") }
            let queries = DeliveryQueries(context: context, principal: global.principal)
            guard let detail = try queries.awaitFinal(sent.deliveryID, timeout: .seconds(wait)) else {
                throw CommandFailure(description: "no result within \(wait) s: is a herald-worker running?")
            }
            if global.json { Output.printJSON(detail) } else {
                DeliveryCommand.printAttempts(detail.attempts)
                print("delivery state: \(detail.delivery.state)")
            }
            guard detail.delivery.state == "succeeded" else {
                throw CommandFailure(description: "the test delivery was not accepted (state \(detail.delivery.state)); see the attempts above")
            }
        }
    }
}

extension WebhookCommand {
    struct Presets: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Integration presets (--preset) and signature presets (--signing).")
        @OptionGroup var global: GlobalOptions
        func run() {
            let entries = PresetAdmin.list()
            if global.json { Output.printJSON(entries); return }
            for kind in ["integration", "signature"] {
                print(kind == "integration" ? "integration presets (--preset):" : "signature presets (--signing):")
                for entry in entries where entry.kind == kind {
                    print("  \(entry.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(entry.summary)")
                }
            }
        }
    }
}

struct ResumeResult: Encodable {
    var status: String
    var released: Int
}
