internal import COpenSSL

public enum SecureRandom {
    /// Cryptographically secure random bytes from OpenSSL's DRBG.
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        guard count >= 0 else { throw CryptoError(code: .invalidInput, message: "cannot make \(count) random bytes") }
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard ok == 1 else { throw CryptoError(code: .randomFailed, message: "RAND_bytes failed: \(OpenSSLErrors.drain())") }
        return out
    }
}

/// A cryptographic operation that failed, with OpenSSL's own words where it has some.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable { case randomFailed, invalidKey, sealFailed, openFailed, invalidInput, macFailed }
    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

enum OpenSSLErrors {
    static func drain() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no OpenSSL error reported" : messages.joined(separator: "; ")
    }
}
