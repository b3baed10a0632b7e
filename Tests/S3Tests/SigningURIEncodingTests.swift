import Testing

@testable import S3

@Suite struct SigningURIEncodingTests {
    @Test func percentIsEncodedOnceNeverTwice() {
        #expect(AWSURIEncoding.encode("100%", keepSlash: true) == "100%25")
        let signer = SigV4Signer(region: "us-east-1")
        // The path is signed as given: an encoded `%25` stays `%25`, never `%2525`.
        #expect(SigV4URL("https://h/a%25b").path == "/a%25b")
        #expect(signer.canonicalQuery("p=a%25b") == "p=a%25b")
        #expect(AWSURIEncoding.normalize("a%25b", keepSlash: false) == "a%25b")
    }

    @Test func slashIsKeptInPathsAndEncodedInQueries() {
        #expect(AWSURIEncoding.encode("dir/sub dir/file.txt", keepSlash: true) == "dir/sub%20dir/file.txt")
        #expect(AWSURIEncoding.encode("dir/file", keepSlash: false) == "dir%2Ffile")
        #expect(SigV4Signer(region: "r").canonicalQuery("prefix=a/b") == "prefix=a%2Fb")
    }

    @Test func spaceIsPercent20NeverPlus() {
        #expect(AWSURIEncoding.encode("a b+c", keepSlash: false) == "a%20b%2Bc")
        #expect(AWSURIEncoding.encode(" ", keepSlash: true) == "%20")
        #expect(AWSURIEncoding.decode("a+b") == "a+b")
    }

    @Test func unreservedCharactersStayAndUnicodeIsUTF8() {
        #expect(AWSURIEncoding.encode("AZaz09-._~", keepSlash: false) == "AZaz09-._~")
        #expect(AWSURIEncoding.encode("é€", keepSlash: true) == "%C3%A9%E2%82%AC")
        #expect(AWSURIEncoding.encode("*;(),=&$@!'", keepSlash: true) == "%2A%3B%28%29%2C%3D%26%24%40%21%27")
    }

    @Test func decodingRoundTripsAndToleratesStrayPercent() {
        for text in ["plain", "a b/c", "%", "100%", "é€/𝄞", "%zz", "a%2"] {
            #expect(AWSURIEncoding.decode(AWSURIEncoding.encode(text, keepSlash: false)) == text)
        }
        #expect(AWSURIEncoding.decode("%zz%2") == "%zz%2")
        #expect(AWSURIEncoding.normalize("%c3%a9", keepSlash: false) == "%C3%A9")
        #expect(AWSURIEncoding.normalize("%FF", keepSlash: false) == "%FF")
    }

    @Test func unsignedPayloadOnlyOverHTTPS() {
        #expect(SigV4Signer.allowsUnsignedPayload(url: "https://b.s3.amazonaws.com/k"))
        #expect(SigV4Signer.allowsUnsignedPayload(url: "HTTPS://b.s3.amazonaws.com/k"))
        #expect(!SigV4Signer.allowsUnsignedPayload(url: "http://127.0.0.1:4566/b/k"))
    }

    @Test func queryIsSortedByNameThenValue() {
        let signer = SigV4Signer(region: "r")
        #expect(signer.canonicalQuery("b=2&a=2&a=1&a-b=0") == "a=1&a=2&a-b=0&b=2")
        #expect(signer.canonicalQuery("uploads&prefix=") == "prefix=&uploads=")
        #expect(signer.canonicalQuery("") == "")
    }
}
