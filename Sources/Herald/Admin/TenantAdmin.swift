import HeraldCore
import PostgresClient

/// Tenants: registered before their first webhook (so their events are recorded rather than
/// refused), listed with their webhooks, disabled (their events are refused with the reason) and
/// enabled again. Operators only; every change is in the audit log.
public struct TenantAdmin {
    public let context: AdminContext
    public let principal: Principal

    public init(context: AdminContext, principal: Principal) {
        self.context = context
        self.principal = principal
    }

    public struct Tenant: Encodable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var active: Bool
        public var webhooks: Int
        public var createdAt: String
        /// Days of history kept for this tenant; nil = the installation's `HERALD_RETENTION_DAYS`.
        public var retentionDays: Int?

        enum CodingKeys: String, CodingKey {
            case id, name, active, webhooks
            case createdAt = "created_at", retentionDays = "retention_days"
        }
    }

    /// Registers a tenant; an existing one is an error that says so.
    public func create(id: String, name: String? = nil) throws -> Tenant {
        try principal.requireOperator()
        try TenantAdmin.checkID(id)
        let label = name ?? id
        guard label.utf8.count <= 200, !label.utf8.contains(0) else {
            throw AdminInputError(field: "name", value: String(label.prefix(40)), rule: "at most 200 bytes, no NUL")
        }
        let inserted = try context.database().query("INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id",
                                                     [id, label])
        guard !inserted.isEmpty else { throw AdminInputError(field: "tenant", value: id, rule: "exists already") }
        let tenant = try get(id)
        try context.audit().record(principal, action: "tenant.create", tenant: id, targetType: "tenant", targetID: id, after: tenant)
        return tenant
    }

    public func list() throws -> [Tenant] {
        try principal.requireOperator()
        return try context.database().query(TenantAdmin.select + " ORDER BY t.id").map(TenantAdmin.tenant)
    }

    public func get(_ id: String) throws -> Tenant {
        try principal.requireOperator()
        guard let row = try context.database().query(TenantAdmin.select + " WHERE t.id = $1", [id]).first else { throw AccessError.notFound("tenant \(Quoted.bare(id))") }
        return TenantAdmin.tenant(row)
    }

    /// The tenant's own retention window (days), or nil for the installation's. A longer window than
    /// the installation's keeps every tenant's day partitions that long (rows of the others are then
    /// removed in batches); a shorter one removes this tenant's rows in batches.
    public func setRetention(_ id: String, days: Int?) throws -> Tenant {
        try principal.requireOperator()
        if let days, !(1...3650).contains(days) {
            throw AdminInputError(field: "retention_days", value: String(days), rule: "must be 1 to 3650 days")
        }
        let before = try get(id)
        try context.database().execute("UPDATE tenants SET retention_days = $2 WHERE id = $1", [id, days])
        let after = try get(id)
        try context.audit().record(principal, action: "tenant.retention", tenant: id, targetType: "tenant", targetID: id,
                                   before: before, after: after)
        return after
    }

    /// Disabled: the router refuses the tenant's new events (parked in herald.invalid with the
    /// reason); deliveries already recorded go on. `active: true` enables it again.
    public func setActive(_ id: String, _ active: Bool) throws -> Tenant {
        try principal.requireOperator()
        let before = try get(id)
        try context.database().execute("UPDATE tenants SET active = $2 WHERE id = $1", [id, active])
        let after = try get(id)
        try context.audit().record(principal, action: active ? "tenant.enable" : "tenant.disable", tenant: id, targetType: "tenant",
                                   targetID: id, before: before, after: after)
        return after
    }

    /// The same rule as the tenants table's check: lower-case letters, digits, `_` and `-`.
    static func checkID(_ id: String) throws(AdminInputError) {
        let bytes = Array(id.utf8)
        let first: (UInt8) -> Bool = { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard (1...63).contains(bytes.count), let head = bytes.first, first(head),
              bytes.dropFirst().allSatisfy({ first($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) else {
            throw AdminInputError(field: "tenant", value: String(id.prefix(40)),
                                  rule: "1 to 63 lower-case letters, digits, _ and -, starting with a letter or digit")
        }
    }

    private static let select = """
        SELECT t.id, t.name, t.active, (SELECT count(*) FROM webhooks w WHERE w.tenant_id = t.id), \(SQLTime.iso("t.created_at")),
               t.retention_days
        FROM tenants t
        """

    private static func tenant(_ row: PostgresRow) -> Tenant {
        Tenant(id: row[0].text ?? "", name: row[1].text ?? "", active: row[2].text == "t", webhooks: Int(row[3].text ?? "") ?? 0,
               createdAt: row[4].text ?? "", retentionDays: row[5].text.flatMap { Int($0) })
    }
}
