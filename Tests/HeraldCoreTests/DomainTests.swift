import HeraldCore
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("the default schedule is 1m, 5m, 30m, 2h, 12h, then exhausted")
    func defaultSchedule() {
        let p = RetryPolicy.default
        #expect((1...5).map { p.delay(afterAttempt: $0) } == [60, 300, 1800, 7200, 43200])
        #expect(p.delay(afterAttempt: 6) == nil)
        #expect(p.delay(afterAttempt: 0) == nil)
    }

    @Test("fixed repeats the first interval; custom repeats its last")
    func fixedAndCustom() {
        let fixed = RetryPolicy(maxRetries: 3, backoff: .fixed, intervals: [10, 99])
        #expect((1...4).map { fixed.delay(afterAttempt: $0) } == [10, 10, 10, nil])
        let custom = RetryPolicy(maxRetries: 4, backoff: .custom, intervals: [1, 2])
        #expect((1...5).map { custom.delay(afterAttempt: $0) } == [1, 2, 2, 2, nil])
    }

    @Test("exponential doubles and is capped at 24 h")
    func exponential() {
        let p = RetryPolicy(maxRetries: 30, backoff: .exponential, intervals: [60])
        #expect(p.delay(afterAttempt: 1) == 60)
        #expect(p.delay(afterAttempt: 2) == 120)
        #expect(p.delay(afterAttempt: 5) == 960)
        #expect(p.delay(afterAttempt: 30) == 86_400)
    }

    @Test("jitter picks one of five steps, so delay queues stay few")
    func jitterIsBounded() {
        let p = RetryPolicy(maxRetries: 1, backoff: .fixed, intervals: [100], jitter: 0.2)
        let delays = Set(stride(from: 0.0, to: 1.0, by: 0.01).compactMap { p.delay(afterAttempt: 1, random: $0) })
        #expect(delays == [80, 90, 100, 110, 120])
        #expect(p.possibleDelays == delays)
    }

    @Test("invalid policies are named")
    func validation() {
        #expect(throws: WebhookValidationError.self) { try RetryPolicy(maxRetries: 51, backoff: .fixed, intervals: [1]).validate() }
        #expect(throws: WebhookValidationError.self) { try RetryPolicy(maxRetries: 1, backoff: .fixed, intervals: []).validate() }
        #expect(throws: WebhookValidationError.self) { try RetryPolicy(maxRetries: 1, backoff: .fixed, intervals: [0]).validate() }
        #expect(throws: WebhookValidationError.self) { try RetryPolicy(maxRetries: 1, backoff: .fixed, intervals: [5], jitter: 2).validate() }
    }
}

@Suite("Event envelope")
struct EventTests {
    func parse(_ s: String) throws(EventValidationError) -> Event { try Event(parsing: Array(s.utf8)) }

    @Test("a valid envelope keeps its raw bytes")
    func valid() throws {
        let text = #"{"id":"evt_1","type":"order.created","tenant":"acme","occurred_at":"2026-01-22T15:30:00Z","data":{"order":{"id":"o"}}}"#
        let event = try parse(text)
        #expect(event.id == "evt_1")
        #expect(event.type == "order.created")
        #expect(event.raw == Array(text.utf8))
        #expect(event.data["order"]?["id"] == "o")
    }

