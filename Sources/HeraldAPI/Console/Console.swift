import Foundation
import Herald
import HeraldCore
import HeraldCrypto
import HTTPTypes
import Hummingbird

/// The web console: the ERP's Settings → Webhooks screens, served at /console by herald-api over
/// the same admin layer as the REST API and heraldctl. Sign-in with an API token; a session cookie
/// (HttpOnly, SameSite=Strict, Secure behind HTTPS); a CSRF token on every form and state-changing
/// request; a Content-Security-Policy that allows no inline script.
extension APIServer {
    static let sessionCookie = "herald_session"
    static let loginCSRFCookie = "herald_login_csrf"

    func addConsoleRoutes(_ router: Hummingbird.Router<APIRequestContext>) {
        router.get("/") { _, _ in Self.redirect("/console/webhooks") }
        router.get("/console") { _, _ in Self.redirect("/console/webhooks") }
        router.get("/console/static/console.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: ConsoleAssets.css)))
        }
        router.get("/console/static/console.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: ConsoleAssets.js)))
        }
        router.get("/console/sign-in") { request, _ in
            let csrf = Hex.encode((try? SecureRandom.bytes(16)) ?? [])
            return Self.html(HTML.page("Sign in", session: nil, Self.signInForm(csrf: csrf, error: nil)), status: .ok,
                             cookies: ["\(Self.loginCSRFCookie)=\(csrf); Path=/console; HttpOnly; SameSite=Strict\(Self.secure(request))"])
        }
        router.post("/console/sign-in") { request, _ in
            var request = request
            let form = FormData(try await request.bodyBytes(limit: 16_384))
            let cookie = Self.cookie(request, Self.loginCSRFCookie) ?? ""
            guard !cookie.isEmpty, constantTimeEquals(Array(cookie.utf8), Array((form["_csrf"] ?? "").utf8)) else {
                return Self.html(HTML.page("Sign in", session: nil, Self.signInForm(csrf: cookie, error: "The form expired; please try again.")),
                                 status: .forbidden)
            }
            let token = form.text("token") ?? ""
            do {
                let created = try await pool.run { c in try ConsoleSessions(connection: c.database()).create(token: token) }
                return Response(status: .seeOther, headers: [
                    .location: "/console/webhooks",
                    .setCookie: "\(Self.sessionCookie)=\(created.id); Path=/; HttpOnly; SameSite=Strict; Max-Age=43200\(Self.secure(request))",
                ])
            } catch {
                let message = (error as? AccessError)?.description ?? "Sign-in failed: the server could not check the token."
                return Self.html(HTML.page("Sign in", session: nil, Self.signInForm(csrf: cookie, error: message)), status: .unauthorized)
            }
        }
        router.post("/console/sign-out") { request, context in
            await consolePost(request, context) { _, _ in
                if let id = Self.cookie(request, Self.sessionCookie) { _ = try? await pool.run { c in try ConsoleSessions(connection: c.database()).delete(id) } }
                return Response(status: .seeOther, headers: [
                    .location: "/console/sign-in", .setCookie: "\(Self.sessionCookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
                ])
            }
        }
        addConsolePages(router)
        addConsoleForms(router)
    }

    // MARK: - infrastructure

    static func signInForm(csrf: String, error: String?) -> String {
        let message = error.map { "<div class=\"notice error\" role=\"alert\">\(HTML.esc($0))</div>" } ?? ""
        return """
        <section class="card narrow">
        <h1>Sign in</h1>
        <p>Sign in with an API token of your tenant. An administrator creates one with
        <code>heraldctl token create --tenant TENANT --role admin</code> (or <code>--role viewer</code> to look only).</p>
        \(message)
        <form method="post" action="/console/sign-in">
        <input type="hidden" name="_csrf" value="\(HTML.esc(csrf))">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" required placeholder="hrld_…">
        <button type="submit" class="primary">Sign in</button>
        </form>
        </section>
        """
    }

    static func secure(_ request: Request) -> String {
        request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" || request.uri.scheme?.rawValue == "https" ? "; Secure" : ""
    }

    static func cookie(_ request: Request, _ name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0] == name { return String(kv[1]) }
            }
        }
        return nil
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    static func html(_ body: String, status: HTTPResponse.Status = .ok, cookies: [String] = []) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func redirect(_ location: String) -> Response { Response(status: .seeOther, headers: [.location: location]) }

    func session(_ request: Request) async throws -> ConsoleSessions.Session? {
        guard let id = Self.cookie(request, Self.sessionCookie) else { return nil }
        return try await pool.run { c in try ConsoleSessions(connection: c.database()).find(id) }
    }

    /// A page for a signed-in person (else the sign-in page); errors become an error page.
    func consolePage(_ request: Request, _ context: APIRequestContext,
                     _ body: (ConsoleSessions.Session) async throws -> Response) async -> Response {
        do {
            guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
            do { return try await body(session) } catch { return errorPage(error, session: session, context: context) }
        } catch {
            return errorPage(error, session: nil, context: context)
        }
    }

    /// A form post: signed in, and carrying this session's CSRF token (else 403, nothing done).
    func consolePost(_ request: Request, _ context: APIRequestContext,
                     _ body: (ConsoleSessions.Session, FormData) async throws -> Response) async -> Response {
        var request = request
        return await consolePage(request, context) { session in
            let form = FormData(try await request.bodyBytes(limit: configuration.maxBodyBytes))
            guard constantTimeEquals(Array(session.csrf.utf8), Array((form["_csrf"] ?? request.headers[HTTPField.Name("X-CSRF-Token")!] ?? "").utf8)) else {
                throw Problem(.forbidden, "This form is missing its security token (CSRF); reload the page and try again.")
            }
            return try await body(session, form)
        }
    }

    func errorPage(_ error: any Error, session: ConsoleSessions.Session?, context: APIRequestContext) -> Response {
        let problem = Problem.from(error, logger: context.logger)
        let content = """
        <section class="card">
        <h1>\(HTML.esc(problem.title))</h1>
        <p>\(HTML.esc(problem.detail))</p>
        <p><a href="/console/webhooks">Back to the webhooks</a></p>
        </section>
        """
        return Self.html(HTML.page(problem.title, session: session, content), status: problem.status)
    }

    /// Admin work for the signed-in principal, on the pool.
    func work<T: Sendable>(_ session: ConsoleSessions.Session, _ body: @escaping @Sendable (AdminContext, Principal) throws -> T) async throws -> T {
        let who = session.principal
        return try await pool.run { try body($0, who) }
    }
}
