import Foundation
import HTTPTransport
import S3
import Testing

/// Presigned URLs against LocalStack with signature validation on.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct S3PresignTests {
    let http = HTTPClient(logger: S3TestEnvironment.logger)

    @Test func presignedGetIsAcceptedAndTamperedOnesAreRefused() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("presign", client: client) { bucket in
            let key = "dir/a b+c/ünï.txt"
            try await client.putObject(bucket: bucket, key: key, body: .bytes(Array("presigned body".utf8)))
            let url = try await client.presignedURL(bucket: bucket, key: key, expires: 300)
            #expect(url.contains("X-Amz-Signature="))

            let ok = try await http.execute(HTTPRequest(method: "GET", url: url))
            #expect(ok.status == 200)
            #expect(ok.body == Array("presigned body".utf8))

            // Flip the last hex digit of the signature.
            var tampered = url
            let last = tampered.removeLast()
            tampered.append(last == "0" ? "1" : "0")
            #expect(try await http.execute(HTTPRequest(method: "GET", url: tampered)).status == 403)

            // Point the same signature at another key.
            let otherKey = url.replacingOccurrences(of: "/dir/", with: "/dis/")
            let other = try await http.execute(HTTPRequest(method: "GET", url: otherKey))
            #expect(other.status == 403)

            // Stretch the expiry.
            let stretched = url.replacingOccurrences(of: "X-Amz-Expires=300", with: "X-Amz-Expires=3000")
            #expect(try await http.execute(HTTPRequest(method: "GET", url: stretched)).status == 403)
        }
    }

    @Test func presignedURLsWorkForKeysWithDotSegments() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("predots", client: client) { bucket in
            for key in ["d/../up.txt", "d/./here.txt"] {
                try await client.putObject(bucket: bucket, key: key, body: .bytes(Array(key.utf8)))
                let url = try await client.presignedURL(bucket: bucket, key: key, expires: 60)
                let response = try await http.execute(HTTPRequest(method: "GET", url: url))
                #expect(response.status == 200, "\(key)")
                #expect(response.body == Array(key.utf8))
            }
        }
    }

    @Test func presignedPutUploadsAnObject() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("preput", client: client) { bucket in
            let url = try await client.presignedURL(method: "PUT", bucket: bucket, key: "up (1).txt", expires: 60)
            let response = try await http.execute(
                HTTPRequest(method: "PUT", url: url, body: .bytes(Array("via presigned put".utf8))))
            #expect(response.status == 200)
            let (bytes, _) = try await client.getObjectBytes(bucket: bucket, key: "up (1).txt")
            #expect(bytes == Array("via presigned put".utf8))
        }
    }

    @Test func presignRejectsExpiriesOutsideOneSecondToSevenDays() async throws {
        let client = try S3TestEnvironment.makeClient()
        for expires in [0, -1, 604_801] {
            do {
                _ = try await client.presignedURL(bucket: "some-bucket", key: "k", expires: expires)
                Issue.record("expiry \(expires) must be refused")
            } catch {
                #expect(error.code == .invalidInput)
            }
        }
        _ = try await client.presignedURL(bucket: "some-bucket", key: "k", expires: 604_800)
    }
}
