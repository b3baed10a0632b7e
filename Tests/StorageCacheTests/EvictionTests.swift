import Foundation
import StorageCache
import Testing

@Suite("LocalTarballStore: eviction by size (least recently used) and age")
struct EvictionTests {
    let scratch: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory()
    }

    func source(_ label: String) throws -> String {
        let path = scratch.sub("src-\(label)")
        try TreeFixture.labelled(path, label, bulk: 30_000)
        return path
    }

    @Test func sizeBudgetEvictsTheLeastRecentlyUsedEntry() async throws {
        let cache = scratch.sub("cache")
        let roomy = LocalTarballStore(directory: cache, syncRestoredTree: false)
        let a = try await roomy.save(directory: try source("a"), key: "a", options: SaveOptions())
        let b = try await roomy.save(directory: try source("b"), key: "b", options: SaveOptions())
        // Use `a`, so `b` becomes the least recently used.
        #expect(try await roomy.restore(key: "a", into: scratch.sub("dst")).outcome == .hit)

        // Archives are deterministic: learn c's size in a throwaway cache.
        let sourceC = try source("c")
        let probe = LocalTarballStore(directory: scratch.sub("probe"))
        let c = try await probe.save(directory: sourceC, key: "c", options: SaveOptions())
        let budget = a.bytes + b.bytes + c.bytes - 1
        let tight = LocalTarballStore(
            directory: cache, eviction: EvictionPolicy(maxSize: budget), syncRestoredTree: false)

        let saved = try await tight.save(directory: sourceC, key: "c", options: SaveOptions())
        #expect(saved.bytes == c.bytes)
        #expect(saved.evicted == ["b"])
        let entries = try await tight.entries()
        #expect(entries.map(\.key) == ["a", "c"])
        #expect(entries.reduce(0) { $0 + $1.size } <= budget)
        #expect(try await tight.restore(key: "b", into: scratch.sub("dst")).outcome == .miss)
        let archives = try FileManager.default.contentsOfDirectory(atPath: cache + "/entries")
        #expect(archives.count == 2)
    }

    @Test func entriesUnusedLongerThanTheAgeLimitAreEvicted() async throws {
        let clock = ManualClock()
        let day = 86400.0
        let store = LocalTarballStore(directory: scratch.sub("cache"), syncRestoredTree: false, now: clock.now)
        _ = try await store.save(directory: try source("a"), key: "a", options: SaveOptions())
        _ = try await store.save(directory: try source("b"), key: "b", options: SaveOptions())
        clock.advance(by: 5 * day)
        #expect(try await store.restore(key: "a", into: scratch.sub("dst")).outcome == .hit)
        clock.advance(by: 3 * day)  // a unused for 3 days, b for 8

        let saved = try await store.save(directory: try source("c"), key: "c", options: SaveOptions())
        #expect(saved.evicted == ["b"])
        #expect(try await store.entries().map(\.key) == ["a", "c"])

        let pruned = try await store.prune(policy: EvictionPolicy(maxAge: 1 * day))
        #expect(pruned.removed.map(\.key) == ["a"])
        #expect(pruned.removed.first?.reason == .age)
        #expect(try await store.entries().map(\.key) == ["c"])
    }

    @Test func pruneRemovesLeftoversOfKilledProcesses() async throws {
        let store = LocalTarballStore(directory: scratch.sub("cache"))
        _ = try await store.save(directory: try source("a"), key: "a", options: SaveOptions())
        let orphan = store.directory.root + "/entries/" + CacheKey.fileStem("ghost") + "-99.tar.zst"
        _ = FileManager.default.createFile(atPath: orphan, contents: Data("partial".utf8))
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let leftover = store.directory.root + "/tmp/save-\(dead.processIdentifier)-abc.tar.zst"
        _ = FileManager.default.createFile(atPath: leftover, contents: Data("partial".utf8))
        let mine = store.directory.root + "/tmp/save-\(getpid())-abc.tar.zst"
        _ = FileManager.default.createFile(atPath: mine, contents: Data("in progress".utf8))

        let result = try await store.prune()
        #expect(result.removed.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: orphan))
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(FileManager.default.fileExists(atPath: mine), "a live process's temporary file is kept")
        #expect(try await store.entries().map(\.key) == ["a"])
    }

    @Test func sizesAndAgesParseAsPeopleWriteThem() {
        #expect(ByteCount.parse("10GiB") == 10 << 30)
        #expect(ByteCount.parse("1.5K") == 1536)
        #expect(ByteCount.parse("500MB") == 500_000_000)
        #expect(ByteCount.parse("4096") == 4096)
        #expect(ByteCount.parse("10XB") == nil)
        #expect(ByteCount.parse("-1G") == nil)
        #expect(AgeLimit.parse("7d") == Double(7 * 86400))
        #expect(AgeLimit.parse("12h") == Double(12 * 3600))
        #expect(AgeLimit.parse("90s") == Double(90))
        #expect(AgeLimit.parse("soon") == nil)
    }
}
