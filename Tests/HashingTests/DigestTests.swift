import Hashing
import Testing

@Suite struct DigestTests {
    @Test func sha256OfEmptyInputMatchesTheKnownValue() {
        #expect(Digest.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func sha256StreamedInPiecesEqualsOneShot() {
        let data = Array("The quick brown fox jumps over the lazy dog".utf8)
        var hasher = SHA256Hasher()
        hasher.update(data[0..<10])
        hasher.update(data[10...])
        #expect(Hex.encode(hasher.finalize()) == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
        #expect(Digest.sha256Hex(data) == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
    }

    @Test func hmacMatchesRFC4231TestCase2() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), message: "what do ya want for nothing?")
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hexRoundTripsAndRejectsBadInput() {
        #expect(Hex.decode("00ff10AB") == [0, 255, 16, 171])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.encode([0, 255, 16, 171]) == "00ff10ab")
    }
}
