import Foundation
import Hashing

/// Where every file of a new generation keeps its bytes, and what the push must write for it.
///
/// Rules (manifest format 2):
/// - a file whose content equals the previous generation's keeps that entry's location (snapshot, pack range or
///   chunks): packs and snapshots are immutable, so the location stays valid while a kept generation names it;
/// - a file at or over `chunkThreshold` is cut into `chunkSize` chunks; chunks not already in a kept pack go into
///   this push's one new pack;
/// - a changed small file goes into the new pack too, unless the snapshot is rebuilt (then it is in the snapshot);
/// - the snapshot (small files only) is rebuilt when there is none, when the previous manifest is format 1, after
///   20 generations, or when the small-file bytes packed since it was taken would pass a quarter of the small
///   files' bytes;
/// - a pack whose live bytes fall under half its size is repacked: its live pieces are read again from the local
///   tree into the new pack, so no generation depends on it any more.
struct GenerationLayout: Sendable {
    /// The entries, with their locations.
    var entries: [ManifestEntry]
    /// What the new pack holds, in order; empty when no pack is written.
    var pieces: [PackPiece]
    /// The new pack's key.
    var packKey: String
    /// Whether a new snapshot must be written (of every entry that has neither `pack` nor `chunks`).
    var rebuildSnapshot: Bool
    /// The snapshot the entries rely on when it is not rebuilt.
    var keptSnapshot: ManifestSnapshot?
    /// Small-file bytes in packs since the snapshot.
    var changedSinceSnapshot: Int64
    /// Packs the entries name, with sizes (the new pack included).
    var packs: [String: Int64]
    /// Paths of chunked files (left out of the snapshot).
    var chunkedPaths: Set<String>
    /// Packs repacked because their live fraction fell under half.
    var repacked: Int

    /// Bytes of the new pack.
    var packSize: Int64 { pieces.reduce(0) { $0 + $1.length } }

    /// The most generations a snapshot serves before it is rebuilt.
    static let snapshotMaxAge = 20

    struct Settings: Sendable {
        var snapshot: Bool
        var chunkThreshold: Int64
        var chunkSize: Int64
    }

