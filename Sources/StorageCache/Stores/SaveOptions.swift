import Tarball

/// How ``TarballStore/save(directory:key:options:)`` archives a directory.
public struct SaveOptions: Sendable {
    /// Compression and exclude patterns of the archive.
    public var tarball: TarballOptions
    /// Replace an existing entry with the same key (entries are otherwise immutable).
    public var overwrite: Bool
    /// Called from the saving thread as the archive grows.
    public var progress: ProgressHandler?
    /// Archive a staging copy in which every SQLite database is a consistent online backup
    /// (``Capture/TreeCapture``) and their `-wal`/`-shm`/`-journal` companions are left out.
    public var captureDatabases: Bool = true
    /// Where last good database copies are kept (see ``Capture/CaptureOptions/stateDirectory``); `nil`: none.
    public var captureStateDirectory: String?
    /// Generic entry metadata stored with the entry and returned by lookups and restores (``LookupResult/metadata``,
    /// ``RestoreResult/metadata``): the local index keeps it in the entry, a GitHub Actions cache entry as blob
    /// metadata. Names are lower-case letters and digits (valid Azure metadata names). The coordinator records the
    /// S3 generation here (``GenerationStamp``).
    public var metadata: [String: String] = [:]
    /// Awaited once the archive is written, right before the entry is committed; its result is merged over
    /// ``metadata``. Lets a caller stamp an entry with a value it learns while the archive is being written (the
    /// generation of the concurrent S3 push).
    public var resolveMetadata: (@Sendable () async -> [String: String])?

    public init(tarball: TarballOptions = TarballOptions(), overwrite: Bool = false, progress: ProgressHandler? = nil) {
        self.tarball = tarball
        self.overwrite = overwrite
        self.progress = progress
    }
}
