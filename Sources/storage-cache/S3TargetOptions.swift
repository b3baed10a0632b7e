import ArgumentParser

/// The S3 flags that every command reaching S3 takes in the same words (`restore`, `save`, `run`, `sync`,
/// `status`, `doctor`): where the copy lives (region, prefix, endpoint, identity, repository) and how objects are
/// written. Each overrides its `INPUT_*` variable.
struct S3TargetOptions: ParsableArguments {
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

    @Option(help: "owner/repo (INPUT_REPO; default $GITHUB_REPOSITORY; needed for S3).")
    var repo: String?

    @Option(help: "Server-side encryption: AES256, aws:kms or none (INPUT_S3-SSE).")
    var sse: String?

    @Option(help: "KMS key id or ARN for --sse aws:kms (INPUT_S3-KMS-KEY-ID).")
    var kmsKeyId: String?

    @Option(help: "Storage class of written objects (INPUT_S3-STORAGE-CLASS).")
    var storageClass: String?

    @Option(help: "Profile of the shared AWS config and credentials files (default $AWS_PROFILE).")
    var profile: String?
}
