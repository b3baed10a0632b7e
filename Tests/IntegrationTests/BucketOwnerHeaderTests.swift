import Foundation
import S3
import Testing

/// `s3-expected-bucket-owner` on the wire: the binary talks to LocalStack through `Tests/Support/fault_proxy.py`,
/// which records the `x-amz-expected-bucket-owner` header of every request (neither LocalStack nor moto enforces
/// it, so only a recording shows it is sent).
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct BucketOwnerHeaderTests {
    static let owner = "000000000000"  // LocalStack's account id

    struct Recorded: Decodable {
        var method: String
        var path: String
        var query: String
        var owner: String?
    }

    static func recorded(_ proxy: SyncCLIAccessDeniedTests.Proxy) throws -> [Recorded] {
        let text = try ChildProcess.python(
            """
            import sys, urllib.request
            sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
            """, ["\(proxy.url)/__proxy/requests"])
        return try JSONDecoder().decode([Recorded].self, from: Data(text.utf8))
    }

    @Test func everyRequestOfEveryCommandCarriesTheOwner() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("owner-hdr", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try SyncCLITests.makeTree(dir + "/src")
                // Over the 8 MiB multipart threshold: CreateMultipartUpload, UploadPart, CompleteMultipartUpload.
                try S3TestEnvironment.writeRandomFile(dir + "/src/big.bin", size: 9 << 20)
                let proxy = try SyncCLIAccessDeniedTests.Proxy(forceStatus: 0)
                defer { proxy.stop() }
                let environment = EndpointProbeTests.environment(dir)
                let sync = [
                    "--bucket", bucket, "--endpoint", proxy.url, "--repo", "owner/repo", "--expected-bucket-owner",
                    Self.owner,
                ]
                let first = try SyncCLITests.run(
                    ["sync", "push", "--path", dir + "/src"] + sync, environment: environment)
                #expect(first.status == 0, "\(first.stderr)")
                try FileManager.default.removeItem(atPath: dir + "/src/top.txt")
                let second = try SyncCLITests.run(
                    ["sync", "push", "--path", dir + "/src"] + sync, environment: environment)
                #expect(second.status == 0, "\(second.stderr)")
                let pull = try SyncCLITests.run(
                    ["sync", "pull", "--path", dir + "/dst", "--no-snapshot"] + sync, environment: environment)
                #expect(pull.status == 0, "\(pull.stderr)")

                let inputs = [
                    "INPUT_S3-BACKUP": "true", "INPUT_S3-BUCKET": bucket, "INPUT_S3-ENDPOINT": proxy.url,
                    "INPUT_REPO": "owner/other", "INPUT_STORAGE-PATH": dir + "/src", "INPUT_KEY": "owner-key",
                    "INPUT_S3-EXPECTED-BUCKET-OWNER": Self.owner,
                ]
                let save = try SyncCLITests.run(["save"], environment: EndpointProbeTests.environment(dir, inputs))
                #expect(save.status == 0, "\(save.stderr)")
                #expect(!save.stderr.contains("warning"), "\(save.stderr)")

                let s3 = ["--endpoint", proxy.url, "--expected-bucket-owner", Self.owner]
                for arguments in [
                    ["s3", "ls", "s3://\(bucket)/"],
                    ["s3", "cp", dir + "/src/sessions/ses_1/msg_0.json", "s3://\(bucket)/x"],
                    ["s3", "cp", "s3://\(bucket)/x", dir + "/x"], ["s3", "rm", "s3://\(bucket)/x"],
                ] {
                    let output = try SyncCLITests.run(arguments + s3, environment: environment)
                    #expect(output.status == 0, "\(arguments): \(output.stderr)")
                }
                let presign = try SyncCLITests.run(
                    ["s3", "presign", "s3://\(bucket)/k"] + s3, environment: environment)
                #expect(presign.stdout.contains("x-amz-expected-bucket-owner=\(Self.owner)"), "\(presign.stdout)")

                let requests = try Self.recorded(proxy)
                let missing = requests.filter { $0.owner != Self.owner }
                #expect(missing.isEmpty, "requests without the owner: \(missing.map { "\($0.method) \($0.path)" })")
                let kinds = Set(requests.map { "\($0.method) \($0.query.contains("uploads") ? "uploads" : "")" })
                #expect(kinds.contains("POST uploads"), "no multipart upload seen: \(kinds)")
                #expect(requests.contains { $0.method == "POST" && $0.query.contains("delete") }, "no DeleteObjects")
                #expect(requests.contains { $0.method == "PUT" && $0.query.contains("partNumber") }, "no UploadPart")
                #expect(requests.contains { $0.method == "GET" && $0.query.contains("list-type=2") }, "no listing")
                #expect(requests.contains { $0.method == "DELETE" }, "no DeleteObject")
                #expect(requests.count >= 20, "\(requests.count) requests")
            }
        }
    }

    /// S3 answers a bucket of another account with 403 AccessDenied; the error names the expected owner.
    @Test func aRefusalNamesTheExpectedOwner() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            try SyncCLITests.makeTree(dir + "/src")
            let proxy = try SyncCLIAccessDeniedTests.Proxy(forceStatus: 403)
            defer { proxy.stop() }
            let output = try SyncCLITests.run(
                [
                    "sync", "pull", "--path", dir + "/dst", "--bucket", "owner-denied", "--endpoint", proxy.url,
                    "--repo", "owner/repo", "--expected-bucket-owner", "111122223333",
                ], environment: EndpointProbeTests.environment(dir))
            #expect(output.status == 4, "\(output.stderr)")
            #expect(output.stderr.contains("belongs to account 111122223333"), "\(output.stderr)")
            #expect(output.stderr.contains("s3-expected-bucket-owner"), "\(output.stderr)")
        }
    }
}
