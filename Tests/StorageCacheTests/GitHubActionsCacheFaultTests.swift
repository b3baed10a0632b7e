import Foundation
import Testing

@testable import StorageCache

/// Failure injection on the fake cache service: each fault is retried or reported, nothing is corrupted, the
/// destination of a failed restore is untouched, and no secret reaches the logs or an error.
@Suite("GitHubActionsCacheStore faults")
struct GitHubActionsCacheFaultTests {
    struct Setup {
        let fake: FakeActionsCache
        let temp: TemporaryDirectory
        let logs: CapturedLogs
        let store: GitHubActionsCacheStore
    }

    func setup(blockSize: Int64 = 32 << 20, maxEntryBytes: Int64 = 10 << 30, stall: Duration = .seconds(60))
        throws -> Setup
    {
        let fake = try FakeActionsCache()
        let temp = try TemporaryDirectory()
        let logs = CapturedLogs()
        let store = fake.store(
            logs: logs, temporaryDirectory: temp.sub("tmp"), blockSize: blockSize, maxEntryBytes: maxEntryBytes,
            stallTimeout: stall)
        try TreeFixture.labelled(temp.sub("src"), "payload", bulk: 300_000)
        try TreeFixture.labelled(temp.sub("dest"), "old")
        return Setup(fake: fake, temp: temp, logs: logs, store: store)
    }

    func caught(_ body: () async throws(StoreError) -> Void) async -> StoreError? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["deny_write_403", "deny_write_ok_false"])
    func aReadOnlyTokenIsAVisibleWarningNeverASilentSuccess(fault: String) async throws {
        let s = try setup()
        try s.fake.inject([fault: 1])
        let error = await caught { () async throws(StoreError) in
            _ = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("write denied") == true)
        #expect(s.logs.all.contains { $0.hasPrefix("warning") && $0.contains("write denied") })
        #expect(try s.fake.stats()["blob-put"] == nil)
        #expect(try await s.store.lookup(key: "k", restoreKeys: []).outcome == .miss)
        try expectNoSecrets(s.logs, s.fake, also: [error?.message ?? ""])
    }

    @Test func throttlingWithRetryAfterAndServerErrorsAreRetried() async throws {
        let s = try setup(blockSize: 64 << 10)
        try s.fake.inject(["twirp_429": 1, "twirp_500": 2, "blob_500": 2, "blob_429": 1])
        let started = ContinuousClock.now
        let saved = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        #expect(saved.outcome == .saved)
        #expect(ContinuousClock.now - started >= .seconds(1))  // Retry-After: 1 was honoured
        try s.fake.inject(["twirp_500": 1, "blob_500": 1])
        let restored = try await s.store.restore(key: "k", into: s.temp.sub("dest"))
        #expect(restored.outcome == .hit)
        #expect(TreeFixture.fingerprint(s.temp.sub("dest")) == TreeFixture.fingerprint(s.temp.sub("src")))
        #expect(s.logs.all.contains { $0.contains("HTTP 429") && $0.contains("retrying in 1.0 seconds") })
        try expectNoSecrets(s.logs, s.fake)
    }

    @Test func persistentServerErrorsFailTheRestoreAndLeaveTheDestination() async throws {
        let s = try setup()
        _ = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        let before = TreeFixture.fingerprint(s.temp.sub("dest"))
        try s.fake.inject(["blob_500": 1000])
        let error = await caught { () async throws(StoreError) in
            _ = try await s.store.restore(key: "k", into: s.temp.sub("dest"))
        }
        #expect(error?.code == .io)
        #expect(error?.message.contains("untouched") == true)
        #expect(TreeFixture.fingerprint(s.temp.sub("dest")) == before)
        try expectNoSecrets(s.logs, s.fake, also: [error?.message ?? ""])
    }

    @Test func aTruncatedDownloadIsResumedWithARangedRetry() async throws {
        let s = try setup(blockSize: 64 << 10)
        _ = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        try s.fake.inject(["truncate_download": 3])
        let restored = try await s.store.restore(key: "k", into: s.temp.sub("dest"))
        #expect(restored.outcome == .hit)
        #expect(TreeFixture.fingerprint(s.temp.sub("dest")) == TreeFixture.fingerprint(s.temp.sub("src")))
        #expect(s.logs.all.contains { $0.contains("resuming") })
        try expectNoSecrets(s.logs, s.fake)
    }

    @Test func aStalledDownloadTimesOutAndResumes() async throws {
        let s = try setup(stall: .seconds(1))
        _ = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        try s.fake.inject(["stall_download": 1])
        let restored = try await s.store.restore(key: "k", into: s.temp.sub("dest"))
        #expect(restored.outcome == .hit)
        #expect(TreeFixture.fingerprint(s.temp.sub("dest")) == TreeFixture.fingerprint(s.temp.sub("src")))
        try expectNoSecrets(s.logs, s.fake)
    }

    @Test func aDamagedDownloadIsCorruptedAndLeavesTheDestination() async throws {
        let s = try setup()
        _ = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        let before = TreeFixture.fingerprint(s.temp.sub("dest"))
        try s.fake.inject(["corrupt_download": 100])
        let restored = try await s.store.restore(key: "k", into: s.temp.sub("dest"))
        #expect(restored.outcome == .corrupted)
        #expect(restored.message?.contains("untouched") == true)
        #expect(TreeFixture.fingerprint(s.temp.sub("dest")) == before)
        try expectNoSecrets(s.logs, s.fake)
    }

    @Test func anExpiredDownloadURLIsAskedForAgain() async throws {
        let s = try setup()
        _ = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        try s.fake.inject(["expire_download_url": 1])
        let restored = try await s.store.restore(key: "k", into: s.temp.sub("dest"))
        #expect(restored.outcome == .hit)
        try expectNoSecrets(s.logs, s.fake)
    }

    @Test func aURLThatKeepsExpiringFailsAndLeavesTheDestination() async throws {
        let s = try setup()
        _ = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        let before = TreeFixture.fingerprint(s.temp.sub("dest"))
        try s.fake.inject(["expire_download_url": 100])
        let error = await caught { () async throws(StoreError) in
            _ = try await s.store.restore(key: "k", into: s.temp.sub("dest"))
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("expired") == true)
        #expect(TreeFixture.fingerprint(s.temp.sub("dest")) == before)
        try expectNoSecrets(s.logs, s.fake, also: [error?.message ?? ""])
    }

    @Test func anOversizeEntryIsRefusedBeforeAnythingIsSent() async throws {
        let s = try setup(maxEntryBytes: 1000)
        let error = await caught { () async throws(StoreError) in
            _ = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains("over the GitHub Actions cache limit") == true)
        let stats = try s.fake.stats()
        #expect(stats["CreateCacheEntry"] == nil)
        #expect(stats["blob-put"] == nil)
    }

    @Test func anEntryTheServiceRefusesAsTooLargeIsAnError() async throws {
        let s = try setup()
        try s.fake.inject(["max_entry_bytes": 1000])
        let error = await caught { () async throws(StoreError) in
            _ = try await s.store.save(directory: s.temp.sub("src"), key: "k", options: SaveOptions())
        }
        #expect(error?.code == .io)
        #expect(error?.message.contains("finalize") == true)
        #expect(try await s.store.lookup(key: "k", restoreKeys: []).outcome == .miss)
        try expectNoSecrets(s.logs, s.fake, also: [error?.message ?? ""])
    }
}
