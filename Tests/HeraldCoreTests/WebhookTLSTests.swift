import HeraldCore
import Testing

@Suite("Webhook TLS material")
struct WebhookTLSTests {
    let certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nAbC+/=\n-----END CERTIFICATE-----\n"
    let key = "-----BEGIN PRIVATE KEY-----\r\nMIGHAgEAMBMGByqGSM49\r\n-----END PRIVATE KEY-----\r\n"

    func field(_ tls: WebhookTLS) -> String? {
        do { try tls.validate(); return nil } catch { return error.field }
    }

    @Test("certificate and key go together; a CA bundle may come alone")
    func pairing() {
        #expect(field(WebhookTLS(clientCertificate: certificate, clientKey: key)) == nil)
        #expect(field(WebhookTLS(caBundle: certificate + certificate)) == nil)
        #expect(field(WebhookTLS(clientCertificate: certificate)) == "tls.client_key")
        #expect(field(WebhookTLS(clientKey: key)) == "tls.client_certificate")
    }

    @Test("PEM shape, labels, bounds and control bytes are checked as bytes")
    func shape() {
        #expect(field(WebhookTLS(caBundle: "not pem")) == "tls.ca_bundle")
        #expect(field(WebhookTLS(caBundle: key)) == "tls.ca_bundle", "a key is not a CA bundle")
        #expect(field(WebhookTLS(caBundle: "-----BEGIN CERTIFICATE-----\nAA\u{0}\n-----END CERTIFICATE-----\n")) == "tls.ca_bundle")
        #expect(field(WebhookTLS(caBundle: "-----BEGIN CERTIFICATE-----\nAA\n")) == "tls.ca_bundle", "unterminated")
        #expect(field(WebhookTLS(caBundle: "-----BEGIN CERTIFICATE-----\nA A!\n-----END CERTIFICATE-----\n")) == "tls.ca_bundle")
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        #expect(field(WebhookTLS(clientCertificate: certificate, clientKey: encrypted)) == "tls.client_key")
        let huge = certificate + String(repeating: "A", count: WebhookTLS.Limits.caBundleBytes)
        #expect(field(WebhookTLS(caBundle: huge)) == "tls.ca_bundle")
    }
}
