/// Recursive descent over the filter grammar:
/// ```
/// or      := and (OR and)*
/// and     := unary (AND unary)*
/// unary   := NOT unary | primary
/// primary := '(' or ')' | path predicate
/// predicate := op value | [NOT] IN list | contains value | starts_with string | [NOT] exists
/// value   := number | string | true | false | null | list
/// ```
struct FilterParser {
    enum Token: Equatable {
        case word(String)          // path or keyword
        case string(String)
        case number(String)
        case op(String)            // = == != <> > >= < <=
        case lparen, rparen, lbracket, rbracket, comma
        case end
    }

    var tokens: [(token: Token, column: Int)] = []
    var position = 0
    let source: String
    /// Parentheses and NOTs open around the current position.
    var depth = 0
    var predicates = 0

    init(_ source: String) { self.source = source }

    mutating func parse() throws(FilterParseError) -> FilterNode {
        let size = source.utf8.count
        guard size <= FilterLimits.maxSourceBytes else {
            throw FilterParseError(column: FilterParser.firstColumn(past: FilterLimits.maxSourceBytes, in: source),
                                   message: "the filter is \(size) bytes long; the limit is "
                                       + "\(FilterLimits.maxSourceBytes) bytes (FilterLimits.maxSourceBytes)")
        }
        tokens = try FilterParser.lex(source)
        guard tokens.first?.token != .end else { throw FilterParseError(column: 1, message: "the filter is empty") }
        let node = try parseOr()
        guard current.token == .end else {
            throw FilterParseError(column: current.column, message: "expected AND, OR or the end of the filter, "
                                       + "found \(describe(current.token))")
        }
        return node
    }

    /// The column (in characters, as the lexer counts) of the first character past `limit` UTF-8 bytes.
    static func firstColumn(past limit: Int, in source: String) -> Int {
        var bytes = 0
        var column = 1
        for character in source {
            bytes += character.utf8.count
            if bytes > limit { break }
            column += 1
        }
        return column
    }

    /// Enters a parenthesis or NOT at `column`, refusing nesting past the limit.
    mutating func enterNesting(at column: Int, _ what: String) throws(FilterParseError) {
        depth += 1
        guard depth <= FilterLimits.maxNestingDepth else {
            throw FilterParseError(column: column, message: "\(what) nests deeper than "
                + "\(FilterLimits.maxNestingDepth) levels of parentheses and NOT (FilterLimits.maxNestingDepth)")
        }
    }

    /// Counts a predicate at `column`, refusing more than the limit.
    mutating func countPredicate(at column: Int) throws(FilterParseError) {
        predicates += 1
        guard predicates <= FilterLimits.maxPredicates else {
            throw FilterParseError(column: column, message: "the filter has more than \(FilterLimits.maxPredicates) "
                + "predicates (FilterLimits.maxPredicates); compare with a list (x IN [...]) or split the webhook")
        }
    }

    var current: (token: Token, column: Int) { tokens[min(position, tokens.count - 1)] }

    func keyword(_ token: Token, _ word: String) -> Bool {
        if case .word(let w) = token { return w.lowercased() == word }
        return false
    }

    func describe(_ token: Token) -> String {
        switch token {
        case .word(let w): Quoted.text(w, quote: "'")
        case .string(let s): "the string \(Quoted.text(s))"
        case .number(let n): "the number \(Quoted.text(n, quote: "'"))"
        case .op(let o): "'\(o)'"
        case .lparen: "'('"
        case .rparen: "')'"
        case .lbracket: "'['"
        case .rbracket: "']'"
        case .comma: "','"
        case .end: "the end of the filter"
        }
    }

    // AND and OR chains are built flat (`a AND b AND c` is one node with three operands), so that a
    // long chain does not make a deep tree.
    mutating func parseOr() throws(FilterParseError) -> FilterNode {
        var operands = [try parseAnd()]
        while keyword(current.token, "or") {
            position += 1
            operands.append(try parseAnd())
        }
        return operands.count == 1 ? operands[0] : .or(operands)
    }

    mutating func parseAnd() throws(FilterParseError) -> FilterNode {
        var operands = [try parseUnary()]
        while keyword(current.token, "and") {
            position += 1
            operands.append(try parseUnary())
        }
        return operands.count == 1 ? operands[0] : .and(operands)
    }

    mutating func parseUnary() throws(FilterParseError) -> FilterNode {
        if keyword(current.token, "not") {
            try enterNesting(at: current.column, "NOT")
            position += 1
            let operand = try parseUnary()
            depth -= 1
            return .not(operand)
        }
        return try parsePrimary()
    }

