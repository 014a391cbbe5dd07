/// RFC 3339 timestamps without Foundation: validation and formatting of Unix times.
public enum Timestamp {
    /// `2026-01-22T15:30:00Z`, `2026-01-22T15:30:00.123+02:00`.
    public static func isRFC3339(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var v = 0
            for i in range {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20,
              digits(0..<4) != nil, b[4] == 45, let month = digits(5..<7), b[7] == 45, let day = digits(8..<10),
              b[10] == 84 || b[10] == 116 || b[10] == 32,
              let hour = digits(11..<13), b[13] == 58, let minute = digits(14..<16), b[16] == 58, let second = digits(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return false }
        var i = 19
        if i < b.count, b[i] == 46 {
            i += 1
            let start = i
            while i < b.count, b[i] >= 48 && b[i] <= 57 { i += 1 }
            guard i > start else { return false }
        }
        guard i < b.count else { return false }
        if b[i] == 90 || b[i] == 122 { return i + 1 == b.count }
        guard b[i] == 43 || b[i] == 45, b.count == i + 6, let oh = digits(i + 1..<i + 3), b[i + 3] == 58,
              let om = digits(i + 4..<i + 6), oh < 24, om < 60 else { return false }
        return true
    }

    /// A period bound given by a person: a date (`2026-01-22`, meaning its midnight UTC) or an RFC
    /// 3339 time. Returns the RFC 3339 text, or nil for anything else ("yesterday", "2026-13-01").
    public static func periodBound(_ text: String) -> String? {
        if isRFC3339(text) { return text }
        let candidate = text + "T00:00:00Z"
        return text.utf8.count == 10 && isRFC3339(candidate) ? candidate : nil
    }

    /// The Unix milliseconds of an RFC 3339 time (`2026-01-22T15:30:00.123+02:00`); nil when it is
    /// not one. Fractions beyond milliseconds are cut; a leap second counts as :59.999.
    public static func unixMilliseconds(rfc3339 text: String) -> Int64? {
        guard isRFC3339(text) else { return nil }
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64 { range.reduce(0) { $0 * 10 + Int64(b[$1] - 48) } }
        let (year, month, day) = (number(0..<4), number(5..<7), number(8..<10))
        let seconds = min(number(17..<19), 59)
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        var ms = ((days * 24 + number(11..<13)) * 60 + number(14..<16)) * 60_000 + seconds * 1000
        var i = 19
        if b[i] == 46 {
            var scale: Int64 = 100
            i += 1
            while i < b.count, b[i] >= 48 && b[i] <= 57 {
                ms += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        if b[i] == 43 || b[i] == 45 {
            let offset = (number(i + 1..<i + 3) * 60 + number(i + 4..<i + 6)) * 60_000
            ms += b[i] == 43 ? -offset : offset
        }
        return ms
    }

    /// Formats Unix time (seconds + milliseconds) as `2026-01-22T15:30:00.123Z` (UTC).
    public static func iso8601(unixMilliseconds ms: Int64, fractional: Bool = true) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = Int(ms - seconds * 1000)
        var days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secOfDay = Int(seconds - Int64(days) * 86400)
        // Civil from days (Howard Hinnant's algorithm).
        days += 719468
        let era = (days >= 0 ? days : days - 146096) / 146097
        let doe = days - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secOfDay / 3600, 2)):\(pad(secOfDay / 60 % 60, 2)):\(pad(secOfDay % 60, 2))"
        if fractional { out += ".\(pad(millis, 3))" }
        return out + "Z"
    }
}
