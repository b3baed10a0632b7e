import Foundation
import HTTPTransport
import Hashing
import S3
import Testing

/// Put/get/list/delete against LocalStack, checked by boto3 on the same server.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct S3ClientRoundTripTests {
    static let awkwardKeys = [
        "a b", "a+b", "100%", "x=y&z", "ünï/cødé", "*", "~t", "semi;colon", "(p)", "dir/sub dir/q?uery#frag",
        "tab\there", "'quote\"", "<x>&amp;", "d/./dot", "d/../dotdot",
    ]

    static let boto3Listing = """
        import boto3, hashlib, json, os, sys
        from botocore.config import Config
        s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}))
        bucket = sys.argv[1]
        out = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                out[item["Key"]] = hashlib.sha256(body).hexdigest()
        json.dump(out, sys.stdout)
        """

    static func boto3View(of bucket: String) throws -> [String: String] {
        let json = try ChildProcess.python(boto3Listing, [bucket])
        return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
    }

    @Test func awkwardKeysRoundTripAndBoto3SeesTheSameKeysAndBytes() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("keys", client: client) { bucket in
            var expected: [String: String] = [:]
            for key in Self.awkwardKeys {
                let body = Array("content of \(key)".utf8)
                try await client.putObject(bucket: bucket, key: key, body: .bytes(body))
                expected[key] = Digest.sha256Hex(body)
            }
            let listed = try await client.listObjects(bucket: bucket).objects.map(\.key)
            #expect(Set(listed) == Set(Self.awkwardKeys))
            #expect(listed.count == Self.awkwardKeys.count)
            for key in Self.awkwardKeys {
                let (bytes, head) = try await client.getObjectBytes(bucket: bucket, key: key)
                #expect(bytes == Array("content of \(key)".utf8), "\(key)")
                #expect(head.contentLength == Int64(bytes.count))
            }
            #expect(try Self.boto3View(of: bucket) == expected)

            let prefixed = try await client.listObjects(bucket: bucket, prefix: "dir/sub dir/")
            #expect(prefixed.objects.map(\.key) == ["dir/sub dir/q?uery#frag"])
            let level = try await client.listObjects(bucket: bucket, prefix: "", delimiter: "/")
            #expect(Set(level.commonPrefixes) == ["ünï/", "dir/", "d/"])

            let failures = try await client.deleteObjects(bucket: bucket, keys: Self.awkwardKeys)
            #expect(failures.isEmpty)
            #expect(try await client.listObjects(bucket: bucket).objects.isEmpty)
            #expect(try Self.boto3View(of: bucket).isEmpty)
        }
    }

    @Test func fileBodiesStreamUpAndDownloadAtomicallyWithRanges() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("files", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { directory in
                let source = directory + "/source.bin"
                try S3TestEnvironment.writeRandomFile(source, size: 3 << 20)
                try await client.uploadFile(bucket: bucket, key: "blob/source.bin", path: source)
                let target = directory + "/target.bin"
                try "old contents".write(toFile: target, atomically: false, encoding: .utf8)
                let head = try await client.downloadFile(bucket: bucket, key: "blob/source.bin", to: target)
                #expect(head.contentLength == 3 << 20)
                #expect(try FileDigest.sha256(path: target).digest == FileDigest.sha256(path: source).digest)

                let ranged = directory + "/range.bin"
                try await client.getObject(
                    bucket: bucket, key: "blob/source.bin", toFile: ranged, options: S3GetOptions(range: 100...1123))
                let all = try Data(contentsOf: URL(fileURLWithPath: source))
                #expect(try Data(contentsOf: URL(fileURLWithPath: ranged)) == all[100...1123])

                // A failed download leaves the existing file alone and no temporary file behind.
                do {
                    try await client.downloadFile(bucket: bucket, key: "missing", to: target)
                    Issue.record("a missing key must throw")
                } catch let error as S3Error {
                    #expect(error.code == .notFound)
                }
                #expect(try FileDigest.sha256(path: target).digest == FileDigest.sha256(path: source).digest)
                let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
                    $0.hasSuffix(".partial")
                }
                #expect(leftovers.isEmpty)
            }
        }
    }

    @Test func putOptionsReachS3AndConditionsHold() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("opts", client: client) { bucket in
            let options = S3PutOptions(
                contentType: "text/plain; charset=utf-8", metadata: ["Owner": "agent", "run": "42"],
                storageClass: "STANDARD_IA", serverSideEncryption: .s3, checksumSHA256: true, ifNoneMatch: "*")
            let put = try await client.putObject(
                bucket: bucket, key: "o.txt", body: .bytes(Array("hello".utf8)), options: options)
            let head = try await client.headObject(bucket: bucket, key: "o.txt")
            #expect(head.contentType == "text/plain; charset=utf-8")
            #expect(head.metadata == ["owner": "agent", "run": "42"])
            #expect(head.storageClass == "STANDARD_IA")
            #expect(head.serverSideEncryption == "AES256")
            #expect(head.etag == put.etag)

            // If-None-Match: * refuses to overwrite other content, but the same bytes again (a retried write
            // whose first answer was lost) count as success.
            let again = try await client.putObject(
                bucket: bucket, key: "o.txt", body: .bytes(Array("hello".utf8)), options: S3PutOptions(ifNoneMatch: "*")
            )
            #expect(again.etag == put.etag)
            do {
                _ = try await client.putObject(
                    bucket: bucket, key: "o.txt", body: .bytes([1]), options: S3PutOptions(ifNoneMatch: "*"))
                Issue.record("If-None-Match: * must refuse an existing key")
            } catch let error as S3Error {
                #expect(error.code == .preconditionFailed)
            }
            // If-Match with the current ETag succeeds, with another fails.
            _ = try await client.putObject(
                bucket: bucket, key: "o.txt", body: .bytes([2]), options: S3PutOptions(ifMatch: put.etag))
            do {
                _ = try await client.putObject(
                    bucket: bucket, key: "o.txt", body: .bytes([3]), options: S3PutOptions(ifMatch: put.etag))
                Issue.record("If-Match with a stale ETag must fail")
            } catch let error as S3Error {
                #expect(error.code == .preconditionFailed)
            }
            // A missing object is notFound on HEAD and GET.
            await #expect(throws: S3Error.self) { try await client.headObject(bucket: bucket, key: "nope") }
            do {
                _ = try await client.headObject(bucket: bucket, key: "nope")
            } catch let error as S3Error {
                #expect(error.code == .notFound)
                #expect(error.status == 404)
            }
        }
    }

    @Test func customerKeyAndKMSEncryptionRoundTrip() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("sse", client: client) { bucket in
            let key = S3ServerSideEncryption.customerKey((0..<32).map { UInt8($0 * 7 % 256) })
            try await client.putObject(
                bucket: bucket, key: "c.bin", body: .bytes(Array("customer key".utf8)),
                options: S3PutOptions(serverSideEncryption: key))
            do {
                _ = try await client.getObjectBytes(bucket: bucket, key: "c.bin")
                Issue.record("reading an SSE-C object without its key must fail")
            } catch let error as S3Error {
                #expect(error.status == 400)
            }
            let (bytes, _) = try await client.getObjectBytes(
                bucket: bucket, key: "c.bin", options: S3GetOptions(customerKey: key))
            #expect(bytes == Array("customer key".utf8))
            let head = try await client.headObject(
                bucket: bucket, key: "c.bin", options: S3GetOptions(customerKey: key))
            #expect(head.contentLength == 12)

            try await client.putObject(
                bucket: bucket, key: "k.bin", body: .bytes([1, 2, 3]),
                options: S3PutOptions(serverSideEncryption: .kms(keyID: "alias/storage-cache-test")))
            #expect(try await client.headObject(bucket: bucket, key: "k.bin").serverSideEncryption == "aws:kms")
        }
    }

    @Test func downloadingAPrefixTakesOnlyThatDirectoryAndRefusesEscapingKeys() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("prefix", client: client) { bucket in
            for key in ["tree/a.txt", "tree/sub/b.txt", "treehouse/c.txt", "tree/dir-marker/"] {
                try await client.putObject(bucket: bucket, key: key, body: .bytes(Array(key.utf8)))
            }
            try await S3TestEnvironment.withTemporaryDirectory { directory in
                let items = try await client.downloadPrefix(bucket: bucket, prefix: "tree", to: directory + "/out")
                #expect(Set(items.map(\.key)) == ["tree/a.txt", "tree/sub/b.txt"])
                #expect(try String(contentsOfFile: directory + "/out/sub/b.txt", encoding: .utf8) == "tree/sub/b.txt")
                #expect(!FileManager.default.fileExists(atPath: directory + "/out/house"))

                try await client.putObject(bucket: bucket, key: "tree/../escape.txt", body: .bytes([1]))
                let dotted = try await client.listObjects(bucket: bucket, prefix: "tree/.").objects.map(\.key)
                #expect(dotted == ["tree/../escape.txt"], "dot segments reach S3 verbatim")
                do {
                    _ = try await client.downloadPrefix(bucket: bucket, prefix: "tree/", to: directory + "/out2")
                    Issue.record("a key with .. must be refused")
                } catch let error as S3Error {
                    #expect(error.code == .invalidInput)
                }
                #expect(!FileManager.default.fileExists(atPath: directory + "/escape.txt"))
            }
        }
    }

    @Test func missingBucketIsNotFound() async throws {
        let client = try S3TestEnvironment.makeClient()
        do {
            _ = try await client.listObjectsV2Page(bucket: S3TestEnvironment.bucketName("absent"))
            Issue.record("listing a missing bucket must throw")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.s3Code == "NoSuchBucket")
        }
    }
}
