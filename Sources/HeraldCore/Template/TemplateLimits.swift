/// Bounds on payload templates: the compiler checks the source, rendering checks the output.
public enum TemplateLimits {
    /// The longest template text, in UTF-8 bytes.
    public static let maxSourceBytes = 64 * 1024
    /// The deepest nesting of arrays and objects in a template (`{"a": [1]}` is two levels).
    /// Compiling and rendering recurse once per level.
    public static let maxNestingDepth = 32
    /// The longest placeholder path (`{order.customer.email}`), in UTF-8 bytes.
    public static let maxVariableBytes = 256
    /// The default cap on one rendered payload. A template can repeat a value (`["{data}", …]`) or
    /// a line item many times: without a cap a small template and event render hundreds of MB.
    public static let defaultMaxRenderedBytes = 16 * 1024 * 1024
}

/// Rendering stopped because the payload passed the size limit; nothing was sent.
public struct TemplateRenderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The limit in bytes.
    public var limit: Int
    /// Bytes rendered when rendering stopped (more than `limit`; the whole payload would be larger).
    public var renderedBytes: Int

    public init(limit: Int, renderedBytes: Int) {
        self.limit = limit
        self.renderedBytes = renderedBytes
    }

    public var description: String {
        "the rendered payload exceeded the rendered size limit of \(limit) bytes (stopped after \(renderedBytes) "
            + "bytes); the template repeats large values such as {data} or line items too often"
    }
}
