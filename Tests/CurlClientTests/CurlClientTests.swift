import CurlClient
import Foundation
import HeraldTestSupport
import Testing

/// Runs requests to completion on one multi handle.
func run(_ multi: CurlMulti, _ requests: [HTTPRequest], timeout: Duration = .seconds(20)) throws -> [UInt64: Result<HTTPResponse, HTTPError>] {
    for (i, r) in requests.enumerated() { try multi.add(r, id: UInt64(i)) }
    var results: [UInt64: Result<HTTPResponse, HTTPError>] = [:]
    let deadline = ContinuousClock.now + timeout
    while results.count < requests.count, ContinuousClock.now < deadline {
        for c in multi.perform(timeout: .milliseconds(50)).completions { results[c.id] = c.result }
    }
    return results
}

func local(_ receiver: Receiver, _ path: String, method: String = "POST", body: String = "", timeout: Duration = .seconds(10)) -> HTTPRequest {
    HTTPRequest(url: receiver.baseURL + path, method: method, headers: [HTTPHeader("X-Test", "yes"), HTTPHeader("Expect", "")],
                body: Array(body.utf8), connectTimeout: .seconds(2), timeout: timeout, allowPrivateNetworks: true)
}

@Suite("HTTP client")
struct CurlClientTests {
    @Test("200 concurrent requests on one multi handle succeed and reuse connections")
    func concurrent() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let multi = try CurlMulti()
        let first = try run(multi, (0..<200).map { local(receiver, "/sleep/200/c\($0)", body: "n=\($0)") })
        #expect(first.count == 200)
        #expect(first.values.allSatisfy { (try? $0.get().status) == 200 })
        let connectionsAfterFirst = try receiver.stats()["connections"]?.intValue ?? 0
        let second = try run(multi, (0..<200).map { local(receiver, "/ok/again\($0)") })
        #expect(second.values.allSatisfy { (try? $0.get().status) == 200 })
        let connectionsAfterSecond = try receiver.stats()["connections"]?.intValue ?? 0
        #expect(connectionsAfterFirst <= 205, "one connection per concurrent request at most (plus the control calls)")
        #expect(connectionsAfterSecond - connectionsAfterFirst < 20, "the second wave reuses kept-alive connections")
    }

    @Test("method, headers and body arrive intact; statuses are kept; redirects are not followed")
    func requestAndStatus() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let multi = try CurlMulti()
        let body = #"{"order": "Zoë \"1\"", "n": [1,2,3]}"#
        let results = try run(multi, [local(receiver, "/ok/echo", method: "PUT", body: body), local(receiver, "/status/500/x"),
                                      local(receiver, "/status/404/x"), local(receiver, "/status/302/x")])
        #expect(try results[0]?.get().status == 200)
        #expect(try results[1]?.get().status == 500)
        #expect(try results[2]?.get().status == 404)
        #expect(try results[3]?.get().status == 302)
        let echo = try #require(try receiver.requests().first { $0.path == "/ok/echo" })
        #expect(echo.method == "PUT")
        #expect(echo.body == body)
        #expect(echo.headers["x-test"] == "yes")
        #expect(echo.headers["expect"] == nil)
        #expect(try results[0]?.get().headers.contains { $0.name.lowercased() == "content-type" } == true)
    }

    @Test("a slow endpoint times out on time")
    func timeout() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let start = ContinuousClock.now
        let results = try run(try CurlMulti(), [local(receiver, "/sleep/3000/x", timeout: .milliseconds(500))])
        let elapsed = ContinuousClock.now - start
        #expect { try results[0]?.get() } throws: { ($0 as? HTTPError)?.code == .timeout }
        #expect(elapsed < .milliseconds(1500))
    }

    @Test("the response timeout runs from the moment the request is sent, not from the connect")
    func responseTimeout() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        var request = local(receiver, "/sleep/3000/x", timeout: .seconds(10))
        request.connectTimeout = .seconds(5)
        request.responseTimeout = .milliseconds(600)
        let start = ContinuousClock.now
        let results = try run(try CurlMulti(), [request, local(receiver, "/sleep/100/y", timeout: .seconds(10))])
        let elapsed = ContinuousClock.now - start
        #expect { try results[0]?.get() } throws: { ($0 as? HTTPError)?.code == .timeout && "\($0)".contains("600 ms of sending") }
        #expect(try results[1]?.get().status == 200)
        #expect(elapsed < .milliseconds(1500), "600 ms, not connect + response (5.6 s): \(elapsed)")
    }

    @Test("nothing listening is a connection failure")
    func refused() throws {
        let port = try Receiver.freePort()
        let results = try run(try CurlMulti(), [HTTPRequest(url: "http://127.0.0.1:\(port)/x", allowPrivateNetworks: true)])
        #expect { try results[0]?.get() } throws: { ($0 as? HTTPError)?.code == .connectionFailed }
    }

    @Test("a 10 MB response is capped at 64 KiB and the request still succeeds")
    func capped() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let results = try run(try CurlMulti(), [local(receiver, "/big/10000000/x", method: "GET")])
        let response = try #require(try results[0]?.get())
        #expect(response.status == 200)
        #expect(response.body.count == 65_536)
        #expect(response.bodyTruncated)
    }

    @Test("the address guard refuses loopback (also by name), allows it when asked, and honours allow-lists")
    func addressGuard() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let multi = try CurlMulti()
        var blocked = local(receiver, "/ok/x")
        blocked.allowPrivateNetworks = false
        var byName = HTTPRequest(url: "http://localhost:\(receiver.port)/ok/x")
        byName.allowPrivateNetworks = false
        var allowListed = local(receiver, "/ok/listed")
        allowListed.allowedNetworks = [try #require(IPNetwork("127.0.0.0/8"))]
        var notListed = local(receiver, "/ok/x")
        notListed.allowedNetworks = [try #require(IPNetwork("203.0.113.0/24"))]
        let results = try run(multi, [blocked, byName, allowListed, notListed, local(receiver, "/ok/allowed")])
        #expect { try results[0]?.get() } throws: { ($0 as? HTTPError)?.code == .blockedAddress }
        #expect { try results[1]?.get() } throws: { ($0 as? HTTPError)?.code == .blockedAddress }
        #expect(try results[2]?.get().status == 200)
        #expect { try results[3]?.get() } throws: { ($0 as? HTTPError)?.code == .blockedAddress }
        #expect(try results[4]?.get().status == 200)
        #expect(try receiver.requests().map(\.path).sorted() == ["/ok/allowed", "/ok/listed"])
    }

    @Test("a webhook's allow-list only narrows the guard: 0.0.0.0/0 does not open loopback")
    func allowListCannotWiden() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        var everything = local(receiver, "/ok/everything")
        everything.allowPrivateNetworks = false
        everything.allowedNetworks = [try #require(IPNetwork("0.0.0.0/0")), try #require(IPNetwork("::/0"))]
        let results = try run(try CurlMulti(), [everything])
        #expect { try results[0]?.get() } throws: { ($0 as? HTTPError)?.code == .blockedAddress }
        #expect(try receiver.requests().isEmpty)
    }

    @Test("a kept-alive connection opened under a looser policy is not reused by a request the guard refuses")
    func reuseRechecksTheGuard() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let multi = try CurlMulti()
        let first = try run(multi, [local(receiver, "/ok/allowed")])   // opens and keeps a connection to 127.0.0.1
        #expect(try first[0]?.get().status == 200)
        var strict = local(receiver, "/ok/strict")
        strict.allowPrivateNetworks = false
        let second = try run(multi, [strict])
        #expect { try second[0]?.get() } throws: { ($0 as? HTTPError)?.code == .blockedAddress }
        #expect(try receiver.requests().map(\.path) == ["/ok/allowed"])
    }

    @Test("CR, LF and NUL in a header or URL are refused before anything is sent (no request smuggling)")
    func headerInjectionRefused() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let multi = try CurlMulti()
        let smuggle = "1\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x"
        var bad = [local(receiver, "/ok/a"), local(receiver, "/ok/b"), local(receiver, "/ok/c"), local(receiver, "/ok/d")]
        bad[0].headers.append(HTTPHeader("X-Evil", smuggle))
        bad[1].headers.append(HTTPHeader("X-Evil\r\nX-Other", "v"))
        bad[2].headers.append(HTTPHeader("X-Nul", "a\u{0}b"))
        bad[3].url += "\r\nX: y"
        for request in bad {
            #expect { try multi.add(request, id: 1) } throws: { ($0 as? HTTPError)?.code == .invalidRequest }
        }
        #expect(multi.inFlight == 0)
        #expect(try receiver.requests().isEmpty)
    }

    @Test("bad URLs and schemes are refused at once")
    func invalid() throws {
        let multi = try CurlMulti()
        #expect { try multi.add(HTTPRequest(url: "ftp://example.com/x"), id: 1) } throws: { ($0 as? HTTPError)?.code == .invalidRequest }
        #expect { try multi.add(HTTPRequest(url: "http://example.com/", method: "TRACE"), id: 2) } throws: { ($0 as? HTTPError)?.code == .invalidRequest }
        #expect(multi.inFlight == 0)
    }

    @Test("extra descriptors are watched, and wakeup interrupts a long wait")
    func descriptorsAndWakeup() throws {
        let multi = try CurlMulti()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        _ = write(fds[1], "x", 1)
        let ready = multi.perform(timeout: .seconds(5), extraDescriptors: [fds[0]])
        #expect(ready.readableDescriptors == [fds[0]])
        let wake = multi.waker
        let waker = Thread { Thread.sleep(forTimeInterval: 0.2); wake.wake() }
        let start = ContinuousClock.now
        waker.start()
        _ = multi.perform(timeout: .seconds(10))
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("IP networks parse and match, including IPv4-mapped IPv6")
    func networks() throws {
        let ten = try #require(IPNetwork("10.0.0.0/8"))
        #expect(ten.contains([10, 1, 2, 3]))
        #expect(!ten.contains([11, 0, 0, 1]))
        #expect(ten.contains([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 9, 9, 9]))
        #expect(IPNetwork("::1")?.contains([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) == true)
        #expect(IPNetwork("fe80::/10")?.contains([0xfe, 0x81] + [UInt8](repeating: 0, count: 14)) == true)
        #expect(!IPNetwork.isPublic([127, 0, 0, 1]))
        #expect(!IPNetwork.isPublic([169, 254, 169, 254]))
        #expect(!IPNetwork.isPublic([100, 64, 0, 1]))
        #expect(IPNetwork.isPublic([93, 184, 216, 34]))
        for bad in ["10.0.0.0/33", "1.2.3", "::1::2", "abc", "300.1.1.1"] { #expect(IPNetwork(bad) == nil, "\(bad)") }
    }
}
