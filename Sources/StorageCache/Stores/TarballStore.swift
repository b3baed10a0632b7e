/// A primary cache of directory tarballs with actions/cache semantics: entries are immutable and found by the
/// exact key first, then by each restore key as a prefix, the newest entry winning.
///
/// Implementations: ``LocalTarballStore`` (a cache directory); a GitHub Actions cache store. A coordinator
/// uses one in front of S3. All methods are safe to call concurrently, from several processes too.
public protocol TarballStore: Sendable {
    /// A short name for logs and results (`local`, `github-actions`).
    var name: String { get }

    /// Finds the entry `restore` would use, checking what is cheap to check (its size), without restoring.
    /// A damaged entry is removed and reported as `corrupted`.
    func lookup(key: String, restoreKeys: [String]) async throws(StoreError) -> LookupResult

    /// Replaces `destination` with the matched entry's tree. The archive's SHA-256 is verified while it is
    /// extracted: on a mismatch the entry is removed, the result is `corrupted` and `destination` is untouched.
    /// A miss leaves `destination` untouched too. The paths of the old `destination` that `keepExcluded` (the
    /// save's exclude patterns) matches are kept (``Tarball/ExcludedCarryOver``), except the SQLite companions
    /// of a restored database.
    func restore(
        key: String, restoreKeys: [String], into destination: String, keepExcluded: [String],
        progress: ProgressHandler?
    ) async throws(StoreError) -> RestoreResult

    /// Archives `directory` under `key`. An existing entry with that key is kept (outcome `exists`) unless
    /// `options.overwrite` is set. Readers never see a half-written entry.
    func save(directory: String, key: String, options: SaveOptions) async throws(StoreError) -> SaveResult
}

extension TarballStore {
    /// ``restore(key:restoreKeys:into:keepExcluded:progress:)`` keeping nothing of the old tree.
    public func restore(
        key: String, restoreKeys: [String], into destination: String, progress: ProgressHandler?
    ) async throws(StoreError) -> RestoreResult {
        try await restore(key: key, restoreKeys: restoreKeys, into: destination, keepExcluded: [], progress: progress)
    }

    /// ``restore(key:restoreKeys:into:progress:)`` without progress.
    public func restore(
        key: String, restoreKeys: [String] = [], into destination: String
    ) async throws(StoreError) -> RestoreResult {
        try await restore(key: key, restoreKeys: restoreKeys, into: destination, progress: nil)
    }
}
