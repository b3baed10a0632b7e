import Foundation
import S3
import Testing

/// `storage-cache doctor` against LocalStack (and through `fault_proxy.py` for what LocalStack does not do: a
/// bucket in another region, S3's bucket owner condition). The IAM side is `MotoPermissionTests`.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct DoctorCLITests {
    static func doctor(
        _ bucket: String, endpoint: String, dir: String, _ extra: [String] = [], env: [String: String] = [:]
    )
        throws -> (ProcessOutput, [String: Any])
    {
        let output = try SyncCLITests.run(
            ["doctor", "--json", "--bucket", bucket, "--endpoint", endpoint, "--repo", "owner/repo"] + extra,
            environment: EndpointProbeTests.environment(dir, env))
        return (output, try SyncCLITests.json(output.stdout))
    }

    static func gap(_ report: [String: Any]) -> [String: Any]? {
        (report["checks"] as? [[String: Any]])?.first { $0["status"] as? String == "FAILED" }
    }

    @Test func everyCheckPassesOnAnEmptyLocationAndTheProbeIsRemoved() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("doctor-ok", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let (output, report) = try Self.doctor(
                    bucket, endpoint: S3TestEnvironment.endpointURL, dir: dir,
                    ["--expected-bucket-owner", "000000000000"])
                #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
                #expect(report["ok"] as? Bool == true)
                #expect(report["exitCode"] as? Int == 0)
                let checks = try #require(report["checks"] as? [[String: Any]])
                #expect(checks.count == 9)
                #expect(checks.allSatisfy { $0["status"] as? String == "ok" }, "\(checks)")
                #expect(try await SyncCLITests.keys(client, bucket).isEmpty, "the probe was left behind")

                let table = try SyncCLITests.run(
                    [
                        "doctor", "--bucket", bucket, "--endpoint", S3TestEnvironment.endpointURL, "--repo",
                        "owner/repo",
                    ],
                    environment: EndpointProbeTests.environment(dir))
                #expect(table.status == 0)
                #expect(table.stdout.split(separator: "\n").count == 10, "\(table.stdout)")
                #expect(table.stdout.contains("s3:DeleteObject") && table.stdout.contains("removed the probe"))
            }
        }
    }

    @Test func aMissingBucketExitsThree() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            let (output, report) = try Self.doctor(
                S3TestEnvironment.bucketName("doctor-none"), endpoint: S3TestEnvironment.endpointURL, dir: dir)
            #expect(output.status == 3, "\(output.stderr)")
            #expect(report["firstGap"] as? String == "bucket")
        }
    }

    @Test func noCredentialsExitFour() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            let (output, report) = try Self.doctor(
                "doctor-nocreds", endpoint: S3TestEnvironment.endpointURL, dir: dir,
                env: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": ""])
            #expect(output.status == 4, "\(output.stderr)")
            #expect(report["firstGap"] as? String == "credentials")
        }
    }

    @Test func aBucketInAnotherRegionIsNamed() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("doctor-region", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let proxy = try SyncCLIAccessDeniedTests.Proxy(forceStatus: 0)
                defer { proxy.stop() }
                try proxy.configure("bucket_region=eu-west-1")
                let (output, report) = try Self.doctor(bucket, endpoint: proxy.url, dir: dir)
                #expect(output.status == 2, "\(output.stderr)")
                #expect(report["firstGap"] as? String == "region")
                #expect((Self.gap(report)?["detail"] as? String)?.contains("eu-west-1") == true, "\(report)")
            }
        }
    }

    /// The proxy plays S3's owner condition: the doctor tells a foreign bucket from a missing `s3:ListBucket`, and
    /// a sync names the expected owner.
    @Test func aBucketOfAnotherAccountIsTheOwnerGap() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("doctor-owner", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let proxy = try SyncCLIAccessDeniedTests.Proxy(forceStatus: 0)
                defer { proxy.stop() }
                try proxy.configure("bucket_owner=000000000000")
                let (output, report) = try Self.doctor(
                    bucket, endpoint: proxy.url, dir: dir, ["--expected-bucket-owner", "111122223333"])
                #expect(output.status == 4, "\(output.stderr)")
                #expect(report["firstGap"] as? String == "owner", "\(report)")
                #expect((Self.gap(report)?["detail"] as? String)?.contains("111122223333") == true)

                let (right, _) = try Self.doctor(
                    bucket, endpoint: proxy.url, dir: dir, ["--expected-bucket-owner", "000000000000"])
                #expect(right.status == 0, "\(right.stdout)\(right.stderr)")

                try SyncCLITests.makeTree(dir + "/src")
                let push = try SyncCLITests.run(
                    [
                        "sync", "push", "--path", dir + "/src", "--bucket", bucket, "--endpoint", proxy.url, "--repo",
                        "owner/repo", "--expected-bucket-owner", "111122223333",
                    ], environment: EndpointProbeTests.environment(dir))
                #expect(push.status == 4, "\(push.stderr)")
                #expect(push.stderr.contains("belongs to account 111122223333"), "\(push.stderr)")
                #expect(try await SyncCLITests.keys(client, bucket).isEmpty, "a refused push wrote something")
            }
        }
    }
}
