import Foundation
import Herald
import HeraldCore
import HeraldTestSupport
import Testing

@Suite("Ordered delivery")
struct OrderedDeliveryTests {
    @Test("FIFO webhook, the 3rd event failing twice: the receiver sees events strictly in order, all delivered; others not slowed")
    func fifo() throws {
        let h = try Harness("fifo")
        let ordered = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Ledger", "url": "\#(h.receiver.baseURL)/fail-nth/3/2/ledger", "events": ["order.created"],
             "ordering": "fifo", "retry": {"max_retries": 5, "backoff": "fixed", "intervals_s": [1]}}
            """#)
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Fast", "url": "\#(h.receiver.baseURL)/ok/fast", "events": ["order.created"]}
            """#)
        try h.startRouter()
        try h.startWorker()
        try h.startWorker()
        let ids = (0..<8).map { "evt_fifo_\($0)" }
        try h.publish(try ids.map { try Harness.event(data: PipelineTests.order, id: $0) })
        try h.waitUntil("all delivered", timeout: .seconds(60)) {
            try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 16
        }
        let requests = try h.receiver.requests().sorted { $0.at < $1.at }
        func eventIndex(_ r: Receiver.Request) -> Int? {
            ids.firstIndex { r.body.contains("\"\($0)\"") }
        }
        let ledger = requests.filter { $0.path.hasSuffix("/ledger") }
        let order = ledger.compactMap(eventIndex)
        #expect(order == [0, 1, 2, 2, 2, 3, 4, 5, 6, 7], "one at a time, in event order, the 3rd tried three times: \(order)")
        #expect(ledger.filter { $0.status == 200 }.compactMap(eventIndex) == Array(0..<8))
        #expect(try h.count("SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND attempts > 1", [ordered.id]) == 1,
                "waiting for a predecessor spent no attempt")
        // The unordered webhook went at its own pace: all of it before the ordered one got past its 3rd event.
        let fastDone = requests.filter { $0.path == "/ok/fast" }.map(\.at).max() ?? .infinity
        let thirdDone = ledger.filter { eventIndex($0) == 2 && $0.status == 200 }.map(\.at).first ?? 0
        #expect(fastDone < thirdDone)
    }
}
