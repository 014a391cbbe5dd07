import Foundation
import Herald

/// Server-rendered pages: every value written through `esc`, one stylesheet and one script
/// served by herald-api (a Content-Security-Policy forbids inline script).
enum HTML {
    static func esc(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func esc(_ text: String?) -> String { esc(text ?? "") }

    /// A whole page: header with navigation and who is signed in, an optional notice, the content.
    static func page(_ title: String, session: ConsoleSessions.Session?, notice: Notice? = nil, _ content: String) -> String {
        var nav = ""
        if let session {
            let who = session.principal.tenant.map { "tenant \(esc($0))" } ?? "every tenant"
            nav = """
            <nav aria-label="Main">
              <a href="/console/webhooks">Webhooks</a>
              <a href="/console/dead-letters">Dead letters</a>
              <a href="/console/catalog">Event catalog</a>
              <span class="who">\(who) · \(esc(session.principal.role.rawValue))</span>
              <form method="post" action="/console/sign-out" class="inline">\(csrfField(session))<button class="link" type="submit">Sign out</button></form>
            </nav>
            """
        }
        let banner = notice.map { "<div class=\"notice \($0.kind)\" role=\"status\">\($0.html)</div>" } ?? ""
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title)) · Herald</title>
        <link rel="stylesheet" href="/console/static/console.css">
        <script src="/console/static/console.js" defer></script>
        </head>
        <body>
        <header><a class="brand" href="/console/webhooks">Herald</a><span class="crumb">Settings → Webhooks</span>\(nav)</header>
        <main>
        \(banner)
        \(content)
        </main>
        </body>
        </html>
        """
    }

    /// A message above the content: `html` is already escaped.
    struct Notice {
        var kind: String   // ok, error, secret
        var html: String
        static func ok(_ text: String) -> Notice { Notice(kind: "ok", html: esc(text)) }
        static func error(_ text: String) -> Notice { Notice(kind: "error", html: esc(text)) }
    }

    static func csrfField(_ session: ConsoleSessions.Session) -> String {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(esc(session.csrf))\">"
    }

    /// A one-button form posting to `action` (pause, resume, resend, …).
    static func button(_ label: String, action: String, session: ConsoleSessions.Session, confirm: String? = nil, style: String = "") -> String {
        let confirmAttribute = confirm.map { " data-confirm=\"\(esc($0))\"" } ?? ""
        return "<form method=\"post\" action=\"\(esc(action))\" class=\"inline\"\(confirmAttribute)>\(csrfField(session))<button type=\"submit\" class=\"\(style)\">\(esc(label))</button></form>"
    }

    static func table(_ headers: [String], _ rows: [[String]], empty: String = "Nothing here yet.") -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(esc(empty))</p>" }
        let head = headers.map { "<th scope=\"col\">\(esc($0))</th>" }.joined()
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<div class=\"scroll\"><table><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table></div>"
    }

    static func badge(_ status: String, reason: String?) -> String {
        let automatic = status == "disabled" || (reason?.contains("automatically") ?? false)
        let kind = status == "active" ? "green" : automatic ? "red" : "grey"
        let label = status == "paused" && automatic ? "auto-paused" : status
        let title = reason.map { " title=\"\(esc($0))\"" } ?? ""
        return "<span class=\"badge \(kind)\"\(title)>\(esc(label))</span>" + (reason.map { automatic ? "<div class=\"reason\">\(esc($0))</div>" : "" } ?? "")
    }

    static func host(of url: String) -> String { URL(string: url)?.host ?? url }

    static func ms(_ value: Double?) -> String { value.map { String(format: "%.0f ms", $0) } ?? "—" }
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", $0) } ?? "—" }
}

/// An `application/x-www-form-urlencoded` body.
struct FormData {
    var pairs: [(String, String)] = []

    init(_ bytes: [UInt8]) {
        for part in String(decoding: bytes, as: UTF8.self).split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            pairs.append((decode(kv[0]), kv.count > 1 ? decode(kv[1]) : ""))
        }
    }

    subscript(_ key: String) -> String? { pairs.first { $0.0 == key }?.1 }
    func all(_ key: String) -> [String] { pairs.filter { $0.0 == key }.map(\.1) }
    /// A trimmed value, nil when empty.
    func text(_ key: String) -> String? {
        guard let value = self[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}
