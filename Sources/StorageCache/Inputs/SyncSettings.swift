import Foundation
import S3

/// Everything a sync needs, resolved from flags first, then `INPUT_*` variables, then defaults, and validated.
///
/// Every invalid value is an ``InputError`` naming its input and flag. Credentials are never part of the settings:
/// they come from the AWS credential chain when a client is made.
public struct SyncSettings: Sendable, Equatable {
    /// Where the tree lives in S3 (bucket, prefix, agent identity, repository).
    public var location: SyncLocation
    /// The region requests are signed for.
    public var region: String
    /// A custom endpoint URL (MinIO, R2, LocalStack), `nil` for AWS.
    public var endpoint: String?
    /// Whether buckets go in the URL path.
    public var pathStyle: Bool
    /// The 12-digit account id the bucket must belong to (`s3-expected-bucket-owner`), sent as
    /// `x-amz-expected-bucket-owner` on every request.
    public var expectedBucketOwner: String?
    /// Whether a plain-http endpoint that is not loopback is allowed (`s3-allow-insecure-endpoint`).
    public var allowInsecureEndpoint: Bool = false
    /// Server-side encryption of written objects (`nil`: the bucket's default).
    public var serverSideEncryption: S3ServerSideEncryption?
    /// The storage class of written objects.
    public var storageClass: String?
    /// The given gitignore-like exclude patterns; ``syncOptions()`` puts
    /// ``OpenCodeDefaults/excludes(includeCredentials:)`` before them (so they may re-include with `!`).
    public var excludes: [String]
    /// Whether credential files are saved (`include-credentials: true`); see ``warnings``.
    public var includeCredentials: Bool = false
    /// The most content bytes a push holds.
    public var maxSyncSize: Int64?
    /// The largest file a push uploads.
    public var maxFileSize: Int64?
    /// Objects in flight at once (1…256).
    public var concurrency: Int
    /// Whether pushes write, and pulls use, a snapshot tarball.
    public var snapshot: Bool
    /// Files of at least this many bytes are chunked into packs (`0`: off).
    public var chunkThreshold: Int64 = SyncOptions().chunkThreshold
    /// Bytes per chunk.
    public var chunkSize: Int64 = SyncOptions().chunkSize
    /// The local directory to push or pull, when given.
    public var storagePath: String?
    /// The directory for local state (pending queue, hash cache).
    public var stateDirectory: String

    /// What a user must be told about these settings (credentials included on purpose).
    public var warnings: [String] { includeCredentials ? [OpenCodeDefaults.credentialsWarning] : [] }

    /// The default concurrency.
    public static let defaultConcurrency = 32
    /// The region used when none is set anywhere.
    public static let fallbackRegion = "us-east-1"

