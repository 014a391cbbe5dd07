import AMQP
import ArgumentParser
import Foundation
import Herald

struct ConnectionOptions: ParsableArguments {
    @Option(help: "RabbitMQ URL (HERALD_AMQP_URL).") var amqpURL: String?
    @Option(help: "PostgreSQL URL, for relay (HERALD_DATABASE_URL).") var databaseURL: String?
    @Option(help: "Events exchange (HERALD_EVENTS_EXCHANGE).") var eventsExchange: String?
    @Option(help: "Prefix of every broker name (HERALD_TOPOLOGY_PREFIX).") var topologyPrefix: String?

    func configuration() throws -> HeraldConfiguration {
        var environment = ProcessEnvironment.current
        environment.set("HERALD_AMQP_URL", amqpURL)
        environment.set("HERALD_DATABASE_URL", databaseURL)
        environment.set("HERALD_EVENTS_EXCHANGE", eventsExchange)
        environment.set("HERALD_TOPOLOGY_PREFIX", topologyPrefix)
        return try HeraldConfiguration(environment: environment.values, component: "producer")
    }

    func publisher(_ configuration: HeraldConfiguration) throws -> EventPublisher {
        let connection = try AMQPConnection.connect(anyOf: configuration.amqpURL, connectionName: "herald-producer")
        return try EventPublisher(connection: connection, exchange: configuration.topology.eventsExchange)
    }
}

struct InputError: Error, CustomStringConvertible { var description: String }

@main
struct HeraldProducer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-producer",
        abstract: "The ERP side: publish events, relay a transactional outbox, generate realistic events.",
        subcommands: [Publish.self, Generate.self, Relay.self])

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish events (JSON object, array, or one object per line) from arguments, files or stdin; prints their ids.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .shortAndLong, help: "File of events ('-' = stdin); repeatable.") var file: [String] = []
        @Argument(help: "Events as JSON text.") var events: [String] = []

        func run() throws {
            var all: [Event] = []
            for (index, text) in events.enumerated() { all += try EventInput.parse(text, source: "argument \(index + 1)") }
            for path in file {
                let text: String
                if path == "-" {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                } else {
                    guard let data = FileManager.default.contents(atPath: path) else { throw InputError(description: "\(path): cannot read the file") }
                    text = String(decoding: data, as: UTF8.self)
                }
                all += try EventInput.parse(text, source: path == "-" ? "stdin" : path)
            }
            if events.isEmpty && file.isEmpty {
                all += try EventInput.parse(String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self), source: "stdin")
            }
            guard !all.isEmpty else { throw InputError(description: "no events given (arguments, --file or stdin)") }
            let publisher = try connection.publisher(try connection.configuration())
            try publisher.publish(all)
            for event in all { print(event.id) }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish realistic ERP events at a given rate, for demos and benchmarks.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "How many events.") var count: Int = 1000
        @Option(help: "Events per second (0 = as fast as confirms allow).") var rate: Double = 0
        @Option(help: "Seed, for repeatable runs.") var seed: UInt64 = 42
        @Option(help: "Comma-separated tenants.") var tenants: String = "acme"
        @Option(help: "Comma-separated event types or patterns (default: the whole catalog).") var types: String?
        @Option(help: "Approximate payload size in bytes.") var payloadBytes: Int?
        @Option(help: "Events per confirmed batch.") var batch: Int = 500
        @Flag(help: "No progress line.") var quiet = false
        @Flag(help: "Stamp occurred_at with the publish time (ms), for latency measurements.") var liveTimestamps = false

        func run() throws {
            guard count > 0 else { throw InputError(description: "--count must be at least 1") }
            guard batch > 0 else { throw InputError(description: "--batch must be at least 1") }
            var typeList = EventCatalog.types
            if let types {
                typeList = types.split(separator: ",").flatMap { EventCatalog.types(matching: String($0).trimmingCharacters(in: .whitespaces)) }
                guard !typeList.isEmpty else { throw InputError(description: "--types \(types) matches no event type of the catalog") }
            }
            var generator = EventGenerator(seed: seed, tenants: tenants.split(separator: ",").map(String.init), types: typeList,
                                           targetPayloadBytes: payloadBytes)
            let configuration = try connection.configuration()
            let publisher = ReconnectingPublisher(configuration: configuration, logger: HeraldProcess.logger("herald.producer", configuration: configuration))
            let start = Date()
            var sent = 0
            var lastProgress = Date.distantPast
            let step = rate > 0 ? max(1, min(batch, Int(rate / 20))) : batch
            while sent < count {
                let n = min(step, count - sent)
                var events: [Event] = []
                events.reserveCapacity(n)
                for _ in 0..<n {
                    var envelope = generator.next()
                    if liveTimestamps, case .object(var object) = envelope {
                        object["occurred_at"] = .string(Timestamp.nowISO8601())
                        envelope = .object(object)
                    }
                    events.append(try Event(envelope: envelope))
                }
                try publisher.publish(events)
                sent += n
                if rate > 0 {
                    let due = start.addingTimeInterval(Double(sent) / rate)
                    let wait = due.timeIntervalSinceNow
                    if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                }
                if !quiet, Date().timeIntervalSince(lastProgress) > 0.5 || sent == count {
                    lastProgress = Date()
                    let elapsed = Date().timeIntervalSince(start)
                    FileHandle.standardError.write(Data(String(format: "\rpublished %d/%d events (%.0f/s)", sent, count, Double(sent) / max(elapsed, 0.001)).utf8))
                }
            }
            let elapsed = Date().timeIntervalSince(start)
            if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
            print(String(format: "published %d events in %.2f s (%.0f events/s, confirmed)", sent, elapsed, Double(sent) / max(elapsed, 0.001)))
        }
    }

    struct Relay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish the rows of the transactional outbox table (run several at once if you like).")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Rows per transaction.") var batch: Int = 500
        @Option(help: "text|json (HERALD_LOG_FORMAT).") var logFormat: String?

        func run() async throws {
            var configuration = try connection.configuration()
            if let logFormat, let format = LogFormat(rawValue: logFormat) { configuration.logFormat = format }
            let logger = HeraldProcess.logger("herald.relay", configuration: configuration)
            try await HeraldProcess.buildRelay(configuration, batchSize: batch, logger: logger).runWithLifecycle()
        }
    }
}
