import Foundation
import StorageCache
import Testing

/// The action through its launcher (`node dist/main.js` / `post.js`) with the GitHub Actions cache as the primary:
/// the fake cache service (`ActionsCacheService`) at `ACTIONS_RESULTS_URL` and LocalStack as S3.
@Suite(.enabled(if: S3TestEnvironment.shouldRun && ActionRunner.canRun), .serialized)
struct ActionLauncherGitHubCacheTests {
    typealias CLI = CoordinatorCLI
    static let key = "opencode-storage-github-owner-repo-Linux"

    /// A runner whose job sees the fake service (`primary: auto` picks it) and LocalStack as S3.
    static func runner(_ dir: String, service: ActionsCacheService, bucket: String, with: [String: String] = [:])
        throws -> ActionRunner
    {
        var inputs = CLI.s3Inputs(bucket: bucket).reduce(into: [String: String]()) { result, pair in
            result[String(pair.key.dropFirst("INPUT_".count)).lowercased()] = pair.value
        }
        inputs["state-dir"] = dir + "/state"
        inputs.merge(with) { $1 }
        var runner = try ActionRunner(directory: dir, with: inputs)
        runner.environment["ACTIONS_RESULTS_URL"] = service.resultsURL
        runner.environment["ACTIONS_CACHE_SERVICE_V2"] = "True"
        return runner
    }

    static var storage: String { "/home/.local/share/opencode" }

