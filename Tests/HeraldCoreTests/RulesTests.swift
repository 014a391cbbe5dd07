import Foundation
import HeraldCore
import Testing

func event(_ data: JSONValue, type: String = "order.created") -> JSONValue {
    .object(JSONObject([("id", "evt_1"), ("type", .string(type)), ("tenant", "acme"), ("occurred_at", "2026-01-22T15:30:00Z"), ("data", data)]))
}

func order(total: JSONValue, source: String, shipMethod: String, status: String = "confirmed") -> JSONValue {
    event(["order": ["id": "ord_1", "total": total, "source": .string(source), "ship_method": .string(shipMethod), "status": .string(status),
                     "tags": ["vip", "b2b"], "items": [["sku": "A", "quantity": 2]], "note": nil],
           "customer": ["email": "ada@example.com", "name": "Ada"]])
}

@Suite("Filters")
struct FilterTests {
    let reference = #"order.total > 100 AND order.source = "Online" AND order.ship_method IN ["Standard", "Express"]"#

    @Test("the reference example behaves exactly as documented")
    func referenceExample() throws {
        let f = try Filter(parsing: reference)
        #expect(f.evaluate(order(total: 150, source: "Online", shipMethod: "Express")) == .match)
        #expect(f.evaluate(order(total: 50, source: "Online", shipMethod: "Express")) == .noMatch)
        #expect(f.evaluate(order(total: 200, source: "Phone", shipMethod: "Standard")) == .noMatch)
        #expect(f.evaluate(order(total: 500, source: "Online", shipMethod: "Ground")) == .noMatch)
        #expect(try Filter(parsing: "order.total > 100").evaluate(order(total: 100.01, source: "", shipMethod: "")) == .match)
        #expect(try Filter(parsing: #"order.status != "draft""#).evaluate(order(total: 1, source: "", shipMethod: "", status: "draft")) == .noMatch)
        #expect(try Filter(parsing: #"order.status != "draft""#).evaluate(order(total: 1, source: "", shipMethod: "")) == .match)
    }

