import Foundation
import Hashing
import S3
import Synchronization
import Testing

/// Pagination, batch deletes and concurrent multipart uploads against LocalStack.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct S3ClientScaleTests {
    @Test func moreThanAThousandObjectsAreListedAndDeletedInBatches() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("many", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { directory in
                let count = 1_205
                for index in 0..<count {
                    try "object \(index)".write(
                        toFile: directory + "/f\(index).txt", atomically: false, encoding: .utf8)
                }
                let uploaded = try await client.uploadDirectory(
                    directory, bucket: bucket, prefix: "many", concurrency: 32)
                #expect(uploaded.count == count)

                let pages = Mutex(0)
                let listing = try await client.listObjects(bucket: bucket, prefix: "many/") { _ in
                    pages.withLock { $0 += 1 }
                }
                #expect(listing.objects.count == count)
                #expect(Set(listing.objects.map(\.key)).count == count)
                #expect(pages.withLock { $0 } == 2)

                let failures = try await client.deleteObjects(bucket: bucket, keys: listing.objects.map(\.key))
                #expect(failures.isEmpty)
                #expect(try await client.listObjects(bucket: bucket).objects.isEmpty)
            }
        }
    }

    @Test func fortyMegabytesGoUpAsConcurrentMultipartAndComeBackIdentical() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("multi", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { directory in
                let source = directory + "/big.bin"
                try S3TestEnvironment.writeRandomFile(source, size: 40_000_000, seed: 40)
                try await client.uploadFile(
                    bucket: bucket, key: "big/file.bin", path: source,
                    options: S3PutOptions(metadata: ["kind": "multipart"]))
                let head = try await client.headObject(bucket: bucket, key: "big/file.bin")
                #expect(head.contentLength == 40_000_000)
                #expect(head.etag?.hasSuffix("-5\"") == true, "40 MB in 8 MiB parts is 5 parts: \(head.etag ?? "")")
                #expect(head.metadata["kind"] == "multipart")

                let target = directory + "/back.bin"
                try await client.downloadFile(bucket: bucket, key: "big/file.bin", to: target)
                #expect(try FileDigest.sha256(path: target).digest == FileDigest.sha256(path: source).digest)
            }
        }
    }

    @Test func multipartWithChecksumsAndFailuresAbortTheUpload() async throws {
        let client = try S3TestEnvironment.makeClient(multipartThreshold: 5 << 20, multipartPartSize: 5 << 20)
        try await S3TestEnvironment.withBucket("mpck", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { directory in
                let source = directory + "/twelve.bin"
                try S3TestEnvironment.writeRandomFile(source, size: 12 << 20, seed: 12)
                try await client.uploadFile(
                    bucket: bucket, key: "ck.bin", path: source, options: S3PutOptions(checksumSHA256: true))
                let target = directory + "/ck.back"
                try await client.downloadFile(bucket: bucket, key: "ck.bin", to: target)
                #expect(try FileDigest.sha256(path: target).digest == FileDigest.sha256(path: source).digest)

                // Completing with a bogus part ETag fails; the upload is aborted, nothing is left.
                let uploadID = try await client.createMultipartUpload(bucket: bucket, key: "bad.bin")
                do {
                    _ = try await client.completeMultipartUpload(
                        bucket: bucket, key: "bad.bin", uploadID: uploadID,
                        parts: [S3UploadedPart(partNumber: 1, etag: "\"0123456789abcdef0123456789abcdef\"")])
                    Issue.record("completing with a bogus part must fail")
                } catch let error as S3Error {
                    #expect(error.code != .network)
                }
                await client.abortMultipartUpload(bucket: bucket, key: "bad.bin", uploadID: uploadID)
                await #expect(throws: S3Error.self) { try await client.headObject(bucket: bucket, key: "bad.bin") }
            }
        }
    }
}
