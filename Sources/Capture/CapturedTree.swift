#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A staging copy of a tree, made by ``TreeCapture/capture(source:options:logger:)``, to archive or upload in the
/// source's place. Call ``remove()`` when done.
public struct CapturedTree: Sendable {
    /// The staging directory: the tree as it should be saved.
    public let path: String
    /// The directory that was captured.
    public let source: String
    /// Relative paths of the databases in the staging tree, each one committed state that passed
    /// `PRAGMA quick_check` (fresh copies and last good copies alike).
    public let databases: [String]
    /// Relative paths of databases kept from their last good copy because a fresh copy failed.
    public let reusedDatabases: [String]
    /// Relative paths of databases left out of the staging tree (no good copy at all).
    public let skippedDatabases: [String]
    /// Relative paths of `-wal`, `-shm` and `-journal` companions left out.
    public let omittedCompanions: [String]
    /// Everything a user should hear about: skipped and reused databases, unsupported files.
    public let warnings: [String]
    /// Databases captured into memory (``CaptureOptions/imageChunkSize``): not in the staging tree at all.
    public var images: [DatabaseImage] = []

    /// Removes the staging tree (source files are untouched: they were hard-linked or copied).
    public func remove() {
        CaptureFiles.removeTree(path)
    }
}
