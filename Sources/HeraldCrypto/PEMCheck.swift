internal import COpenSSL

/// What OpenSSL makes of PEM input before it is saved: certificates that parse, a private key that
/// parses (never asking for a passphrase) and belongs to the certificate.
public enum PEMCheck {
    /// Throws unless `certificate` holds at least one X.509 certificate, `key` an unencrypted
    /// private key, and the key is the certificate's (X509_check_private_key).
    public static func checkKeyPair(certificate: String, key: String) throws(CryptoError) {
        guard let x509 = withBIO(certificate, { PEM_read_bio_X509($0, nil, nil, nil) }) else {
            throw CryptoError(code: .invalidInput, message: "tls.client_certificate: not an X.509 certificate (\(OpenSSLErrors.drain()))")
        }
        defer { X509_free(x509) }
        guard let pkey = withBIO(key, { PEM_read_bio_PrivateKey($0, nil, refusePassphrase, nil) }) else {
            throw CryptoError(code: .invalidInput, message: "tls.client_key: not a private key without passphrase (\(OpenSSLErrors.drain()))")
        }
        defer { EVP_PKEY_free(pkey) }
        guard X509_check_private_key(x509, pkey) == 1 else {
            _ = OpenSSLErrors.drain()
            throw CryptoError(code: .invalidInput, message: "tls.client_key: does not belong to tls.client_certificate")
        }
    }

    /// The number of certificates in a PEM bundle; throws if none parses.
    @discardableResult
    public static func certificateCount(_ bundle: String, field: String) throws(CryptoError) -> Int {
        let count = withBIO(bundle) { bio -> Int? in
            var n = 0
            while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
                X509_free(x509)
                n += 1
            }
            return n
        } ?? 0
        _ = OpenSSLErrors.drain()   // the end of the bundle reads as "no start line"
        guard count > 0 else { throw CryptoError(code: .invalidInput, message: "\(field): holds no X.509 certificate") }
        return count
    }

    private static func withBIO<T>(_ text: String, _ body: (OpaquePointer) -> T?) -> T? {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer -> T? in
            guard let base = buffer.baseAddress, let bio = BIO_new_mem_buf(base, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }
}

/// A passphrase callback that gives none: OpenSSL's default would read the terminal.
private func refusePassphrase(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int32, _ flag: Int32, _ context: UnsafeMutableRawPointer?) -> Int32 {
    0
}