    static let keywords: Set<String> = ["and", "or", "not", "in", "contains", "starts_with", "exists", "true", "false", "null"]

    // The recursion runs parseOr → parseAnd → parseUnary → parsePrimary → parseOr once per '(' and
    // parseUnary once per NOT. These functions stay small (predicates and error messages are built
    // in functions off that path), so that 32 levels need little stack even in a debug build.
    mutating func parsePrimary() throws(FilterParseError) -> FilterNode {
        guard current.token == .lparen else { return try parsePredicate() }
        let open = current.column
        try enterNesting(at: open, "'('")
        position += 1
        let node = try parseOr()
        guard current.token == .rparen else { throw unclosedParenthesis(openedAt: open) }
        position += 1
        depth -= 1
        return node
    }

    func unclosedParenthesis(openedAt column: Int) -> FilterParseError {
        FilterParseError(column: current.column, message: "expected ')' to close the '(' at column \(column), "
                             + "found \(describe(current.token))")
    }

    /// `path op value`, `path IN [...]`, `path exists`, …
    mutating func parsePredicate() throws(FilterParseError) -> FilterNode {
        let start = current
        guard case .word(let text) = start.token, !FilterParser.keywords.contains(text.lowercased()) else {
            throw FilterParseError(column: start.column,
                                   message: "expected a field path such as order.total, found \(describe(start.token))")
        }
        guard FilterParser.isValidPath(text) else {
            throw FilterParseError(column: start.column,
                                   message: "\(Quoted.text(text, quote: "'")) is not a field path (names joined by dots)")
        }
        try countPredicate(at: start.column)
        let path = FilterPath(text)
        position += 1
        let predicate = current
        switch predicate.token {
        case .op(let symbol):
            position += 1
            let op: ComparisonOperator
            switch symbol {
            case "=", "==": op = .equal
            case "!=", "<>": op = .notEqual
            case ">": op = .greater
            case ">=": op = .greaterOrEqual
            case "<": op = .less
            default: op = .lessOrEqual
            }
            let value = try parseValue(after: "'\(symbol)'", at: predicate.column)
            if case .list = value {
                throw FilterParseError(column: predicate.column, message: "'\(symbol)' compares with one value; use IN for a list")
            }
            return .compare(path, op, value)
        case .word(let w) where w.lowercased() == "in":
            position += 1
            return .isIn(path, try parseList(after: "IN", at: predicate.column), negated: false)
        case .word(let w) where w.lowercased() == "not":
            position += 1
            if keyword(current.token, "in") {
                position += 1
                return .isIn(path, try parseList(after: "NOT IN", at: predicate.column), negated: true)
            }
            if keyword(current.token, "exists") {
                position += 1
                return .exists(path, negated: true)
            }
            throw FilterParseError(column: current.column, message: "expected IN or exists after NOT, found \(describe(current.token))")
        case .word(let w) where w.lowercased() == "contains":
            position += 1
            return .contains(path, try parseValue(after: "contains", at: predicate.column))
        case .word(let w) where w.lowercased() == "starts_with":
            position += 1
            let value = try parseValue(after: "starts_with", at: predicate.column)
            guard case .string(let s, _) = value else {
                throw FilterParseError(column: predicate.column, message: "starts_with needs a string")
            }
            return .startsWith(path, s)
        case .word(let w) where w.lowercased() == "exists":
            position += 1
            return .exists(path, negated: false)
        default:
            throw FilterParseError(column: predicate.column, message: "expected an operator (=, !=, >, >=, <, <=, IN, "
                + "NOT IN, contains, starts_with, exists) after \(Quoted.text(text, quote: "'")), "
                + "found \(describe(predicate.token))")
        }
    }

    mutating func parseList(after what: String, at column: Int) throws(FilterParseError) -> [FilterLiteral] {
        let value = try parseValue(after: what, at: column)
        guard case .list(let items) = value else {
            throw FilterParseError(column: column, message: "\(what) needs a list such as [\"a\", \"b\"]")
        }
        return items
    }

    mutating func parseValue(after what: String, at column: Int) throws(FilterParseError) -> FilterLiteral {
        let token = current
        switch token.token {
        case .string(let s):
            position += 1
            return .string(s, decimal: DecimalValue(s))
        case .number(let n):
            position += 1
            guard let d = DecimalValue(n) else {
                throw FilterParseError(column: token.column, message: "\(Quoted.text(n, quote: "'")) is not a number "
                    + "(at most \(FilterLimits.maxNumericTextBytes) bytes)")
            }
            return .number(d, text: n)
        case .word(let w) where ["true", "false", "null"].contains(w.lowercased()):
            position += 1
            switch w.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return .null
            }
        case .lbracket:
            position += 1
            var items: [FilterLiteral] = []
            if current.token == .rbracket { position += 1; return .list(items) }
            while true {
                // Refused before recursing: `[[[[…` must not nest calls (it used to, once per '[').
                guard current.token != .lbracket else {
                    throw FilterParseError(column: current.column, message: "lists cannot be nested")
                }
                let item = try parseValue(after: items.isEmpty ? "'['" : "','", at: current.column)
                items.append(item)
                if current.token == .comma { position += 1; continue }
                if current.token == .rbracket { position += 1; break }
                throw FilterParseError(column: current.column, message: "expected ',' or ']' in the list, found \(describe(current.token))")
            }
            return .list(items)
        default:
            throw FilterParseError(column: column, message: "expected a value after \(what)")
        }
    }

