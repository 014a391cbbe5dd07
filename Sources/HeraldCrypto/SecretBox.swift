internal import COpenSSL

/// AES-256-GCM for secrets at rest. Sealed form: version byte (1) + 12-byte random nonce +
/// ciphertext + 16-byte tag. Opening fails on any change to the sealed bytes or a wrong key.
public struct SecretBox: Sendable {
    private let key: [UInt8]
    static let version: UInt8 = 1

    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count == 32 else {
            throw CryptoError(code: .invalidKey, message: "the master key must be 32 bytes, got \(key.count)")
        }
        self.key = key
    }

    public func seal(_ plaintext: [UInt8]) throws(CryptoError) -> [UInt8] {
        let nonce = try SecureRandom.bytes(12)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError(code: .sealFailed, message: "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: 16)
        var length: Int32 = 0
        var total: Int32 = 0
        let ok: Bool = key.withUnsafeBufferPointer { k in
            nonce.withUnsafeBufferPointer { n in
                guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, k.baseAddress, n.baseAddress) == 1 else { return false }
                let updated = plaintext.withUnsafeBufferPointer { p in
                    out.withUnsafeMutableBufferPointer { o in EVP_EncryptUpdate(ctx, o.baseAddress, &length, p.baseAddress, Int32(p.count)) }
                }
                guard updated == 1 else { return false }
                total = length
                let finished = out.withUnsafeMutableBufferPointer { o in EVP_EncryptFinal_ex(ctx, o.baseAddress! + Int(total), &length) }
                guard finished == 1 else { return false }
                total += length
                return tag.withUnsafeMutableBufferPointer { t in EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, t.baseAddress) } == 1
            }
        }
        guard ok else { throw CryptoError(code: .sealFailed, message: "AES-256-GCM seal failed: \(OpenSSLErrors.drain())") }
        return [SecretBox.version] + nonce + out.prefix(Int(total)) + tag
    }

    public func open(_ sealed: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard sealed.count >= 1 + 12 + 16, sealed[0] == SecretBox.version else {
            throw CryptoError(code: .openFailed, message: "not a sealed secret (too short or unknown version)")
        }
        let nonce = Array(sealed[1..<13])
        let ciphertext = Array(sealed[13..<(sealed.count - 16)])
        var tag = Array(sealed[(sealed.count - 16)...])
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError(code: .openFailed, message: "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var length: Int32 = 0
        var total: Int32 = 0
        let ok: Bool = key.withUnsafeBufferPointer { k in
            nonce.withUnsafeBufferPointer { n in
                guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, k.baseAddress, n.baseAddress) == 1 else { return false }
                let updated = ciphertext.withUnsafeBufferPointer { c in
                    out.withUnsafeMutableBufferPointer { o in EVP_DecryptUpdate(ctx, o.baseAddress, &length, c.baseAddress, Int32(c.count)) }
                }
                guard updated == 1 else { return false }
                total = length
                guard tag.withUnsafeMutableBufferPointer({ t in EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, t.baseAddress) }) == 1 else { return false }
                let finished = out.withUnsafeMutableBufferPointer { o in EVP_DecryptFinal_ex(ctx, o.baseAddress! + Int(total), &length) }
                guard finished == 1 else { return false }
                total += length
                return true
            }
        }
        _ = OpenSSLErrors.drain()
        guard ok else { throw CryptoError(code: .openFailed, message: "the sealed secret was changed or the key is wrong") }
        return Array(out.prefix(Int(total)))
    }
}
