import Foundation
import S3
import Testing

/// RFC-019's acceptance criteria end to end: `storage-cache restore|save` with the primary (local) cache in front of
/// S3 (LocalStack), inputs passed as the runner passes them.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct CoordinatorCLITests {
    typealias CLI = CoordinatorCLI

    /// Runs `body` with a bucket, a scratch directory (HOME) holding a small tree at `<dir>/src`, and the inputs
    /// for both.
    func withSetup(
        _ label: String, _ body: (_ bucket: String, _ dir: String, _ inputs: [String: String]) async throws -> Void
    ) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket(label, client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try SyncCLITests.makeTree(dir + "/src")
                var inputs = CLI.s3Inputs(bucket: bucket)
                inputs["INPUT_KEY"] = "storage-v1"
                inputs["INPUT_CACHE-DIR"] = dir + "/cache"
                inputs["INPUT_STATE-DIR"] = dir + "/state"
                try await body(bucket, dir, inputs)
            }
        }
    }

    func save(_ dir: String, _ inputs: [String: String], _ extra: [String: String] = [:]) throws -> ProcessOutput {
        var inputs = inputs.merging(extra) { $1 }
        inputs["INPUT_STORAGE-PATH"] = inputs["INPUT_STORAGE-PATH"] ?? dir + "/src"
        return try CLI.run(["save", "--json"], environment: CLI.environment(home: dir, inputs))
    }

    func restore(_ dir: String, into destination: String, _ inputs: [String: String], _ extra: [String: String] = [:])
        throws -> ProcessOutput
    {
        var inputs = inputs.merging(extra) { $1 }
        inputs["INPUT_STORAGE-PATH"] = destination
        return try CLI.run(["restore", "--json"], environment: CLI.environment(home: dir, inputs))
    }

    @Test func saveWritesBothAndAPrimaryHitRestoresFromThePrimary() async throws {
        try await withSetup("co-hit") { bucket, dir, inputs in
            let saved = try save(dir, inputs)
            #expect(saved.status == 0, "\(saved.stderr)")
            let savedJSON = try CLI.json(saved.stdout)
            #expect(savedJSON["outcome"] as? String == "saved")
            let s3 = try #require(savedJSON["s3"] as? [String: Any])
            #expect(s3["outcome"] as? String == "pushed")
            let keys = try await SyncCLITests.keys(try S3TestEnvironment.makeClient(), bucket)
            #expect(keys.contains("opencode-storage/github/owner-repo/manifest.json"))
            #expect(keys.contains("opencode-storage/github/owner-repo/storage/top.txt"))
            #expect(try CLI.cacheKeys(dir + "/cache", home: dir) == ["storage-v1"])

            let restored = try restore(dir, into: dir + "/dst", inputs)
            #expect(restored.status == 0, "\(restored.stderr)")
            let json = try CLI.json(restored.stdout)
            #expect(json["source"] as? String == "primary")
            #expect(json["matchedKey"] as? String == "storage-v1")
            #expect(json["exactMatch"] as? Bool == true)
            #expect(json["files"] as? Int == 6)
            #expect(try SyncCLITests.contents(dir + "/dst") == SyncCLITests.contents(dir + "/src"))
        }
    }

    @Test func aPrimaryMissRestoresFromS3AndWarmsThePrimary() async throws {
        try await withSetup("co-miss") { _, dir, inputs in
            #expect(try save(dir, inputs).status == 0)
            // A fresh host: an empty local cache.
            let fresh = inputs.merging(["INPUT_CACHE-DIR": dir + "/cache2"]) { $1 }
            let restored = try restore(dir, into: dir + "/dst", fresh)
            #expect(restored.status == 0, "\(restored.stderr)")
            let json = try CLI.json(restored.stdout)
            #expect(json["source"] as? String == "s3")
            #expect(json["primaryOutcome"] as? String == "miss")
            #expect(json["primaryWarmed"] as? Bool == true)
            #expect(json["files"] as? Int == 6)
            #expect(try SyncCLITests.contents(dir + "/dst") == SyncCLITests.contents(dir + "/src"))
            #expect(try CLI.cacheKeys(dir + "/cache2", home: dir) == ["storage-v1"])

            // The warmed primary answers the next restore, even with S3 unreachable.
            let dead = fresh.merging(["INPUT_S3-ENDPOINT": "http://127.0.0.1:1"]) { $1 }
            let again = try restore(dir, into: dir + "/dst2", dead)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try CLI.json(again.stdout)["source"] as? String == "primary")
            #expect(try SyncCLITests.contents(dir + "/dst2") == SyncCLITests.contents(dir + "/src"))
        }
    }

    @Test func aCorruptedPrimaryEntryFallsBackToS3() async throws {
        try await withSetup("co-corrupt") { _, dir, inputs in
            #expect(try save(dir, inputs).status == 0)
            try CLI.corruptEntries(cache: dir + "/cache")
            let restored = try restore(dir, into: dir + "/dst", inputs)
            #expect(restored.status == 0, "\(restored.stderr)")
            let json = try CLI.json(restored.stdout)
            #expect(json["source"] as? String == "s3")
            #expect(json["primaryOutcome"] as? String == "corrupted")
            #expect((json["warnings"] as? [String])?.contains { $0.contains("removed") } == true)
            #expect(try SyncCLITests.contents(dir + "/dst") == SyncCLITests.contents(dir + "/src"))
        }
    }

    @Test func lookupOnlySaysWhereTheTreeWouldComeFromAndRestoresNothing() async throws {
        try await withSetup("co-lookup") { _, dir, inputs in
            #expect(try save(dir, inputs).status == 0)
            let primary = try restore(dir, into: dir + "/dst", inputs, ["INPUT_LOOKUP-ONLY": "true"])
            #expect(primary.status == 0, "\(primary.stderr)")
            #expect(try CLI.json(primary.stdout)["source"] as? String == "primary")
            let fresh = ["INPUT_LOOKUP-ONLY": "true", "INPUT_CACHE-DIR": dir + "/empty-cache"]
            let s3 = try restore(dir, into: dir + "/dst", inputs, fresh)
            #expect(s3.status == 0, "\(s3.stderr)")
            let json = try CLI.json(s3.stdout)
            #expect(json["source"] as? String == "s3")
            #expect(json["files"] as? Int == 6)
            #expect(!FileManager.default.fileExists(atPath: dir + "/dst"))
            #expect(try CLI.cacheKeys(dir + "/empty-cache", home: dir).isEmpty)
        }
    }

    @Test func nothingAnywhereGivesAnEmptyDirectoryAndFailOnCacheMissExits3() async throws {
        try await withSetup("co-none") { _, dir, inputs in
            let restored = try restore(dir, into: dir + "/dst", inputs)
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(try CLI.json(restored.stdout)["source"] as? String == "none")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/dst").isEmpty)
            let failing = try restore(dir, into: dir + "/dst", inputs, ["INPUT_FAIL-ON-CACHE-MISS": "true"])
            #expect(failing.status == 3)
        }
    }

    @Test func anUnreachableS3WarnsRecordsPendingAndExits0() async throws {
        try await withSetup("co-dead") { _, dir, inputs in
            let dead = inputs.merging(["INPUT_S3-ENDPOINT": "http://127.0.0.1:1"]) { $1 }
            let saved = try save(dir, dead)
            #expect(saved.status == 0, "\(saved.stderr)")
            #expect(saved.stderr.contains("warning: S3 write-through"))
            let json = try CLI.json(saved.stdout)
            #expect(json["outcome"] as? String == "saved")
            #expect((json["s3"] as? [String: Any])?["outcome"] as? String == "failed")
            let pending = dir + "/state/s3_failures.json"
            let entries =
                try #require(
                    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: pending)))
                        as? [String: Any])["entries"] as? [[String: Any]]
            #expect(entries?.count == 1)
            #expect(entries?.first?["endpoint"] as? String == "http://127.0.0.1:1")
            let text = try String(contentsOfFile: pending, encoding: .utf8)
            for secret in CLI.secrets { #expect(!text.contains(secret)) }

            let restored = try restore(dir, into: dir + "/dst", dead)
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(try CLI.json(restored.stdout)["source"] as? String == "primary")
            #expect(try SyncCLITests.contents(dir + "/dst") == SyncCLITests.contents(dir + "/src"))
        }
    }

    @Test func failureModeFailMakesAnS3FailureFatal() async throws {
        try await withSetup("co-fail") { _, dir, inputs in
            let dead = inputs.merging(["INPUT_S3-ENDPOINT": "http://127.0.0.1:1", "INPUT_S3-FAILURE-MODE": "fail"]) {
                $1
            }
            let saved = try save(dir, dead)
            #expect(saved.status == 1, "\(saved.stdout)\n\(saved.stderr)")
            #expect(saved.stderr.contains("s3-failure-mode: fail"))
            #expect(FileManager.default.fileExists(atPath: dir + "/state/s3_failures.json"))
        }
    }

    @Test func s3BackupFalseMakesNoS3RequestAtAll() async throws {
        let counter = try ConnectionCounter()
        defer { counter.stop() }
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            try SyncCLITests.makeTree(dir + "/src")
            var inputs = CLI.s3Inputs(bucket: "never-contacted", endpoint: counter.url)
            inputs["INPUT_S3-BACKUP"] = "false"
            inputs["INPUT_KEY"] = "k"
            inputs["INPUT_CACHE-DIR"] = dir + "/cache"
            inputs["INPUT_STATE-DIR"] = dir + "/state"
            #expect(try save(dir, inputs).status == 0)
            #expect(try restore(dir, into: dir + "/dst", inputs).status == 0)
            #expect(try restore(dir, into: dir + "/dst", inputs, ["INPUT_KEY": "other"]).status == 0)
            #expect(counter.connections == 0)

            // The same inputs with s3-backup on do reach the endpoint (so the counter can see requests).
            inputs["INPUT_S3-BACKUP"] = "true"
            #expect(try save(dir, inputs).status == 0)
            #expect(counter.connections > 0)
        }
    }

    @Test(arguments: [
        (["INPUT_S3-BUCKET": "Bad_Bucket"], "s3-bucket"),
        (["INPUT_S3-BUCKET": ""], "s3-bucket"),
        (["INPUT_S3-PREFIX": "../escape"], "s3-prefix"),
        (["INPUT_S3-PREFIX": "/rooted"], "s3-prefix"),
        // A secret pasted into an input is redacted from the error (CoordinatorCLI.run checks every output).
        (["INPUT_S3-PREFIX": "../" + CoordinatorCLI.fakeSecret], "s3-prefix"),
        (["INPUT_AGENT-IDENTITY": "slack"], "agent-identity"),
        (["INPUT_S3-ENDPOINT": "ftp://127.0.0.1:4566"], "s3-endpoint"),
        (["INPUT_S3-BACKUP": "yes"], "s3-backup"),
        (["INPUT_S3-FAILURE-MODE": "ignore"], "s3-failure-mode"),
        (["INPUT_PRIMARY": "redis"], "primary"),
        (["INPUT_PRIMARY": "github"], "primary"),
        (["INPUT_CACHE-MODE": "readonly"], "cache-mode"),
        (["INPUT_FAIL-ON-CACHE-MISS": "1"], "fail-on-cache-miss"),
        (["INPUT_LOOKUP-ONLY": "maybe"], "lookup-only"),
        (["INPUT_MAX-SYNC-SIZE": "lots"], "max-sync-size"),
        (["INPUT_S3-SSE": "rot13"], "s3-sse"),
        (["INPUT_KEY": String(repeating: "k", count: 513)], "key"),
    ])
    func invalidInputsExit2NamingTheInput(_ bad: [String: String], _ input: String) async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            try SyncCLITests.makeTree(dir + "/src")
            var inputs = CLI.s3Inputs(bucket: "some-bucket", endpoint: "http://127.0.0.1:1")
            inputs["INPUT_STORAGE-PATH"] = dir + "/src"
            inputs.merge(bad) { $1 }
            for command in ["restore", "save"] {
                let result = try CLI.run([command], environment: CLI.environment(home: dir, inputs))
                #expect(result.status == 2, "\(command): \(result.stderr)")
                #expect(result.stderr.contains("invalid input \(input)"), "\(command): \(result.stderr)")
                #expect(!FileManager.default.fileExists(atPath: dir + "/xdg-cache/storage-cache/index.json"))
            }
        }
    }

    @Test func flagsWinOverInputVariables() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            try SyncCLITests.makeTree(dir + "/src")
            let inputs = [
                "INPUT_KEY": "from-input", "INPUT_STORAGE-PATH": dir + "/nope", "INPUT_CACHE-DIR": dir + "/cache",
                "INPUT_S3-BACKUP": "true", "INPUT_S3-BUCKET": "Invalid_Bucket",
            ]
            let saved = try CLI.run(
                ["save", "--key", "from-flag", "--path", dir + "/src", "--no-s3-backup", "--json"],
                environment: CLI.environment(home: dir, inputs))
            #expect(saved.status == 0, "\(saved.stderr)")
            #expect(try CLI.json(saved.stdout)["key"] as? String == "from-flag")
            #expect(try CLI.cacheKeys(dir + "/cache", home: dir) == ["from-flag"])
        }
    }

    @Test func theDefaultKeyComesFromIdentityRepoAndOS() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            try SyncCLITests.makeTree(dir + "/.local/share/opencode")
            let environment = CLI.environment(
                home: dir, ["GITHUB_REPOSITORY": "Owner/Repo", "RUNNER_OS": "Linux", "INPUT_CACHE-DIR": dir + "/c"])
            let saved = try CLI.run(["save", "--json"], environment: environment)
            #expect(saved.status == 0, "\(saved.stderr)")
            let json = try CLI.json(saved.stdout)
            #expect(json["key"] as? String == "opencode-storage-github-Owner-Repo-Linux")
            #expect(json["source"] as? String == dir + "/.local/share/opencode")
        }
    }
}
