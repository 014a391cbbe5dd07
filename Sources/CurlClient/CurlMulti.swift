internal import CCurl
internal import CHeraldCurlShims
import Foundation

let curlGlobalInit: Bool = { curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK }()

/// Many concurrent HTTP requests on one libcurl multi handle, driven from one thread. Connections
/// are kept alive and reused, easy handles are pooled, redirects are never followed, responses are
/// capped, and every destination address passes the SSRF guard when the socket is opened (after
/// DNS, so a name resolving to 127.0.0.1 is caught too).
public final class CurlMulti {
    private let multi: UnsafeMutableRawPointer
    private var transfers: [UnsafeMutableRawPointer: Transfer] = [:]
    private var pool: [UnsafeMutableRawPointer] = []

    public init(maxTotalConnections: Int = 2048, maxConnectionsPerHost: Int = 0) throws(HTTPError) {
        guard curlGlobalInit, let multi = curl_multi_init() else {
            throw HTTPError(code: .other, message: "libcurl could not be initialised")
        }
        self.multi = multi
        _ = herald_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxTotalConnections)
        _ = herald_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
    }

    deinit {
        _ = cancelAll()
        for easy in pool { curl_easy_cleanup(easy) }
        curl_multi_cleanup(multi)
    }

    public var inFlight: Int { transfers.count }

    /// Starts a request. A URL or method that cannot be sent fails here, at once.
    public func add(_ request: HTTPRequest, id: UInt64) throws(HTTPError) {
        let lower = request.url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw HTTPError(code: .invalidRequest, message: "\(CurlMulti.redact(request.url)): only http and https URLs are allowed")
        }
        guard ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(request.method) else {
            throw HTTPError(code: .invalidRequest, message: "method \(request.method) is not supported")
        }
        // Checked as bytes: "\r\n" is one Swift Character, and curl would send what it is given.
        guard !request.url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw HTTPError(code: .invalidRequest, message: "the URL contains spaces or control characters")
        }
        for header in request.headers {
            guard HTTPHeader.isValidName(header.name) else {
                throw HTTPError(code: .invalidRequest, message: "header name \"\(header.name.prefix(64))\" is not a valid HTTP token")
            }
            guard HTTPHeader.isValidValue(header.value) else {
                throw HTTPError(code: .invalidRequest, message: "header \(header.name): the value contains CR, LF, NUL or another control character")
            }
        }
        guard let easy = pool.popLast() ?? curl_easy_init() else {
            throw HTTPError(code: .other, message: "libcurl could not create a request handle")
        }
        let transfer = Transfer(id: id, request: request)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        curl_easy_reset(easy)
        _ = herald_curl_easy_setopt_string(easy, CURLOPT_URL, request.url)
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        _ = herald_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, request.verifyTLS ? 1 : 0)
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, request.verifyTLS ? 2 : 0)
        CurlMulti.setTLSMaterial(easy, request)
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, CurlMulti.milliseconds(request.connectTimeout))
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, CurlMulti.milliseconds(request.timeout))
        _ = herald_curl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = herald_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, transfer.errorBuffer)
        _ = herald_curl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context)
        _ = herald_curl_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteBody)
        _ = herald_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        _ = herald_curl_easy_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION, curlWriteHeader)
        _ = herald_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        _ = herald_curl_easy_setopt_opensocket_callback(easy, curlOpenSocket)
        _ = herald_curl_easy_setopt_pointer(easy, CURLOPT_OPENSOCKETDATA, context)
        _ = herald_curl_easy_setopt_prereq_callback(easy, curlPrerequest)
        _ = herald_curl_easy_setopt_pointer(easy, CURLOPT_PREREQDATA, context)
        switch request.method {
        case "GET": _ = herald_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = herald_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        default:
            _ = herald_curl_easy_setopt_long(easy, CURLOPT_POST, 1)
            _ = herald_curl_easy_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(transfer.bodyCount))
            _ = herald_curl_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, transfer.body)
            if request.method != "POST" { _ = herald_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method) }
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for header in request.headers {
            // "Name:" with an empty value removes a header curl would add (Expect:, Accept:).
            list = curl_slist_append(list, header.value.isEmpty ? "\(header.name):" : "\(header.name): \(header.value)")
        }
        transfer.headerList = list
        _ = herald_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
        let added = curl_multi_add_handle(multi, easy)
        guard added == CURLM_OK else {
            pool.append(easy)
            throw HTTPError(code: .other, message: "curl_multi_add_handle: \(String(cString: curl_multi_strerror(added)))")
        }
        transfers[easy] = transfer
    }

    /// Waits up to `timeout` for network activity (also on `extraDescriptors`), runs transfers,
    /// returns the finished ones and which extra descriptors are readable.
    public func perform(timeout: Duration, extraDescriptors: [Int32] = []) -> (completions: [HTTPCompletion], readableDescriptors: [Int32]) {
        var running: Int32 = 0
        _ = curl_multi_perform(multi, &running)
        var completions = collect() + expireResponseTimeouts()
        var waits = extraDescriptors.map { curl_waitfd(fd: $0, events: Int16(CURL_WAIT_POLLIN), revents: 0) }
        var readable: [Int32] = []
        if completions.isEmpty {
            var numfds: Int32 = 0
            let ms = Int32(CurlMulti.milliseconds(timeout))
            _ = waits.withUnsafeMutableBufferPointer { buffer in
                curl_multi_poll(multi, buffer.baseAddress, UInt32(buffer.count), ms, &numfds)
            }
            readable = waits.filter { $0.revents & Int16(CURL_WAIT_POLLIN) != 0 }.map(\.fd)
            _ = curl_multi_perform(multi, &running)
            completions = collect()
        }
        return (completions, readable)
    }

    private var lastTimeoutSweep = ContinuousClock.now

    /// Requests past their response timeout (counted from when they were sent) end as timeouts.
    private func expireResponseTimeouts() -> [HTTPCompletion] {
        let now = ContinuousClock.now
        guard now - lastTimeoutSweep >= .milliseconds(50) else { return [] }
        lastTimeoutSweep = now
        var expired: [HTTPCompletion] = []
        for (easy, transfer) in transfers {
            guard let limit = transfer.request.responseTimeout, let sent = transfer.sentAt, now - sent > limit else { continue }
            transfers.removeValue(forKey: easy)
            curl_multi_remove_handle(multi, easy)
            pool.append(easy)
            let ms = CurlMulti.milliseconds(limit)
            expired.append(HTTPCompletion(id: transfer.id, result: .failure(HTTPError(
                code: .timeout, message: "\(CurlMulti.redact(transfer.request.url)): no complete response within \(ms) ms of sending the request"))))
        }
        return expired
    }

    /// Interrupts a `perform` waiting on another thread.
    public func wakeup() { _ = curl_multi_wakeup(multi) }

    /// A handle other threads may use to interrupt `perform`; valid while this CurlMulti lives.
    public var waker: CurlWaker { CurlWaker(multi: multi) }

    /// Abandons every request in flight; returns their ids.
    public func cancelAll() -> [UInt64] {
        let ids = transfers.values.map(\.id)
        for (easy, _) in transfers {
            curl_multi_remove_handle(multi, easy)
            pool.append(easy)
        }
        transfers.removeAll()
        return ids
    }

    private func collect() -> [HTTPCompletion] {
        var completions: [HTTPCompletion] = []
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            if let transfer = transfers.removeValue(forKey: easy) {
                completions.append(HTTPCompletion(id: transfer.id, result: finish(easy, transfer, code)))
            }
            curl_multi_remove_handle(multi, easy)
            if pool.count < 4096 { pool.append(easy) } else { curl_easy_cleanup(easy) }
        }
        return completions
    }

    private func finish(_ easy: UnsafeMutableRawPointer, _ transfer: Transfer, _ code: CURLcode) -> Result<HTTPResponse, HTTPError> {
        func micros(_ info: CURLINFO) -> Duration {
            var v: curl_off_t = 0
            _ = herald_curl_easy_getinfo_offset(easy, info, &v)
            return .microseconds(Int64(v))
        }
        var timing = HTTPTiming()
        timing.nameLookup = micros(CURLINFO_NAMELOOKUP_TIME_T)
        timing.connect = micros(CURLINFO_CONNECT_TIME_T)
        timing.tlsHandshake = micros(CURLINFO_APPCONNECT_TIME_T)
        timing.firstByte = micros(CURLINFO_STARTTRANSFER_TIME_T)
        timing.total = micros(CURLINFO_TOTAL_TIME_T)
        let url = CurlMulti.redact(transfer.request.url)
        guard code == CURLE_OK else {
            if transfer.blocked {
                return .failure(HTTPError(code: .blockedAddress, curlCode: Int(code.rawValue),
                                          message: "\(url): \(transfer.blockedReason ?? "destination refused by the address guard")", timing: timing))
            }
            var detail = transfer.errorText.isEmpty ? String(cString: curl_easy_strerror(code)) : transfer.errorText
            // A TLS 1.3 server that wants a client certificate may just close the connection after
            // the handshake: say so, the plain "empty reply" would send people looking elsewhere.
            if code == CURLE_GOT_NOTHING, transfer.request.url.lowercased().hasPrefix("https://"), transfer.responseHeaders.isEmpty {
                detail += transfer.request.clientCertificatePEM == nil
                    ? " (the server closed the TLS connection without answering: does it require a client certificate?)"
                    : " (the server closed the TLS connection without answering: was the client certificate refused?)"
            }
            let kind: HTTPError.Code
            switch code {
            case CURLE_OPERATION_TIMEDOUT: kind = .timeout
            case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .dnsFailed
            case CURLE_COULDNT_CONNECT: kind = .connectionFailed
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE:
                kind = .tlsFailed
            // TLS 1.3: a server that wants a client certificate says so after the handshake, as an
            // alert on the first read or write; curl reports it as a send or receive error.
            case CURLE_SEND_ERROR where detail.contains("SSL routines"), CURLE_RECV_ERROR where detail.contains("SSL routines"):
                kind = .tlsFailed
            case CURLE_SEND_ERROR: kind = .sendFailed
            case CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE: kind = .receiveFailed
            case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: kind = .invalidRequest
            default: kind = .other
            }
            return .failure(HTTPError(code: kind, curlCode: Int(code.rawValue), message: "\(url): \(detail)", timing: timing))
        }
        var status = 0
        _ = herald_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: transfer.responseHeaders, body: transfer.responseBody,
                                     bodyTruncated: transfer.truncated, timing: timing))
    }

    /// Client certificate, key and CA bundle from memory (libcurl copies the blobs). libcurl keeps
    /// connections with different client certificates apart, so a kept-alive connection never
    /// carries another webhook's identity.
    private static func setTLSMaterial(_ easy: UnsafeMutableRawPointer, _ request: HTTPRequest) {
        func blob(_ option: CURLoption, _ pem: String) {
            var bytes = Array(pem.utf8)
            _ = bytes.withUnsafeMutableBytes { herald_curl_easy_setopt_blob(easy, option, $0.baseAddress, $0.count) }
        }
        if let certificate = request.clientCertificatePEM {
            blob(CURLOPT_SSLCERT_BLOB, certificate)
            _ = herald_curl_easy_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM")
        }
        if let key = request.clientKeyPEM {
            blob(CURLOPT_SSLKEY_BLOB, key)
            _ = herald_curl_easy_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM")
        }
        if let ca = request.caBundlePEM { blob(CURLOPT_CAINFO_BLOB, ca) }
    }

    static func milliseconds(_ d: Duration) -> Int {
        let (s, a) = d.components
        return max(0, Int(s) * 1000 + Int(a / 1_000_000_000_000_000))
    }

    static func redact(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
              !url[scheme.upperBound..<at].contains("/") else { return url }
        return String(url[..<scheme.upperBound]) + "***" + String(url[at...])
    }
}

