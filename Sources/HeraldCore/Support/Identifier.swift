/// Sortable unique identifiers (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32),
/// with a type prefix: `evt_`, `msg_`, `wh_`. The caller supplies time and randomness: no I/O here.
public enum Identifier {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A ULID whose time is `unixMilliseconds` and whose "random" part is the first 10 bytes of
    /// `digest` (a hash of what the id names): the same inputs give the same id. Delivery ids are
    /// made so, from the event's time and a hash of (tenant, event id, webhook id): a redelivered
    /// event finds its delivery by id, and the id's time names the day partition it lives in.
    public static func derived(prefix: String, unixMilliseconds: Int64, digest: [UInt8]) -> String {
        func word(_ range: Range<Int>) -> UInt64 {
            range.reduce(0) { $0 << 8 | UInt64($1 < digest.count ? digest[$1] : 0) }
        }
        return make(prefix: prefix, unixMilliseconds: UInt64(max(0, unixMilliseconds)), random: (word(0..<5), word(5..<10)))
    }

    /// The 10 characters of a ULID that say its time: every id made at or after `unixMilliseconds`
    /// sorts at or after `prefix + timePrefix(…)` (the bounds of the delivery partitions).
    public static func timePrefix(unixMilliseconds: Int64) -> String {
        String(make(prefix: "", unixMilliseconds: UInt64(max(0, unixMilliseconds)), random: (0, 0)).prefix(10))
    }

    public static func make(prefix: String, unixMilliseconds: UInt64, random: (UInt64, UInt64)) -> String {
        var out = [UInt8]()
        out.reserveCapacity(prefix.utf8.count + 26)
        out.append(contentsOf: prefix.utf8)
        let time = unixMilliseconds & 0xFFFF_FFFF_FFFF
        for i in stride(from: 45, through: 0, by: -5) {   // 10 chars of time (50 bits, top 2 zero)
            out.append(alphabet[Int((time >> UInt64(i)) & 31)])
        }
        let high = random.0 & 0xFFFF_FFFF_FF   // 40 bits
        let low = random.1 & 0xFFFF_FFFF_FF    // 40 bits
        for part in [high, low] {
            for i in stride(from: 35, through: 0, by: -5) { out.append(alphabet[Int((part >> UInt64(i)) & 31)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
