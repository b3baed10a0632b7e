/// What ``CacheCoordinator/save()`` did: the primary's ``SaveResult`` and the S3 push, side by side. As JSON the
/// primary result's fields (`outcome`, `key`, `files`, `bytes`, …) stay at the top level, as a local `save` prints
/// them, next to `primaryStore`, `s3` and `warnings`; `duration` is the whole save's.
public struct CacheSaveReport: Sendable, Encodable, Equatable {
    /// The S3 half of a save.
    public struct S3Part: Sendable, Codable, Equatable {
        /// `pushed`, `unchanged` (nothing to commit) or `failed`.
        public var outcome: String
        /// `s3://bucket/<root>/`.
        public var location: String
        /// The generation now current (`nil` when the push failed).
        public var generation: Int?
        public var uploadedFiles: Int
        public var uploadedBytes: Int64
        public var deletedObjects: Int
        /// Files and bytes in the committed tree.
        public var files: Int
        public var bytes: Int64
        public var duration: Double
        /// The failure's message (secret-free) when the push failed.
        public var error: String?
        /// The pending-queue file the failure was recorded in.
        public var pendingRecord: String?
        /// Set (outcome `conflict`) when S3 had moved past the generation the tree was built on: nothing was
        /// pushed, `generation` is the newer one kept current, the rejected manifest is under `conflicts/`.
        public var conflict: SyncConflict? = nil

        public init(
            outcome: String, location: String, generation: Int? = nil, uploadedFiles: Int = 0,
            uploadedBytes: Int64 = 0, deletedObjects: Int = 0, files: Int = 0, bytes: Int64 = 0,
            duration: Double = 0, error: String? = nil, pendingRecord: String? = nil
        ) {
            self.outcome = outcome
            self.location = location
            self.generation = generation
            self.uploadedFiles = uploadedFiles
            self.uploadedBytes = uploadedBytes
            self.deletedObjects = deletedObjects
            self.files = files
            self.bytes = bytes
            self.duration = duration
            self.error = error
            self.pendingRecord = pendingRecord
        }
    }

    /// The key saved under.
    public var key: String
    /// The saved directory.
    public var source: String
    /// The primary store's result, `nil` without a primary.
    public var primary: SaveResult?
    /// The primary store's name.
    public var primaryStore: String?
    /// The S3 push, `nil` when `s3-backup` is off.
    public var s3: S3Part?
    /// Seconds the whole save took.
    public var duration: Double
    /// Warnings for the user. Never a secret.
    public var warnings: [String]
    /// Notes for the user that are not problems (a save skipped by `cache-mode` or `ACTIONS_CACHE_MODE`, …).
    public var notices: [String] = []

    public init(
        key: String, source: String, primary: SaveResult? = nil, primaryStore: String? = nil, s3: S3Part? = nil,
        duration: Double = 0, warnings: [String] = []
    ) {
        self.key = key
        self.source = source
        self.primary = primary
        self.primaryStore = primaryStore
        self.s3 = s3
        self.duration = duration
        self.warnings = warnings
    }

    private enum CodingKeys: String, CodingKey {
        case key, source, primaryStore, s3, duration, warnings, notices
    }

    public func encode(to encoder: any Encoder) throws {
        try primary?.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(source, forKey: .source)
        try container.encodeIfPresent(primaryStore, forKey: .primaryStore)
        try container.encodeIfPresent(s3, forKey: .s3)
        try container.encode(duration, forKey: .duration)
        try container.encode(warnings, forKey: .warnings)
        try container.encode(notices, forKey: .notices)
    }

    /// Whether the S3 half failed.
    public var s3Failed: Bool { s3?.outcome == "failed" }
}
