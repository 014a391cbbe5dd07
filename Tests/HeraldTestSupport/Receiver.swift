import CurlClient
import Foundation
import HeraldCore

/// The package's root folder (for deploy/ and schemas/).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The sample receiver (deploy/receiver.py) as a child process on a free port of 127.0.0.1.
public final class Receiver: @unchecked Sendable {
    public struct Request {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: String
        public var verified: Bool?
        public var status: Int
        public var at: Double
    }

    public let port: Int
    private let process: Process
    /// HTTPS that requires a client certificate from this authority (mutual TLS), or plain HTTP.
    private let pki: TestPKI?

    public init(mutualTLS pki: TestPKI? = nil) throws {
        port = try Receiver.freePort()
        self.pki = pki
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot.appendingPathComponent("deploy/receiver.py").path, "--port", String(port)]
            + (pki.map { ["--tls-cert", $0.serverCertificatePath, "--tls-key", $0.serverKeyPath, "--client-ca", $0.caPath] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? get("/_stats")) != nil { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestSupportError("the sample receiver did not start on port \(port) (is python3 installed?)")
    }

    public var baseURL: String { "\(pki == nil ? "http" : "https")://127.0.0.1:\(port)" }

    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    public func addSecret(_ secret: String) throws {
        _ = try call("POST", "/_secrets", body: #"{"secrets": ["\#(secret)"]}"#)
    }

    public func requests() throws -> [Request] {
        let json = try JSONValue(parsing: try get("/_received"))
        return (json.arrayValue ?? []).map { item in
            var headers: [String: String] = [:]
            for (k, v) in item["headers"]?.objectValue ?? JSONObject() { headers[k] = v.stringValue ?? "" }
            return Request(method: item["method"]?.stringValue ?? "", path: item["path"]?.stringValue ?? "", headers: headers,
                           body: item["body"]?.stringValue ?? "", verified: item["verified"]?.boolValue,
                           status: item["status"]?.intValue ?? 0, at: item["at"]?.doubleValue ?? 0)
        }
    }

    public func stats() throws -> JSONValue { try JSONValue(parsing: try get("/_stats")) }

    private func get(_ path: String) throws -> [UInt8] { try call("GET", path, body: "") }

    private func call(_ method: String, _ path: String, body: String) throws -> [UInt8] {
        let multi = try CurlMulti(maxTotalConnections: 2)
        try multi.add(HTTPRequest(url: baseURL + path, method: method, body: Array(body.utf8), connectTimeout: .seconds(2),
                                  timeout: .seconds(10), maxResponseBodyBytes: 64 << 20, allowPrivateNetworks: true,
                                  clientCertificatePEM: pki?.clientCertificatePEM, clientKeyPEM: pki?.clientKeyPEM, caBundlePEM: pki?.caPEM), id: 1)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let completion = multi.perform(timeout: .milliseconds(50)).completions.first {
                let response = try completion.result.get()
                guard response.status == 200 else { throw TestSupportError("receiver \(path): HTTP \(response.status)") }
                return response.body
            }
        }
        throw TestSupportError("receiver \(path): no answer")
    }

    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw TestSupportError("bind() failed") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
