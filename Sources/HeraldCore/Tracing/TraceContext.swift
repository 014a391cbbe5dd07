/// A W3C Trace Context (`traceparent`, https://www.w3.org/TR/trace-context/): the trace an event
/// belongs to and the span that caused this step. Herald takes it from the event (AMQP header or
/// HTTP ingest header), keeps the trace id through router and worker, and gives every step its own
/// span id, so a receiver's logs and a tracing backend show the ERP's request, the routing and each
/// attempt as one trace.
public struct TraceContext: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// 16 bytes, as 32 lowercase hex digits; never all zero.
    public let traceID: String
    /// 8 bytes, as 16 lowercase hex digits; never all zero.
    public let spanID: String
    /// Bit 0: sampled.
    public let flags: UInt8

    public static let headerName = "traceparent"

    /// Parses a `traceparent` value. Version 00 must be exactly `00-<32 hex>-<16 hex>-<2 hex>`; a
    /// later version is read by its first four fields (as the specification asks), `ff` never.
    /// Returns nil for anything else: a bad header starts a new trace, it never fails an event.
    public init?(traceparent: String) {
        let bytes = Array(traceparent.utf8)
        guard bytes.count >= 55, bytes.count <= 512, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"),
              bytes[52] == UInt8(ascii: "-"),
              let version = TraceContext.hexByte(bytes[0], bytes[1]), version != 0xFF,
              TraceContext.isLowerHex(bytes[3..<35]), TraceContext.isLowerHex(bytes[36..<52]),
              let flags = TraceContext.hexByte(bytes[53], bytes[54])
        else { return nil }
        if version == 0 {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55 {
            guard bytes[55] == UInt8(ascii: "-") else { return nil }
        }
        let trace = String(decoding: bytes[3..<35], as: UTF8.self)
        let span = String(decoding: bytes[36..<52], as: UTF8.self)
        guard trace.utf8.contains(where: { $0 != UInt8(ascii: "0") }), span.utf8.contains(where: { $0 != UInt8(ascii: "0") }) else { return nil }
        self.traceID = trace
        self.spanID = span
        self.flags = flags
    }

    public init?(traceID: String, spanID: String, flags: UInt8 = 1) {
        self.init(traceparent: "00-\(traceID)-\(spanID)-\(TraceContext.hex([flags]))")
    }

    /// A new trace (nothing came with the event), sampled.
    public static func root(using random: inout some RandomNumberGenerator) -> TraceContext {
        TraceContext(validTraceID: randomHex(bytes: 16, using: &random), spanID: randomHex(bytes: 8, using: &random), flags: 1)
    }

    /// The next step of the same trace: same trace id and flags, a new span id whose parent is this one.
    public func child(using random: inout some RandomNumberGenerator) -> TraceContext {
        TraceContext(validTraceID: traceID, spanID: TraceContext.randomHex(bytes: 8, using: &random), flags: flags)
    }

    /// The span of the next step: a child of `parent`, or a new trace when there is none.
    public static func next(after parent: TraceContext?, using random: inout some RandomNumberGenerator) -> TraceContext {
        parent?.child(using: &random) ?? root(using: &random)
    }

    /// The header value, always version 00.
    public var traceparent: String { "00-\(traceID)-\(spanID)-\(TraceContext.hex([flags]))" }
    public var description: String { traceparent }
    public var sampled: Bool { flags & 1 == 1 }

    private init(validTraceID: String, spanID: String, flags: UInt8) {
        self.traceID = validTraceID
        self.spanID = spanID
        self.flags = flags
    }

    private static func randomHex(bytes count: Int, using random: inout some RandomNumberGenerator) -> String {
        var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
        if bytes.allSatisfy({ $0 == 0 }) { bytes[count - 1] = 1 }
        return hex(bytes)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isLowerHex(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    private static func hexByte(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let h = nibble(high), let l = nibble(low) else { return nil }
        return h << 4 | l
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
