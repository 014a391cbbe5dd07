import HeraldCore

/// Who asks: an API token (tenant admin, tenant viewer, or an operator across tenants) or an
/// operator at a shell (heraldctl). Every admin function takes one and checks it.
public struct Principal: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable, Codable {
        /// Reads and changes one tenant's webhooks and deliveries.
        case admin
        /// Reads one tenant's webhooks and deliveries; changes nothing.
        case viewer
        /// Reads and changes every tenant's (heraldctl, operator tokens).
        case `operator`
    }

    /// The actor recorded in the audit log: a token id, or `heraldctl:<user>`.
    public var actor: String
    /// The one tenant this principal may see; nil = every tenant (operators).
    public var tenant: String?
    public var role: Role

    public init(actor: String, tenant: String?, role: Role) {
        self.actor = actor
        self.tenant = tenant
        self.role = role
    }

    /// An operator at a shell on the server.
    public static func shell(user: String) -> Principal { Principal(actor: "heraldctl:\(user)", tenant: nil, role: .operator) }

    public var canChange: Bool { role != .viewer }

    /// True when this principal may see the tenant's data.
    public func sees(tenant other: String) -> Bool { tenant == nil || tenant == other }

    /// The tenant filter a list query must apply: the principal's own, or what an operator asked for.
    public func tenantFilter(_ asked: String?) -> String? { tenant ?? asked }

    /// Throws unless this principal may change things.
    public func requireChange() throws(AccessError) {
        guard canChange else { throw .forbidden("a viewer token cannot change anything; use an admin token") }
    }

    /// Throws unless this principal is an operator (every tenant).
    public func requireOperator() throws(AccessError) {
        guard role == .operator else { throw .forbidden("only an operator token may do this") }
    }
}

/// Refused for who asks: 401 (no valid token), 403 (not allowed), 404 (not yours or not there —
/// another tenant's id answers exactly as a missing one does).
public enum AccessError: Error, Sendable, CustomStringConvertible, Equatable {
    case unauthenticated(String)
    case forbidden(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .unauthenticated(let m), .forbidden(let m): m
        case .notFound(let what): "\(what) does not exist"
        }
    }
}
