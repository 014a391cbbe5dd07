import Foundation
import HeraldCore
import HeraldCrypto
import PostgresClient

/// Webhook configuration in PostgreSQL. Secrets and credentials are sealed with the master key
/// (AES-256-GCM) at rest and opened only in memory.
public struct WebhookStore {
    public let connection: PostgresConnection
    let box: SecretBox

    public init(connection: PostgresConnection, masterKey: [UInt8]) throws(CryptoError) {
        self.connection = connection
        self.box = try SecretBox(key: masterKey)
    }

    static let columns = """
        w.id, w.tenant_id, w.name, w.description, w.status, w.version, w.url, w.method, w.content_type, w.auth_type,
        w.auth_config_sealed, w.headers::text, w.events, w.filter, w.payload_template, w.connect_timeout_ms,
        w.response_timeout_ms, w.success_status_min, w.success_status_max, w.max_retries, w.retry_backoff,
        w.retry_intervals_s, w.retry_jitter, w.pause_after_failures, w.notify_email, w.notify_url,
        w.keep_failed_payloads, w.rate_limit_per_minute, w.signing_scheme, w.signature_header, w.sign_timestamp,
        w.https_only, w.allowed_networks, w.paused_behavior, w.consecutive_failures, w.paused_reason,
        ARRAY(SELECT s.secret_sealed FROM webhook_secrets s
              WHERE s.webhook_id = w.id AND (s.expires_at IS NULL OR s.expires_at > now()) ORDER BY s.id DESC),
        ARRAY(SELECT COALESCE((extract(epoch FROM s.expires_at) * 1000)::bigint, 0) FROM webhook_secrets s
              WHERE s.webhook_id = w.id AND (s.expires_at IS NULL OR s.expires_at > now()) ORDER BY s.id DESC),
        w.tls_sealed, w.ordering, w.signing::text, w.preset, w.batch_max_events, w.batch_max_wait_ms
        """

    /// Every webhook as a document (secrets opened). `tenant` limits it to one tenant.
    public func documents(tenant: String? = nil, id: String? = nil) throws(StoreError) -> [WebhookDocument] {
        var sql = "SELECT \(WebhookStore.columns) FROM webhooks w WHERE true"
        var params: [(any PostgresEncodable)?] = []
        if let tenant { params.append(tenant); sql += " AND w.tenant_id = $\(params.count)" }
        if let id { params.append(id); sql += " AND w.id = $\(params.count)" }
        sql += " ORDER BY w.tenant_id, w.name, w.id"
        let rows: PostgresRows
        do { rows = try connection.query(sql, params) } catch { throw .database(error) }
        var result: [WebhookDocument] = []
        for row in rows { result.append(try document(from: row)) }
        return result
    }

    public func document(id: String) throws(StoreError) -> WebhookDocument {
        guard let doc = try documents(id: id).first else { throw .notFound("webhook \(id)") }
        return doc
    }

    /// Webhooks ready for matching and delivery. One that no longer parses (a filter written by an
    /// older version, say) is reported in `broken`, not dropped silently.
    public func loadWebhooks() throws(StoreError) -> (webhooks: [Webhook], broken: [(id: String, reason: String)]) {
        var webhooks: [Webhook] = []
        var broken: [(id: String, reason: String)] = []
        for doc in try documents() {
            do { webhooks.append(try doc.makeWebhook(validateTemplateVariables: false)) } catch {
                broken.append((id: doc.id ?? "?", reason: error.description))
            }
        }
        return (webhooks, broken)
    }

