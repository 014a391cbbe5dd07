import ArgumentParser
import Foundation
import Herald

// API tokens and the audit log.

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "API tokens for herald-api: create (shown once), list, revoke.",
                                                    subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Option(help: "The tenant the token belongs to (not for --role operator).") var tenant: String?
        @Option(help: "admin (change one tenant), viewer (read one tenant), operator (every tenant).") var role: String = "admin"
        @Option(help: "A name to recognise the token by.") var name: String = "api token"
        @Option(help: "Seconds until it expires (default: never).") var expiresIn: Int?
        func run() throws {
            guard let role = Principal.Role(rawValue: role) else {
                throw CommandFailure(description: "--role \(role): must be admin, viewer or operator")
            }
            let context = try global.context()
            let created = try context.tokens().create(tenant: tenant, role: role, name: name, expiresInSeconds: expiresIn)
            try context.audit().record(global.principal, action: "token.create", tenant: tenant, targetType: "token", targetID: created.token.id,
                                       after: created.token)
            if global.json { Output.printJSON(TokenCreated(token: created.token, secret: created.secret)) } else {
                print("created token \(created.token.id) (\(role.rawValue)\(tenant.map { " of \($0)" } ?? ", every tenant"))")
                print("token (shown once): \(created.secret)")
            }
        }
    }

    struct List: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Option var tenant: String?
        func run() throws {
            let tokens = try global.context().tokens().list(tenant: tenant)
            if global.json { Output.printJSON(tokens); return }
            Output.table((["id", "tenant", "role", "name", "created_at", "expires_at", "revoked_at", "last_used_at"],
                          tokens.map { [$0.id, $0.tenant, $0.role.rawValue, $0.name, $0.createdAt, $0.expiresAt, $0.revokedAt, $0.lastUsedAt] }))
        }
    }

    struct Revoke: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws {
            let context = try global.context()
            let token = try context.tokens().revoke(id: id)
            try context.audit().record(global.principal, action: "token.revoke", tenant: token.tenant, targetType: "token", targetID: id, after: token)
            if global.json { Output.printJSON(token) } else { print("revoked token \(id)") }
        }
    }
}

struct TokenCreated: Encodable {
    var token: TokenStore.Token
    var secret: String
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The audit log: every change, who made it, before and after.")
    @OptionGroup var global: GlobalOptions
    @Option var tenant: String?
    @Option(help: "Only changes of this webhook, delivery or token.") var target: String?
    @Option var limit: Int = 50
    func run() throws {
        let entries = try global.context().audit().list(tenant: tenant, targetID: target, limit: max(1, min(limit, 1000)))
        if global.json { Output.printJSON(entries); return }
        Output.table((["id", "at", "tenant", "actor", "action", "target"],
                      entries.map { [String($0.id), $0.at, $0.tenant, $0.actor, $0.action, $0.targetID] }))
    }
}
