/// Which webhooks an event goes to, and with what body. Pure: the router feeds it events and
/// turns its decisions into rows and jobs.
///
/// Matching: same tenant, webhook not disabled, subscribed to the type (exact or wildcard), and the
/// filter holds. Subscriptions are resolved once per (tenant, type) and cached until the webhooks change.
public struct RoutingTable: Sendable {
    public struct Decision: Sendable {
        public enum State: Sendable, Equatable { case pending, paused, discarded }
        public var deliveryID: String
        public var webhookID: String
        public var state: State
        /// The rendered body; nil when the body is the event envelope itself (`usesEnvelope`) or when the
        /// template depends on the attempt (rendered by the worker per attempt), or when rendering failed.
        public var payload: [UInt8]?
        public var usesEnvelope: Bool
        /// Set when the template's output passed the rendered size limit: nothing was rendered to send,
        /// and the state is `.discarded` so that no job is published. Record the delivery as failed
        /// with this error as the reason.
        public var renderError: TemplateRenderError?
        /// The webhook delivers in event order (`ordering: fifo`).
        public var ordered = false
    }

    public struct Outcome: Sendable {
        public var decisions: [Decision]
        /// Filters that met a value of the wrong type (counted as no match).
        public var typeMismatches: [(webhookID: String, path: String)]
    }

    private let byTenant: [String: [Webhook]]
    public let tenants: Set<String>
    private var subscriptionCache: [String: [Int]] = [:]
    /// The cap on one rendered payload (`TemplateLimits.defaultMaxRenderedBytes` unless told otherwise).
    public let maxRenderedBytes: Int

    public init(webhooks: [Webhook], tenants: Set<String>,
                maxRenderedBytes: Int = TemplateLimits.defaultMaxRenderedBytes) {
        self.maxRenderedBytes = maxRenderedBytes
        var map: [String: [Webhook]] = [:]
        for webhook in webhooks where webhook.status != .disabled { map[webhook.tenantID, default: []].append(webhook) }
        byTenant = map
        self.tenants = tenants.union(map.keys)
    }

    public var webhookCount: Int { byTenant.values.reduce(0) { $0 + $1.count } }

    public func webhooks(of tenant: String) -> [Webhook] { byTenant[tenant] ?? [] }

    /// Decides every delivery of `event`. `deliveryID(webhook)` names the delivery (its webhook-id),
    /// `timestamp` is the render time (ISO 8601).
    public mutating func route(_ event: Event, timestamp: String, deliveryID: (Webhook) -> String) -> Outcome {
        guard let candidates = byTenant[event.tenant] else { return Outcome(decisions: [], typeMismatches: []) }
        let cacheKey = event.tenant + "\u{0}" + event.type
        let indices: [Int]
        if let cached = subscriptionCache[cacheKey] {
            indices = cached
        } else {
            indices = candidates.indices.filter { candidates[$0].subscribes(to: event.type) }
            subscriptionCache[cacheKey] = indices
        }
        var decisions: [Decision] = []
        var mismatches: [(webhookID: String, path: String)] = []
        for index in indices {
            let webhook = candidates[index]
            if let filter = webhook.filter {
                switch filter.evaluate(event.envelope) {
                case .match: break
                case .noMatch: continue
                case .typeMismatch(let path):
                    mismatches.append((webhook.id, path))
                    continue
                }
            }
            let state: Decision.State
            switch webhook.status {
            case .active: state = .pending
            case .paused: state = webhook.pausedBehavior == .queue ? .paused : .discarded
            case .disabled: continue
            }
            let id = deliveryID(webhook)
            var payload: [UInt8]?
            var renderError: TemplateRenderError?
            if let template = webhook.template, !template.dependsOnAttempt {
                let context = TemplateContext(webhookID: webhook.id, deliveryID: id, timestamp: timestamp, eventType: event.type, attempt: 1)
                do {
                    payload = try template.render(event: event.envelope, context: context, limit: maxRenderedBytes)
                } catch {
                    renderError = error
                }
            }
            decisions.append(Decision(deliveryID: id, webhookID: webhook.id,
                                      state: renderError == nil ? state : .discarded, payload: payload,
                                      usesEnvelope: webhook.template == nil, renderError: renderError,
                                      ordered: webhook.ordering == .fifo))
        }
        return Outcome(decisions: decisions, typeMismatches: mismatches)
    }
}
