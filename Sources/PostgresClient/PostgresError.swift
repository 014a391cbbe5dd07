/// A PostgreSQL failure with the server's own words: SQLSTATE, message, detail, hint, and the
/// statement (never its parameter values).
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case connectionFailed, connectionLost, queryFailed, decodingFailed, copyFailed, pipelineFailed, timeout, invalidConfiguration,
             invalidParameter
    }

    public var code: Code
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var query: String?

    public init(code: Code, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil, query: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.query = query.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
    }

    /// True when only a new connection helps (SQLSTATE class 08, or the socket is gone).
    public var isConnectionLost: Bool {
        code == .connectionLost || code == .connectionFailed || (sqlState?.hasPrefix("08") ?? false)
            || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    public var description: String {
        var text = "PostgreSQL"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail { text += " (detail: \(detail))" }
        if let hint { text += " (hint: \(hint))" }
        if let query { text += " — in: \(query.split(separator: "\n").map { $0.trimmingCharacters() }.joined(separator: " "))" }
        return text
    }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
