/// What ``TarballStore/restore(key:restoreKeys:into:progress:)`` did.
public struct RestoreResult: Sendable, Codable, Equatable {
    /// Hit (the destination now holds the entry), miss or corrupted (the destination is untouched).
    public var outcome: CacheOutcome
    /// The primary key asked for.
    public var key: String
    /// The key of the entry that matched (`nil` on a miss).
    public var matchedKey: String?
    /// Whether `matchedKey` is the primary key itself (actions/cache's `cache-hit`).
    public var exactMatch: Bool
    /// The restored directory.
    public var destination: String
    /// Bytes of the archive read.
    public var bytes: Int64
    /// Bytes of file content restored.
    public var contentBytes: Int64
    /// Regular files restored.
    public var files: Int
    /// Directories restored.
    public var directories: Int
    /// Symbolic links restored.
    public var symlinks: Int
    /// Seconds the restore took.
    public var duration: Double
    /// A note for the user (why an entry was corrupted, …).
    public var message: String?
    /// The matched entry's metadata as saved (``SaveOptions/metadata``); `nil` when it has none.
    public var metadata: [String: String]? = nil

    public init(
        outcome: CacheOutcome, key: String, matchedKey: String? = nil, exactMatch: Bool = false,
        destination: String, bytes: Int64 = 0, contentBytes: Int64 = 0, files: Int = 0, directories: Int = 0,
        symlinks: Int = 0, duration: Double = 0, message: String? = nil
    ) {
        self.outcome = outcome
        self.key = key
        self.matchedKey = matchedKey
        self.exactMatch = exactMatch
        self.destination = destination
        self.bytes = bytes
        self.contentBytes = contentBytes
        self.files = files
        self.directories = directories
        self.symlinks = symlinks
        self.duration = duration
        self.message = message
    }
}