    static func isValidPath(_ text: String) -> Bool {
        let segments = text.split(separator: ".", omittingEmptySubsequences: false)
        return segments.allSatisfy { !$0.isEmpty }
    }

    static func lex(_ source: String) throws(FilterParseError) -> [(token: Token, column: Int)] {
        let chars = Array(source)
        var tokens: [(token: Token, column: Int)] = []
        var i = 0
        func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." || c == "-" }
        while i < chars.count {
            let c = chars[i]
            let column = i + 1
            if c.isWhitespace { i += 1; continue }
            switch c {
            case "(": tokens.append((.lparen, column)); i += 1
            case ")": tokens.append((.rparen, column)); i += 1
            case "[": tokens.append((.lbracket, column)); i += 1
            case "]": tokens.append((.rbracket, column)); i += 1
            case ",": tokens.append((.comma, column)); i += 1
            case "=", "!", "<", ">":
                var op = String(c)
                if i + 1 < chars.count, chars[i + 1] == "=" || (c == "<" && chars[i + 1] == ">") { op.append(chars[i + 1]) }
                guard op != "!" else { throw FilterParseError(column: column, message: "expected '!=' (a lone '!' is not an operator; use NOT)") }
                tokens.append((.op(op), column))
                i += op.count
            case "\"", "'":
                let quote = c
                var s = ""
                i += 1
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    if d == quote { closed = true; i += 1; break }
                    if d == "\\" {
                        guard i + 1 < chars.count else { break }
                        let e = chars[i + 1]
                        switch e {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        case "r": s.append("\r")
                        case "\\", "\"", "'": s.append(e)
                        case "u":
                            // \u{1F600} or \u00e9
                            var j = i + 2
                            var hex = ""
                            if j < chars.count, chars[j] == "{" {
                                j += 1
                                while j < chars.count, chars[j] != "}" { hex.append(chars[j]); j += 1 }
                                j += 1
                            } else {
                                while j < chars.count, hex.count < 4, chars[j].isHexDigit { hex.append(chars[j]); j += 1 }
                            }
                            guard let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
                                throw FilterParseError(column: i + 1, message: "invalid \\u escape in a string")
                            }
                            s.unicodeScalars.append(scalar)
                            i = j
                            continue
                        default:
                            throw FilterParseError(column: i + 1,
                                                   message: "unknown escape '\\\(Quoted.bare(String(e)))' in a string")
                        }
                        i += 2
                        continue
                    }
                    s.append(d)
                    i += 1
                }
                guard closed else { throw FilterParseError(column: column, message: "unterminated string (missing closing \(quote))") }
                tokens.append((.string(s), column))
            default:
                if c.isNumber || ((c == "-" || c == "+") && i + 1 < chars.count && chars[i + 1].isNumber) {
                    var text = String(c)
                    i += 1
                    while i < chars.count, chars[i].isNumber || chars[i] == "." || chars[i] == "e" || chars[i] == "E"
                            || ((chars[i] == "-" || chars[i] == "+") && (chars[i - 1] == "e" || chars[i - 1] == "E")) {
                        text.append(chars[i])
                        i += 1
                    }
                    if text.first == "+" { text.removeFirst() }
                    tokens.append((.number(text), column))
                } else if c.isLetter || c == "_" {
                    var text = ""
                    while i < chars.count, isWordChar(chars[i]) { text.append(chars[i]); i += 1 }
                    tokens.append((.word(text), column))
                } else {
                    let shown = Quoted.text(String(c), quote: "'")
                    throw FilterParseError(column: column, message: "unexpected character \(shown)")
                }
            }
        }
        tokens.append((.end, chars.count + 1))
        return tokens
    }
}
