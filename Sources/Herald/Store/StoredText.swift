/// Text from outside (a receiver's response, a transport error) on its way into a text column:
/// PostgreSQL text cannot hold NUL, and one such byte must not fail a whole batch of outcomes, so
/// each NUL is stored as U+FFFD.
enum StoredText {
    static func clean(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return String(decoding: text.utf8.flatMap { $0 == 0 ? [0xEF, 0xBF, 0xBD] : [$0] }, as: UTF8.self)
    }

    static func clean(optional text: String?) -> String? { text.map { clean($0) } }
}
