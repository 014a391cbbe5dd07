import HeraldCore
import Testing

/// The worker's policy, branch by branch, with no sockets: like postgres-nio's state machine tests.
@Suite("Attempt planner")
struct AttemptPlannerTests {
    let now: Int64 = 1_769_095_800   // 2026-01-22T15:30:00Z
    var webhook = Webhook(id: "wh_1", tenantID: "acme", name: "n", url: "https://example.com/x", events: ["order.created"],
                          retry: RetryPolicy(maxRetries: 3, backoff: .custom, intervals: [10, 60, 300]))
    let planner = AttemptPlanner(retryAfterBounds: 1...3600)

    func plan(_ observation: AttemptObservation, attempt: Int = 1, webhook: Webhook? = nil) -> AttemptPlan {
        planner.plan(attempt: attempt, webhook: webhook ?? self.webhook, observation: observation, nowSeconds: now, random: 0.5)
    }

    @Test("2xx is done; a custom success range is honoured")
    func success() {
        #expect(plan(.response(status: 200, retryAfter: nil)) == AttemptPlan(succeeded: true, error: nil, next: .done, dropPayload: false, webhookAction: nil))
        #expect(plan(.response(status: 204, retryAfter: nil)).next == .done)
        var accepting = webhook
        accepting.successStatus = 200...399
        #expect(plan(.response(status: 302, retryAfter: nil), webhook: accepting).next == .done)
        #expect(plan(.response(status: 302, retryAfter: nil)).next == .retry(afterSeconds: 10))
    }

    @Test("5xx and transport failures follow the schedule, then go dead with the reason")
    func schedule() {
        #expect(plan(.response(status: 500, retryAfter: nil), attempt: 1).next == .retry(afterSeconds: 10))
        #expect(plan(.response(status: 502, retryAfter: nil), attempt: 2).next == .retry(afterSeconds: 60))
        #expect(plan(.transportFailure(.timeout, message: "timed out"), attempt: 3).next == .retry(afterSeconds: 300))
        let last = plan(.response(status: 500, retryAfter: nil), attempt: 4)
        #expect(last.next == .dead(reason: "HTTP 500 (attempt 4, retries exhausted)"))
        #expect(last.error == "HTTP 500")
        #expect(!last.succeeded)
    }

    @Test("Retry-After in seconds replaces the schedule on 429 and 503, rounded up to a delay queue")
    func retryAfterSeconds() {
        #expect(plan(.response(status: 429, retryAfter: "6")).next == .retry(afterSeconds: 6))
        #expect(plan(.response(status: 429, retryAfter: "11")).next == .retry(afterSeconds: 15), "rounded up: never earlier than asked")
        #expect(plan(.response(status: 503, retryAfter: "120")).next == .retry(afterSeconds: 120))
        #expect(plan(.response(status: 429, retryAfter: "0")).next == .retry(afterSeconds: 1), "never faster than once a second")
        #expect(plan(.response(status: 429, retryAfter: "999999")).next == .retry(afterSeconds: 3600), "clamped to the bound")
        #expect(plan(.response(status: 429, retryAfter: "6")).error?.contains("Retry-After: 6 s") == true)
        #expect(plan(.response(status: 500, retryAfter: "6")).next == .retry(afterSeconds: 10), "only 429 and 503 are honoured")
        #expect(plan(.response(status: 429, retryAfter: "soon")).next == .retry(afterSeconds: 10), "unreadable: the schedule")
        #expect(plan(.response(status: 429, retryAfter: "6"), attempt: 4).next == .dead(reason: "HTTP 429 (attempt 4, retries exhausted)"))
    }

    @Test("Retry-After as an HTTP-date, in all three forms")
    func retryAfterDates() {
        #expect(RetryAfter.seconds("Thu, 22 Jan 2026 15:30:45 GMT", nowSeconds: now) == 45)
        #expect(RetryAfter.seconds("Thursday, 22-Jan-26 15:31:00 GMT", nowSeconds: now) == 60)
        #expect(RetryAfter.seconds("Thu Jan 22 15:32:00 2026", nowSeconds: now) == 120)
        #expect(RetryAfter.seconds("Thu, 22 Jan 2026 15:00:00 GMT", nowSeconds: now) == 0, "a date in the past: now")
        #expect(RetryAfter.seconds("Thu, 32 Jan 2026 15:00:00 GMT", nowSeconds: now) == nil)
        #expect(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(plan(.response(status: 503, retryAfter: "Thu, 22 Jan 2026 15:30:45 GMT")).next == .retry(afterSeconds: 45))
    }

    @Test("410 Gone is permanent and disables the webhook")
    func gone() {
        let p = plan(.response(status: 410, retryAfter: nil))
        guard case .dead = p.next else { Issue.record("410 must not be retried: \(p)"); return }
        guard case .disable(let reason)? = p.webhookAction else { Issue.record("410 disables the webhook"); return }
        #expect(reason.contains("410 Gone"))
        #expect(plan(.response(status: 404, retryAfter: nil)).webhookAction == nil)
    }

    @Test("a refused address or an unbuildable request is dead at once; keep_failed_payloads false drops the copy")
    func permanentFailures() {
        #expect(plan(.transportFailure(.blockedAddress, message: "blocked")).next == .dead(reason: "blocked"))
        #expect(plan(.notSent(reason: "bad template", permanent: true)).next == .dead(reason: "bad template"))
        #expect(plan(.notSent(reason: "token endpoint down", permanent: false)).next == .retry(afterSeconds: 10))
        var dropping = webhook
        dropping.keepFailedPayloads = false
        #expect(plan(.response(status: 500, retryAfter: nil), attempt: 4, webhook: dropping).dropPayload)
        #expect(!plan(.response(status: 500, retryAfter: nil), attempt: 1, webhook: dropping).dropPayload, "kept while retries remain")
    }

    @Test("jitter is drawn from the random input, never from the system")
    func jitter() {
        var jittery = webhook
        jittery.retry = RetryPolicy(maxRetries: 3, backoff: .fixed, intervals: [100], jitter: 0.5)
        let low = planner.plan(attempt: 1, webhook: jittery, observation: .response(status: 500, retryAfter: nil), nowSeconds: now, random: 0)
        let high = planner.plan(attempt: 1, webhook: jittery, observation: .response(status: 500, retryAfter: nil), nowSeconds: now, random: 0.99)
        #expect(low.next == .retry(afterSeconds: 50))
        #expect(high.next == .retry(afterSeconds: 150))
    }
}
