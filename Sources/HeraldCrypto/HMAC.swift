internal import COpenSSL

/// HMAC-SHA256 through OpenSSL 3's EVP_MAC. `parts` are fed one after the other, so
/// `id.timestamp.body` is signed without building the concatenation. Every OpenSSL call is
/// checked: a failure throws, it never yields a signature of zeros.
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) throws(CryptoError) -> [UInt8] {
        try sha256(key: key, parts: [message])
    }

    public static func sha256(key: [UInt8], parts: [[UInt8]]) throws(CryptoError) -> [UInt8] {
        guard !key.isEmpty else { throw CryptoError(code: .invalidKey, message: "an HMAC key must not be empty") }
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw failure("EVP_MAC_fetch(HMAC)") }
        defer { EVP_MAC_free(mac) }
        guard let ctx = EVP_MAC_CTX_new(mac) else { throw failure("EVP_MAC_CTX_new") }
        defer { EVP_MAC_CTX_free(ctx) }
        let initialised = "SHA256".withCString { digest in
            OSSL_MAC_PARAM_DIGEST.withCString { name in
                var params = [OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: digest), 0), OSSL_PARAM_construct_end()]
                return key.withUnsafeBufferPointer { k in EVP_MAC_init(ctx, k.baseAddress, k.count, &params) }
            }
        }
        guard initialised == 1 else { throw failure("EVP_MAC_init") }
        for part in parts where !part.isEmpty {
            let updated = part.withUnsafeBufferPointer { p in EVP_MAC_update(ctx, p.baseAddress, p.count) }
            guard updated == 1 else { throw failure("EVP_MAC_update") }
        }
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        let finished = out.withUnsafeMutableBufferPointer { o in EVP_MAC_final(ctx, o.baseAddress, &length, o.count) }
        guard finished == 1, length == 32 else { throw failure("EVP_MAC_final") }
        return out
    }

    private static func failure(_ call: String) -> CryptoError {
        let code = ERR_get_error()
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return CryptoError(code: .macFailed, message: "HMAC-SHA256 failed in \(call): \(text)")
    }
}

public enum SHA256 {
    public static func hash(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        data.withUnsafeBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in _ = EVP_Digest(d.baseAddress, d.count, o.baseAddress, &length, EVP_sha256(), nil) }
        }
        return out
    }
}

/// Compares in time that does not depend on where the inputs differ (signature checks).
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in a.indices { diff |= a[i] ^ b[i] }
    return diff == 0
}
