import HeraldCore
import Testing

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    let policy = CircuitPolicy(windowSeconds: 30, minRequests: 10, failureRatio: 0.5, cooldownSeconds: 15, maxCooldownSeconds: 60)

    @Test("closed until enough answers in the window fail; then open for the cool-down")
    func opens() {
        var state = CircuitState()
        let early = state.record(successes: 0, failures: 9, now: 1_000, policy: policy)
        #expect(!early, "too few answers to judge")
        #expect(state.admission(now: 1_000) == .send)
        let opened = state.record(successes: 0, failures: 1, now: 2_000, policy: policy)
        #expect(opened, "10 answers, all failed: opens")
        #expect(state.phase == .open)
        #expect(state.admission(now: 3_000) == .wait(untilMilliseconds: 17_000))
        #expect(state.admission(now: 17_000) == .probe)
    }

    @Test("successes keep it closed; a new window forgets old failures")
    func staysClosed() {
        var state = CircuitState()
        state.record(successes: 6, failures: 4, now: 1_000, policy: policy)
        #expect(state.phase == .closed, "40 % failed, below the ratio")
        state.record(successes: 0, failures: 9, now: 40_000, policy: policy)
        #expect(state.phase == .closed, "the window restarted at 40 s: 9 answers are too few")
    }

    @Test("half-open: the probe's success closes it; its failure reopens with a doubled cool-down, capped")
    func halfOpen() {
        var state = CircuitState()
        state.record(successes: 0, failures: 10, now: 0, policy: policy)
        state.startProbe(now: 15_000, probeSeconds: 40)
        #expect(state.phase == .halfOpen)
        #expect(state.admission(now: 16_000) == .wait(untilMilliseconds: 18_000), "others look again shortly while the probe is out")
        #expect(state.admission(now: 55_000) == .probe, "a probe that never reported expires")
        var failed = state
        let reopened = failed.record(successes: 0, failures: 1, now: 20_000, policy: policy)
        #expect(reopened)
        #expect(failed.phase == .open && failed.cooldownSeconds == 30)
        failed.startProbe(now: 50_000, probeSeconds: 40)
        failed.record(successes: 0, failures: 1, now: 51_000, policy: policy)
        failed.startProbe(now: 120_000, probeSeconds: 40)
        failed.record(successes: 0, failures: 1, now: 121_000, policy: policy)
        #expect(failed.cooldownSeconds == 60, "capped at the maximum")
        var healed = state
        healed.record(successes: 1, failures: 0, now: 20_000, policy: policy)
        #expect(healed.phase == .closed && healed.cooldownSeconds == 0)
        #expect(healed.admission(now: 20_001) == .send)
    }

    @Test("answers to requests sent before it opened decide nothing")
    func lateAnswers() {
        var state = CircuitState()
        state.record(successes: 0, failures: 10, now: 0, policy: policy)
        let decided = state.record(successes: 5, failures: 5, now: 1_000, policy: policy)
        #expect(!decided)
        #expect(state.phase == .open && state.openUntil == 15_000)
    }

    @Test("one circuit per endpoint URL: a broken URL on a shared host stops only itself")
    func endpointKeys() {
        func key(_ url: String) -> String {
            Webhook(id: "w", tenantID: "acme", name: "n", url: url, events: ["order.created"]).endpointKey
        }
        #expect(key("https://API.partner.com/hooks/a?x=1") == "https://api.partner.com:443/hooks/a")
        #expect(key("https://api.partner.com:443/hooks/a?other=2") == "https://api.partner.com:443/hooks/a")
        #expect(key("https://hooks.chat.example/services/T1/B1/x") != key("https://hooks.chat.example/services/T2/B2/y"))
        #expect(key("http://127.0.0.1:9100/ok/x") == "http://127.0.0.1:9100/ok/x")
        #expect(key("http://example.com") == "http://example.com:80/")
    }
}
