import Foundation

/// A local record of file hashes, so an unchanged file (same size, mtime, ctime and inode) is not re-hashed.
///
/// It only ever skips hashing; what is "changed" is still decided by size and SHA-256 against the manifest.
public struct FileHashCache: Codable, Sendable {
    /// What identifies an unchanged file on this host.
    public struct Stamp: Codable, Sendable, Equatable {
        var size: Int64
        var mtimeNanoseconds: Int64
        var ctimeNanoseconds: Int64
        var inode: UInt64
    }

    struct Record: Codable, Sendable {
        var stamp: Stamp
        var sha256: String
    }

    var records: [String: Record] = [:]

    public init() {}

    /// The cached hash of `path` when its stamp still matches.
    public func sha256(for path: String, stamp: Stamp) -> String? {
        guard let record = records[path], record.stamp == stamp else { return nil }
        return record.sha256
    }

    /// Records the hash of `path`.
    public mutating func record(_ sha256: String, for path: String, stamp: Stamp) {
        records[path] = Record(stamp: stamp, sha256: sha256)
    }

    /// Loads the cache at `path`; an absent or unreadable file gives an empty cache.
    public static func load(path: String) -> FileHashCache {
        guard let data = FileManager.default.contents(atPath: path),
            let cache = try? JSONDecoder().decode(FileHashCache.self, from: data)
        else { return FileHashCache() }
        return cache
    }

    /// Saves the cache to `path` atomically; failures are ignored (it is only a cache).
    public func save(path: String) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: url, options: .atomic)
    }
}
