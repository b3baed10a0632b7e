import StorageCache

/// The S3 flags that `CoordinatorOptions` (`restore`, `save`) and `SyncSettingsOptions` (`sync`, `status`, …) both
/// take: the shared ``S3TargetOptions`` group, plus the few whose help texts differ (bucket, size limit, state
/// directory). `s3SettingsFlags()` maps them in one place.
protocol S3SettingsFields {
    var bucket: String? { get }
    var target: S3TargetOptions { get }
    var maxSyncSize: String? { get }
    var stateDir: String? { get }
}

extension S3SettingsFields {
    /// `SyncSettingsFlags` with the shared S3 flags set and every other field unset.
    func s3SettingsFlags() -> SyncSettingsFlags {
        var flags = SyncSettingsFlags()
        flags.bucket = bucket
        flags.region = target.region
        flags.prefix = target.prefix
        flags.endpoint = target.endpoint
        flags.pathStyle = target.pathStyle
        flags.expectedBucketOwner = target.expectedBucketOwner
        flags.allowInsecureEndpoint = target.allowInsecureEndpoint ? true : nil
        flags.agentIdentity = target.agentIdentity
        flags.repo = target.repo
        flags.sse = target.sse
        flags.kmsKeyID = target.kmsKeyId
        flags.storageClass = target.storageClass
        flags.maxSyncSize = maxSyncSize
        flags.stateDirectory = stateDir
        return flags
    }
}
