import Foundation
import StorageCache
import Testing

@Suite("LocalTarballStore: matching, immutability, corruption")
struct LocalTarballStoreTests {
    let scratch: TemporaryDirectory
    let store: LocalTarballStore

    init() throws {
        scratch = try TemporaryDirectory()
        store = LocalTarballStore(directory: scratch.sub("cache"), syncRestoredTree: false)
    }

    @discardableResult
    func save(_ label: String, as key: String, overwrite: Bool = false) async throws -> SaveResult {
        let source = scratch.sub("src-\(UUID().uuidString)")
        try TreeFixture.labelled(source, label)
        return try await store.save(directory: source, key: key, options: SaveOptions(overwrite: overwrite))
    }

    func label(at path: String) -> String? {
        FileManager.default.contents(atPath: path + "/label.txt").map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func restoreKeyPrefixPicksTheNewestMatchingEntry() async throws {
        try await save("old", as: "deps-linux-1")
        try await save("new", as: "deps-linux-2")
        try await save("mac", as: "deps-mac-9")
        let destination = scratch.sub("dst")

        let result = try await store.restore(key: "deps-linux-3", restoreKeys: ["deps-linux-"], into: destination)
        #expect(result.outcome == .hit)
        #expect(result.matchedKey == "deps-linux-2")
        #expect(result.exactMatch == false)
        #expect(label(at: destination) == "new")

        let ordered = try await store.restore(key: "x", restoreKeys: ["deps-mac-", "deps-linux-"], into: destination)
        #expect(ordered.matchedKey == "deps-mac-9")
        #expect(label(at: destination) == "mac")
    }

    @Test func exactKeyBeatsANewerPrefixMatch() async throws {
        try await save("exact", as: "build")
        try await save("newer", as: "build-2")
        let destination = scratch.sub("dst")
        let result = try await store.restore(key: "build", restoreKeys: ["build"], into: destination)
        #expect(result.outcome == .hit)
        #expect(result.matchedKey == "build")
        #expect(result.exactMatch)
        #expect(result.files == 2)
        #expect(label(at: destination) == "exact")
    }

    @Test func missLeavesTheDestinationUntouched() async throws {
        try await save("a", as: "alpha")
        let destination = scratch.sub("dst")
        try TreeFixture.labelled(destination, "mine")
        let result = try await store.restore(key: "beta", restoreKeys: ["gamma"], into: destination)
        #expect(result.outcome == .miss)
        #expect(result.matchedKey == nil)
        #expect(label(at: destination) == "mine")
        let lookup = try await store.lookup(key: "beta", restoreKeys: [])
        #expect(lookup.outcome == .miss)
    }

    @Test func damagedEntryIsReportedCorruptedRemovedAndTheDestinationKept() async throws {
        try await save("good", as: "state")
        let entry = try #require(try await store.entries().first)
        try TreeFixture.flipByte(store.directory.root + "/entries/" + entry.file)
        let destination = scratch.sub("dst")
        try TreeFixture.labelled(destination, "before")
        let before = TreeFixture.fingerprint(destination)

        let lookup = try await store.lookup(key: "state", restoreKeys: [])
        #expect(lookup.outcome == .hit, "a same-size flip passes the cheap size check")

        let result = try await store.restore(key: "state", restoreKeys: [], into: destination)
        #expect(result.outcome == .corrupted)
        #expect(result.matchedKey == "state")
        #expect(TreeFixture.fingerprint(destination) == before)
        #expect(try await store.entries().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: store.directory.root + "/entries/" + entry.file))

        let again = try await store.restore(key: "state", restoreKeys: [], into: destination)
        #expect(again.outcome == .miss)
    }

    @Test func truncatedEntryIsCorruptedAtLookup() async throws {
        try await save("good", as: "state")
        let entry = try #require(try await store.entries().first)
        let path = store.directory.root + "/entries/" + entry.file
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: UInt64(entry.size / 2))
        try handle.close()

        let lookup = try await store.lookup(key: "other", restoreKeys: ["sta"])
        #expect(lookup.outcome == .corrupted)
        #expect(lookup.matchedKey == "state")
        #expect(try await store.entries().isEmpty)
    }

