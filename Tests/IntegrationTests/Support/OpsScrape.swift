import CurlClient
import Foundation
import Herald

/// Reads a process's ops listener (`/metrics`, `/healthz`, `/readyz`) over HTTP, as Prometheus and
/// Kubernetes do.
struct OpsScrape {
    let port: Int

    /// Waits until the listener of `group` is bound (it starts beside the services).
    init(_ group: ServiceThreads, timeout: Duration = .seconds(10)) throws {
        guard let ops = group.ops else { throw HarnessError("no ops listener: set metricsAddress") }
        let deadline = ContinuousClock.now + timeout
        while ops.port == 0, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard ops.port != 0 else { throw HarnessError("the ops listener did not start") }
        port = ops.port
    }

    func get(_ path: String) throws -> (status: Int, text: String) {
        let multi = try CurlMulti(maxTotalConnections: 2)
        try multi.add(HTTPRequest(url: "http://127.0.0.1:\(port)\(path)", method: "GET", connectTimeout: .seconds(2), timeout: .seconds(10),
                                  maxResponseBodyBytes: 16 << 20, allowPrivateNetworks: true), id: 1)
        let deadline = ContinuousClock.now + .seconds(12)
        while ContinuousClock.now < deadline {
            if let completion = multi.perform(timeout: .milliseconds(50)).completions.first {
                let response = try completion.result.get()
                return (response.status, String(decoding: response.body, as: UTF8.self))
            }
        }
        throw HarnessError("GET \(path): no answer")
    }

    /// The value of one sample in the text format, e.g. `herald_events_routed_total` or
    /// `herald_delivery_outcomes_total{outcome="succeeded"}`; nil when absent.
    func value(_ sample: String) throws -> Double? {
        OpsScrape.value(sample, in: try get("/metrics").text)
    }

    static func value(_ sample: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
