import AMQP
import Foundation
import Herald
import HeraldTestSupport
import Testing

/// heraldctl as an operator uses it: real executable, real database.
@Suite("heraldctl", .serialized)
struct AdminTests {
    func ctl(_ h: Harness, _ arguments: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        try heraldctl(h, arguments, stdin: stdin, env: env)
    }

    @Test("migrate is idempotent; create, show, pause, resume, rotate, stats and export work; bad input is named")
    func operatorFlow() throws {
        let h = try Harness("ctl")
        let migrate = try ctl(h, ["migrate"])
        #expect(migrate.status == 0 && migrate.out.contains("up to date"), "\(migrate)")
        let created = try ctl(h, ["webhook", "create", "--json", "--file", "-"], stdin: #"""
            {"tenant": "acme", "name": "CLI", "url": "\#(h.receiver.baseURL)/ok/cli", "events": ["order.*"], "auth": {"type": "bearer", "token": "s3cret-token"}}
            """#)
        #expect(created.status == 0, "\(created.err)")
        let id = try #require(try JSONValue(parsing: created.out)["id"]?.stringValue)
        let shown = try ctl(h, ["webhook", "show", id])
        #expect(shown.out.contains("\"name\" : \"CLI\"") && !shown.out.contains("s3cret-token"), "credentials are redacted: \(shown.out)")
        #expect(try ctl(h, ["webhook", "pause", id]).status == 0)
        #expect(try h.scalar("SELECT status FROM webhooks WHERE id = $1", [id]) == "paused")
        #expect(try ctl(h, ["webhook", "resume", id]).out.contains("resumed"))
        let rotated = try ctl(h, ["webhook", "rotate-secret", id, "--grace", "60", "--json"])
        #expect(rotated.out.contains("whsec_"))
        #expect(try h.count("SELECT count(*) FROM webhook_secrets WHERE webhook_id = $1 AND (expires_at IS NULL OR expires_at > now())", [id]) == 2)
        #expect(try ctl(h, ["stats"]).out.contains("CLI"))
        #expect(try ctl(h, ["export"]).out.hasPrefix("delivery_id,webhook_id"))
        let bad = try ctl(h, ["webhook", "create", "--file", "-"], stdin: #"{"tenant": "acme", "name": "X", "url": "ftp://x", "events": ["order.*"]}"#)
        #expect(bad.status != 0 && bad.err.contains("webhook.url") && bad.err.contains("only http and https"), "\(bad.err)")
        let badFilter = try ctl(h, ["filter", "order.total >> 100"])
        #expect(badFilter.status != 0 && badFilter.err.contains("at column 13"), "\(badFilter.err)")
        let preview = try ctl(h, ["template", "preview", "--event-type", "order.created", "--template", "-"], stdin: #"{"id": "{order.id}", "n": "{order.total}"}"#)
        #expect(preview.status == 0)
        let rendered = try JSONValue(parsing: preview.out.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(rendered["n"]?.numberValue != nil, "a whole-string placeholder keeps the number type")
        #expect(try ctl(h, ["webhook", "delete", id]).status == 0)
        #expect(try ctl(h, ["webhook", "show", id]).err.contains("does not exist"))
    }

    @Test("a careless operator's documents are refused with the field named; show → update keeps the stored credentials")
    func carelessOperator() throws {
        let h = try Harness("ctl_careless")
        func create(_ json: String, env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
            try ctl(h, ["webhook", "create", "--json", "--file", "-"], stdin: json, env: env)
        }
        let base = #""tenant": "acme", "name": "X", "events": ["order.created"]"#
        let url = "\(h.receiver.baseURL)/ok/x"
        let cases: [(String, String)] = [
            (#"{\#(base), "url": "\#(url)", "evnts": ["order.created"]}"#, "webhook.evnts: unknown field (did you mean events?)"),
            (#"{"tenant": "acme", "name": "X", "url": "\#(url)", "events": "order.created"}"#, "webhook.events: expected an array"),
            (#"{"tenant": "acme", "name": "X", "events": ["order.created"]}"#, "webhook.url: is required"),
            (#"{\#(base), "url": "\#(url)", "notify_url": "file:///etc/passwd"}"#, "webhook.notify_url"),
            (#"{\#(base), "url": "https://user:SECRET@example.com/hook"}"#, "must not hold a user name or password"),
            (#"{\#(base), "url": "\#(url)", "headers": {"X-A": "1\r\nContent-Length: 0\r\n\r\nGET /smuggled"}}"#, "CR, LF, NUL"),
            (#"{\#(base), "url": "\#(url)", "auth": {"type": "bearer", "token": "t\r\nX-Evil: 1"}}"#, "webhook.auth.token"),
            (#"{\#(base), "url": "\#(url)", "content_type": "application/json\r\nX-Evil: 1"}"#, "webhook.content_type"),
            (#"{"tenant": "acme", "name": "a\u0000b", "url": "\#(url)", "events": ["order.created"]}"#, "webhook.name"),
            ("{\(base), \"url\": \"\(url)\", \"headers\": {\((0..<10_000).map { "\"X-H\($0)\": \"v\"" }.joined(separator: ","))}}", "at most 50"),
            ("{\"tenant\": \"acme\", \"name\": ", "not valid JSON"),
        ]
        for (document, expected) in cases {
            let result = try create(document)
            #expect(result.status != 0 && result.err.contains(expected), "expected «\(expected)», got: \(result.err.prefix(300))")
        }
        #expect(try h.count("SELECT count(*) FROM webhooks") == 0, "nothing was saved")
        // Allowed but probably wrong: said when saving.
        let typo = try create(#"{\#(base.replacingOccurrences(of: "order.created", with: "ordr.created")), "url": "\#(url)"}"#,
                              env: ["HERALD_ALLOW_PRIVATE_NETWORKS": "false"])
        #expect(typo.status == 0)
        #expect(typo.err.contains("\"ordr.created\" is not in the event catalog (did you mean order.created?)"), "\(typo.err)")
        #expect(typo.err.contains("127.0.0.1 is a loopback or private address"), "\(typo.err)")
        // show → update, the flow `update --help` points to, keeps the real credentials.
        let created = try create(#"{\#(base), "url": "\#(url)?token=T0K", "auth": {"type": "bearer", "token": "s3cret-token"}}"#)
        let id = try #require(try JSONValue(parsing: created.out)["id"]?.stringValue)
        let shown = try ctl(h, ["webhook", "show", id])
        #expect(!shown.out.contains("s3cret-token") && !shown.out.contains("T0K"), "credentials and URL query values are redacted: \(shown.out)")
        #expect(!(try ctl(h, ["webhook", "list"]).out.contains("T0K")))
        let updated = try ctl(h, ["webhook", "update", id, "--file", "-"], stdin: shown.out.replacingOccurrences(of: "\"X\"", with: "\"Renamed\""))
        #expect(updated.status == 0, "\(updated.err)")
        let secret = try ctl(h, ["webhook", "show", id, "--secrets"])
        #expect(secret.out.contains("s3cret-token") && secret.out.contains("token=T0K") && secret.out.contains("Renamed"), "\(secret.out)")
    }

    @Test("operator traps: CSV formulas stay text, escapes are not printed raw, bad states and dates are named, recover is scoped and can dry-run, a failed test send exits non-zero")
    func operatorTraps() throws {
        let h = try Harness("ctl_traps")
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Failing", "url": "\#(h.receiver.baseURL)/status/500/x", "events": ["order.created"],
             "retry": {"max_retries": 0, "backoff": "fixed", "intervals_s": [1]}}
            """#)
        let other = try h.createWebhook(#"""
            {"tenant": "globex", "name": "Other", "url": "\#(h.receiver.baseURL)/ok/y", "events": ["order.created"]}
            """#)
        let formula = #"=HYPERLINK("http://evil.example/","click")"#
        let escape = "evt_\u{1b}]0;pwned\u{7}\u{1b}[2J"
        for (tenant, eventID, hook) in [("acme", formula, webhook.id), ("acme", escape, webhook.id), ("globex", "evt_g", other.id)] {
            try h.database.execute("INSERT INTO events (tenant_id, id, type, occurred_at, payload) VALUES ($1, $2, 'order.created', now(), '{}')",
                                   [tenant, eventID])
            try h.database.execute("""
                INSERT INTO deliveries (id, tenant_id, event_id, event_type, webhook_id, state, attempts, completed_at)
                VALUES ($1, $2, $3, 'order.created', $4, 'failed', 1, now())
                """, [IDs.make("msg_"), tenant, eventID, hook])
            try h.database.execute("""
                INSERT INTO delivery_attempts (delivery_id, attempt, webhook_id, started_at, duration_ms, succeeded, error)
                SELECT id, 1, webhook_id, now(), 1, false, 'HTTP 500' FROM deliveries WHERE event_id = $1
                """, [eventID])
        }
        let csv = try ctl(h, ["export"])
        #expect(csv.out.contains(#""'=HYPERLINK(""http://evil.example/"",""click"")""#), "the formula is exported as text: \(csv.out)")
        let log = try ctl(h, ["delivery", "log"])
        #expect(!log.out.utf8.contains(0x1B) && !log.out.utf8.contains(0x07), "no raw escape bytes reach the terminal")
        #expect(log.out.contains("\\u{1b}"))
        let badState = try ctl(h, ["delivery", "log", "--state", "bogus"])
        #expect(badState.status != 0 && badState.err.contains("state") && badState.err.contains("succeeded"), "\(badState.err)")
        let badDate = try ctl(h, ["stats", "--from", "yesterday"])
        #expect(badDate.status != 0 && badDate.err.contains("--from") && badDate.err.contains("2026-01-22"), "\(badDate.err)")
        #expect(!badDate.err.contains("SELECT"), "no raw SQL in the message")
        let dry = try ctl(h, ["recover", "--from", "2020-01-01", "--to", "2100-01-01", "--tenant", "acme", "--dry-run"])
        #expect(dry.status == 0 && dry.out.contains("dry run: 2 failed deliveries would be resent"), "\(dry)")
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE state = 'failed'") == 3, "a dry run changes nothing")
        let scoped = try ctl(h, ["recover", "--from", "2020-01-01", "--to", "2100-01-01", "--tenant", "globex"])
        #expect(scoped.out.contains("resent 1 failed deliveries"), "\(scoped)")
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE state = 'failed' AND tenant_id = 'acme'") == 2, "acme's are untouched")
        let filter = try ctl(h, ["filter", "order.total > 100000000", "--event-type", "order.created"])
        #expect(filter.out.contains("evaluates to: false") && !filter.out.contains("noMatch"), "\(filter.out)")
        try h.startWorker { $0.reconcile = false }
        let test = try ctl(h, ["webhook", "test", webhook.id, "--wait", "20"])
        #expect(test.status != 0 && test.err.contains("not accepted"), "a failed test send is a failure: \(test)")
    }

    @Test("herald.dead is bounded; dead list shows the reason; dead redrive resends and empties it")
    func deadLetters() throws {
        let h = try Harness("ctl_dead")
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Once broken", "url": "\#(h.receiver.baseURL)/fail/1/x", "events": ["order.created"],
             "retry": {"max_retries": 0, "backoff": "fixed", "intervals_s": [1]}}
            """#)
        try h.startRouter()
        try h.startWorker { $0.reconcile = false }
        try h.publish([try Harness.event(data: PipelineTests.order)])
        try h.waitUntil("parked") { try h.queueDepth(h.configuration.topology.deadQueue) == 1 }
        let id = try #require(try h.scalar("SELECT id FROM deliveries WHERE state = 'failed'"))
        let list = try ctl(h, ["dead", "list"])
        #expect(list.out.contains(id) && list.out.contains("HTTP 500"), "\(list)")
        let dry = try ctl(h, ["dead", "redrive", "--dry-run"])
        #expect(dry.out.contains("1 parked deliveries would be resent"), "\(dry)")
        #expect(try h.queueDepth(h.configuration.topology.deadQueue) == 1, "a dry run leaves the queue")
        let redrive = try ctl(h, ["dead", "redrive"])
        #expect(redrive.status == 0 && redrive.out.contains("redriven: 1"), "\(redrive)")
        try h.waitUntil("delivered on redrive") { try h.scalar("SELECT state FROM deliveries WHERE id = $1", [id]) == "succeeded" }
        #expect(try h.queueDepth(h.configuration.topology.deadQueue) == 0)

        // The bound: a parking lot keeps the newest messages up to its length.
        var names = TopologyNames(prefix: "\(h.prefix)bounded.")
        names.parkingMaxLength = 3
        let amqp = try AMQPConnection(AMQPConfiguration(url: Harness.amqpURL))
        defer { try? amqp.deleteQueue(names.deadQueue); try? amqp.deleteQueue(names.invalidQueue); amqp.close() }
        try Topology(names: names).declareDeliveries(on: amqp)
        _ = try amqp.publishConfirmed((0..<5).map { i in
            AMQPMessage(exchange: "", routingKey: names.deadQueue, body: Array("m\(i)".utf8), properties: AMQPProperties(persistent: true))
        })
        #expect(try amqp.messageCount(queue: names.deadQueue) == 3)
        try? amqp.deleteQueue("\(h.prefix)bounded.herald.deliver")
    }
}
