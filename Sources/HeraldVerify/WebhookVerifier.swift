#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HeraldCore
import HeraldCrypto

/// Verifies a request Herald signed, for a receiver written in Swift:
///
/// ```swift
/// import HeraldVerify
/// let verifier = try WebhookVerifier(preset: .github, secrets: ["the secret you entered"])
/// try verifier.verify(body: bodyBytes, headers: requestHeaders)   // throws WebhookVerifier.Failure
/// ```
///
/// Header names are matched without regard to case. Several secrets may be given (during a
/// rotation); any one matching is enough. For schemes that sign the timestamp, a request older or
/// newer than `tolerance` seconds is refused (replays).
public struct WebhookVerifier: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible, Equatable {
        public enum Code: Sendable, Equatable { case invalidSecret, missingHeader, invalidTimestamp, timestampOutOfTolerance, noMatchingSignature }
        public var code: Code
        public var message: String
        public var description: String { message }
    }

    public let scheme: SignatureScheme
    private let keys: [[UInt8]]
    public let toleranceSeconds: Int64

    public init(scheme: SignatureScheme = .standardWebhooks, secrets: [String], toleranceSeconds: Int64 = 300) throws(Failure) {
        var keys: [[UInt8]] = []
        for secret in secrets {
            guard let key = SigningKey.key(of: secret, scheme.key) else {
                throw Failure(code: .invalidSecret, message: "\(scheme.header) is keyed with a whsec_ secret (whsec_ + base64 of 24–64 bytes)")
            }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw Failure(code: .invalidSecret, message: "give at least one secret") }
        self.scheme = scheme
        self.keys = keys
        self.toleranceSeconds = toleranceSeconds
    }

    public init(preset: SignaturePreset, secrets: [String], toleranceSeconds: Int64 = 300) throws(Failure) {
        try self.init(scheme: preset.scheme, secrets: secrets, toleranceSeconds: toleranceSeconds)
    }

    /// Throws unless one signature in the request matches one of the secrets.
    public func verify(body: [UInt8], headers: [String: String], now: Int64 = WebhookVerifier.nowUnixSeconds()) throws(Failure) {
        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
        guard let value = header(scheme.header) else {
            throw Failure(code: .missingHeader, message: "the request has no \(scheme.header) header")
        }
        let parsed = scheme.parseHeaderValue(value)
        var messageID = ""
        if scheme.signed.includesID {
            guard let idHeader = scheme.idHeader, let id = header(idHeader) else {
                throw Failure(code: .missingHeader, message: "the request has no \(scheme.idHeader ?? "id") header")
            }
            messageID = id
        }
        var timestamp = ""
        if scheme.signed.includesTimestamp {
            let given = scheme.timestampParameter != nil ? parsed.timestamp : scheme.timestampHeader.flatMap(header)
            guard let given else {
                throw Failure(code: .missingHeader, message: "the request carries no timestamp (\(scheme.timestampHeader ?? "\(scheme.timestampParameter ?? "t")=…"))")
            }
            guard let seconds = Int64(given) else { throw Failure(code: .invalidTimestamp, message: "the timestamp \(given) is not a number of seconds") }
            guard abs(now - seconds) <= toleranceSeconds else {
                throw Failure(code: .timestampOutOfTolerance, message: "the timestamp \(given) is more than \(toleranceSeconds) s away from now (\(now))")
            }
            timestamp = given
        }
        let parts = scheme.signedParts(messageID: messageID, timestamp: timestamp, body: body)
        for key in keys {
            guard let digest = try? HMAC.sha256(key: key, parts: parts) else { continue }
            for candidate in parsed.digests {
                let given: [UInt8]?
                switch scheme.encoding {
                case .hex: given = Hex.decode(candidate)
                case .base64: given = Base64.decode(candidate)
                }
                if let given, constantTimeEquals(given, digest) { return }
            }
        }
        throw Failure(code: .noMatchingSignature, message: "no signature in \(scheme.header) matches the secret(s)")
    }

    /// The system clock in Unix seconds.
    public static func nowUnixSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }
}
