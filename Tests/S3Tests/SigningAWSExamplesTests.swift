import Foundation
import HTTPTransport
import Hashing
import Testing

@testable import S3

/// The SigV4 examples AWS publishes for S3 ("Signature Calculations for the Authorization Header: Transferring
/// Payload in a Single Chunk" and "Authenticating Requests: Using Query Parameters").
@Suite struct SigningAWSExamplesTests {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
    static let signer = SigV4Signer(region: "us-east-1")
    static let base = "https://examplebucket.s3.amazonaws.com"

    static func signature(of headers: HTTPHeaders) -> String? {
        guard let auth = headers["Authorization"], let range = auth.range(of: "Signature=") else { return nil }
        return String(auth[range.upperBound...])
    }

    @Test func dateStampsAreUTCWithoutFormatter() {
        let stamps = SigV4Date.stamps(Self.date)
        #expect(stamps.timestamp == "20130524T000000Z")
        #expect(stamps.day == "20130524")
        #expect(SigV4Date.stamps(Date(timeIntervalSince1970: 951_782_399.9)).timestamp == "20000228T235959Z")
        #expect(SigV4Date.stamps(Date(timeIntervalSince1970: 951_868_800)).timestamp == "20000301T000000Z")
        #expect(SigV4Date.stamps(Date(timeIntervalSince1970: 4_102_444_799)).timestamp == "20991231T235959Z")
    }

    @Test func iso8601ExpiryTimesParse() {
        #expect(SigV4Date.parseISO8601("2013-05-24T00:00:00Z") == Self.date)
        #expect(SigV4Date.parseISO8601("2013-05-24T00:00:00.500Z") == Self.date.addingTimeInterval(0.5))
        #expect(SigV4Date.parseISO8601("2013-05-24T02:00:00+02:00") == Self.date)
        #expect(SigV4Date.parseISO8601("2013-05-24") == nil)
        #expect(SigV4Date.parseISO8601("not a date") == nil)
    }

