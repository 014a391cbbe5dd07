import Foundation

/// Where the broker is and how this client introduces itself.
public struct AMQPConfiguration: Sendable {
    public var url: String
    public var connectionName: String
    public var heartbeat: Int
    public var frameMax: Int
    let host: String
    let port: Int
    let user: String
    let password: String
    let vhost: String
    /// TLS (`amqps://`): the server's certificate is verified against `caCertificateFile` (or the
    /// system's store), with its host name; a client certificate is sent when both files are given.
    public struct TLS: Sendable, Equatable {
        public var caCertificateFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        public var verify: Bool = true
    }
    public let tls: TLS?

    /// `amqp://user:pass@host:port/vhost?heartbeat=N` or `amqps://…?cacertfile=…&certfile=…&keyfile=…&verify=verify_none`
    /// (vhost percent-encoded, `%2F` = "/"; no path = "/"; `heartbeat` in seconds and the TLS
    /// options named as in RabbitMQ's URI spec; amqps defaults to port 5671).
    public init(url: String, connectionName: String = "herald", heartbeat: Int = 30, frameMax: Int = 131_072) throws(AMQPError) {
        self.url = url
        self.connectionName = connectionName
        self.heartbeat = heartbeat
        self.frameMax = frameMax
        let redacted = AMQPConfiguration.redact(url)
        let secure = url.hasPrefix("amqps://")
        guard url.hasPrefix("amqp://") || secure else {
            throw AMQPError(code: .invalidURL, message: "\(redacted): an AMQP URL starts with amqp:// or amqps://")
        }
        var rest = Substring(url.dropFirst(secure ? 8 : 7))
        var tls = TLS()
        if let q = rest.lastIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                let value = AMQPConfiguration.percentDecode(String(kv[1]))
                switch kv[0] {
                case "heartbeat":
                    guard let seconds = Int(value), (0...3600).contains(seconds) else {
                        throw AMQPError(code: .invalidURL, message: "\(redacted): heartbeat must be a number of seconds from 0 to 3600")
                    }
                    self.heartbeat = seconds
                case "cacertfile": tls.caCertificateFile = value
                case "certfile": tls.certificateFile = value
                case "keyfile": tls.keyFile = value
                case "verify":
                    guard value == "verify_peer" || value == "verify_none" else {
                        throw AMQPError(code: .invalidURL, message: "\(redacted): verify must be verify_peer or verify_none")
                    }
                    tls.verify = value == "verify_peer"
                default: continue
                }
            }
            rest = rest[..<q]
        }
        if !secure, tls != TLS() {
            throw AMQPError(code: .invalidURL, message: "\(redacted): TLS options (cacertfile, certfile, keyfile, verify) need an amqps:// URL")
        }
        if (tls.certificateFile == nil) != (tls.keyFile == nil) {
            throw AMQPError(code: .invalidURL, message: "\(redacted): certfile and keyfile go together")
        }
        self.tls = secure ? tls : nil
        var userInfo: Substring = "guest:guest"
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        let hostPort: Substring
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            hostPort = rest
        }
        var host = String(hostPort)
        var port = secure ? 5671 : 5672
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            host = String(hostPort[..<colon])
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw AMQPError(code: .invalidURL, message: "\(redacted): the port must be a number from 1 to 65535")
            }
            port = p
        }
        guard !host.isEmpty else { throw AMQPError(code: .invalidURL, message: "\(redacted): the URL has no host") }
        let credentials = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        self.host = host
        self.port = port
        self.user = AMQPConfiguration.percentDecode(String(credentials.first ?? "guest"))
        self.password = credentials.count > 1 ? AMQPConfiguration.percentDecode(String(credentials[1])) : ""
        self.vhost = path.isEmpty ? "/" : AMQPConfiguration.percentDecode(String(path))
    }

    /// The URL with its password replaced, for messages.
    static func redact(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url.range(of: "@", options: .backwards),
              let colon = url[scheme.upperBound..<at.lowerBound].firstIndex(of: ":") else { return url }
        return String(url[..<url.index(after: colon)]) + "***" + String(url[at.lowerBound...])
    }

    static func percentDecode(_ s: String) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == 37, it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A broker or client failure, with the broker's reply code and text when it closed something.