    /// Lays out `local` (a scan of `directory`) as generation `generation` on top of `previous`.
    /// `known`: chunk digests already taken (in-memory database images), by path; used when their chunk size is
    /// `settings.chunkSize`, the rest are read from `directory`.
    static func make(
        local: [ManifestEntry], previous: Manifest?, generation: Int, packKey: String, directory: String,
        settings: Settings, known precomputed: [String: ChunkDigests] = [:]
    ) throws(SyncError) -> GenerationLayout {
        let base = previous.flatMap { $0.locatesEntries ? $0 : nil }
        let before = base?.entriesByPath ?? [:]
        var entries = local
        var sizes = base?.packs ?? [:]
        var pieces: [PackPiece] = []
        var packOffset: Int64 = 0
        func append(_ piece: PackPiece) -> PackRange {
            pieces.append(piece)
            defer { packOffset += piece.length }
            return PackRange(key: packKey, offset: packOffset, length: piece.length)
        }
        func isChunked(_ entry: ManifestEntry) -> Bool {
            settings.chunkThreshold > 0 && entry.size >= settings.chunkThreshold
        }

        // 1. Carry locations of unchanged files; sort the rest into chunked and small.
        var changedSmall: [Int] = []
        var changedLarge: [Int] = []
        for index in entries.indices where entries[index].kind == .file {
            let entry = entries[index]
            if let old = before[entry.path], old.kind == .file, old.size == entry.size, old.sha256 == entry.sha256 {
                entries[index].pack = old.pack
                entries[index].chunks = old.chunks
            } else if isChunked(entry) {
                changedLarge.append(index)
            } else {
                changedSmall.append(index)
            }
        }
        let large = Set(changedLarge)
        let smallBytes = entries.indices.reduce(Int64(0)) { total, index in
            let entry = entries[index]
            let small = entry.kind == .file && entry.chunks == nil && !large.contains(index)
            return total + (small ? entry.size : 0)
        }

        // 2. Decide on the snapshot.
        let changedSmallBytes = changedSmall.reduce(Int64(0)) { $0 + entries[$1].size }
        var rebuild = false
        var changedSinceSnapshot: Int64 = 0
        if settings.snapshot {
            if let base, let snapshot = base.snapshot {
                let packed = (base.changedSinceSnapshot ?? 0) + changedSmallBytes
                rebuild =
                    generation - snapshot.generation >= snapshotMaxAge || packed * 4 > smallBytes
                changedSinceSnapshot = rebuild ? 0 : packed
            } else {
                rebuild = true
            }
        }
        if rebuild {
            // Every small file goes into the new snapshot; pack ranges of small files are no longer needed.
            for index in entries.indices where entries[index].chunks == nil { entries[index].pack = nil }
        } else if settings.snapshot {
            for index in changedSmall {
                let entry = entries[index]
                guard let sha = entry.sha256.flatMap(Hex.decode) else { continue }
                entries[index].pack = append(PackPiece(path: entry.path, offset: 0, length: entry.size, sha256: sha))
            }
        }
        // Without snapshots, changed small files live only under `storage/` (format 1's layout).

        // 3. Chunk changed large files; reuse chunks already in kept packs or in this pack.
        var known: [[UInt8]: PackRange] = [:]
        for entry in base?.files ?? [] {
            guard let list = entry.chunks, let chunks = try? list.chunks(fileSize: entry.size) else { continue }
            for chunk in chunks where known[chunk.sha256] == nil { known[chunk.sha256] = chunk.location }
        }
        let toRead = changedLarge.filter { precomputed[entries[$0].path]?.chunkSize != settings.chunkSize }
        let read = ChunkDigests.of(
            paths: toRead.map { directory + "/" + entries[$0].path }, chunkSize: settings.chunkSize)
        var digests: [Int: Result<ChunkDigests, ChunkDigests.ReadError>] = Dictionary(
            uniqueKeysWithValues: zip(toRead, read))
        for index in changedLarge where digests[index] == nil {
            digests[index] = precomputed[entries[index].path].map { .success($0) }
        }
        for index in changedLarge {
            let entry = entries[index]
            let result: ChunkDigests
            switch digests[index] {
            case .success(let value): result = value
            case .failure(let error): throw SyncError(.io, error.message)
            case nil: throw SyncError(.io, "\(entry.path): no chunk digests")
            }
            guard result.whole == entry.sha256, result.size == entry.size else {
                throw SyncError(.io, "\(entry.path) changed while it was pushed; push again")
            }
            var chunks: [ChunkList.Chunk] = []
            for (number, sha) in result.chunks.enumerated() {
                let offset = Int64(number) * settings.chunkSize
                let length = min(settings.chunkSize, entry.size - offset)
                if let location = known[sha], location.length == length {
                    chunks.append(ChunkList.Chunk(sha256: sha, location: location))
                } else {
                    let location = append(PackPiece(path: entry.path, offset: offset, length: length, sha256: sha))
                    known[sha] = location
                    chunks.append(ChunkList.Chunk(sha256: sha, location: location))
                }
            }
            entries[index].chunks = ChunkList(
                chunkSize: settings.chunkSize, chunks: chunks,
                fileDigest: result.overChunks ? ChunkList.chunkDigestsKind : nil)
        }

        // 4. Repack sparse packs: their live pieces are read again into the new pack.
        var live: [String: Int64] = [:]
        var seen = Set<PackRange>()
        func ranges(of entry: ManifestEntry) -> [PackRange] {
            if let pack = entry.pack { return [pack] }
            guard let list = entry.chunks, let chunks = try? list.chunks(fileSize: entry.size) else { return [] }
            return chunks.map(\.location)
        }
        for entry in entries {
            for range in ranges(of: entry) where seen.insert(range).inserted {
                live[range.key, default: 0] += range.length
            }
        }
        let sparse = Set(
            live.compactMap { key, bytes -> String? in
                guard key != packKey, let size = sizes[key], bytes * 2 < size else { return nil }
                return key
            })
        if !sparse.isEmpty {
            var moved: [PackRange: PackRange] = [:]
            for index in entries.indices {
                let entry = entries[index]
                if let pack = entry.pack, sparse.contains(pack.key), let sha = entry.sha256.flatMap(Hex.decode) {
                    entries[index].pack = append(
                        PackPiece(path: entry.path, offset: 0, length: entry.size, sha256: sha))
                }
                guard let list = entry.chunks, list.runs.contains(where: { sparse.contains($0.key) }),
                    let chunks = try? list.chunks(fileSize: entry.size)
                else { continue }
                var rewritten: [ChunkList.Chunk] = []
                for (number, chunk) in chunks.enumerated() {
                    guard sparse.contains(chunk.location.key) else {
                        rewritten.append(chunk)
                        continue
                    }
                    let location =
                        moved[chunk.location]
                        ?? append(
                            PackPiece(
                                path: entry.path, offset: Int64(number) * list.chunkSize,
                                length: chunk.location.length, sha256: chunk.sha256))
                    moved[chunk.location] = location
                    rewritten.append(ChunkList.Chunk(sha256: chunk.sha256, location: location))
                }
                entries[index].chunks = ChunkList(
                    chunkSize: list.chunkSize, chunks: rewritten, fileDigest: list.fileDigest)
            }
        }

        // 5. The packs the entries name.
        var named = Set<String>()
        for entry in entries {
            if let pack = entry.pack { named.insert(pack.key) }
            for run in entry.chunks?.runs ?? [] { named.insert(run.key) }
        }
        if !pieces.isEmpty { sizes[packKey] = packOffset }
        sizes = sizes.filter { named.contains($0.key) }
        return GenerationLayout(
            entries: entries, pieces: pieces, packKey: packKey, rebuildSnapshot: rebuild,
            keptSnapshot: rebuild || !settings.snapshot ? nil : base?.snapshot,
            changedSinceSnapshot: changedSinceSnapshot, packs: sizes,
            chunkedPaths: Set(entries.filter { $0.chunks != nil }.map(\.path)), repacked: sparse.count)
    }
}
