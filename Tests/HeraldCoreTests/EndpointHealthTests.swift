import HeraldCore
import Testing

@Suite("EndpointHealth")
struct EndpointHealthTests {
    static func health(_ status: Webhook.Status = .active, inARow: Int = 0, attempts: Int = 0, failures: Int = 0) -> EndpointHealth {
        EndpointHealth.classify(.init(status: status, consecutiveFailures: inARow, recentAttempts: attempts, recentFailures: failures))
    }

    @Test("paused and disabled win over any attempts")
    func statusFirst() {
        #expect(Self.health(.paused, inARow: 9, attempts: 100, failures: 100) == .paused)
        #expect(Self.health(.disabled) == .disabled)
    }

    @Test("no attempts, or only successes, is healthy; a rare failure is tolerated")
    func healthy() {
        #expect(Self.health() == .healthy)
        #expect(Self.health(attempts: 100) == .healthy)
        #expect(Self.health(attempts: 100, failures: 4) == .healthy)
    }

    @Test("a failure in a row or 5 % of recent attempts is degraded")
    func degraded() {
        #expect(Self.health(inARow: 1, attempts: 100, failures: 1) == .degraded)
        #expect(Self.health(attempts: 100, failures: 5) == .degraded)
        #expect(Self.health(attempts: 9, failures: 9) == .degraded)   // too few to call it failing, not yet 5 in a row
    }

    @Test("five in a row, or half of at least ten recent attempts, is failing")
    func failing() {
        #expect(Self.health(inARow: 5, attempts: 5, failures: 5) == .failing)
        #expect(Self.health(attempts: 10, failures: 5) == .failing)
        #expect(Self.health(attempts: 100, failures: 49) == .degraded)
    }
}
