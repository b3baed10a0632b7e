import Foundation
import S3
import Testing

/// `storage-cache sync push|pull|retry` and `status` through the built binary against LocalStack.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct SyncCLITests {
    static let fakeSecret = "SeCrEtKeyDoNotPrint/8f3a9c1e77b2d4aa90"
    static let fakeToken = "SeSsIoNtOkEnDoNotPrint+91c2e6b0a4f7d3"

    /// A minimal environment: fake-but-accepted credentials (LocalStack keys accounts by the access key id only),
    /// no instance metadata, a private HOME, plus `extra`.
    static func environment(home: String, _ extra: [String: String] = [:]) -> [String: String] {
        var environment: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home,
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": fakeSecret, "AWS_SESSION_TOKEN": fakeToken,
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
        environment.merge(extra) { $1 }
        return environment.filter { !$0.value.isEmpty }
    }

    static func run(_ arguments: [String], environment: [String: String]) throws -> ProcessOutput {
        let binary = S3TestEnvironment.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the binary first: \(binary)")
        let output = try ChildProcess.run(binary, arguments, environment: environment)
        for text in [output.stdout, output.stderr] {
            #expect(!text.contains(fakeSecret), "the secret key leaked: \(text)")
            #expect(!text.contains(fakeToken), "the session token leaked: \(text)")
        }
        return output
    }

    static func json(_ text: String) throws -> [String: Any] {
        let line = try #require(text.split(separator: "\n").last.map(String.init), "no JSON on stdout")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static func makeTree(_ root: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/sessions/ses_1", withIntermediateDirectories: true)
        for i in 0..<5 {
            try Data("message \(i)".utf8).write(to: URL(fileURLWithPath: root + "/sessions/ses_1/msg_\(i).json"))
        }
        try Data("top".utf8).write(to: URL(fileURLWithPath: root + "/top.txt"))
    }

    /// relative path → contents of every regular file under `root`.
    static func contents(_ root: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                result[path] = FileManager.default.contents(atPath: root + "/" + path)
            }
        }
        return result
    }

    static func keys(_ client: S3Client, _ bucket: String) async throws -> [String] {
        try await client.listObjects(bucket: bucket).objects.map(\.key).sorted()
    }

    @Test func pushAndPullThroughInputVariablesOnly() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("cli-env", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try Self.makeTree(dir + "/src")
                var inputs = [
                    "INPUT_S3-BUCKET": bucket, "INPUT_S3-ENDPOINT": S3TestEnvironment.endpointURL,
                    "INPUT_S3-PATH-STYLE": "true", "INPUT_REPO": "owner/repo", "INPUT_STORAGE-PATH": dir + "/src",
                    "INPUT_STATE-DIR": dir + "/state", "INPUT_EXCLUDE": "*.tmp\n\n",
                ]
                try Data("skip".utf8).write(to: URL(fileURLWithPath: dir + "/src/x.tmp"))
                let push = try Self.run(["sync", "push"], environment: Self.environment(home: dir, inputs))
                #expect(push.status == 0, "\(push.stderr)")
                #expect(push.stdout.contains("committed generation 1"))
                let keys = try await Self.keys(client, bucket)
                #expect(keys.contains("opencode-storage/github/owner-repo/storage/sessions/ses_1/msg_0.json"))
                #expect(keys.contains("opencode-storage/github/owner-repo/manifest.json"))
                #expect(!keys.contains { $0.hasSuffix("x.tmp") })

                inputs["INPUT_STORAGE-PATH"] = dir + "/restored"
                let pull = try Self.run(["sync", "pull", "--json"], environment: Self.environment(home: dir, inputs))
                #expect(pull.status == 0, "\(pull.stderr)")
                let result = try Self.json(pull.stdout)
                #expect(result["source"] as? String == "snapshot")
                #expect(result["generation"] as? Int == 1)
                #expect(result["files"] as? Int == 6)
                var expected = try Self.contents(dir + "/src")
                expected["x.tmp"] = nil
                #expect(try Self.contents(dir + "/restored") == expected)
            }
        }
    }

    @Test func pushAndPullThroughFlagsWithANestedRepository() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("cli-flags", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try Self.makeTree(dir + "/src")
                let common = [
                    "--bucket", bucket, "--endpoint", S3TestEnvironment.endpointURL, "--repo", "org/nested/repo",
                    "--state-dir", dir + "/state", "--no-snapshot", "--concurrency", "4", "--json",
                ]
                let push = try Self.run(
                    ["sync", "push", "--path", dir + "/src"] + common, environment: Self.environment(home: dir))
                #expect(push.status == 0, "\(push.stderr)")
                let pushed = try Self.json(push.stdout)
                for key in [
                    "generation", "committed", "uploadedFiles", "uploadedBytes", "deletedObjects", "files", "bytes",
                    "warnings", "seconds",
                ] {
                    #expect(pushed[key] != nil, "push JSON lacks \(key)")
                }
                #expect(pushed["uploadedFiles"] as? Int == 6)
                let keys = try await Self.keys(client, bucket)
                #expect(keys.contains("opencode-storage/github/org-nested-repo/storage/top.txt"))
                #expect(!keys.contains { $0.hasSuffix("snapshot.tar.zst") })

                let pull = try Self.run(
                    ["sync", "pull", "--path", dir + "/restored"] + common, environment: Self.environment(home: dir))
                #expect(pull.status == 0, "\(pull.stderr)")
                #expect(try Self.json(pull.stdout)["source"] as? String == "objects")
                #expect(try Self.contents(dir + "/restored") == Self.contents(dir + "/src"))

                let status = try Self.run(["status"] + common, environment: Self.environment(home: dir))
                #expect(status.status == 0, "\(status.stderr)")
                let manifest = try Self.json(status.stdout)["s3"] as? [String: Any]
                #expect((manifest?["manifest"] as? [String: Any])?["generation"] as? Int == 1)
                #expect((manifest?["manifest"] as? [String: Any])?["snapshot"] as? Bool == false)
            }
        }
    }

    @Test func aDryRunPrintsThePlanAndChangesNothing() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("cli-dry", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try Self.makeTree(dir + "/src")
                let args = [
                    "--path", dir + "/src", "--bucket", bucket, "--endpoint", S3TestEnvironment.endpointURL,
                    "--repo", "owner/repo", "--state-dir", dir + "/state",
                ]
                let first = try Self.run(["sync", "push"] + args, environment: Self.environment(home: dir))
                #expect(first.status == 0, "\(first.stderr)")
                try Data("changed".utf8).write(to: URL(fileURLWithPath: dir + "/src/top.txt"))
                try FileManager.default.removeItem(atPath: dir + "/src/sessions/ses_1/msg_4.json")
                try Data("new".utf8).write(to: URL(fileURLWithPath: dir + "/src/new.json"))

                let before = try await Self.keys(client, bucket)
                let stateBefore = try Self.contents(dir + "/state")
                let dry = try Self.run(["sync", "push", "--dry-run"] + args, environment: Self.environment(home: dir))
                #expect(dry.status == 0, "\(dry.stderr)")
                #expect(dry.stdout.contains("would upload 2 files"))
                #expect(dry.stdout.contains("delete 1 objects"))
                #expect(dry.stdout.contains("upload new.json"))
                #expect(dry.stdout.contains("delete sessions/ses_1/msg_4.json"))
                #expect(try await Self.keys(client, bucket) == before)
                #expect(try Self.contents(dir + "/state") == stateBefore)

                // A dry run that cannot reach S3 leaves no pending record either.
                var down = args
                down[down.firstIndex(of: S3TestEnvironment.endpointURL)!] = "http://127.0.0.1:1"
                let failed = try Self.run(
                    ["sync", "push", "--dry-run"] + down, environment: Self.environment(home: dir))
                #expect(failed.status == 1)
                #expect(!FileManager.default.fileExists(atPath: dir + "/state/s3_failures.json"))
            }
        }
    }

    @Test func aPushToADeadEndpointFailsFastIsRecordedAndRetriesLater() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("cli-down", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try Self.makeTree(dir + "/src")
                let state = dir + "/state"
                let args = [
                    "--path", dir + "/src", "--bucket", bucket, "--endpoint", "http://127.0.0.1:1", "--repo",
                    "owner/repo", "--state-dir", state,
                ]
                let started = ContinuousClock.now
                let push = try Self.run(["sync", "push"] + args, environment: Self.environment(home: dir))
                #expect(ContinuousClock.now - started < .seconds(15))
                #expect(push.status == 1)
                #expect(push.stderr.contains("push of \(dir)/src"))
                #expect(push.stderr.contains("127.0.0.1:1"))
                #expect(push.stderr.contains("pending queue"))
                let pendingText = try String(contentsOfFile: state + "/s3_failures.json", encoding: .utf8)
                #expect(!pendingText.contains(Self.fakeSecret))
                #expect(!pendingText.contains(Self.fakeToken))
                #expect(!pendingText.contains("AWS_"))

                let status = try Self.run(
                    ["status", "--state-dir", state, "--json"], environment: Self.environment(home: dir))
                #expect(status.status == 0)
                let pending = try #require(try Self.json(status.stdout)["pending"] as? [[String: Any]])
                #expect(pending.count == 1)
                #expect(pending.first?["localPath"] as? String == dir + "/src")

                // Still down: the entry stays, one more attempt counted, exit 1.
                let stillDown = try Self.run(
                    ["sync", "--retry-pending", "--state-dir", state], environment: Self.environment(home: dir))
                #expect(stillDown.status == 1)
                #expect(stillDown.stdout.contains("failed again"))

                let retry = try Self.run(
                    [
                        "sync", "--retry-pending", "--state-dir", state, "--endpoint", S3TestEnvironment.endpointURL,
                        "--json",
                    ],
                    environment: Self.environment(home: dir))
                #expect(retry.status == 0, "\(retry.stderr)")
                let report = try Self.json(retry.stdout)
                #expect(report["succeeded"] as? Int == 1)
                #expect(report["remaining"] as? Int == 0)
                let keys = try await Self.keys(client, bucket)
                #expect(keys.contains("opencode-storage/github/owner-repo/storage/top.txt"))
                let after = try Self.run(
                    ["status", "--state-dir", state, "--json"], environment: Self.environment(home: dir))
                #expect((try Self.json(after.stdout)["pending"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func missingCredentialsExitFourAndAreRecorded() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            try Self.makeTree(dir + "/src")
            var environment = Self.environment(home: dir)
            environment["AWS_ACCESS_KEY_ID"] = nil
            environment["AWS_SECRET_ACCESS_KEY"] = nil
            environment["AWS_SESSION_TOKEN"] = nil
            let push = try Self.run(
                [
                    "sync", "push", "--path", dir + "/src", "--bucket", "no-creds-bucket", "--endpoint",
                    S3TestEnvironment.endpointURL, "--repo", "owner/repo", "--state-dir", dir + "/state",
                ], environment: environment)
            #expect(push.status == 4, "\(push.stderr)")
            #expect(push.stderr.lowercased().contains("credentials"))
            #expect(FileManager.default.fileExists(atPath: dir + "/state/s3_failures.json"))
        }
    }

    @Test(arguments: [
        (["--bucket", "Bad_Bucket"], "s3-bucket"),
        (["--prefix", "../x"], "s3-prefix"),
        (["--prefix", "/abs"], "s3-prefix"),
        (["--agent-identity", "slack"], "agent-identity"),
        (["--endpoint", "ftp://x"], "s3-endpoint"),
        (["--concurrency", "0"], "concurrency"),
        (["--max-sync-size", "huge"], "max-sync-size"),
    ])
    func badFlagsExitTwoNamingTheInput(extra: [String], input: String) async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            try Self.makeTree(dir + "/src")
            var args = [
                "sync", "push", "--path", dir + "/src", "--bucket", "good-bucket", "--endpoint",
                S3TestEnvironment.endpointURL, "--repo", "owner/repo", "--state-dir", dir + "/state",
            ]
            args += extra
            let output = try Self.run(args, environment: Self.environment(home: dir))
            #expect(output.status == 2, "\(output.stderr)")
            #expect(output.stderr.contains("invalid input \(input)"), "\(output.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/state/s3_failures.json"))
        }
    }

    @Test func anUnknownFlagExitsTwo() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            let output = try Self.run(["sync", "push", "--no-such-flag"], environment: Self.environment(home: dir))
            #expect(output.status == 2)
            #expect(output.stderr.contains("--no-such-flag"))
        }
    }

    @Test func aBadBooleanInputExitsTwoNamingTheInput() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            let output = try Self.run(
                ["sync", "pull"],
                environment: Self.environment(
                    home: dir,
                    [
                        "INPUT_S3-BUCKET": "good-bucket", "INPUT_REPO": "owner/repo", "INPUT_S3-PATH-STYLE": "yes",
                        "INPUT_STORAGE-PATH": dir + "/dst",
                    ]))
            #expect(output.status == 2)
            #expect(output.stderr.contains("invalid input s3-path-style"))
        }
    }

    @Test func aTreeUploadedByAnotherToolIsPulledByListing() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("cli-listing", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try Self.makeTree(dir + "/src")
                // What `aws s3 sync DIR s3://bucket/opencode-storage/github/owner-repo/storage/` leaves: objects only.
                _ = try ChildProcess.python(
                    """
                    import os, sys, boto3
                    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"])
                    root, bucket = sys.argv[1], sys.argv[2]
                    for base, _, files in os.walk(root):
                        for name in files:
                            path = os.path.join(base, name)
                            key = "opencode-storage/github/owner-repo/storage/" + os.path.relpath(path, root)
                            s3.upload_file(path, bucket, key)
                    """, [dir + "/src", bucket])
                let pull = try Self.run(
                    [
                        "sync", "pull", "--path", dir + "/restored", "--bucket", bucket, "--endpoint",
                        S3TestEnvironment.endpointURL, "--repo", "owner/repo", "--state-dir", dir + "/state", "--json",
                    ], environment: Self.environment(home: dir))
                #expect(pull.status == 0, "\(pull.stderr)")
                let result = try Self.json(pull.stdout)
                #expect(result["source"] as? String == "listing")
                #expect(result["files"] as? Int == 6)
                #expect(pull.stderr.contains("no manifest"))
                #expect(try Self.contents(dir + "/restored") == Self.contents(dir + "/src"))
            }
        }
    }
}
