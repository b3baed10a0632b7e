import Foundation
import Logging
import StorageCache
import Testing

/// Freshness through the action's launchers (`node dist/main.js` / `post.js`): the post step pushes on the
/// generation its main step restored (`STATE_s3-generation`), so an older job never replaces a newer save.
@Suite(.enabled(if: S3TestEnvironment.shouldRun && ActionRunner.canRun), .serialized)
struct FreshnessActionTests {
    typealias CLI = CoordinatorCLI

    @Test func anOlderJobsPostStepDoesNotReplaceANewerSave() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("fresh-action", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let with = CLI.s3Inputs(bucket: bucket).reduce(into: [String: String]()) { result, pair in
                    result[String(pair.key.dropFirst("INPUT_".count)).lowercased()] = pair.value
                }
                let storage = dir + "/home/.local/share/opencode"
                func host(_ name: String) throws -> ActionRunner {
                    var runner = try ActionRunner(directory: dir, with: with)
                    runner.environment["INPUT_CACHE-DIR"] = dir + "/cache-" + name
                    return runner
                }
                let location = try SyncLocation(bucket: bucket, agentIdentity: .github, repo: "owner/repo")
                let witness = SyncEngine(client: client, location: location, logger: Logger(label: "t"))

                // Job 1: nothing stored (generation 0), the post step pushes generation 1.
                let first = try host("1").main()
                #expect(first.state["s3-generation"] == "0", "\(first.state)")
                try SyncCLITests.makeTree(storage)
                #expect(try host("1").post(state: first.state).status == 0)
                #expect(try await witness.readHead()?.generation == 1)

                // Jobs 2 and 3 start on other hosts from generation 1; job 2 saves first.
                try FileManager.default.removeItem(atPath: storage)
                let second = try host("2").main()
                #expect(second.outputs["s3-generation"] == "1" && second.state["s3-generation"] == "1")
                let third = try host("3").main()
                #expect(third.state["s3-generation"] == "1")
                try Data("job 2\n".utf8).write(to: URL(fileURLWithPath: storage + "/job2.txt"))
                let saved = try host("2").post(state: second.state)
                #expect(saved.status == 0, "\(saved.stdout)\n\(saved.stderr)")
                #expect(try await witness.readHead()?.generation == 2)

                // Job 3's post step is built on generation 1: a warning, S3 keeps generation 2.
                try FileManager.default.removeItem(atPath: storage + "/job2.txt")
                try Data("job 3\n".utf8).write(to: URL(fileURLWithPath: storage + "/job3.txt"))
                let stale = try host("3").post(state: third.state)
                #expect(stale.status == 0, "\(stale.stdout)\n\(stale.stderr)")
                #expect(stale.stdout.contains("::warning::") && stale.stdout.contains("S3 holds generation 2"))
                let current = try #require(try await witness.readManifest())
                #expect(current.manifest.generation == 2)
                #expect(current.manifest.files.contains { $0.path == "job2.txt" })
                #expect(!current.manifest.files.contains { $0.path == "job3.txt" })
            }
        }
    }
}
