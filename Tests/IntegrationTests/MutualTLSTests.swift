import Foundation
import Herald
import HeraldCore
import HeraldTestSupport
import Testing

/// A receiver that requires a client certificate (mutual TLS) from a private CA.
@Suite("Mutual TLS")
struct MutualTLSTests {
    static func document(_ url: String, name: String, tls: WebhookDocument.TLS) -> WebhookDocument {
        var doc = WebhookDocument(tenant: "acme", name: name, url: url, events: ["order.created"])
        doc.tls = tls
        var retry = WebhookDocument.Retry()
        retry.maxRetries = 0
        doc.retry = retry
        return doc
    }

    @Test("with its client certificate a delivery gets through; the same endpoint without one refuses it, the TLS error recorded")
    func delivered() throws {
        let h = try Harness("mtls")
        let pki = try TestPKI()
        defer { pki.remove() }
        let receiver = try Receiver(mutualTLS: pki)
        defer { receiver.stop() }
        let store = try WebhookStore(connection: h.database, masterKey: h.configuration.masterKey)
        var full = WebhookDocument.TLS()
        full.clientCertificate = pki.clientCertificatePEM
        full.clientKey = pki.clientKeyPEM
        full.caBundle = pki.caPEM
        let withCert = try store.create(MutualTLSTests.document("\(receiver.baseURL)/ok/with", name: "With cert", tls: full))
        var caOnly = WebhookDocument.TLS()
        caOnly.caBundle = pki.caPEM
        let without = try store.create(MutualTLSTests.document("\(receiver.baseURL)/ok/without", name: "Without cert", tls: caOnly))
        try receiver.addSecret(withCert.secret)
        try h.startRouter()
        try h.startWorker()
        try h.publish([try Harness.event(data: PipelineTests.order)])
        try h.waitUntil("both final") { try h.count("SELECT count(*) FROM deliveries WHERE state IN ('succeeded', 'failed')") == 2 }
        #expect(try h.scalar("SELECT state FROM deliveries WHERE webhook_id = $1", [withCert.id]) == "succeeded")
        let received = try receiver.requests()
        #expect(received.map(\.path) == ["/ok/with"], "only the webhook with the certificate got through")
        #expect(received.first?.verified == true)
        #expect(try h.scalar("SELECT state FROM deliveries WHERE webhook_id = $1", [without.id]) == "failed")
        let error = try h.scalar("SELECT error FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1",
                                 [without.id]) ?? ""
        #expect(error.contains("client certificate") || error.contains("SSL routines"),
                "the attempt says what TLS refused: \(error)")
    }

    @Test("PEM input is checked when saved: the key must be the certificate's, PEM must be PEM; the key is sealed and masked")
    func validated() throws {
        let h = try Harness("mtls_valid")
        let pki = try TestPKI()
        defer { pki.remove() }
        let store = try WebhookStore(connection: h.database, masterKey: h.configuration.masterKey)
        func attempt(_ certificate: String?, _ key: String?, _ ca: String? = nil) -> String? {
            var tls = WebhookDocument.TLS()
            tls.clientCertificate = certificate
            tls.clientKey = key
            tls.caBundle = ca
            do { _ = try store.create(MutualTLSTests.document("https://example.com/x", name: "t", tls: tls)); return nil } catch {
                return "\(error)"
            }
        }
        #expect(attempt(pki.clientCertificatePEM, pki.strayKeyPEM)?.contains("does not belong") == true)
        #expect(attempt(pki.clientCertificatePEM, nil)?.contains("tls.client_key") == true)
        #expect(attempt("hello", pki.clientKeyPEM)?.contains("tls.client_certificate") == true)
        #expect(attempt(nil, nil, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")?.contains("tls.ca_bundle") == true)
        #expect(attempt(nil, nil, String(repeating: "A", count: 200_000))?.contains("at most") == true)
        #expect(attempt(pki.clientCertificatePEM, pki.clientKeyPEM, pki.caPEM) == nil)
        // Sealed at rest, masked when shown, kept by an update written from what was shown.
        let id = try #require(try h.scalar("SELECT id FROM webhooks"))
        #expect(try h.count("SELECT count(*) FROM webhooks WHERE tls_sealed IS NOT NULL AND position('PRIVATE' in encode(tls_sealed, 'escape')) = 0") == 1)
        let shown = try store.document(id: id).redacted()
        #expect(shown.tls?.clientKey == WebhookDocument.masked)
        try store.update(shown)
        #expect(try store.document(id: id).tls?.clientKey == pki.clientKeyPEM)
    }
}
