import HeraldCrypto
import Testing

@Suite("Crypto")
struct CryptoTests {
    func hex(_ s: String) -> [UInt8] { Hex.decode(s) ?? [] }

    @Test("RFC 4231 HMAC-SHA256 test cases 1, 2, 3 and 6")
    func rfc4231() throws {
        #expect(Hex.encode(try HMAC.sha256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Hex.encode(try HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Hex.encode(try HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 20), message: [UInt8](repeating: 0xdd, count: 50)))
                == "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")
        #expect(Hex.encode(try HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131),
                                       message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("the Standard Webhooks test vector")
    func standardWebhooks() throws {
        let key = try #require(Base64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signed = Array("msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}".utf8)
        #expect(Base64.encode(try HMAC.sha256(key: key, message: signed)) == "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        let parts = [Array("msg_p5jXN8AQM9LWM0D4loKWxJek".utf8), Array(".1614265330.".utf8), Array("{\"test\": 2432232314}".utf8)]
        #expect(try HMAC.sha256(key: key, parts: parts) == HMAC.sha256(key: key, message: signed))
    }

    @Test("SHA-256, base64 and hex")
    func encodings() {
        #expect(Hex.encode(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        for bad in ["Zm9", "Zm9v!mFy", "Z===", "=Zm8", "Zm=8"] { #expect(Base64.decode(bad) == nil, "\(bad)") }
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(constantTimeEquals([1, 2], [1, 2]))
        #expect(!constantTimeEquals([1, 2], [1, 3]))
        #expect(!constantTimeEquals([1], [1, 2]))
    }

    @Test("SecretBox seals and opens; tampering and a wrong key are refused")
    func secretBox() throws {
        let box = try SecretBox(key: try SecureRandom.bytes(32))
        let secret = Array("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".utf8)
        let sealed = try box.seal(secret)
        #expect(sealed.count == secret.count + 29)
        #expect(try box.open(sealed) == secret)
        #expect(try box.seal(secret) != sealed, "a fresh nonce each time")
        var tampered = sealed
        tampered[20] ^= 1
        #expect { try box.open(tampered) } throws: { ($0 as? CryptoError)?.code == .openFailed }
        let other = try SecretBox(key: try SecureRandom.bytes(32))
        #expect { try other.open(sealed) } throws: { ($0 as? CryptoError)?.code == .openFailed }
        #expect { try SecretBox(key: [1, 2, 3]) } throws: { ($0 as? CryptoError)?.code == .invalidKey }
        #expect(try box.open(try box.seal([])) == [])
    }

    @Test("random bytes differ and have the asked length")
    func random() throws {
        let a = try SecureRandom.bytes(32)
        let b = try SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != b)
        #expect(try SecureRandom.bytes(0).isEmpty)
    }
}
