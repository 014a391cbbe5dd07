import Foundation
import Logging
import Synchronization

/// One job of a Herald process (route events, deliver, reconcile, relay). Its `run` blocks on a
/// thread of its own — librabbitmq, libpq and libcurl calls block, so they never run on Swift's
/// shared pool — until `stop` is signalled, then returns after finishing or handing back its work.
public protocol HeraldService: Sendable {
    var name: String { get }
    func run(stop: StopSignal) throws
}

/// Runs services each on its own thread; SIGTERM or SIGINT stops them all gracefully.
/// The first service that fails stops the others, and `run` rethrows its error.
public final class ServiceGroup: Sendable {
    let services: [any HeraldService]
    let logger: Logger
    public let stopSignal = StopSignal()

    public init(services: [any HeraldService], logger: Logger) {
        self.services = services
        self.logger = logger
    }

    /// Blocks until every service has returned.
    public func run(handleSignals: Bool = true) throws {
        var sources: [any DispatchSourceSignal] = []
        if handleSignals {
            for sig in [SIGTERM, SIGINT] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                let stop = stopSignal
                let logger = logger
                source.setEventHandler {
                    logger.info("signal received: stopping gracefully", metadata: ["signal": "\(sig)"])
                    stop.stop()
                }
                source.resume()
                sources.append(source)
            }
        }
        defer { sources.forEach { $0.cancel() } }
        let failure = Mutex<(any Error)?>(nil)
        let group = DispatchGroup()
        for service in services {
            group.enter()
            let stop = stopSignal
            let logger = logger
            let thread = Thread {
                defer { group.leave() }
                do {
                    logger.info("service started", metadata: ["service": "\(service.name)"])
                    try service.run(stop: stop)
                    logger.info("service stopped", metadata: ["service": "\(service.name)"])
                } catch {
                    logger.error("service failed", metadata: ["service": "\(service.name)", "error": "\(error)"])
                    failure.withLock { if $0 == nil { $0 = error } }
                    stop.stop()
                }
            }
            thread.name = service.name
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
