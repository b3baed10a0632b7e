import HTTPTransport
import Hashing
import Testing

@testable import S3

@Suite struct S3ClientAddressingTests {
    @Test func awsUsesVirtualHostedAddressing() {
        let endpoint = S3Endpoint.aws(region: "eu-west-1")
        #expect(
            endpoint.url(bucket: "my-bucket", key: "a/b.txt") == "https://my-bucket.s3.eu-west-1.amazonaws.com/a/b.txt")
        #expect(endpoint.url(bucket: "my-bucket") == "https://my-bucket.s3.eu-west-1.amazonaws.com/")
    }

    @Test func awsFallsBackToPathStyleForDottedNamesAndWhenForced() {
        #expect(
            S3Endpoint.aws(region: "us-east-1").url(bucket: "my.bucket", key: "k")
                == "https://s3.us-east-1.amazonaws.com/my.bucket/k")
        #expect(
            S3Endpoint.aws(region: "us-east-1", forcePathStyle: true).url(bucket: "b-1", key: "k")
                == "https://s3.us-east-1.amazonaws.com/b-1/k")
    }

    @Test func customEndpointsUsePathStyleWithPort() throws {
        let endpoint = try S3Endpoint.custom("http://127.0.0.1:4566")
        #expect(endpoint.url(bucket: "bkt", key: "x/y") == "http://127.0.0.1:4566/bkt/x/y")
        #expect(endpoint.url(bucket: "bkt", query: [("list-type", "2")]) == "http://127.0.0.1:4566/bkt?list-type=2")
        #expect(endpoint.isPlainHTTP)
        let hosted = try S3Endpoint.custom("https://minio.local:9000", forcePathStyle: false)
        #expect(hosted.url(bucket: "bkt", key: "k") == "https://bkt.minio.local:9000/k")
    }

    @Test func keysAreEncodedExactlyOnceKeepingSlashes() throws {
        let endpoint = try S3Endpoint.custom("http://127.0.0.1:4566")
        let cases: [(String, String)] = [
            ("a b", "a%20b"), ("a+b", "a%2Bb"), ("100%", "100%25"), ("x=y&z", "x%3Dy%26z"),
            ("ünï/cødé", "%C3%BCn%C3%AF/c%C3%B8d%C3%A9"), ("*", "%2A"), ("~t", "~t"), ("semi;colon", "semi%3Bcolon"),
            ("(p)", "%28p%29"), ("%41", "%2541"), ("dir//x/", "dir//x/"), ("a/../b/./c", "a/%2E%2E/b/%2E/c"),
            ("..", "%2E%2E"), ("...", "..."), ("a/.hidden/..x", "a/.hidden/..x"),
        ]
        for (key, encoded) in cases {
            #expect(endpoint.url(bucket: "b", key: key) == "http://127.0.0.1:4566/b/" + encoded, "\(key)")
        }
    }

    @Test func dotSegmentsAreSignedLiterallyButSentEscaped() throws {
        let endpoint = try S3Endpoint.custom("http://127.0.0.1:4566")
        #expect(endpoint.signingURL(bucket: "b", key: "a/../c") == "http://127.0.0.1:4566/b/a/../c")
        #expect(endpoint.url(bucket: "b", key: "a/../c") == "http://127.0.0.1:4566/b/a/%2E%2E/c")
        #expect(S3Endpoint.hasDotSegments("a/./b") && S3Endpoint.hasDotSegments(".."))
        #expect(!S3Endpoint.hasDotSegments("a/.b/..c") && !S3Endpoint.hasDotSegments(nil))
    }

    @Test func queryValuesEncodeSlashesAndReservedCharacters() throws {
        let endpoint = try S3Endpoint.custom("http://localhost:4566")
        let url = endpoint.url(
            bucket: "b", query: [("prefix", "a/b c+"), ("continuation-token", "x/y=="), ("delete", "")])
        #expect(url == "http://localhost:4566/b?prefix=a%2Fb%20c%2B&continuation-token=x%2Fy%3D%3D&delete=")
    }

    @Test func regionChangesMoveOnlyAWSEndpoints() throws {
        #expect(S3Endpoint.aws(region: "us-east-1").with(region: "ap-south-1").host == "s3.ap-south-1.amazonaws.com")
        let custom = try S3Endpoint.custom("http://127.0.0.1:4566")
        #expect(custom.with(region: "eu-west-1") == custom)
    }

    @Test func errorsMapToCodesAndNeverCarryTheQuery() {
        let operation = S3Operation(
            name: "GetObject", method: "GET", bucket: "b", key: "k", query: [("X-Amz-Signature", "deadbeef")])
        let response = S3ResponseStub.make(
            status: 404, body: "<Error><Code>NoSuchKey</Code><Message>gone</Message><RequestId>r1</RequestId></Error>")
        let error = S3Client.error(operation: operation, response: response)
        #expect(error.code == .notFound)
        #expect(error.s3Code == "NoSuchKey")
        #expect(error.requestID == "r1")
        #expect(!error.description.contains("deadbeef"))
        #expect(error.description.contains("s3://b/k"))

        let redirect = S3Client.error(
            operation: operation,
            response: S3ResponseStub.make(status: 301, body: "", headers: [("x-amz-bucket-region", "eu-central-1")]))
        #expect(redirect.code == .wrongRegion)
        #expect(redirect.bucketRegion == "eu-central-1")
        #expect(redirect.message.contains("eu-central-1"))

        let head = S3Client.error(
            operation: S3Operation(name: "HeadObject", method: "HEAD", bucket: "b", key: "k"),
            response: S3ResponseStub.make(status: 403, body: ""))
        #expect(head.code == .accessDenied)
    }

    @Test func sseCustomerKeyHeadersCarryKeyAndMD5() {
        let key = [UInt8](repeating: 0x41, count: 32)
        let headers = S3ServerSideEncryption.customerKey(key).customerKeyHeaders()
        #expect(headers[0] == ("x-amz-server-side-encryption-customer-algorithm", "AES256"))
        #expect(headers[1].1 == "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")
        // `printf A%.0s {1..32} | openssl md5 -binary | base64`
        #expect(headers[2].1 == "UhbdzFjo2t5SVgded/ZC2g==")
        #expect(!"\(S3ServerSideEncryption.customerKey(key))".contains("QUFB"))
    }

    @Test func putOptionsBuildObjectHeaders() {
        let options = S3PutOptions(
            contentType: "text/plain", metadata: ["Owner": "me", "a": "1"], storageClass: "STANDARD_IA",
            serverSideEncryption: .kms(keyID: "alias/k"), ifNoneMatch: "*")
        let names = options.objectHeaders().map(\.0) + options.conditionHeaders().map(\.0)
        #expect(
            names == [
                "Content-Type", "x-amz-meta-a", "x-amz-meta-owner", "x-amz-storage-class",
                "x-amz-server-side-encryption",
                "x-amz-server-side-encryption-aws-kms-key-id", "If-None-Match",
            ])
    }

    @Test func multipartETagIsTheMD5OfPartMD5s() {
        // Two parts whose MD5s are those of "a" and "b"; S3's ETag is md5(md5("a") ‖ md5("b")) + "-2".
        let parts = [
            S3UploadedPart(partNumber: 2, etag: "\"92eb5ffee6ae2fec3ad71c777531578f\""),
            S3UploadedPart(partNumber: 1, etag: "\"0cc175b9c0f1b6a831c399e269772661\""),
        ]
        let expected = Hex.encode(MD5.digest(MD5.digest(Array("a".utf8)) + MD5.digest(Array("b".utf8))))
        #expect(S3Client.multipartETag(of: parts) == "\"\(expected)-2\"")
        #expect(S3Client.multipartETag(of: [S3UploadedPart(partNumber: 1, etag: "\"kms-opaque\"")]) == nil)
    }

    @Test func partSizeGrowsToStayUnderTenThousandParts() {
        #expect(S3Client.partSize(for: 40 << 20, preferred: 8 << 20) == 8 << 20)
        #expect(S3Client.partSize(for: 1 << 20, preferred: 1 << 20) == 5 << 20)
        let huge: Int64 = 200 << 30
        let size = S3Client.partSize(for: huge, preferred: 8 << 20)
        #expect((huge + size - 1) / size <= 10_000)
    }
}

enum S3ResponseStub {
    static func make(status: Int, body: String, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders(headers), body: Array(body.utf8), bytesReceived: 0)
    }
}
