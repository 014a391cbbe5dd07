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
public final class ServiceThreads: Sendable {
    let services: [any HeraldService]
    let logger: Logger
    public let stopSignal = StopSignal()
    /// The process's metrics and loop health, shared by its services.
    public let telemetry: ProcessTelemetry
    /// `/metrics`, `/healthz`, `/readyz` (one of `services`), unless `HERALD_METRICS_ADDR` is off.
    public let ops: OpsListener?

    public init(services: [any HeraldService], logger: Logger, telemetry: ProcessTelemetry = ProcessTelemetry(),
                ops: OpsListener? = nil) {
        // The listener first: a lifecycle group stops it last, so /metrics answers while the loops drain.
        self.services = (ops.map { [$0] } ?? []) + services
        self.logger = logger
        self.telemetry = telemetry
        self.ops = ops
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

// MARK: - swift-service-lifecycle

import ServiceLifecycle

/// A thread-based HeraldService as a swift-service-lifecycle `Service`: its blocking loop runs on
/// a thread of its own; graceful shutdown (SIGTERM/SIGINT through the ServiceGroup) or task
/// cancellation signals it to stop, and `run` returns when the loop has finished its work.
public struct ThreadedService: Service {
    public let service: any HeraldService

    public init(_ service: any HeraldService) { self.service = service }

    public func run() async throws {
        let stop = StopSignal()
        let service = self.service
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let thread = Thread {
                        do {
                            try service.run(stop: stop)
                            continuation.resume()
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    thread.name = service.name
                    thread.stackSize = 8 << 20
                    thread.start()
                }
            } onCancel: {
                stop.stop()
            }
        } onGracefulShutdown: {
            stop.stop()
        }
    }
}

extension ServiceThreads {
    /// Runs the services under a swift-service-lifecycle ServiceGroup: SIGTERM or SIGINT shuts
    /// them down gracefully (in reverse order), the first that fails stops the others, and
    /// `run` rethrows its error. Used by the executables.
    public func runWithLifecycle() async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map {
                ServiceGroupConfiguration.ServiceConfiguration(service: ThreadedService($0), successTerminationBehavior: .gracefullyShutdownGroup,
                                                               failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
