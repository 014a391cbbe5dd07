import CurlClient
import Foundation
import Herald
import HeraldCore
import HeraldTestSupport

/// A real herald-api process on a free port of 127.0.0.1, for one Harness, and an HTTP client.
final class APIProcess: @unchecked Sendable {
    let baseURL: String
    let process: Process

    init(_ h: Harness, environment: [String: String] = [:]) throws {
        let port = try Receiver.freePort()
        baseURL = "http://127.0.0.1:\(port)"
        process = try h.launch("herald-api", environment: ["HERALD_API_ADDR": "127.0.0.1:\(port)", "HERALD_API_RATE_PER_S": "1000",
                                                           "HERALD_API_RATE_BURST": "2000"].merging(environment) { $1 })
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let r = try? call("GET", "/healthz"), r.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw HarnessError("herald-api did not start on port \(port)")
    }

    struct Reply {
        var status: Int
        var body: [UInt8]
        var headers: [String: String]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSONValue { (try? JSONValue(parsing: body)) ?? .null }
        /// The problem document's field (nil when not a problem).
        var field: String? { json["field"]?.stringValue }
        var isProblem: Bool { headers["content-type"]?.hasPrefix("application/problem+json") ?? false }
    }

    /// One request; `token` becomes `Authorization: Bearer …`.
    func call(_ method: String, _ path: String, token: String? = nil, body: String? = nil, headers: [String: String] = [:],
              timeout: Duration = .seconds(40)) throws -> Reply {
        let multi = try CurlMulti(maxTotalConnections: 2)
        var list = headers.map { HTTPHeader($0.key, $0.value) }
        if let token { list.append(HTTPHeader("Authorization", "Bearer \(token)")) }
        if body != nil { list.append(HTTPHeader("Content-Type", "application/json")) }
        try multi.add(HTTPRequest(url: baseURL + path, method: method, headers: list, body: Array((body ?? "").utf8), connectTimeout: .seconds(2),
                                  timeout: timeout, maxResponseBodyBytes: 256 << 20, allowPrivateNetworks: true), id: 1)
        let deadline = ContinuousClock.now + timeout + .seconds(2)
        while ContinuousClock.now < deadline {
            if let completion = multi.perform(timeout: .milliseconds(50)).completions.first {
                let response = try completion.result.get()
                var headers: [String: String] = [:]
                for header in response.headers { headers[header.name.lowercased()] = header.value }
                return Reply(status: response.status, body: response.body, headers: headers)
            }
        }
        throw HarnessError("\(method) \(path): no answer")
    }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    /// A token of `tenant` (nil = operator) straight from the store.
    static func token(_ h: Harness, tenant: String?, role: Principal.Role = .admin, expiresIn: Int? = nil) throws -> (id: String, secret: String) {
        let created = try TokenStore(connection: h.database).create(tenant: tenant, role: role, name: "test", expiresInSeconds: expiresIn)
        return (created.token.id, created.secret)
    }
}

/// heraldctl, run for real against the harness's servers.
func heraldctl(_ h: Harness, _ arguments: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    let binDir = Bundle.main.bundleURL.deletingLastPathComponent()
    var url = binDir.appendingPathComponent("heraldctl")
    if !FileManager.default.fileExists(atPath: url.path) { url = Harness.packageRoot.appendingPathComponent(".build/debug/heraldctl") }
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    process.environment = h.environment(["HERALD_MIGRATIONS_DIR": Harness.packageRoot.appendingPathComponent("schemas/migrations").path]
                                        .merging(env) { $1 })
    let input = Pipe(), out = Pipe(), err = Pipe()
    process.standardInput = input
    process.standardOutput = out
    process.standardError = err
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, o, e)
}
