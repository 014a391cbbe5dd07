import HeraldCore
import Testing

@Suite("Batch policy")
struct BatchPolicyTests {
    let ten = BatchSettings(maxEvents: 10, maxWaitMilliseconds: 2000)

    @Test("full batches go at once, the open one waits for max_wait_ms, then everything goes")
    func fullAndDue() {
        let waiting = Array(repeating: 100, count: 35)
        #expect(BatchPolicy.decide(elementBytes: waiting, oldestAgeMilliseconds: 5, settings: ten, maxBytes: 1 << 20)
                == .send(sizes: [10, 10, 10]))
        #expect(BatchPolicy.decide(elementBytes: Array(waiting.prefix(5)), oldestAgeMilliseconds: 500, settings: ten, maxBytes: 1 << 20)
                == .wait(milliseconds: 1500))
        #expect(BatchPolicy.decide(elementBytes: Array(waiting.prefix(5)), oldestAgeMilliseconds: 2000, settings: ten, maxBytes: 1 << 20)
                == .send(sizes: [5]))
        #expect(BatchPolicy.decide(elementBytes: waiting, oldestAgeMilliseconds: 2500, settings: ten, maxBytes: 1 << 20)
                == .send(sizes: [10, 10, 10, 5]))
        #expect(BatchPolicy.decide(elementBytes: Array(waiting.prefix(10)), oldestAgeMilliseconds: 0, settings: ten, maxBytes: 1 << 20)
                == .send(sizes: [10]))
        #expect(BatchPolicy.decide(elementBytes: [], oldestAgeMilliseconds: 9999, settings: ten, maxBytes: 1 << 20) == .wait(milliseconds: nil))
    }

    @Test("max_wait_ms 0 sends what is there; stopping or pressure sends everything")
    func immediate() {
        let now = BatchSettings(maxEvents: 10, maxWaitMilliseconds: 0)
        #expect(BatchPolicy.decide(elementBytes: [1, 2, 3], oldestAgeMilliseconds: 0, settings: now, maxBytes: 100) == .send(sizes: [3]))
        #expect(BatchPolicy.decide(elementBytes: [1, 2, 3], oldestAgeMilliseconds: 0, settings: ten, maxBytes: 100, flushAll: true)
                == .send(sizes: [3]))
    }

    @Test("a batch never passes the byte limit; a payload larger than it goes alone")
    func bytes() {
        // [a,b] = 2 + 40 + 1 + 40 = 83 ≤ 100; a third would make 124.
        #expect(BatchPolicy.decide(elementBytes: [40, 40, 40, 40, 40], oldestAgeMilliseconds: 0, settings: ten, maxBytes: 100)
                == .send(sizes: [2, 2]))
        #expect(BatchPolicy.decide(elementBytes: [40, 40, 40, 40, 40], oldestAgeMilliseconds: 2000, settings: ten, maxBytes: 100)
                == .send(sizes: [2, 2, 1]))
        #expect(BatchPolicy.decide(elementBytes: [500, 10], oldestAgeMilliseconds: 0, settings: ten, maxBytes: 100) == .send(sizes: [1]))
        #expect(BatchPolicy.decide(elementBytes: [10, 500], oldestAgeMilliseconds: 0, settings: ten, maxBytes: 100) == .send(sizes: [1, 1]))
    }

    @Test("the body is the payloads as one JSON array, bytes untouched")
    func body() throws {
        let body = BatchPolicy.body([Array(#"{"a":1}"#.utf8), Array(#"{"b":[2, 3]}"#.utf8)])
        #expect(String(decoding: body, as: UTF8.self) == #"[{"a":1},{"b":[2, 3]}]"#)
        #expect(try JSONValue(parsing: body).arrayValue?.count == 2)
        #expect(BatchPolicy.body([]) == Array("[]".utf8))
    }

    @Test("settings are bounded; the lease covers the wait")
    func settings() {
        #expect(throws: WebhookValidationError.self) { try BatchSettings(maxEvents: 1, maxWaitMilliseconds: 0).validate() }
        #expect(throws: WebhookValidationError.self) { try BatchSettings(maxEvents: 1001, maxWaitMilliseconds: 0).validate() }
        #expect(throws: WebhookValidationError.self) { try BatchSettings(maxEvents: 10, maxWaitMilliseconds: 60_001).validate() }
        #expect(throws: WebhookValidationError.self) { try BatchSettings(maxEvents: 10, maxWaitMilliseconds: -1).validate() }
        #expect(throws: Never.self) { try BatchSettings(maxEvents: 2, maxWaitMilliseconds: 60_000).validate() }
        #expect(BatchSettings(maxEvents: 10, maxWaitMilliseconds: 1500).extraLeaseSeconds == 2)
        #expect(BatchSettings(maxEvents: 10, maxWaitMilliseconds: 0).extraLeaseSeconds == 0)
    }
}
