import AMQP
import HeraldCore
import Logging
import PostgresClient

/// The transactional outbox: an ERP inserts its events into `outbox` in the same transaction as its
/// business change; the relay publishes them (confirmed) and marks them published. Rows are taken
/// with `FOR UPDATE SKIP LOCKED`, so several relays share the work; a row is marked only after the
/// broker confirmed it, so a crash republishes (the router drops the duplicate by event id).
public struct OutboxRelay: HeraldService {
    public let name = "outbox-relay"
    let base: HeraldConfiguration
    let batchSize: Int
    let logger: Logger

    public init(base: HeraldConfiguration, batchSize: Int = 500, logger: Logger) {
        self.base = base
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run(stop: StopSignal) throws {
        var published = 0
        var invalid = 0
        var backoff = Duration.milliseconds(200)
        while !stop.isStopped {
            do {
                let amqp = try Connections.amqp(base, name: "relay", logger: logger, stop: stop)
                let database = try Connections.postgres(base, logger: logger, stop: stop)
                let listener = try Connections.postgres(base, logger: logger, stop: stop)
                try listener.listen("herald_outbox")
                let publisher = try EventPublisher(connection: amqp, exchange: base.topology.eventsExchange)
                backoff = .milliseconds(200)
                logger.info("relaying the outbox")
                while !stop.isStopped {
                    let (sent, bad) = try relayBatch(database: database, publisher: publisher)
                    published += sent
                    invalid += bad
                    if sent + bad < batchSize {
                        _ = try listener.notifications(timeout: .milliseconds(500))
                    }
                }
                amqp.close()
                database.close()
                listener.close()
            } catch {
                if stop.isStopped { break }
                logger.error("outbox relay failed; unpublished rows stay in the outbox", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
                stop.sleep(backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        logger.info("outbox relay stopped", metadata: ["published": "\(published)", "invalid": "\(invalid)"])
    }

    /// One transaction: lock a batch, publish it confirmed, mark it. Returns (published, invalid).
    public func relayBatch(database: PostgresConnection, publisher: EventPublisher) throws -> (Int, Int) {
        try database.transaction { c in
            let rows = try c.query("""
                SELECT seq, payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
                """, [batchSize])
            guard !rows.isEmpty else { return (0, 0) }
            var events: [Event] = []
            var seqs: [Int64] = []
            var parked: [AMQPMessage] = []
            for row in rows {
                let seq = (try? row[0].decode(Int64.self)) ?? 0
                seqs.append(seq)
                let body = Array((row[1].text ?? "").utf8)
                do {
                    events.append(try Event(parsing: body))
                } catch {
                    logger.error("outbox row is not a valid event; parked in \(base.topology.invalidQueue)",
                                 metadata: ["seq": "\(seq)", "error": "\(error)"])
                    parked.append(AMQPMessage(exchange: "", routingKey: base.topology.invalidQueue, body: body,
                                              properties: AMQPProperties(contentType: "application/json", persistent: true,
                                                                         headers: ["x-herald-reason": .string("\(error)"),
                                                                                   "x-herald-outbox-seq": .int(seq)]),
                                              mandatory: false))
                }
            }
            try publisher.publish(events)
            if !parked.isEmpty {
                try Topology(names: base.topology).declareParking(base.topology.invalidQueue, on: publisher.connection)
                _ = try publisher.connection.publishConfirmed(parked, window: 4096, timeout: .seconds(60))
            }
            try c.execute("UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])", [seqs])
            return (events.count, parked.count)
        }
    }
}
