internal import CRabbitMQ
import Foundation

/// Memory for C structures built from Swift values, freed when the call that uses them returns.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit { for p in allocations { free(p) } }

    func bytes(_ string: String) -> amqp_bytes_t {
        let utf8 = Array(string.utf8)
        guard !utf8.isEmpty, let p = malloc(utf8.count) else { return amqp_bytes_t(len: 0, bytes: nil) }
        allocations.append(p)
        utf8.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: utf8.count) }
        return amqp_bytes_t(len: utf8.count, bytes: p)
    }

    func table(_ table: AMQPTable) -> amqp_table_t {
        guard !table.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let entries = UnsafeMutablePointer<amqp_table_entry_t>.allocate(capacity: table.count)
        allocations.append(UnsafeMutableRawPointer(entries))
        for (i, (key, value)) in table.sorted(by: { $0.key < $1.key }).enumerated() {
            entries[i] = amqp_table_entry_t(key: bytes(key), value: field(value))
        }
        return amqp_table_t(num_entries: Int32(table.count), entries: entries)
    }

    func field(_ value: AMQPFieldValue) -> amqp_field_value_t {
        var f = amqp_field_value_t()
        switch value {
        case .string(let s):
            f.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            f.value.bytes = bytes(s)
        case .int(let i):
            f.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
            f.value.i64 = i
        case .bool(let b):
            f.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
            f.value.boolean = b ? 1 : 0
        case .double(let d):
            f.kind = UInt8(AMQP_FIELD_KIND_F64.rawValue)
            f.value.f64 = d
        case .table(let t):
            f.kind = UInt8(AMQP_FIELD_KIND_TABLE.rawValue)
            f.value.table = table(t)
        case .array(let items):
            f.kind = UInt8(AMQP_FIELD_KIND_ARRAY.rawValue)
            let entries = UnsafeMutablePointer<amqp_field_value_t>.allocate(capacity: max(items.count, 1))
            allocations.append(UnsafeMutableRawPointer(entries))
            for (i, item) in items.enumerated() { entries[i] = field(item) }
            f.value.array = amqp_array_t(num_entries: Int32(items.count), entries: entries)
        case .void:
            f.kind = UInt8(AMQP_FIELD_KIND_VOID.rawValue)
        }
        return f
    }
}

extension String {
    func withAMQPBytes<R>(_ body: (amqp_bytes_t) -> R) -> R {
        var copy = self
        return copy.withUTF8 { buffer in
            body(amqp_bytes_t(len: buffer.count, bytes: UnsafeMutableRawPointer(mutating: buffer.baseAddress)))
        }
    }
}

extension amqp_bytes_t {
    var string: String {
        guard len > 0, let bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: len), as: UTF8.self)
    }
}

func withTable<R>(_ table: AMQPTable, _ body: (amqp_table_t) -> R) -> R {
    let arena = CArena()
    return withExtendedLifetime(arena) { body(arena.table(table)) }
}

func withClientProperties<R>(name: String, _ body: (UnsafePointer<amqp_table_t>) -> R) -> R {
    let arena = CArena()
    var table = arena.table([
        "connection_name": .string(name), "product": .string("Herald"), "platform": .string("Swift"),
        "capabilities": .table(["publisher_confirms": .bool(true), "consumer_cancel_notify": .bool(true),
                                "basic.nack": .bool(true), "connection.blocked": .bool(true)]),
    ])
    return withExtendedLifetime(arena) { body(&table) }
}

func withProperties<R>(_ properties: AMQPProperties, _ body: (UnsafePointer<amqp_basic_properties_t>) -> R) -> R {
    let arena = CArena()
    var p = amqp_basic_properties_t()
    var flags: UInt32 = 0
    if let v = properties.contentType { p.content_type = arena.bytes(v); flags |= UInt32(AMQP_BASIC_CONTENT_TYPE_FLAG) }
    if let v = properties.messageID { p.message_id = arena.bytes(v); flags |= UInt32(AMQP_BASIC_MESSAGE_ID_FLAG) }
    if let v = properties.correlationID { p.correlation_id = arena.bytes(v); flags |= UInt32(AMQP_BASIC_CORRELATION_ID_FLAG) }
    if let v = properties.type { p.type = arena.bytes(v); flags |= UInt32(AMQP_BASIC_TYPE_FLAG) }
    if let v = properties.appID { p.app_id = arena.bytes(v); flags |= UInt32(AMQP_BASIC_APP_ID_FLAG) }
    if let v = properties.expiration { p.expiration = arena.bytes(v); flags |= UInt32(AMQP_BASIC_EXPIRATION_FLAG) }
    if let v = properties.timestamp { p.timestamp = v; flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG) }
    if !properties.headers.isEmpty { p.headers = arena.table(properties.headers); flags |= UInt32(AMQP_BASIC_HEADERS_FLAG) }
    p.delivery_mode = properties.persistent ? 2 : 1
    flags |= UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG)
    p._flags = amqp_flags_t(flags)
    return withExtendedLifetime(arena) { body(&p) }
}

