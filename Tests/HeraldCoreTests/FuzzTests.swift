import HeraldCore
import Testing

/// Bounded random-input tests: for about 3 seconds per target (HERALD_FUZZ_SECONDS), random and
/// mutated inputs go to the JSON parser, the event envelope, filters and templates on a 512 KiB
/// stack. Refusals are fine; a crash, a hang (an input slower than a second), a broken invariant or
/// an unbounded error message is not. The seed is printed first (HERALD_FUZZ_SEED repeats a run).
@Suite("Fuzz")
struct FuzzTests {
    static let maxIterationSeconds = 1.0
    static let maxMessageBytes = 1_024

    static let envelopes: [[UInt8]] = {
        var generator = EventGenerator(seed: 5)
        let generated = (0..<20).map { _ in generator.next() }
        let samples = EventCatalog.types.compactMap { EventCatalog.sampleEvent(for: $0) }
        return (samples + generated).map { Array($0.serialized().utf8) }
            + [Array(samples[0].prettySerialized().utf8)]
    }()

    static let sampleOrder: JSONValue = EventCatalog.sampleEvent(for: "order.created") ?? .null

    static func check(_ run: FuzzRun) {
        #expect(run.failures.isEmpty, "seed \(run.seed): \(run.failures)")
        #expect(run.slowest < maxIterationSeconds, "seed \(run.seed): an input took \(run.slowest) s")
        #expect(run.iterations > 0)
    }

    /// A refusal is fine when its message stays short.
    static func refusal(_ message: String) -> FuzzVerdict {
        message.utf8.count > maxMessageBytes ? .failed("long message: \(message.prefix(200))…") : .refused
    }

    static func depth(_ value: JSONValue) -> Int {
        switch value {
        case .array(let items): 1 + (items.map(depth).max() ?? 0)
        case .object(let object): 1 + (object.map { depth($0.value) }.max() ?? 0)
        default: 0
        }
    }

