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
    let metrics: HeraldMetrics
    let health: ServiceHealth
    let spans: SpanExporter?

    public init(configuration: WorkerConfiguration, logger: Logger, name: String = "worker",
                telemetry: ProcessTelemetry = ProcessTelemetry()) {
        self.configuration = configuration
        self.logger = logger
        self.name = name
        self.metrics = telemetry.metrics
        self.health = telemetry.health(name)
        self.spans = telemetry.spans
    }

    public func run(stop: StopSignal) throws {
        let watcher = WebhookWatcher(configuration: configuration.base, logger: logger)
        var webhooks: [Webhook] = []
        var backoff = Duration.milliseconds(200)
        while !stop.isStopped {
            do {
                webhooks = try watcher.load(stop: stop).webhooks
                break
            } catch {
                if stop.isStopped { return }
                logger.error("webhooks cannot be loaded; retrying", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
                stop.sleep(backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        guard !stop.isStopped else { return }
        var stats = WorkerStats()
        let session = try WorkerSession(configuration: configuration, logger: logger, stop: stop, watcher: watcher,
                                        webhooks: Dictionary(webhooks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
                                        metrics: metrics, health: health, spans: spans)
        defer { health.down() }
        session.run(stats: &stats)
        stats.log(logger, force: true)
    }
}

/// A worker's life: the requests in flight and the outcomes not yet written outlive any one
/// connection. When RabbitMQ or PostgreSQL goes away, requests already sent finish, answers already
/// received are kept and written when the database is back, retry and dead-letter messages are
/// published when the broker is back; only acks of a lost channel are forgotten (the broker
/// redelivers those jobs, and the claim recognises them).
final class WorkerSession {
    /// A claimed delivery and the job that carried it (its tag is valid on channel `generation` only).
    struct Member {
        var deliveryTag: UInt64
        var generation: Int
        var claimed: ClaimedDelivery
    }

    /// One request: one delivery, or a batch of them (each recorded on its own when it ends).
    struct InFlight {
        var members: [Member]
        var webhook: Webhook
        var startedAt: Int64
        var started: ContinuousClock.Instant
        var requestHeaders: String
        var traceparent: String? = nil
    }

    /// Work that waits to be written, published and acked, in that order.
    struct Pending {
        /// The job's delivery tag on channel `generation`, or nil (nothing to ack).
        var deliveryTag: UInt64?
        var generation: Int
        /// The attempt to record (nil once recorded, or when there is none).
        var outcome: AttemptOutcome?
        /// A message to publish once the outcome is recorded, and the delay queue it goes through.
        var message: AMQPMessage?
        var delaySeconds: Int = 0
        /// The message is the job itself moved elsewhere (parked, deferred): when its channel is
        /// lost the broker redelivers the job, so the copy must not be published too.
        var replacesJob = false
        /// A row to push back in time (a job waiting out a rate limit).
        var postpone: (id: String, seconds: Int)?
        var ack = true
    }

    let configuration: WorkerConfiguration
    let logger: Logger
    let stop: StopSignal
    let watcher: WebhookWatcher
    let curl: CurlMulti
    let topology: Topology
    let messages: JobMessages
    let builder: RequestBuilder
    let planner: AttemptPlanner
    let tokens: OAuthTokenCache
    let metrics: HeraldMetrics
    let health: ServiceHealth
    let spans: SpanExporter?
    var webhooks: [String: Webhook]
    var amqp: AMQPConnection?
    /// Counts AMQP connections: a delivery tag is only valid on the channel that gave it.
    var generation = 0
    var database: PostgresConnection?
    var amqpRetry = Reconnect()
    var databaseRetry = Reconnect()
    var inFlight: [UInt64: InFlight] = [:]
    var inFlightByWebhook: [String: Int] = [:]
    /// Jobs of webhooks at their in-flight cap, waiting for one of that webhook's slots (unacked).
    var held: [String: [AMQPDelivery]] = [:]
    /// Jobs waiting for a token of their webhook's shared rate limit (unacked).
    var rateHeld: [String: [AMQPDelivery]] = [:]
    var heldCount = 0
    var nextLeaseAt: [String: Double] = [:]
    /// Circuits that are not closed, as last read (every second) or changed here.
    var circuits: [String: CircuitState] = [:]
    var circuitCounts: [String: (successes: Int, failures: Int)] = [:]
    /// Deliveries whose wait for a circuit outlasted their retry interval: the claimed attempt is spent, not sent.
    var circuitExpired: Set<String> = []
    var lastCircuitRefresh = ContinuousClock.now - .seconds(10)
    var lastCircuitReport = ContinuousClock.now
    var maxHeld: Int { max(configuration.flushBatch / 2, configuration.maxInFlightPerWebhook * 2) }
    var nextRequestID: UInt64 = 1
    var pending: [Pending] = []
    var oldestPending: ContinuousClock.Instant?
    var declaredDelays: Set<Int> = []
    var rateLeases = RateLeases()
    var consuming = true
    var lastWebhookPoll = ContinuousClock.now
    var rng = SystemRandomNumberGenerator()
    /// Claimed deliveries of batch webhooks waiting for their batch to fill (see WorkerSession+Batch).
    var batches: [String: HeldBatch] = [:]
    var batchedCount = 0
    /// Notices for owners not yet written to the outbox.
    var notices: [(webhookID: String, kind: Notice.Kind, reason: String)] = []

    init(configuration: WorkerConfiguration, logger: Logger, stop: StopSignal, watcher: WebhookWatcher,
         webhooks: [String: Webhook], metrics: HeraldMetrics, health: ServiceHealth, spans: SpanExporter?) throws {
        self.metrics = metrics
        self.health = health
        self.spans = spans
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        self.watcher = watcher
        self.webhooks = webhooks
        curl = try CurlMulti(maxTotalConnections: max(configuration.concurrency * 2, 64))
        topology = Topology(names: configuration.base.topology)
        messages = JobMessages(names: configuration.base.topology)
        builder = RequestBuilder(allowPrivateNetworks: configuration.base.allowPrivateNetworks)
        planner = AttemptPlanner(retryAfterBounds: 1...configuration.maxRetryAfterSeconds)
        tokens = OAuthTokenCache(allowPrivateNetworks: configuration.base.allowPrivateNetworks)
    }

    deinit {
        amqp?.close()
        database?.close()
    }

    /// One consumer per delivery queue (the shards and the single queue).
    var consumerTags: [String] {
        topology.names.deliverQueues.indices.map { "\(configuration.base.instanceName)-deliver\($0 == 0 ? "" : "-\($0)")" }
    }

    func run(stats: inout WorkerStats) {
        var drainDeadline: ContinuousClock.Instant?
        while true {
            if stop.isStopped && drainDeadline == nil {
                drainDeadline = .now + configuration.drainTimeout
                consuming = false
                if let amqp {
                    do { for tag in consumerTags { try amqp.cancel(consumerTag: tag) } } catch { amqpLost(error) }
                }
                releaseHeld(requeue: true)
                handBackBatches()
                logger.info("stopping: finishing in-flight deliveries", metadata: ["in_flight": "\(inFlight.count)"])
            }
            if let deadline = drainDeadline, inFlight.isEmpty || ContinuousClock.now > deadline {
                handBack(stats: &stats)
                finalFlush(stats: &stats)
                return
            }
            connect()
            if ContinuousClock.now - lastWebhookPoll > .milliseconds(100) {
                lastWebhookPoll = .now
                if let fresh = watcher.poll(stop: stop) {
                    webhooks = Dictionary(fresh.webhooks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                    logger.info("webhooks reloaded", metadata: ["webhooks": "\(webhooks.count)"])
                }
            }
            refreshCircuits()
            takeJobs(stats: &stats)
            sendDueBatches(stats: &stats)
            // Drive transfers; wake up early when the broker has something for us.
            if curl.inFlight > 0 {
                let busy = (amqp?.hasBufferedInput ?? false) || !pending.isEmpty
                let extra = consuming && database != nil ? amqp.map { [$0.socketDescriptor] } ?? [] : []
                let result = curl.perform(timeout: busy ? .milliseconds(1) : .milliseconds(20), extraDescriptors: extra)
                for completion in result.completions { complete(completion, stats: &stats) }
            } else if amqp == nil || database == nil {
                stop.sleep(.milliseconds(50))
            }
            flush(stats: &stats, force: false)
            stats.inFlight = inFlight.count
            metrics.inFlight.record(inFlight.count)
            health.update(broker: amqp != nil, database: database != nil, consuming: consuming)
            stats.log(logger)
        }
    }

    // MARK: connections

    /// (Re)opens what is missing, one try per backoff step, without blocking the transfers.
    private func connect() {
        if amqp == nil, amqpRetry.due {
            do {
                let connection = try Connections.openAMQP(configuration.base, name: "worker")
                try topology.declareDeliveries(on: connection)
                try connection.enableConfirms()
                try connection.setPrefetch(UInt16(min(configuration.concurrency + configuration.flushBatch, 65_535)))
                if consuming {
                    for (queue, tag) in zip(topology.names.deliverQueues, consumerTags) { try connection.consume(queue: queue, consumerTag: tag) }
                }
                amqp = connection
                generation += 1
                declaredDelays = []
                amqpRetry.succeeded()
                logger.info("delivering", metadata: ["queues": "\(topology.names.deliverQueues.joined(separator: ", "))", "concurrency": "\(configuration.concurrency)"])
            } catch {
                amqpRetry.failed()
                logger.warning("RabbitMQ not reachable; in-flight deliveries continue", metadata: ["error": "\(error)", "retry_in": "\(amqpRetry.delay)"])
            }
        }
        if database == nil, databaseRetry.due {
            do {
                database = try PostgresConnection(configuration.base.databaseURL)
                databaseRetry.succeeded()
            } catch {
                databaseRetry.failed()
                logger.warning("PostgreSQL not reachable; outcomes are kept until it is back", metadata: ["error": "\(error)", "retry_in": "\(databaseRetry.delay)"])
            }
        }
    }

    private func amqpLost(_ error: any Error) {
        guard let connection = amqp else { return }
        held.removeAll()
        rateHeld.removeAll()
        heldCount = 0
        logger.error("RabbitMQ connection lost; unacked jobs will be redelivered, in-flight deliveries continue", metadata: ["error": "\(error)"])
        connection.close()
        amqp = nil
        amqpRetry.failed()
    }

    private func databaseLost(_ error: any Error) {
        guard let connection = database else { return }
        logger.error("PostgreSQL connection lost; outcomes are kept until it is back", metadata: ["error": "\(error)"])
        connection.close()
        database = nil
        databaseRetry.failed()
    }

    // MARK: starting

    /// Takes new jobs while there is room — only with both servers there (a job is claimed first).
    /// Held jobs of webhooks that have a free slot again start first.
    private func startHeld(stats: inout WorkerStats) {
        guard heldCount > 0, database != nil, consuming else { return }
        var room = configuration.concurrency - inFlight.count
        var ready: [AMQPDelivery] = []
        var total = inFlight.count
        for (webhookID, waiting) in held where room > 0 {
            var n = 0
            while n < min(room, waiting.count), mayStart(forWebhook: inFlightByWebhook[webhookID, default: 0] + n, total: total + n) { n += 1 }
            guard n > 0 else { continue }
            total += n
            ready += waiting.prefix(n)
            held[webhookID] = waiting.count == n ? nil : Array(waiting.dropFirst(n))
            heldCount -= n
            room -= n
        }
        if !ready.isEmpty { start(ready, stats: &stats) }
    }

    /// A webhook below its cap may always start one more; above it, only while at least `cap` slots
    /// stay free for every other webhook. A hanging endpoint can hold at most `concurrency - cap`
    /// slots; a fast one is never slowed by the cap.
    private func mayStart(forWebhook current: Int, total: Int) -> Bool {
        let cap = configuration.maxInFlightPerWebhook
        return current < cap || configuration.concurrency - (total + 1) >= cap
    }

    /// A token of the webhook's shared bucket: a leased one, or a new lease (at most one round trip
    /// per webhook per 1/rate seconds while the bucket is empty).
    private func takeRateToken(_ webhookID: String, perMinute: Int, now: Double) -> Bool {
        if rateLeases.take(webhookID, now: now) { return true }
        guard let database, now >= nextLeaseAt[webhookID, default: 0] else { return false }
        do {
            let granted = try RateLimitStore(connection: database).lease(webhookID: webhookID, perMinute: perMinute,
                                                                         want: RateLeases.leaseSize(perMinute: perMinute))
            rateLeases.granted(webhookID, tokens: granted, now: now)
            nextLeaseAt[webhookID] = granted > 0 ? 0 : now + max(0.05, 60 / Double(perMinute) / 2)
        } catch {
            databaseLost(error)
            return false
        }
        return rateLeases.take(webhookID, now: now)
    }

    /// Jobs waiting for a token start as tokens come.
    private func startRateHeld(stats: inout WorkerStats) {
        guard !rateHeld.isEmpty, database != nil, consuming else { return }
        let now = Double(Timestamp.nowUnixMilliseconds()) / 1000
        var ready: [AMQPDelivery] = []
        for (webhookID, waiting) in rateHeld {
            guard let perMinute = webhooks[webhookID]?.rateLimitPerMinute else {
                ready += waiting   // the limit was lifted
                rateHeld[webhookID] = nil
                heldCount -= waiting.count
                continue
            }
            var n = 0
            while n < waiting.count, takeRateToken(webhookID, perMinute: perMinute, now: now) { n += 1 }
            guard n > 0 else { continue }
            ready += waiting.prefix(n)
            rateHeld[webhookID] = n == waiting.count ? nil : Array(waiting.dropFirst(n))
            heldCount -= n
        }
        if !ready.isEmpty { start(ready, rateApproved: true, stats: &stats) }
    }

    // MARK: circuits

    /// Seconds a job for this webhook must wait for its endpoint's circuit, or nil to go now.
    private func circuitWait(_ webhook: Webhook, now: Int64) -> Int? {
        let key = webhook.endpointKey
        guard var state = circuits[key] else { return nil }
        switch state.admission(now: now) {
        case .send:
            return nil
        case .wait(let until):
            return DelayBuckets.covering(Int((until - now + 999) / 1000))
        case .probe:
            let probeSeconds = (webhook.connectTimeoutMilliseconds + webhook.responseTimeoutMilliseconds) / 1000 + 5
            guard let database else { return 1 }
            do {
                let mine = try CircuitStore(connection: database).claimProbe(endpoint: key, now: now, probeSeconds: probeSeconds)
                state.startProbe(now: now, probeSeconds: mine ? probeSeconds : 2)
                circuits[key] = state
                if mine { logger.info("circuit half-open: sending one probe", metadata: ["endpoint": "\(key)"]) }
                return mine ? nil : 2
            } catch {
                databaseLost(error)
                return 1
            }
        }
    }

    /// Answers count for the endpoint's circuit: failures are transport failures, 5xx and 429.
    private func countForCircuit(_ webhook: Webhook, observation: AttemptObservation, succeeded: Bool) {
        let failed: Bool
        switch observation {
        case .response(let status, _): failed = status >= 500 || status == 429
        case .transportFailure(let failure, _): failed = failure != .blockedAddress && failure != .invalidRequest
        case .notSent: return
        }
        guard succeeded || failed else { return }
        var count = circuitCounts[webhook.endpointKey] ?? (0, 0)
        if failed { count.failures += 1 } else { count.successes += 1 }
        circuitCounts[webhook.endpointKey] = count
    }

    /// Reports this worker's answers to the shared circuits: at once when something failed or a
    /// circuit is not closed, else once a second (so healthy traffic costs one write a second).
    private func reportCircuits(stats: inout WorkerStats) {
        guard !circuitCounts.isEmpty, let database else { return }
        let urgent = circuitCounts.contains { $0.value.failures > 0 || circuits[$0.key] != nil }
        guard urgent || ContinuousClock.now - lastCircuitReport > .seconds(1) else { return }
        do {
            let now = Timestamp.nowUnixMilliseconds()
            let opened = try CircuitStore(connection: database).report(circuitCounts, now: now, policy: configuration.circuit)
            for key in circuitCounts.keys where circuits[key]?.phase == .halfOpen {
                circuits[key] = nil   // the probe answered: the next refresh says how it went
            }
            circuitCounts.removeAll()
            lastCircuitReport = .now
            lastCircuitRefresh = .now - .seconds(10)
            for key in opened {
                stats.circuitsOpened += 1
                metrics.webhookChanged(.circuitOpened)
                logger.error("circuit open: endpoint failing, deliveries to it wait", metadata: ["endpoint": "\(key)"])
                for webhook in webhooks.values where webhook.endpointKey == key {
                    notify(webhookID: webhook.id, kind: .circuitOpen,
                           reason: "the endpoint \(key) failed too often; deliveries wait (no attempt spent) and a probe is sent after the cool-down")
                }
            }
        } catch {
            databaseLost(error)
        }
    }

    /// Reads the circuits that are not closed, once a second.
    private func refreshCircuits() {
        guard let database, ContinuousClock.now - lastCircuitRefresh > .seconds(1) else { return }
        lastCircuitRefresh = .now
        do { circuits = try CircuitStore(connection: database).notClosed() } catch { databaseLost(error) }
    }

    /// Held jobs go back to the queue (stopping), or are forgotten (their channel is gone: the
    /// broker redelivers them).
    private func releaseHeld(requeue: Bool) {
        if requeue, let amqp {
            for message in Array(held.values.joined()) + Array(rateHeld.values.joined()) {
                do { try amqp.nack(message.deliveryTag, requeue: true) } catch { amqpLost(error); break }
            }
        }
        held.removeAll()
        rateHeld.removeAll()
        heldCount = 0
    }

    private func takeJobs(stats: inout WorkerStats) {
        guard let amqp else { return }
        startHeld(stats: &stats)
        startRateHeld(stats: &stats)
        do {
            let room = configuration.concurrency - inFlight.count
            if consuming && room > 0 && database != nil {
                let wait: Duration = inFlight.isEmpty && pending.isEmpty ? .milliseconds(batches.isEmpty ? 50 : 10) : .zero
                let jobs = try amqp.deliveries(max: room, timeout: wait)
                if !jobs.isEmpty { start(jobs, stats: &stats) }
            } else {
                try amqp.poll(timeout: .zero)   // keeps heartbeats and confirms flowing while full
            }
        } catch {
            amqpLost(error)
        }
    }

    private func start(_ jobs: [AMQPDelivery], rateApproved: Bool = false, stats: inout WorkerStats) {
        guard let database else { return }
        var valid: [(AMQPDelivery, DeliveryJob)] = []
        var planned = inFlightByWebhook
        var plannedTotal = inFlight.count
        let nowSeconds = Double(Timestamp.nowUnixMilliseconds()) / 1000
        for message in jobs {
            let job: DeliveryJob
            do { job = try DeliveryJob(decoding: message.body) } catch {
                stats.invalid += 1
                metrics.invalid(.invalidJob)
                logger.warning("invalid delivery job parked", metadata: ["reason": "\(error)"])
                park(message, in: topology.names.invalidQueue, reason: error.description)
                continue
            }
            // The endpoint's circuit is open: the job waits (unclaimed, no attempt spent) until its
            // cool-down ends; then one worker sends one probe.
            // It waits at most as long as its retry schedule would have: then the attempt is spent
            // (recorded, not sent), so a delivery to an endpoint that never comes back still ends
            // `failed` within its schedule instead of waiting for ever.
            if let webhookID = JobMessages.webhookID(of: message.properties), let webhook = webhooks[webhookID] {
                let now = Timestamp.nowUnixMilliseconds()
                if let wait = circuitWait(webhook, now: now) {
                    let since = JobMessages.waitingSince(message.properties) ?? now
                    let budget = Int64(webhook.retry.delay(afterAttempt: job.attempt, random: 0.5) ?? webhook.retry.intervals.last ?? 60) * 1000
                    if now - since < budget {
                        stats.circuitWaits += 1
                        metrics.waited(.circuit)
                        later(message, job: job, webhookID: webhookID, seconds: wait, postpone: true, reason: "circuit", waitingSince: since)
                        continue
                    }
                    circuitExpired.insert(job.deliveryID)
                }
            }
            // The webhook holds its share of the slots: the job waits, unclaimed, so one slow endpoint
            // cannot starve every other webhook of this worker. A few wait here and start as soon as
            // the webhook's own requests finish (a fast endpoint loses nothing); the rest wait in a
            // delay queue, so waiting jobs never fill this worker's prefetch.
            // A batch webhook's jobs join its batch: its requests, not its jobs, take slots.
            let batched = JobMessages.webhookID(of: message.properties).flatMap { webhooks[$0]?.batch } != nil
            if !batched, let webhookID = JobMessages.webhookID(of: message.properties),
               !mayStart(forWebhook: planned[webhookID, default: 0], total: plannedTotal) {
                stats.atWebhookCap += 1
                metrics.waited(.webhookCap)
                if held[webhookID, default: []].count < configuration.maxInFlightPerWebhook * 2, heldCount < maxHeld {
                    held[webhookID, default: []].append(message)
                    heldCount += 1
                } else {
                    later(message, job: job, webhookID: webhookID, seconds: 2, postpone: true)
                }
                continue
            }
            // Over its rate limit (shared by every worker): the job waits for a token, unclaimed (no
            // attempt is used up): a few here, started as tokens come; the rest in a delay queue.
            if !rateApproved, let webhookID = JobMessages.webhookID(of: message.properties),
               let webhook = webhooks[webhookID], let perMinute = webhook.rateLimitPerMinute {
                if case .string("rate")? = message.properties.headers[JobMessages.deferredHeader] { rateLeases.returned(webhookID) }
                if !takeRateToken(webhookID, perMinute: perMinute, now: nowSeconds) {
                    stats.rateLimited += 1
                    metrics.waited(.rateLimit)
                    // About three seconds' worth wait here: enough to bridge the delay queues' steps.
                    if rateHeld[webhookID, default: []].count < 3 * RateLeases.leaseSize(perMinute: perMinute) + 2, heldCount < maxHeld {
                        rateHeld[webhookID, default: []].append(message)
                        heldCount += 1
                    } else {
                        let wait = rateLeases.wait(webhookID, perMinute: perMinute, alsoAhead: rateHeld[webhookID, default: []].count)
                        later(message, job: job, webhookID: webhookID, seconds: wait, postpone: true, reason: "rate")
                    }
                    continue
                }
            }
            valid.append((message, job))
            guard !batched else { continue }
            if let webhookID = JobMessages.webhookID(of: message.properties) { planned[webhookID, default: 0] += 1 }
            plannedTotal += 1
        }
        guard !valid.isEmpty else { return }
        let leases = valid.map { pair -> Int in
            let webhook = JobMessages.webhookID(of: pair.0.properties).flatMap { webhooks[$0] }
            // A batch member's claim also covers its wait for the batch.
            return ((webhook?.connectTimeoutMilliseconds ?? 10_000) + (webhook?.responseTimeoutMilliseconds ?? 30_000)) / 1000 + 10
                + (webhook?.batch?.extraLeaseSeconds ?? 0)
        }
        let claim: (claimed: [ClaimedDelivery], unclaimed: [UnclaimedJob])
        do {
            claim = try DeliveryStore(connection: database).claim(valid.map(\.1), leaseSeconds: leases)
        } catch {
            // Nothing was claimed: the jobs go back to the queue and come again when the database is back.
            databaseLost(error)
            for (message, _) in valid { enqueue(Pending(deliveryTag: message.deliveryTag, generation: generation, ack: false)) }
            return
        }
        let byID = Dictionary(claim.claimed.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let unclaimed = Dictionary(claim.unclaimed.map { ($0.deliveryID, $0.reason) }, uniquingKeysWith: { a, _ in a })
        // A job for a webhook we believe paused, disabled or unknown: our copy may be older than the
        // change that sent the job (a resume), so ask PostgreSQL before parking anything.
        if claim.claimed.contains(where: { webhooks[$0.webhookID]?.status != .active }), let fresh = watcher.reloadNow(stop: stop) {
            webhooks = Dictionary(fresh.webhooks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let now = Timestamp.nowUnixMilliseconds()
        defer { circuitExpired.removeAll() }
        // One claim is one request: when copies of a job arrive in the same batch (the broker's
        // redelivery and the reconciler's republish side by side, as after a broker restart), the
        // first carries the claim and the others are what they would be to any other worker.
        var carried: Set<String> = []
        for (index, (message, job)) in valid.enumerated() {
            let claimedHere = byID[job.deliveryID]
            guard let delivery = claimedHere, carried.insert(delivery.id).inserted else {
                let reason = claimedHere.map {
                    UnclaimedJob.copy(ofAttempt: job.attempt, claimed: $0.attempt, leaseSeconds: leases[index])
                }
                switch reason ?? unclaimed[job.deliveryID] ?? .duplicate {
                case .heldElsewhere(let seconds):
                    // Another worker holds this attempt: the job comes back when that lease ends, and is
                    // either a duplicate then or takes over the abandoned attempt.
                    stats.deferred += 1
                    metrics.waited(.heldElsewhere)
                    let webhookID = JobMessages.webhookID(of: message.properties) ?? ""
                    later(message, job: job, webhookID: webhookID, seconds: DelayBuckets.covering(seconds), postpone: false)
                case .duplicate:
                    stats.duplicates += 1
                    logger.debug("duplicate job dropped", metadata: ["delivery_id": "\(job.deliveryID)", "attempt": "\(job.attempt)"])
                    enqueue(Pending(deliveryTag: message.deliveryTag, generation: generation))
                case .waitingForPredecessor(let seconds):
                    // An ordered webhook's older delivery is not finished: this one waits, unclaimed.
                    // It is sent for when that one ends; the delay queue and the reconciler are the net.
                    stats.fifoWaits += 1
                    metrics.waited(.ordered)
                    let webhookID = JobMessages.webhookID(of: message.properties) ?? ""
                    later(message, job: job, webhookID: webhookID, seconds: DelayBuckets.covering(seconds), postpone: true, reason: "fifo")
                case .unknown:
                    stats.invalid += 1
                    metrics.invalid(.unknownDelivery)
                    park(message, in: topology.names.invalidQueue, reason: "no delivery \(job.deliveryID) in this database")
                }
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
                // Kept like a pause (sent when the webhook is enabled again) or dropped, as configured.
                let state: AttemptOutcome.NextState = webhook.pausedBehavior == .queue ? .paused : .cancelled
                settleUnsent(message.deliveryTag, delivery, state: state, reason: "webhook disabled")
                continue
            case .active:
                break
            }
            if circuitExpired.remove(delivery.id) != nil {
                fail(message.deliveryTag, delivery, webhook: webhook, startedAt: now,
                     reason: "not sent: the endpoint's circuit is open (it has been failing) for longer than this attempt's retry interval",
                     stats: &stats, permanent: false)
                continue
            }
            guard !delivery.bodyMissing else {
                fail(message.deliveryTag, delivery, webhook: webhook, startedAt: now,
                     reason: "the payload is no longer stored (the event is gone and no copy was kept); nothing was sent", stats: &stats)
                continue
            }
            var body = delivery.payload
            if delivery.deferred, let eventBytes = delivery.eventPayload, let template = webhook.template {
                do {
                    let event = try JSONValue(parsing: eventBytes)
                    body = try template.render(event: event, context: TemplateContext(
                        webhookID: webhook.id, deliveryID: delivery.id, timestamp: Timestamp.iso8601(unixMilliseconds: now),
                        eventType: delivery.eventType, attempt: delivery.attempt), limit: configuration.base.maxRenderedBytes)
                } catch {
                    fail(message.deliveryTag, delivery, webhook: webhook, startedAt: now, reason: "payload_template: \(error)", stats: &stats)
                    continue
                }
            }
            if webhook.batch != nil {
                hold(Member(deliveryTag: message.deliveryTag, generation: generation, claimed: delivery), body: body,
                     webhook: webhook)
                continue
            }
            do {
                // The attempt's span, a child of the routing step's: sent to the endpoint and recorded.
                let trace = TraceContext.next(after: delivery.traceparent.flatMap(TraceContext.init(traceparent:)), using: &rng).traceparent
                let built = try builder.request(webhook: webhook, deliveryID: delivery.id, body: body, now: now, traceparent: trace,
                                                token: tokens.token(for:))
                let id = nextRequestID
                nextRequestID += 1
                try curl.add(built.request, id: id)
                let member = Member(deliveryTag: message.deliveryTag, generation: generation, claimed: delivery)
                inFlight[id] = InFlight(members: [member], webhook: webhook, startedAt: now, started: .now,
                                        requestHeaders: built.loggedHeaders, traceparent: trace)
                inFlightByWebhook[webhook.id, default: 0] += 1
            } catch is OAuthTokenCache.Pending {
                // The token is on its way (fetched off this thread): the attempt is given back and
                // the job comes again in a second; other deliveries are not held up.
                stats.waitingForToken += 1
                metrics.waited(.token)
                settleLater(message.deliveryTag, delivery, seconds: 1, reason: "waiting for the OAuth 2.0 token")
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
        released(flight.webhook.id)
        let elapsed = ContinuousClock.now - flight.started
        metrics.httpDuration.record(duration: elapsed)
        var record = AttemptRecord(startedAtMilliseconds: flight.startedAt, durationMilliseconds: elapsed.inSeconds * 1000,
                                   requestHeaders: flight.requestHeaders)
        record.traceparent = flight.traceparent
        let observation: AttemptObservation
        switch completion.result {
        case .success(let response):
            record.statusCode = response.status
            record.responseHeaders = StoredText.clean(response.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n"))
            record.responseBody = StoredText.clean(String(decoding: response.body, as: UTF8.self) + (response.bodyTruncated ? "\n[truncated]" : ""))
            let retryAfter = response.headers.first { $0.name.lowercased() == "retry-after" }?.value
            observation = .response(status: response.status, retryAfter: retryAfter)
        case .failure(let error):
            observation = .transportFailure(error.code.transportFailure, message: StoredText.clean(error.description))
        }
        // A batch's answer is each member's: every delivery in it is recorded (and retried) on its own;
        // the endpoint's circuit and the webhook's consecutive failures count the request once.
        for (index, member) in flight.members.enumerated() {
            settle(member.deliveryTag, generation: member.generation, member.claimed, webhook: flight.webhook,
                   observation: observation, record: record, firstOfRequest: index == 0, stats: &stats)
        }
    }

    /// An attempt that failed before any request went out (cannot be built): recorded as an attempt.
    func fail(_ tag: UInt64, _ delivery: ClaimedDelivery, webhook: Webhook, startedAt: Int64, reason: String,
              stats: inout WorkerStats, permanent: Bool = true, generation: Int? = nil) {
        settle(tag, generation: generation ?? self.generation, delivery, webhook: webhook,
               observation: .notSent(reason: reason, permanent: permanent), record: AttemptRecord(startedAtMilliseconds: startedAt, durationMilliseconds: 0, requestHeaders: nil), stats: &stats)
    }

    /// The one place an attempt's result becomes its record and its follow-up: the planner decides,
    /// this turns the plan into the outcome to write and the message to publish.
    private func settle(_ tag: UInt64, generation: Int, _ delivery: ClaimedDelivery, webhook: Webhook, observation: AttemptObservation,
                        record: AttemptRecord, firstOfRequest: Bool = true, stats: inout WorkerStats) {
        let now = Timestamp.nowUnixMilliseconds()
        let plan = planner.plan(attempt: delivery.attempt, webhook: webhook, observation: observation, nowSeconds: now / 1000,
                                random: Double.random(in: 0..<1, using: &rng))
        var outcome = AttemptOutcome(
            deliveryID: delivery.id, attempt: delivery.attempt, webhookID: webhook.id,
            startedAtMilliseconds: record.startedAtMilliseconds, durationMilliseconds: record.durationMilliseconds,
            statusCode: record.statusCode, succeeded: plan.succeeded, error: StoredText.clean(optional: plan.error),
            requestHeaders: record.requestHeaders, responseHeaders: record.responseHeaders, responseBody: record.responseBody,
            nextState: .succeeded, nextAttemptInSeconds: nil, dropPayload: plan.dropPayload, wasSent: true)
        outcome.ordered = webhook.ordering == .fifo
        outcome.traceparent = record.traceparent
        if case .disable(let reason) = plan.webhookAction {
            outcome.disableWebhook = reason
            webhooks[webhook.id]?.status = .disabled   // at once: nothing more goes to a gone endpoint
        }
        // A batch's answer counts once for the endpoint's circuit and the webhook's consecutive failures.
        if firstOfRequest { countForCircuit(webhook, observation: observation, succeeded: plan.succeeded) }
        outcome.countsTowardsPause = firstOfRequest
        var item = Pending(deliveryTag: tag, generation: generation)
        let ticket = JobTicket(deliveryID: delivery.id, webhookID: webhook.id, attempt: delivery.attempt)
        let metadata: Logger.Metadata = ["delivery_id": "\(delivery.id)", "webhook_id": "\(webhook.id)", "attempt": "\(delivery.attempt)",
                                         "error": "\(plan.error ?? "")"]
        observe(plan.next, delivery: delivery, webhookID: webhook.id, observation: observation, status: record.statusCode, now: now)
        if let spans, let trace = record.traceparent.flatMap(TraceContext.init(traceparent:)) {
            spans.record(AttemptSpan.make(trace, parent: delivery.traceparent, delivery: delivery, webhookID: webhook.id, record: record,
                                          error: plan.succeeded ? nil : plan.error ?? "failed"))
        }
        switch plan.next {
        case .done:
            stats.succeeded += 1
            logger.debug("delivered", metadata: metadata)
        case .retry(let delay):
            stats.retried += 1
            outcome.nextState = .retrying
            outcome.nextAttemptInSeconds = delay
            item.message = messages.job(JobTicket(deliveryID: delivery.id, webhookID: webhook.id, attempt: delivery.attempt + 1),
                                        delaySeconds: delay)
            item.delaySeconds = delay
            logger.warning("delivery failed; retrying in \(delay) s", metadata: metadata)
        case .dead(let reason):
            stats.failed += 1
            outcome.nextState = .failed
            // Its owner hears of it in the webhook's digest (a 410 is told as the disable itself).
            outcome.notifyFailed = plan.webhookAction == nil && (webhook.notifyEmail != nil || webhook.notifyURL != nil)
            item.message = messages.dead(ticket, reason: reason, status: record.statusCode)
            logger.error("delivery failed for good; parked in \(topology.names.deadQueue)", metadata: metadata)
        }
        item.outcome = outcome
        enqueue(item)
        // A change to the webhook is written before anything else is claimed for it.
        if plan.webhookAction != nil { flush(stats: &stats, force: true) }
    }

    /// What an attempt came to, for `/metrics`: its outcome, its status class, and for a delivery
    /// that ends here the time from the event's arrival to this answer.
    private func observe(_ next: AttemptPlan.Next, delivery: ClaimedDelivery, webhookID: String, observation: AttemptObservation,
                         status: Int?, now: Int64) {
        let outcome: HeraldMetrics.Outcome
        switch next {
        case .done: outcome = .succeeded
        case .retry: outcome = .retry
        case .dead: outcome = .dead
        }
        metrics.outcome(outcome)
        metrics.webhookAttempt(webhookID, outcome: outcome)
        if case .notSent = observation { metrics.attempt(statusClass: AttemptStatusClass.label(status: nil, sent: false)) } else {
            metrics.attempt(statusClass: AttemptStatusClass.label(status: status, sent: true))
        }
        if outcome != .retry, delivery.createdAtMilliseconds > 0 {
            metrics.deliveryLatency.record(duration: .milliseconds(max(0, now - delivery.createdAtMilliseconds)))
        }
    }

    /// A claimed job that is not sent (webhook paused, disabled or gone): the attempt is given back.
    private func settleUnsent(_ tag: UInt64, _ delivery: ClaimedDelivery, state: AttemptOutcome.NextState, reason: String) {
        var outcome = AttemptOutcome(
            deliveryID: delivery.id, attempt: delivery.attempt, webhookID: delivery.webhookID, startedAtMilliseconds: 0,
            durationMilliseconds: 0, statusCode: nil, succeeded: false, error: reason, requestHeaders: nil, responseHeaders: nil,
            responseBody: nil, nextState: state, nextAttemptInSeconds: nil, dropPayload: false, wasSent: false)
        outcome.ordered = webhooks[delivery.webhookID]?.ordering == .fifo
        enqueue(Pending(deliveryTag: tag, generation: generation, outcome: outcome))
    }

    /// A claimed job that must wait a little (a token on its way, the webhook at its in-flight cap):
    /// the attempt is given back and the same job comes again after `seconds`.
    func settleLater(_ tag: UInt64, _ delivery: ClaimedDelivery, seconds: Int, reason: String, generation: Int? = nil) {
        let outcome = AttemptOutcome(
            deliveryID: delivery.id, attempt: delivery.attempt, webhookID: delivery.webhookID, startedAtMilliseconds: 0,
            durationMilliseconds: 0, statusCode: nil, succeeded: false, error: reason, requestHeaders: nil, responseHeaders: nil,
            responseBody: nil, nextState: .retrying, nextAttemptInSeconds: seconds, dropPayload: false, wasSent: false)
        let again = JobTicket(deliveryID: delivery.id, webhookID: delivery.webhookID, attempt: delivery.attempt)
        enqueue(Pending(deliveryTag: tag, generation: generation ?? self.generation, outcome: outcome,
                        message: messages.job(again, delaySeconds: seconds), delaySeconds: seconds))
    }

    /// Stopping with deliveries still in flight: the requests are cancelled, but each may already
    /// have reached its receiver, so each is recorded as an interrupted attempt and its next attempt
    /// is queued at once (another worker takes it). Nothing sent goes unrecorded.
    private func handBack(stats: inout WorkerStats) {
        guard !inFlight.isEmpty else { return }
        _ = curl.cancelAll()
        logger.warning("drain time over: recording in-flight deliveries as interrupted and queueing their next attempt",
                       metadata: ["count": "\(inFlight.count)"])
        let now = ContinuousClock.now
        for (_, flight) in inFlight {
            let elapsed = now - flight.started
            for member in flight.members {
                var outcome = AttemptOutcome(
                    deliveryID: member.claimed.id, attempt: member.claimed.attempt, webhookID: flight.webhook.id,
                    startedAtMilliseconds: flight.startedAt, durationMilliseconds: elapsed.inSeconds * 1000, statusCode: nil,
                    succeeded: false,
                    error: "interrupted: the worker stopped before the response arrived; the receiver may have received it",
                    requestHeaders: flight.requestHeaders, responseHeaders: nil, responseBody: nil, nextState: .retrying,
                    nextAttemptInSeconds: 0, dropPayload: false, wasSent: true)
                outcome.traceparent = flight.traceparent
                let next = JobTicket(deliveryID: member.claimed.id, webhookID: flight.webhook.id,
                                     attempt: member.claimed.attempt + 1)
                stats.interrupted += 1
                enqueue(Pending(deliveryTag: member.deliveryTag, generation: member.generation, outcome: outcome,
                                message: messages.job(next)))
            }
        }
        inFlight.removeAll()
        inFlightByWebhook.removeAll()
    }

    private func released(_ webhookID: String) {
        let left = (inFlightByWebhook[webhookID] ?? 1) - 1
        inFlightByWebhook[webhookID] = left > 0 ? left : nil
    }

    // MARK: messages

    private func park(_ message: AMQPDelivery, in queue: String, reason: String) {
        enqueue(Pending(deliveryTag: message.deliveryTag, generation: generation,
                        message: Parking.message(message, queue: queue, reason: reason), replacesJob: true))
    }

    /// The same job again after `seconds`, through a delay queue; unclaimed, so no attempt is used.
    private func later(_ message: AMQPDelivery, job: DeliveryJob, webhookID: String, seconds: Int, postpone: Bool, reason: String? = nil,
                       waitingSince: Int64? = nil) {
        let ticket = JobTicket(deliveryID: job.deliveryID, webhookID: webhookID, attempt: job.attempt)
        enqueue(Pending(deliveryTag: message.deliveryTag, generation: generation,
                        message: messages.job(ticket, delaySeconds: seconds, deferred: reason, waitingSince: waitingSince),
                        delaySeconds: seconds, replacesJob: true, postpone: postpone ? (job.deliveryID, seconds) : nil))
    }

    private func enqueue(_ item: Pending) {
        if pending.isEmpty { oldestPending = .now }
        pending.append(item)
    }

    // MARK: flushing

    /// Writes outcomes (one transaction), publishes retries and parked jobs (confirmed), then acks.
    /// What a lost server prevents stays pending and is done when it is back: an outcome is written
    /// once, a message is published after its outcome is durable, a job is acked after both.
    private func flush(stats: inout WorkerStats, force: Bool) {
        guard !pending.isEmpty else { return }
        if !force, pending.count < configuration.flushBatch, let oldest = oldestPending,
           ContinuousClock.now - oldest < configuration.flushInterval {
            return
        }
        // 1. PostgreSQL: attempts and states, and rows that wait out a rate limit.
        let outcomes = pending.compactMap(\.outcome)
        let postpones = pending.compactMap(\.postpone)
        if !outcomes.isEmpty || !postpones.isEmpty {
            guard let database else { return }
            do {
                let store = DeliveryStore(connection: database)
                let changes = try record(outcomes, in: store)
                try store.postpone(postpones.map(\.id), seconds: postpones.map(\.seconds))
                for index in pending.indices {
                    pending[index].outcome = nil
                    pending[index].postpone = nil
                }
                for ticket in changes.released {   // the next in line of an ordered webhook
                    enqueue(Pending(deliveryTag: nil, generation: generation, message: messages.job(ticket)))
                }
                for webhook in changes.paused {
                    logger.error("webhook paused after consecutive failures", metadata: [
                        "webhook_id": "\(webhook.id)", "webhook": "\(webhook.name)", "consecutive_failures": "\(webhook.failures)"])
                    stats.paused += 1
                    metrics.webhookChanged(.autoPaused)
                    webhooks[webhook.id]?.status = .paused   // our copy, until the reload confirms it
                    notify(webhookID: webhook.id, kind: .paused,
                           reason: "paused automatically after \(webhook.failures) consecutive failed deliveries")
                }
                for webhook in changes.disabled {
                    logger.error("webhook disabled: its endpoint answered 410 Gone", metadata: [
                        "webhook_id": "\(webhook.id)", "webhook": "\(webhook.name)"])
                    stats.disabled += 1
                    metrics.webhookChanged(.disabled)
                    webhooks[webhook.id]?.status = .disabled
                    notify(webhookID: webhook.id, kind: .disabled, reason: webhook.reason)
                }
            } catch {
                databaseLost(error)
                return
            }
        }
        reportCircuits(stats: &stats)
        raiseNotices()
        // 2. RabbitMQ: retries, dead letters, parked and deferred jobs, confirmed; then the acks.
        guard let amqp else { return }
        let current = generation
        let outgoing = pending.filter { $0.message != nil && !($0.replacesJob && $0.generation != current) }
        do {
            if !outgoing.isEmpty {
                for delay in Set(outgoing.map(\.delaySeconds)) where delay > 0 && !declaredDelays.contains(delay) {
                    try topology.declareRetryQueue(delaySeconds: delay, on: amqp)
                    declaredDelays.insert(delay)
                }
                let returned = try amqp.publishConfirmed(outgoing.compactMap(\.message), window: 4096, timeout: .seconds(60))
                for r in returned {
                    logger.error("message unroutable; the reconciler will republish the delivery", metadata: ["routing_key": "\(r.routingKey)", "reply": "\(r.replyText)"])
                }
            }
            for item in pending where item.generation == current {
                guard let tag = item.deliveryTag else { continue }
                if item.ack { try amqp.ack(tag) } else { try amqp.nack(tag, requeue: true) }
            }
        } catch {
            amqpLost(error)
            // Published messages may go out again after the reconnect: a duplicate job claims nothing.
            for index in pending.indices { pending[index].deliveryTag = nil }
            return
        }
        pending.removeAll(keepingCapacity: true)
        oldestPending = nil
    }

    /// Writes outcomes in one transaction. When PostgreSQL refuses the batch itself (an error that
    /// is not a lost connection), each outcome is written alone, so one it cannot take never holds
    /// up the others on every retry; one refused on its own is logged and left out — its claim
    /// expires, and whoever takes the delivery over records that attempt as abandoned.
    private func record(_ outcomes: [AttemptOutcome], in store: DeliveryStore) throws(PostgresError) -> RecordedChanges {
        let worker = configuration.base.instanceName
        let digest = configuration.notifications.digestSeconds
        do {
            return try store.record(outcomes, worker: worker, digestSeconds: digest)
        } catch where !error.isConnectionLost {
            logger.error("PostgreSQL refused a batch of outcomes; writing them one at a time", metadata: ["error": "\(error)"])
            var changes = RecordedChanges()
            for outcome in outcomes {
                do {
                    let one = try store.record([outcome], worker: worker, digestSeconds: digest)
                    changes.paused += one.paused
                    changes.disabled += one.disabled
                    changes.released += one.released
                } catch where !error.isConnectionLost {
                    logger.error("outcome refused by PostgreSQL; left out (its claim expires, the attempt is recorded as abandoned)",
                                 metadata: ["delivery_id": "\(outcome.deliveryID)", "attempt": "\(outcome.attempt)",
                                            "error": "\(error)"])
                }
            }
            return changes
        }
    }

    /// The last writes before exit: servers that are away get a few seconds to come back. What
    /// still cannot be written is not lost: the claims expire and the jobs are redelivered.
    private func finalFlush(stats: inout WorkerStats) {
        let deadline = ContinuousClock.now + .seconds(10)
        let stopless = StopSignal()   // `stop` is already set: its sleep would not wait
        while !pending.isEmpty, ContinuousClock.now < deadline {
            connect()
            flush(stats: &stats, force: true)
            if !pending.isEmpty { stopless.sleep(.milliseconds(100)) }
        }
        if !pending.isEmpty {
            logger.error("could not write everything before exit; the claims expire and the jobs are redelivered",
                         metadata: ["pending": "\(pending.count)"])
        }
    }

    /// Tells the webhook's owner what happened to it: the notice is written to the notifications
    /// outbox (once per webhook, kind and window, however many workers saw it) and sent from there
    /// by a notifier, off this thread. Webhooks without notify_email or notify_url cost nothing.
    private func notify(webhookID: String, kind: Notice.Kind, reason: String) {
        guard let webhook = webhooks[webhookID], webhook.notifyURL != nil || webhook.notifyEmail != nil else { return }
        notices.append((webhookID: webhookID, kind: kind, reason: reason))
    }

    /// Writes the notices raised since the last flush (one round trip; kept if the database is away).
    private func raiseNotices() {
        guard !notices.isEmpty, let database else { return }
        do {
            try NotificationStore(connection: database).raise(notices, digestSeconds: configuration.notifications.digestSeconds)
            notices.removeAll()
        } catch {
            databaseLost(error)
        }
    }
}

/// What the worker measured of one attempt, before the planner decides what it means.
struct AttemptRecord {
    var startedAtMilliseconds: Int64
    var durationMilliseconds: Double
    var requestHeaders: String?
    var statusCode: Int?
    var responseHeaders: String?
    var responseBody: String?
    var traceparent: String?
}

/// A connection that is away is tried again after a growing pause (200 ms, doubling, at most 5 s).
struct Reconnect {
    private(set) var delay = Duration.zero
    private var next = ContinuousClock.now

    var due: Bool { ContinuousClock.now >= next }
    mutating func failed() {
        delay = delay == .zero ? .milliseconds(200) : min(delay * 2, .seconds(5))
        next = .now + delay
    }
    mutating func succeeded() {
        delay = .zero
        next = .now
    }
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
    var deferred = 0
    var interrupted = 0
    var waitingForToken = 0
    var atWebhookCap = 0
    var circuitWaits = 0
    var circuitsOpened = 0
    var fifoWaits = 0
    var invalid = 0
    var rateLimited = 0
    var paused = 0
    var disabled = 0
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
            "deferred_held_elsewhere": "\(deferred)", "interrupted": "\(interrupted)", "at_webhook_cap": "\(atWebhookCap)",
            "waiting_for_token": "\(waitingForToken)", "circuit_waits": "\(circuitWaits)", "fifo_waits": "\(fifoWaits)",
            "rate_limited": "\(rateLimited)", "invalid": "\(invalid)", "in_flight": "\(inFlight)",
            "attempts_per_s": "\(seconds > 0 ? Int(Double(done - lastDone) / seconds) : 0)",
        ])
        lastLog = .now
        lastDone = done
    }
}
