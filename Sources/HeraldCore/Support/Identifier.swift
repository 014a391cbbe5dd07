/// Sortable unique identifiers (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32),
/// with a type prefix: `evt_`, `msg_`, `wh_`. The caller supplies time and randomness: no I/O here.
public enum Identifier {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

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
