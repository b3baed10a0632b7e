import ArgumentParser
import StorageCache

/// The flags of `sync push`, `sync pull` and `status`: each overrides its `INPUT_*` variable.
struct SyncSettingsOptions: ParsableArguments, S3SettingsFields {
    @Option(help: "The local storage directory (INPUT_STORAGE-PATH).")
    var path: String?

    @Option(help: "S3 bucket (INPUT_S3-BUCKET; required).")
    var bucket: String?

    @OptionGroup var target: S3TargetOptions

    @Option(help: "gitignore-like pattern to leave out; repeatable (INPUT_EXCLUDE, one per line).")
    var exclude: [String] = []

    @Option(help: "Most bytes a push holds, e.g. 500M, 2GiB (INPUT_MAX-SYNC-SIZE).")
    var maxSyncSize: String?

    @Option(help: "Largest file a push uploads, e.g. 100M (INPUT_MAX-FILE-SIZE).")
    var maxFileSize: String?

    @Option(help: "Objects in flight at once, 1…256 (INPUT_CONCURRENCY; default 32).")
    var concurrency: String?

    @Option(help: "Files this large or larger are chunked into packs; 0 = off (INPUT_CHUNK-THRESHOLD; default 8M).")
    var chunkThreshold: String?

    @Option(help: "Bytes per chunk, 4K…16M, a multiple of 4 KiB (INPUT_CHUNK-SIZE; default 64K).")
    var chunkSize: String?

    @Flag(help: "Write no snapshot tarball and pull per-file objects (INPUT_SNAPSHOT=false).")
    var noSnapshot = false

    @Option(
        help: "State directory: pending queue, hash cache (INPUT_STATE-DIR; default $XDG_STATE_HOME/storage-cache).")
    var stateDir: String?

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Flag(help: "Log each request (method, host, path, status) to stderr. Never logs secrets.")
    var verbose = false

    var flags: SyncSettingsFlags {
        var flags = s3SettingsFlags()
        flags.storagePath = path
        flags.excludes = exclude
        flags.maxFileSize = maxFileSize
        flags.concurrency = concurrency
        flags.chunkThreshold = chunkThreshold
        flags.chunkSize = chunkSize
        flags.snapshot = noSnapshot ? false : nil
        return flags
    }
}
