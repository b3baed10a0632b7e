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

    public init(tarball: TarballOptions = TarballOptions(), overwrite: Bool = false, progress: ProgressHandler? = nil) {
        self.tarball = tarball
        self.overwrite = overwrite
        self.progress = progress
    }
}