    @Test func getObjectWithRange() {
        var headers: HTTPHeaders = ["Range": "bytes=0-9"]
        Self.signer.sign(
            method: "GET", url: Self.base + "/test.txt", headers: &headers, payloadHash: SigV4Signer.emptyPayloadHash,
            credentials: Self.credentials, date: Self.date)
        #expect(
            headers["Authorization"]
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers["x-amz-date"] == "20130524T000000Z")
        #expect(headers["x-amz-content-sha256"] == SigV4Signer.emptyPayloadHash)
    }

    @Test func getObjectCanonicalRequestMatchesTheDocumentedOne() {
        var headers: HTTPHeaders = [
            "Range": "bytes=0-9", "x-amz-content-sha256": SigV4Signer.emptyPayloadHash,
            "x-amz-date": "20130524T000000Z",
        ]
        headers.add(name: "User-Agent", value: "not signed")
        let parts = SigV4URL(Self.base + "/test.txt")
        let request = Self.signer.canonicalRequest(
            method: "GET", parts: parts, canonicalQuery: "",
            headers: Self.signer.canonicalHeaders(headers, host: parts.hostHeader),
            payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(
            request
                == "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                + "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                + "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
                + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Self.signer.stringToSign(
                canonicalRequest: request, timestamp: "20130524T000000Z",
                scope: Self.signer.credentialScope(day: "20130524"))
                == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                + "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
    }

    @Test func putObjectWithStorageClassAndDate() {
        let body = Array("Welcome to Amazon S3.".utf8)
        var headers: HTTPHeaders = [
            "Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY",
        ]
        let key = AWSURIEncoding.encode("test$file.text", keepSlash: true)
        #expect(key == "test%24file.text")
        Self.signer.sign(
            method: "PUT", url: Self.base + "/" + key, headers: &headers, payloadHash: Digest.sha256Hex(body),
            credentials: Self.credentials, date: Self.date)
        #expect(headers["x-amz-content-sha256"] == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(
            headers["Authorization"]?.contains(
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,") == true)
        #expect(Self.signature(of: headers) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func getBucketLifecycle() {
        var headers = HTTPHeaders()
        Self.signer.sign(
            method: "GET", url: Self.base + "/?lifecycle", headers: &headers,
            payloadHash: SigV4Signer.emptyPayloadHash, credentials: Self.credentials, date: Self.date)
        #expect(Self.signature(of: headers) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        #expect(Self.signer.canonicalQuery("lifecycle") == "lifecycle=")
    }

    @Test func listObjects() {
        var headers = HTTPHeaders()
        Self.signer.sign(
            method: "GET", url: Self.base + "/?max-keys=2&prefix=J", headers: &headers,
            payloadHash: SigV4Signer.emptyPayloadHash, credentials: Self.credentials, date: Self.date)
        #expect(Self.signature(of: headers) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func presignedGet() {
        let url = Self.signer.presign(
            method: "GET", url: Self.base + "/test.txt", expires: 86400, credentials: Self.credentials,
            date: Self.date)
        #expect(
            url
                == Self.base + "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func presignExpiryIsValidated() throws {
        #expect(throws: SigV4Error.self) { try PresignExpiry(seconds: 0) }
        #expect(throws: SigV4Error.self) { try PresignExpiry(seconds: 604_801) }
        #expect(throws: SigV4Error.self) { try PresignExpiry(seconds: -5) }
        #expect(try PresignExpiry(seconds: 1).seconds == 1)
        #expect(try PresignExpiry(seconds: 604_800) == PresignExpiry.maximum)
        let url = Self.signer.presign(
            method: "GET", url: Self.base + "/test.txt", expiry: try PresignExpiry(seconds: 86400),
            credentials: Self.credentials, date: Self.date)
        #expect(url.hasSuffix("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"))
    }

    @Test func sessionTokenIsSignedInHeadersAndQuery() {
        var credentials = Self.credentials
        credentials.sessionToken = "token/with+special=chars"
        var headers = HTTPHeaders()
        Self.signer.sign(
            method: "GET", url: Self.base + "/test.txt", headers: &headers, payloadHash: SigV4Signer.unsignedPayload,
            credentials: credentials, date: Self.date)
        #expect(headers["x-amz-security-token"] == "token/with+special=chars")
        #expect(
            headers["Authorization"]?.contains(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") == true)
        #expect(headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD")
        let url = Self.signer.presign(
            method: "GET", url: Self.base + "/test.txt", expires: 60, credentials: credentials, date: Self.date)
        #expect(url.contains("&X-Amz-SignedHeaders=host&X-Amz-Security-Token=token%2Fwith%2Bspecial%3Dchars&"))
    }

    @Test func resigningWithoutSessionTokenDropsTheOldToken() {
        var temporary = Self.credentials
        temporary.sessionToken = "old-token"
        var request = HTTPRequest(method: "GET", url: Self.base + "/test.txt", headers: ["Range": "bytes=0-9"])
        Self.signer.sign(
            &request, payloadHash: SigV4Signer.emptyPayloadHash, credentials: temporary, date: Self.date)
        #expect(request.headers["x-amz-security-token"] == "old-token")
        Self.signer.sign(
            &request, payloadHash: SigV4Signer.emptyPayloadHash, credentials: Self.credentials, date: Self.date)
        #expect(request.headers["x-amz-security-token"] == nil)
        #expect(request.headers.fields.filter { $0.name.lowercased() == "authorization" }.count == 1)
        #expect(
            Self.signature(of: request.headers) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func hostKeepsOnlyNonDefaultPorts() {
        #expect(SigV4URL("https://Example.COM:443/a").hostHeader == "example.com")
        #expect(SigV4URL("http://example.com:80/a").hostHeader == "example.com")
        #expect(SigV4URL("http://127.0.0.1:4566/b/k?x=1").hostHeader == "127.0.0.1:4566")
        #expect(SigV4URL("https://[::1]:8443/").hostHeader == "[::1]:8443")
        #expect(SigV4URL("http://user:pw@host:80").hostHeader == "host")
        let parts = SigV4URL("http://127.0.0.1:4566/b/a%20b?x=1#frag")
        #expect(parts.path == "/b/a%20b")
        #expect(parts.query == "x=1")
        #expect(SigV4URL("https://h").path == "/")
    }

    @Test func headerValuesAreTrimmedAndSorted() {
        let headers: HTTPHeaders = [
            "X-Amz-Meta-B": "  two   spaces\there ", "Content-Type": "text/plain", "User-Agent": "curl",
            "x-amz-meta-b": "second", "Expect": "100-continue",
        ]
        let canonical = Self.signer.canonicalHeaders(headers, host: "h")
        #expect(canonical.signedHeaders == "content-type;host;x-amz-meta-b")
        #expect(canonical.text == "content-type:text/plain\nhost:h\nx-amz-meta-b:two spaces here,second\n")
    }
}
