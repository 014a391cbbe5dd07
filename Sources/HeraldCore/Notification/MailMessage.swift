/// A plain-text mail as RFC 5322 bytes, built without I/O. Everything that reaches a header may
/// come from a tenant (a webhook's name, its notify_email), so header values are checked as bytes:
/// addresses with CR, LF, NUL, spaces or angle brackets are refused, other values have every
/// control byte replaced and non-ASCII text encoded (RFC 2047), so nothing can end a header early
/// or add one. The body is quoted-printable: 7-bit, lines under 78 characters, CRLF line ends.
public struct MailMessage: Sendable, Equatable {
    public var from: String
    public var to: String
    public var subject: String
    public var text: String
    public var dateUnixMilliseconds: Int64
    /// Without angle brackets, e.g. `ntf_01J…@herald`.
    public var messageID: String
    /// Extra headers (name, value), e.g. `X-Herald-Webhook-Id`.
    public var headers: [(name: String, value: String)]

    public init(from: String, to: String, subject: String, text: String, dateUnixMilliseconds: Int64, messageID: String,
                headers: [(name: String, value: String)] = []) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.dateUnixMilliseconds = dateUnixMilliseconds
        self.messageID = messageID
        self.headers = headers
    }

    public static func == (a: MailMessage, b: MailMessage) -> Bool {
        a.from == b.from && a.to == b.to && a.subject == b.subject && a.text == b.text && a.messageID == b.messageID
            && a.dateUnixMilliseconds == b.dateUnixMilliseconds && a.headers.elementsEqual(b.headers) { $0 == $1 }
    }

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case invalidAddress(field: String, value: String)
        public var description: String {
            switch self {
            case .invalidAddress(let field, let value):
                "\(field): \(Quoted.bare(value)) — must be one address such as ops@example.com (no spaces, control bytes or angle brackets)"
            }
        }
    }

    /// One bare address (`local@domain`), checked byte by byte: what goes into `MAIL FROM`,
    /// `RCPT TO` and the `From`/`To` headers.
    public static func isValidAddress(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count >= 3, bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")),
              at > 0, at < bytes.count - 1 else { return false }
        let forbidden = Set("<>()[],;:\\\" ".utf8)
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && !forbidden.contains($0) }
            && bytes.filter { $0 == UInt8(ascii: "@") }.count == 1
    }

    /// The message as sent: headers, a blank line, the quoted-printable body; CRLF throughout.
    public func rendered() throws(Problem) -> [UInt8] {
        guard MailMessage.isValidAddress(from) else { throw .invalidAddress(field: "from", value: from) }
        guard MailMessage.isValidAddress(to) else { throw .invalidAddress(field: "to", value: to) }
        var lines = [
            "Date: \(MailMessage.date(unixMilliseconds: dateUnixMilliseconds))",
            "From: <\(from)>",
            "To: <\(to)>",
            "Subject: \(MailMessage.encodedWords(subject))",
            "Message-ID: <\(MailMessage.headerText(messageID).filter { $0 != "<" && $0 != ">" && $0 != " " })>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "Auto-Submitted: auto-generated",
        ]
        for header in headers where HeraldHeaderName.isToken(header.name) {
            lines.append("\(header.name): \(MailMessage.encodedWords(header.value))")
        }
        var out = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        out += MailMessage.quotedPrintable(text)
        return out
    }

    /// A header value with every control byte (CR, LF, NUL, …) replaced by a space.
    public static func headerText(_ value: String) -> String {
        String(decoding: value.utf8.map { $0 < 0x20 || $0 == 0x7F ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Printable ASCII stays as it is; anything else becomes RFC 2047 Q-encoded words, folded so no
    /// header line passes 78 characters.
    public static func encodedWords(_ value: String) -> String {
        let bytes = Array(headerText(value).utf8.prefix(900))
        if bytes.allSatisfy({ $0 < 0x7F }) && bytes.count <= 900 && !bytes.contains(where: { $0 == UInt8(ascii: "=") }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var words: [String] = []
        var current = ""
        var i = 0
        while i < bytes.count {
            // A UTF-8 sequence is never split across two words.
            var length = 1
            if bytes[i] >= 0xF0 { length = 4 } else if bytes[i] >= 0xE0 { length = 3 } else if bytes[i] >= 0xC0 { length = 2 }
            let piece = bytes[i..<min(i + length, bytes.count)].map { byte -> String in
                if byte == 0x20 { return "_" }
                let safe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                return safe ? String(UnicodeScalar(byte)) : "=" + hex(byte)
            }.joined()
            if current.utf8.count + piece.utf8.count > 48 {
                words.append(current)
                current = ""
            }
            current += piece
            i += length
        }
        if !current.isEmpty { words.append(current) }
        return words.map { "=?UTF-8?Q?\($0)?=" }.joined(separator: "\r\n ")
    }

    /// RFC 2045 quoted-printable with CRLF line ends; a line starting with "." is encoded so it can
    /// never end the SMTP DATA early, whatever the client does.
    public static func quotedPrintable(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        let normalized = text.replacingLineEnds()
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            var column = 0
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                var encoded: [UInt8]
                if (byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !last) {
                    encoded = [byte]
                } else {
                    encoded = Array("=\(hex(byte))".utf8)
                }
                if index == 0 && byte == UInt8(ascii: ".") { encoded = Array("=2E".utf8) }
                if column + encoded.count > 75 {
                    out += Array("=\r\n".utf8)
                    column = 0
                }
                out += encoded
                column += encoded.count
            }
            out += [0x0D, 0x0A]
        }
        return out
    }

    /// RFC 5322 date in UTC: `Thu, 26 Nov 2026 13:45:13 +0000`.
    public static func date(unixMilliseconds ms: Int64) -> String {
        let iso = Array(Timestamp.iso8601(unixMilliseconds: ms, fractional: false).utf8)   // 2026-11-26T13:45:13Z
        func field(_ range: Range<Int>) -> String { String(decoding: iso[range], as: UTF8.self) }
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let weekday = Int(((days % 7) + 7 + 4) % 7)   // 1970-01-01 was a Thursday
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let month = months[max(0, min(11, (Int(field(5..<7)) ?? 1) - 1))]
        let day = Int(field(8..<10)) ?? 1
        return "\(names[weekday]), \(day) \(month) \(field(0..<4)) \(field(11..<19)) +0000"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}

/// Header names in a mail follow the same token rule as in HTTP.
enum HeraldHeaderName {
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 76 && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
    }
}

extension String {
    /// CRLF and lone CR become LF.
    func replacingLineEnds() -> String {
        var out: [UInt8] = []
        var previousCR = false
        for byte in utf8 {
            if byte == 0x0D { out.append(0x0A); previousCR = true; continue }
            if byte == 0x0A && previousCR { previousCR = false; continue }
            previousCR = false
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
