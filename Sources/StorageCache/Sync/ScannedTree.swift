/// The result of scanning a local tree: its entries, and what was left out and why.
public struct ScannedTree: Sendable {
    /// A path left out of the scan.
    public struct Skipped: Sendable, Equatable {
        /// The relative path.
        public var path: String
        /// Why, for a warning.
        public var reason: String
    }

    /// Every kept entry, sorted by path.
    public var entries: [ManifestEntry]
    /// Paths left out (size limits, unreadable, changing, unsupported type, non-UTF-8 name).
    public var skipped: [Skipped]
    /// How many files were hashed (the rest came from the hash cache).
    public var hashedFiles: Int

    /// Regular files' total content size.
    public var totalBytes: Int64 { entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) } }
}
