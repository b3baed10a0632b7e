import Foundation
import Hashing
import Testing

@testable import StorageCache

@Suite struct TreeScannerTests {
    private func makeTree() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID().uuidString)").path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/sessions/s1", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: root + "/sessions/s1/m.json"))
        try Data(repeating: 7, count: 5000).write(to: URL(fileURLWithPath: root + "/big.bin"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/debug.log"))
        try Data("t".utf8).write(to: URL(fileURLWithPath: root + "/tmp/t"))
        try fm.createSymbolicLink(atPath: root + "/link", withDestinationPath: "sessions/s1/m.json")
        return root
    }

    @Test func describesFilesLinksAndEmptyDirectoriesWithHashes() throws {
        let root = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var cache = FileHashCache()
        let tree = try TreeScanner().scan(root: root, cache: &cache)
        let byPath = Dictionary(uniqueKeysWithValues: tree.entries.map { ($0.path, $0) })
        #expect(byPath["sessions/s1/m.json"]?.sha256 == Digest.sha256Hex(Array("hello".utf8)))
        #expect(byPath["sessions/s1/m.json"]?.size == 5)
        #expect(byPath["link"]?.kind == .symlink)
        #expect(byPath["link"]?.target == "sessions/s1/m.json")
        #expect(byPath["empty"]?.kind == .directory)
        #expect(byPath["sessions"] == nil)
        #expect(tree.entries.map(\.path) == tree.entries.map(\.path).sorted())
        #expect(tree.hashedFiles == 4)
    }

    @Test func excludesAndSizeLimitsSkipFilesAndSaySo() throws {
        let root = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var cache = FileHashCache()
        let tree = try TreeScanner(excludes: ["*.log", "tmp/"], maxFileSize: 1000).scan(root: root, cache: &cache)
        let paths = Set(tree.entries.map(\.path))
        #expect(!paths.contains("debug.log"))
        #expect(!paths.contains("tmp/t"))
        #expect(!paths.contains("big.bin"))
        #expect(tree.skipped.contains { $0.path == "big.bin" && $0.reason.contains("per-file limit") })
        let total = try TreeScanner(maxTotalSize: 100).scan(root: root, cache: &cache)
        #expect(!total.entries.contains { $0.path == "big.bin" })
        #expect(total.skipped.contains { $0.path == "big.bin" && $0.reason.contains("total size limit") })
    }

    @Test func hashCacheSkipsRehashingUnchangedFilesOnly() throws {
        let root = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var cache = FileHashCache()
        _ = try TreeScanner().scan(root: root, cache: &cache)
        let second = try TreeScanner().scan(root: root, cache: &cache)
        #expect(second.hashedFiles == 0)
        try Data("changed!".utf8).write(to: URL(fileURLWithPath: root + "/sessions/s1/m.json"))
        let third = try TreeScanner().scan(root: root, cache: &cache)
        #expect(third.hashedFiles == 1)
        #expect(
            third.entries.first { $0.path == "sessions/s1/m.json" }?.sha256
                == Digest.sha256Hex(Array("changed!".utf8)))
    }

    @Test func missingRootIsEmptyAndAFileRootIsAnError() throws {
        var cache = FileHashCache()
        let missing = try TreeScanner().scan(root: "/nonexistent-\(UUID().uuidString)", cache: &cache)
        #expect(missing.entries.isEmpty)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("f-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: file, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(throws: SyncError.self) { try TreeScanner().scan(root: file, cache: &cache) }
    }
}
