/// What `storage-cache run` needs from the layer that keeps a storage directory in its caches: restore it once
/// before the child starts, save it while the child runs and once more at the end, and tell cheaply whether
/// anything changed since the last restore or successful save.
///
/// ``SyncEngineSynchronizer`` implements it over S3 alone; an adapter over `CacheCoordinator` adds the primary
/// tarball cache.
public protocol StateSynchronizer: Sendable {
    /// Replaces the storage directory with the last saved state (or leaves it as it is when nothing is saved).
    func restore() async throws -> RunRestoreReport

    /// Saves the storage directory. `final` is the save after the child exited (a coordinator may write its
    /// primary tarball only then).
    func save(final: Bool) async throws -> RunSaveReport

    /// Whether the directory may differ from what was last restored or saved. A cheap check (metadata only); a
    /// `true` may be a false alarm, a `false` must not miss a change.
    func hasChanges() async -> Bool
}

/// What a restore did, for the log.
public struct RunRestoreReport: Sendable, Equatable {
    /// Where the state came from, for "restored from …": `s3 (snapshot, generation 4)`, `nothing stored`.
    public var source: String
    /// Files restored.
    public var files: Int

    public init(source: String, files: Int) {
        self.source = source
        self.files = files
    }
}

/// What a save did, for the log.
public struct RunSaveReport: Sendable, Equatable {
    /// The generation now current in S3, when known.
    public var generation: Int?
    /// Files in the saved tree.
    public var files: Int
    /// Whether anything new was written (`false`: the copy was already current).
    public var committed: Bool
    /// Warnings worth a log line.
    public var warnings: [String]
    /// Why nothing was attempted (a periodic save of a host whose base S3 has moved past), `nil` for a save that ran.
    public var skipped: String?

    public init(generation: Int?, files: Int, committed: Bool, warnings: [String] = [], skipped: String? = nil) {
        self.generation = generation
        self.files = files
        self.committed = committed
        self.warnings = warnings
        self.skipped = skipped
    }
}