    @Test func saveThenRestoreIsAPrimaryHitFromTheActionsCache() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("gha-hit", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try await ActionsCacheService.with { service in
                    let runner = try Self.runner(dir, service: service, bucket: bucket)
                    let first = try runner.main()
                    #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
                    #expect(first.stdout.contains("::add-mask::\(CLI.fakeRuntimeToken)"))
                    #expect(first.outputs["primary-store"] == "github-actions")
                    #expect(first.outputs["cache-source"] == "none")
                    var stats = try await service.stats()
                    #expect(stats.calls.map(\.method) == ["GetCacheEntryDownloadURL"])
                    #expect(stats.calls.first?.key == Self.key)

                    try SyncCLITests.makeTree(dir + Self.storage)
                    let post = try runner.post(state: first.state)
                    #expect(post.status == 0, "\(post.stdout)\n\(post.stderr)")
                    #expect(post.summary.contains("| Primary store | github-actions |"))
                    stats = try await service.stats()
                    #expect(stats.count("CreateCacheEntry") == 1)
                    #expect(stats.count("FinalizeCacheEntryUpload") == 1)
                    #expect(stats.count("put-blob") == 1)
                    // The version is actions/cache's for the path as the workflow wrote it.
                    let version = GitHubActionsCacheVersion.compute(
                        paths: ["~/.local/share/opencode"], compressionMethod: "zstd")
                    #expect(stats.entries == [Self.key: version])
                    let keys = try await SyncCLITests.keys(client, bucket)
                    #expect(keys.contains("opencode-storage/github/owner-repo/manifest.json"))

                    // A fresh host: the Actions cache answers; S3 is not asked.
                    try FileManager.default.removeItem(atPath: dir + Self.storage)
                    let before = try await service.stats()
                    let second = try runner.main()
                    #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
                    #expect(second.outputs["cache-source"] == "primary")
                    #expect(second.outputs["cache-hit"] == "true")
                    #expect(second.outputs["cache-matched-key"] == Self.key)
                    #expect(second.outputs["restored-files"] == "6")
                    #expect(second.outputs["primary-store"] == "github-actions")
                    #expect(second.summary.contains("| Primary (github-actions) | hit |"))
                    #expect(!second.summary.contains("| S3 |"), "S3 was asked: \(second.summary)")
                    let after = try await service.stats()
                    #expect(after.count("GetCacheEntryDownloadURL") == before.count("GetCacheEntryDownloadURL") + 1)
                    #expect(after.count("blob-get") > before.count("blob-get"))
                    #expect(after.count("CreateCacheEntry") == 1, "a hit saves nothing")
                    let restored = try SyncCLITests.contents(dir + Self.storage)
                    #expect(restored["top.txt"] == Data("top".utf8))
                }
            }
        }
    }

    @Test func anActionsCacheMissRestoresFromS3AndWarmsTheActionsCache() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("gha-s3", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                // S3 holds the state (saved by a host without the Actions cache: primary none).
                try SyncCLITests.makeTree(dir + Self.storage)
                try await ActionsCacheService.with { seed in
                    let seeding = try Self.runner(dir, service: seed, bucket: bucket, with: ["primary": "none"])
                    let saved = try seeding.post(state: [:])
                    #expect(saved.status == 0, "\(saved.stdout)\n\(saved.stderr)")
                    #expect(try await seed.stats().total == 0, "primary none: no Actions cache request")
                }
                try FileManager.default.removeItem(atPath: dir + Self.storage)

                try await ActionsCacheService.with { service in
                    let runner = try Self.runner(dir, service: service, bucket: bucket)
                    let restored = try runner.main()
                    #expect(restored.status == 0, "\(restored.stdout)\n\(restored.stderr)")
                    #expect(restored.outputs["cache-source"] == "s3")
                    #expect(restored.outputs["cache-hit"] == "true")
                    #expect(restored.outputs["restored-files"] == "6")
                    #expect(restored.outputs["primary-store"] == "github-actions")
                    #expect(restored.summary.contains("| Primary warmed | yes |"))
                    let stats = try await service.stats()
                    // Lookup (miss), then the warming save: exact-key check, reserve, upload, finalize.
                    #expect(
                        stats.calls.map(\.method) == [
                            "GetCacheEntryDownloadURL", "GetCacheEntryDownloadURL", "CreateCacheEntry",
                            "FinalizeCacheEntryUpload",
                        ])
                    #expect(stats.count("blob-get") == 0)
                    #expect(Array(stats.entries.keys) == [Self.key])

                    // The next job finds the warmed entry in the Actions cache.
                    try FileManager.default.removeItem(atPath: dir + Self.storage)
                    let next = try runner.main()
                    #expect(next.outputs["cache-source"] == "primary", "\(next.stdout)")
                    #expect(next.outputs["restored-files"] == "6")
                }
            }
        }
    }

    @Test func aRestoreKeyPrefixHitsTheNewestEntry() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("gha-prefix", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try await ActionsCacheService.with { service in
                    try SyncCLITests.makeTree(dir + Self.storage)
                    for (index, key) in ["agent-run-1", "agent-run-2"].enumerated() {
                        try Data("gen \(index)".utf8).write(to: URL(fileURLWithPath: dir + Self.storage + "/gen.txt"))
                        let saver = try Self.runner(dir, service: service, bucket: bucket, with: ["key": key])
                        let saved = try saver.post(state: [:])
                        #expect(saved.status == 0, "\(saved.stdout)\n\(saved.stderr)")
                    }
                    try FileManager.default.removeItem(atPath: dir + Self.storage)
                    let runner = try Self.runner(
                        dir, service: service, bucket: bucket,
                        with: ["key": "agent-run-3", "restore-keys": "agent-run-\nagent-"])
                    let restored = try runner.main()
                    #expect(restored.status == 0, "\(restored.stdout)\n\(restored.stderr)")
                    #expect(restored.outputs["cache-source"] == "primary")
                    #expect(restored.outputs["cache-hit"] == "false", "a prefix match is not an exact hit")
                    #expect(restored.outputs["cache-matched-key"] == "agent-run-2")
                    let gen = try String(contentsOfFile: dir + Self.storage + "/gen.txt", encoding: .utf8)
                    #expect(gen == "gen 1")
                    let lookup = try #require(try await service.stats().calls.last)
                    #expect(lookup.method == "GetCacheEntryDownloadURL")
                    #expect(lookup.key == "agent-run-3")
                    #expect(lookup.restoreKeys == ["agent-run-", "agent-"])
                }
            }
        }
    }

    @Test func primaryGithubWithoutTheRuntimeVariablesIsExit2AndAutoIsLocal() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            var runner = try ActionRunner(directory: dir, with: ["primary": "github", "cache-dir": dir + "/cache"])
            runner.environment.removeValue(forKey: "ACTIONS_RESULTS_URL")
            let refused = try runner.main()
            #expect(refused.status == 2, "\(refused.stdout)\n\(refused.stderr)")
            #expect(refused.stdout.contains("::error::invalid input primary"))
            #expect(refused.stdout.contains("ACTIONS_RESULTS_URL"))
            #expect(!refused.stdout.contains("ACTIONS_RUNTIME_TOKEN and"), "the token is set: \(refused.stdout)")

            var auto = runner
            auto.environment["INPUT_PRIMARY"] = "auto"
            let local = try auto.main()
            #expect(local.status == 0, "\(local.stdout)\n\(local.stderr)")
            #expect(local.outputs["primary-store"] == "local")

            // GitHub Enterprise Server has only the v1 cache service: auto stays local, github is refused.
            var enterprise = runner
            enterprise.environment["ACTIONS_RESULTS_URL"] = "http://127.0.0.1:1/"
            enterprise.environment["GITHUB_SERVER_URL"] = "https://ghes.example.internal"
            let ghes = try enterprise.main()
            #expect(ghes.status == 2)
            #expect(ghes.stdout.contains("GitHub Enterprise Server"))
            enterprise.environment["INPUT_PRIMARY"] = "auto"
            #expect(try enterprise.main().outputs["primary-store"] == "local")
        }
    }
}