    private func document(from row: PostgresRow) throws(StoreError) -> WebhookDocument {
        func text(_ i: Int) -> String? { row[i].text }
        func int(_ i: Int) -> Int? { row[i].text.flatMap { Int($0) } }
        func bool(_ i: Int) -> Bool? { row[i].text.map { $0 == "t" } }
        func array(_ i: Int) -> [String] { (try? row[i].decode([String].self)) ?? [] }
        var doc = WebhookDocument(tenant: text(1) ?? "", name: text(2) ?? "", url: text(6) ?? "", events: array(12))
        doc.id = text(0)
        doc.description = text(3)
        doc.status = text(4)
        doc.version = text(5)
        doc.method = text(7)
        doc.contentType = text(8)
        if let sealed = try? row[10].decode([UInt8].self), !sealed.isEmpty {
            do {
                let opened = try box.open(sealed)
                doc.auth = try JSONDecoder().decode(WebhookDocument.Authentication.self, from: Data(opened))
            } catch {
                throw .sealed("webhook \(doc.id ?? "?") credentials cannot be opened with this master key (HERALD_MASTER_KEY changed?)")
            }
        } else {
            var auth = WebhookDocument.Authentication()
            auth.type = text(9) ?? "none"
            doc.auth = auth
        }
        if let headersText = text(11), let data = headersText.data(using: .utf8) {
            doc.headers = try? JSONDecoder().decode([String: String].self, from: data)
        }
        doc.filter = text(13)
        doc.payloadTemplate = text(14)
        doc.connectTimeoutMs = int(15)
        doc.responseTimeoutMs = int(16)
        doc.successStatusMin = int(17)
        doc.successStatusMax = int(18)
        var retry = WebhookDocument.Retry()
        retry.maxRetries = int(19)
        retry.backoff = text(20)
        retry.intervalsSeconds = array(21).compactMap { Int($0) }
        retry.jitter = text(22).flatMap { Double($0) }
        doc.retry = retry
        doc.pauseAfterFailures = int(23)
        doc.notifyEmail = text(24)
        doc.notifyURL = text(25)
        doc.keepFailedPayloads = bool(26)
        doc.rateLimitPerMinute = int(27)
        doc.preset = text(41)
        if let json = text(40), let signing = try? JSONDecoder().decode(WebhookDocument.Signing.self, from: Data(json.utf8)) {
            doc.signing = signing
        } else {
            // Written before signature schemes were data: the three columns say it.
            var signing = WebhookDocument.Signing()
            signing.scheme = text(28)
            if signing.scheme == "hex" {
                signing.header = text(29)
                signing.signTimestamp = bool(30)
            }
            doc.signing = signing
        }
        doc.httpsOnly = bool(31)
        doc.allowedNetworks = array(32)
        doc.pausedBehavior = text(33)
        doc.consecutiveFailures = int(34)
        doc.pausedReason = text(35)
        var secrets: [String] = []
        for sealedHex in array(36) {
            // bytea[] elements arrive as \x-hex text.
            guard sealedHex.hasPrefix("\\x"), let sealed = Hex.decode(String(sealedHex.dropFirst(2))) else { continue }
            guard let opened = try? box.open(sealed) else {
                throw .sealed("webhook \(doc.id ?? "?") secret cannot be opened with this master key (HERALD_MASTER_KEY changed?)")
            }
            secrets.append(String(decoding: opened, as: UTF8.self))
        }
        doc.secrets = secrets
        doc.secretExpiries = array(37).map { Int64($0).flatMap { $0 == 0 ? nil : $0 } }
        doc.ordering = text(39)
        if let maxEvents = int(42) { doc.batch = WebhookDocument.Batch(maxEvents: maxEvents, maxWaitMs: int(43)) }
        if let sealed = try? row[38].decode([UInt8].self), !sealed.isEmpty {
            do { doc.tls = try JSONDecoder().decode(WebhookDocument.TLS.self, from: Data(try box.open(sealed))) } catch {
                throw .sealed("webhook \(doc.id ?? "?") TLS material cannot be opened with this master key (HERALD_MASTER_KEY changed?)")
            }
        }
        return doc
    }

    /// Saves a new webhook (validated first) with a fresh signing secret unless one is given.
    /// Returns the id and the secret, shown once to the person who created it.
    public func create(_ input: WebhookDocument) throws(StoreError) -> (id: String, secret: String) {
        var doc = input
        let webhook: Webhook
        do { webhook = try doc.makeWebhook() } catch { throw .document(error) }
        try WebhookStore.checkTLS(webhook.tls)
        let id = doc.id ?? IDs.make("wh_")
        doc.id = id
        guard (input.secrets?.count ?? 0) <= 1 else {
            throw .invalid("webhook.secrets: give at most one secret at creation; add more with rotate-secret")
        }
        let secret: String
        if let given = input.secrets?.first {
            do { try WebhookSigner.validateSecret(given, for: webhook.signing.schemes) } catch { throw .invalid(error.message) }
            secret = given
        } else {
            do { secret = try WebhookSigner.generateSecret() } catch { throw .crypto(error) }
        }
        try storeOperation {
            try connection.transaction { c in
                try c.execute("INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING", [webhook.tenantID])
                try c.execute("INSERT INTO webhooks (id, tenant_id, name, url, events) VALUES ($1, $2, $3, $4, $5)",
                              [id, webhook.tenantID, webhook.name, webhook.url, webhook.events])
                try self.write(doc, webhook: webhook, on: c)
                try c.execute("INSERT INTO webhook_secrets (webhook_id, secret_sealed) VALUES ($1, $2)", [id, try self.box.seal(Array(secret.utf8))])
            }
        }
        return (id, secret)
    }

