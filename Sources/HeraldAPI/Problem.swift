import Herald
import HeraldCore
import HTTPTypes
import Hummingbird
import Logging
import PostgresClient
import AMQP

/// An error answer as RFC 9457 `application/problem+json`: what went wrong for people (`title`,
/// `detail`), and for programs the `field` at fault and, for filters and templates, the `position`.
public struct Problem: Error, HTTPResponseError, Sendable, Encodable {
    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    public var field: String?
    public var position: Int?
    public var headers: HTTPFields = [:]

    enum CodingKeys: String, CodingKey { case type, title, status, detail, field, position }

    public init(_ status: HTTPResponse.Status, _ detail: String, field: String? = nil, position: Int? = nil, title: String? = nil) {
        self.status = status
        self.detail = detail
        self.field = field
        self.position = position
        self.title = title ?? status.reasonPhrase
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("https://herald.dev/problems/\(status.code)", forKey: .type)
        try c.encode(title, forKey: .title)
        try c.encode(Int(status.code), forKey: .status)
        try c.encode(detail, forKey: .detail)
        try c.encodeIfPresent(field, forKey: .field)
        try c.encodeIfPresent(position, forKey: .position)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"herald\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONOut.bytes(self))))
    }

    static func invalid(_ field: String, _ detail: String, position: Int? = nil) -> Problem {
        Problem(.unprocessableContent, detail, field: field, position: position, title: "Invalid input")
    }

    /// The problem an error from the admin layer stands for. Database and broker details are
    /// logged, never sent: a client learns that a server is unavailable, not its SQL.
    static func from(_ error: any Error, logger: Logger) -> Problem {
        switch error {
        case let p as Problem: return p
        case let e as AccessError:
            switch e {
            case .unauthenticated(let m): return Problem(.unauthorized, m)
            case .forbidden(let m): return Problem(.forbidden, m)
            case .notFound: return Problem(.notFound, e.description)
            }
        case let e as AdminInputError: return .invalid(e.field, e.description)
        case let e as InvalidJSON: return Problem(.badRequest, e.description, field: "body")
        case let e as StoreError: return from(store: e, logger: logger)
        case let e as WebhookDocumentError: return from(document: e)
        case let e as EventValidationError: return .invalid(e.field.map { "event.\($0)" } ?? "event", e.description)
        case let e as FilterParseError: return .invalid("filter", "filter: \(e)", position: e.column)
        case let e as TemplateError: return .invalid("template", "template: \(e)")
        case let e as Preview.PreviewError:
            return .invalid(e.description.hasPrefix("event") ? "event" : "template", e.description)
        case let e as PresetAdmin.PresetError: return .invalid("preset", e.description)
        case is BlockingPool.Overloaded: return Problem(.serviceUnavailable, (error as? BlockingPool.Overloaded)?.description ?? "busy")
        case let e as PostgresError:
            if e.sqlState == "23505" { return Problem(.conflict, "it already exists") }
            if e.code == .invalidParameter { return .invalid("body", "text must not contain NUL (\\u0000) characters") }
            logger.error("database error", metadata: ["error": "\(e)"])
            return e.isConnectionLost ? Problem(.serviceUnavailable, "the database is unavailable; retry shortly")
                                      : Problem(.internalServerError, "the database refused the request; the server log has the details")
        case let e as AMQPError:
            logger.error("broker error", metadata: ["error": "\(e)"])
            return Problem(.serviceUnavailable, "the message broker is unavailable; retry shortly")
        default:
            logger.error("unexpected error", metadata: ["error": "\(error)"])
            return Problem(.internalServerError, "unexpected error; the server log has the details")
        }
    }

    static func from(store error: StoreError, logger: Logger) -> Problem {
        switch error {
        case .notFound: return Problem(.notFound, error.description)
        case .document(let e): return from(document: e)
        case .invalid(let message): return .invalid(Problem.field(in: message) ?? "body", message)
        case .database(let e): return from(e, logger: logger)
        case .sealed, .crypto:
            logger.error("secret store error", metadata: ["error": "\(error)"])
            return Problem(.internalServerError, "a stored secret could not be opened; the server log has the details")
        }
    }

    static func from(document error: WebhookDocumentError) -> Problem {
        switch error {
        case .invalid(let e): return .invalid(e.field, e.description)
        case .filter(let e): return .invalid("filter", error.description, position: e.column)
        case .template(let e): return .invalid("payload_template", error.description + (e.variable.map { " (variable \($0))" } ?? ""))
        case .document(let message):
            let field = Problem.field(in: message)
            return Problem(field == nil && message.contains("not valid JSON") ? .badRequest : .unprocessableContent, message,
                           field: field ?? "body", title: "Invalid input")
        }
    }

    /// `webhook.auth.token: …` → `auth.token`.
    static func field(in message: String) -> String? {
        guard let colon = message.firstIndex(of: ":") else { return nil }
        let path = message[..<colon]
        guard path.hasPrefix("webhook."), !path.contains(" ") else { return nil }
        return String(path.dropFirst("webhook.".count))
    }
}
