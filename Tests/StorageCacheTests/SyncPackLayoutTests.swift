import Foundation
import Hashing
import Testing

@testable import StorageCache

/// Manifest format 2 pieces that need no S3: chunk lists, range windows, key labels, the layout rules.
struct SyncPackLayoutTests {
    static func chunk(_ byte: UInt8, _ key: String, _ offset: Int64, _ length: Int64) -> ChunkList.Chunk {
        ChunkList.Chunk(
            sha256: Array(repeating: byte, count: 32), location: PackRange(key: key, offset: offset, length: length))
    }

    @Test func chunkListsRoundTripAndStoreContiguousChunksAsOneRun() throws {
        let chunks = [
            Self.chunk(1, "p/a", 0, 4), Self.chunk(2, "p/a", 4, 4), Self.chunk(3, "p/b", 100, 4),
            Self.chunk(4, "p/a", 8, 2),
        ]
        let list = ChunkList(chunkSize: 4, chunks: chunks)
        #expect(list.runs.count == 3)
        #expect(try list.chunks(fileSize: 14) == chunks)
        #expect(throws: ManifestError.self) { try list.chunks(fileSize: 20) }
    }

    @Test func aDigestOverChunksIsMarkedAndListsWithoutTheMarkStillDecode() throws {
        let chunks = [Self.chunk(1, "p/a", 0, 4), Self.chunk(2, "p/a", 4, 2)]
        let plain = ChunkList(chunkSize: 4, chunks: chunks)
        let marked = ChunkList(chunkSize: 4, chunks: chunks, fileDigest: ChunkList.chunkDigestsKind)
        let plainJSON = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        #expect(!plainJSON.contains("fileDigest"), "lists of whole-file digests are written as before")
        #expect(try JSONDecoder().decode(ChunkList.self, from: Data(plainJSON.utf8)).fileDigest == nil)
        let markedJSON = try JSONEncoder().encode(marked)
        #expect(try JSONDecoder().decode(ChunkList.self, from: markedJSON) == marked)
        // SHA-256 over the concatenated chunk digests.
        #expect(ChunkList.digestOfChunks([]) == Digest.sha256Hex([UInt8]()))
        let a = Digest.sha256(Array("a".utf8))
        let b = Digest.sha256(Array("b".utf8))
        #expect(ChunkList.digestOfChunks([a, b]) == Digest.sha256Hex(a + b))
        #expect(ChunkList.digestOfChunks([a, b]) != ChunkList.digestOfChunks([b, a]))
    }

    @Test func windowsMergeNearRangesCutLongOnesAndFindEveryOffset() {
        let ranges = [
            PackRange(key: "k", offset: 0, length: 10), PackRange(key: "k", offset: 10, length: 10),
            PackRange(key: "k", offset: 1 << 30, length: 20 << 20), PackRange(key: "j", offset: 5, length: 1),
        ]
        let windows = PackWindows(covering: ranges, in: "/tmp/x")
        // j:5, k:0-20, then k's 20 MiB range as 8 + 8 + 4 MiB.
        #expect(windows.windows.count == 5)
        #expect(windows.window(holding: "k", 15)?.range.offset == 0)
        #expect(windows.window(holding: "k", (1 << 30) + (9 << 20))?.range.offset == (1 << 30) + (8 << 20))
        #expect(windows.window(holding: "j", 5)?.range.length == 1)
        #expect(windows.window(holding: "j", 6) == nil)
    }

    @Test func keysCarryTheGenerationTheyWereWrittenFor() {
        #expect(SyncLocation.generationLabel(key: "r/packs/12-00ff.pack") == 12)
        #expect(SyncLocation.generationLabel(key: "r/manifests/7.json") == 7)
        #expect(SyncLocation.generationLabel(key: "r/snapshot-g3-ab.tar.zst") == 3)
        #expect(SyncLocation.generationLabel(key: "r/packs/x.pack") == nil)
    }

    @Test func formatOneManifestsStillDecode() throws {
        let json = """
            {"formatVersion":1,"generation":4,"createdAt":"2026-01-01T00:00:00Z","toolVersion":"0.1.0",
             "files":[{"path":"a","kind":"file","size":1,"mode":420,"mtime":0,"sha256":"00"}]}
            """
        let manifest = try Manifest.decode(Array(json.utf8))
        #expect(!manifest.locatesEntries)
        #expect(throws: ManifestError.self) {
            try Manifest.decode(
                Array(json.replacingOccurrences(of: "\"formatVersion\":1", with: "\"formatVersion\":3").utf8))
        }
    }

    /// A tree of ten small files (the first one `first`) and one large file in a temporary directory.
    static func tree(_ dir: String, first: String, large: [UInt8]) throws -> [ManifestEntry] {
        try Data(large).write(to: URL(fileURLWithPath: dir + "/big.db"))
        var entries = [
            ManifestEntry(
                path: "big.db", size: Int64(large.count), mode: 0o644, mtime: 0, sha256: Digest.sha256Hex(large))
        ]
        for index in 0..<10 {
            let text = index == 0 ? first : String(repeating: "\(index)", count: 4000)
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/s\(index).json"))
            entries.append(
                ManifestEntry(
                    path: "s\(index).json", size: Int64(text.utf8.count), mode: 0o644, mtime: 0,
                    sha256: Digest.sha256Hex(Array(text.utf8))))
        }
        return entries
    }

    @Test func aSecondLayoutPacksOnlyTheChangedChunkAndTheChangedSmallFile() throws {
        let dir = NSTemporaryDirectory() + "layout-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var generator = SystemRandomNumberGenerator()
        var large = (0..<(64 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let small = String(repeating: "x", count: 4000)
        let settings = GenerationLayout.Settings(snapshot: true, chunkThreshold: 16 << 10, chunkSize: 16 << 10)
        let first = try GenerationLayout.make(
            local: try Self.tree(dir, first: small, large: large), previous: nil, generation: 1, packKey: "r/packs/1-a",
            directory: dir, settings: settings)
        #expect(first.rebuildSnapshot)
        #expect(first.packSize == Int64(large.count))
        #expect(first.chunkedPaths == ["big.db"])
        let manifest = Manifest(
            generation: 1, createdAt: Date(), toolVersion: "t", files: first.entries,
            snapshot: ManifestSnapshot(key: "r/snapshot-g1-a.tar.zst", sha256: "00", size: 1, generation: 1))
        var previous = manifest
        previous.packs = first.packs
        previous.changedSinceSnapshot = first.changedSinceSnapshot

        large[20_000] ^= 0xff  // the second chunk
        let second = try GenerationLayout.make(
            local: try Self.tree(dir, first: small + "y", large: large), previous: previous, generation: 2,
            packKey: "r/packs/2-b", directory: dir, settings: settings)
        #expect(!second.rebuildSnapshot)
        #expect(second.pieces.map(\.path).sorted() == ["big.db", "s0.json"])
        #expect(second.packSize == Int64((16 << 10) + small.utf8.count + 1))
        #expect(second.keptSnapshot?.key == "r/snapshot-g1-a.tar.zst")
        #expect(Set(second.packs.keys) == ["r/packs/1-a", "r/packs/2-b"])
    }
}
