import Foundation
import S3
import StorageCache
import Testing

/// Multipart uploads a killed push left behind are aborted by a later push once they are older than
/// `staleUploadAge`; fresh ones (maybe another host's push in progress) and uploads outside the location stay.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct SyncStaleUploadTests {
    static func engine(_ client: S3Client, bucket: String, age: Duration?) throws -> SyncEngine {
        var options = SyncOptions()
        options.staleUploadAge = age
        options.staleUploadCheckInterval = 1
        return SyncEngine(
            client: client, location: try SyncLocation(bucket: bucket, agentIdentity: .github, repo: "owner/repo"),
            options: options, logger: S3TestEnvironment.logger)
    }

    @Test func aPushAbortsStaleUploadsUnderItsRootOnly() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("staleup", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let root = "opencode-storage/github/owner-repo"
                let inside = try await client.createMultipartUpload(bucket: bucket, key: root + "/packs/1-killed.pack")
                let snapshot = try await client.createMultipartUpload(bucket: bucket, key: root + "/snapshot.tar.zst")
                let outside = try await client.createMultipartUpload(bucket: bucket, key: "other/owner-repo/x.pack")
                let listed = try await client.listMultipartUploads(bucket: bucket)
                #expect(Set(listed.map(\.uploadID)) == [inside, snapshot, outside])
                #expect(listed.allSatisfy { $0.initiated.map { abs($0.timeIntervalSinceNow) < 600 } ?? false })

                try SyncTestSupport.generate(dir + "/src", sessions: 3, messages: 2, large: 0, largeMB: 1)
                // The default age (24 h): uploads started just now are left alone.
                _ = try await Self.engine(client, bucket: bucket, age: .seconds(24 * 3600)).push(from: dir + "/src")
                #expect(try await client.listMultipartUploads(bucket: bucket).count == 3)
                // Age 0: every upload under the root is stale, the other prefix's stays.
                try Data("more\n".utf8).write(to: URL(fileURLWithPath: dir + "/src/new.txt"))
                _ = try await Self.engine(client, bucket: bucket, age: .zero).push(from: dir + "/src")
                let left = try await client.listMultipartUploads(bucket: bucket)
                #expect(left.map(\.uploadID) == [outside], "\(left)")
            }
        }
    }

    @Test func listingFollowsMarkersAcrossPages() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListMultipartUploadsResult><Bucket>b</Bucket><EncodingType>url</EncodingType>
            <NextKeyMarker>a%2Fb+c</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker><IsTruncated>true</IsTruncated>
            <Upload><Key>a%2Fb+c</Key><UploadId>u2</UploadId><Initiated>2026-12-01T13:22:05.000Z</Initiated></Upload>
            <Upload><Key>z</Key><UploadId>u3</UploadId><Initiated>2026-12-01T13:22:05Z</Initiated></Upload>
            <Upload><Key>y</Key><UploadId>u4</UploadId><Initiated>yesterday</Initiated></Upload>
            </ListMultipartUploadsResult>
            """
        let page = try ListMultipartUploadsPage.parse(Array(xml.utf8))
        #expect(page.uploads.map(\.key) == ["a/b c", "z", "y"])
        #expect(page.uploads[0].initiated == page.uploads[1].initiated && page.uploads[0].initiated != nil)
        #expect(page.uploads[2].initiated == nil)
        #expect(page.isTruncated && page.nextKeyMarker == "a/b c" && page.nextUploadIDMarker == "u2")
    }
}
