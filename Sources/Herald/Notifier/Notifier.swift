import CurlClient
import HeraldCore
import Logging
import PostgresClient

/// Tells webhook owners what happened — paused, disabled by a 410, circuit open, deliveries that
/// ended failed (a digest) — by mail to `notify_email` (SMTP through libcurl) and by a POST to
/// `notify_url` signed like a delivery. It sends from the notifications outbox on a thread of its
/// own, so a slow mail server never holds up a delivery; every notifier of every worker may run at
/// once: each notice is claimed by one (a lease) and sent once, each channel recorded as it goes.
public struct Notifier: HeraldService {
    public let name = "notifier"
    let base: HeraldConfiguration
    let configuration: NotifierConfiguration
    let logger: Logger

    public init(base: HeraldConfiguration, configuration: NotifierConfiguration, logger: Logger) {
        self.base = base
        self.configuration = configuration
        self.logger = logger
    }

    public func run(stop: StopSignal) throws {
        var database: PostgresConnection?
        let curl = try CurlMulti(maxTotalConnections: 16)
        var smtp: SMTPClient?
        if let settings = configuration.smtp { smtp = try SMTPClient(settings: settings) }
        while !stop.isStopped {
            do {
                if database == nil { database = try Connections.postgres(base, logger: logger, stop: stop) }
                if let database {
                    let store = NotificationStore(connection: database)
                    let due = try store.claimDue(limit: 20, leaseSeconds: 120)
                    for notice in due where !stop.isStopped {
                        let result = send(notice, webhooks: try WebhookStore(connection: database, masterKey: base.masterKey),
                                          smtp: smtp, curl: curl)
                        let done = result.error == nil || notice.attempts >= configuration.maxAttempts
                        if let error = result.error {
                            logger.warning(done ? "notification given up" : "notification not sent; trying again", metadata: [
                                "webhook_id": "\(notice.webhookID)", "kind": "\(notice.kind.rawValue)", "error": "\(error)",
                                "attempt": "\(notice.attempts)"])
                        }
                        try store.finished(notice.id, emailSent: result.emailSent, urlSent: result.urlSent, done: done,
                                           error: result.error, retryInSeconds: min(300, 10 << min(notice.attempts, 5)))
                    }
                    if due.count == 20 { continue }
                }
            } catch {
                logger.error("notifier pass failed; unsent notices are tried again", metadata: ["error": "\(error)"])
                database?.close()
                database = nil
            }
            stop.sleep(configuration.pollInterval)
        }
        database?.close()
    }

    /// Sends what is still unsent of one notice; returns what went out and the first error.
    func send(_ claimed: ClaimedNotice, webhooks: WebhookStore, smtp: SMTPClient?, curl: CurlMulti)
        -> (emailSent: Bool, urlSent: Bool, error: String?) {
        let webhook: Webhook
        do { webhook = try webhooks.document(id: claimed.webhookID).makeWebhook(validateTemplateVariables: false) } catch {
            return (false, false, "webhook \(claimed.webhookID) cannot be loaded (\(error)); nothing sent")
        }
        let notice = Notice(kind: claimed.kind, webhookID: webhook.id, webhookName: webhook.name, reason: claimed.reason,
                            count: claimed.count, deliveryIDs: claimed.deliveryIDs, atUnixMilliseconds: claimed.createdAtMilliseconds)
        var emailSent = claimed.emailSent
        var urlSent = claimed.urlSent
        var errors: [String] = []
        if !emailSent, let to = webhook.notifyEmail {
            if let smtp {
                do {
                    let message = MailMessage(
                        from: configuration.from, to: to, subject: notice.subject, text: notice.text,
                        dateUnixMilliseconds: Timestamp.nowUnixMilliseconds(), messageID: "\(IDs.make("ntf_"))@herald",
                        headers: [("X-Herald-Webhook-Id", webhook.id), ("X-Herald-Notice", notice.kind.rawValue)])
                    try smtp.send(from: configuration.from, to: to, message: try message.rendered())
                    emailSent = true
                    logger.info("notification mailed", metadata: ["webhook_id": "\(webhook.id)", "kind": "\(notice.kind.rawValue)"])
                } catch {
                    errors.append("mail: \(error)")
                }
            } else {
                emailSent = true   // nothing to send with: said once at start, not per notice
                logger.debug("notify_email set but no HERALD_SMTP_URL: no mail", metadata: ["webhook_id": "\(webhook.id)"])
            }
        }
        if !urlSent, let url = webhook.notifyURL {
            do {
                try post(notice, to: url, webhook: webhook, curl: curl)
                urlSent = true
            } catch {
                errors.append("notify_url: \(error)")
            }
        }
        return (emailSent, urlSent, errors.isEmpty ? nil : errors.joined(separator: "; "))
    }

    /// A POST to notify_url, signed like a delivery (the webhook's signature schemes and live
    /// secrets), through the address guard; done when the endpoint answers 2xx.
    func post(_ notice: Notice, to url: String, webhook: Webhook, curl: CurlMulti) throws {
        let now = Timestamp.nowUnixMilliseconds()
        var body: [UInt8] = []
        notice.json.write(to: &body)
        var headers = [HTTPHeader("Content-Type", "application/json"), HTTPHeader("User-Agent", RequestBuilder.userAgent)]
        for (name, value) in try WebhookSigner.headers(settings: webhook.signing, secrets: webhook.liveSecrets(atMilliseconds: now),
                                                       messageID: IDs.make("ntf_"), timestamp: now / 1000, body: body) {
            headers.append(HTTPHeader(name, value))
        }
        let request = HTTPRequest(url: url, method: "POST", headers: headers, body: body, connectTimeout: .seconds(5),
                                  timeout: .seconds(10), allowPrivateNetworks: base.allowPrivateNetworks)
        try curl.add(request, id: 1)
        let deadline = ContinuousClock.now + .seconds(12)
        while ContinuousClock.now < deadline {
            for completion in curl.perform(timeout: .milliseconds(100)).completions {
                switch completion.result {
                case .success(let response) where (200...299).contains(response.status): return
                case .success(let response): throw HTTPError(code: .other, message: "\(Webhook.redactedURL(url)) answered \(response.status)")
                case .failure(let error): throw error
                }
            }
        }
        _ = curl.cancelAll()
        throw HTTPError(code: .timeout, message: "\(Webhook.redactedURL(url)): no answer within 12 s")
    }
}
