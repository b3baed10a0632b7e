/// What ``CacheCoordinator/restore()`` did. Encoded as JSON (`--json`) it keeps the fields of a local
/// ``RestoreResult`` (`outcome`, `key`, `matchedKey`, `exactMatch`, `destination`, `files`, …) and adds `source`,
/// `warnings` and the per-store outcomes.
public struct CacheRestoreReport: Sendable, Codable, Equatable {
    /// Hit (restored, or found with `lookupOnly`), miss, or corrupted (the primary entry was damaged and nothing
    /// else had the tree).
    public var outcome: CacheOutcome
    /// Where the tree came from (output `cache-source`).
    public var source: CacheSource
    /// The primary key asked for.
    public var key: String
    /// The matching primary entry's key, or `s3://bucket/<root>/` after an S3 restore (`cache-matched-key`).
    public var matchedKey: String?
    /// Whether the primary key itself matched, or S3 (which holds one tree per location) restored it
    /// (`cache-hit`).
    public var exactMatch: Bool
    /// The storage directory.
    public var destination: String
    /// Bytes read: the archive's for a primary hit, the objects' for an S3 restore.
    public var bytes: Int64
    /// Bytes of file content restored.
    public var contentBytes: Int64
    /// Regular files restored.
    public var files: Int
    /// Directories restored (primary only).
    public var directories: Int
    /// Symbolic links restored (primary only).
    public var symlinks: Int
    /// Seconds the whole restore took.
    public var duration: Double
    /// A note for the user (why an entry was corrupted, …).
    public var message: String?
    /// Whether nothing was restored on purpose (`lookupOnly`).
    public var lookupOnly: Bool
    /// The primary store's name (`local`) and outcome, `nil` without a primary.
    public var primaryStore: String?
    public var primaryOutcome: CacheOutcome?
    /// Whether S3 was asked, and what it answered (`hit`, `miss`, `error`).
    public var s3Outcome: String?
    /// Whether the primary was warmed with the tree S3 restored.
    public var primaryWarmed: Bool
    /// Warnings for the user (S3 unreachable, a damaged entry, warming failed, …). Never a secret.
    public var warnings: [String]
    /// Notes for the user that are not problems (a restore skipped by `cache-mode` or `ACTIONS_CACHE_MODE`, …).
    public var notices: [String] = []
    /// Whether `cache-mode` forbade the restore, so no store was asked.
    public var skippedByMode = false
    /// Why ``source`` won (output `cache-source-reason`): the restore order, the generations compared, a miss.
    public var sourceReason: String? = nil
    /// The S3 generation the restored tree corresponds to (output `s3-generation`): the one pulled, or the one
    /// the primary entry records; `nil` when unknown.
    public var generation: Int? = nil
    /// The generation the matching primary entry records (``GenerationStamp``), when it records one.
    public var primaryGeneration: Int? = nil
    /// The generation S3's manifest head named when it was read (`0`: nothing stored), else `nil`.
    public var s3Generation: Int? = nil

    public init(
        outcome: CacheOutcome, source: CacheSource, key: String, matchedKey: String? = nil, exactMatch: Bool = false,
        destination: String, bytes: Int64 = 0, contentBytes: Int64 = 0, files: Int = 0, directories: Int = 0,
        symlinks: Int = 0, duration: Double = 0, message: String? = nil, lookupOnly: Bool = false,
        primaryStore: String? = nil, primaryOutcome: CacheOutcome? = nil, s3Outcome: String? = nil,
        primaryWarmed: Bool = false, warnings: [String] = []
    ) {
        self.outcome = outcome
        self.source = source
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
        self.lookupOnly = lookupOnly
        self.primaryStore = primaryStore
        self.primaryOutcome = primaryOutcome
        self.s3Outcome = s3Outcome
        self.primaryWarmed = primaryWarmed
        self.warnings = warnings
    }

    /// `cache-hit` as actions/cache reports it: `true` for an exact match.
    public var cacheHit: Bool { source != .none && exactMatch }
}