/// One request's state, reachable from libcurl's callbacks.
final class Transfer {
    let id: UInt64
    let request: HTTPRequest
    let body: UnsafeMutableRawPointer?
    let bodyCount: Int
    let errorBuffer: UnsafeMutablePointer<CChar>
    var headerList: UnsafeMutablePointer<curl_slist>?
    var responseBody: [UInt8] = []
    var responseHeaders: [HTTPHeader] = []
    var truncated = false
    var blocked = false
    var blockedReason: String?
    /// When the request was handed to its connection (the response timeout runs from here).
    var sentAt: ContinuousClock.Instant?

    init(id: UInt64, request: HTTPRequest) {
        self.id = id
        self.request = request
        bodyCount = request.body.count
        if request.body.isEmpty {
            body = nil
        } else {
            let p = UnsafeMutableRawPointer.allocate(byteCount: request.body.count, alignment: 1)
            request.body.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            body = p
        }
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        body?.deallocate()
        errorBuffer.deallocate()
        if let headerList { curl_slist_free_all(headerList) }
    }

    var errorText: String { String(cString: errorBuffer) }
}

private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let total = size * count
    guard let data, let context else { return total }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let room = transfer.request.maxResponseBodyBytes - transfer.responseBody.count
    if room > 0 {
        let n = min(room, total)
        data.withMemoryRebound(to: UInt8.self, capacity: n) { transfer.responseBody.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
        if n < total { transfer.truncated = true }
    } else if total > 0 {
        transfer.truncated = true
    }
    return total   // keep reading (and discarding) so the status and connection stay good
}

