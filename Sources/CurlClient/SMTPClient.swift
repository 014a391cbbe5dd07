internal import CCurl
internal import CHeraldCurlShims

/// Where and how mail goes out: an SMTP server the operator chose (not a tenant), so the address
/// guard does not apply. `smtps://` is TLS from the first byte; `smtp://` with `.starttls` upgrades
/// the connection and refuses to go on without TLS; `.none` sends in the clear (a local relay).
public struct SMTPSettings: Sendable, Equatable {
    public enum Security: String, Sendable, Equatable, CaseIterable {
        case none, starttls, tls
    }

    public var url: String
    public var security: Security
    public var username: String?
    public var password: String?
    public var timeout: Duration
    public var verifyTLS: Bool

    public init(url: String, security: Security? = nil, username: String? = nil, password: String? = nil,
                timeout: Duration = .seconds(30), verifyTLS: Bool = true) {
        self.url = url
        self.security = security ?? (url.lowercased().hasPrefix("smtps://") ? .tls : .none)
        self.username = username
        self.password = password
        self.timeout = timeout
        self.verifyTLS = verifyTLS
    }
}

/// Why a mail was not accepted, in libcurl's words (which carry the server's reply).
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    public var curlCode: Int?
    public var message: String
    public var description: String { message }
}

/// Sends one mail at a time over SMTP with libcurl, blocking: run it on a thread of its own, never
/// on a delivery loop.
public final class SMTPClient {
    private let settings: SMTPSettings
    private let easy: UnsafeMutableRawPointer

    public init(settings: SMTPSettings) throws(SMTPError) {
        let lower = settings.url.lowercased()
        guard lower.hasPrefix("smtp://") || lower.hasPrefix("smtps://") else {
            throw SMTPError(message: "HERALD_SMTP_URL: \(Quoted.text(settings.url)) — must start with smtp:// or smtps://")
        }
        guard !settings.url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw SMTPError(message: "HERALD_SMTP_URL: contains spaces or control characters")
        }
        for value in [settings.username, settings.password].compactMap({ $0 }) where value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw SMTPError(message: "HERALD_SMTP_USER/HERALD_SMTP_PASSWORD: contains control characters")
        }
        guard curlGlobalInit, let easy = curl_easy_init() else { throw SMTPError(message: "libcurl could not be initialised") }
        self.settings = settings
        self.easy = easy
    }

    deinit { curl_easy_cleanup(easy) }

    /// Sends `message` (RFC 5322 bytes, CRLF line ends) from `from` to `to`. Returns when the
    /// server accepted it; throws with the server's reply otherwise. The addresses must already be
    /// checked (`MailMessage.isValidAddress`): they are refused here too if they hold a control byte.
    public func send(from: String, to: String, message: [UInt8]) throws(SMTPError) {
        for address in [from, to] where address.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == 0x3C || $0 == 0x3E }) {
            throw SMTPError(message: "mail address \(Quoted.text(address)) contains spaces, control bytes or angle brackets")
        }
        let upload = Upload(message)
        let context = Unmanaged.passUnretained(upload).toOpaque()
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var recipients: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "<\(to)>")
        defer {
            errorBuffer.deallocate()
            curl_slist_free_all(recipients)
            recipients = nil
        }
        curl_easy_reset(easy)
        _ = herald_curl_easy_setopt_string(easy, CURLOPT_URL, settings.url)
        _ = herald_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, CurlMulti.milliseconds(settings.timeout))
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, min(CurlMulti.milliseconds(settings.timeout), 10_000))
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, settings.verifyTLS ? 1 : 0)
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, settings.verifyTLS ? 2 : 0)
        let useSSL: Int = switch settings.security {
        case .none: Int(CURLUSESSL_NONE.rawValue)
        case .starttls, .tls: Int(CURLUSESSL_ALL.rawValue)
        }
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_USE_SSL, useSSL)
        if let username = settings.username { _ = herald_curl_easy_setopt_string(easy, CURLOPT_USERNAME, username) }
        if let password = settings.password { _ = herald_curl_easy_setopt_string(easy, CURLOPT_PASSWORD, password) }
        _ = herald_curl_easy_setopt_string(easy, CURLOPT_MAIL_FROM, "<\(from)>")
        _ = herald_curl_easy_setopt_slist(easy, CURLOPT_MAIL_RCPT, recipients)
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_UPLOAD, 1)
        _ = herald_curl_easy_setopt_offset(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count))
        _ = herald_curl_easy_setopt_read_callback(easy, curlReadUpload)
        _ = herald_curl_easy_setopt_pointer(easy, CURLOPT_READDATA, context)
        _ = herald_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        let code = withExtendedLifetime(upload) { curl_easy_perform(easy) }
        guard code == CURLE_OK else {
            let detail = errorBuffer.pointee == 0 ? String(cString: curl_easy_strerror(code)) : String(cString: errorBuffer)
            var reply = 0
            _ = herald_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &reply)
            throw SMTPError(curlCode: Int(code.rawValue),
                            message: "\(CurlMulti.redact(settings.url)): \(detail)\(reply > 0 ? " (last reply \(reply))" : "")")
        }
    }
}

/// The bytes of one upload and how far libcurl has read them.
final class Upload {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private func curlReadUpload(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return 0 }
    let upload = Unmanaged<Upload>.fromOpaque(context).takeUnretainedValue()
    let n = min(size * count, upload.bytes.count - upload.offset)
    guard n > 0 else { return 0 }
    upload.bytes.withUnsafeBytes { source in
        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.offset, byteCount: n)
    }
    upload.offset += n
    return n
}

/// Values quoted for an error message: control bytes shown escaped, long ones cut.
enum Quoted {
    static func text(_ value: String) -> String {
        let shown = value.unicodeScalars.prefix(120).map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
        return "\"" + shown.joined() + (value.unicodeScalars.count > 120 ? "…" : "") + "\""
    }
}
