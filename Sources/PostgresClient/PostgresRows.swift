/// The rows of one result, copied out of libpq (the result is freed at once).
public struct PostgresRows: Sendable, RandomAccessCollection {
    public let columns: [String]
    public let affectedRows: Int
    let cells: [String?]

    init(columns: [String], cells: [String?], affectedRows: Int) {
        self.columns = columns
        self.cells = cells
        self.affectedRows = affectedRows
    }

    static let empty = PostgresRows(columns: [], cells: [], affectedRows: 0)

    public var startIndex: Int { 0 }
    public var endIndex: Int { columns.isEmpty ? 0 : cells.count / columns.count }
    public subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, index: position) }
}

public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    public subscript(_ column: Int) -> PostgresCell {
        guard column >= 0, column < rows.columns.count else {
            return PostgresCell(column: "#\(column)", text: nil, missing: true)
        }
        return PostgresCell(column: rows.columns[column], text: rows.cells[index * rows.columns.count + column], missing: false)
    }

    public subscript(_ column: String) -> PostgresCell {
        guard let i = rows.columns.firstIndex(of: column) else { return PostgresCell(column: column, text: nil, missing: true) }
        return self[i]
    }
}

public struct PostgresCell: Sendable {
    public let column: String
    public let text: String?
    let missing: Bool

    public var isNull: Bool { text == nil }

    /// Decodes the value; the error names the column, the value and the type.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self) throws(PostgresError) -> T {
        if missing { throw PostgresError(code: .decodingFailed, message: "the result has no column \(column)") }
        guard let text else {
            if let optional = T.self as? any ExpressibleByNilLiteral.Type, let value = optional.init(nilLiteral: ()) as? T { return value }
            throw PostgresError(code: .decodingFailed, message: "column \(column) is NULL, expected \(T.self)")
        }
        do { return try T(postgresText: text) } catch {
            throw PostgresError(code: .decodingFailed, message: "column \(column): \(error.message)")
        }
    }
}

public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var processID: Int32
}
