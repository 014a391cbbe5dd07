/// An exact decimal for comparisons: 100, 100.00 and 1e2 are equal; 0.1 < 0.10000000000000001;
/// numbers longer than a Double's precision still compare correctly.
public struct DecimalValue: Sendable, Equatable, Comparable {
    let negative: Bool
    let digits: [UInt8]      // no leading or trailing zeros; empty = zero
    let exponent: Int        // value = digits × 10^exponent

    /// A JSON number literal, or a string holding one (leading/trailing spaces allowed); nil otherwise.
    /// Text longer than `FilterLimits.maxNumericTextBytes` (spaces included) is not a number: the
    /// parse reads each byte once and never more than that many.
    public init?(_ text: some StringProtocol) {
        let utf8 = text.utf8
        guard utf8.count <= FilterLimits.maxNumericTextBytes else { return nil }
        guard let parsed = utf8.withContiguousStorageIfAvailable({ DecimalValue.parse($0) })
                ?? DecimalValue.parse(Array(utf8)) else { return nil }
        self = parsed
    }

    private init(negative: Bool, digits: [UInt8], exponent: Int) {
        self.negative = negative
        self.digits = digits
        self.exponent = exponent
    }

    private static func parse(_ bytes: some RandomAccessCollection<UInt8>) -> DecimalValue? {
        var i = bytes.startIndex
        var end = bytes.endIndex
        while i < end, bytes[i] == 32 { i = bytes.index(after: i) }
        while end > i, bytes[bytes.index(before: end)] == 32 { end = bytes.index(before: end) }
        var negative = false
        if i < end, bytes[i] == 45 || bytes[i] == 43 { negative = bytes[i] == 45; i = bytes.index(after: i) }
        var digits: [UInt8] = []
        var exponent = 0
        var sawDigit = false
        while i < end, bytes[i] >= 48, bytes[i] <= 57 {
            digits.append(bytes[i] - 48)
            i = bytes.index(after: i)
            sawDigit = true
        }
        if i < end, bytes[i] == 46 {
            i = bytes.index(after: i)
            while i < end, bytes[i] >= 48, bytes[i] <= 57 {
                digits.append(bytes[i] - 48)
                exponent -= 1
                i = bytes.index(after: i)
                sawDigit = true
            }
        }
        guard sawDigit else { return nil }
        if i < end, bytes[i] == 101 || bytes[i] == 69 {
            i = bytes.index(after: i)
            var expNegative = false
            if i < end, bytes[i] == 45 || bytes[i] == 43 { expNegative = bytes[i] == 45; i = bytes.index(after: i) }
            var e = 0
            var sawExp = false
            while i < end, bytes[i] >= 48, bytes[i] <= 57 {
                e = min(e * 10 + Int(bytes[i] - 48), 1_000_000_000)
                i = bytes.index(after: i)
                sawExp = true
            }
            guard sawExp else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == end else { return nil }
        var first = 0
        while first < digits.count, digits[first] == 0 { first += 1 }
        var last = digits.count
        while last > first, digits[last - 1] == 0 { last -= 1; exponent += 1 }
        let significant = Array(digits[first..<last])
        return DecimalValue(negative: significant.isEmpty ? false : negative, digits: significant,
                            exponent: significant.isEmpty ? 0 : exponent)
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