    /// Replaces a webhook's settings (validated first). Secrets are untouched (see rotateSecret).
    /// A masked (`…`) or omitted credential keeps its stored value.
    public func update(_ given: WebhookDocument) throws(StoreError) {
        guard let id = given.id else { throw .invalid("webhook.id: an id is required to update") }
        let stored = try document(id: id)
        if let field = WebhookDocument.credentialNeedingReentry(given: given, stored: stored) {
            throw .document(.invalid(WebhookValidationError(field: field, value: "",
                rule: "the endpoint changed: enter this credential again (a stored credential is only kept for the same host)")))
        }
        let input = given.keepingStoredCredentials(of: stored)
        let webhook: Webhook
        do { webhook = try input.makeWebhook() } catch { throw .document(error) }
        try WebhookStore.checkTLS(webhook.tls)
        for secret in stored.secrets ?? [] {
            do { try WebhookSigner.validateSecret(secret, for: webhook.signing.schemes) } catch {
                throw .invalid("\(error.message) (a live secret of this webhook does not suit the new signing schemes: rotate to a whsec_ secret first)")
            }
        }
        try storeOperation {
            try connection.transaction { c in
                let n = try c.execute("UPDATE webhooks SET updated_at = now() WHERE id = $1", [id])
                guard n == 1 else { throw StoreError.notFound("webhook \(id)") }
                try self.write(input, webhook: webhook, on: c)
            }
        }
    }

    private func write(_ doc: WebhookDocument, webhook: Webhook, on c: PostgresConnection) throws {
        var sealedAuth: [UInt8]?
        if webhook.authentication != .none {
            sealedAuth = try box.seal(Array(try JSONEncoder().encode(doc.auth ?? WebhookDocument.Authentication())))
        }
        let sealedTLS = try webhook.tls.map { _ in try box.seal(Array(try JSONEncoder().encode(doc.tls ?? WebhookDocument.TLS()))) }
        let headersJSON = String(decoding: try JSONEncoder().encode(doc.headers ?? [:]), as: UTF8.self)
        let signingJSON = try doc.signing.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        // The earlier columns keep a summary (for older readers): the first scheme.
        let first = webhook.signing.schemes.first
        let legacyScheme = first == nil ? "none" : first == .standardWebhooks ? "standard" : "hex"
        try c.execute("""
            UPDATE webhooks SET tenant_id = $2, name = $3, description = $4, status = $5, version = $6, url = $7, method = $8,
                content_type = $9, auth_type = $10, auth_config_sealed = $11, headers = $12::jsonb, events = $13, filter = $14,
                payload_template = $15, connect_timeout_ms = $16, response_timeout_ms = $17, success_status_min = $18,
                success_status_max = $19, max_retries = $20, retry_backoff = $21, retry_intervals_s = $22::int[],
                retry_jitter = $23, pause_after_failures = $24, notify_email = $25, notify_url = $26,
                keep_failed_payloads = $27, rate_limit_per_minute = $28, signing_scheme = $29, signature_header = $30,
                sign_timestamp = $31, https_only = $32, allowed_networks = $33, paused_behavior = $34, tls_sealed = $35, ordering = $36,
                signing = $37::jsonb, preset = $38, batch_max_events = $39, batch_max_wait_ms = $40, updated_at = now(),
                paused_at = CASE WHEN $5 IN ('paused', 'disabled') THEN COALESCE(paused_at, now()) END,
                paused_reason = CASE WHEN $5 IN ('paused', 'disabled') THEN paused_reason END,
                consecutive_failures = CASE WHEN $5 = 'active' AND status <> 'active' THEN 0 ELSE consecutive_failures END
            WHERE id = $1
            """, [doc.id ?? "", webhook.tenantID, webhook.name, webhook.description, webhook.status.rawValue, webhook.version,
                  webhook.url, webhook.method, webhook.contentType, (doc.auth?.type ?? "none"), sealedAuth, headersJSON,
                  webhook.events, doc.filter, doc.payloadTemplate, webhook.connectTimeoutMilliseconds,
                  webhook.responseTimeoutMilliseconds, webhook.successStatus.lowerBound, webhook.successStatus.upperBound,
                  webhook.retry.maxRetries, webhook.retry.backoff.rawValue, webhook.retry.intervals, webhook.retry.jitter,
                  webhook.pauseAfterFailures, webhook.notifyEmail, webhook.notifyURL, webhook.keepFailedPayloads,
                  webhook.rateLimitPerMinute, legacyScheme, first?.header ?? "X-Herald-Signature",
                  first?.signed.includesTimestamp ?? true, webhook.httpsOnly, webhook.allowedNetworks, webhook.pausedBehavior.rawValue,
                  sealedTLS, webhook.ordering.rawValue, signingJSON, doc.preset, webhook.batch?.maxEvents,
                  webhook.batch?.maxWaitMilliseconds])
    }

