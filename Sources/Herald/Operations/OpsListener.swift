import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The operations listener of a router or worker: `/metrics` (Prometheus text format), `/healthz`
/// (the process is alive) and `/readyz` (every loop connected to broker and database and
/// consuming; 503 otherwise).
///
/// A small blocking HTTP/1.1 server on a thread of its own, like the other services: it answers
/// even when every thread of Swift's shared pool is busy, one request at a time (probes and
/// scrapes are tiny), each connection bounded in size and time, and `Connection: close`.
public final class OpsListener: HeraldService, Sendable {
    public let name = "ops-listener"
    public let address: MetricsAddress
    let telemetry: ProcessTelemetry
    let logger: Logger
    private let bound = Atomic<Int>(0)

    /// The largest request head read; probes and scrapes send a few hundred bytes.
    static let maxRequestBytes = 8192

    public init(address: MetricsAddress, telemetry: ProcessTelemetry, logger: Logger) {
        self.address = address
        self.telemetry = telemetry
        self.logger = logger
    }

    /// The port it listens on once running (useful with port 0), else 0.
    public var port: Int { bound.load(ordering: .acquiring) }

    public func run(stop: StopSignal) throws {
        let socket: Int32
        do {
            socket = try OpsListener.openSocket(host: address.host, port: address.port)
        } catch {
            guard !address.required else { throw error }
            // The default address may be taken (two workers on one host): the pipeline matters more.
            logger.warning("metrics and health listener could not start; set HERALD_METRICS_ADDR to a free address (or off)",
                           metadata: ["address": "\(address.host):\(address.port)", "error": "\(error)"])
            while !stop.isStopped { stop.sleep(.seconds(1)) }
            return
        }
        defer { close(socket) }
        bound.store(OpsListener.localPort(socket), ordering: .releasing)
        logger.info("metrics and health listening", metadata: ["address": "\(address.host):\(port)"])
        while !stop.isStopped {
            var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 200) > 0 else { continue }
            let client = accept(socket, nil, nil)
            guard client >= 0 else { continue }
            serve(client)
            close(client)
        }
    }

    // MARK: HTTP

    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while head.count < OpsListener.maxRequestBytes, !OpsListener.endsHead(head) {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            head += buffer[0..<n]
        }
        let answer = respond(to: OpsListener.requestLine(head))
        var bytes = Array("HTTP/1.1 \(answer.status)\r\nContent-Type: \(answer.contentType)\r\nContent-Length: \(answer.body.utf8.count)\r\nConnection: close\r\n\r\n".utf8)
        bytes += Array(answer.body.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }

    /// The answer to `GET <path>`; anything else is 404 or 405.
    func respond(to line: (method: String, path: String)?) -> (status: String, contentType: String, body: String) {
        guard let line else { return ("400 Bad Request", "text/plain", "bad request\n") }
        let path = line.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? line.path
        guard ["/metrics", "/healthz", "/readyz"].contains(path) else { return ("404 Not Found", "text/plain", "not found\n") }
        guard line.method == "GET" || line.method == "HEAD" else { return ("405 Method Not Allowed", "text/plain", "GET only\n") }
        switch path {
        case "/metrics":
            return ("200 OK", "text/plain; version=0.0.4; charset=utf-8", telemetry.metrics.exposition())
        case "/healthz":
            return ("200 OK", "application/json", #"{"status":"ok"}"#)
        default:
            let state = telemetry.readiness
            let body = (try? JSONEncoder().encode(Readiness(ready: state.ready, components: state.components))) ?? Data()
            return (state.ready ? "200 OK" : "503 Service Unavailable", "application/json", String(decoding: body, as: UTF8.self))
        }
    }

    static func endsHead(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[(bytes.count - 4)...].elementsEqual([13, 10, 13, 10])
            || bytes.count >= 2 && bytes[(bytes.count - 2)...].elementsEqual([10, 10])
    }

    /// `GET /metrics HTTP/1.1` → ("GET", "/metrics"); nil when it is not a request line.
    static func requestLine(_ head: [UInt8]) -> (method: String, path: String)? {
        let first = head.prefix { $0 != 13 && $0 != 10 }
        let parts = first.split(separator: UInt8(ascii: " "))
        guard parts.count == 3, parts[2].starts(with: Array("HTTP/1.".utf8)), parts[1].first == UInt8(ascii: "/"),
              parts[1].count <= 1024 else { return nil }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self))
    }

    // MARK: sockets

    /// A listening TCP socket on `host:port` (IPv4 or IPv6 literal, or a name).
    static func openSocket(host: String, port: Int) throws(OpsListenerError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw OpsListenerError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw OpsListenerError("socket(): \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw OpsListenerError("bind \(host):\(port): \(reason)")
        }
        guard listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw OpsListenerError("listen \(host):\(port): \(reason)")
        }
        return fd
    }

    static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return 0
        }
    }
}

/// The listener could not be opened: the address, and the system's words.
public struct OpsListenerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The `/readyz` answer.
struct Readiness: Encodable {
    var ready: Bool
    var components: [String: ServiceHealth.Snapshot]
}

/// Where `/metrics`, `/healthz` and `/readyz` listen (`HERALD_METRICS_ADDR`, `host:port`).
public struct MetricsAddress: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Set by the operator: failing to listen stops the process. A default that is taken only warns.
    public var required: Bool

    public init(host: String, port: Int, required: Bool) {
        self.host = host
        self.port = port
        self.required = required
    }

    /// `host:port` (`[::1]:9464` for IPv6), or nil for `off`.
    public static func parse(_ text: String, required: Bool) throws(ConfigurationError) -> MetricsAddress? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if ["off", "false", "none", ""].contains(trimmed.lowercased()) { return nil }
        guard let colon = trimmed.lastIndex(of: ":"), colon > trimmed.startIndex,
              let port = Int(trimmed[trimmed.index(after: colon)...]), (0...65_535).contains(port),
              trimmed.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            throw ConfigurationError(variable: "HERALD_METRICS_ADDR", value: text, rule: "must be host:port (e.g. 127.0.0.1:9464) or off")
        }
        var host = String(trimmed[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return MetricsAddress(host: host, port: port, required: required)
    }

    /// The default per process: on for the router and the worker (each its own port), off otherwise.
    public static func defaultAddress(component: String) -> MetricsAddress? {
        switch component {
        case "router": MetricsAddress(host: "127.0.0.1", port: 9464, required: false)
        case "worker": MetricsAddress(host: "127.0.0.1", port: 9465, required: false)
        default: nil
        }
    }
}
