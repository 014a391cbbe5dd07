import AMQP
import CurlClient
import HeraldCore
import Logging
import PostgresClient

/// Delivers jobs over HTTP, many at once through one libcurl multi handle, on one thread.
///
/// Per job: claim it in PostgreSQL for its attempt number (a duplicate claims nothing and is
/// dropped), send it signed, then record the attempt and the delivery's next state. Outcomes are
/// written in batches; retry and dead-letter messages are published with confirms; only then is
/// the job acked. A crash at any point leaves the job unacked (redelivered) or the delivery due in
/// PostgreSQL (the reconciler republishes it): never lost.
public struct Worker: HeraldService {
    public let name: String
    let configuration: WorkerConfiguration
    let logger: Logger

    public init(configuration: WorkerConfiguration, logger: Logger, name: String = "worker") {
        self.configuration = configuration
        self.logger = logger
        self.name = name
    }

    public func run(stop: StopSignal) throws {
        let watcher = WebhookWatcher(configuration: configuration.base, logger: logger)
        var webhooks: [String: Webhook] = [:]
        var backoff = Duration.milliseconds(200)
        var stats = WorkerStats()
        while !stop.isStopped {
            do {
                if webhooks.isEmpty {
                    webhooks = Dictionary(try watcher.load(stop: stop).webhooks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                }
                let session = try WorkerSession(configuration: configuration, logger: logger, stop: stop, webhooks: webhooks)
                backoff = .milliseconds(200)
                try session.run(watcher: watcher, stats: &stats)
                webhooks = session.webhooks
            } catch {
                if stop.isStopped { break }
                logger.error("worker connection failed; unacked jobs will be redelivered", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
                stop.sleep(backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        stats.log(logger, force: true)
    }
}

/// One connected life of a worker: its connections, what is in flight, what waits to be written.
final class WorkerSession {
    struct InFlight {
        var deliveryTag: UInt64
        var claimed: ClaimedDelivery
        var webhook: Webhook
        var startedAt: Int64
        var started: ContinuousClock.Instant
        var requestHeaders: String
    }

    struct Pending {
        var deliveryTag: UInt64
        var outcome: AttemptOutcome?
        var message: AMQPMessage?
        var ack: Bool
    }

    let configuration: WorkerConfiguration
    let logger: Logger
    let stop: StopSignal
    let amqp: AMQPConnection
    let database: PostgresConnection
    let store: DeliveryStore
    let curl: CurlMulti
    let topology: Topology
    let builder: RequestBuilder
    let tokens: OAuthTokenCache
    var webhooks: [String: Webhook]
    var inFlight: [UInt64: InFlight] = [:]
    var nextRequestID: UInt64 = 1
    var pending: [Pending] = []
    var oldestPending: ContinuousClock.Instant?
    var declaredDelays: Set<Int> = []
    var limiter = RateLimiter()
    var consuming = true
    var lastWebhookPoll = ContinuousClock.now
    var rng = SystemRandomNumberGenerator()
    var watcher: WebhookWatcher?

    init(configuration: WorkerConfiguration, logger: Logger, stop: StopSignal, webhooks: [String: Webhook]) throws {
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        self.webhooks = webhooks
        amqp = try Connections.amqp(configuration.base, name: "worker", logger: logger, stop: stop)
        database = try Connections.postgres(configuration.base, logger: logger, stop: stop)
        store = DeliveryStore(connection: database)
        curl = try CurlMulti(maxTotalConnections: max(configuration.concurrency * 2, 64))
        topology = Topology(names: configuration.base.topology)
        builder = RequestBuilder(allowPrivateNetworks: configuration.base.allowPrivateNetworks)
        tokens = OAuthTokenCache(allowPrivateNetworks: configuration.base.allowPrivateNetworks)
        try topology.declareDeliveries(on: amqp)
        try amqp.enableConfirms()
        try amqp.setPrefetch(UInt16(min(configuration.concurrency + configuration.flushBatch, 65_535)))
        try amqp.consume(queue: topology.names.deliverQueue, consumerTag: "\(configuration.base.instanceName)-deliver")
        logger.info("delivering", metadata: ["queue": "\(topology.names.deliverQueue)", "concurrency": "\(configuration.concurrency)"])
    }

    deinit {
        amqp.close()
        database.close()
    }

    func run(watcher: WebhookWatcher, stats: inout WorkerStats) throws {
        self.watcher = watcher
        var drainDeadline: ContinuousClock.Instant?
        while true {
            if stop.isStopped && drainDeadline == nil {
                drainDeadline = .now + configuration.drainTimeout
                consuming = false
                try? amqp.cancel(consumerTag: "\(configuration.base.instanceName)-deliver")
                logger.info("stopping: finishing in-flight deliveries", metadata: ["in_flight": "\(inFlight.count)"])
            }
            if let deadline = drainDeadline, inFlight.isEmpty || ContinuousClock.now > deadline {
                try handBack(stats: &stats)
                try flush(stats: &stats, force: true)
                return
            }
            if ContinuousClock.now - lastWebhookPoll > .milliseconds(100) {
                lastWebhookPoll = .now
                if let fresh = watcher.poll(stop: stop) {
                    webhooks = Dictionary(fresh.webhooks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                    logger.info("webhooks reloaded", metadata: ["webhooks": "\(webhooks.count)"])
                }
            }
            // Take new jobs while there is room.
            let room = configuration.concurrency - inFlight.count
            if consuming && room > 0 {
                let wait: Duration = inFlight.isEmpty && pending.isEmpty ? .milliseconds(50) : .zero
                let jobs = try amqp.deliveries(max: room, timeout: wait)
                if !jobs.isEmpty { try start(jobs, stats: &stats) }
            } else {
                try amqp.poll(timeout: .zero)   // keeps heartbeats and confirms flowing while full
            }
            // Drive transfers; wake up early when the broker has something for us.
            if curl.inFlight > 0 {   // deliveries, and notifications that are not deliveries
                let timeout: Duration = amqp.hasBufferedInput || !pending.isEmpty ? .milliseconds(1) : .milliseconds(20)
                let result = curl.perform(timeout: timeout, extraDescriptors: consuming ? [amqp.socketDescriptor] : [])
                for completion in result.completions { complete(completion, stats: &stats) }
            }
            try flush(stats: &stats, force: false)
            stats.inFlight = inFlight.count
            stats.log(logger)
        }
    }

    // MARK: starting

    private func start(_ jobs: [AMQPDelivery], stats: inout WorkerStats) throws {
        var valid: [(AMQPDelivery, DeliveryJob)] = []
        let nowSeconds = Double(Timestamp.nowUnixMilliseconds()) / 1000
        for message in jobs {
            let job: DeliveryJob
            do { job = try DeliveryJob(decoding: message.body) } catch {
                stats.invalid += 1
                logger.warning("invalid delivery job parked", metadata: ["reason": "\(error)"])
                park(message, in: topology.names.invalidQueue, reason: error.description)
                continue
            }
            // Over its rate limit: back to a short delay queue, unclaimed (no attempt is used up).
            if case .string(let webhookID)? = message.properties.headers["webhook_id"],
               let webhook = webhooks[webhookID], let perMinute = webhook.rateLimitPerMinute {
                let wait = limiter.take(key: webhookID, perMinute: perMinute, now: nowSeconds)
                if wait > 0 {
                    stats.rateLimited += 1
                    defer_(message, job: job, seconds: RateLimitDelay.bucket(for: wait))
                    continue
                }
            }
            valid.append((message, job))
        }
        guard !valid.isEmpty else { return }
        let leases = valid.map { pair -> Int in
            let headerWebhook: String? = if case .string(let id)? = pair.0.properties.headers["webhook_id"] { id } else { nil }
            let webhook = headerWebhook.flatMap { webhooks[$0] }
            return ((webhook?.connectTimeoutMilliseconds ?? 10_000) + (webhook?.responseTimeoutMilliseconds ?? 30_000)) / 1000 + 10
        }
        let claimed = try store.claim(valid.map(\.1), leaseSeconds: leases)
        let byID = Dictionary(claimed.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // A job for a webhook we believe paused, disabled or unknown: our copy may be older than the
        // change that sent the job (a resume), so ask PostgreSQL before parking anything.
        if claimed.contains(where: { webhooks[$0.webhookID]?.status != .active }), let fresh = watcher?.reloadNow(stop: stop) {
            webhooks = Dictionary(fresh.webhooks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let now = Timestamp.nowUnixMilliseconds()
        for (message, job) in valid {
            guard let delivery = byID[job.deliveryID], delivery.attempt == job.attempt else {
                stats.duplicates += 1
                logger.debug("duplicate job dropped", metadata: ["delivery_id": "\(job.deliveryID)", "attempt": "\(job.attempt)"])
                enqueue(Pending(deliveryTag: message.deliveryTag, outcome: nil, message: nil, ack: true))
                continue
            }
            guard let webhook = webhooks[delivery.webhookID] else {
                settleUnsent(message.deliveryTag, delivery, state: .cancelled, reason: "webhook \(delivery.webhookID) no longer exists")
                continue
            }
            switch webhook.status {
            case .paused:
                let state: AttemptOutcome.NextState = webhook.pausedBehavior == .queue ? .paused : .cancelled
                settleUnsent(message.deliveryTag, delivery, state: state, reason: "webhook paused")
                continue
            case .disabled:
                settleUnsent(message.deliveryTag, delivery, state: .cancelled, reason: "webhook disabled")
                continue
            case .active:
                break
            }
            var body = delivery.payload
            if delivery.deferred, let eventBytes = delivery.eventPayload, let template = webhook.template {
                do {
                    let event = try JSONValue(parsing: eventBytes)
                    body = template.render(event: event, context: TemplateContext(
                        webhookID: delivery.id, timestamp: Timestamp.iso8601(unixMilliseconds: now),
                        eventType: delivery.eventType, attempt: delivery.attempt))
                } catch {
                    fail(message.deliveryTag, delivery, webhook: webhook, startedAt: now, reason: "stored event cannot be parsed: \(error)", stats: &stats)
                    continue
                }
            }
            do {
                let built = try builder.request(webhook: webhook, deliveryID: delivery.id, body: body, now: now, token: tokens.token(for:))
                let id = nextRequestID
                nextRequestID += 1
                try curl.add(built.request, id: id)
                inFlight[id] = InFlight(deliveryTag: message.deliveryTag, claimed: delivery, webhook: webhook, startedAt: now,
                                        started: .now, requestHeaders: built.loggedHeaders)
            } catch let error as HTTPError {
                fail(message.deliveryTag, delivery, webhook: webhook, startedAt: now, reason: error.description, stats: &stats,
                     permanent: error.code == .invalidRequest || error.code == .blockedAddress)
            } catch {
                fail(message.deliveryTag, delivery, webhook: webhook, startedAt: now, reason: "\(error)", stats: &stats, permanent: false)
            }
        }
    }

    // MARK: completing

    private func complete(_ completion: HTTPCompletion, stats: inout WorkerStats) {
        guard let flight = inFlight.removeValue(forKey: completion.id) else { return }
        let elapsed = ContinuousClock.now - flight.started
        let duration = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let webhook = flight.webhook
        let verdict: AttemptVerdict
        var status: Int?
        var responseHeaders: String?
        var responseBody: String?
        var errorText: String?
        switch completion.result {
        case .success(let response):
            status = response.status
            verdict = AttemptClassifier.classify(status: response.status, successStatus: webhook.successStatus)
            responseHeaders = response.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
            responseBody = String(decoding: response.body, as: UTF8.self) + (response.bodyTruncated ? "\n[truncated]" : "")
            if case .retryable(let reason) = verdict { errorText = reason }
            if case .permanent(let reason) = verdict { errorText = reason }
        case .failure(let error):
            errorText = error.description
            verdict = AttemptClassifier.classify(failure: error.code.transportFailure, message: error.description)
        }
        var outcome = AttemptOutcome(
            deliveryID: flight.claimed.id, attempt: flight.claimed.attempt, webhookID: webhook.id,
            startedAtMilliseconds: flight.startedAt, durationMilliseconds: duration, statusCode: status,
            succeeded: verdict == .succeeded, error: errorText, requestHeaders: flight.requestHeaders,
            responseHeaders: responseHeaders, responseBody: responseBody, nextState: .succeeded,
            nextAttemptInSeconds: nil, dropPayload: false, wasSent: true)
        var message: AMQPMessage?
        if verdict == .succeeded {
            stats.succeeded += 1
            logger.debug("delivered", metadata: ["delivery_id": "\(flight.claimed.id)", "webhook_id": "\(webhook.id)", "attempt": "\(flight.claimed.attempt)", "status": "\(status ?? 0)"])
        } else if let delay = AttemptClassifier.nextDelay(after: flight.claimed.attempt, verdict: verdict, policy: webhook.retry,
                                                           random: Double.random(in: 0..<1, using: &rng)) {
            stats.retried += 1
            outcome.nextState = .retrying
            outcome.nextAttemptInSeconds = delay
            message = retryMessage(deliveryID: flight.claimed.id, webhookID: webhook.id, attempt: flight.claimed.attempt + 1, delay: delay)
            logger.warning("delivery failed; retrying", metadata: ["delivery_id": "\(flight.claimed.id)", "webhook_id": "\(webhook.id)",
                                                                    "attempt": "\(flight.claimed.attempt)", "retry_in_s": "\(delay)", "error": "\(errorText ?? "")"])
        } else {
            stats.failed += 1
            outcome.nextState = .failed
            outcome.dropPayload = !webhook.keepFailedPayloads
            message = deadMessage(deliveryID: flight.claimed.id, webhookID: webhook.id, attempt: flight.claimed.attempt,
                                  reason: errorText ?? "failed", status: status)
            logger.error("delivery failed for good; parked in \(topology.names.deadQueue)", metadata: [
                "delivery_id": "\(flight.claimed.id)", "webhook_id": "\(webhook.id)", "attempt": "\(flight.claimed.attempt)", "error": "\(errorText ?? "")"])
        }
        enqueue(Pending(deliveryTag: flight.deliveryTag, outcome: outcome, message: message, ack: true))
    }

    /// An attempt that failed before any request went out (cannot be built): recorded as an attempt.
    private func fail(_ tag: UInt64, _ delivery: ClaimedDelivery, webhook: Webhook, startedAt: Int64, reason: String,
                      stats: inout WorkerStats, permanent: Bool = true) {
        let verdict: AttemptVerdict = permanent ? .permanent(reason: reason) : .retryable(reason: reason)
        var outcome = AttemptOutcome(
            deliveryID: delivery.id, attempt: delivery.attempt, webhookID: webhook.id, startedAtMilliseconds: startedAt,
            durationMilliseconds: 0, statusCode: nil, succeeded: false, error: reason, requestHeaders: nil, responseHeaders: nil,
            responseBody: nil, nextState: .failed, nextAttemptInSeconds: nil, dropPayload: !webhook.keepFailedPayloads, wasSent: true)
        var message: AMQPMessage?
        if let delay = AttemptClassifier.nextDelay(after: delivery.attempt, verdict: verdict, policy: webhook.retry, random: 0.5) {
            stats.retried += 1
            outcome.nextState = .retrying
            outcome.nextAttemptInSeconds = delay
            outcome.dropPayload = false
            message = retryMessage(deliveryID: delivery.id, webhookID: webhook.id, attempt: delivery.attempt + 1, delay: delay)
        } else {
            stats.failed += 1
            message = deadMessage(deliveryID: delivery.id, webhookID: webhook.id, attempt: delivery.attempt, reason: reason, status: nil)
        }
        logger.warning("delivery could not be sent", metadata: ["delivery_id": "\(delivery.id)", "webhook_id": "\(webhook.id)", "error": "\(reason)"])
        enqueue(Pending(deliveryTag: tag, outcome: outcome, message: message, ack: true))
    }

    /// A claimed job that is not sent (webhook paused, disabled or gone): the attempt is given back.
    private func settleUnsent(_ tag: UInt64, _ delivery: ClaimedDelivery, state: AttemptOutcome.NextState, reason: String) {
        let outcome = AttemptOutcome(
            deliveryID: delivery.id, attempt: delivery.attempt, webhookID: delivery.webhookID, startedAtMilliseconds: 0,
            durationMilliseconds: 0, statusCode: nil, succeeded: false, error: reason, requestHeaders: nil, responseHeaders: nil,
            responseBody: nil, nextState: state, nextAttemptInSeconds: nil, dropPayload: false, wasSent: false)
        enqueue(Pending(deliveryTag: tag, outcome: outcome, message: nil, ack: true))
    }

    /// Stopping with deliveries still in flight: cancel them and give their attempts back, so the
    /// requeued jobs are claimed at once by another worker.
    private func handBack(stats: inout WorkerStats) throws {
        guard !inFlight.isEmpty else { return }
        _ = curl.cancelAll()
        logger.warning("handing back in-flight deliveries", metadata: ["count": "\(inFlight.count)"])
        for (_, flight) in inFlight {
            let outcome = AttemptOutcome(
                deliveryID: flight.claimed.id, attempt: flight.claimed.attempt, webhookID: flight.webhook.id, startedAtMilliseconds: 0,
                durationMilliseconds: 0, statusCode: nil, succeeded: false, error: "handed back at worker shutdown", requestHeaders: nil,
                responseHeaders: nil, responseBody: nil, nextState: .retrying, nextAttemptInSeconds: 0, dropPayload: false, wasSent: false)
            pending.append(Pending(deliveryTag: flight.deliveryTag, outcome: outcome, message: nil, ack: false))
        }
        inFlight.removeAll()
    }

    // MARK: messages

    private func retryMessage(deliveryID: String, webhookID: String, attempt: Int, delay: Int) -> AMQPMessage {
        AMQPMessage(exchange: topology.names.retryExchange, routingKey: topology.names.retryRoutingKey(delaySeconds: delay),
                    body: DeliveryJob(deliveryID: deliveryID, attempt: attempt).encoded(),
                    properties: AMQPProperties(contentType: "application/json", messageID: deliveryID, persistent: true,
                                               headers: ["webhook_id": .string(webhookID), "attempt": .int(Int64(attempt))]),
                    mandatory: true)
    }

    private func deadMessage(deliveryID: String, webhookID: String, attempt: Int, reason: String, status: Int?) -> AMQPMessage {
        var headers: AMQPTable = ["webhook_id": .string(webhookID), "attempt": .int(Int64(attempt)),
                                  "x-herald-reason": .string(reason), "x-herald-parked-at": .string(Timestamp.nowISO8601())]
        if let status { headers["x-herald-last-status"] = .int(Int64(status)) }
        return AMQPMessage(exchange: "", routingKey: topology.names.deadQueue,
                           body: DeliveryJob(deliveryID: deliveryID, attempt: attempt).encoded(),
                           properties: AMQPProperties(contentType: "application/json", messageID: deliveryID, persistent: true, headers: headers),
                           mandatory: true)
    }

    private func park(_ message: AMQPDelivery, in queue: String, reason: String) {
        enqueue(Pending(deliveryTag: message.deliveryTag, outcome: nil, message: Parking.message(message, queue: queue, reason: reason), ack: true))
    }

    private func defer_(_ message: AMQPDelivery, job: DeliveryJob, seconds: Int) {
        var properties = message.properties
        properties.persistent = true
        enqueue(Pending(deliveryTag: message.deliveryTag, outcome: nil,
                        message: AMQPMessage(exchange: topology.names.retryExchange, routingKey: topology.names.retryRoutingKey(delaySeconds: seconds),
                                             body: message.body, properties: properties, mandatory: true),
                        ack: true))
    }

    private func enqueue(_ item: Pending) {
        if pending.isEmpty { oldestPending = .now }
        pending.append(item)
    }

    // MARK: flushing

    /// Writes outcomes (one transaction), publishes retries and parked jobs (confirmed), then acks.
    private func flush(stats: inout WorkerStats, force: Bool) throws {
        guard !pending.isEmpty else { return }
        if !force, pending.count < configuration.flushBatch, let oldest = oldestPending,
           ContinuousClock.now - oldest < configuration.flushInterval {
            return
        }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        oldestPending = nil
        let outcomes = batch.compactMap(\.outcome)
        if !outcomes.isEmpty {
            let paused = try store.record(outcomes, worker: configuration.base.instanceName)
            for webhook in paused {
                logger.error("webhook paused after consecutive failures", metadata: [
                    "webhook_id": "\(webhook.id)", "webhook": "\(webhook.name)", "consecutive_failures": "\(webhook.failures)"])
                stats.paused += 1
                notifyPaused(webhookID: webhook.id, name: webhook.name, failures: webhook.failures)
            }
        }
        let messages = batch.compactMap(\.message)
        if !messages.isEmpty {
            for message in messages where message.exchange == topology.names.retryExchange {
                let delay = Int(message.routingKey.dropLast()) ?? 0
                if !declaredDelays.contains(delay) {
                    try topology.declareRetryQueue(delaySeconds: delay, on: amqp)
                    declaredDelays.insert(delay)
                }
            }
            let returned = try amqp.publishConfirmed(messages, window: 4096, timeout: .seconds(60))
            for r in returned {
                logger.error("message unroutable; the reconciler will republish the delivery", metadata: ["routing_key": "\(r.routingKey)", "reply": "\(r.replyText)"])
            }
        }
        for item in batch {
            if item.ack { try amqp.ack(item.deliveryTag) } else { try amqp.nack(item.deliveryTag, requeue: true) }
        }
    }

    /// Tells the webhook's owner that it was paused: a POST to notify_url (best effort, logged).
    private func notifyPaused(webhookID: String, name: String, failures: Int) {
        guard let webhook = webhooks[webhookID], let url = webhook.notifyURL else { return }
        var body: [UInt8] = []
        JSONValue.object(JSONObject([
            ("type", "webhook.paused"), ("webhook_id", .string(webhookID)), ("webhook_name", .string(name)),
            ("consecutive_failures", .number(JSONNumber(failures))), ("paused_at", .string(Timestamp.nowISO8601())),
        ])).write(to: &body)
        let request = HTTPRequest(url: url, method: "POST", headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("User-Agent", RequestBuilder.userAgent)],
                                  body: body, connectTimeout: .seconds(5), timeout: .seconds(10),
                                  allowPrivateNetworks: configuration.base.allowPrivateNetworks)
        do {
            let id = nextRequestID | (1 << 63)
            nextRequestID += 1
            try curl.add(request, id: id)
        } catch {
            logger.warning("pause notification could not be sent", metadata: ["webhook_id": "\(webhookID)", "error": "\(error)"])
        }
    }
}

/// Rate-limited jobs wait in one of a few delay queues, the shortest that covers the wait.
enum RateLimitDelay {
    static let buckets = [1, 5, 15, 60]
    static func bucket(for seconds: Double) -> Int { buckets.first { Double($0) >= seconds } ?? 60 }
}

extension HTTPError.Code {
    var transportFailure: AttemptClassifier.TransportFailure {
        switch self {
        case .timeout: .timeout
        case .connectionFailed, .sendFailed, .receiveFailed: .connection
        case .dnsFailed: .dns
        case .tlsFailed: .tls
        case .blockedAddress: .blockedAddress
        case .invalidRequest: .invalidRequest
        case .other: .other
        }
    }
}

/// Counters the worker logs every ten seconds (and at exit).
struct WorkerStats {
    var succeeded = 0
    var retried = 0
    var failed = 0
    var duplicates = 0
    var invalid = 0
    var rateLimited = 0
    var paused = 0
    var inFlight = 0
    private var lastLog = ContinuousClock.now
    private var lastDone = 0

    mutating func log(_ logger: Logger, force: Bool = false) {
        let elapsed = ContinuousClock.now - lastLog
        guard force || elapsed > .seconds(10) else { return }
        let done = succeeded + retried + failed
        let seconds = elapsed.inSeconds
        logger.info("worker progress", metadata: [
            "succeeded": "\(succeeded)", "retried": "\(retried)", "failed": "\(failed)", "duplicates_dropped": "\(duplicates)",
            "rate_limited": "\(rateLimited)", "invalid": "\(invalid)", "in_flight": "\(inFlight)",
            "attempts_per_s": "\(seconds > 0 ? Int(Double(done - lastDone) / seconds) : 0)",
        ])
        lastLog = .now
        lastDone = done
    }
}