    @Test("every broken rule is named", arguments: [
        ("[]", "object"),
        (#"{"type":"order.created","tenant":"acme","occurred_at":"2026-01-22T15:30:00Z","data":{}}"#, "event.id is missing"),
        (#"{"id":"e","type":"Order","tenant":"acme","occurred_at":"2026-01-22T15:30:00Z","data":{}}"#, "event.type"),
        (#"{"id":"e","type":"order.created","tenant":"ACME!","occurred_at":"2026-01-22T15:30:00Z","data":{}}"#, "event.tenant"),
        (#"{"id":"e","type":"order.created","tenant":"acme","occurred_at":"yesterday","data":{}}"#, "event.occurred_at"),
        (#"{"id":"e","type":"order.created","tenant":"acme","occurred_at":"2026-01-22T15:30:00Z","data":[]}"#, "event.data must be a JSON object"),
        (#"{"id":7,"type":"order.created","tenant":"acme","occurred_at":"2026-01-22T15:30:00Z","data":{}}"#, "event.id must be a string"),
        ("not json", "not JSON"),
    ])
    func invalid(input: String, expected: String) {
        #expect { try parse(input) } throws: { "\($0)".contains(expected) }
    }

    @Test("RFC 3339 timestamps")
    func timestamps() {
        for ok in ["2026-01-22T15:30:00Z", "2026-01-22T15:30:00.123456Z", "2026-01-22T15:30:00+02:00", "2026-01-22t15:30:00z"] {
            #expect(Timestamp.isRFC3339(ok), "\(ok)")
        }
        for bad in ["2026-01-22", "2026-13-22T15:30:00Z", "2026-01-22T25:30:00Z", "2026-01-22T15:30:00", "2026-01-22T15:30:00+2", ""] {
            #expect(!Timestamp.isRFC3339(bad), "\(bad)")
        }
        #expect(Timestamp.iso8601(unixMilliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.iso8601(unixMilliseconds: 1_614_265_330_123) == "2021-02-25T15:02:10.123Z")
        #expect(Timestamp.iso8601(unixMilliseconds: 1_769_095_800_000, fractional: false) == "2026-01-22T15:30:00Z")
    }
}

@Suite("Identifiers, jobs, classification, rate limits")
struct DeliveryDomainTests {
    @Test("identifiers sort by time and have the ULID length")
    func identifiers() {
        let a = Identifier.make(prefix: "msg_", unixMilliseconds: 1_000, random: (1, 2))
        let b = Identifier.make(prefix: "msg_", unixMilliseconds: 2_000, random: (0, 0))
        #expect(a.count == 30)
        #expect(a < b)
        #expect(a != Identifier.make(prefix: "msg_", unixMilliseconds: 1_000, random: (1, 3)))
    }

    @Test("delivery jobs round-trip and bad ones are refused")
    func jobs() throws {
        let job = DeliveryJob(deliveryID: "msg_01ABC", attempt: 3)
        #expect(try DeliveryJob(decoding: job.encoded()) == job)
        #expect(throws: DeliveryJobError.self) { try DeliveryJob(decoding: Array(#"{"delivery_id":"x","attempt":1}"#.utf8)) }
        #expect(throws: DeliveryJobError.self) { try DeliveryJob(decoding: Array(#"{"delivery_id":"msg_1","attempt":0}"#.utf8)) }
        #expect(throws: DeliveryJobError.self) { try DeliveryJob(decoding: Array("{".utf8)) }
    }

    @Test("status codes and transport failures are classified")
    func classification() {
        #expect(AttemptClassifier.classify(status: 200, successStatus: 200...299) == .succeeded)
        #expect(AttemptClassifier.classify(status: 204, successStatus: 200...200) == .retryable(reason: "HTTP 204"))
        #expect(AttemptClassifier.classify(status: 500, successStatus: 200...299) == .retryable(reason: "HTTP 500"))
        if case .permanent = AttemptClassifier.classify(status: 410, successStatus: 200...299) {} else { Issue.record("410 is permanent") }
        if case .permanent = AttemptClassifier.classify(failure: .blockedAddress, message: "x") {} else { Issue.record("blocked is permanent") }
        if case .retryable = AttemptClassifier.classify(failure: .timeout, message: "x") {} else { Issue.record("timeout is retryable") }
        #expect(AttemptClassifier.nextDelay(after: 1, verdict: .permanent(reason: ""), policy: .default, random: 0) == nil)
        #expect(AttemptClassifier.nextDelay(after: 1, verdict: .retryable(reason: ""), policy: .default, random: 0) == 60)
    }

    @Test("rate leases: tokens are used within their second; waiting jobs are spread over the limit's time")
    func rateLeases() {
        var leases = RateLeases()
        let none = leases.take("w", now: 0)
        #expect(!none, "no lease yet")
        leases.granted("w", tokens: 2, now: 0)
        let first = leases.take("w", now: 0.1), second = leases.take("w", now: 0.2), third = leases.take("w", now: 0.3)
        #expect(first && second)
        #expect(!third, "used up")
        leases.granted("w", tokens: 2, now: 1)
        let stale = leases.take("w", now: 2.5)
        #expect(!stale, "expired after a second")
        #expect(RateLeases.leaseSize(perMinute: 120) == 2 && RateLeases.leaseSize(perMinute: 10) == 1)
        // 120/min = 2/s: the 1st waiting job back in 1 s, the 10th in 5 s, the 100th in 45 s (a delay
        // queue within its 50 s: a little early rather than late).
        var waits: [Int] = []
        for _ in 0..<100 { waits.append(leases.wait("w", perMinute: 120)) }
        #expect(waits[0] == 1 && waits[9] == 5 && waits[99] == 45, "\(waits)")
        for _ in 0..<100 { leases.returned("w") }
        let again = leases.wait("w", perMinute: 120)
        #expect(again == 1)
    }
}

@Suite("Webhook validation")
struct WebhookValidationTests {
    func webhook(url: String = "https://example.com/h", events: [String] = ["order.created"], method: String = "POST") -> Webhook {
        Webhook(id: "wh_1", tenantID: "acme", name: "W", url: url, method: method, events: events)
    }

    @Test("a good webhook passes")
    func good() throws { try webhook().validate() }

    @Test("each broken field is named with its value and rule")
    func broken() {
        #expect { try webhook(url: "ftp://x").validate() } throws: { "\($0)" == #"webhook.url: "ftp://x" — only http and https URLs are allowed"# }
        #expect { try webhook(events: []).validate() } throws: { "\($0)".contains("webhook.events") }
        #expect { try webhook(method: "GET").validate() } throws: { "\($0)".contains("webhook.method") }
        var w = webhook()
        w.headers = [("Bad Header", "x")]
        #expect { try w.validate() } throws: { "\($0)".contains("webhook.headers") }
        w = webhook(url: "http://example.com")
        w.httpsOnly = true
        #expect { try w.validate() } throws: { "\($0)".contains("HTTPS-only") }
        w = webhook()
        w.allowedNetworks = ["10.0.0.0/33"]
        #expect { try w.validate() } throws: { "\($0)".contains("allowed_networks") }
        w = webhook()
        w.authentication = .bearer(token: "")
        #expect { try w.validate() } throws: { "\($0)".contains("auth.token") }
    }

    @Test("IP network syntax")
    func networks() {
        for ok in ["203.0.113.7", "203.0.113.0/24", "2001:db8::/32", "::1"] { #expect(IPNetworkSyntax.isValid(ok), "\(ok)") }
        for bad in ["256.0.0.1", "1.2.3/8", "10.0.0.0/33", "", "abc"] { #expect(!IPNetworkSyntax.isValid(bad), "\(bad)") }
    }
}
