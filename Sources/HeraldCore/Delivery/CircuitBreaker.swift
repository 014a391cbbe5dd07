/// When an endpoint is failing, stop sending to it for a while: a handful of requests a minute,
/// not hundreds. One circuit per endpoint (the URL without its query), shared by every worker (the state
/// lives in PostgreSQL; this is the pure state machine every worker applies).
///
/// closed → open: within `window`, at least `minRequests` answered and a `failureRatio` of them
/// failed (transport failures, 5xx, 429). open → half-open: after the cool-down, one worker gets
/// the single probe. half-open → closed on the probe's success (cool-down reset); → open on its
/// failure, the cool-down doubled (at most `maxCooldown`). Deliveries waiting for a circuit spend
/// no attempt.
public struct CircuitPolicy: Sendable, Equatable {
    public var windowSeconds: Int
    public var minRequests: Int
    public var failureRatio: Double
    public var cooldownSeconds: Int
    public var maxCooldownSeconds: Int

    public init(windowSeconds: Int = 30, minRequests: Int = 20, failureRatio: Double = 0.5,
                cooldownSeconds: Int = 5, maxCooldownSeconds: Int = 30) {
        self.windowSeconds = windowSeconds
        self.minRequests = minRequests
        self.failureRatio = failureRatio
        self.cooldownSeconds = cooldownSeconds
        self.maxCooldownSeconds = maxCooldownSeconds
    }
}

public struct CircuitState: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable { case closed, open, halfOpen = "half_open" }

    public var phase: Phase = .closed
    /// Unix ms: the counting window's start, and (open) when the probe may go.
    public var windowStart: Int64 = 0
    public var requests = 0
    public var failures = 0
    public var openUntil: Int64 = 0
    public var cooldownSeconds = 0

    public init() {}

    public init(phase: Phase, windowStart: Int64, requests: Int, failures: Int, openUntil: Int64, cooldownSeconds: Int) {
        self.phase = phase
        self.windowStart = windowStart
        self.requests = requests
        self.failures = failures
        self.openUntil = openUntil
        self.cooldownSeconds = cooldownSeconds
    }

    /// Answers observed by one worker since its last report. Returns true when this report opened
    /// the circuit (the reporting worker tells the owner, once).
    @discardableResult
    public mutating func record(successes: Int, failures newFailures: Int, now: Int64, policy: CircuitPolicy) -> Bool {
        switch phase {
        case .halfOpen:
            if newFailures > 0 {
                open(now: now, cooldown: min(max(cooldownSeconds, policy.cooldownSeconds) * 2, policy.maxCooldownSeconds))
                return true
            }
            if successes > 0 { close(now: now) }
            return false
        case .open:
            return false   // answers to requests sent before it opened: nothing to decide
        case .closed:
            if now - windowStart > Int64(policy.windowSeconds) * 1000 {
                windowStart = now
                requests = 0
                failures = 0
            }
            requests += successes + newFailures
            failures += newFailures
            guard requests >= policy.minRequests, Double(failures) >= policy.failureRatio * Double(requests) else { return false }
            open(now: now, cooldown: policy.cooldownSeconds)
            return true
        }
    }

    /// Whether a delivery may go now.
    public enum Admission: Sendable, Equatable {
        case send
        /// The cool-down is over: one worker may send one probe (claim it first).
        case probe
        /// Wait until then (Unix ms).
        case wait(untilMilliseconds: Int64)
    }

    public func admission(now: Int64) -> Admission {
        switch phase {
        case .closed: .send
        case .open: now >= openUntil ? .probe : .wait(untilMilliseconds: openUntil)
        // While the probe is out, look again every two seconds (its answer closes or reopens the
        // circuit); a probe that never reported expires at `openUntil`.
        case .halfOpen: now >= openUntil ? .probe : .wait(untilMilliseconds: min(openUntil, now + 2000))
        }
    }

    /// The probe is taken: others wait while it is out (at most `probeSeconds`).
    public mutating func startProbe(now: Int64, probeSeconds: Int) {
        phase = .halfOpen
        openUntil = now + Int64(probeSeconds) * 1000
    }

    private mutating func open(now: Int64, cooldown: Int) {
        phase = .open
        cooldownSeconds = cooldown
        openUntil = now + Int64(cooldown) * 1000
        windowStart = now
        requests = 0
        failures = 0
    }

    private mutating func close(now: Int64) {
        phase = .closed
        cooldownSeconds = 0
        openUntil = 0
        windowStart = now
        requests = 0
        failures = 0
    }
}

extension Webhook {
    /// The endpoint a circuit is kept for: the URL without its query (scheme, host, port, path).
    /// Per URL, not per host: many tenants share a host (a chat service, an integration platform),
    /// and one broken URL there must not stop the others.
    public var endpointKey: String {
        guard let start = Webhook.authorityStart(url) else { return url }
        let rest = url[start...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let path = rest.dropFirst(authority.count).prefix { $0 != "?" && $0 != "#" }
        let hostPort = (authority.split(separator: "@").last.map(String.init) ?? "").lowercased()
        let scheme = url[..<start].lowercased()
        let hasPort = hostPort.hasSuffix("]") ? false : hostPort.contains(":")
        return scheme + hostPort + (hasPort ? "" : (scheme.hasPrefix("https") ? ":443" : ":80")) + (path.isEmpty ? "/" : path)
    }
}
