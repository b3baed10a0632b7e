/// How a tarball is compressed.
public enum TarballCompression: Sendable, Equatable {
    /// zstd at `level` (1…19, default 3) with `threads` worker threads (0 = one per core).
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

    public init(compression: TarballCompression = .zstd(), excludes: [String] = []) {
        self.compression = compression
        self.excludes = excludes
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