    @Test func savingAnExistingKeyKeepsTheOriginalUnlessOverwrite() async throws {
        let first = try await save("original", as: "k")
        #expect(first.outcome == .saved)
        let second = try await save("replacement", as: "k")
        #expect(second.outcome == .exists)
        #expect(second.message?.contains("already exists") == true)
        let destination = scratch.sub("dst")
        _ = try await store.restore(key: "k", into: destination)
        #expect(label(at: destination) == "original")

        let third = try await save("replacement", as: "k", overwrite: true)
        #expect(third.outcome == .overwritten)
        _ = try await store.restore(key: "k", into: destination)
        #expect(label(at: destination) == "replacement")
        #expect(try await store.entries().count == 1)
        let archives = try FileManager.default.contentsOfDirectory(atPath: store.directory.root + "/entries")
        #expect(archives.count == 1, "the replaced archive is deleted")
    }

    @Test func concurrentSavesOfOneKeyLeaveOneValidEntry() async throws {
        var sources: [String] = []
        for i in 0..<6 {
            let source = scratch.sub("src\(i)")
            try TreeFixture.labelled(source, "writer \(i)", bulk: 20_000)
            sources.append(source)
        }
        let store = self.store
        let results = try await withThrowingTaskGroup(of: SaveResult.self) { group in
            for source in sources {
                group.addTask { try await store.save(directory: source, key: "shared", options: SaveOptions()) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0.outcome == .saved }.count == 1)
        #expect(results.filter { $0.outcome == .exists }.count == 5)
        let entries = try await store.entries()
        #expect(entries.count == 1)
        #expect(try await store.verify().allSatisfy { $0.problem == nil })
        let winner = try #require(results.first { $0.outcome == .saved })
        let destination = scratch.sub("dst")
        _ = try await store.restore(key: "shared", into: destination)
        #expect(TreeFixture.fingerprint(destination) == TreeFixture.fingerprint(winner.source))
    }

    @Test func keysMayContainAnyCharacter() async throws {
        let key = "owner/repo:linux *?\"<>|\\ ünïcødé\nsecond line"
        try await save("odd", as: key)
        let destination = scratch.sub("dst")
        let result = try await store.restore(key: key, into: destination)
        #expect(result.outcome == .hit)
        #expect(result.matchedKey == key)
        #expect(label(at: destination) == "odd")
        let file = try #require(try await store.entries().first?.file)
        #expect(!file.contains("/") && file.hasPrefix(CacheKey.fileStem(key)))
    }

    @Test func invalidKeysAreRejected() async throws {
        let source = scratch.sub("src")
        try TreeFixture.labelled(source, "x")
        for key in ["", String(repeating: "k", count: 513)] {
            await #expect(throws: StoreError.self) {
                try await store.save(directory: source, key: key, options: SaveOptions())
            }
        }
        do {
            _ = try await store.save(directory: scratch.sub("missing"), key: "k", options: SaveOptions())
            Issue.record("saving a missing directory succeeded")
        } catch {
            #expect(error.code == .invalidInput)
        }
    }

    @Test func aCacheInsideTheSavedTreeIsNotArchived() async throws {
        let source = scratch.sub("home")
        try TreeFixture.labelled(source, "home")
        var before = TreeFixture.fingerprint(source)
        before?[".cache"] = "dir"  // the cache's parent stays, empty
        let inner = LocalTarballStore(directory: source + "/.cache/storage-cache", syncRestoredTree: false)
        let saved = try await inner.save(directory: source, key: "home", options: SaveOptions())
        #expect(saved.files == 2)
        let destination = scratch.sub("dst")
        _ = try await inner.restore(key: "home", into: destination)
        #expect(TreeFixture.fingerprint(destination) == before)
    }

    @Test func aDamagedIndexReadsAsEmptyAndIsSetAside() async throws {
        try await save("a", as: "a")
        let index = store.directory.root + "/index.json"
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: index))
        #expect(try await store.entries().isEmpty)
        #expect(try await store.restore(key: "a", into: scratch.sub("dst")).outcome == .miss)
        try await save("b", as: "b")
        #expect(try await store.entries().map(\.key) == ["b"])
        #expect(FileManager.default.fileExists(atPath: index + ".damaged"))
        let archives = try FileManager.default.contentsOfDirectory(atPath: store.directory.root + "/entries")
        #expect(archives.count == 1, "the unindexed archive of 'a' was removed")
    }

    @Test func restoreKeysSplitOnNewlines() {
        #expect(CacheKey.splitRestoreKeys(["a-\n  b- \n\n", "c-"]) == ["a-", "b-", "c-"])
    }
}
