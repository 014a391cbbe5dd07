import Foundation
import HeraldCore
import Testing

/// Runs `body` on a new thread with a stack of `stackSize` bytes and returns its result.
func onThread<T: Sendable>(stackSize: Int, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.stackSize = stackSize
        thread.start()
    }
}

@Suite("Depth on a small stack")
struct StackDepthTests {
    static let smallStack = 512 * 1024
    static let depth = JSONLimits.maxNestingDepth

    /// `{"a":{"a":…1…}}` with `levels` objects, or `[[…]]` with `levels` arrays.
    static func nested(_ levels: Int, objects: Bool) -> String {
        objects ? String(repeating: #"{"a":"#, count: levels) + "1" + String(repeating: "}", count: levels)
            : String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
    }

    /// Parses, writes, pretty-prints, compares, walks and drops `text` on the current thread.
    static func exercise(_ text: String, levels: Int) -> [String] {
        var failures: [String] = []
        do {
            var value: JSONValue? = try JSONValue(parsing: text)
            var copy: JSONValue? = try JSONValue(parsing: text)
            if value?.serialized() != text { failures.append("write") }
            if let pretty = value?.prettySerialized(), (try? JSONValue(parsing: pretty)) != value {
                failures.append("pretty")
            }
            if value != copy { failures.append("==") }
            if value?.value(at: Array(repeating: "a", count: levels - 1)) == nil, text.hasPrefix("{") {
                failures.append("value(at:)")
            }
            value = nil
            copy = nil
        } catch {
            failures.append("parse: \(error)")
        }
        return failures
    }

    @Test("JSON at the maximum depth parses, writes, compares and is freed on a 512 KiB thread stack")
    func jsonAtMaxDepth() async {
        let failures = await onThread(stackSize: Self.smallStack) {
            Self.exercise(Self.nested(Self.depth, objects: true), levels: Self.depth)
                + Self.exercise(Self.nested(Self.depth, objects: false), levels: Self.depth)
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: Self.nested(Self.depth + 1, objects: true)) }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: Self.nested(Self.depth + 1, objects: false)) }
    }

    @Test("an event nested to the maximum depth routes through a filter and a template on a 512 KiB stack")
    func eventAtMaxDepth() async throws {
        let data = Self.nested(Self.depth - 1, objects: true)   // the envelope is the first level
        let text = #"{"id":"evt_1","type":"order.created","tenant":"acme","occurred_at":"2026-01-22T15:30:00Z","data":"#
            + data + "}"
        let deepPath = Array(repeating: "a", count: Self.depth - 1).joined(separator: ".")
        // The deepest filter tree (32 levels of parentheses and NOT) over the deepest path, as many
        // predicates as fit in the source limit.
        let nesting = FilterLimits.maxNestingDepth - 1
        var source = String(repeating: "(", count: nesting) + "NOT \(deepPath) = 2"
            + String(repeating: ")", count: nesting)
        while source.utf8.count + deepPath.utf8.count + 9 <= FilterLimits.maxSourceBytes {
            source += " AND \(deepPath) = 1"
        }
        let filter = try Filter(parsing: source)
        let template = try PayloadTemplate(parsing: #"{"all": "{data}", "leaf": "{"# + deepPath
                                               + #"}", "t": "x {data}"}"#)
        let context = TemplateContext(webhookID: "wh_1", deliveryID: "msg_1", timestamp: "t", eventType: "order.created", attempt: 1)
        let results = await onThread(stackSize: Self.smallStack) { () -> [String] in
            var failures: [String] = []
            do {
                var event: Event? = try Event(parsing: Array(text.utf8))
                guard let envelope = event?.envelope else { return ["no event"] }
                if filter.evaluate(envelope) != .match { failures.append("filter") }
                let bytes = try template.render(event: envelope, context: context,
                                                limit: TemplateLimits.defaultMaxRenderedBytes)
                let out = try JSONValue(parsing: bytes)
                if out["leaf"] != 1 { failures.append("leaf") }
                event = nil
            } catch {
                failures.append("\(error)")
            }
            return failures
        }
        #expect(results.isEmpty, "\(results)")
    }
}
