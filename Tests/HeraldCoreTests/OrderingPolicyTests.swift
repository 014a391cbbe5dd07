import HeraldCore
import Testing

@Suite("Ordering policy")
struct OrderingPolicyTests {
    @Test("an older unfinished delivery makes a job wait; only an ended delivery releases the next")
    func fifo() {
        #expect(OrderingPolicy.admission(olderUnfinished: false) == .send)
        #expect(OrderingPolicy.admission(olderUnfinished: true) == .waitForPredecessor(seconds: OrderingPolicy.waitSeconds))
        for state in ["succeeded", "failed", "cancelled"] { #expect(OrderingPolicy.releasesSuccessor(finalState: state)) }
        for state in ["retrying", "paused", "in_flight", "pending"] { #expect(!OrderingPolicy.releasesSuccessor(finalState: state)) }
        #expect(DeliveryOrdering(rawValue: "fifo") == .fifo && DeliveryOrdering(rawValue: "lifo") == nil)
    }
}
