import Herald
import HeraldCore
import Testing

@Suite("Batch settings in a webhook document")
struct BatchDocumentTests {
    func webhook(_ extra: String) throws(WebhookDocumentError) -> Webhook {
        try WebhookDocument.parse(Array(#"""
            {"tenant": "acme", "name": "n", "url": "https://e.com/h", "events": ["order.created"]\#(extra)}
            """#.utf8)).makeWebhook()
    }

    @Test("batch is opt-in, defaults fill what is left out, bounds and unknown fields are refused with the field")
    func parse() throws {
        #expect(try webhook("").batch == nil)
        #expect(try webhook(#", "batch": {"max_events": 10, "max_wait_ms": 0}"#).batch == BatchSettings(maxEvents: 10, maxWaitMilliseconds: 0))
        #expect(try webhook(#", "batch": {}"#).batch == BatchSettings())
        for (bad, field) in [(#"{"max_events": 1}"#, "batch.max_events"), (#"{"max_events": 5000}"#, "batch.max_events"),
                             (#"{"max_wait_ms": 60001}"#, "batch.max_wait_ms"), (#"{"max_events": 5, "max_wait": 1}"#, "max_wait")] {
            let error = #expect(throws: WebhookDocumentError.self) { try webhook(#", "batch": \#(bad)"#) }
            #expect(error?.description.contains(field) == true, "\(bad): \(error?.description ?? "")")
        }
        #expect(throws: WebhookDocumentError.self) { try webhook(#", "batch": {"max_events": 5}, "ordering": "fifo""#) }
    }
}
