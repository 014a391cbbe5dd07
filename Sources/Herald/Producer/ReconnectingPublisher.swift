import AMQP
import HeraldCore
import Logging

/// Publishes events with confirms and rides out broker restarts: a batch that fails (connection
/// lost, confirms not coming while the broker is blocked) is published again on a new connection
/// until the broker confirms it, or `giveUpAfter` passes without one confirmed batch. Events of a
/// failed batch may reach the broker twice; the router records each event id once.
public final class ReconnectingPublisher {
    let configuration: HeraldConfiguration
    let logger: Logger
    let giveUpAfter: Duration
    let stop = StopSignal()
    private var publisher: EventPublisher?

    public init(configuration: HeraldConfiguration, logger: Logger, giveUpAfter: Duration = .seconds(300)) {
        self.configuration = configuration
        self.logger = logger
        self.giveUpAfter = giveUpAfter
    }

    deinit { publisher?.connection.close() }

    public func publish(_ events: [Event]) throws {
        let deadline = ContinuousClock.now + giveUpAfter
        var delay = Duration.milliseconds(200)
        while true {
            do {
                if publisher == nil {
                    let connection = try Connections.openAMQP(configuration, name: "producer")
                    publisher = try EventPublisher(connection: connection, exchange: configuration.topology.eventsExchange)
                }
                try publisher?.publish(events)
                return
            } catch {
                publisher?.connection.close()
                publisher = nil
                guard ContinuousClock.now + delay < deadline else { throw error }
                logger.warning("publish failed; reconnecting and publishing the batch again",
                               metadata: ["error": "\(error)", "events": "\(events.count)", "retry_in": "\(delay)"])
                stop.sleep(delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
