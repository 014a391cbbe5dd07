import AMQP
import HeraldCore
import HeraldCrypto
import Logging
import PostgresClient

/// Consumes events, matches webhooks, records the event and its deliveries in one transaction,
/// publishes one job per delivery with pipelined confirms, and only then acks the events (one
/// `multiple` ack per batch). A crash anywhere before the ack redelivers the batch, and
/// recording is idempotent, so nothing is lost and nothing is recorded twice.
public struct Router: HeraldService {
    public let name = "router"
    let configuration: RouterConfiguration
    let logger: Logger
    let metrics: HeraldMetrics
    let health: ServiceHealth
    let spans: SpanExporter?

    public init(configuration: RouterConfiguration, logger: Logger, telemetry: ProcessTelemetry = ProcessTelemetry()) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = telemetry.metrics
        self.health = telemetry.health("router")
        self.spans = telemetry.spans
    }

    public func run(stop: StopSignal) throws {
        let watcher = WebhookWatcher(configuration: configuration.base, logger: logger)
        var table: RoutingTable?
        var stats = RouterStats()
        var backoff = Duration.milliseconds(200)
        while !stop.isStopped {
            do {
                if table == nil {
                    let loaded = try watcher.load(stop: stop)
                    table = RoutingTable(webhooks: loaded.webhooks, tenants: loaded.tenants, maxRenderedBytes: configuration.base.maxRenderedBytes)
                    logger.info("webhooks loaded", metadata: ["webhooks": "\(loaded.webhooks.count)", "tenants": "\(loaded.tenants.count)"])
                }
                let amqp = try Connections.amqp(configuration.base, name: "router", logger: logger, stop: stop)
                let database = try Connections.postgres(configuration.base, logger: logger, stop: stop)
                let topology = Topology(names: configuration.base.topology)
                try topology.declareAll(on: amqp)
                try amqp.enableConfirms()
                try amqp.setPrefetch(UInt16(min(configuration.prefetch, 65_535)))
                var shards = ShardConsumers(names: topology.names, instance: configuration.base.instanceName, prefetch: configuration.prefetch, interval: configuration.rebalanceInterval)
                try shards.subscribeAll(amqp)
                try amqp.consume(queue: topology.names.routerQueue)
                logger.info("routing events", metadata: ["queues": "\(topology.names.routerQueues.joined(separator: ", "))"])
                health.update(broker: true, database: true, consuming: true)
                backoff = .milliseconds(200)
                try loop(amqp: amqp, store: DeliveryStore(connection: database), watcher: watcher, table: &table, shards: &shards,
                         stats: &stats, stop: stop)
                amqp.close()
                database.close()
            } catch {
                health.down()
                if stop.isStopped { break }
                logger.error("router connection failed; unacked events will be redelivered", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
                stop.sleep(backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        health.down()
        stats.log(logger, force: true)
    }

    private func loop(amqp: AMQPConnection, store: DeliveryStore, watcher: WebhookWatcher, table: inout RoutingTable?,
                      shards: inout ShardConsumers, stats: inout RouterStats, stop: StopSignal) throws {
        let names = configuration.base.topology
        var random = SystemRandomNumberGenerator()
        var lastForcedReload = ContinuousClock.now - .seconds(10)
        while !stop.isStopped {
            if let fresh = watcher.poll(stop: stop) {
                table = RoutingTable(webhooks: fresh.webhooks, tenants: fresh.tenants, maxRenderedBytes: configuration.base.maxRenderedBytes)
                logger.info("webhooks reloaded", metadata: ["webhooks": "\(fresh.webhooks.count)"])
            }
            // Between batches nothing is unacknowledged: the moment to hand extra shards over.
            let handed = try shards.rebalance(amqp, logger: logger)
            if !handed.isEmpty { logger.info("router shards handed over to another router", metadata: ["shards": "\(handed)"]) }
            var batch = try amqp.deliveries(max: 1, timeout: .milliseconds(100))
            if batch.isEmpty { stats.log(logger); continue }
            // Fill the batch up to its count and byte limits, waiting at most batchWait for more.
            var bytes = batch[0].body.count
            let deadline = ContinuousClock.now + configuration.batchWait
            while batch.count < configuration.batchSize, bytes < configuration.batchBytes {
                let left = deadline - ContinuousClock.now
                guard let next = try amqp.nextDelivery(timeout: max(left, .zero)) else { break }
                batch.append(next)
                bytes += next.body.count
            }
            guard var routing = table else { continue }
            let batchStart = Timestamp.nowUnixMilliseconds()
            var routedSpans: [(event: Event, span: TraceContext, parent: String?, deliveries: Int)] = []
            metrics.received(batch.count)
            metrics.routerBatchSize.record(batch.count)
            let timestamp = Timestamp.nowISO8601()
            var events: [Event] = []
            var deliveries: [NewDelivery] = []
            var invalid: [AMQPMessage] = []
            var seen = Set<EventKey>()
            var reloaded = false
            events.reserveCapacity(batch.count)
            for message in batch {
                let event: Event
                do {
                    event = try Event(parsing: message.body)
                } catch {
                    metrics.invalid(.malformed)
                    invalid.append(Parking.message(message, queue: names.invalidQueue, reason: error.description))
                    continue
                }
                // A tenant we do not know may be one whose first webhook was created a moment ago
                // (its LISTEN/NOTIFY not yet seen): read the webhooks again before parking — at most
                // once a second, so a flood of events for unknown tenants cannot turn into reloads.
                if !routing.tenants.contains(event.tenant), !reloaded, ContinuousClock.now - lastForcedReload > .seconds(1),
                   let fresh = watcher.reloadNow(stop: stop) {
                    reloaded = true
                    lastForcedReload = ContinuousClock.now
                    routing = RoutingTable(webhooks: fresh.webhooks, tenants: fresh.tenants, maxRenderedBytes: configuration.base.maxRenderedBytes)
                    table = routing
                }
                guard routing.tenants.contains(event.tenant) else {
                    metrics.invalid(.unknownTenant)
                    invalid.append(Parking.message(message, queue: names.invalidQueue, reason: "event.tenant \"\(event.tenant)\" is not a known tenant, or is disabled (heraldctl tenant list)"))
                    continue
                }
                // The same event twice in one batch: the first wins, like a redelivery.
                guard seen.insert(EventKey(tenant: event.tenant, id: event.id)).inserted else { stats.duplicateEvents += 1; continue }
                events.append(event)
                // The routing step's span: a child of the trace the event came with, or a new trace.
                let incoming = Router.trace(of: message.properties)
                let span = TraceContext.next(after: incoming, using: &random)
                let trace = span.traceparent
                let occurredAt = Timestamp.unixMilliseconds(rfc3339: event.occurredAt) ?? 0
                let outcome = routing.route(event, timestamp: timestamp) { Router.deliveryID(event, occurredAt: occurredAt, webhookID: $0.id) }
                if spans != nil { routedSpans.append((event, span, incoming?.spanID, outcome.decisions.count)) }
                for mismatch in outcome.typeMismatches {
                    stats.typeMismatches += 1
                    logger.debug("filter met a value of another type", metadata: ["webhook_id": "\(mismatch.webhookID)", "path": "\(mismatch.path)", "event_id": "\(event.id)"])
                }
                for decision in outcome.decisions {
                    let state: NewDelivery.InitialState
                    switch decision.state {
                    case .pending: state = .pending
                    case .paused: state = .paused
                    case .discarded: state = .cancelled
                    }
                    if let renderError = decision.renderError {
                        // Refused, not sent: the delivery is on record as failed with the reason.
                        stats.renderRefused += 1
                        logger.warning("payload refused", metadata: ["webhook_id": "\(decision.webhookID)", "event_id": "\(event.id)",
                                                                     "reason": "\(renderError)"])
                        deliveries.append(NewDelivery(
                            id: decision.deliveryID, tenantID: event.tenant, eventID: event.id, eventType: event.type,
                            webhookID: decision.webhookID, state: .failed, payload: nil, payloadDeferred: false,
                            note: "payload_template: \(renderError)"))
                        deliveries[deliveries.count - 1].traceparent = trace
                        deliveries[deliveries.count - 1].eventOccurredAt = event.occurredAt
                        continue
                    }
                    var delivery = NewDelivery(
                        id: decision.deliveryID, tenantID: event.tenant, eventID: event.id, eventType: event.type,
                        webhookID: decision.webhookID, state: state,
                        payload: decision.payload.map { String(decoding: $0, as: UTF8.self) },
                        payloadDeferred: decision.payload == nil && !decision.usesEnvelope,
                        note: state == .cancelled ? "webhook paused; its events are discarded while paused" : nil)
                    delivery.ordered = decision.ordered
                    delivery.traceparent = trace
                    delivery.eventOccurredAt = event.occurredAt
                    deliveries.append(delivery)
                }
            }
            table = routing
            // New pending deliveries, and those of a redelivered event that may never have been published.
            let transaction = ContinuousClock.now
            let jobs = try store.recordRouted(events: events, deliveries: deliveries)
            metrics.routerTransaction.record(duration: ContinuousClock.now - transaction)
            let messages = JobMessages(names: names)
            let outgoing = invalid + jobs.map { messages.job($0) }
            if !outgoing.isEmpty {
                let returned = try amqp.publishConfirmed(outgoing, window: 4096, timeout: .seconds(60))
                for r in returned {
                    logger.error("delivery job was unroutable; the reconciler will republish it",
                                 metadata: ["exchange": "\(r.exchange)", "routing_key": "\(r.routingKey)", "reply": "\(r.replyText)"])
                }
            }
            // One `multiple` ack per channel (each shard has its own; tags rise within a channel).
            var lastTag: [UInt16: UInt64] = [:]
            for message in batch {
                lastTag[message.channel] = message.deliveryTag
                shards.received(message)
            }
            for (channel, tag) in lastTag { try amqp.ack(tag, multiple: true, channel: channel) }
            metrics.routed(events: events.count, deliveries: deliveries.count)
            if let spans {
                let end = Timestamp.nowUnixMilliseconds() * 1_000_000
                for routed in routedSpans {
                    spans.record(Span(name: "herald.route", context: routed.span, parentSpanID: routed.parent, kind: .consumer,
                                      startUnixNanoseconds: batchStart * 1_000_000, endUnixNanoseconds: end,
                                      attributes: [("event.id", .string(routed.event.id)), ("event.type", .string(routed.event.type)),
                                                   ("herald.tenant", .string(routed.event.tenant)),
                                                   ("herald.deliveries", .number(JSONNumber(routed.deliveries)))]))
                }
            }
            stats.events += events.count
            stats.invalid += invalid.count
            stats.jobs += jobs.count
            for message in invalid {
                let reason: String = if case .string(let text)? = message.properties.headers["x-herald-reason"] { text } else { "" }
                logger.warning("malformed event parked in \(names.invalidQueue)", metadata: ["reason": "\(reason)"])
            }
            stats.log(logger)
        }
    }
}

extension Router {
    /// The same (event, webhook) always gets the same delivery id: a ULID whose time is the event's
    /// `occurred_at` (naming its day partition) and whose rest is a hash of tenant, event id and
    /// webhook id. A redelivered event finds its deliveries by id (recording is idempotent).
    public static func deliveryID(for event: Event, webhookID: String) -> String {
        deliveryID(event, occurredAt: Timestamp.unixMilliseconds(rfc3339: event.occurredAt) ?? 0, webhookID: webhookID)
    }

    static func deliveryID(_ event: Event, occurredAt: Int64, webhookID: String) -> String {
        Identifier.derived(prefix: "msg_", unixMilliseconds: occurredAt,
                           digest: SHA256.hash(Array("\(event.tenant)\u{0}\(event.id)\u{0}\(webhookID)".utf8)))
    }

    /// The W3C trace context an event was published with (AMQP header `traceparent`), if valid.
    static func trace(of properties: AMQPProperties) -> TraceContext? {
        guard case .string(let value)? = properties.headers[TraceContext.headerName] else { return nil }
        return TraceContext(traceparent: value)
    }
}

struct EventKey: Hashable {
    var tenant: String
    var id: String
}

/// Counters the router logs every ten seconds (and at exit).
struct RouterStats {
    var events = 0
    var invalid = 0
    var jobs = 0
    var duplicateEvents = 0
    var renderRefused = 0
    var typeMismatches = 0
    private var lastLog = ContinuousClock.now
    private var lastEvents = 0

    mutating func log(_ logger: Logger, force: Bool = false) {
        let elapsed = ContinuousClock.now - lastLog
        guard force || elapsed > .seconds(10) else { return }
        let seconds = elapsed.inSeconds
        let rate = seconds > 0 ? Double(events - lastEvents) / seconds : 0
        logger.info("router progress", metadata: [
            "events": "\(events)", "events_per_s": "\(Int(rate))", "jobs": "\(jobs)",
            "invalid": "\(invalid)", "duplicate_events_in_batch": "\(duplicateEvents)", "payloads_refused": "\(renderRefused)", "filter_type_mismatches": "\(typeMismatches)",
        ])
        lastLog = .now
        lastEvents = events
    }
}
