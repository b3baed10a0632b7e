/// How a tarball is compressed.
public enum TarballCompression: Sendable, Equatable {
    /// zstd at `level` (1…19, default 3) with `threads` worker threads.
    ///
    /// `threads: 0` (the default) is zstd's single-threaded mode. On the measured storage tree (4,204 files,
    /// 100 MB, 2 cores) it was both faster and half the size of the multithreaded mode (6.9 MB vs 14.0 MB, 0.12 s
    /// vs 0.15 s for the compression alone), because multithreaded zstd compresses jobs with less shared history.
    /// `threads: N` (N ≥ 1) uses N worker threads; its output is the same for every N ≥ 1 but differs from
    /// `threads: 0`, so keep one setting where archives are compared by SHA-256.
    case zstd(level: Int = 3, threads: Int = 0)
    /// gzip at `level` (1…9, default 6).
    case gzip(level: Int = 6)
    /// No compression.
    case none
}

/// What goes into a tarball and how.
public struct TarballOptions: Sendable {
    /// Compression of the tar stream.
    public var compression: TarballCompression = .zstd()
    /// gitignore-like exclude patterns, relative to the archived directory (`*.log`, `tmp/`, `**/*.db-shm`).
    public var excludes: [String] = []
    /// Regular files left out by exact relative path (`/`-separated, no leading `./`), on top of `excludes`.
    public var skipPaths: Set<String> = []

    public init(compression: TarballCompression = .zstd(), excludes: [String] = [], skipPaths: Set<String> = []) {
        self.compression = compression
        self.excludes = excludes
        self.skipPaths = skipPaths
    }
}

/// What a written or extracted tarball held.
public struct TarballSummary: Sendable, Equatable {
    /// Lower-case hex SHA-256 of the compressed stream.
    public var sha256: String
    /// Bytes of the compressed stream.
    public var compressedBytes: Int64
    /// Regular files (hard links count once).
    public var files: Int
    /// Directories, the root excluded.
    public var directories: Int
    /// Symbolic links.
    public var symlinks: Int
    /// Bytes of regular-file content.
    public var contentBytes: Int64

    public init(
        sha256: String, compressedBytes: Int64, files: Int, directories: Int, symlinks: Int, contentBytes: Int64
    ) {
        self.sha256 = sha256
        self.compressedBytes = compressedBytes
        self.files = files
        self.directories = directories
        self.symlinks = symlinks
        self.contentBytes = contentBytes
    }
}
