/// A filter expression over an event, parsed once, evaluated per event without allocating.
///
/// ```
/// order.total > 100 AND order.source = "Online" AND order.ship_method IN ["Standard", "Express"]
/// ```
/// - Paths: `order.total` reads `data.order.total`; a path that starts with an envelope key
///   (`id`, `type`, `tenant`, `occurred_at`, `data`) reads the envelope. Numeric segments index arrays.
/// - Operators: `=` (`==`), `!=` (`<>`), `>`, `>=`, `<`, `<=`, `IN [..]`, `NOT IN [..]`, `contains`,
///   `starts_with`, `exists`, `NOT exists`, `AND`, `OR`, `NOT`, parentheses. Keywords are
///   case-insensitive. Precedence: NOT binds tighter than AND, AND tighter than OR.
/// - Numbers compare as exact decimals (100 = 100.00). A string that holds a number compares
///   numerically with a number (`"100.00" = 100` is true); two strings compare as text.
/// - A missing field makes a comparison false (`NOT` of it true). A value of the wrong type
///   (`order.items > 3`) is false too, and reported as a type mismatch so it can be counted.
/// - Bounded (`FilterLimits`): at most 16 KiB of text, 256 predicates and 32 levels of parentheses
///   and NOT, refused by the parser with the column; a string or number of more than 1,000 bytes is
///   not a number, so comparing it with one is false.
public struct Filter: Sendable, CustomStringConvertible {
    public let source: String
    let root: FilterNode

    public init(parsing source: String) throws(FilterParseError) {
        self.source = source
        var parser = FilterParser(source)
        root = try parser.parse()
    }

    public var description: String { root.printed(parentPrecedence: 0) }

    public var paths: [String] {
        var result: [String] = []
        root.collectPaths(into: &result)
        return result
    }

    public func evaluate(_ event: JSONValue) -> FilterOutcome {
        var mismatch: String?
        let matched = root.evaluate(event, mismatch: &mismatch)
        if matched { return .match }
        if let mismatch { return .typeMismatch(path: mismatch) }
        return .noMatch
    }
}

public enum FilterOutcome: Sendable, Equatable {
    case match
    case noMatch
    /// No match because a value had another type than the filter compares with.
    case typeMismatch(path: String)

    public var matched: Bool { self == .match }
}

/// "at column 13: expected a value after '>'"; `column` counts characters from 1.
public struct FilterParseError: Error, Sendable, CustomStringConvertible, Equatable {
    public var column: Int
    public var message: String
    public var description: String { "at column \(column): \(message)" }
}

// MARK: - Syntax tree

struct FilterPath: Sendable, Equatable {
    let text: String
    let components: [String]   // resolved against the envelope

    init(_ text: String) {
        self.text = text
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if let first = parts.first, ["id", "type", "tenant", "occurred_at", "data"].contains(first) {
            components = parts
        } else {
            components = ["data"] + parts
        }
    }

    func resolve(_ event: JSONValue) -> JSONValue? { event.value(at: components) }
}

enum FilterLiteral: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(DecimalValue, text: String)
    case string(String, decimal: DecimalValue?)
    case list([FilterLiteral])

    var printed: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(_, let text): text
        case .string(let s, _):
            "\"" + s.unicodeScalars.map { c -> String in
                switch c {
                case "\"": "\\\""
                case "\\": "\\\\"
                case "\n": "\\n"
                case "\t": "\\t"
                case "\r": "\\r"
                default: c.value < 0x20 ? "\\u{\(String(c.value, radix: 16))}" : String(c)
                }
            }.joined() + "\""
        case .list(let items): "[" + items.map(\.printed).joined(separator: ", ") + "]"
        }
    }
}

enum ComparisonOperator: String, Sendable {
    case equal = "=", notEqual = "!=", greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
}

