/// Something a webhook's owner is told about, by mail (`notify_email`) and by a signed POST
/// (`notify_url`). Each is sent once per (webhook, kind, window) however many workers saw it: the
/// window is what turns a burst into one message (a digest for exhausted deliveries).
public struct Notice: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Paused after `pause_after_failures` consecutive failures.
        case paused = "webhook.paused"
        /// The endpoint answered 410 Gone: the webhook is disabled.
        case disabled = "webhook.disabled"
        /// The endpoint's circuit opened (shared by every worker).
        case circuitOpen = "endpoint.circuit_open"
        /// Deliveries that ended `failed` (retries exhausted, or a permanent failure): one digest per window.
        case exhausted = "deliveries.exhausted"

        /// One notice of this kind per webhook per this many seconds. A pause or a 410 is told at
        /// once; a flapping circuit at most every five minutes; failed deliveries are collected for
        /// `digestSeconds` and told together.
        public func windowSeconds(digestSeconds: Int) -> Int {
            switch self {
            case .paused, .disabled: 60
            case .circuitOpen: 300
            case .exhausted: max(1, digestSeconds)
            }
        }

        /// Whether the notice waits for its window to close before it goes out (a digest).
        public var isDigest: Bool { self == .exhausted }
    }

    public var kind: Kind
    public var webhookID: String
    public var webhookName: String
    public var reason: String
    /// Digests: how many deliveries, and the first few ids (for the person to look up).
    public var count: Int
    public var deliveryIDs: [String]
    public var atUnixMilliseconds: Int64

    /// How many delivery ids a digest lists; the count says how many there were.
    public static let listedIDs = 10

    public init(kind: Kind, webhookID: String, webhookName: String, reason: String, count: Int = 0,
                deliveryIDs: [String] = [], atUnixMilliseconds: Int64) {
        self.kind = kind
        self.webhookID = webhookID
        self.webhookName = webhookName
        self.reason = reason
        self.count = count
        self.deliveryIDs = deliveryIDs
        self.atUnixMilliseconds = atUnixMilliseconds
    }

    /// A one-line subject (the name is tenant input: the mail builder strips control bytes).
    public var subject: String {
        switch kind {
        case .paused: "[Herald] webhook \"\(webhookName)\" paused"
        case .disabled: "[Herald] webhook \"\(webhookName)\" disabled: its endpoint is gone (410)"
        case .circuitOpen: "[Herald] webhook \"\(webhookName)\": endpoint failing, deliveries wait"
        case .exhausted: "[Herald] webhook \"\(webhookName)\": \(count) deliver\(count == 1 ? "y" : "ies") failed"
        }
    }

    /// The plain-text body of the mail.
    public var text: String {
        var lines = [
            "Webhook: \(webhookName) (\(webhookID))",
            "Event: \(kind.rawValue)",
            "At: \(Timestamp.iso8601(unixMilliseconds: atUnixMilliseconds, fractional: false))",
            "Reason: \(reason)",
        ]
        if kind == .exhausted {
            lines.append("")
            lines.append("\(count) deliver\(count == 1 ? "y" : "ies") ended failed. " +
                         (count > deliveryIDs.count ? "The first \(deliveryIDs.count):" : "Delivery ids:"))
            lines += deliveryIDs.map { "  \($0)" }
            lines.append("")
            lines.append("See them with: heraldctl delivery log --webhook \(webhookID) --state failed")
            lines.append("Send them again with: heraldctl delivery resend ID...")
        } else if kind == .paused || kind == .disabled {
            lines.append("")
            lines.append("Waiting deliveries are kept or dropped as the webhook's paused_behavior says.")
            lines.append("Enable it again with: heraldctl webhook resume \(webhookID)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON body POSTed to `notify_url` (signed like a delivery).
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("type", .string(kind.rawValue)), ("webhook_id", .string(webhookID)), ("webhook_name", .string(webhookName)),
            ("reason", .string(reason)), ("at", .string(Timestamp.iso8601(unixMilliseconds: atUnixMilliseconds))),
        ]
        if kind == .exhausted {
            fields.append(("count", .number(JSONNumber(count))))
            fields.append(("delivery_ids", .array(deliveryIDs.map { .string($0) })))
        }
        return .object(JSONObject(fields))
    }
}
