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

/// Fresh identifiers from the wall clock and the system's random source.
public enum IDs {
    public static func make(_ prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        return Identifier.make(prefix: prefix, unixMilliseconds: UInt64(Timestamp.nowUnixMilliseconds()), random: (rng.next(), rng.next()))
    }
}