    @Test("the JSON parser: refusals or values that round-trip, never deeper than the limit")
    func json() async {
        var rng = SplitMix64(seed: 11)
        let random = (0..<30).map { _ in Array(RandomJSON.make(&rng, depth: 4).serialized().utf8) }
        let run = await FuzzRun.run("json", samples: Self.envelopes + random,
                                    tokens: ["{", "}", "[", "]", ":", ",", "\"", "true", "false", "null", "0", "-1",
                                             "1.5e10", "\"k\":", "\"\\u00e9\"", "\"\\ud83d\\ude80\"", "\\", "01"],
                                    nesting: [("[", "]"), (#"{"a":"#, "}"), (#"[{"k":"#, "}]")]) { input, _ in
            let value: JSONValue
            do throws(JSONParseError) {
                value = try JSONValue(parsing: input)
            } catch {
                return Self.refusal(error.description)
            }
            guard Self.depth(value) <= JSONLimits.maxNestingDepth else { return .failed("deeper than the limit") }
            guard (try? JSONValue(parsing: value.serialized())) == value else { return .failed("no round trip") }
            return .accepted
        }
        Self.check(run)
    }

    @Test("event envelopes: refusals with short messages, or events whose fields keep every bound")
    func events() async {
        let run = await FuzzRun.run("event", samples: Self.envelopes,
                                    tokens: [#""id":"#, #""type":"#, #""tenant":"#, #""occurred_at":"#, #""data":"#,
                                             #""evt_1""#, #""order.created""#, #""acme""#, #""2026-01-22T15:30:00Z""#,
                                             "{", "}", ",", "\"", "\\u0000", "\\n", "null", "[]", "{}"],
                                    nesting: [("[", "]"), (#"{"a":"#, "}")]) { input, _ in
            let event: Event
            do throws(EventValidationError) {
                event = try Event(parsing: input)
            } catch {
                return Self.refusal(error.description)
            }
            if !(1...EventLimits.maxIDBytes).contains(event.id.utf8.count) { return .failed("id length") }
            if event.id.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
                return .failed("control character in id")
            }
            if !EventType.isValid(event.type) || !TenantID.isValid(event.tenant) { return .failed("type or tenant") }
            if event.occurredAt.utf8.count > EventLimits.maxOccurredAtBytes { return .failed("occurred_at length") }
            if event.raw != input { return .failed("raw bytes changed") }
            if event.data.objectValue == nil { return .failed("data is not an object") }
            return .accepted
        }
        Self.check(run)
    }

    @Test("filters: refusals with short messages, or filters within the limits that evaluate and print")
    func filters() async {
        var rng = SplitMix64(seed: 13)
        let written = [
            #"order.total > 100 AND order.source = "Online" AND order.ship_method IN ["Standard", "Express"]"#,
            #"NOT (order.total > 100 AND order.total < 200) OR customer.email starts_with "ada@""#,
            #"order.tags contains "vip" AND order.note NOT exists AND order.items.0.quantity >= 2"#,
            #"type = "order.created" AND tenant = 'acme' AND order.total = "150.00" AND x NOT IN [1, 2.5e3, null]"#,
            FilterLimitsTests.filterAtEveryLimit(),
        ]
        let samples = (written + (0..<30).map { _ in RandomFilter.make(&rng, depth: 4) }).map { Array($0.utf8) }
        let events = [Self.sampleOrder, order(total: 150, source: "Online", shipMethod: "Express")]
        let run = await FuzzRun.run("filter", samples: samples,
                                    tokens: ["AND", "OR", "NOT", "(", ")", "IN", "[", "]", ",", "=", "!=", "<>", ">",
                                             ">=", "<", "<=", "contains", "starts_with", "exists", "\"x\"", "'y'",
                                             "100", "-1e3", "order.total", "a.b.c", "true", "false", "null",
                                             "\"\\u{1F680}\"", "\\", "\"", "order.items.0.sku"],
                                    nesting: [("(", ")"), ("NOT ", ""), ("NOT (", ")")]) { input, mutator in
            let source = String(decoding: input, as: UTF8.self)
            let filter: Filter
            do throws(FilterParseError) {
                filter = try Filter(parsing: source)
            } catch {
                return Self.refusal(error.description)
            }
            if source.utf8.count > FilterLimits.maxSourceBytes { return .failed("accepted a source over the limit") }
            let targets = events + [RandomFilter.event(&mutator.rng)]
            let outcomes = targets.map { filter.evaluate($0) }
            let printed = filter.description
            guard printed.utf8.count <= FilterLimits.maxSourceBytes else { return .accepted }
            guard let again = try? Filter(parsing: printed) else {
                return .failed("printed form does not parse: \(printed.prefix(200))")
            }
            if targets.map({ again.evaluate($0) }) != outcomes { return .failed("printed form evaluates differently") }
            return .accepted
        }
        Self.check(run)
    }

    @Test("templates: refusals with short messages, or output that is JSON within the rendered size limit")
    func templates() async {
        let written = [
            TemplateTests.reference,
            #"{"a": "{x}", "b": "pre {x} post {y.z}", "c": [{"s": "{item.sku} and {item.name}"}], "d": "{y}"}"#,
            #"{"a": "{order.id}", "b": "{{ order.total }}", "h": "{webhook.attempt}", "i": "{webhook.id}", "l": 7}"#,
            #"["{data}", "{data}", {"e": "{event.id} {event.tenant} {webhook.timestamp}"}, "{id}"]"#,
            #"{"items": [{"sku": "{item.sku}", "all": "{data}", "n": "{item}"}]}"#,
        ]
        let limit = 256 * 1024
        let items = JSONValue.array((0..<40).map { _ in ["sku": "A", "name": "\u{0}\"é"] })
        let big = event(["order": ["id": "o1", "items": items],
                         "blob": .string(String(repeating: "x", count: 20_000))])
        let events = [Self.sampleOrder, big]
        let eventBytes = events.map { $0.serialized().utf8.count }.max() ?? 0
        let known = EventCatalog.fieldPaths(for: "order.created")
        let context = TemplateContext(webhookID: "wh_1", deliveryID: "msg_1", timestamp: "2026-01-22T15:30:00.000Z",
                                      eventType: "order.created", attempt: 2)
        let run = await FuzzRun.run("template", samples: written.map { Array($0.utf8) },
                                    tokens: ["{", "}", "[", "]", ":", ",", "\"{data}\"", "\"{item.sku}\"",
                                             "\"{order.id}\"", "\"{{ order.total }}\"", "\"{webhook.attempt}\"",
                                             "\"{event.id}\"", "\"{item}\"",
                                             "\"x {data} y\"", "{{", "}}", "\"", "\"{webhook.nope}\"", "\"{a..b}\""],
                                    nesting: [("[", "]"), (#"{"a":"#, "}"), (#"[{"s":"#, "}]")]) { input, mutator in
            let template: PayloadTemplate
            do throws(TemplateError) {
                template = try PayloadTemplate(parsing: String(decoding: input, as: UTF8.self))
            } catch {
                return Self.refusal(error.description)
            }
            do throws(TemplateError) {
                try template.validate(knownPaths: known)
            } catch {
                if case .failed(let why) = Self.refusal(error.description) { return .failed(why) }
            }
            if input.count > TemplateLimits.maxSourceBytes { return .failed("accepted a source over the limit") }
            let e = events[mutator.below(events.count)]
            do throws(TemplateRenderError) {
                let bytes = try template.render(event: e, context: context, limit: limit)
                if bytes.count > limit { return .failed("output over the limit") }
                if (try? JSONValue(parsing: bytes)) == nil { return .failed("output is not JSON") }
            } catch {
                if error.renderedBytes <= limit { return .failed("refused under the limit") }
                if error.renderedBytes > limit + 6 * eventBytes + TemplateLimits.maxSourceBytes {
                    return .failed("rendered \(error.renderedBytes) bytes before stopping")
                }
            }
            return .accepted
        }
        Self.check(run)
    }
}
