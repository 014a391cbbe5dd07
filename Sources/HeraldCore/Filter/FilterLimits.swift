/// Bounds on a filter, checked by the parser where the text enters. Together they keep parsing,
/// evaluation and the syntax tree's memory small and every recursion shallow: AND and OR chains
/// are stored flat, so the tree is only as deep as the nesting of parentheses and NOT.
public enum FilterLimits {
    /// The longest filter text, in UTF-8 bytes.
    public static let maxSourceBytes = 16 * 1024
    /// The most predicates (`order.total > 100`, `x IN [...]`, `y exists`, …) in one filter.
    public static let maxPredicates = 256
    /// The deepest nesting of parentheses and NOT (`NOT (a = 1)` is two levels).
    public static let maxNestingDepth = 32
    /// A string or number longer than this (in UTF-8 bytes, spaces included) is not a number
    /// when compared with one: the comparison is false, whatever the digits.
    public static let maxNumericTextBytes = 1000
}
