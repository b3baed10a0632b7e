import Foundation
import Logging
import S3
import StorageCache
import Testing

/// Freshness through the built binary, as the action's split steps run it: `restore` leaves the generation in
/// `$GITHUB_STATE`, `save` pushes conditionally on it (`STATE_s3-generation`).
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct FreshnessCLITests {
    typealias CLI = CoordinatorCLI
    typealias F = Freshness

    func withSetup(
        _ label: String, _ body: (_ bucket: String, _ dir: String, _ inputs: [String: String]) async throws -> Void
    ) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket(label, client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                var inputs = CLI.s3Inputs(bucket: bucket)
                inputs["INPUT_PRIMARY"] = "local"
                inputs["INPUT_CACHE-DIR"] = dir + "/cache"
                inputs["INPUT_STATE-DIR"] = dir + "/state"
                try await body(bucket, dir, inputs)
            }
        }
    }

    func run(_ command: String, _ dir: String, _ inputs: [String: String], _ extra: [String: String] = [:])
        throws -> ProcessOutput
    {
        try CLI.run([command, "--json"], environment: CLI.environment(home: dir, inputs.merging(extra) { $1 }))
    }

    /// Runner files for one step: `GITHUB_ACTIONS`, `GITHUB_OUTPUT`, `GITHUB_STATE`, `GITHUB_STEP_SUMMARY`.
    func runner(_ dir: String, _ step: String) -> [String: String] {
        [
            "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": dir + "/\(step).output", "GITHUB_STATE": dir + "/\(step).state",
            "GITHUB_STEP_SUMMARY": dir + "/\(step).summary",
        ]
    }

    func manifestGeneration(_ bucket: String) async throws -> Int? {
        let location = try SyncLocation(bucket: bucket, agentIdentity: .github, repo: "owner/repo")
        let engine = SyncEngine(
            client: try S3TestEnvironment.makeClient(), location: location, logger: Logger(label: "t"))
        return try await engine.readManifest()?.manifest.generation
    }

    @Test func aRestoreKeyHitGetsGeneration2AndAStaleSaveStepDoesNotRollS3Back() async throws {
        try await withSetup("fresh-cli") { bucket, dir, inputs in
            // Generation 1 to both stores, generation 2 to S3 only.
            try F.writeTree(dir + "/a", version: 1)
            let first = try run("save", dir, inputs, ["INPUT_KEY": "bot-1", "INPUT_STORAGE-PATH": dir + "/a"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect((try CLI.json(first.stdout)["s3"] as? [String: Any])?["generation"] as? Int == 1)
            try F.writeTree(dir + "/b", version: 2)
            let second = try run(
                "save", dir, inputs, ["INPUT_KEY": "bot-1", "INPUT_STORAGE-PATH": dir + "/b", "INPUT_PRIMARY": "none"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(try await manifestGeneration(bucket) == 2)

            // Through a restore key: S3's generation 2 wins, and the outputs say so.
            let restored = try run(
                "restore", dir, inputs,
                runner(dir, "c").merging([
                    "INPUT_KEY": "bot-2", "INPUT_RESTORE-KEYS": "bot-", "INPUT_STORAGE-PATH": dir + "/c",
                ]) { $1 })
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(F.version(dir + "/c") == "generation 2")
            let json = try CLI.json(restored.stdout)
            #expect(json["source"] as? String == "s3" && json["generation"] as? Int == 2)
            let outputs = try CLI.parseRunnerFile(dir + "/c.output")
            #expect(outputs["cache-source"] == "s3")
            #expect(outputs["s3-generation"] == "2")
            #expect(outputs["cache-source-reason"]?.contains("S3 generation 2 is newer") == true, "\(outputs)")
            #expect(try CLI.parseRunnerFile(dir + "/c.state")["s3-generation"] == "2")
            let summary = try String(contentsOfFile: dir + "/c.summary", encoding: .utf8)
            #expect(summary.contains("| Why | S3 generation 2 is newer"), "\(summary)")

            // The stale host: restore step (primary-first exact hit: generation 1), an edit, the post step.
            let stale = try run(
                "restore", dir, inputs,
                runner(dir, "d").merging([
                    "INPUT_KEY": "bot-1", "INPUT_RESTORE-ORDER": "primary-first", "INPUT_STORAGE-PATH": dir + "/d",
                ]) { $1 })
            #expect(stale.status == 0, "\(stale.stderr)")
            #expect(F.version(dir + "/d") == "generation 1")
            let state = try CLI.parseRunnerFile(dir + "/d.state")
            #expect(state["s3-generation"] == "1" && state["key"] == "bot-1", "\(state)")
            try Data("stale edit\n".utf8).write(to: URL(fileURLWithPath: dir + "/d/stale.txt"))
            var post = runner(dir, "post")
            for (name, value) in state { post["STATE_" + name] = value }
            post["INPUT_STORAGE-PATH"] = dir + "/d"
            let saved = try run("save", dir, inputs, post)
            #expect(saved.status == 0, "a conflict is a warning: \(saved.stderr)")
            #expect(saved.stdout.contains("::warning::"), "\(saved.stdout)")
            let s3 = try #require(try CLI.json(saved.stdout)["s3"] as? [String: Any])
            #expect(s3["outcome"] as? String == "conflict" && s3["generation"] as? Int == 2, "\(s3)")
            let conflict = try #require(s3["conflict"] as? [String: Any])
            let record = try #require(conflict["recordKey"] as? String)
            #expect(record.hasPrefix("opencode-storage/github/owner-repo/conflicts/2-") && record.hasSuffix(".json"))
            #expect(try await manifestGeneration(bucket) == 2, "S3 was not rolled back")
            #expect(try await SyncCLITests.keys(try S3TestEnvironment.makeClient(), bucket).contains(record))

            // With s3-failure-mode: fail the conflict fails the step (exit 1); S3 still holds generation 2.
            let failing = try run("save", dir, inputs, post.merging(["INPUT_S3-FAILURE-MODE": "fail"]) { $1 })
            #expect(failing.status == 1, "\(failing.stdout)\(failing.stderr)")
            #expect(try await manifestGeneration(bucket) == 2)
        }
    }

    @Test func theBaseGenerationFlagMakesAStaleSaveAConflictAndABadValueExits2NamingIt() async throws {
        try await withSetup("fresh-flag") { bucket, dir, inputs in
            try F.writeTree(dir + "/a", version: 1)
            let base = ["INPUT_STORAGE-PATH": dir + "/a", "INPUT_PRIMARY": "none"]
            #expect(try run("save", dir, inputs, base.merging(["INPUT_KEY": "k-1"]) { $1 }).status == 0)
            try F.writeTree(dir + "/a", version: 2)
            #expect(try run("save", dir, inputs, base.merging(["INPUT_KEY": "k-2"]) { $1 }).status == 0)
            #expect(try await manifestGeneration(bucket) == 2)

            // Built on generation 1 (the flag wins over the input saying 2): a conflict, S3 keeps generation 2.
            try F.writeTree(dir + "/a", version: 3)
            let environment = CLI.environment(
                home: dir, inputs.merging(base) { $1 }.merging(["INPUT_S3-BASE-GENERATION": "2"]) { $1 })
            let stale = try CLI.run(
                ["save", "--json", "--key", "k-3", "--s3-base-generation", "1"], environment: environment)
            #expect(stale.status == 0, "a conflict is a warning: \(stale.stderr)")
            let s3 = try #require(try CLI.json(stale.stdout)["s3"] as? [String: Any])
            #expect(s3["outcome"] as? String == "conflict", "\(s3)")
            #expect(try await manifestGeneration(bucket) == 2)

            // Built on 2: the push lands as generation 3.
            let current = try CLI.run(
                ["save", "--json", "--key", "k-4", "--s3-base-generation", "2"], environment: environment)
            #expect(current.status == 0, "\(current.stderr)")
            #expect(try await manifestGeneration(bucket) == 3)

            let bad = try CLI.run(["save", "--key", "k-5", "--s3-base-generation", "latest"], environment: environment)
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("--s3-base-generation") && bad.stderr.contains("latest"), "\(bad.stderr)")
        }
    }

    @Test func anExactHitUnderPrimaryFirstMakesNoS3RequestAndNewestAsksOnce() async throws {
        try await withSetup("fresh-cli-count") { _, dir, inputs in
            try F.writeTree(dir + "/a", version: 1)
            let saved = try run("save", dir, inputs, ["INPUT_KEY": "k", "INPUT_STORAGE-PATH": dir + "/a"])
            #expect(saved.status == 0, "\(saved.stderr)")
            let counter = try ConnectionCounter()
            defer { counter.stop() }
            let dead = ["INPUT_KEY": "k", "INPUT_S3-ENDPOINT": counter.url]

            let exact = try run(
                "restore", dir, inputs,
                dead.merging(["INPUT_RESTORE-ORDER": "primary-first", "INPUT_STORAGE-PATH": dir + "/p"]) { $1 })
            #expect(exact.status == 0, "\(exact.stderr)")
            #expect(try CLI.json(exact.stdout)["source"] as? String == "primary")
            #expect(counter.connections == 0, "primary-first with an exact hit must not contact S3")

            let newest = try run("restore", dir, inputs, dead.merging(["INPUT_STORAGE-PATH": dir + "/n"]) { $1 })
            #expect(newest.status == 0, "\(newest.stderr)")
            let json = try CLI.json(newest.stdout)
            #expect(json["source"] as? String == "primary")
            #expect((json["warnings"] as? [String])?.contains { $0.contains("manifest head") } == true, "\(json)")
            #expect(counter.connections > 0, "newest reads the S3 head")
            #expect(F.version(dir + "/n") == "generation 1")
        }
    }

    @Test func s3FirstFlagAndAnInvalidOrderExit2NamingIt() async throws {
        try await withSetup("fresh-cli-order") { _, dir, inputs in
            try F.writeTree(dir + "/a", version: 1)
            #expect(try run("save", dir, inputs, ["INPUT_KEY": "k", "INPUT_STORAGE-PATH": dir + "/a"]).status == 0)
            let environment = CLI.environment(
                home: dir, inputs.merging(["INPUT_KEY": "k", "INPUT_STORAGE-PATH": dir + "/s"]) { $1 })
            let s3First = try CLI.run(["restore", "--json", "--restore-order", "s3-first"], environment: environment)
            #expect(s3First.status == 0, "\(s3First.stderr)")
            let json = try CLI.json(s3First.stdout)
            #expect(json["source"] as? String == "s3" && json["sourceReason"] as? String == "restore-order s3-first")

            let badInput = try run("restore", dir, inputs, ["INPUT_KEY": "k", "INPUT_RESTORE-ORDER": "oldest"])
            #expect(badInput.status == 2)
            #expect(
                badInput.stderr.contains("restore-order") && badInput.stderr.contains("oldest"), "\(badInput.stderr)")
            let badFlag = try CLI.run(["restore", "--restore-order", "sideways"], environment: environment)
            #expect(badFlag.status == 2)
            #expect(badFlag.stderr.contains("--restore-order"), "\(badFlag.stderr)")
        }
    }
}