private func curlWriteHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let total = size * count
    guard let data, let context else { return total }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let line = data.withMemoryRebound(to: UInt8.self, capacity: total) { String(decoding: UnsafeBufferPointer(start: $0, count: total), as: UTF8.self) }
    if line.hasPrefix("HTTP/") {
        transfer.responseHeaders.removeAll()   // a new response (after 100 Continue)
    } else if let colon = line.firstIndex(of: ":"), transfer.responseHeaders.count < 200 {
        let name = String(line[..<colon])
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        transfer.responseHeaders.append(HTTPHeader(name, value))
    }
    return total
}

private func curlOpenSocket(_ context: UnsafeMutableRawPointer?, _ purpose: curlsocktype, _ address: UnsafeMutablePointer<curl_sockaddr>?) -> curl_socket_t {
    guard let address else { return CURL_SOCKET_BAD }
    if let context {
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        var bytes: [UInt8] = []
        let family = address.pointee.family
        // `addr` is declared as a struct sockaddr but holds the whole address (sockaddr_in6 is larger).
        let raw = UnsafeRawPointer(address) + (MemoryLayout<curl_sockaddr>.offset(of: \curl_sockaddr.addr) ?? 0)
        if family == AF_INET, address.pointee.addrlen >= UInt32(MemoryLayout<sockaddr_in>.size) {
            let sin = raw.loadUnaligned(as: sockaddr_in.self)
            bytes = withUnsafeBytes(of: sin.sin_addr) { Array($0) }
        } else if family == AF_INET6, address.pointee.addrlen >= UInt32(MemoryLayout<sockaddr_in6>.size) {
            let sin6 = raw.loadUnaligned(as: sockaddr_in6.self)
            bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
        }
        if let reason = AddressGuard.refusal(bytes, for: transfer.request) {
            transfer.blocked = true
            transfer.blockedReason = reason
            return CURL_SOCKET_BAD
        }
    }
    return socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
}

