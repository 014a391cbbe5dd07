import Foundation
import Herald
import HeraldTestSupport
import Testing

/// Tenants registered with heraldctl: known before their first webhook, refused once disabled.
@Suite("Tenants", .serialized)
struct TenantTests {
    @Test("a registered tenant without webhooks has its events recorded; a disabled one's are refused with the reason")
    func registeredTenant() throws {
        let h = try Harness("tenant")
        try h.startRouter()
        let created = try heraldctl(h, ["tenant", "create", "globex", "--name", "Globex Corp", "--json"])
        #expect(created.status == 0, "\(created.err)")
        #expect(try JSONValue(parsing: Array(created.out.utf8))["active"]?.boolValue == true)
        #expect(try heraldctl(h, ["tenant", "create", "globex"]).status != 0)          // exists already
        #expect(try heraldctl(h, ["tenant", "create", "Not Valid"]).status != 0)      // the id rule is named
        try h.publish([try Harness.event(tenant: "globex", data: PipelineTests.order)])
        try h.waitUntil("the event is recorded") { try h.count("SELECT count(*) FROM events WHERE tenant_id = 'globex'") == 1 }
        #expect(try h.count("SELECT count(*) FROM deliveries") == 0)
        #expect(try h.queueDepth(h.configuration.topology.invalidQueue) == 0)

        #expect(try heraldctl(h, ["tenant", "disable", "globex"]).status == 0)
        Thread.sleep(forTimeInterval: 1.2)   // the router's reload (NOTIFY) and its once-a-second recheck
        try h.publish([try Harness.event(tenant: "globex", data: PipelineTests.order)])
        try h.waitUntil("the event is refused") { try h.queueDepth(h.configuration.topology.invalidQueue) == 1 }
        let parked = try #require(try h.take(from: h.configuration.topology.invalidQueue, max: 1).first)
        if case .string(let reason)? = parked.properties.headers["x-herald-reason"] {
            #expect(reason.contains("globex") && reason.contains("disabled"))
        } else {
            Issue.record("no x-herald-reason on the parked event")
        }
        #expect(try h.count("SELECT count(*) FROM events WHERE tenant_id = 'globex'") == 1)

        let listed = try heraldctl(h, ["tenant", "list"])
        #expect(listed.out.contains("globex") && listed.out.contains("Globex Corp") && listed.out.contains("no"))
        #expect(try heraldctl(h, ["tenant", "enable", "globex"]).status == 0)
        #expect(try h.count("SELECT count(*) FROM audit_log WHERE target_type = 'tenant' AND target_id = 'globex'") == 3)
    }
}
