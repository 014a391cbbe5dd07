internal import COpenSSL

/// HMAC-SHA256 through OpenSSL. `parts` are fed one after the other, so `id.timestamp.body` is
/// signed without building the concatenation.
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        sha256(key: key, parts: [message])
    }

    public static func sha256(key: [UInt8], parts: [[UInt8]]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        guard let ctx = HMAC_CTX_new() else { return out }
        defer { HMAC_CTX_free(ctx) }
        key.withUnsafeBufferPointer { k in
            _ = HMAC_Init_ex(ctx, k.baseAddress, Int32(k.count), EVP_sha256(), nil)
        }
        for part in parts {
            part.withUnsafeBufferPointer { p in _ = HMAC_Update(ctx, p.baseAddress, p.count) }
        }
        var length: UInt32 = 32
        out.withUnsafeMutableBufferPointer { o in _ = HMAC_Final(ctx, o.baseAddress, &length) }
        return out
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
