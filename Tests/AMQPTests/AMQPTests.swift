import AMQP
import Foundation
import Testing

let brokerURL = ProcessInfo.processInfo.environment["HERALD_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2F"

func connect() throws -> AMQPConnection {
    do { return try AMQPConnection(AMQPConfiguration(url: brokerURL, connectionName: "amqp-tests")) } catch {
        throw TestFailure("RabbitMQ is not reachable at \(brokerURL) (\(error)); start it with deploy/services.sh up")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func unique(_ label: String) -> String { "amqptest.\(label).\(UInt32.random(in: 0...UInt32.max))" }

@Suite("AMQP")
struct AMQPTests {
    @Test("URLs are parsed, and bad ones are named without the password")
    func urls() throws {
        let c = try AMQPConfiguration(url: "amqp://user:s%40cret@broker.example:5673/%2Fprod")
        #expect(c.url.hasPrefix("amqp://"))
        #expect { try AMQPConfiguration(url: "http://x") } throws: { ($0 as? AMQPError)?.code == .invalidURL }
        #expect { try AMQPConfiguration(url: "amqp://u:topsecret@host:99999/") } throws: { error in
            "\(error)".contains("port") && !"\(error)".contains("topsecret")
        }
    }

    @Test("a wrong password and a closed port are told apart")
    func connectErrors() throws {
        #expect { try AMQPConnection(AMQPConfiguration(url: "amqp://guest:wrong@127.0.0.1:5672/%2F")) } throws: {
            ($0 as? AMQPError)?.code == .authenticationFailed
        }
        #expect { try AMQPConnection(AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:1/%2F")) } throws: {
            ($0 as? AMQPError)?.code == .connectionFailed
        }
    }

    @Test("publish and consume keep the body and every property")
    func roundTrip() throws {
        let c = try connect()
        let q = unique("rt")
        try c.declareQueue(q, durable: false, autoDelete: false)
        defer { try? c.deleteQueue(q) }
        let body = Array("héllo \u{0}\u{1} wörld".utf8)
        let props = AMQPProperties(contentType: "application/json", messageID: "m-1", correlationID: "c-1", type: "order.created",
                                   persistent: true, headers: ["s": .string("x"), "i": .int(-7), "b": .bool(true), "d": .double(1.5),
                                                               "t": .table(["k": .string("v")]), "a": .array([.int(1), .string("two")])],
                                   timestamp: 1_700_000_000, appID: "tests", expiration: "60000")
        _ = try c.publishConfirmed([AMQPMessage(exchange: "", routingKey: q, body: body, properties: props)])
        try c.consume(queue: q)
        let d = try #require(try c.nextDelivery(timeout: .seconds(5)))
        #expect(d.body == body)
        #expect(d.properties == props)
        #expect(d.routingKey == q)
        try c.ack(d.deliveryTag)
    }

    @Test("a confirm window carries 10,000 messages, all confirmed and all consumed")
    func confirmWindow() throws {
        let c = try connect()
        let q = unique("window")
        try c.declareQueue(q, durable: true)
        defer { try? c.deleteQueue(q) }
        let messages = (0..<10_000).map { AMQPMessage(exchange: "", routingKey: q, body: Array("message \($0)".utf8)) }
        let start = ContinuousClock.now
        _ = try c.publishConfirmed(messages, window: 1024)
        let elapsed = ContinuousClock.now - start
        print("confirm window: 10,000 persistent messages confirmed in \(elapsed)")
        #expect(c.unconfirmedCount == 0)
        #expect(try c.declareQueue(q).messageCount == 10_000)
        try c.setPrefetch(500)
        try c.consume(queue: q)
        var seen = 0
        while seen < 10_000 {
            let batch = try c.deliveries(max: 500, timeout: .seconds(5))
            guard let last = batch.last else { break }
            if seen == 0 { #expect(batch.first?.body == Array("message 0".utf8)) }
            seen += batch.count
            try c.ack(last.deliveryTag, multiple: true)
        }
        #expect(seen == 10_000)
    }

    @Test("a mandatory message nobody can route comes back as a return")
    func mandatoryReturn() throws {
        let c = try connect()
        let x = unique("x")
        try c.declareExchange(x, type: "direct", durable: false)
        defer { try? c.deleteExchange(x) }
        let returned = try c.publishConfirmed([AMQPMessage(exchange: x, routingKey: "nobody", body: [1, 2, 3], mandatory: true)])
        #expect(returned.count == 1)
        #expect(returned.first?.replyCode == 312)
        #expect(returned.first?.body == [1, 2, 3])
    }

    @Test("redeclaring a queue with other arguments fails with 406 and the broker's words")
    func redeclareMismatch() throws {
        let c = try connect()
        let q = unique("ttl")
        try c.declareQueue(q, arguments: ["x-message-ttl": .int(1000)])
        defer { if let d = try? connect() { try? d.deleteQueue(q) } }
        #expect { try c.declareQueue(q, arguments: ["x-message-ttl": .int(2000)]) } throws: { error in
            guard let e = error as? AMQPError else { return false }
            return e.replyCode == 406 && e.message.contains("PRECONDITION_FAILED") && e.isConnectionLost
        }
        #expect(throws: AMQPError.self) { try c.declareQueue(unique("after")) }
    }

    @Test("nack requeues; reject dead-letters; a TTL queue dead-letters after its delay")
    func nackRejectAndTTL() throws {
        let c = try connect()
        let dlx = unique("dlx"), parked = unique("parked"), work = unique("work"), delay = unique("delay")
        try c.declareExchange(dlx, type: "fanout", durable: false)
        try c.declareQueue(parked, durable: false)
        try c.bindQueue(parked, exchange: dlx, routingKey: "")
        try c.declareQueue(work, durable: false, arguments: ["x-dead-letter-exchange": .string(dlx)])
        try c.declareQueue(delay, durable: false, arguments: ["x-message-ttl": .int(1000), "x-dead-letter-exchange": .string(dlx)])
        defer { for q in [parked, work, delay] { try? c.deleteQueue(q) }; try? c.deleteExchange(dlx) }
        _ = try c.publishConfirmed([AMQPMessage(exchange: "", routingKey: work, body: Array("a".utf8))])
        try c.consume(queue: work)
        let first = try #require(try c.nextDelivery(timeout: .seconds(5)))
        try c.nack(first.deliveryTag, requeue: true)
        let again = try #require(try c.nextDelivery(timeout: .seconds(5)))
        #expect(again.redelivered)
        try c.reject(again.deliveryTag, requeue: false)
        let start = ContinuousClock.now
        _ = try c.publishConfirmed([AMQPMessage(exchange: "", routingKey: delay, body: Array("b".utf8))])
        let reader = try connect()
        try reader.consume(queue: parked)
        let deadLettered = try #require(try reader.nextDelivery(timeout: .seconds(5)))
        #expect(deadLettered.body == Array("a".utf8))
        let delayed = try #require(try reader.nextDelivery(timeout: .seconds(5)))
        #expect(delayed.body == Array("b".utf8))
        #expect(ContinuousClock.now - start >= .milliseconds(900))
    }

    @Test("prefetch is honoured until acks come")
    func prefetch() throws {
        let c = try connect()
        let q = unique("prefetch")
        try c.declareQueue(q, durable: false)
        defer { try? c.deleteQueue(q) }
        _ = try c.publishConfirmed((0..<50).map { AMQPMessage(exchange: "", routingKey: q, body: [UInt8($0)]) })
        try c.setPrefetch(10)
        try c.consume(queue: q)
        Thread.sleep(forTimeInterval: 0.3)
        let first = try c.deliveries(max: 100, timeout: .seconds(2))
        #expect(first.count == 10)
        try c.ack(try #require(first.last).deliveryTag, multiple: true)
        let second = try c.deliveries(max: 100, timeout: .seconds(2))
        #expect(second.count >= 1 && second.count <= 10)
    }

    @Test("consuming and confirmed publishing interleave on one connection (2,000 messages)")
    func interleaved() throws {
        let c = try connect()
        let a = unique("a"), b = unique("b")
        try c.declareQueue(a, durable: false)
        try c.declareQueue(b, durable: false)
        defer { try? c.deleteQueue(a); try? c.deleteQueue(b) }
        let feeder = try connect()
        _ = try feeder.publishConfirmed((0..<2000).map { AMQPMessage(exchange: "", routingKey: a, body: Array(String($0).utf8)) })
        try c.setPrefetch(200)
        try c.consume(queue: a)
        var moved = 0
        while moved < 2000 {
            let batch = try c.deliveries(max: 200, timeout: .seconds(5))
            guard let last = batch.last else { break }
            _ = try c.publishConfirmed(batch.map { AMQPMessage(exchange: "", routingKey: b, body: $0.body) })
            try c.ack(last.deliveryTag, multiple: true)
            moved += batch.count
        }
        #expect(moved == 2000)
        #expect(try feeder.declareQueue(b, durable: false).messageCount == 2000)
        #expect(try feeder.declareQueue(a, durable: false).messageCount == 0)
    }

    @Test("the confirm tracker settles single and multiple acks and counts nacks")
    func tracker() {
        var t = ConfirmTracker()
        for s in 1...10 { t.published(UInt64(s)) }
        t.ack(3, multiple: false)
        #expect(t.count == 9)
        t.ack(5, multiple: true)
        #expect(t.count == 5)
        t.nack(7, multiple: false)
        #expect(t.nacked == 1)
        t.ack(10, multiple: true)
        #expect(t.count == 0)
        t.ack(11, multiple: false)
        #expect(t.count == 0)
    }
}

/// Restarts the shared broker: `make test` runs suites named BrokerRestart on their own.
@Suite("BrokerRestartAMQP", .serialized)
struct BrokerRestartAMQPTests {
    @Test("after a broker restart the old connection reports loss and a new one finds durable messages")
    func reconnect() throws {
        let c = try connect()
        let q = unique("durable")
        try c.declareQueue(q, durable: true)
        _ = try c.publishConfirmed((0..<100).map { AMQPMessage(exchange: "", routingKey: q, body: [UInt8($0)], properties: AMQPProperties(persistent: true)) })
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let restart = Process()
        restart.executableURL = root.appendingPathComponent("deploy/services.sh")
        restart.arguments = ["restart-rabbitmq"]
        try restart.run()
        restart.waitUntilExit()
        #expect(restart.terminationStatus == 0)
        #expect { try c.publishConfirmed([AMQPMessage(exchange: "", routingKey: q, body: [1])], timeout: .seconds(5)) } throws: {
            ($0 as? AMQPError)?.isConnectionLost == true
        }
        let fresh = try AMQPConnection.connect(AMQPConfiguration(url: brokerURL), retryingFor: .seconds(60))
        #expect(try fresh.declareQueue(q, durable: true).messageCount == 100)
        try fresh.deleteQueue(q)
    }
}
