#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What ``TarballStore/lookup(key:restoreKeys:)`` found, without restoring anything.
public struct LookupResult: Sendable, Codable, Equatable {
    /// Hit, miss or corrupted.
    public var outcome: CacheOutcome
    /// The primary key asked for.
    public var key: String
    /// The key of the entry that matched (`nil` on a miss).
    public var matchedKey: String?
    /// Whether `matchedKey` is the primary key itself (actions/cache's `cache-hit`).
    public var exactMatch: Bool
    /// Bytes of the matched archive.
    public var bytes: Int64
    /// Regular files in the matched archive.
    public var files: Int
    /// When the matched entry was saved.
    public var createdAt: Date?
    /// Seconds the lookup took.
    public var duration: Double
    /// A note for the user (why an entry was corrupted, …).
    public var message: String?
    /// The matched entry's metadata as saved (``SaveOptions/metadata``); `nil` when it has none.
    public var metadata: [String: String]? = nil

    public init(
        outcome: CacheOutcome, key: String, matchedKey: String? = nil, exactMatch: Bool = false, bytes: Int64 = 0,
        files: Int = 0, createdAt: Date? = nil, duration: Double = 0, message: String? = nil
    ) {
        self.outcome = outcome
        self.key = key
        self.matchedKey = matchedKey
        self.exactMatch = exactMatch
        self.bytes = bytes
        self.files = files
        self.createdAt = createdAt
        self.duration = duration
        self.message = message
    }
}
