import Foundation
import Herald
import HeraldTestSupport
import Testing

/// Filters and templates in the running pipeline.
@Suite("Rules", .serialized)
struct RulesTests {
    static func order(total: Double, source: String, shipMethod: String) -> JSONValue {
        ["order": ["id": .string("ord_\(Int(total))"), "number": .string("SO-\(Int(total))"), "total": .number(JSONNumber(total)), "subtotal": .number(JSONNumber(total - 20)),
                   "tax": 12.5, "shipping": 7.5, "source": .string(source), "ship_method": .string(shipMethod), "status": "confirmed",
                   "items": [["sku": "WID-1", "name": "Widget", "quantity": 2, "price": 10.0, "total": 20.0],
                             ["sku": "GAD-2", "name": "Gadget \"Pro\"", "quantity": 1, "price": .number(JSONNumber(total - 40)), "total": .number(JSONNumber(total - 40))]]],
         "customer": ["id": "cus_9", "name": "Zoë Ünicode", "email": "zoe@example.com"]]
    }

    @Test("a filtered webhook receives only matching events, with the templated body")
    func filterAndTemplate() throws {
        let h = try Harness("rules")
        let template = #"""
            {"event": "{webhook.event}", "attempt": "{webhook.attempt}", "data": {"order_id": "{order.id}", "total": "{{ order.total }}",
             "customer": {"name": "{customer.name}", "email": "{customer.email}"},
             "items": [{"sku": "{item.sku}", "name": "{item.name}", "quantity": "{item.quantity}"}],
             "label": "Order {order.number} for {customer.name}"}}
            """#
        let escaped = String(decoding: try JSONEncoder().encode(template), as: UTF8.self)
        _ = try h.createWebhook(#"""
            {"tenant": "acme", "name": "Filtered", "url": "\#(h.receiver.baseURL)/ok/x", "events": ["order.created"],
             "filter": "order.total > 100 AND order.source = \"Online\" AND order.ship_method IN [\"Standard\", \"Express\"]",
             "payload_template": \#(escaped)}
            """#)
        try h.startRouter()
        try h.startWorker()
        try h.publish([
            try Harness.event(data: Self.order(total: 150, source: "Online", shipMethod: "Express")),
            try Harness.event(data: Self.order(total: 50, source: "Online", shipMethod: "Express")),
            try Harness.event(data: Self.order(total: 200, source: "Phone", shipMethod: "Standard")),
            try Harness.event(data: Self.order(total: 500, source: "Online", shipMethod: "Ground")),
        ])
        try h.waitUntil("four events recorded") { try h.count("SELECT count(*) FROM events") == 4 }
        try h.waitUntil("one delivery succeeded") { try h.count("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") == 1 }
        Thread.sleep(forTimeInterval: 0.5)
        let requests = try h.receiver.requests()
        #expect(requests.count == 1)
        let body = try JSONValue(parsing: try #require(requests.first).body)
        #expect(body["event"] == "order.created")
        #expect(body["attempt"] == 1)
        #expect(body["data"]?["order_id"] == "ord_150")
        #expect(body["data"]?["total"]?.doubleValue == 150)
        #expect(body["data"]?["customer"]?["name"] == "Zoë Ünicode")
        #expect(body["data"]?["items"]?.arrayValue?.count == 2)
        #expect(body["data"]?["items"]?[1]?["name"] == "Gadget \"Pro\"")
        #expect(body["data"]?["label"] == "Order SO-150 for Zoë Ünicode")
        #expect(requests.first?.verified == true)
    }

    @Test("saving a webhook with a bad filter or an unknown template variable fails with a message naming it")
    func rejectsBadRules() throws {
        let h = try Harness("badrules")
        #expect {
            _ = try h.createWebhook(#"""
                {"tenant": "acme", "name": "Bad", "url": "http://127.0.0.1:1/x", "events": ["order.created"], "filter": "order.total >> 100"}
                """#)
        } throws: { error in "\(error)".contains("column 13") }
        #expect {
            _ = try h.createWebhook(#"""
                {"tenant": "acme", "name": "Bad", "url": "http://127.0.0.1:1/x", "events": ["order.created"],
                 "payload_template": "{\"x\": \"{order.totl}\"}"}
                """#)
        } throws: { error in "\(error)".contains("order.totl") }
        #expect {
            _ = try h.createWebhook(#"""
                {"tenant": "acme", "name": "Bad", "url": "ftp://example.com/x", "events": ["order.created"]}
                """#)
        } throws: { error in "\(error)".contains("only http and https URLs are allowed") }
    }
}