    /// Whether a bucket is given at all (by flag or `INPUT_S3-BUCKET`): without one, S3 is not configured.
    public static func isConfigured(
        flags: SyncSettingsFlags, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Bool {
        nonEmpty(flags.bucket) != nil || ActionInputs(environment: environment).string("s3-bucket") != nil
    }

    /// Resolves and validates every setting.
    public static func resolve(
        flags: SyncSettingsFlags, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(InputError) -> SyncSettings {
        let inputs = ActionInputs(environment: environment)
        func value(_ flag: String?, _ input: String) -> String? { nonEmpty(flag) ?? inputs.string(input) }
        func error(_ input: String, _ message: String) -> InputError {
            InputError(input: input, flag: SyncSettingsFlags.flagNames[input], message: message)
        }

        guard let bucket = value(flags.bucket, "s3-bucket") else {
            throw error("s3-bucket", "is required (set --bucket or INPUT_S3-BUCKET)")
        }
        do {
            try S3Validation.validateBucketName(bucket)
        } catch {
            throw InputError(input: "s3-bucket", flag: "--bucket", message: error.message)
        }

        let region =
            value(flags.region, "s3-region") ?? AWSRegionResolver.region(environment: environment) ?? fallbackRegion
        guard region.utf8.allSatisfy({ isLowerAlnum($0) || $0 == UInt8(ascii: "-") }), region.count <= 64 else {
            throw error("s3-region", "must be a region name such as us-east-1, not \"\(region)\"")
        }

        let endpoint =
            value(flags.endpoint, "s3-endpoint") ?? nonEmpty(environment["AWS_ENDPOINT_URL_S3"])
            ?? nonEmpty(environment["AWS_ENDPOINT_URL"])
        var allowInsecure = false
        if let given = flags.allowInsecureEndpoint {
            allowInsecure = given
        } else if let given = try inputs.bool("s3-allow-insecure-endpoint", flag: "--allow-insecure-endpoint") {
            allowInsecure = given
        }
        if let endpoint {
            do {
                try S3EndpointSafety.check(S3Endpoint.custom(endpoint), allowInsecure: allowInsecure)
            } catch {
                throw InputError(input: "s3-endpoint", flag: "--endpoint", message: error.message)
            }
        }
        let owner = value(flags.expectedBucketOwner, "s3-expected-bucket-owner")
        if let owner {
            do {
                try S3Validation.validateAccountID(owner)
            } catch {
                throw InputError(
                    input: "s3-expected-bucket-owner", flag: "--expected-bucket-owner", message: error.message)
            }
        }
        var pathStyle = endpoint != nil
        if let given = flags.pathStyle {
            pathStyle = given
        } else if let given = try inputs.bool("s3-path-style", flag: "--path-style") {
            pathStyle = given
        }

        let identityText = value(flags.agentIdentity, "agent-identity") ?? AgentIdentity.github.rawValue
        guard let identity = AgentIdentity(rawValue: identityText.lowercased()) else {
            throw error("agent-identity", "must be github or discord, not \"\(identityText)\"")
        }

        guard let repo = value(flags.repo, "repo") ?? nonEmpty(environment["GITHUB_REPOSITORY"]) else {
            throw error("repo", "is required (set --repo, INPUT_REPO or GITHUB_REPOSITORY; expected owner/repo)")
        }
        let location: SyncLocation
        do {
            location = try SyncLocation(
                bucket: bucket, prefix: value(flags.prefix, "s3-prefix") ?? SyncLocation.defaultPrefix,
                agentIdentity: identity, repo: repo)
        } catch {
            throw InputError(
                input: error.input, flag: SyncSettingsFlags.flagNames[error.input], message: error.message)
        }

        let kmsKeyID = value(flags.kmsKeyID, "s3-kms-key-id")
        let sse: S3ServerSideEncryption?
        switch value(flags.sse, "s3-sse") {
        case nil, "none"?: sse = nil
        case "AES256"?: sse = .s3
        case "aws:kms"?: sse = .kms(keyID: kmsKeyID)
        case let other?: throw error("s3-sse", "must be AES256, aws:kms or none, not \"\(other)\"")
        }
        if kmsKeyID != nil, sse != .kms(keyID: kmsKeyID) {
            throw error("s3-kms-key-id", "needs s3-sse aws:kms")
        }

        let storageClass = value(flags.storageClass, "s3-storage-class")
        if let storageClass,
            !storageClass.utf8.allSatisfy({
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: "_")
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            })
        {
            throw error(
                "s3-storage-class", "must be a storage class such as STANDARD or STANDARD_IA, not \"\(storageClass)\"")
        }

        let includeCredentials = try inputs.bool("include-credentials", flag: nil) ?? false
        let excludes = flags.excludes.isEmpty ? inputs.list("exclude") : flags.excludes
        let maxSyncSize = try value(flags.maxSyncSize, "max-sync-size").map { (text) throws(InputError) in
            try ByteSize.parse(text, input: "max-sync-size", flag: "--max-sync-size")
        }
        let maxFileSize = try value(flags.maxFileSize, "max-file-size").map { (text) throws(InputError) in
            try ByteSize.parse(text, input: "max-file-size", flag: "--max-file-size")
        }

        var concurrency = defaultConcurrency
        if let text = value(flags.concurrency, "concurrency") {
            guard let parsed = Int(text), (1...256).contains(parsed) else {
                throw error("concurrency", "must be a whole number from 1 to 256, not \"\(text)\"")
            }
            concurrency = parsed
        }

        let chunkThreshold = try value(flags.chunkThreshold, "chunk-threshold").map { (text) throws(InputError) in
            // `0` turns chunking off.
            text == "0" ? 0 : try ByteSize.parse(text, input: "chunk-threshold", flag: "--chunk-threshold")
        }
        let chunkSize = try value(flags.chunkSize, "chunk-size").map { (text) throws(InputError) in
            try ByteSize.parse(text, input: "chunk-size", flag: "--chunk-size")
        }
        if let chunkSize, chunkSize < 4096 || chunkSize > 16 << 20 || chunkSize % 4096 != 0 {
            throw error("chunk-size", "must be a multiple of 4 KiB from 4K to 16M, not \(chunkSize) bytes")
        }

        var snapshot = true
        if let given = flags.snapshot {
            snapshot = given
        } else if let given = try inputs.bool("snapshot", flag: "--no-snapshot") {
            snapshot = given
        }
        let storagePath =
            value(flags.storagePath, "storage-path").map { expandTilde($0, environment: environment) }
            ?? OpenCodeDefaults.dataDirectory(environment: environment)
        let stateDirectory = try resolveStateDirectory(flags: flags, environment: environment)

        var settings = SyncSettings(
            location: location, region: region, endpoint: endpoint, pathStyle: pathStyle,
            serverSideEncryption: sse, storageClass: storageClass, excludes: excludes, maxSyncSize: maxSyncSize,
            maxFileSize: maxFileSize, concurrency: concurrency, snapshot: snapshot, storagePath: storagePath,
            stateDirectory: stateDirectory)
        settings.includeCredentials = includeCredentials
        settings.expectedBucketOwner = owner
        settings.allowInsecureEndpoint = allowInsecure
        if let chunkThreshold { settings.chunkThreshold = chunkThreshold }
        if let chunkSize { settings.chunkSize = chunkSize }
        return settings
    }

    /// The state directory: `--state-dir`, `INPUT_STATE-DIR`, `$XDG_STATE_HOME/storage-cache`, else
    /// `~/.local/state/storage-cache`.
    public static func resolveStateDirectory(
        flags: SyncSettingsFlags, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(InputError) -> String {
        if let given = nonEmpty(flags.stateDirectory) ?? ActionInputs(environment: environment).string("state-dir") {
            return expandTilde(given, environment: environment)
        }
        if let xdg = nonEmpty(environment["XDG_STATE_HOME"]), xdg.hasPrefix("/") {
            return xdg + "/storage-cache"
        }
        guard let home = nonEmpty(environment["HOME"]) else {
            throw InputError(
                input: "state-dir", flag: "--state-dir", message: "HOME is not set; give a state directory")
        }
        return home + "/.local/state/storage-cache"
    }

    /// The S3 endpoint these settings name.
    public func s3Endpoint() throws(S3Error) -> S3Endpoint {
        if let endpoint { return try S3Endpoint.custom(endpoint, forcePathStyle: pathStyle) }
        return S3Endpoint.aws(region: region, forcePathStyle: pathStyle)
    }

    /// ``s3Endpoint()`` after ``S3EndpointSafety/checkResolved(_:allowInsecure:)``: the host is resolved (once, here)
    /// and a link-local, metadata or (without `s3-allow-insecure-endpoint`) non-loopback plain-http address is an
    /// ``InputError`` for `s3-endpoint`, before any request.
    public func checkedEndpoint() throws(InputError) -> S3Endpoint {
        do {
            let endpoint = try s3Endpoint()
            try S3EndpointSafety.checkResolved(endpoint, allowInsecure: allowInsecureEndpoint)
            return endpoint
        } catch {
            throw InputError(input: "s3-endpoint", flag: "--endpoint", message: error.message)
        }
    }

    /// The client settings for `endpoint`: region, expected bucket owner, insecure-endpoint permission, and the
    /// prefix AccessDenied messages suggest IAM statements for.
    public func clientConfiguration(endpoint: S3Endpoint) -> S3ClientConfiguration {
        S3ClientConfiguration(
            region: region, endpoint: endpoint, expectedBucketOwner: expectedBucketOwner,
            allowInsecureEndpoint: allowInsecureEndpoint, permissionPrefix: location.prefix)
    }

    /// The engine options these settings ask for (`dryRun` off).
    public func syncOptions() -> SyncOptions {
        var options = SyncOptions()
        options.concurrency = concurrency
        options.excludes = OpenCodeDefaults.excludes(includeCredentials: includeCredentials) + excludes
        options.maxFileSize = maxFileSize
        options.maxTotalSize = maxSyncSize
        options.snapshot = snapshot
        options.chunkThreshold = chunkThreshold
        options.chunkSize = chunkSize
        options.stateDirectory = stateDirectory
        options.putOptions = S3PutOptions(storageClass: storageClass, serverSideEncryption: serverSideEncryption)
        return options
    }

    static func nonEmpty(_ value: String?) -> String? {
        guard let trimmed = value?.trimmingSpaces(), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func expandTilde(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = nonEmpty(environment["HOME"]) else { return path }
        return home + path.dropFirst()
    }
}