    /// What OpenSSL makes of the PEM input (the shape was checked by `makeWebhook`): the key must
    /// belong to the certificate, the CA bundle must hold certificates.
    static func checkTLS(_ tls: WebhookTLS?) throws(StoreError) {
        guard let tls else { return }
        do {
            if let certificate = tls.clientCertificate, let key = tls.clientKey {
                try PEMCheck.checkKeyPair(certificate: certificate, key: key)
            }
            if let bundle = tls.caBundle { try PEMCheck.certificateCount(bundle, field: "tls.ca_bundle") }
        } catch {
            throw .invalid("webhook.\(error.message)")
        }
    }

    public func setStatus(id: String, status: Webhook.Status, reason: String? = nil) throws(StoreError) {
        try storeOperation {
            let n = try connection.execute("""
                UPDATE webhooks SET status = $2, updated_at = now(),
                    paused_at = CASE WHEN $2 IN ('paused', 'disabled') THEN now() END,
                    paused_reason = CASE WHEN $2 IN ('paused', 'disabled') THEN $3 END,
                    consecutive_failures = CASE WHEN $2 = 'active' THEN 0 ELSE consecutive_failures END
                WHERE id = $1
                """, [id, status.rawValue, reason])
            guard n == 1 else { throw StoreError.notFound("webhook \(id)") }
        }
    }

    public func delete(id: String) throws(StoreError) {
        try storeOperation {
            try connection.transaction { c in
                try c.execute("""
                    UPDATE deliveries SET state = 'cancelled', last_error = 'webhook deleted', completed_at = now(), updated_at = now()
                    WHERE webhook_id = $1 AND state IN ('pending', 'retrying', 'paused')
                    """, [id])
                let n = try c.execute("DELETE FROM webhooks WHERE id = $1", [id])
                guard n == 1 else { throw StoreError.notFound("webhook \(id)") }
            }
        }
    }

    /// Adds a new secret; the old ones keep signing until `graceSeconds` have passed, so receivers
    /// can switch without rejecting a single delivery.
    /// `given` is a secret the partner brings (checked against the webhook's schemes); without it
    /// a fresh `whsec_` secret is made.
    public func rotateSecret(id: String, graceSeconds: Int, secret given: String? = nil) throws(StoreError) -> String {
        guard graceSeconds >= 0 else { throw .invalid("grace: \(graceSeconds) — must be 0 or more seconds") }
        let secret: String
        if let given {
            let webhook: Webhook
            let stored = try document(id: id)
            do { webhook = try stored.makeWebhook(validateTemplateVariables: false) } catch { throw .invalid(error.description) }
            do { try WebhookSigner.validateSecret(given, for: webhook.signing.schemes) } catch { throw .invalid(error.message) }
            secret = given
        } else {
            do { secret = try WebhookSigner.generateSecret() } catch { throw .crypto(error) }
        }
        try storeOperation {
            try connection.transaction { c in
                let exists = try c.query("SELECT 1 FROM webhooks WHERE id = $1", [id])
                guard exists.count == 1 else { throw StoreError.notFound("webhook \(id)") }
                try c.execute("""
                    UPDATE webhook_secrets SET expires_at = now() + make_interval(secs => $2)
                    WHERE webhook_id = $1 AND (expires_at IS NULL OR expires_at > now() + make_interval(secs => $2))
                    """, [id, graceSeconds])
                try c.execute("INSERT INTO webhook_secrets (webhook_id, secret_sealed) VALUES ($1, $2)", [id, try self.box.seal(Array(secret.utf8))])
            }
        }
        return secret
    }

    public func knownTenants() throws(StoreError) -> Set<String> {
        do { return Set(try connection.query("SELECT id FROM tenants WHERE active").compactMap { $0[0].text }) } catch { throw .database(error) }
    }
}

/// Runs a store operation, keeping StoreError as it is and naming anything else.
func storeOperation<T>(_ body: () throws -> T) throws(StoreError) -> T {
    do {
        return try body()
    } catch let error as StoreError {
        throw error
    } catch let error as PostgresError {
        throw .database(error)
    } catch let error as CryptoError {
        throw .crypto(error)
    } catch {
        throw .invalid("\(error)")
    }
}

public enum StoreError: Error, Sendable, CustomStringConvertible {
    case database(PostgresError)
    case notFound(String)
    case invalid(String)
    /// The webhook document breaks a rule: names the field, or the filter/template position.
    case document(WebhookDocumentError)
    case sealed(String)
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case .database(let e): "database: \(e)"
        case .notFound(let what): "\(what) does not exist"
        case .invalid(let message): message
        case .document(let e): e.description
        case .sealed(let message): message
        case .crypto(let e): "crypto: \(e)"
        }
    }
}