extension AMQPProperties {
    init(_ p: amqp_basic_properties_t) {
        let flags = UInt32(p._flags)
        func has(_ flag: Int32) -> Bool { flags & UInt32(flag) != 0 }
        self.init(
            contentType: has(AMQP_BASIC_CONTENT_TYPE_FLAG) ? p.content_type.string : nil,
            messageID: has(AMQP_BASIC_MESSAGE_ID_FLAG) ? p.message_id.string : nil,
            correlationID: has(AMQP_BASIC_CORRELATION_ID_FLAG) ? p.correlation_id.string : nil,
            type: has(AMQP_BASIC_TYPE_FLAG) ? p.type.string : nil,
            persistent: has(AMQP_BASIC_DELIVERY_MODE_FLAG) && p.delivery_mode == 2,
            headers: has(AMQP_BASIC_HEADERS_FLAG) ? AMQPFieldValue.decode(p.headers) : [:],
            timestamp: has(AMQP_BASIC_TIMESTAMP_FLAG) ? p.timestamp : nil,
            appID: has(AMQP_BASIC_APP_ID_FLAG) ? p.app_id.string : nil,
            expiration: has(AMQP_BASIC_EXPIRATION_FLAG) ? p.expiration.string : nil)
    }
}

extension AMQPFieldValue {
    static func decode(_ table: amqp_table_t) -> AMQPTable {
        var result: AMQPTable = [:]
        guard let entries = table.entries else { return result }
        for i in 0..<Int(table.num_entries) {
            result[entries[i].key.string] = decode(entries[i].value)
        }
        return result
    }

    static func decode(_ f: amqp_field_value_t) -> AMQPFieldValue {
        switch UInt32(f.kind) {
        case AMQP_FIELD_KIND_UTF8.rawValue, AMQP_FIELD_KIND_BYTES.rawValue: return .string(f.value.bytes.string)
        case AMQP_FIELD_KIND_I64.rawValue: return .int(f.value.i64)
        case AMQP_FIELD_KIND_U64.rawValue: return .int(Int64(bitPattern: f.value.u64))
        case AMQP_FIELD_KIND_I32.rawValue: return .int(Int64(f.value.i32))
        case AMQP_FIELD_KIND_U32.rawValue: return .int(Int64(f.value.u32))
        case AMQP_FIELD_KIND_I16.rawValue: return .int(Int64(f.value.i16))
        case AMQP_FIELD_KIND_U16.rawValue: return .int(Int64(f.value.u16))
        case AMQP_FIELD_KIND_I8.rawValue: return .int(Int64(f.value.i8))
        case AMQP_FIELD_KIND_U8.rawValue: return .int(Int64(f.value.u8))
        case AMQP_FIELD_KIND_TIMESTAMP.rawValue: return .int(Int64(bitPattern: f.value.u64))
        case AMQP_FIELD_KIND_BOOLEAN.rawValue: return .bool(f.value.boolean != 0)
        case AMQP_FIELD_KIND_F64.rawValue: return .double(f.value.f64)
        case AMQP_FIELD_KIND_F32.rawValue: return .double(Double(f.value.f32))
        case AMQP_FIELD_KIND_TABLE.rawValue: return .table(decode(f.value.table))
        case AMQP_FIELD_KIND_ARRAY.rawValue:
            var items: [AMQPFieldValue] = []
            if let entries = f.value.array.entries {
                for i in 0..<Int(f.value.array.num_entries) { items.append(decode(entries[i])) }
            }
            return .array(items)
        default: return .void
        }
    }
}
