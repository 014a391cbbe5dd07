internal import CLibPQ
import Foundation

/// One PostgreSQL connection over libpq. Blocking: it lives on one thread (not Sendable), like
/// every Herald connection. Values are always parameters, never spliced into SQL.
public final class PostgresConnection {
    private var handle: OpaquePointer?

    /// `postgres://user:pass@host:port/db?…` or `host=… dbname=…`.
    public init(_ conninfo: String) throws(PostgresError) {
        guard let connection = PQconnectdb(conninfo) else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = PostgresConnection.lastError(connection)
            PQfinish(connection)
            let invalid = message.contains("invalid") && (message.contains("URI") || message.contains("option"))
            throw PostgresError(code: invalid ? .invalidConfiguration : .connectionFailed, message: "cannot connect: \(message)")
        }
        handle = connection
    }

    /// Connects, retrying with capped exponential backoff for up to `retryingFor`.
    public static func connect(_ conninfo: String, retryingFor: Duration) throws(PostgresError) -> PostgresConnection {
        let deadline = ContinuousClock.now + retryingFor
        var delay = Duration.milliseconds(100)
        while true {
            do { return try PostgresConnection(conninfo) } catch {
                if error.code == .invalidConfiguration || ContinuousClock.now + delay > deadline { throw error }
                Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    deinit { close() }

    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    public var isConnected: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    public var socketDescriptor: Int32 { handle.map { PQsocket($0) } ?? -1 }

    /// Reconnects in place with the same settings. LISTENs must be issued again.
    public func reset() throws(PostgresError) {
        guard let handle else { throw PostgresError(code: .connectionLost, message: "the connection is closed") }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(code: .connectionFailed, message: "reconnect failed: \(PostgresConnection.lastError(handle))")
        }
    }

    private func connection() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(code: .connectionLost, message: "the connection is closed") }
        return handle
    }

    static func lastError(_ connection: OpaquePointer) -> String {
        guard let message = PQerrorMessage(connection) else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: queries

    /// Runs one statement with parameters; rows are copied out before the result is freed.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) throws(PostgresError) -> PostgresRows {
        let connection = try connection()
        let result = try withParameters(parameters) { values, count in
            PQexecParams(connection, sql, count, nil, values, nil, nil, 0)
        }
        return try consume(result, sql: sql)
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) throws(PostgresError) -> Int {
        try query(sql, parameters).affectedRows
    }

    /// Several statements without parameters, as one simple query (migrations).
    public func simpleQuery(_ sql: String) throws(PostgresError) {
        let connection = try connection()
        var result = PQexec(connection, sql)
        var firstError: PostgresError?
        // PQexec returns the last result; errors abort the rest.
        if let r = result {
            do { _ = try consumeNoClear(r, sql: sql) } catch { firstError = error }
            PQclear(r)
            result = nil
        } else {
            firstError = lostError(sql: sql)
        }
        if let firstError { throw firstError }
    }

    public func prepare(_ name: String, _ sql: String) throws(PostgresError) {
        let connection = try connection()
        _ = try consume(PQprepare(connection, name, sql, 0, nil), sql: sql)
    }

    @discardableResult
    public func queryPrepared(_ name: String, _ parameters: [(any PostgresEncodable)?]) throws(PostgresError) -> PostgresRows {
        let connection = try connection()
        let result = try withParameters(parameters) { values, count in
            PQexecPrepared(connection, name, count, values, nil, nil, 0)
        }
        return try consume(result, sql: "EXECUTE \(name)")
    }

    /// BEGIN … COMMIT around `body`; ROLLBACK and rethrow when it throws.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try query("BEGIN")
        do {
            let value = try body(self)
            try query("COMMIT")
            return value
        } catch {
            if isConnected { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    /// All statements in one round trip (libpq pipeline mode, one sync at the end). On the first
    /// error the rest are skipped by the server, an open transaction is rolled back, and the error
    /// is thrown.
    public func pipeline(_ statements: [(sql: String, parameters: [(any PostgresEncodable)?])]) throws(PostgresError) -> [PostgresRows] {
        let connection = try connection()
        // Nothing is sent when any value cannot be (a NUL byte): no half-sent transaction.
        var encoded: [[String?]] = []
        encoded.reserveCapacity(statements.count)
        for statement in statements { encoded.append(try PostgresConnection.texts(statement.parameters, sql: statement.sql)) }
        guard PQenterPipelineMode(connection) == 1 else {
            throw PostgresError(code: .pipelineFailed, message: "cannot enter pipeline mode: \(PostgresConnection.lastError(connection))")
        }
        var sendError: PostgresError?
        for (statement, texts) in zip(statements, encoded) {
            let sent = withTexts(texts) { values, count in
                PQsendQueryParams(connection, statement.sql, count, nil, values, nil, nil, 0)
            }
            if sent != 1 {
                sendError = PostgresError(code: .connectionLost, message: "sending failed: \(PostgresConnection.lastError(connection))", query: statement.sql)
                break
            }
        }
        if sendError == nil, PQpipelineSync(connection) != 1 {
            sendError = PostgresError(code: .connectionLost, message: "pipeline sync failed: \(PostgresConnection.lastError(connection))")
        }
        if let sendError {
            _ = PQexitPipelineMode(connection)
            throw sendError
        }
        var results: [PostgresRows] = []
        var firstError: PostgresError?
        var index = 0
        let deadline = ContinuousClock.now + PostgresConnection.pipelineResultTimeout
        while true {
            // Never block inside libpq: a server that dies while a pipeline is out can leave
            // PQgetResult waiting forever (seen with an immediate shutdown). Wait on the socket with
            // a deadline instead, and take a closed connection for what it is.
            if let lost = waitForInput(connection, until: deadline) {
                firstError = firstError ?? lost
                break
            }
            guard let result = PQgetResult(connection) else {
                // End of one statement's results.
                index += 1
                if PQstatus(connection) != CONNECTION_OK {
                    firstError = firstError ?? lostError(sql: nil)
                    break
                }
                continue
            }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_SYNC {
                PQclear(result)
                break
            }
            if status == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                results.append(.empty)
                continue
            }
            let sql = index < statements.count ? statements[index].sql : nil
            do { results.append(try consumeNoClear(result, sql: sql)) } catch {
                firstError = firstError ?? error
                results.append(.empty)
            }
            PQclear(result)
        }
        if let firstError, firstError.code == .timeout || firstError.code == .connectionLost || PQstatus(connection) != CONNECTION_OK {
            // Mid-pipeline on a connection that is gone or silent: it cannot be used again.
            close()
            throw PostgresError(code: .connectionLost, message: firstError.message, query: firstError.query)
        }
        _ = PQexitPipelineMode(connection)
        if let firstError {
            if PQtransactionStatus(connection) != PQTRANS_IDLE { _ = try? query("ROLLBACK") }
            throw firstError
        }
        return results
    }

    /// How long a pipeline may wait for its results before the connection is taken for lost.
    public static let pipelineResultTimeout = Duration.seconds(120)

    /// Reads until PQgetResult would not block; an error when the connection closed or the deadline passed.
    private func waitForInput(_ connection: OpaquePointer, until deadline: ContinuousClock.Instant) -> PostgresError? {
        while PQisBusy(connection) == 1 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                return PostgresError(code: .timeout, message: "no answer from the server within \(PostgresConnection.pipelineResultTimeout)")
            }
            var fds = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            let ms = Int32(min(1000, max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            _ = poll(&fds, 1, ms)
            if PQconsumeInput(connection) == 0 || PQstatus(connection) != CONNECTION_OK {
                return lostError(sql: nil)
            }
        }
        return nil
    }

    /// COPY … FROM STDIN in text format. Tabs, newlines and backslashes in values are escaped; nil is NULL.
    public func copyIn(_ copyStatement: String, rows: some Sequence<[String?]>) throws(PostgresError) -> Int {
        let connection = try connection()
        guard let start = PQexec(connection, copyStatement) else { throw lostError(sql: copyStatement) }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            _ = try consumeNoClear(start, sql: copyStatement)
            throw PostgresError(code: .copyFailed, message: "the statement did not start COPY FROM STDIN", query: copyStatement)
        }
        PQclear(start)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var failed = false
        func flush() {
            guard !buffer.isEmpty else { return }
            let ok = buffer.withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { PQputCopyData(connection, $0, Int32(p.count)) }
            }
            if ok != 1 { failed = true }
            buffer.removeAll(keepingCapacity: true)
        }
        for row in rows {
            for (i, value) in row.enumerated() {
                if i > 0 { buffer.append(9) }
                guard let value else { buffer.append(contentsOf: [92, 78]); continue }   // \N
                for c in value.utf8 {
                    switch c {
                    case 92: buffer.append(contentsOf: [92, 92])
                    case 9: buffer.append(contentsOf: [92, 116])
                    case 10: buffer.append(contentsOf: [92, 110])
                    case 13: buffer.append(contentsOf: [92, 114])
                    default: buffer.append(c)
                    }
                }
            }
            buffer.append(10)
            if buffer.count > 1 << 16 { flush() }
            if failed { break }
        }
        flush()
        if PQputCopyEnd(connection, failed ? "client failed" : nil) != 1 { failed = true }
        var copied = 0
        var error: PostgresError?
        while let result = PQgetResult(connection) {
            do { copied = try consumeNoClear(result, sql: copyStatement).affectedRows } catch let e { error = error ?? e }
            PQclear(result)
        }
        if let error { throw PostgresError(code: .copyFailed, sqlState: error.sqlState, message: error.message, detail: error.detail, query: copyStatement) }
        if failed { throw PostgresError(code: .copyFailed, message: "sending COPY data failed: \(PostgresConnection.lastError(connection))", query: copyStatement) }
        return copied
    }

    // MARK: LISTEN / NOTIFY

    public func listen(_ channel: String) throws(PostgresError) { try query("LISTEN \(PostgresConnection.quoteIdentifier(channel))") }
    public func unlisten(_ channel: String) throws(PostgresError) { try query("UNLISTEN \(PostgresConnection.quoteIdentifier(channel))") }
    public func notify(_ channel: String, payload: String) throws(PostgresError) { try query("SELECT pg_notify($1, $2)", [channel, payload]) }

    /// Notifications received within `timeout` (zero: only what already arrived).
    public func notifications(timeout: Duration) throws(PostgresError) -> [PostgresNotification] {
        let connection = try connection()
        var result = drainNotifications(connection)
        if !result.isEmpty { return result }
        let ms = Int32(min(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000, Int64(Int32.max)))
        if ms > 0 {
            var fds = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            _ = Glibc.poll(&fds, 1, ms)
        }
        guard PQconsumeInput(connection) == 1 else {
            throw PostgresError(code: .connectionLost, message: "connection lost while waiting for notifications: \(PostgresConnection.lastError(connection))")
        }
        result = drainNotifications(connection)
        return result
    }

    private func drainNotifications(_ connection: OpaquePointer) -> [PostgresNotification] {
        var result: [PostgresNotification] = []
        while let note = PQnotifies(connection) {
            result.append(PostgresNotification(channel: String(cString: note.pointee.relname), payload: String(cString: note.pointee.extra),
                                               processID: note.pointee.be_pid))
            PQfreemem(note)
        }
        return result
    }

    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: results

    /// Text parameters go to libpq as C strings: a NUL byte would silently cut the value short
    /// (two ids `x\0A` and `x\0B` would become one), so such a value is refused, naming it.
    private static func texts(_ parameters: [(any PostgresEncodable)?], sql: String?) throws(PostgresError) -> [String?] {
        let texts: [String?] = parameters.map { $0?.postgresText }
        for (index, text) in texts.enumerated() {
            guard let text, containsNUL(text) else { continue }
            throw PostgresError(code: .invalidParameter,
                                message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold", query: sql)
        }
        return texts
    }

    private func withParameters<R>(_ parameters: [(any PostgresEncodable)?],
                                   _ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> R) throws(PostgresError) -> R {
        withTexts(try PostgresConnection.texts(parameters, sql: nil), body)
    }

    private func withTexts<R>(_ texts: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = texts.map { $0.flatMap { strdup($0) } }
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0, Int32(texts.count)) }
            } ?? body(nil, 0)
        }
    }

    static func containsNUL(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { buffer in buffer.baseAddress.map { memchr($0, 0, buffer.count) != nil } ?? false }
    }

    private func lostError(sql: String?) -> PostgresError {
        let message = handle.map { PostgresConnection.lastError($0) } ?? "closed"
        return PostgresError(code: .connectionLost, message: "no result: \(message)", query: sql)
    }

    private func consume(_ result: OpaquePointer?, sql: String) throws(PostgresError) -> PostgresRows {
        guard let result else { throw lostError(sql: sql) }
        defer { PQclear(result) }
        return try consumeNoClear(result, sql: sql)
    }

    private func consumeNoClear(_ result: OpaquePointer, sql: String?) throws(PostgresError) -> PostgresRows {
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let rows = Int(PQntuples(result))
            let fields = Int(PQnfields(result))
            var columns: [String] = []
            columns.reserveCapacity(fields)
            for f in 0..<fields { columns.append(String(cString: PQfname(result, Int32(f)))) }
            var cells: [String?] = []
            cells.reserveCapacity(rows * fields)
            for r in 0..<rows {
                for f in 0..<fields {
                    if PQgetisnull(result, Int32(r), Int32(f)) == 1 {
                        cells.append(nil)
                    } else {
                        let length = Int(PQgetlength(result, Int32(r), Int32(f)))
                        let pointer = PQgetvalue(result, Int32(r), Int32(f))
                        cells.append(pointer.map { p in
                            p.withMemoryRebound(to: UInt8.self, capacity: length) { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) }
                        })
                    }
                }
            }
            return PostgresRows(columns: columns, cells: cells, affectedRows: rows)
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            let affected = PQcmdTuples(result).map { Int(String(cString: $0)) ?? 0 } ?? 0
            return PostgresRows(columns: [], cells: [], affectedRows: affected)
        default:
            func field(_ code: Character) -> String? {
                guard let ascii = code.asciiValue, let value = PQresultErrorField(result, Int32(ascii)) else { return nil }
                return String(cString: value)
            }
            let sqlState = field("C")
            let message = field("M") ?? (handle.map { PostgresConnection.lastError($0) } ?? "query failed")
            let lost = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
            throw PostgresError(code: lost ? .connectionLost : .queryFailed, sqlState: sqlState, message: message,
                                detail: field("D"), hint: field("H"), query: sql)
        }
    }
}
