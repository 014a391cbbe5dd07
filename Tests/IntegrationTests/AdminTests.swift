import Foundation
import Herald
import HeraldTestSupport
import Testing

/// heraldctl as an operator uses it: real executable, real database.
@Suite("heraldctl", .serialized)
struct AdminTests {
    func ctl(_ h: Harness, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let binDir = Bundle.main.bundleURL.deletingLastPathComponent()
        var url = binDir.appendingPathComponent("heraldctl")
        if !FileManager.default.fileExists(atPath: url.path) { url = packageRoot.appendingPathComponent(".build/debug/heraldctl") }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = h.environment(["HERALD_MIGRATIONS_DIR": packageRoot.appendingPathComponent("schemas/migrations").path])
        let input = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = input
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, o, e)
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
}
