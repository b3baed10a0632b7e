import Foundation
import Hashing

/// A large file cut into fixed-size chunks, each addressed by its SHA-256 and stored in a pack.
///
/// Compact on purpose (a 150 MB database has thousands of chunks): the digests are one base64 string of the
/// concatenated 32-byte SHA-256s, and locations are runs of chunks stored back to back in one pack.
public struct ChunkList: Codable, Sendable, Equatable, Hashable {
    /// One chunk, expanded.
    public struct Chunk: Sendable, Equatable {
        /// SHA-256 of the chunk's bytes.
        public var sha256: [UInt8]
        /// Where the chunk's bytes are.
        public var location: PackRange
    }

    /// `count` chunks stored back to back from `offset` in the pack `key`.
    public struct Run: Codable, Sendable, Equatable, Hashable {
        /// The pack's object key.
        public var key: String
        /// Where the first chunk starts in the pack.
        public var offset: Int64
        /// How many chunks.
        public var count: Int
    }

    /// Bytes per chunk; the last chunk holds the rest of the file.
    public var chunkSize: Int64
    /// The chunks' SHA-256 digests, concatenated, base64.
    public var digests: String
    /// The chunks' locations, in file order.
    public var runs: [Run]
    /// What the entry's `sha256` is: `nil` (lists written before, or of files read from disk) the whole file's
    /// SHA-256; ``chunkDigestsKind`` the SHA-256 of the chunk digests concatenated (``digestOfChunks(_:)``), which
    /// an in-memory database capture gives without a second pass over the bytes. A reader checks every chunk and
    /// that digest.
    public var fileDigest: String?

    /// ``fileDigest`` for a file digest taken over the chunk digests.
    public static let chunkDigestsKind = "chunk-sha256"

    /// The file digest of ``chunkDigestsKind``: SHA-256 over the concatenated chunk digests, lower-case hex.
    public static func digestOfChunks(_ digests: [[UInt8]]) -> String {
        var hasher = SHA256Hasher()
        for digest in digests { hasher.update(digest) }
        return Hex.encode(hasher.finalize())
    }

    /// A list for `chunks` of a file cut every `chunkSize` bytes, whose entry's digest is of kind `fileDigest`.
    public init(chunkSize: Int64, chunks: [Chunk], fileDigest: String? = nil) {
        self.chunkSize = chunkSize
        self.fileDigest = fileDigest
        digests = Data(chunks.flatMap(\.sha256)).base64EncodedString()
        var runs: [Run] = []
        var end: (key: String, offset: Int64)?
        for chunk in chunks {
            if let last = end, last.key == chunk.location.key, last.offset == chunk.location.offset {
                runs[runs.count - 1].count += 1
            } else {
                runs.append(Run(key: chunk.location.key, offset: chunk.location.offset, count: 1))
            }
            end = (chunk.location.key, chunk.location.end)
        }
        self.runs = runs
    }

    /// A list as stored (``ManifestJSONReader``); ``chunks(fileSize:)`` checks it.
    init(chunkSize: Int64, digests: String, runs: [Run], fileDigest: String? = nil) {
        self.chunkSize = chunkSize
        self.digests = digests
        self.runs = runs
        self.fileDigest = fileDigest
    }

    /// How many chunks a file of `size` bytes has.
    public static func count(size: Int64, chunkSize: Int64) -> Int {
        size == 0 ? 0 : Int((size + chunkSize - 1) / chunkSize)
    }

    /// The chunks of a file of `size` bytes; throws when the list does not describe such a file.
    public func chunks(fileSize size: Int64) throws(ManifestError) -> [Chunk] {
        guard chunkSize > 0, let bytes = Data(base64Encoded: digests) else {
            throw ManifestError("manifest.json has an unreadable chunk list")
        }
        let count = Self.count(size: size, chunkSize: chunkSize)
        guard bytes.count == count * 32, runs.reduce(0, { $0 + $1.count }) == count,
            runs.allSatisfy({ $0.count > 0 && $0.offset >= 0 })
        else {
            throw ManifestError("manifest.json has a chunk list that does not match its file's size")
        }
        let digests = Array(bytes)
        var chunks: [Chunk] = []
        chunks.reserveCapacity(count)
        for run in runs {
            var offset = run.offset
            for _ in 0..<run.count {
                let index = chunks.count
                let length = min(chunkSize, size - Int64(index) * chunkSize)
                chunks.append(
                    Chunk(
                        sha256: Array(digests[(index * 32)..<(index * 32 + 32)]),
                        location: PackRange(key: run.key, offset: offset, length: length)))
                offset += length
            }
        }
        return chunks
    }
}