public struct AMQPError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case invalidURL, connectionFailed, authenticationFailed, connectionClosed, channelClosed, socketError, timeout, protocolError, publishNacked, notConnected
    }

    public var code: Code
    public var replyCode: Int?
    public var message: String

    public init(code: Code, replyCode: Int? = nil, message: String) {
        self.code = code
        self.replyCode = replyCode
        self.message = message
    }

    /// True when only a new connection helps.
    public var isConnectionLost: Bool {
        switch code {
        case .connectionFailed, .connectionClosed, .channelClosed, .socketError, .notConnected: true
        default: false
        }
    }

    public var description: String {
        "AMQP \(code)\(replyCode.map { " \($0)" } ?? ""): \(message)"
    }
}

public enum AMQPFieldValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    case table([String: AMQPFieldValue])
    case array([AMQPFieldValue])
    case void
}

public typealias AMQPTable = [String: AMQPFieldValue]

extension AMQPFieldValue {
    /// Bytes this value takes on the wire (type tag included), to keep tables within a frame.
    public var encodedSize: Int {
        switch self {
        case .string(let s): 5 + s.utf8.count
        case .int, .double: 9
        case .bool: 2
        case .void: 1
        case .table(let t): 5 + t.encodedSize
        case .array(let a): 5 + a.reduce(0) { $0 + $1.encodedSize }
        }
    }
}

extension Dictionary where Key == String, Value == AMQPFieldValue {
    /// Bytes the table takes on the wire.
    public var encodedSize: Int { reduce(0) { $0 + 1 + $1.key.utf8.count + $1.value.encodedSize } }
}

public struct AMQPProperties: Sendable, Equatable {
    public var contentType: String?
    public var messageID: String?
    public var correlationID: String?
    public var type: String?
    public var persistent: Bool
    public var headers: AMQPTable
    public var timestamp: UInt64?
    public var appID: String?
    public var expiration: String?

    public init(contentType: String? = nil, messageID: String? = nil, correlationID: String? = nil, type: String? = nil,
                persistent: Bool = true, headers: AMQPTable = [:], timestamp: UInt64? = nil, appID: String? = nil, expiration: String? = nil) {
        self.contentType = contentType
        self.messageID = messageID
        self.correlationID = correlationID
        self.type = type
        self.persistent = persistent
        self.headers = headers
        self.timestamp = timestamp
        self.appID = appID
        self.expiration = expiration
    }
}

public struct AMQPMessage: Sendable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: AMQPProperties
    public var mandatory: Bool

    public init(exchange: String, routingKey: String, body: [UInt8], properties: AMQPProperties = AMQPProperties(), mandatory: Bool = false) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.mandatory = mandatory
    }
}

public struct AMQPDelivery: Sendable {
    public var deliveryTag: UInt64
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: AMQPProperties
    /// The channel it came on: its ack goes there.
    public var channel: UInt16 = 1
}

public struct AMQPReturn: Sendable {
    public var replyCode: Int
    public var replyText: String
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: AMQPProperties
}

/// Publisher-confirm bookkeeping: sequence numbers still unconfirmed, acks and nacks with `multiple`.
public struct ConfirmTracker: Sendable {
    private var outstanding: [UInt64] = []   // increasing
    private var head = 0
    public private(set) var nacked = 0

    public init() {}

    public var count: Int { outstanding.count - head }

    public mutating func published(_ sequence: UInt64) {
        outstanding.append(sequence)
    }

    public mutating func ack(_ tag: UInt64, multiple: Bool) { settle(tag, multiple: multiple, nack: false) }
    public mutating func nack(_ tag: UInt64, multiple: Bool) { settle(tag, multiple: multiple, nack: true) }

    public mutating func resetNacked() { nacked = 0 }

    private mutating func settle(_ tag: UInt64, multiple: Bool, nack: Bool) {
        if multiple {
            var settled = 0
            while head < outstanding.count, outstanding[head] <= tag { head += 1; settled += 1 }
            if nack { nacked += settled }
        } else {
            // Binary search in the live part.
            var lo = head, hi = outstanding.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if outstanding[mid] < tag { lo = mid + 1 } else { hi = mid }
            }
            guard lo < outstanding.count, outstanding[lo] == tag else { return }
            if lo == head { head += 1 } else { outstanding.remove(at: lo) }
            if nack { nacked += 1 }
        }
        if head > 4096, head * 2 > outstanding.count {
            outstanding.removeFirst(head)
            head = 0
        }
    }
}
