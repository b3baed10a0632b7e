import S3

/// How a ``SyncEngine`` pushes and pulls.
public struct SyncOptions: Sendable {
    /// Objects moved at once (default 32).
    public var concurrency: Int = 32
    /// gitignore-like exclude patterns.
    public var excludes: [String] = []
    /// Files larger than this are skipped (with a warning).
    public var maxFileSize: Int64?
    /// Total content bytes a push may hold; the largest files are skipped beyond it (with a warning).
    public var maxTotalSize: Int64?
    /// How objects are written: storage class, server-side encryption, metadata.
    public var putOptions: S3PutOptions = S3PutOptions()
    /// Write a snapshot tarball with every push and use it for pulls when current.
    public var snapshot: Bool = true
    /// A directory for local state: the hash cache that skips re-hashing unchanged files. `nil` disables it.
    public var stateDirectory: String?
    /// Push a staging copy in which every SQLite database is a consistent online backup (``Capture/TreeCapture``)
    /// and their `-wal`/`-shm`/`-journal` companions are left out. Last good copies live in `stateDirectory`.
    public var captureDatabases: Bool = true
    /// With `captureDatabases`: read databases that will be chunked straight into memory (no copy written; see
    /// ``Capture/CaptureOptions/imageChunkSize``) instead of copying them by the backup API. Turned off when
    /// another capture of the same tree may run in this process at the same time (its plain `open`/`close` of a
    /// database file would drop this capture's locks).
    public var captureInMemory: Bool = true
    /// Files of at least this many bytes are cut into chunks stored in packs (only new chunks are uploaded);
    /// `0` turns chunking off. Default 8 MiB.
    public var chunkThreshold: Int64 = 8 << 20
    /// Bytes per chunk (default 64 KiB, a multiple of every SQLite page size).
    public var chunkSize: Int64 = 64 << 10
    /// Plan only: read the remote manifest and scan, change nothing.
    public var dryRun: Bool = false
    /// The generation the pushed tree was built on (restored from), `0` for "nothing was stored", `nil` for
    /// unknown (an unconditional push, as before). When set, a push commits only while S3's current generation
    /// is at most this one, checked right before the manifest commit (the retry after a lost race included): a
    /// newer generation stays current, no per-file object is overwritten, and the rejected manifest is kept under
    /// `<root>/conflicts/` (``SyncConflict``, ``PushResult/conflict``).
    public var expectedBaseGeneration: Int?
    /// Multipart uploads under the location's root started longer ago than this are aborted after a commit (what
    /// a killed push leaves behind); `nil` never looks. Default 24 hours.
    public var staleUploadAge: Duration? = .seconds(24 * 3600)
    /// A commit looks for stale uploads when its generation is a multiple of this (default 10: one listing per
    /// ten pushes).
    public var staleUploadCheckInterval: Int = 10
    /// Runs immediately before every manifest commit; a throw stops the push (a lost ``HostLease``).
    public var commitGuard: (any ManifestCommitGuard)?

    public init() {}
}