/// AND and OR hold their operands flat, so the tree is as deep as the nesting of parentheses and
/// NOT, which the parser bounds (`FilterLimits.maxNestingDepth`): evaluating, printing and freeing
/// it recurse only that deep.
indirect enum FilterNode: Sendable {
    case and([FilterNode])
    case or([FilterNode])
    case not(FilterNode)
    case compare(FilterPath, ComparisonOperator, FilterLiteral)
    case isIn(FilterPath, [FilterLiteral], negated: Bool)
    case contains(FilterPath, FilterLiteral)
    case startsWith(FilterPath, String)
    case exists(FilterPath, negated: Bool)

    var precedence: Int {
        switch self {
        case .or: 1
        case .and: 2
        case .not: 3
        default: 4
        }
    }

    func printed(parentPrecedence: Int) -> String {
        let text: String
        switch self {
        case .or(let operands): text = operands.map { $0.printed(parentPrecedence: 1) }.joined(separator: " OR ")
        case .and(let operands): text = operands.map { $0.printed(parentPrecedence: 2) }.joined(separator: " AND ")
        // NOT NOT x needs no parentheses: printing adds no nesting the source did not have.
        case .not(let a): text = "NOT \(a.printed(parentPrecedence: 3))"
        case .compare(let p, let op, let v): text = "\(p.text) \(op.rawValue) \(v.printed)"
        case .isIn(let p, let items, let negated):
            text = "\(p.text) \(negated ? "NOT IN" : "IN") \(FilterLiteral.list(items).printed)"
        case .contains(let p, let v): text = "\(p.text) contains \(v.printed)"
        case .startsWith(let p, let s):
            text = "\(p.text) starts_with \(FilterLiteral.string(s, decimal: nil).printed)"
        case .exists(let p, let negated): text = negated ? "\(p.text) NOT exists" : "\(p.text) exists"
        }
        return precedence < parentPrecedence ? "(\(text))" : text
    }

    func collectPaths(into paths: inout [String]) {
        switch self {
        case .and(let operands), .or(let operands):
            for operand in operands { operand.collectPaths(into: &paths) }
        case .not(let a): a.collectPaths(into: &paths)
        case .compare(let p, _, _), .isIn(let p, _, _), .contains(let p, _), .startsWith(let p, _),
             .exists(let p, _):
            if !paths.contains(p.text) { paths.append(p.text) }
        }
    }

    func evaluate(_ event: JSONValue, mismatch: inout String?) -> Bool {
        switch self {
        case .and(let operands):
            for operand in operands where !operand.evaluate(event, mismatch: &mismatch) { return false }
            return true
        case .or(let operands):
            for operand in operands where operand.evaluate(event, mismatch: &mismatch) { return true }
            return false
        case .not(let a):
            var inner: String?
            let result = !a.evaluate(event, mismatch: &inner)
            if !result, let inner { mismatch = mismatch ?? inner }
            return result
        case .compare(let path, let op, let literal):
            guard let value = path.resolve(event) else { return false }
            guard let order = FilterNode.compare(value, literal) else {
                if op == .equal || op == .notEqual {
                    // Different kinds are simply unequal, except object/array which is a mismatch.
                    if case .object = value { mismatch = mismatch ?? path.text; return false }
                    if case .array = value { mismatch = mismatch ?? path.text; return false }
                    return op == .notEqual
                }
                mismatch = mismatch ?? path.text
                return false
            }
            if op != .equal && op != .notEqual && !FilterNode.ordered(value, literal) {
                mismatch = mismatch ?? path.text
                return false
            }
            switch op {
            case .equal: return order == 0
            case .notEqual: return order != 0
            case .greater: return order > 0
            case .greaterOrEqual: return order >= 0
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            }
        case .isIn(let path, let items, let negated):
            guard let value = path.resolve(event) else { return false }
            let found = items.contains { FilterNode.compare(value, $0) == 0 }
            return negated ? !found : found
        case .contains(let path, let literal):
            guard let value = path.resolve(event) else { return false }
            switch value {
            case .string(let s):
                guard case .string(let needle, _) = literal else { mismatch = mismatch ?? path.text; return false }
                return s.contains(needle)
            case .array(let items):
                return items.contains { FilterNode.compare($0, literal) == 0 }
            default:
                mismatch = mismatch ?? path.text
                return false
            }
        case .startsWith(let path, let prefix):
            guard let value = path.resolve(event) else { return false }
            guard case .string(let s) = value else { mismatch = mismatch ?? path.text; return false }
            return s.hasPrefix(prefix)
        case .exists(let path, let negated):
            let present: Bool
            if let value = path.resolve(event), !value.isNull { present = true } else { present = false }
            return negated ? !present : present
        }
    }

    /// -1, 0, 1, or nil when the two cannot be compared.
    static func compare(_ value: JSONValue, _ literal: FilterLiteral) -> Int? {
        switch (value, literal) {
        case (.null, .null): return 0
        case (.bool(let a), .bool(let b)): return a == b ? 0 : (a ? 1 : -1)
        case (.number(let n), .number(let d, _)):
            guard let v = DecimalValue(n.text) else { return nil }
            return v == d ? 0 : (v < d ? -1 : 1)
        case (.number(let n), .string(_, let d?)):
            guard let v = DecimalValue(n.text) else { return nil }
            return v == d ? 0 : (v < d ? -1 : 1)
        case (.string(let s), .number(let d, _)):
            guard let v = DecimalValue(s) else { return nil }
            return v == d ? 0 : (v < d ? -1 : 1)
        case (.string(let a), .string(let b, _)):
            return a == b ? 0 : (a < b ? -1 : 1)
        default:
            return nil
        }
    }

    /// Ordering (<, >) is defined for numbers and for strings, not for booleans or null.
    static func ordered(_ value: JSONValue, _ literal: FilterLiteral) -> Bool {
        switch (value, literal) {
        case (.number, _), (.string, _): return true
        default: return false
        }
    }
}
