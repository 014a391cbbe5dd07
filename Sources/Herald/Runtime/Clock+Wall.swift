import Foundation

extension Timestamp {
    /// Milliseconds since the Unix epoch, from the system clock.
    public static func nowUnixMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public static func nowISO8601() -> String { iso8601(unixMilliseconds: nowUnixMilliseconds()) }
}

/// Fresh identifiers from the wall clock and a per-thread generator seeded from the system's
/// random source (one getrandom per thread, not two per identifier).
public enum IDs {
    private final class Generator {
        var state: SplitMix64
        init() {
            var system = SystemRandomNumberGenerator()
            state = SplitMix64(seed: system.next())
        }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() } }
        return key
    }()

    private static func generator() -> Generator {
        if let raw = pthread_getspecific(key) { return Unmanaged<Generator>.fromOpaque(raw).takeUnretainedValue() }
        let fresh = Generator()
        pthread_setspecific(key, Unmanaged.passRetained(fresh).toOpaque())
        return fresh
    }

    public static func make(_ prefix: String) -> String {
        let g = generator()
        return Identifier.make(prefix: prefix, unixMilliseconds: UInt64(Timestamp.nowUnixMilliseconds()), random: (g.state.next(), g.state.next()))
    }
}

extension Duration {
    /// The duration in seconds, for rates and log lines.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
