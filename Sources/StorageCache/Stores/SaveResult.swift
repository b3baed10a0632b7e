/// What ``TarballStore/save(directory:key:options:)`` did.
public struct SaveResult: Sendable, Codable, Equatable {
    /// Whether a new entry was written.
    public enum Outcome: String, Sendable, Codable, Equatable {
        /// A new entry was saved.
        case saved
        /// An entry with this key existed and was kept (entries are immutable); nothing was written.
        case exists
        /// An entry with this key existed and was replaced (`overwrite`).
        case overwritten
        /// Nothing was written because writing is not allowed (`cache-mode`, `ACTIONS_CACHE_MODE`); no request made.
        case skipped
    }

    /// Saved, exists or overwritten.
    public var outcome: Outcome
    /// The key saved under.
    public var key: String
    /// The archived directory.
    public var source: String
    /// Bytes of the archive written (0 when nothing was written).
    public var bytes: Int64
    /// Bytes of file content archived.
    public var contentBytes: Int64
    /// Regular files archived.
    public var files: Int
    /// Directories archived.
    public var directories: Int
    /// Symbolic links archived.
    public var symlinks: Int
    /// Lower-case hex SHA-256 of the archive.
    public var sha256: String?
    /// Keys of entries evicted to respect the cache's limits.
    public var evicted: [String]
    /// Seconds the save took.
    public var duration: Double
    /// A note for the user (the key already existed, …).
    public var message: String?

    public init(
        outcome: Outcome, key: String, source: String, bytes: Int64 = 0, contentBytes: Int64 = 0, files: Int = 0,
        directories: Int = 0, symlinks: Int = 0, sha256: String? = nil, evicted: [String] = [],
        duration: Double = 0, message: String? = nil
    ) {
        self.outcome = outcome
        self.key = key
        self.source = source
        self.bytes = bytes
        self.contentBytes = contentBytes
        self.files = files
        self.directories = directories
        self.symlinks = symlinks
        self.sha256 = sha256
        self.evicted = evicted
        self.duration = duration
        self.message = message
    }
}
