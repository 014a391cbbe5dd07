import Herald
import Testing

@Suite("Copies of a claimed job")
struct ClaimCopyTests {
    @Test("a copy naming the claimed attempt waits for the lease; any other copy is a duplicate")
    func copies() {
        #expect(UnclaimedJob.copy(ofAttempt: 3, claimed: 3, leaseSeconds: 30) == .heldElsewhere(seconds: 30))
        #expect(UnclaimedJob.copy(ofAttempt: 2, claimed: 3, leaseSeconds: 30) == .duplicate)   // the takeover's stale copy
        #expect(UnclaimedJob.copy(ofAttempt: 1, claimed: 3, leaseSeconds: 30) == .duplicate)
    }
}
