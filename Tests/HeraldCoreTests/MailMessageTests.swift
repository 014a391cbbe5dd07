import HeraldCore
import Testing

@Suite("Mail composition")
struct MailMessageTests {
    let at: Int64 = 1_795_700_713_000   // 2026-11-26T13:45:13Z, a Thursday

    func message(subject: String = "[Herald] webhook \"Orders\" paused", text: String = "Reason: 3 failures\n",
                 to: String = "ops@example.com") -> MailMessage {
        MailMessage(from: "herald@example.com", to: to, subject: subject, text: text, dateUnixMilliseconds: at,
                    messageID: "ntf_1@herald", headers: [("X-Herald-Webhook-Id", "wh_1")])
    }

    func rendered(_ m: MailMessage) throws -> String { String(decoding: try m.rendered(), as: UTF8.self) }

    @Test("RFC 5322 date in UTC with the weekday")
    func date() {
        #expect(MailMessage.date(unixMilliseconds: at) == "Thu, 26 Nov 2026 13:45:13 +0000")
        #expect(MailMessage.date(unixMilliseconds: 0) == "Thu, 1 Jan 1970 00:00:00 +0000")
        #expect(MailMessage.date(unixMilliseconds: 1_769_095_800_000) == "Thu, 22 Jan 2026 15:30:00 +0000")
    }

    @Test("headers, a blank line, a quoted-printable body, CRLF throughout")
    func layout() throws {
        let text = try rendered(message())
        #expect(text.hasPrefix("Date: Thu, 26 Nov 2026 13:45:13 +0000\r\nFrom: <herald@example.com>\r\nTo: <ops@example.com>\r\n"))
        #expect(text.contains("\r\nSubject: [Herald] webhook \"Orders\" paused\r\n"))
        #expect(text.contains("\r\nMessage-ID: <ntf_1@herald>\r\n"))
        #expect(text.contains("\r\nX-Herald-Webhook-Id: wh_1\r\n\r\nReason: 3 failures\r\n"))
        let bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() where b == 0x0A { #expect(i > 0 && bytes[i - 1] == 0x0D, "bare LF at \(i)") }
    }

    @Test("CR and LF in a tenant's webhook name cannot add a header")
    func headerInjection() throws {
        let text = try rendered(message(subject: "[Herald] webhook \"x\r\nBcc: victim@example.com\" paused"))
        #expect(!text.contains("\r\nBcc:"))
        #expect(text.contains("Subject: [Herald] webhook \"x  Bcc: victim@example.com\" paused\r\n"))
    }

    @Test("non-ASCII subjects become encoded words, folded under 78 characters")
    func encodedWords() throws {
        let subject = "[Herald] webhook \"Aufträge für Müller & Söhne — Lager Nord und Süd, alle Filialen\" paused"
        let text = try rendered(message(subject: subject))
        let line = text.split(separator: "\r\n", omittingEmptySubsequences: false).first { $0.hasPrefix("Subject:") }
        #expect(line?.contains("=?UTF-8?Q?") == true)
        for header in text.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n") {
            #expect(header.utf8.count <= 78, "\(header)")
            #expect(header.utf8.allSatisfy { $0 < 0x80 })
        }
    }

    @Test("addresses are refused with CR, LF, spaces, angle brackets or two @")
    func addresses() {
        #expect(MailMessage.isValidAddress("ops@example.com"))
        for bad in ["ops@example.com\r\nRCPT TO:<x@y>", "a b@example.com", "<ops@example.com>", "a@b@c", "nobody", "@example.com", "ops@"] {
            #expect(!MailMessage.isValidAddress(bad), "\(bad)")
        }
        #expect(throws: MailMessage.Problem.self) { try message(to: "ops@example.com\nBcc: x@y").rendered() }
    }

    @Test("the body is 7-bit, lines at most 76 characters, a leading dot encoded")
    func body() throws {
        let long = String(repeating: "é", count: 100)
        let text = try rendered(message(text: ".\nline one\r\n\(long)\n= sign\u{0}"))
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        #expect(body.hasPrefix("=2E\r\nline one\r\n=C3=A9"))
        #expect(body.contains("=3D sign=00\r\n"))
        for line in body.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76 && line.utf8.allSatisfy { $0 < 0x80 }) }
    }

    @Test("a digest lists the count and the first ids; every notice carries its reason")
    func notices() {
        let digest = Notice(kind: .exhausted, webhookID: "wh_1", webhookName: "Orders", reason: "HTTP 500",
                            count: 25, deliveryIDs: (1...10).map { "dlv_\($0)" }, atUnixMilliseconds: at)
        #expect(digest.subject == "[Herald] webhook \"Orders\": 25 deliveries failed")
        #expect(digest.text.contains("25 deliveries ended failed. The first 10:"))
        #expect(digest.text.contains("  dlv_10\n"))
        #expect(digest.text.contains("Reason: HTTP 500"))
        #expect(digest.json["count"] == .number(JSONNumber(25)))
        let gone = Notice(kind: .disabled, webhookID: "wh_1", webhookName: "Orders", reason: "the endpoint answered 410 Gone",
                          atUnixMilliseconds: at)
        #expect(gone.text.contains("Reason: the endpoint answered 410 Gone"))
        #expect(gone.json["type"] == "webhook.disabled")
        #expect(Notice.Kind.exhausted.windowSeconds(digestSeconds: 30) == 30)
        #expect(Notice.Kind.exhausted.isDigest && !Notice.Kind.paused.isDigest)
    }
}
