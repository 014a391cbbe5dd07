/// The `Retry-After` header of a 429 or 503 (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// Seconds to wait from `nowSeconds` (Unix), or nil when the value is neither form.
    public static func seconds(_ value: String, nowSeconds: Int64) -> Int? {
        let text = String(value.trimmingWhitespace())
        if !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) { return Int(text) }
        guard let date = httpDate(text) else { return nil }
        return Int(max(0, date - nowSeconds))
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`) → Unix seconds.
    public static func httpDate(_ text: String) -> Int64? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        return parseIMF(words) ?? parseRFC850(words) ?? parseAsctime(words)
    }

    private static func parseIMF(_ w: [String]) -> Int64? {
        // ["Sun", "06", "Nov", "1994", "08:49:37", "GMT"]
        guard w.count == 6, w[5] == "GMT", let day = Int(w[1]), let month = months.firstIndex(of: w[2].lowercased()),
              let year = Int(w[3]) else { return nil }
        return unix(year: year, month: month + 1, day: day, clock: w[4])
    }

    private static func parseRFC850(_ w: [String]) -> Int64? {
        // ["Sunday", "06-Nov-94", "08:49:37", "GMT"]
        guard w.count == 4, w[3] == "GMT" else { return nil }
        let parts = w[1].split(separator: "-").map(String.init)
        guard parts.count == 3, let day = Int(parts[0]), let month = months.firstIndex(of: parts[1].lowercased()),
              let yy = Int(parts[2]) else { return nil }
        return unix(year: yy < 70 ? 2000 + yy : (yy < 100 ? 1900 + yy : yy), month: month + 1, day: day, clock: w[2])
    }

    private static func parseAsctime(_ w: [String]) -> Int64? {
        // ["Sun", "Nov", "6", "08:49:37", "1994"]
        guard w.count == 5, let month = months.firstIndex(of: w[1].lowercased()), let day = Int(w[2]), let year = Int(w[4]) else { return nil }
        return unix(year: year, month: month + 1, day: day, clock: w[3])
    }

    private static func unix(year: Int, month: Int, day: Int, clock: String) -> Int64? {
        let hms = clock.split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, (1...31).contains(day), (0...23).contains(hms[0]), (0...59).contains(hms[1]), (0...60).contains(hms[2]),
              (1970...9999).contains(year) else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Int64(days) * 86_400 + Int64(hms[0] * 3600 + hms[1] * 60 + hms[2])
    }
}
