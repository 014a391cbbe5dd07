/// Batch delivery, opt-in per webhook: up to `maxEvents` deliveries go out in one request, a JSON
/// array of their payloads signed as one message, waiting at most `maxWaitMilliseconds` for the
/// batch to fill. Each delivery keeps its own state, attempts and retries.
public struct BatchSettings: Sendable, Equatable {
    public static let maxEventsBounds = 2...1000
    public static let maxWaitBounds = 0...60_000
    public static let defaultMaxEvents = 100
    public static let defaultMaxWaitMilliseconds = 1000

    public var maxEvents: Int
    public var maxWaitMilliseconds: Int

    public init(maxEvents: Int = BatchSettings.defaultMaxEvents,
                maxWaitMilliseconds: Int = BatchSettings.defaultMaxWaitMilliseconds) {
        self.maxEvents = maxEvents
        self.maxWaitMilliseconds = maxWaitMilliseconds
    }

    public func validate() throws(WebhookValidationError) {
        guard BatchSettings.maxEventsBounds.contains(maxEvents) else {
            let bounds = BatchSettings.maxEventsBounds
            throw WebhookValidationError(field: "batch.max_events", value: String(maxEvents),
                                         rule: "must be \(bounds.lowerBound) to \(bounds.upperBound)")
        }
        guard BatchSettings.maxWaitBounds.contains(maxWaitMilliseconds) else {
            let bounds = BatchSettings.maxWaitBounds
            throw WebhookValidationError(field: "batch.max_wait_ms", value: String(maxWaitMilliseconds),
                                         rule: "must be \(bounds.lowerBound) to \(bounds.upperBound) ms")
        }
    }

    /// How much longer a claim must be leased than a single request's: the longest a claimed
    /// delivery may wait for its batch.
    public var extraLeaseSeconds: Int { (maxWaitMilliseconds + 999) / 1000 }
}

/// When a batch goes out and how the waiting deliveries are cut into requests: pure decisions,
/// the worker only holds the deliveries and sends what this says.
public enum BatchPolicy {
    /// The `webhook-id` of a batch request starts with this (one id per request: a retried
    /// delivery may join another batch, so receivers deduplicate on each element's event id).
    public static let messageIDPrefix = "batch_"
    /// The header that counts the deliveries in a batch request.
    public static let sizeHeader = "X-Herald-Batch-Size"

    public enum Decision: Sendable, Equatable {
        /// Nothing to send yet; look again in at most this many milliseconds (nil: nothing waits).
        case wait(milliseconds: Int?)
        /// Send requests of these sizes, taking the waiting deliveries oldest first; the rest wait.
        case send(sizes: [Int])
    }

    /// What to do with the deliveries waiting for one webhook's batch, oldest first.
    ///
    /// - Parameters:
    ///   - elementBytes: each waiting payload's size, oldest first.
    ///   - oldestAgeMilliseconds: how long the oldest has waited.
    ///   - maxBytes: the largest request body (a single larger payload still goes, alone).
    ///   - flushAll: send everything now (the worker is stopping or holds too much).
    ///
    /// A batch is full at `maxEvents` deliveries or when the next payload would pass `maxBytes`;
    /// full batches go at once, the last open one when the oldest has waited `maxWaitMilliseconds`.
    public static func decide(elementBytes: [Int], oldestAgeMilliseconds: Int64, settings: BatchSettings,
                              maxBytes: Int, flushAll: Bool = false) -> Decision {
        guard !elementBytes.isEmpty else { return .wait(milliseconds: nil) }
        let chunks = split(elementBytes: elementBytes, maxEvents: settings.maxEvents, maxBytes: maxBytes)
        let due = flushAll || oldestAgeMilliseconds >= Int64(settings.maxWaitMilliseconds)
        if due { return .send(sizes: chunks.sizes) }
        // The last chunk is open unless it is full by count (a byte-full chunk was closed by the next element).
        let closed = chunks.lastIsFull ? chunks.sizes : Array(chunks.sizes.dropLast())
        if !closed.isEmpty { return .send(sizes: closed) }
        return .wait(milliseconds: max(0, settings.maxWaitMilliseconds - Int(oldestAgeMilliseconds)))
    }

    /// Greedy cut in order: at most `maxEvents` per chunk and at most `maxBytes` of body (the
    /// brackets and commas counted), except that a payload larger than that goes alone.
    static func split(elementBytes: [Int], maxEvents: Int, maxBytes: Int) -> (sizes: [Int], lastIsFull: Bool) {
        var sizes: [Int] = []
        var count = 0
        var bytes = 2   // "[" and "]"
        for size in elementBytes {
            let added = size + (count > 0 ? 1 : 0)
            if count > 0 && (count == maxEvents || bytes + added > maxBytes) {
                sizes.append(count)
                count = 0
                bytes = 2
            }
            bytes += size + (count > 0 ? 1 : 0)
            count += 1
        }
        if count > 0 { sizes.append(count) }
        return (sizes, count == maxEvents || bytes >= maxBytes)
    }

    /// The request body: the payloads as one JSON array, each as it was rendered (no re-encoding).
    public static func body(_ elements: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(elements.reduce(2) { $0 + $1.count + 1 })
        out.append(UInt8(ascii: "["))
        for (i, element) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: element)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
