import Foundation

/// A throwaway certificate authority made with the openssl command: a server certificate for
/// 127.0.0.1 and a client certificate, both signed by it, plus a key that belongs to neither.
public struct TestPKI: Sendable {
    public let directory: URL
    public var caPath: String { directory.appendingPathComponent("ca.pem").path }
    public var serverCertificatePath: String { directory.appendingPathComponent("server.pem").path }
    public var serverKeyPath: String { directory.appendingPathComponent("server.key").path }
    public let caPEM: String
    public let clientCertificatePEM: String
    public let clientKeyPEM: String
    public let strayKeyPEM: String

    public init() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("herald-pki-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let d = directory.path
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: "\(d)/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: "\(d)/client.ext", atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try TestPKI.openssl(["req", "-x509"] + ec + ["-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem", "-days", "2", "-subj", "/CN=Herald Test CA"])
        for name in ["server", "client"] {
            try TestPKI.openssl(["req"] + ec + ["-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr", "-subj", "/CN=herald-\(name)"])
            try TestPKI.openssl(["x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                                 "-CAcreateserial", "-out", "\(d)/\(name).pem", "-days", "2", "-extfile", "\(d)/\(name).ext"])
        }
        try TestPKI.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "\(d)/stray.key"])
        func read(_ name: String) throws -> String { try String(contentsOfFile: "\(d)/\(name)", encoding: .utf8) }
        caPEM = try read("ca.pem")
        clientCertificatePEM = try read("client.pem")
        clientKeyPEM = try read("client.key")
        strayKeyPEM = try read("stray.key")
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }

    private static func openssl(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl"] + arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestSupportError("openssl \(arguments.prefix(2).joined(separator: " ")) failed") }
    }
}
