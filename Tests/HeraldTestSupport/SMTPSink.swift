import Foundation
import HeraldCore

/// A local SMTP server (deploy/smtp_sink.py, aiosmtpd from PyPI) on a free port of 127.0.0.1,
/// keeping every mail it accepts.
public final class SMTPSink: @unchecked Sendable {
    public struct Mail {
        public var from: String
        public var to: [String]
        public var data: String
        /// The header's value (first occurrence, unfolded), or nil.
        public func header(_ name: String) -> String? {
            let head = data.components(separatedBy: "\r\n\r\n").first ?? data
            let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ")
            for line in unfolded.components(separatedBy: "\r\n") where line.lowercased().hasPrefix(name.lowercased() + ":") {
                return String(line.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
            }
            return nil
        }
        /// The body with quoted-printable soft breaks and escapes undone (ASCII escapes only).
        public var text: String {
            var body = data.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            body = body.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "\r\n", with: "\n")
            return body.replacingOccurrences(of: "=3D", with: "=").replacingOccurrences(of: "=2E", with: ".")
        }
    }

    public let port: Int
    private let process: Process
    private let output: URL

    public init() throws {
        guard (try? Self.run(["python3", "-c", "import aiosmtpd"])) == 0 else {
            throw TestSupportError("aiosmtpd (PyPI) is not installed: pip install aiosmtpd (make setup does it)")
        }
        port = try Receiver.freePort()
        output = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("herald-smtp-\(port)-\(UInt32.random(in: 0...UInt32.max)).jsonl")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot.appendingPathComponent("deploy/smtp_sink.py").path,
                             "--port", String(port), "--out", output.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.accepts(port: port) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestSupportError("the SMTP sink did not start on port \(port)")
    }

    public var url: String { "smtp://127.0.0.1:\(port)" }

    public func mails() -> [Mail] {
        guard let text = try? String(contentsOf: output, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let json = try? JSONValue(parsing: Array(line.utf8)) else { return nil }
            return Mail(from: json["from"]?.stringValue ?? "", to: (json["to"]?.arrayValue ?? []).compactMap(\.stringValue),
                        data: json["data"]?.stringValue ?? "")
        }
    }

    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: output)
    }

    deinit { stop() }

    private static func run(_ arguments: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
