/// Rules for text that came from a person or a program outside, checked on its UTF-8 bytes
/// (`"\r\n"` is a single Swift Character, so character checks miss it).
public enum TextRules {
    /// One line: no control byte at all (tab allowed), so the value is safe in a header or a log line.
    public static func isSingleLine(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }

    /// Free text (descriptions, templates, filters): line breaks and tabs allowed, no other control byte.
    public static func isText(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || ($0 >= 0x20 && $0 != 0x7F) }
    }
}
