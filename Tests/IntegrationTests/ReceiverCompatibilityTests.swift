import Foundation
import Herald
import HeraldTestSupport
import Testing

/// Receivers that already verify signatures their own way keep working when their webhooks move to
/// Herald: the reference documents' own code (run unchanged with python3 and node), independent
/// implementations of GitHub's, Stripe's and Shopify's conventions, and the official Standard
/// Webhooks library all verify real deliveries captured by the test receiver.
@Suite("Receiver compatibility", .serialized)
struct ReceiverCompatibilityTests {
    static let fixtures = Harness.packageRoot.appendingPathComponent("Tests/fixtures/receivers")

    /// Runs a fixture script with `input` as JSON on stdin; returns its JSON array of booleans.
    static func run(_ tool: String, _ script: String, _ input: [[String: Any]]) throws -> [Bool] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, fixtures.appendingPathComponent(script).path]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: input))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let result = try JSONSerialization.jsonObject(with: out) as? [Bool] else {
            throw HarnessError("\(tool) \(script) failed (\(process.terminationStatus)): \(err)")
        }
        return result
    }

    /// Publishes `count` orders and waits until `total` deliveries have succeeded.
    static func deliver(_ h: Harness, count: Int, total: Int) throws {
        try h.publish((0..<count).map { _ in try Harness.event(data: PipelineTests.order) })
        try h.waitUntil("\(total) deliveries succeeded") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == total }
    }

    static func requests(_ h: Harness, path: String) throws -> [Receiver.Request] {
        try h.receiver.requests().filter { $0.path == path }.sorted { $0.at < $1.at }
    }

    @Test("reference 000's Python code, unchanged, verifies erp-hex deliveries (a secret the user entered; with and without the timestamp option)")
    func erpReference() throws {
        let h = try Harness("compat_erp")
        let entered = "erp-partner-secret-2019"
        let shown = "whsec_Zm9yLXRoZS1lcnAtYXMtc2hvd24tdG8tdGhlLXVzZXI="   // the ERP showed whsec_ secrets; its receivers key with the text
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "ERP partner", "url": "\#(h.receiver.baseURL)/ok/erp", "events": ["order.created"],
             "signing": {"scheme": "erp-hex"}, "secrets": ["\#(entered)"]}
            """#)
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "ERP partner, timestamp option", "url": "\#(h.receiver.baseURL)/ok/erp-ts", "events": ["order.created"],
             "signing": {"scheme": "erp-hex", "sign_timestamp": true}, "secrets": ["\#(shown)"]}
            """#)
        try h.startRouter()
        try h.startWorker()
        try Self.deliver(h, count: 3, total: 6)
        let plain = try Self.requests(h, path: "/ok/erp")
        let stamped = try Self.requests(h, path: "/ok/erp-ts")
        #expect(plain.count == 3 && stamped.count == 3)
        #expect(plain.allSatisfy { $0.headers["x-angage-signature"]?.hasPrefix("sha256=") == true && $0.headers["x-angage-timestamp"] == nil })
        #expect(stamped.allSatisfy { $0.headers["x-angage-timestamp"] != nil })
        var cases: [[String: Any]] = plain.map { ["body": $0.body, "signature": $0.headers["x-angage-signature"] ?? "", "secret": entered] }
        cases += stamped.map { ["body": $0.body, "signature": $0.headers["x-angage-signature"] ?? "", "secret": shown,
                                "timestamp": $0.headers["x-angage-timestamp"] ?? ""] }
        #expect(try Self.run("python3", "run_reference_000.py", cases) == Array(repeating: true, count: 6))
        // The check is not vacuous: another secret, or the timestamp left out, fails.
        let wrong = cases.map { c -> [String: Any] in var c = c; c["secret"] = "another-secret"; return c }
        #expect(try Self.run("python3", "run_reference_000.py", wrong) == Array(repeating: false, count: 6))
        let withoutTimestamp = cases.suffix(3).map { c -> [String: Any] in var c = c; c.removeValue(forKey: "timestamp"); return c }
        #expect(try Self.run("python3", "run_reference_000.py", Array(withoutTimestamp)) == [false, false, false])
    }

    @Test("reference 004's Node.js code, unchanged, verifies wms-hex deliveries (bare hex, the secret the user entered)")
    func wmsReference() throws {
        let h = try Harness("compat_wms")
        let entered = "My WMS secret: 7f3a!"
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "WMS partner", "url": "\#(h.receiver.baseURL)/ok/wms", "events": ["order.created"],
             "signing": {"scheme": "wms-hex"}, "secrets": ["\#(entered)"]}
            """#)
        try h.startRouter()
        try h.startWorker()
        try Self.deliver(h, count: 3, total: 3)
        let received = try Self.requests(h, path: "/ok/wms")
        #expect(received.count == 3)
        #expect(received.allSatisfy { ($0.headers["x-smartwms-signature"]?.count ?? 0) == 64 }, "the bare hex digest, no sha256= prefix")
        let cases: [[String: Any]] = received.map { ["body": $0.body, "signature": $0.headers["x-smartwms-signature"] ?? "", "secret": entered] }
        #expect(try Self.run("node", "run_reference_004.js", cases) == [true, true, true])
        let wrong = cases.map { c -> [String: Any] in var c = c; c["secret"] = "My WMS secret: 7f3a?"; return c }
        #expect(try Self.run("node", "run_reference_004.js", wrong) == [false, false, false])
    }

    @Test("GitHub-, Stripe- and Shopify-style presets verify with independent implementations, before, during and after a secret rotation")
    func conventionsThroughRotation() throws {
        let h = try Harness("compat_conventions")
        let schemes = ["github", "stripe", "shopify"]
        let old = "partner-old-secret", new = "partner-new-secret"
        var ids: [String: String] = [:]
        for scheme in schemes {
            ids[scheme] = try h.createWebhook(#"""
                {"tenant": "acme", "name": "\#(scheme) partner", "url": "\#(h.receiver.baseURL)/ok/\#(scheme)", "events": ["order.created"],
                 "signing": {"scheme": "\#(scheme)"}, "secrets": ["\#(old)"]}
                """#).id
        }
        try h.startRouter()
        try h.startWorker()
        let store = try WebhookStore(connection: h.database, masterKey: h.configuration.masterKey)

        /// Whether each scheme's latest delivery verifies with `secret` (independent verifiers).
        func verifies(with secret: String) throws -> [String: Bool] {
            var cases: [[String: Any]] = []
            for scheme in schemes {
                let latest = try #require(try Self.requests(h, path: "/ok/\(scheme)").last)
                cases.append(["scheme": scheme, "body": latest.body, "headers": latest.headers, "secret": secret])
            }
            return Dictionary(uniqueKeysWithValues: zip(schemes, try Self.run("python3", "independent_verifiers.py", cases)))
        }

        try Self.deliver(h, count: 1, total: 3)
        #expect(try verifies(with: old) == ["github": true, "stripe": true, "shopify": true])

        // Rotation with overlap, to a secret the partner chose. Stripe's header lists every live
        // secret; GitHub's and Shopify's hold one signature, by the secret the receiver has, until it expires.
        for scheme in schemes { _ = try store.rotateSecret(id: ids[scheme] ?? "", graceSeconds: 4, secret: new) }
        let rotatedAt = Date()
        Thread.sleep(forTimeInterval: 0.5)   // workers reload on the notification
        try Self.deliver(h, count: 1, total: 6)
        #expect(try verifies(with: old) == ["github": true, "stripe": true, "shopify": true])
        #expect(try verifies(with: new) == ["github": false, "stripe": true, "shopify": false])
        let stripeHeader = try #require(try Self.requests(h, path: "/ok/stripe").last?.headers["stripe-signature"])
        #expect(stripeHeader.split(separator: ",").filter { $0.hasPrefix("v1=") }.count == 2)

        // After the overlap the new secret signs alone.
        Thread.sleep(forTimeInterval: max(0, 4.5 - Date().timeIntervalSince(rotatedAt)))
        try Self.deliver(h, count: 1, total: 9)
        #expect(try verifies(with: new) == ["github": true, "stripe": true, "shopify": true])
        #expect(try verifies(with: old) == ["github": false, "stripe": false, "shopify": false])
    }

    @Test("Standard Webhooks stays the default and verifies with the official library, also beside erp-hex during a migration")
    func standardWebhooksAndMigration() throws {
        let h = try Harness("compat_standard")
        let standard = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Default", "url": "\#(h.receiver.baseURL)/ok/standard", "events": ["order.created"]}
            """#)
        let both = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Migrating", "url": "\#(h.receiver.baseURL)/ok/both", "events": ["order.created"],
             "signing": {"schemes": ["standard-webhooks", "erp-hex"]}}
            """#)
        #expect(standard.secret.hasPrefix("whsec_") && both.secret.hasPrefix("whsec_"))
        try h.startRouter()
        try h.startWorker()
        try Self.deliver(h, count: 2, total: 4)
        let plain = try Self.requests(h, path: "/ok/standard"), migrating = try Self.requests(h, path: "/ok/both")
        #expect(plain.allSatisfy { $0.headers["webhook-signature"]?.hasPrefix("v1,") == true && $0.headers["x-angage-signature"] == nil })
        let official: [[String: Any]] = plain.map { ["scheme": "standard-webhooks", "body": $0.body, "headers": $0.headers, "secret": standard.secret] }
            + migrating.map { ["scheme": "standard-webhooks", "body": $0.body, "headers": $0.headers, "secret": both.secret] }
        #expect(try Self.run("python3", "independent_verifiers.py", official) == [true, true, true, true])
        #expect((plain + migrating).allSatisfy { $0.verified == true }, "the sample receiver's own check agrees")
        let erp: [[String: Any]] = migrating.map { ["body": $0.body, "signature": $0.headers["x-angage-signature"] ?? "", "secret": both.secret] }
        #expect(try Self.run("python3", "run_reference_000.py", erp) == [true, true])
    }

    @Test("Slack and Teams presets: one event of every catalog type is accepted by a Slack- and a Teams-shaped receiver")
    func chatPresets() throws {
        let h = try Harness("compat_chat")
        for preset in ["slack", "teams"] {
            _ = try h.createWebhook(#"""
                {"tenant": "acme", "name": "\#(preset)", "url": "\#(h.receiver.baseURL)/\#(preset)/T000/B000", "preset": "\#(preset)"}
                """#)
        }
        try h.startRouter()
        try h.startWorker()
        let events = try EventCatalog.types.map { type -> Event in
            let sample = try #require(EventCatalog.sampleEvent(for: type))
            return try Harness.event(type, data: try #require(sample["data"]))
        }
        #expect(events.count == 40)
        try h.publish(events)
        let total = events.count * 2
        try h.waitUntil("every event delivered to both", timeout: .seconds(60)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state IN ('succeeded', 'failed', 'retrying')") == total
        }
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == total)
        let slack = try Self.requests(h, path: "/slack/T000/B000")
        #expect(slack.count == 40 && slack.allSatisfy { $0.status == 200 })
        #expect(Set(slack.compactMap { (try? JSONValue(parsing: $0.body))?["text"]?.stringValue }).count == 40, "a different message for each type")
        #expect(try Self.requests(h, path: "/teams/T000/B000").allSatisfy { $0.status == 200 })
    }

    @Test("heraldctl: webhook create --preset --signing --secret, rotate-secret --secret, template preview --preset --all")
    func command() throws {
        let h = try Harness("compat_ctl")
        let ctl = AdminTests()
        let created = try ctl.ctl(h, ["webhook", "create", "--tenant", "acme", "--name", "Slack", "--url", "\(h.receiver.baseURL)/slack/x",
                                      "--preset", "slack", "--signing", "github", "--secret", "the-partners-secret", "--json"])
        #expect(created.status == 0, "\(created.err)")
        #expect(created.out.contains("the-partners-secret"))
        let id = try #require(try JSONValue(parsing: created.out)["id"]?.stringValue)
        let shown = try ctl.ctl(h, ["webhook", "show", id])
        #expect(shown.out.contains("\"preset\" : \"slack\"") && shown.out.contains("github") && !shown.out.contains("the-partners-secret"))
        let refused = try ctl.ctl(h, ["webhook", "create", "--tenant", "acme", "--name", "S", "--url", "\(h.receiver.baseURL)/ok/x",
                                      "--events", "order.created", "--secret", "the-partners-secret"])
        #expect(refused.status != 0 && refused.err.contains("whsec_"), "Standard Webhooks keeps its whsec_ format: \(refused.err)")
        let rotated = try ctl.ctl(h, ["webhook", "rotate-secret", id, "--secret", "next-partner-secret", "--grace", "60", "--json"])
        #expect(rotated.status == 0 && rotated.out.contains("next-partner-secret"), "\(rotated.err)")
        let preview = try ctl.ctl(h, ["template", "preview", "--preset", "slack", "--all"])
        #expect(preview.status == 0 && preview.out.split(separator: "\n").count == 40)
    }
}
