/// Values given on the command line, which win over `INPUT_*` variables and defaults. `nil` (or an empty list)
/// means "not given".
public struct SyncSettingsFlags: Sendable, Equatable {
    public var bucket: String?
    public var region: String?
    public var prefix: String?
    public var endpoint: String?
    public var pathStyle: Bool?
    public var expectedBucketOwner: String?
    public var allowInsecureEndpoint: Bool?
    public var agentIdentity: String?
    public var repo: String?
    public var sse: String?
    public var kmsKeyID: String?
    public var storageClass: String?
    public var excludes: [String] = []
    public var maxSyncSize: String?
    public var maxFileSize: String?
    public var concurrency: String?
    public var chunkThreshold: String?
    public var chunkSize: String?
    public var snapshot: Bool?
    public var storagePath: String?
    public var stateDirectory: String?

    public init() {}

    /// The flag that sets each input, for messages.
    public static let flagNames: [String: String] = [
        "s3-bucket": "--bucket", "s3-region": "--region", "s3-prefix": "--prefix", "s3-endpoint": "--endpoint",
        "s3-path-style": "--path-style", "agent-identity": "--agent-identity", "repo": "--repo",
        "s3-sse": "--sse", "s3-kms-key-id": "--kms-key-id", "s3-storage-class": "--storage-class",
        "exclude": "--exclude", "max-sync-size": "--max-sync-size", "max-file-size": "--max-file-size",
        "concurrency": "--concurrency", "snapshot": "--no-snapshot", "storage-path": "--path",
        "state-dir": "--state-dir", "s3-expected-bucket-owner": "--expected-bucket-owner",
        "s3-allow-insecure-endpoint": "--allow-insecure-endpoint", "chunk-threshold": "--chunk-threshold",
        "chunk-size": "--chunk-size",
    ]
}
