/// How ``TreeCapture`` copies a tree.
public struct CaptureOptions: Sendable {
    /// gitignore-like exclude patterns (``Tarball/ExcludeMatcher``); excluded paths are not staged at all.
    public var excludes: [String]
    /// Where the last good copy of every database is kept, so a database that fails its check (or stays locked)
    /// is still saved in its last good state. `nil`: no last good copies; such a database is left out.
    public var stateDirectory: String?
    /// How long a busy or locked database is waited for before it is skipped, in seconds.
    public var lockWait: Double
    /// Pages copied per `sqlite3_backup_step`.
    public var pagesPerStep: Int32
    /// The directory to create the staging tree in. `nil`: beside the source (same file system, so regular files
    /// are hard-linked), else a temporary directory.
    public var stagingParent: String?
    /// When set, databases are read straight into memory (main file + committed WAL frames, no copy written) and
    /// hashed in chunks of this many bytes while `PRAGMA quick_check` runs; those of at least
    /// ``imageMinimumSize`` bytes stay in memory (``CapturedTree/images``), smaller ones are written to the staging
    /// tree. `nil`: every database is copied to the staging tree by the online backup API.
    public var imageChunkSize: Int64?
    /// Images at least this large stay in memory.
    public var imageMinimumSize: Int64 = 0
    /// Databases whose image would be larger are copied by the backup API instead.
    public var imageMaximumSize: Int64 = 1 << 30

    public init(
        excludes: [String] = [], stateDirectory: String? = nil, lockWait: Double = 10, pagesPerStep: Int32 = 1024,
        stagingParent: String? = nil
    ) {
        self.excludes = excludes
        self.stateDirectory = stateDirectory
        self.lockWait = lockWait
        self.pagesPerStep = pagesPerStep
        self.stagingParent = stagingParent
    }
}
