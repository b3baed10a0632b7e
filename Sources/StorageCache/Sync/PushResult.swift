/// What a push did (or, for a dry run, would do).
public struct PushResult: Sendable {
    /// The plan the push followed.
    public var plan: SyncPlan
    /// The generation now current in S3 (unchanged when nothing was committed).
    public var generation: Int
    /// Whether a new manifest was committed.
    public var committed: Bool
    /// Whether a snapshot tarball was written.
    public var snapshotWritten: Bool
    /// Per-file objects uploaded under `storage/`.
    public var uploadedFiles: Int
    /// Every byte uploaded: per-file objects, the pack, the snapshot and the manifests.
    public var uploadedBytes: Int64
    /// Objects deleted.
    public var deletedObjects: Int
    /// Files in the committed tree and their bytes.
    public var files: Int
    public var bytes: Int64
    /// Warnings for the user (skipped files, a retried conflict, failed deletes).
    public var warnings: [String]
    /// Whether this was a dry run.
    public var dryRun: Bool
    /// Seconds taken.
    public var seconds: Double
    /// Set when ``SyncOptions/expectedBaseGeneration`` was behind S3: nothing was committed, ``generation`` is the
    /// newer one that stays current, and the rejected manifest was kept for recovery.
    public var conflict: SyncConflict? = nil
    /// Objects written (new keys or rewritten ones): per-file objects, pack, snapshot, manifest and its copy.
    public var objectsWritten: Int = 0
    /// Bytes of the pack written (0 without one).
    public var packBytes: Int64 = 0
}
