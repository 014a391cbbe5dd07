import Foundation
import Logging
import Synchronization

/// A few threads, each with its own admin connections (PostgreSQL, RabbitMQ), that run blocking
/// admin work for async callers. libpq and librabbitmq calls block, so they never run on Swift's
/// cooperative pool or a server's event loops: the HTTP server awaits the result, a pool thread
/// does the work — the way swift-kafka-client keeps librdkafka off the cooperative pool.
public final class BlockingPool: Sendable {
    public struct Overloaded: Error, CustomStringConvertible, Sendable {
        public var description: String { "the server is busy: too many admin requests are waiting; retry shortly" }
    }

    private struct Job: Sendable {
        let work: @Sendable (AdminContext) -> Void
    }

    private let queue = Mutex<(jobs: [Job], stopped: Bool)>(([], false))
    private let available = DispatchSemaphore(value: 0)
    private let maxWaiting: Int
    private let threads: Int
    private let finished = DispatchGroup()

    /// `size` threads (each opening its connections on first use), at most `maxWaiting` queued jobs.
    public init(size: Int, maxWaiting: Int = 1024, configuration: HeraldConfiguration, logger: Logger) {
        self.maxWaiting = maxWaiting
        self.threads = max(1, size)
        for index in 0..<threads {
            finished.enter()
            let thread = Thread { [self] in
                let context = AdminContext(configuration: configuration, connectionName: "herald-api-\(index)")
                defer { context.close(); finished.leave() }
                while true {
                    available.wait()
                    let next: Job? = queue.withLock { state in state.jobs.isEmpty ? nil : state.jobs.removeFirst() }
                    guard let next else { return }   // stopped and drained
                    next.work(context)
                }
            }
            thread.name = "herald-admin-\(index)"
            thread.stackSize = 4 << 20
            thread.start()
        }
        _ = logger
    }

    /// Runs `body` on a pool thread with that thread's connections and returns its result. A
    /// connection that failed is dropped, so the next job on that thread connects anew.
    public func run<T: Sendable>(_ body: @escaping @Sendable (AdminContext) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job { context in
                do {
                    continuation.resume(returning: try body(context))
                } catch {
                    if AdminContext.isConnectionFailure(error) { context.reset() }
                    continuation.resume(throwing: error)
                }
            }
            let accepted = queue.withLock { state -> Bool in
                guard !state.stopped, state.jobs.count < maxWaiting else { return false }
                state.jobs.append(job)
                return true
            }
            if accepted { available.signal() } else { continuation.resume(throwing: Overloaded()) }
        }
    }

    /// Lets queued jobs finish, then stops the threads and closes their connections.
    public func shutdown() {
        let alreadyStopped = queue.withLock { state -> Bool in
            defer { state.stopped = true }
            return state.stopped
        }
        guard !alreadyStopped else { return }
        for _ in 0..<threads { available.signal() }
        finished.wait()
    }
}
