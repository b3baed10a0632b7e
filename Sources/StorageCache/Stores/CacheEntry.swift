#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One immutable archive in a local cache directory, as its index records it.
public struct CacheEntry: Sendable, Codable, Equatable {
    /// The cache key, exactly as saved (any characters).
    public var key: String
    /// The archive's file name inside the cache's `entries/` directory (a hash of the key, never the key).
    public var file: String
    /// Bytes of the archive file.
    public var size: Int64
    /// Lower-case hex SHA-256 of the archive file.
    public var sha256: String
    /// Save order: a larger number was saved later. Decides "newest" among prefix matches.
    public var sequence: UInt64
    /// Use order: a larger number was saved or restored more recently. Decides least recently used.
    public var useSequence: UInt64
    /// When the entry was saved.
    public var createdAt: Date
    /// When the entry was last saved or restored.
    public var lastUsedAt: Date
    /// Regular files in the archive.
    public var files: Int
    /// Directories in the archive.
    public var directories: Int
    /// Symbolic links in the archive.
    public var symlinks: Int
    /// Bytes of file content in the archive, uncompressed.
    public var contentBytes: Int64
    /// `zstd`, `gzip` or `none`.
    public var compression: String
    /// Metadata saved with the entry (``SaveOptions/metadata``), `nil` when none (and in older indexes).
    public var metadata: [String: String]?

    public init(
        key: String, file: String, size: Int64, sha256: String, sequence: UInt64, useSequence: UInt64,
        createdAt: Date, lastUsedAt: Date, files: Int, directories: Int, symlinks: Int, contentBytes: Int64,
        compression: String, metadata: [String: String]? = nil
    ) {
        self.key = key
        self.file = file
        self.size = size
        self.sha256 = sha256
        self.sequence = sequence
        self.useSequence = useSequence
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.files = files
        self.directories = directories
        self.symlinks = symlinks
        self.contentBytes = contentBytes
        self.compression = compression
        self.metadata = metadata
    }
}
