extension JSONValue {
    /// Compact JSON, keys in stored order.
    public func serialized() -> String {
        var buffer: [UInt8] = []
        write(to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Appends compact JSON to `buffer` (the fast path: no intermediate strings).
    public func write(to buffer: inout [UInt8]) {
        switch self {
        case .null: buffer.append(contentsOf: [110, 117, 108, 108])
        case .bool(let b): buffer.append(contentsOf: b ? [116, 114, 117, 101] : [102, 97, 108, 115, 101])
        case .number(let n): buffer.append(contentsOf: n.text.utf8)
        case .string(let s): JSONValue.writeString(s, to: &buffer)
        case .array(let items):
            buffer.append(91)
            for (i, item) in items.enumerated() {
                if i > 0 { buffer.append(44) }
                item.write(to: &buffer)
            }
            buffer.append(93)
        case .object(let object):
            buffer.append(123)
            var first = true
            for pair in object.pairs {
                if !first { buffer.append(44) }
                first = false
                JSONValue.writeString(pair.key, to: &buffer)
                buffer.append(58)
                pair.value.write(to: &buffer)
            }
            buffer.append(125)
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped; other text as UTF-8.
    public static func writeString(_ s: String, to buffer: inout [UInt8]) {
        buffer.append(34)
        writeEscaped(s, to: &buffer)
        buffer.append(34)
    }

    /// The inside of a JSON string literal (no quotes). Runs of bytes that need no escape are
    /// copied at once.
    public static func writeEscaped(_ s: String, to buffer: inout [UInt8]) {
        var s = s
        s.withUTF8 { bytes in
            var start = 0
            for i in bytes.indices {
                let c = bytes[i]
                guard c < 0x20 || c == 34 || c == 92 else { continue }
                if start < i { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i])) }
                start = i + 1
                switch c {
                case 34: buffer.append(92); buffer.append(34)
                case 92: buffer.append(92); buffer.append(92)
                case 10: buffer.append(92); buffer.append(110)
                case 13: buffer.append(92); buffer.append(114)
                case 9: buffer.append(92); buffer.append(116)
                default: buffer.append(contentsOf: [92, 117, 48, 48, hexDigits[Int(c >> 4)], hexDigits[Int(c & 15)]])
                }
            }
            if start < bytes.count { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...])) }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

extension JSONValue {
    /// Indented JSON (two spaces), keys in stored order: for files people read.
    public func prettySerialized(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch self {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { pad + $0.prettySerialized(indent: indent + 1) }.joined(separator: ",\n") + "\n\(closePad)]"
        case .object(let object) where object.count > 0:
            return "{\n" + object.pairs.map { pair in
                var key: [UInt8] = []
                JSONValue.writeString(pair.key, to: &key)
                return pad + String(decoding: key, as: UTF8.self) + ": " + pair.value.prettySerialized(indent: indent + 1)
            }.joined(separator: ",\n") + "\n\(closePad)}"
        default:
            return serialized()
        }
    }
}
