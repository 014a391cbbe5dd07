import HeraldCore
import Testing

@Suite("Shard balance")
struct ShardBalanceTests {
    @Test("fair share is the shards over the routers, rounded up")
    func fairShare() {
        let balance = ShardBalance(shards: 8)
        #expect(balance.fairShare(routers: 1) == 8)
        #expect(balance.fairShare(routers: 2) == 4)
        #expect(balance.fairShare(routers: 3) == 3)
        #expect(balance.fairShare(routers: 4) == 2)
        #expect(balance.fairShare(routers: 16) == 1)
        #expect(balance.fairShare(routers: 0) == 8)
    }

    @Test("a router active on more than its share hands the highest extra shards over; alone or within its share it keeps them")
    func handOver() {
        let balance = ShardBalance(shards: 8)
        #expect(balance.handOver(active: Set(0..<8), routers: 1) == [])
        #expect(balance.handOver(active: Set(0..<8), routers: 2) == [4, 5, 6, 7])
        #expect(balance.handOver(active: Set(0..<8), routers: 4) == [2, 3, 4, 5, 6, 7])
        #expect(balance.handOver(active: [1, 5, 6], routers: 3) == [])
        #expect(balance.handOver(active: [1, 5, 6, 7], routers: 3) == [7])
        #expect(balance.handOver(active: [], routers: 4) == [])
    }

    @Test("routers handing over in turn end with every shard spread within one of the fair share")
    func converges() {
        // A model of single active consumer: each shard's consumers in subscription order, the
        // first active; a hand-over moves the router to the back of that shard's line.
        for routers in 2...6 {
            let balance = ShardBalance(shards: 8)
            var lines = Array(repeating: Array(0..<routers), count: 8)
            for _ in 0..<10 {
                for router in 0..<routers {
                    let active = Set((0..<8).filter { lines[$0].first == router })
                    for shard in balance.handOver(active: active, routers: routers) {
                        lines[shard].removeFirst()
                        lines[shard].append(router)
                    }
                }
            }
            let counts = (0..<routers).map { r in (0..<8).filter { lines[$0].first == r }.count }
            #expect(counts.max()! <= balance.fairShare(routers: routers), "\(routers) routers: \(counts)")
            #expect(counts.reduce(0, +) == 8)
        }
    }
}
