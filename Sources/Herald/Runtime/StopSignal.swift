import Foundation
import Synchronization

/// Tells a blocking service loop to finish. Thread-safe; checked between batches.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func stop() { flag.store(true, ordering: .releasing) }
    public var isStopped: Bool { flag.load(ordering: .acquiring) }

    /// Sleeps up to `duration` in small steps, returning early when stopped.
    public func sleep(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !isStopped, ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            let step = min(left, .milliseconds(50))
            let (s, a) = step.components
            var ts = timespec(tv_sec: Int(s), tv_nsec: Int(a / 1_000_000_000))
            nanosleep(&ts, nil)
        }
    }
}