/// The connection a request is about to use — new or reused from the cache — must satisfy this
/// request's own policy: a connection opened under a looser one (an allow-listed private address)
/// is never lent to a request that may not go there.
private func curlPrerequest(_ context: UnsafeMutableRawPointer?, _ primaryIP: UnsafeMutablePointer<CChar>?,
                            _ localIP: UnsafeMutablePointer<CChar>?, _ primaryPort: Int32, _ localPort: Int32) -> Int32 {
    guard let context else { return Int32(CURL_PREREQFUNC_ABORT) }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    guard let primaryIP, let bytes = IPNetwork.parseAddress(String(cString: primaryIP)) else {
        transfer.blocked = true
        transfer.blockedReason = "the connected address cannot be checked"
        return Int32(CURL_PREREQFUNC_ABORT)
    }
    if let reason = AddressGuard.refusal(bytes, for: transfer.request) {
        transfer.blocked = true
        transfer.blockedReason = reason
        return Int32(CURL_PREREQFUNC_ABORT)
    }
    transfer.sentAt = .now
    return Int32(CURL_PREREQFUNC_OK)
}

/// The SSRF guard's one rule: private, loopback and reserved addresses need the operator's global
/// switch; a webhook's allow-list can only narrow what that permits, never widen it.
enum AddressGuard {
    static func refusal(_ bytes: [UInt8], for request: HTTPRequest) -> String? {
        let text = IPNetwork.format(bytes)
        if !request.allowPrivateNetworks && !IPNetwork.isPublic(bytes) {
            return "destination \(text) is a private, loopback or reserved address (SSRF guard; set HERALD_ALLOW_PRIVATE_NETWORKS=true to allow)"
        }
        if !request.allowedNetworks.isEmpty, !request.allowedNetworks.contains(where: { $0.contains(bytes) }) {
            return "destination \(text) is not in the webhook's allowed networks"
        }
        return nil
    }
}

extension IPNetwork {
    static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: bytes.count, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }
}

/// Wakes a CurlMulti from another thread (curl_multi_wakeup is thread-safe).
public struct CurlWaker: @unchecked Sendable {
    let multi: UnsafeMutableRawPointer
    public func wake() { _ = curl_multi_wakeup(multi) }
}
