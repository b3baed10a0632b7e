import Foundation
import Testing

@testable import StorageCache

/// The GitHub Actions cache store against the loopback fake service: wire format, semantics, versions.
@Suite("GitHubActionsCacheStore")
struct GitHubActionsCacheStoreTests {
    @Test func versionIsComputedAsActionsCacheDoes() {
        // Expected values: Python's hashlib over "<paths>|<method>|1.0", as @actions/cache's getCacheVersion.
        #expect(
            GitHubActionsCacheVersion.compute(paths: ["~/.npm"], compressionMethod: "zstd")
                == "552589b8ab7319f24ca1d4eb019e78d2dd3b31d7022a725550211bf6eae48807")
        #expect(
            GitHubActionsCacheVersion.compute(paths: ["node_modules", "~/.cache/pip"], compressionMethod: "gzip")
                == "ea6a245115c9872da9092e5dc8476d3cfdd89c8dd9d454e5840751356c5a52d0")
        #expect(
            GitHubActionsCacheVersion.compute(paths: ["path"], compressionMethod: nil)
                == "d613d2365cc6e74db77bb2ac56f7cad428a859ad18b8f225058072f0a9962ebe")
        #expect(GitHubActionsCacheVersion.compressionMethod(.zstd()) == "zstd")
        #expect(GitHubActionsCacheVersion.compressionMethod(.gzip()) == "gzip")
    }

    @Test func fromEnvironmentNeedsTheResultsURLAndTheRuntimeToken() {
        #expect(GitHubActionsCacheStore.fromEnvironment([:]) == nil)
        #expect(GitHubActionsCacheStore.fromEnvironment(["ACTIONS_RESULTS_URL": "http://127.0.0.1:1/"]) == nil)
        #expect(
            GitHubActionsCacheStore.fromEnvironment(["ACTIONS_RESULTS_URL": "", "ACTIONS_RUNTIME_TOKEN": "t"]) == nil)
        let store = GitHubActionsCacheStore.fromEnvironment([
            "ACTIONS_RESULTS_URL": "http://127.0.0.1:1/", "ACTIONS_RUNTIME_TOKEN": "t", "RUNNER_TEMP": "/tmp/runner",
        ])
        #expect(store?.name == "github-actions")
        #expect(store?.configuration.temporaryDirectory == "/tmp/runner")
    }

    @Test func keysFollowActionsCacheRules() async throws {
        let store = GitHubActionsCacheStore(
            configuration: .init(resultsURL: "http://127.0.0.1:1/", runtimeToken: "t"))
        for (key, restoreKeys) in [("a,b", []), ("a", ["b,c"]), ("a", (1...10).map { "r\($0)" }), ("", [])] {
            await #expect(throws: StoreError.self) { try await store.lookup(key: key, restoreKeys: restoreKeys) }
        }
        #expect(CacheServiceClient.origin(of: "https://results.example/some/path?x=1") == "https://results.example")
        #expect(CacheServiceClient.origin(of: "http://127.0.0.1:8080/") == "http://127.0.0.1:8080")
    }

    @Test func saveThenRestoreByKeyAndByRestoreKeyNewestWins() async throws {
        let fake = try FakeActionsCache()
        let temp = try TemporaryDirectory()
        let logs = CapturedLogs()
        let store = fake.store(logs: logs, temporaryDirectory: temp.sub("tmp"))
        try TreeFixture.labelled(temp.sub("a"), "first")
        try TreeFixture.labelled(temp.sub("b"), "second", bulk: 2000)

        let first = try await store.save(directory: temp.sub("a"), key: "storage-linux-1", options: SaveOptions())
        #expect(first.outcome == .saved)
        let second = try await store.save(directory: temp.sub("b"), key: "storage-linux-2", options: SaveOptions())
        #expect(second.outcome == .saved)
        #expect(second.sha256 != nil)

        let exact = try await store.restore(key: "storage-linux-1", into: temp.sub("out1"))
        #expect(exact.outcome == .hit)
        #expect(exact.exactMatch)
        #expect(TreeFixture.fingerprint(temp.sub("out1")) == TreeFixture.fingerprint(temp.sub("a")))

        let prefix = try await store.restore(
            key: "storage-linux-3", restoreKeys: ["storage-linux-"], into: temp.sub("out2"))
        #expect(prefix.outcome == .hit)
        #expect(prefix.matchedKey == "storage-linux-2")
        #expect(!prefix.exactMatch)
        #expect(TreeFixture.fingerprint(temp.sub("out2")) == TreeFixture.fingerprint(temp.sub("b")))

        let lookup = try await store.lookup(key: "storage-linux-3", restoreKeys: ["storage-linux-"])
        #expect(lookup.outcome == .hit)
        #expect(lookup.matchedKey == "storage-linux-2")
        #expect(lookup.bytes == second.bytes)

        let miss = try await store.restore(key: "other", restoreKeys: ["nothing-"], into: temp.sub("out3"))
        #expect(miss.outcome == .miss)
        #expect(!FileManager.default.fileExists(atPath: temp.sub("out3")))
        #expect(try await store.lookup(key: "other", restoreKeys: []).outcome == .miss)
        try expectNoSecrets(logs, fake)
    }

    @Test func largeArchivesGoUpAsBlocksAndComeDownAsParallelRanges() async throws {
        let fake = try FakeActionsCache()
        let temp = try TemporaryDirectory()
        let logs = CapturedLogs()
        let store = fake.store(logs: logs, temporaryDirectory: temp.sub("tmp"), blockSize: 64 << 10)
        try TreeFixture.labelled(temp.sub("src"), "big", bulk: 600_000)

        let saved = try await store.save(directory: temp.sub("src"), key: "big", options: SaveOptions())
        #expect(saved.outcome == .saved)
        #expect(saved.bytes > 64 << 10)
        let blocks = Int((saved.bytes + (64 << 10) - 1) / (64 << 10))
        var stats = try fake.stats()
        #expect(stats["put-block"] == blocks)
        #expect(stats["put-block-list"] == 1)
        #expect(stats["put-blob"] == nil)

        let restored = try await store.restore(key: "big", into: temp.sub("out"))
        #expect(restored.outcome == .hit)
        #expect(TreeFixture.fingerprint(temp.sub("out")) == TreeFixture.fingerprint(temp.sub("src")))
        stats = try fake.stats()
        #expect(stats["blob-get"] == blocks + 1)  // the probe, then one ranged GET per part
        try expectNoSecrets(logs, fake)
    }

    @Test func anExistingKeyIsANoticeAndNothingIsUploaded() async throws {
        let fake = try FakeActionsCache()
        let temp = try TemporaryDirectory()
        let logs = CapturedLogs()
        let store = fake.store(logs: logs, temporaryDirectory: temp.sub("tmp"))
        try TreeFixture.labelled(temp.sub("a"), "first")
        _ = try await store.save(directory: temp.sub("a"), key: "k", options: SaveOptions())
        try TreeFixture.labelled(temp.sub("a"), "changed")
        let again = try await store.save(directory: temp.sub("a"), key: "k", options: SaveOptions(overwrite: true))
        #expect(again.outcome == .exists)
        #expect(again.message?.contains("immutable") == true)
        #expect(logs.all.contains { $0.hasPrefix("notice") && $0.contains("already exists") })
        #expect(try fake.stats()["CreateCacheEntry"] == 1)
    }

    @Test func aReservationRefusedWithoutADenialIsAnExistingEntry() async throws {
        let fake = try FakeActionsCache()
        let temp = try TemporaryDirectory()
        let logs = CapturedLogs()
        let store = fake.store(logs: logs, temporaryDirectory: temp.sub("tmp"))
        try TreeFixture.labelled(temp.sub("a"), "first")
        // Another job reserved the key but has not finalized it: the fake answers ok:false.
        try await reserve(fake, key: "k", version: store.version)
        let result = try await store.save(directory: temp.sub("a"), key: "k", options: SaveOptions())
        #expect(result.outcome == .exists)
        #expect(result.message?.contains("another job") == true)
    }

    private func reserve(_ fake: FakeActionsCache, key: String, version: String) async throws {
        let store = fake.store(logs: CapturedLogs(), temporaryDirectory: NSTemporaryDirectory())
        let outcome = try await store.service.call("CreateCacheEntry", ["key": key, "version": version])
        guard case .ok(let object) = outcome else { throw FakeActionsCache.FakeError.badAnswer }
        #expect(object.bool("ok"))
    }
}

/// Fails when the captured logs hold the runtime token or a signed URL's signature or query.
func expectNoSecrets(_ logs: CapturedLogs, _ fake: FakeActionsCache, also texts: [String] = []) throws {
    let all = ([logs.text] + texts).joined(separator: "\n")
    #expect(!all.contains(fake.token))
    #expect(!all.contains("sig="))
    #expect(!all.contains("se="))
    #expect(!all.contains("sp="))
}
