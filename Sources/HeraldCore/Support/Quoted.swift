/// Quotes outside input for an error message: at most `maxScalars` Unicode scalars, quotes,
/// backslashes and control characters escaped. A megabyte of input makes a short message, and a
/// NUL or a line break from the input never reaches a log line as itself.
public enum Quoted {
    public static let maxScalars = 64

    /// `"abc"`, or `"abcd…" (1048576 bytes)` when the value is longer than `maxScalars`.
    public static func text(_ value: some StringProtocol, quote: Unicode.Scalar = "\"",
                     maxScalars: Int = maxScalars) -> String {
        let (inner, truncated) = escaped(value, quote: quote, maxScalars: maxScalars)
        let quoted = String(quote) + inner + String(quote)
        return truncated ? quoted + " (\(value.utf8.count) bytes)" : quoted
    }

    /// The same without quotes, for names shown in their own brackets (`{order.id}`): `abcd…`.
    public static func bare(_ value: some StringProtocol, maxScalars: Int = maxScalars) -> String {
        escaped(value, quote: nil, maxScalars: maxScalars).text
    }

    private static func escaped(_ value: some StringProtocol, quote: Unicode.Scalar?,
                                maxScalars: Int) -> (text: String, truncated: Bool) {
        var out = ""
        var count = 0
        for scalar in value.unicodeScalars {
            if count == maxScalars { return (out + "…", true) }
            count += 1
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar == quote {
                    out.unicodeScalars.append("\\")
                    out.unicodeScalars.append(scalar)
                } else if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return (out, false)
    }
}