    @Test("every operator", arguments: [
        ("order.total = 150", true), ("order.total == 150.00", true), ("order.total != 150", false), ("order.total <> 151", true),
        ("order.total >= 150", true), ("order.total > 150", false), ("order.total < 150.5", true), ("order.total <= 149.99", false),
        (#"order.source IN ["Online", "Phone"]"#, true), (#"order.source NOT IN ["Online"]"#, false), ("order.total IN [1, 150.0]", true),
        (#"order.tags contains "vip""#, true), (#"order.source contains "nli""#, true), (#"order.tags contains "x""#, false),
        (#"customer.email starts_with "ada@""#, true), (#"customer.email starts_with "bob""#, false),
        ("order.items exists", true), ("order.missing exists", false), ("order.missing NOT exists", true), ("order.note exists", false),
        ("order.note = null", true), ("NOT order.total > 200", true), ("not (order.total > 100 and order.total < 200)", false),
        (#"type = "order.created""#, true), (#"tenant = "acme""#, true), (#"data.order.source = "Online""#, true),
        ("order.items.0.quantity = 2", true), (#"order.total = "150.00""#, true), ("order.total > -1e3", true),
        (#"order.source = 'Online'"#, true), (#"ORDER.SOURCE = "Online""#, false),
    ])
    func operators(expression: String, expected: Bool) throws {
        let f = try Filter(parsing: expression)
        #expect(f.evaluate(order(total: 150, source: "Online", shipMethod: "Express")).matched == expected, "\(expression)")
    }

    @Test("precedence: NOT over AND over OR, parentheses override")
    func precedence() throws {
        let e = order(total: 150, source: "Online", shipMethod: "Express")
        #expect(try Filter(parsing: #"order.total > 1000 AND order.source = "x" OR order.total = 150"#).evaluate(e) == .match)
        #expect(try Filter(parsing: #"order.total > 1000 AND (order.source = "x" OR order.total = 150)"#).evaluate(e) == .noMatch)
        #expect(try Filter(parsing: #"NOT order.total > 1000 AND order.total = 150"#).evaluate(e) == .match)
        #expect(try Filter(parsing: #"a = 1 OR b = 2 AND c = 3"#).description == #"a = 1 OR b = 2 AND c = 3"#)
        #expect(try Filter(parsing: #"(a = 1 OR b = 2) AND c = 3"#).description == #"(a = 1 OR b = 2) AND c = 3"#)
    }

    @Test("decimals: money compares as a person expects; numeric strings compare as numbers with numbers")
    func decimals() throws {
        for (value, expression, expected) in [
            (JSONValue.number(JSONNumber(literal: "100")!), "order.total = 100.00", true),
            (.number(JSONNumber(literal: "100.10")!), "order.total > 100.1", false),
            (.number(JSONNumber(literal: "0.30000000000000004")!), "order.total > 0.3", true),
            (.string("100.00"), "order.total = 100", true),
            (.string("99.5"), "order.total < 100", true),
            (.string("abc"), "order.total > 1", false),
            (.string("2026-02-01"), #"order.total > "2026-01-31""#, true),
            (.number(JSONNumber(literal: "123456789012345678901234567890")!), "order.total > 123456789012345678901234567889", true),
            (.number(JSONNumber(literal: "1e2")!), "order.total = 100", true),
        ] {
            let e = order(total: value, source: "", shipMethod: "")
            #expect(try Filter(parsing: expression).evaluate(e).matched == expected, "\(value) \(expression)")
        }
    }

    @Test("missing fields are false, type mismatches are false and reported")
    func missingAndMismatch() throws {
        let e = order(total: 150, source: "Online", shipMethod: "Express")
        #expect(try Filter(parsing: "order.nothing > 1").evaluate(e) == .noMatch)
        #expect(try Filter(parsing: #"order.nothing != "x""#).evaluate(e) == .noMatch)
        #expect(try Filter(parsing: "deep.a.b.c.d.e = 1").evaluate(e) == .noMatch)
        #expect(try Filter(parsing: "order.items > 3").evaluate(e) == .typeMismatch(path: "order.items"))
        #expect(try Filter(parsing: "order.total starts_with \"1\"").evaluate(e) == .typeMismatch(path: "order.total"))
    }

    @Test("parse errors name the column and what was expected", arguments: [
        ("order.total >> 100", "at column 13: expected a value after '>'"),
        ("", "at column 1: the filter is empty"),
        ("order.total >", "at column 13: expected a value after '>'"),
        ("(order.total > 1", "expected ')'"),
        ("order.total > 1 AND", "expected a field path"),
        (#"order.source = "Online"#, "unterminated string"),
        ("order.total IN 5", "IN needs a list"),
        ("order.total = [1, 2]", "use IN for a list"),
        ("order.total ! 5", "a lone '!'"),
        ("order.total 5", "expected an operator"),
        ("order.total > 1 order.x = 2", "expected AND, OR"),
        ("order.total > 1 $", "unexpected character '$'"),
        ("order.total IN [1, [2]]", "lists cannot be nested"),
    ])
    func parseErrors(source: String, message: String) {
        #expect { try Filter(parsing: source) } throws: { "\($0)".contains(message) }
    }

    @Test("edge values: unicode, empty lists, escapes")
    func edges() throws {
        let e = event(["name": "Zoë 🚀", "list": [], "q": "say \"hi\"\n"])
        #expect(try Filter(parsing: #"name = "Zoë 🚀""#).evaluate(e) == .match)
        #expect(try Filter(parsing: #"name = "Zo\u00eb \u{1F680}""#).evaluate(e) == .match)
        #expect(try Filter(parsing: "name IN []").evaluate(e) == .noMatch)
        #expect(try Filter(parsing: "name NOT IN []").evaluate(e) == .match)
        #expect(try Filter(parsing: #"list contains "x""#).evaluate(e) == .noMatch)
        #expect(try Filter(parsing: #"q = "say \"hi\"\n""#).evaluate(e) == .match)
        #expect(try Filter(parsing: "a = 1 AND b = 2").paths == ["a", "b"])
    }

    @Test("property: parse(print(filter)) evaluates identically on random events")
    func roundTripProperty() throws {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<500 {
            let source = RandomFilter.make(&rng, depth: 3)
            let f = try Filter(parsing: source)
            let again = try Filter(parsing: f.description)
            #expect(again.description == f.description, "\(source)")
            for _ in 0..<5 {
                let e = RandomFilter.event(&rng)
                #expect(f.evaluate(e).matched == again.evaluate(e).matched, "\(source)")
            }
        }
    }

    @Test("speed: evaluating the reference filter (printed, not asserted)")
    func speed() throws {
        let f = try Filter(parsing: reference)
        let e = order(total: 150, source: "Online", shipMethod: "Express")
        let n = 200_000
        let start = ContinuousClock.now
        var matches = 0
        for _ in 0..<n where f.evaluate(e).matched { matches += 1 }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("filter: \(Int(Double(n) / seconds)) evaluations/s (\(String(format: "%.0f", seconds / Double(n) * 1e9)) ns each; debug builds are ~15× slower)")
        #expect(matches == n)
    }
}

enum RandomFilter {
    static let paths = ["order.total", "order.source", "order.status", "a", "b.c"]
    static let strings = ["Online", "Phone", "x", "", "ü"]

    static func value(_ rng: inout SplitMix64) -> String {
        switch rng.below(4) {
        case 0: return String(rng.below(300) - 50)
        case 1: return "\"\(strings[rng.below(strings.count)])\""
        case 2: return "\(rng.below(1000)).\(rng.below(100))"
        default: return ["true", "false", "null"][rng.below(3)]
        }
    }

    static func make(_ rng: inout SplitMix64, depth: Int) -> String {
        if depth == 0 || rng.below(3) == 0 {
            let path = paths[rng.below(paths.count)]
            switch rng.below(6) {
            case 0: return "\(path) IN [\(value(&rng)), \(value(&rng))]"
            case 1: return "\(path) exists"
            case 2: return "\(path) NOT exists"
            default: return "\(path) \(["=", "!=", ">", ">=", "<", "<="][rng.below(6)]) \(value(&rng))"
            }
        }
        switch rng.below(3) {
        case 0: return "(\(make(&rng, depth: depth - 1)) AND \(make(&rng, depth: depth - 1)))"
        case 1: return "\(make(&rng, depth: depth - 1)) OR \(make(&rng, depth: depth - 1))"
        default: return "NOT (\(make(&rng, depth: depth - 1)))"
        }
    }

    static func event(_ rng: inout SplitMix64) -> JSONValue {
        func v() -> JSONValue {
            switch rng.below(4) {
            case 0: return .number(JSONNumber(rng.below(300) - 50))
            case 1: return .string(strings[rng.below(strings.count)])
            case 2: return .null
            default: return .bool(rng.below(2) == 0)
            }
        }
        return HeraldCoreTests.event(["order": ["total": v(), "source": v(), "status": v()], "a": v(), "b": ["c": v()]])
    }
}

@Suite("Templates")
struct TemplateTests {
    /// The order.created template of the reference documentation ("Payload Template").
    static let reference = #"""
        {"event": "{webhook.event}", "timestamp": "{webhook.timestamp}",
         "data": {"order_id": "{order.id}", "order_number": "{order.number}",
                  "customer": {"id": "{customer.id}", "name": "{customer.name}", "email": "{customer.email}"},
                  "items": [{"sku": "{item.sku}", "name": "{item.name}", "quantity": "{item.quantity}", "price": "{item.price}"}],
                  "totals": {"subtotal": "{order.subtotal}", "tax": "{order.tax}", "shipping": "{order.shipping}", "total": "{order.total}"}}}
        """#
    let context = TemplateContext(webhookID: "wh_1", deliveryID: "msg_1", timestamp: "2026-01-22T15:30:00.000Z", eventType: "order.created", attempt: 3)
    let limit = TemplateLimits.defaultMaxRenderedBytes

    @Test("the reference order template renders from the catalog's sample order")
    func referenceTemplate() throws {
        let t = try PayloadTemplate(parsing: Self.reference)
        try t.validate(knownPaths: EventCatalog.fieldPaths(for: "order.created"))
        let sample = try #require(EventCatalog.sampleEvent(for: "order.created"))
        let out = try JSONValue(parsing: t.render(event: sample, context: context, limit: limit))
        let order = try #require(sample["data"]?["order"])
        #expect(out["event"] == "order.created")
        #expect(out["timestamp"] == "2026-01-22T15:30:00.000Z")
        #expect(out["data"]?["order_id"] == order["id"])
        #expect(out["data"]?["customer"]?["email"] == sample["data"]?["customer"]?["email"])
        #expect(out["data"]?["items"]?.arrayValue?.count == order["items"]?.arrayValue?.count)
        #expect(out["data"]?["items"]?[0]?["sku"] == order["items"]?[0]?["sku"])
        #expect(out["data"]?["items"]?[0]?["quantity"] == order["items"]?[0]?["quantity"], "a whole-string placeholder keeps the number type")
        #expect(out["data"]?["totals"]?["total"] == order["total"])
        #expect(t.dependsOnAttempt, "webhook.timestamp is the time of each attempt")
    }

    @Test("both placeholder forms, typed values, interpolation and escaping")
    func forms() throws {
        let e = event(["order": ["id": "o\"1", "total": 12.5, "tags": ["a"], "meta": ["k": "v"], "flag": true], "customer": ["name": "Zoë\n\u{1}"]])
        let t = try PayloadTemplate(parsing: #"""
            {"a": "{order.id}", "b": "{{ order.total }}", "c": "{order.tags}", "d": "{order.meta}", "e": "{order.flag}",
             "f": "Order {order.id} of {customer.name}: {order.total} {order.missing}", "g": "{order.missing}",
             "h": "{webhook.attempt}", "i": "{webhook.id}", "j": "{event.tenant}", "k": "literal {not a placeholder}", "l": 7,
             "m": "{ order.total }", "n": "{data.order.id}", "o": "{id}", "p": "{delivery.id}", "q": "{webhook.delivery_id}"}
            """#)
        let bytes = try t.render(event: e, context: context, limit: limit)
        let out = try JSONValue(parsing: bytes)
        #expect(out["a"] == "o\"1")
        #expect(out["b"] == 12.5)
        #expect(out["c"] == ["a"])
        #expect(out["d"] == ["k": "v"])
        #expect(out["e"] == true)
        #expect(out["f"] == .string("Order o\"1 of Zoë\n\u{1}: 12.5 "))
        #expect(out["g"] == .null)
        #expect(out["h"] == 3)
        #expect(out["i"] == "wh_1", "{webhook.id} is the webhook")
        #expect(out["p"] == "msg_1" && out["q"] == "msg_1", "{delivery.id} and {webhook.delivery_id} are the delivery")
        #expect(out["j"] == "acme")
        #expect(out["k"] == "literal {not a placeholder}")
        #expect(out["l"] == 7)
        #expect(out["m"] == 12.5)
        #expect(out["n"] == "o\"1")
        #expect(out["o"] == "evt_1")
        #expect(t.dependsOnAttempt)
    }

    @Test("unknown variables are refused with a hint; templates that are not JSON name the position")
    func validation() throws {
        let known = EventCatalog.fieldPaths(for: "order.created")
        #expect { try PayloadTemplate(parsing: #"{"x": "{order.totl}"}"#).validate(knownPaths: known) } throws: { error in
            let e = error as? TemplateError
            return e?.variable == "order.totl" && (e?.hint?.contains("{order.total}") ?? false)
        }
        #expect { try PayloadTemplate(parsing: #"{"x": "{webhook.nope}"}"#) } throws: { "\($0)".contains("webhook.nope") }
        #expect { try PayloadTemplate(parsing: #"{"x": "{item.sku}"}"#) } throws: { "\($0)".contains("only available inside") }
        #expect { try PayloadTemplate(parsing: #"{"x": {order.total}}"#) } throws: { "\($0)".contains("column") }
        try PayloadTemplate(parsing: #"{"x": "{order.items.0.sku}", "y": "{item}"}"#.replacingOccurrences(of: ", \"y\": \"{item}\"", with: "")).validate(knownPaths: known)
    }

    @Test("the envelope template is the event itself; empty item lists render []")
    func envelopeAndEmptyItems() throws {
        let e = event(["order": ["id": "1", "items": []]])
        #expect(try JSONValue(parsing: PayloadTemplate.envelope.render(event: e, context: context, limit: limit)) == e)
        let t = try PayloadTemplate(parsing: #"{"items": [{"sku": "{item.sku}"}]}"#)
        #expect(try JSONValue(parsing: t.render(event: e, context: context, limit: limit)) == ["items": []])
    }

    @Test("property: output always parses as JSON, whatever the event holds")
    func alwaysValidJSON() throws {
        let t = try PayloadTemplate(parsing: #"""
            {"a": "{x}", "b": "pre {x} post {y.z}", "c": [{"s": "{item.sku} and {item.name}"}], "d": "{y}"}
            """#)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<1000 {
            let e = event(["x": RandomJSON.make(&rng, depth: 3), "y": ["z": RandomJSON.make(&rng, depth: 2)],
                           "order": ["items": .array((0..<rng.below(3)).map { _ in ["sku": RandomJSON.make(&rng, depth: 1), "name": RandomJSON.make(&rng, depth: 1)] })]])
            let bytes = try t.render(event: e, context: context, limit: limit)
            #expect(throws: Never.self) { try JSONValue(parsing: bytes) }
        }
    }

    @Test("speed: rendering the reference template (printed, not asserted)")
    func speed() throws {
        let t = try PayloadTemplate(parsing: Self.reference)
        let sample = try #require(EventCatalog.sampleEvent(for: "order.created"))
        let n = 50_000
        let start = ContinuousClock.now
        var total = 0
        for _ in 0..<n { total += try t.render(event: sample, context: context, limit: limit).count }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("template: \(Int(Double(n) / seconds)) renders/s of the reference order template")
        #expect(total > 0)
    }
}

enum RandomJSON {
    static let strings = ["", "a", "Zoë 🚀", "quote \" back \\ slash", "ctl \u{0}\u{1}\u{1f}\n\t", "{x}", "\u{2028}", "日本"]

    static func make(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        switch rng.below(depth > 0 ? 7 : 5) {
        case 0: return .null
        case 1: return .bool(rng.below(2) == 0)
        case 2: return .number(JSONNumber(literal: ["0", "-1", "3.25", "1e308", "123456789012345678901234567890", "-0.000001"][rng.below(6)])!)
        case 3, 4: return .string(strings[rng.below(strings.count)])
        case 5: return .array((0..<rng.below(4)).map { _ in make(&rng, depth: depth - 1) })
        default: return .object(JSONObject((0..<rng.below(4)).map { ("k\($0)\(strings[rng.below(strings.count)])", make(&rng, depth: depth - 1)) }))
        }
    }
}

@Suite("JSON")
struct JSONTests {
    @Test("property: parse(serialize(v)) == v for random values")
    func roundTrip() throws {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2000 {
            let v = RandomJSON.make(&rng, depth: 4)
            #expect(try JSONValue(parsing: v.serialized()) == v)
            #expect(try JSONValue(parsing: v.prettySerialized()) == v)
        }
    }

    @Test("errors name line and column; depth is bounded; escapes decode", arguments: [
        ("{\"a\": 1,}", "line 1, column 9"), ("[1 2]", "expected ',' or ']'"), ("{\"a\" 1}", "expected ':'"), ("01", "leading zeros"),
        ("\"abc", "unterminated"), ("[1] x", "unexpected data"), ("tru", "expected true"), ("\"\\x\"", "invalid escape"),
        ("{\n\"a\": [1,\n,2]}", "line 3, column 1"), (String(repeating: "[", count: 600), "nesting deeper"),
    ])
    func errors(input: String, message: String) {
        #expect { try JSONValue(parsing: input) } throws: { "\($0)".contains(message) }
    }

    @Test("unicode escapes, surrogate pairs, and lone surrogates")
    func unicode() throws {
        #expect(try JSONValue(parsing: #""\u00e9\ud83d\ude80\n""#) == "é🚀\n")
        #expect(try JSONValue(parsing: #""\ud83d x""#) == "\u{FFFD} x")
        #expect(try JSONValue(parsing: "\"\u{1F680}\"") == "🚀")
    }
}

@Suite("Catalog")
struct CatalogTests {
    @Test("patterns: exact, prefix and suffix wildcards, everything")
    func patterns() {
        #expect(EventCatalog.matches(pattern: "order.*", type: "order.created"))
        #expect(!EventCatalog.matches(pattern: "order.*", type: "orders.created"))
        #expect(EventCatalog.matches(pattern: "*.created", type: "invoice.created"))
        #expect(EventCatalog.matches(pattern: "*", type: "x.y"))
        #expect(EventCatalog.types(matching: "order.*").count == 7)
        #expect(EventCatalog.validatePattern("order.*") == nil)
        #expect(EventCatalog.validatePattern("custom.thing_happened") == nil)
        #expect(EventCatalog.validatePattern("nothing.*") != nil)
        #expect(EventCatalog.validatePattern("order.*.x") != nil)
        #expect(EventCatalog.validatePattern("Order") != nil)
    }

    @Test("every type has a schema file generated from its sample, and every file is a known type")
    func schemaFiles() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas/events")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".schema.json") }
        #expect(Set(files.map { String($0.dropLast(12)) }) == Set(EventCatalog.types))
        for type in EventCatalog.types {
            let text = try String(contentsOf: dir.appendingPathComponent("\(type).schema.json"), encoding: .utf8)
            #expect(try JSONValue(parsing: text) == EventCatalog.jsonSchema(for: type), "\(type): run heraldctl catalog write-schemas")
        }
    }

    @Test("generated events are deterministic, valid envelopes with totals that add up")
    func generator() throws {
        var a = EventGenerator(seed: 1)
        var b = EventGenerator(seed: 1)
        var types = Set<String>()
        for _ in 0..<10_000 {
            let x = a.next()
            #expect(x == b.next())
            let e = try Event(envelope: x)
            types.insert(e.type)
            if let order = e.data["order"] {
                let items = order["items"]?.arrayValue ?? []
                #expect((1...8).contains(items.count))
                let sum = items.compactMap { $0["total"].flatMap { DecimalValue($0.numberValue?.text ?? "") } }
                let subtotal = items.reduce(0.0) { $0 + ($1["total"]?.doubleValue ?? 0) }
                #expect(sum.count == items.count)
                #expect(abs(subtotal - (order["subtotal"]?.doubleValue ?? -1)) < 0.001)
                let total = (order["subtotal"]?.doubleValue ?? 0) + (order["tax"]?.doubleValue ?? 0) + (order["shipping"]?.doubleValue ?? 0)
                #expect(abs(total - (order["total"]?.doubleValue ?? -1)) < 0.001)
            }
        }
        #expect(types == Set(EventCatalog.types))
        var big = EventGenerator(seed: 2, targetPayloadBytes: 10_000)
        #expect(big.next().serialized().utf8.count >= 10_000)
    }
}
