import ArgumentParser
import StorageCache

/// The flags of `sync push`, `sync pull` and `status`: each overrides its `INPUT_*` variable.
struct SyncSettingsOptions: ParsableArguments, S3SettingsFields {
    @Option(help: "The local storage directory (INPUT_STORAGE-PATH).")
    var path: String?

    @Option(help: "S3 bucket (INPUT_S3-BUCKET; required).")
    var bucket: String?

    @Option(help: "Region (INPUT_S3-REGION; default $AWS_REGION, $AWS_DEFAULT_REGION, the profile's, us-east-1).")
    var region: String?

    @Option(help: "Key prefix (INPUT_S3-PREFIX; default opencode-storage).")
    var prefix: String?

    @Option(help: "Endpoint URL for MinIO, R2, LocalStack (INPUT_S3-ENDPOINT; default AWS or $AWS_ENDPOINT_URL_S3).")
    var endpoint: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Bucket in the URL path (INPUT_S3-PATH-STYLE; default on with --endpoint, off for AWS).")
    var pathStyle: Bool?

    @Option(help: "12-digit account id the bucket must belong to (INPUT_S3-EXPECTED-BUCKET-OWNER).")
    var expectedBucketOwner: String?

    @Flag(help: "Allow a plain-http endpoint that is not loopback (INPUT_S3-ALLOW-INSECURE-ENDPOINT).")
    var allowInsecureEndpoint = false

    @Option(help: "github or discord (INPUT_AGENT-IDENTITY; default github).")
    var agentIdentity: String?

    @Option(help: "owner/repo (INPUT_REPO; default $GITHUB_REPOSITORY; required).")
    var repo: String?

    @Option(help: "Server-side encryption: AES256, aws:kms or none (INPUT_S3-SSE).")
    var sse: String?

    @Option(help: "KMS key id or ARN for --sse aws:kms (INPUT_S3-KMS-KEY-ID).")
    var kmsKeyId: String?

    @Option(help: "Storage class of written objects (INPUT_S3-STORAGE-CLASS).")
    var storageClass: String?

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

    @Option(help: "Profile of the shared AWS config and credentials files (default $AWS_PROFILE).")
    var profile: String?

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
