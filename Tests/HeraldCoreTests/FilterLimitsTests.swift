import HeraldCore
import Testing

/// Seconds elapsed while running `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The parse error of `source`, or nil when it parses.
func filterError(_ source: String) -> FilterParseError? {
    do {
        _ = try Filter(parsing: source)
        return nil
    } catch {
        return error
    }
}

@Suite("Filter limits")
struct FilterLimitsTests {
    @Test("100,000 AND terms are refused by the parser (the process used to overflow its stack)")
    func hundredThousandTerms() throws {
        let source = Array(repeating: "a = 1", count: 100_000).joined(separator: " AND ")
        var error: FilterParseError?
        let elapsed = seconds { error = filterError(source) }
        let refused = try #require(error)
        #expect(refused.column == FilterLimits.maxSourceBytes + 1)
        #expect(refused.message.contains("\(FilterLimits.maxSourceBytes) bytes"))
        #expect(refused.message.contains("FilterLimits.maxSourceBytes"))
        #expect(elapsed < 1, "\(elapsed) s")
    }

    @Test("30,000 nested parentheses are refused by the parser (it used to overflow its stack)")
    func thirtyThousandParentheses() throws {
        let source = String(repeating: "(", count: 30_000) + "a = 1" + String(repeating: ")", count: 30_000)
        var error: FilterParseError?
        let elapsed = seconds { error = filterError(source) }
        #expect(try #require(error).message.contains("FilterLimits.maxSourceBytes"))
        #expect(elapsed < 1, "\(elapsed) s")
    }

    @Test("more than 256 predicates are refused at the column of the first one too many")
    func predicateLimit() throws {
        let term = "a = 1 AND "   // 10 characters
        let allowed = String(repeating: term, count: FilterLimits.maxPredicates - 1) + "a = 1"
        #expect(filterError(allowed) == nil)
        let refused = try #require(filterError(String(repeating: term, count: FilterLimits.maxPredicates) + "a = 1"))
        #expect(refused.column == FilterLimits.maxPredicates * term.count + 1)
        #expect(refused.message.contains("more than \(FilterLimits.maxPredicates) predicates"))
        #expect(refused.message.contains("FilterLimits.maxPredicates"))
    }

    @Test("nesting past 32 parentheses or NOTs is refused at the column of the first one too deep")
    func nestingLimit() throws {
        let limit = FilterLimits.maxNestingDepth
        func parens(_ n: Int) -> String {
            String(repeating: "(", count: n) + "a = 1" + String(repeating: ")", count: n)
        }
        #expect(filterError(parens(limit)) == nil)
        let tooDeep = try #require(filterError(parens(limit + 1)))
        #expect(tooDeep.column == limit + 1)
        #expect(tooDeep.message.contains("deeper than \(limit) levels"))
        #expect(tooDeep.message.contains("FilterLimits.maxNestingDepth"))
        let deepestNot = try Filter(parsing: String(repeating: "NOT ", count: limit) + "a = 1")
        #expect(deepestNot.description == String(repeating: "NOT ", count: limit) + "a = 1",
                "printing adds no parentheses, so the printed filter stays within the limit")
        let nots = try #require(filterError(String(repeating: "NOT ", count: limit + 1) + "a = 1"))
        #expect(nots.column == limit * 4 + 1)
        let mixed = try #require(filterError(String(repeating: "NOT (", count: limit / 2 + 1) + "a = 1"
                                                 + String(repeating: ")", count: limit / 2 + 1)))
        #expect(mixed.column == limit / 2 * 5 + 1, "the 33rd level is the NOT after 16 'NOT ('")
    }

    @Test("nested lists are refused before the parser recurses into them (16,000 '[' overflowed the stack)")
    func nestedLists() throws {
        let source = "a IN " + String(repeating: "[1, ", count: 4_000)
        #expect(source.utf8.count <= FilterLimits.maxSourceBytes)
        let refused = try #require(filterError(source))
        #expect(refused.message == "lists cannot be nested")
        #expect(refused.column == 10, "the second '['")
        #expect(filterError("a IN " + String(repeating: "[", count: 16_000))?.message == "lists cannot be nested")
    }

    /// 32 levels of nesting, 256 predicates and exactly 16 KiB.
    static func filterAtEveryLimit() -> String {
        let depth = FilterLimits.maxNestingDepth
        var source = String(repeating: "(", count: depth - 1) + "NOT a = 2" + String(repeating: ")", count: depth - 1)
        source += String(repeating: " AND a = 1", count: FilterLimits.maxPredicates - 2)
        source += " AND b != \""
        source += String(repeating: "x", count: FilterLimits.maxSourceBytes - source.utf8.count - 1) + "\""
        return source
    }

    @Test("a filter at exactly every limit parses and evaluates")
    func atTheLimits() throws {
        let source = Self.filterAtEveryLimit()
        #expect(source.utf8.count == FilterLimits.maxSourceBytes)
        let filter = try Filter(parsing: source)
        #expect(filter.evaluate(event(["a": 1, "b": "y"])) == .match)
        #expect(filter.evaluate(event(["a": 2, "b": "y"])) == .noMatch)
        #expect(try Filter(parsing: filter.description).description == filter.description)
        #expect(filterError(source + " ") != nil, "one byte more is refused")
    }

    @Test("a numeric string of 3 MB of spaces and 100 is compared in linear time, and is not a number")
    func hugeNumericString() throws {
        let total = JSONValue.string(String(repeating: " ", count: 3_000_000) + "100")
        let e = order(total: total, source: "", shipMethod: "")
        let filter = try Filter(parsing: "order.total > 100")
        var outcome = FilterOutcome.match
        let elapsed = seconds { outcome = filter.evaluate(e) }
        #expect(!outcome.matched)
        #expect(elapsed < 0.5, "\(elapsed) s")
        let padded = order(total: "  100.0  ", source: "", shipMethod: "")
        #expect(try Filter(parsing: "order.total = 100").evaluate(padded) == .match)
    }

    @Test("numbers longer than 1,000 bytes are not numbers; 1,000 bytes still are")
    func numericTextLimit() throws {
        let limit = FilterLimits.maxNumericTextBytes
        #expect(DecimalValue(String(repeating: "9", count: limit)) != nil)
        #expect(DecimalValue(String(repeating: "9", count: limit + 1)) == nil)
        #expect(DecimalValue(" " + String(repeating: "9", count: limit)) == nil)
        #expect(DecimalValue("1" + String(repeating: "0", count: 999)) == DecimalValue("1e999"))
        let long = String(repeating: "1", count: limit + 1)
        let refused = try #require(filterError("a > \(long)"))
        #expect(refused.message.contains("is not a number"))
        #expect(refused.description.utf8.count < 300, "the number is quoted with a bounded prefix")
    }

    @Test("error messages quote at most a bounded prefix of the input, with control characters escaped")
    func boundedQuoting() throws {
        let word = String(repeating: "z", count: 10_000)
        let refused = try #require(filterError("a = 1 \(word)"))
        #expect(refused.description.utf8.count < 300)
        #expect(refused.description.contains("zzz…' (10000 bytes)"))
        let string = try #require(filterError("a = 1 \"\u{0}\u{1b}" + String(repeating: "y", count: 9_000) + "\""))
        #expect(string.description.contains("\"\\u{0}\\u{1b}yyy"))
        #expect(string.description.utf8.count < 300)
    }
}
