import Testing

@testable import S3

@Suite struct ValidationTests {
    @Test(arguments: [
        "abc", "my-bucket", "my.bucket.name", "a1b2c3", "123", String(repeating: "a", count: 63), "1.2.3",
    ])
    func acceptsValidBucketNames(name: String) throws {
        try S3Validation.validateBucketName(name)
    }

    @Test(arguments: [
        ("ab", "3 to 63"), (String(repeating: "a", count: 64), "3 to 63"), ("My-Bucket", "lower-case"),
        ("my_bucket", "lower-case"), ("-bucket", "start and end"), ("bucket-", "start and end"),
        (".bucket", "start and end"), ("my..bucket", "adjacent dots"), ("192.168.5.4", "IP address"),
        ("xn--bucket", "xn--"), ("bucket-s3alias", "-s3alias"), ("bucket--ol-s3", "--ol-s3"),
        ("sthree-bucket", "sthree-"), ("my.-bucket", "dot next to a hyphen"), ("bücket", "lower-case"),
        ("a b", "lower-case"),
    ])
    func rejectsInvalidBucketNamesSayingWhy(name: String, reason: String) {
        do {
            try S3Validation.validateBucketName(name)
            Issue.record("\(name) should be rejected")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains(reason), "\(error.message)")
            #expect(error.message.contains(name))
        }
    }

    @Test func rejectsEmptyAndOverlongKeys() {
        #expect(throws: S3Error.self) { try S3Validation.validateKey("") }
        #expect(throws: S3Error.self) { try S3Validation.validateKey(String(repeating: "k", count: 1025)) }
        #expect(throws: Never.self) { try S3Validation.validateKey(String(repeating: "k", count: 1024)) }
    }

    @Test func expiryMustBeOneSecondToSevenDays() {
        #expect(throws: Never.self) { try S3Validation.validateExpiry(1) }
        #expect(throws: Never.self) { try S3Validation.validateExpiry(604_800) }
        for bad in [0, -5, 604_801] {
            do {
                try S3Validation.validateExpiry(bad)
                Issue.record("\(bad) should be rejected")
            } catch {
                #expect(error.code == .invalidInput)
                #expect(error.message.contains("604800"))
            }
        }
    }

    @Test func endpointURLsMustBeHTTPWithAHost() throws {
        let endpoint = try S3Endpoint.custom("http://127.0.0.1:4566")
        #expect(endpoint.host == "127.0.0.1" && endpoint.port == 4566 && endpoint.scheme == "http")
        #expect(try S3Endpoint.custom("https://minio.example.com:443/").port == nil)
        for (bad, reason) in [
            ("ftp://host", "http:// or https://"), ("127.0.0.1:4566", "http:// or https://"), ("http://", "no host"),
            ("http://host/path", "path"), ("http://host?x=1", "query"), ("http://u:p@host", "user info"),
            ("not a url", "http:// or https://"),
        ] {
            do {
                _ = try S3Endpoint.custom(bad)
                Issue.record("\(bad) should be rejected")
            } catch {
                #expect(error.code == .invalidInput)
                #expect(error.message.contains(reason), "\(bad): \(error.message)")
            }
        }
    }

    @Test func s3URIsAreParsedAndChecked() throws {
        #expect(try S3URI(parsing: "s3://bucket/a/b c") == S3URI(bucket: "bucket", key: "a/b c"))
        #expect(try S3URI(parsing: "s3://bucket") == S3URI(bucket: "bucket", key: ""))
        #expect(try S3URI(parsing: "s3://bucket/") == S3URI(bucket: "bucket", key: ""))
        #expect(throws: S3Error.self) { try S3URI(parsing: "s3://Bad_Bucket/key") }
        #expect(throws: S3Error.self) { try S3URI(parsing: "/local/path") }
    }
}
