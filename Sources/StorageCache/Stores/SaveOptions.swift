import Tarball

/// How ``TarballStore/save(directory:key:options:)`` archives a directory.
public struct SaveOptions: Sendable {
    /// Compression and exclude patterns of the archive.
    public var tarball: TarballOptions
    /// Replace an existing entry with the same key (entries are otherwise immutable).
    public var overwrite: Bool
    /// Called from the saving thread as the archive grows.
    public var progress: ProgressHandler?

    public init(tarball: TarballOptions = TarballOptions(), overwrite: Bool = false, progress: ProgressHandler? = nil) {
        self.tarball = tarball
        self.overwrite = overwrite
        self.progress = progress
    }
}
