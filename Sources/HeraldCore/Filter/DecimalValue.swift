/// An exact decimal for comparisons: 100, 100.00 and 1e2 are equal; 0.1 < 0.10000000000000001;
/// numbers longer than a Double's precision still compare correctly.
public struct DecimalValue: Sendable, Equatable, Comparable {
    let negative: Bool
    let digits: [UInt8]      // no leading or trailing zeros; empty = zero
    let exponent: Int        // value = digits × 10^exponent

    /// A JSON number literal, or a string holding one (leading/trailing spaces allowed); nil otherwise.
    public init?(_ text: some StringProtocol) {
        var bytes = Array(text.utf8)
        while let f = bytes.first, f == 32 { bytes.removeFirst() }
        while let l = bytes.last, l == 32 { bytes.removeLast() }
        var i = 0
        var negative = false
        if i < bytes.count, bytes[i] == 45 || bytes[i] == 43 { negative = bytes[i] == 45; i += 1 }
        var digits: [UInt8] = []
        var exponent = 0
        var sawDigit = false
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { digits.append(bytes[i] - 48); i += 1; sawDigit = true }
        if i < bytes.count, bytes[i] == 46 {
            i += 1
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { digits.append(bytes[i] - 48); exponent -= 1; i += 1; sawDigit = true }
        }
        guard sawDigit else { return nil }
        if i < bytes.count, bytes[i] == 101 || bytes[i] == 69 {
            i += 1
            var expNegative = false
            if i < bytes.count, bytes[i] == 45 || bytes[i] == 43 { expNegative = bytes[i] == 45; i += 1 }
            var e = 0
            var sawExp = false
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                e = min(e * 10 + Int(bytes[i] - 48), 1_000_000_000)
                i += 1
                sawExp = true
            }
            guard sawExp else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == bytes.count else { return nil }
        var start = 0
        while start < digits.count, digits[start] == 0 { start += 1 }
        var end = digits.count
        while end > start, digits[end - 1] == 0 { end -= 1; exponent += 1 }
        self.digits = Array(digits[start..<end])
        self.exponent = self.digits.isEmpty ? 0 : exponent
        self.negative = self.digits.isEmpty ? false : negative
    }

    public static func < (a: DecimalValue, b: DecimalValue) -> Bool {
        if a.negative != b.negative { return a.negative }
        let magnitudeLess = DecimalValue.magnitudeLess(a, b)
        let magnitudeEqual = a.digits == b.digits && a.exponent == b.exponent
        if magnitudeEqual { return false }
        return a.negative ? !magnitudeLess : magnitudeLess
    }

    static func magnitudeLess(_ a: DecimalValue, _ b: DecimalValue) -> Bool {
        if a.digits.isEmpty { return !b.digits.isEmpty }
        if b.digits.isEmpty { return false }
        let aTop = a.digits.count + a.exponent
        let bTop = b.digits.count + b.exponent
        if aTop != bTop { return aTop < bTop }
        for i in 0..<max(a.digits.count, b.digits.count) {
            let x = i < a.digits.count ? a.digits[i] : 0
            let y = i < b.digits.count ? b.digits[i] : 0
            if x != y { return x < y }
        }
        return false
    }
}
