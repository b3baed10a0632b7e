import Foundation
import Tarball
import Testing

@testable import StorageCache

/// Both primary stores keep the destination's excluded paths across a restore (`keepExcluded`) and replace the
/// rest; without `keepExcluded` the whole tree is replaced, as before.
@Suite("TarballStore.restore(keepExcluded:)")
struct StoreRestoreKeepsExcludedTests {
    static let excludes = OpenCodeDefaults.excludes(includeCredentials: false) + ["*.tmp"]

    /// Saves a tree with `excludes` under `key` and restores it over a host directory holding excluded files.
    func check(_ store: some TarballStore, scratch: TemporaryDirectory) async throws {
        let source = scratch.sub("source")
        try TreeFixture.labelled(source, "saved")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: source + "/auth.json"))
        let options = SaveOptions(tarball: TarballOptions(excludes: Self.excludes))
        #expect(try await store.save(directory: source, key: "k", options: options).outcome == .saved)

        let host = scratch.sub("host")
        try FileManager.default.createDirectory(atPath: host + "/log", withIntermediateDirectories: true)
        for (path, text) in [
            ("auth.json", "host credentials"), ("log/today.log", "host log"), ("work.tmp", "host scratch"),
            ("label.txt", "old label"), ("stray.txt", "not saved"),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: host + "/" + path))
        }
        let restored = try await store.restore(
            key: "k", restoreKeys: [], into: host, keepExcluded: Self.excludes, progress: nil)
        #expect(restored.outcome == .hit)
        func text(_ path: String) -> String? { try? String(contentsOfFile: host + "/" + path, encoding: .utf8) }
        #expect(text("auth.json") == "host credentials")
        #expect(text("log/today.log") == "host log")
        #expect(text("work.tmp") == "host scratch")
        #expect(text("label.txt") == "saved")
        #expect(text("stray.txt") == nil)

        // Without keepExcluded (the old behaviour, and `cache restore`): the saved tree only.
        _ = try await store.restore(key: "k", into: host)
        #expect(text("auth.json") == nil && text("log/today.log") == nil)
        #expect(text("label.txt") == "saved")
    }

    @Test func localStoreKeepsExcludedPaths() async throws {
        let scratch = try TemporaryDirectory()
        try await check(LocalTarballStore(directory: scratch.sub("cache"), syncRestoredTree: false), scratch: scratch)
    }

    @Test func actionsCacheStoreKeepsExcludedPaths() async throws {
        let fake = try FakeActionsCache()
        let scratch = try TemporaryDirectory()
        try await check(fake.store(logs: CapturedLogs(), temporaryDirectory: scratch.sub("tmp")), scratch: scratch)
    }
}
