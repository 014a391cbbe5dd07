import CurlClient
import HeraldCore

/// Claimed deliveries of one batch webhook, oldest first, waiting to go out together.
struct HeldBatch {
    struct Waiting {
        var member: WorkerSession.Member
        var body: [UInt8]
        var since: ContinuousClock.Instant
    }
    /// The newest copy of the webhook a member was claimed with.
    var webhook: Webhook
    var waiting: [Waiting] = []
}

/// Batch delivery (`batch: {max_events, max_wait_ms}`): claimed deliveries of a batch webhook wait
/// here (their claims leased for the wait too) until `BatchPolicy` says a batch is full or due;
/// then one request carries their payloads as a JSON array, signed once under a `batch_…` message
/// id. Its answer is recorded for each delivery through the one outcome path (`settle`), so each
/// retries on its own and may join a later batch. Webhooks without `batch` never come here.
extension WorkerSession {
    /// A claimed delivery joins its webhook's batch.
    func hold(_ member: Member, body: [UInt8], webhook: Webhook) {
        var batch = batches[webhook.id] ?? HeldBatch(webhook: webhook)
        batch.webhook = webhook
        batch.waiting.append(HeldBatch.Waiting(member: member, body: body, since: .now))
        batches[webhook.id] = batch
        batchedCount += 1
    }

    /// Sends every batch that is full or has waited long enough. When this worker holds as many
    /// waiting deliveries as it has request slots, the largest batch goes at once, so waiting
    /// batches never take more of the prefetch than that from other webhooks.
    func sendDueBatches(stats: inout WorkerStats) {
        guard !batches.isEmpty else { return }
        let largest = batchedCount >= configuration.concurrency
            ? batches.max { $0.value.waiting.count < $1.value.waiting.count }?.key : nil
        let now = ContinuousClock.now
        for (webhookID, batch) in batches {
            guard let oldest = batch.waiting.first else { batches[webhookID] = nil; continue }
            // Only batch webhooks' deliveries are held; the fallback sends at once.
            let settings = batch.webhook.batch
                ?? BatchSettings(maxEvents: BatchSettings.maxEventsBounds.upperBound, maxWaitMilliseconds: 0)
            let decision = BatchPolicy.decide(elementBytes: batch.waiting.map(\.body.count),
                                              oldestAgeMilliseconds: (now - oldest.since).milliseconds, settings: settings,
                                              maxBytes: configuration.base.maxRenderedBytes, flushAll: webhookID == largest)
            guard case .send(let sizes) = decision else { continue }
            var rest = batch.waiting[...]
            for size in sizes {
                send(Array(rest.prefix(size)), webhook: batch.webhook, stats: &stats)
                rest = rest.dropFirst(size)
            }
            batchedCount -= batch.waiting.count - rest.count
            batches[webhookID] = rest.isEmpty ? nil : HeldBatch(webhook: batch.webhook, waiting: Array(rest))
        }
    }

    /// One request for these deliveries. A request that cannot be built fails each of them (recorded,
    /// retried on its own); a token on its way gives their attempts back and they come again in a second.
    private func send(_ group: [HeldBatch.Waiting], webhook: Webhook, stats: inout WorkerStats) {
        guard !group.isEmpty else { return }
        let now = Timestamp.nowUnixMilliseconds()
        let messageID = Identifier.make(prefix: BatchPolicy.messageIDPrefix, unixMilliseconds: UInt64(max(0, now)),
                                        random: (rng.next(), rng.next()))
        do {
            let built = try builder.request(webhook: webhook, deliveryID: messageID, body: BatchPolicy.body(group.map(\.body)),
                                            now: now, extraHeaders: [HTTPHeader(BatchPolicy.sizeHeader, String(group.count))],
                                            token: tokens.token(for:))
            let id = nextRequestID
            nextRequestID += 1
            try curl.add(built.request, id: id)
            inFlight[id] = InFlight(members: group.map(\.member), webhook: webhook, startedAt: now, started: .now,
                                    requestHeaders: built.loggedHeaders)
            inFlightByWebhook[webhook.id, default: 0] += 1
        } catch is OAuthTokenCache.Pending {
            stats.waitingForToken += group.count
            for item in group {
                settleLater(item.member.deliveryTag, item.member.claimed, seconds: 1, reason: "waiting for the OAuth 2.0 token",
                            generation: item.member.generation)
            }
        } catch {
            let permanent = (error as? HTTPError).map { $0.code == .invalidRequest || $0.code == .blockedAddress } ?? false
            let reason = (error as? HTTPError)?.description ?? "\(error)"
            for item in group {
                fail(item.member.deliveryTag, item.member.claimed, webhook: webhook, startedAt: now, reason: reason,
                     stats: &stats, permanent: permanent, generation: item.member.generation)
            }
        }
    }

    /// Stopping: deliveries still waiting for their batch were never sent; their attempts are given
    /// back and their jobs queued again at once, for another worker.
    func handBackBatches() {
        for batch in batches.values {
            for item in batch.waiting {
                settleLater(item.member.deliveryTag, item.member.claimed, seconds: 0,
                            reason: "not sent: the worker stopped while this delivery waited for its batch",
                            generation: item.member.generation)
            }
        }
        batches.removeAll()
        batchedCount = 0
    }
}

extension Duration {
    /// Whole milliseconds (truncated).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
