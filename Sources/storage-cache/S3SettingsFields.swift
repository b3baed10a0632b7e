import StorageCache

/// The S3 flags that `CoordinatorOptions` (`restore`, `save`) and `SyncSettingsOptions` (`sync`, `status`, …) both
/// take. Each declares its own (their help texts differ); `s3SettingsFlags()` maps them in one place.
protocol S3SettingsFields {
    var bucket: String? { get }
    var region: String? { get }
    var prefix: String? { get }
    var endpoint: String? { get }
    var pathStyle: Bool? { get }
    var expectedBucketOwner: String? { get }
    var allowInsecureEndpoint: Bool { get }
    var agentIdentity: String? { get }
    var repo: String? { get }
    var sse: String? { get }
    var kmsKeyId: String? { get }
    var storageClass: String? { get }
    var maxSyncSize: String? { get }
    var stateDir: String? { get }
}

extension S3SettingsFields {
    /// `SyncSettingsFlags` with the shared S3 flags set and every other field unset.
    func s3SettingsFlags() -> SyncSettingsFlags {
        var flags = SyncSettingsFlags()
        flags.bucket = bucket
        flags.region = region
        flags.prefix = prefix
        flags.endpoint = endpoint
        flags.pathStyle = pathStyle
        flags.expectedBucketOwner = expectedBucketOwner
        flags.allowInsecureEndpoint = allowInsecureEndpoint ? true : nil
        flags.agentIdentity = agentIdentity
        flags.repo = repo
        flags.sse = sse
        flags.kmsKeyID = kmsKeyId
        flags.storageClass = storageClass
        flags.maxSyncSize = maxSyncSize
        flags.stateDirectory = stateDir
        return flags
    }
}
