import Foundation
import Testing

@testable import StorageCache

/// The hash cache file: its line format round-trips, an older JSON cache still loads, and damage means "empty".
struct SyncHashCacheTests {
    static func temporaryPath() -> String { NSTemporaryDirectory() + "sync-hash-cache-\(UUID().uuidString)" }

    static let sha = String(repeating: "ab", count: 32)

    @Test func recordsRoundTripThroughTheFile() {
        var cache = FileHashCache()
        let stamp = FileHashCache.Stamp(
            size: 42, mtimeNanoseconds: 1_700_000_000_123_456_789, ctimeNanoseconds: -5, inode: UInt64.max)
        cache.record(Self.sha, for: "message/ses 1/msg_0001.json", stamp: stamp)
        cache.record(Self.sha, for: "naïve/ünïcode.json", stamp: stamp)
        cache.record(Self.sha, for: "tab\there", stamp: stamp)
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        cache.save(path: path)
        let loaded = FileHashCache.load(path: path)
        #expect(loaded.sha256(for: "message/ses 1/msg_0001.json", stamp: stamp) == Self.sha)
        #expect(loaded.sha256(for: "naïve/ünïcode.json", stamp: stamp) == Self.sha)
        #expect(loaded.sha256(for: "tab\there", stamp: stamp) == nil)
        var moved = stamp
        moved.mtimeNanoseconds += 1
        #expect(loaded.sha256(for: "message/ses 1/msg_0001.json", stamp: moved) == nil)
    }

    @Test func anOlderJSONCacheStillLoads() throws {
        var cache = FileHashCache()
        let stamp = FileHashCache.Stamp(size: 1, mtimeNanoseconds: 2, ctimeNanoseconds: 3, inode: 4)
        cache.record(Self.sha, for: "a.json", stamp: stamp)
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try JSONEncoder().encode(cache).write(to: URL(fileURLWithPath: path))
        #expect(FileHashCache.load(path: path).sha256(for: "a.json", stamp: stamp) == Self.sha)
    }

    @Test func aDamagedCacheLoadsEmpty() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data((FileHashCache.header + "\nnot\ta\trecord\n").utf8).write(to: URL(fileURLWithPath: path))
        #expect(FileHashCache.load(path: path).records.isEmpty)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        #expect(FileHashCache.load(path: path).records.isEmpty)
    }
}
