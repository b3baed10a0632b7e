import Foundation

/// One push that failed after retries and waits to be retried: what to push, where, and how it failed.
///
/// It holds what a retry needs (paths, bucket, prefix, identity, repository, endpoint, region, object options)
/// and never a credential or secret: a retry takes credentials from the environment's chain at that time.
public struct PendingEntry: Codable, Sendable, Equatable {
    /// A unique id.
    public var id: String
    /// The operation that failed (`push`).
    public var operation: String
    /// The local directory that was being pushed.
    public var localPath: String
    public var bucket: String
    public var prefix: String
    public var agentIdentity: String
    public var repo: String
    /// The custom endpoint URL, `nil` for AWS.
    public var endpoint: String?
    public var region: String
    public var pathStyle: Bool
    /// `s3-expected-bucket-owner`, kept so that the retry sends the header too (absent in older files).
    public var expectedBucketOwner: String?
    /// `s3-allow-insecure-endpoint` when it was on (absent in older files).
    public var allowInsecureEndpoint: Bool?
    /// Object options: `AES256`, `aws:kms` or `nil`, the KMS key id (an identifier, not a secret), storage class.
    public var sse: String?
    public var kmsKeyID: String?
    public var storageClass: String?
    /// Push options.
    public var excludes: [String]
    public var maxSyncSize: Int64?
    public var maxFileSize: Int64?
    public var concurrency: Int
    public var snapshot: Bool
    /// When it first and last failed.
    public var firstFailedAt: Date
    public var lastFailedAt: Date
    /// Failed attempts so far (each a whole push with the client's own retries).
    public var attempts: Int
    /// The last error's message (secret-free).
    public var lastError: String

    public init(
        id: String = UUID().uuidString.lowercased(), operation: String = "push", localPath: String, bucket: String,
        prefix: String, agentIdentity: String, repo: String, endpoint: String?, region: String, pathStyle: Bool,
        sse: String? = nil, kmsKeyID: String? = nil, storageClass: String? = nil, excludes: [String] = [],
        maxSyncSize: Int64? = nil, maxFileSize: Int64? = nil, concurrency: Int = 32, snapshot: Bool = true,
        failedAt: Date = Date(), attempts: Int = 1, lastError: String
    ) {
        self.id = id
        self.operation = operation
        self.localPath = localPath
        self.bucket = bucket
        self.prefix = prefix
        self.agentIdentity = agentIdentity
        self.repo = repo
        self.endpoint = endpoint
        self.region = region
        self.pathStyle = pathStyle
        self.sse = sse
        self.kmsKeyID = kmsKeyID
        self.storageClass = storageClass
        self.excludes = excludes
        self.maxSyncSize = maxSyncSize
        self.maxFileSize = maxFileSize
        self.concurrency = concurrency
        self.snapshot = snapshot
        self.firstFailedAt = failedAt
        self.lastFailedAt = failedAt
        self.attempts = attempts
        self.lastError = lastError
    }

    /// Entries with the same key describe the same work: a newer failure replaces the older one.
    public var key: String {
        [operation, localPath, bucket, prefix, agentIdentity, SyncLocation.sanitize(repo: repo), endpoint ?? ""]
            .joined(separator: "\n")
    }

    /// The entry for a failed push of `settings` from `localPath`.
    public init(failedPush settings: SyncSettings, localPath: String, error: String, at date: Date = Date()) {
        var sse: String?
        var kmsKeyID: String?
        switch settings.serverSideEncryption {
        case .s3?: sse = "AES256"
        case .kms(let keyID)?:
            sse = "aws:kms"
            kmsKeyID = keyID
        case .customerKey?, nil: break
        }
        self.init(
            localPath: localPath, bucket: settings.location.bucket, prefix: settings.location.prefix,
            agentIdentity: settings.location.agentIdentity.rawValue, repo: settings.location.repo,
            endpoint: settings.endpoint, region: settings.region, pathStyle: settings.pathStyle, sse: sse,
            kmsKeyID: kmsKeyID, storageClass: settings.storageClass, excludes: settings.excludes,
            maxSyncSize: settings.maxSyncSize, maxFileSize: settings.maxFileSize, concurrency: settings.concurrency,
            snapshot: settings.snapshot, failedAt: date, lastError: error)
        expectedBucketOwner = settings.expectedBucketOwner
        allowInsecureEndpoint = settings.allowInsecureEndpoint ? true : nil
    }

    /// The settings to retry this entry with, in `stateDirectory`.
    public func settings(stateDirectory: String) throws(InputError) -> SyncSettings {
        var flags = SyncSettingsFlags()
        flags.bucket = bucket
        flags.prefix = prefix
        flags.agentIdentity = agentIdentity
        flags.repo = repo
        flags.endpoint = endpoint
        flags.region = region
        flags.pathStyle = pathStyle
        flags.expectedBucketOwner = expectedBucketOwner
        flags.allowInsecureEndpoint = allowInsecureEndpoint
        flags.sse = sse
        flags.kmsKeyID = kmsKeyID
        flags.storageClass = storageClass
        flags.excludes = excludes
        flags.maxSyncSize = maxSyncSize.map(String.init)
        flags.maxFileSize = maxFileSize.map(String.init)
        flags.concurrency = String(concurrency)
        flags.snapshot = snapshot
        flags.storagePath = localPath
        flags.stateDirectory = stateDirectory
        // Only the entry counts: no INPUT_* or endpoint variables of the retrying process.
        var environment: [String: String] = [:]
        environment["HOME"] = ProcessInfo.processInfo.environment["HOME"]
        return try SyncSettings.resolve(flags: flags, environment: environment)
    }
}
