public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// RFC 9110 token: visible ASCII except delimiters, checked byte by byte.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 256 && name.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
        }
    }

    /// No CR, LF, NUL or other control byte (tab is allowed): nothing can end the header early.
    public static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }
}

public struct HTTPRequest: Sendable {
    public var url: String
    public var method: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var connectTimeout: Duration
    /// The whole exchange, connection included (a hard cap).
    public var timeout: Duration
    /// From the moment the request is on its connection (new or reused) until the response is
    /// complete: a connection that took long to open does not shorten it, a fast one does not lengthen it.
    public var responseTimeout: Duration?
    public var maxResponseBodyBytes: Int
    /// Loopback and private destinations are refused unless this is true (SSRF guard).
    public var allowPrivateNetworks: Bool
    /// When not empty, only these destinations pass.
    public var allowedNetworks: [IPNetwork]
    public var verifyTLS: Bool
    /// Mutual TLS: the client certificate (PEM, may include its chain) and its private key (PEM),
    /// handed to libcurl from memory, never written to disk.
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    /// Trust only these CAs (PEM) for this request's server, instead of the system's store.
    public var caBundlePEM: String?

    public init(url: String, method: String = "POST", headers: [HTTPHeader] = [], body: [UInt8] = [],
                connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(30), responseTimeout: Duration? = nil,
                maxResponseBodyBytes: Int = 65_536,
                allowPrivateNetworks: Bool = false, allowedNetworks: [IPNetwork] = [], verifyTLS: Bool = true,
                clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil, caBundlePEM: String? = nil) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.responseTimeout = responseTimeout
        self.maxResponseBodyBytes = maxResponseBodyBytes
        self.allowPrivateNetworks = allowPrivateNetworks
        self.allowedNetworks = allowedNetworks
        self.verifyTLS = verifyTLS
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.caBundlePEM = caBundlePEM
    }
}

public struct HTTPTiming: Sendable, Equatable {
    public var nameLookup: Duration = .zero
    public var connect: Duration = .zero
    public var tlsHandshake: Duration = .zero
    public var firstByte: Duration = .zero
    public var total: Duration = .zero
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var bodyTruncated: Bool
    public var timing: HTTPTiming
}

/// Why a request got no HTTP response, in curl's own words plus the URL (without credentials).
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case invalidRequest, blockedAddress, dnsFailed, connectionFailed, timeout, tlsFailed, sendFailed, receiveFailed, other
    }

    public var code: Code
    public var curlCode: Int?
    public var message: String
    public var timing: HTTPTiming?

    public init(code: Code, curlCode: Int? = nil, message: String, timing: HTTPTiming? = nil) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
        self.timing = timing
    }

    public var description: String { message }
}

public struct HTTPCompletion: Sendable {
    public var id: UInt64
    public var result: Result<HTTPResponse, HTTPError>
}
