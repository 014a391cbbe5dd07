import CurlClient
import Foundation
import Herald
import HeraldCore
import HeraldTestSupport
import Testing

/// Owners are told by mail (a local SMTP server, aiosmtpd) and by notify_url: once, however many
/// workers saw the cause, with the reason; failed deliveries in one digest.
@Suite("Notifications by mail")
struct NotificationTests {
    static func notifying(_ sink: SMTPSink, digestSeconds: Int = 60) -> (inout WorkerConfiguration) -> Void {
        { config in
            config.notifications.smtp = SMTPSettings(url: sink.url, timeout: .seconds(10))
            config.notifications.from = "herald@example.com"
            config.notifications.digestSeconds = digestSeconds
            config.notifications.pollInterval = .milliseconds(200)
        }
    }

    @Test("410 Gone seen by two workers: exactly one mail, to notify_email, with the reason; notify_url told once")
    func goneMailedOnce() throws {
        let h = try Harness("mail_gone")
        let sink = try SMTPSink()
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Gone", "url": "\#(h.receiver.baseURL)/status/410/x",
             "events": ["order.created"], "notify_email": "ops@example.com", "notify_url": "\#(h.receiver.baseURL)/ok/notify",
             "retry": {"max_retries": 5, "backoff": "fixed", "intervals_s": [1]}}
            """#)
        try h.startRouter()
        try h.startWorker(NotificationTests.notifying(sink))
        try h.startWorker(NotificationTests.notifying(sink))
        try h.publish((0..<20).map { _ in try Harness.event(data: PipelineTests.order) })
        try h.waitUntil("disabled") { try h.scalar("SELECT status FROM webhooks WHERE id = $1", [webhook.id]) == "disabled" }
        try h.waitUntil("a mail arrived") { !sink.mails().isEmpty }
        try h.waitUntil("notify_url told") { try h.receiver.requests().contains { $0.path == "/ok/notify" } }
        Thread.sleep(forTimeInterval: 3)
        let mails = sink.mails()
        #expect(mails.count == 1, "one mail, not one per worker or per delivery: \(mails.map { $0.header("Subject") ?? "" })")
        let mail = try #require(mails.first)
        #expect(mail.to == ["ops@example.com"])
        #expect(mail.from == "herald@example.com")
        #expect(mail.header("Subject")?.contains("disabled") == true)
        #expect(mail.text.contains("410 Gone"), "the reason is in the mail: \(mail.text)")
        #expect(mail.header("X-Herald-Webhook-Id") == webhook.id)
        let notes = try h.receiver.requests().filter { $0.path == "/ok/notify" }
        #expect(notes.count == 1)
        #expect(notes.first?.verified == true, "signed like a delivery")
        #expect(try h.count("SELECT count(*) FROM notifications WHERE done_at IS NOT NULL AND last_error IS NULL") == 1)
    }

    @Test("a webhook that pauses itself: one mail saying why")
    func pauseMailed() throws {
        let h = try Harness("mail_pause")
        let sink = try SMTPSink()
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Broken", "url": "\#(h.receiver.baseURL)/status/500/x", "events": ["order.created"],
             "pause_after_failures": 3, "notify_email": "ops@example.com",
             "retry": {"max_retries": 3, "backoff": "fixed", "intervals_s": [30]}}
            """#)
        try h.startRouter()
        try h.startWorker(NotificationTests.notifying(sink))
        try h.startWorker(NotificationTests.notifying(sink))
        try h.publish((0..<6).map { _ in try Harness.event(data: PipelineTests.order) })
        try h.waitUntil("paused") { try h.scalar("SELECT status FROM webhooks WHERE id = $1", [webhook.id]) == "paused" }
        try h.waitUntil("a mail arrived") { !sink.mails().isEmpty }
        Thread.sleep(forTimeInterval: 2)
        let mails = sink.mails()
        #expect(mails.count == 1)
        #expect(mails.first?.header("Subject") == "[Herald] webhook \"Broken\" paused")
        #expect(mails.first?.text.contains("consecutive failed deliveries") == true)
    }

    @Test("many deliveries failing at once: one digest mail with the count and a few ids")
    func digest() throws {
        let h = try Harness("mail_digest")
        let sink = try SMTPSink()
        let window = 10
        let webhook = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Rejecting", "url": "\#(h.receiver.baseURL)/status/400/x", "events": ["order.created"],
             "notify_email": "ops@example.com", "retry": {"max_retries": 0, "backoff": "fixed", "intervals_s": [1]}}
            """#)
        try h.startRouter()
        try h.startWorker(NotificationTests.notifying(sink, digestSeconds: window))
        try h.startWorker(NotificationTests.notifying(sink, digestSeconds: window))
        // Start right after a window opens, so the whole burst falls into one window.
        while Int(Date().timeIntervalSince1970) % window != 0 { Thread.sleep(forTimeInterval: 0.05) }
        try h.publish((0..<30).map { _ in try Harness.event(data: PipelineTests.order) })
        try h.waitUntil("all failed") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'failed'") == 30 }
        try h.waitUntil("the digest arrived", timeout: .seconds(30)) { !sink.mails().isEmpty }
        Thread.sleep(forTimeInterval: 2)
        let mails = sink.mails()
        #expect(mails.count == 1, "one digest, not 30 mails")
        let mail = try #require(mails.first)
        #expect(mail.header("Subject") == "[Herald] webhook \"Rejecting\": 30 deliveries failed")
        #expect(mail.text.contains("The first 10:"))
        #expect(mail.text.contains("HTTP 400"), "the reason: \(mail.text)")
        let listed = mail.text.split(separator: "\n").filter { $0.hasPrefix("  msg_") }
        #expect(listed.count == 10)
        #expect(try h.count("SELECT count(*) FROM notifications WHERE webhook_id = $1", [webhook.id]) == 1)
    }
}
