/// Settings for an ``S3Client``.
public struct S3ClientConfiguration: Sendable {
    /// The region requests are signed for, e.g. `us-east-1`.
    public var region: String
    /// Where requests go and how buckets are addressed.
    public var endpoint: S3Endpoint
    /// How failed requests are retried.
    public var retryPolicy: RetryPolicy
    /// Files larger than this go up as multipart uploads.
    public var multipartThreshold: Int64
    /// The size of each part of a multipart upload (grown when a file would need more than 10,000 parts).
    public var multipartPartSize: Int64
    /// Parts of one multipart upload in flight at once.
    public var multipartConcurrency: Int
    /// When S3 says a bucket lives in another region, re-sign for that region and try again
    /// (otherwise fail with ``S3Error/Code/wrongRegion``).
    public var followRegionRedirects: Bool
    /// The 12-digit account id the bucket must belong to: sent as `x-amz-expected-bucket-owner` on every request
    /// that names a bucket (except CreateBucket, which S3 does not accept it on) and signed into presigned URLs.
    /// S3 answers 403 AccessDenied when the bucket belongs to another account.
    public var expectedBucketOwner: String?
    /// Allow a plain-http endpoint whose host is not loopback (see ``S3EndpointSafety``). Link-local and
    /// instance-metadata addresses are refused regardless.
    public var allowInsecureEndpoint: Bool
    /// The key prefix the IAM statement suggested for an AccessDenied names (`arn:aws:s3:::<bucket>/<prefix>/*`);
    /// `nil`: the object's own key.
    public var permissionPrefix: String?

    /// Settings for `region` on AWS, or on `endpoint` when given.
    public init(
        region: String, endpoint: S3Endpoint? = nil, retryPolicy: RetryPolicy = .standard,
        multipartThreshold: Int64 = 8 << 20, multipartPartSize: Int64 = 8 << 20, multipartConcurrency: Int = 4,
        followRegionRedirects: Bool = true, expectedBucketOwner: String? = nil, allowInsecureEndpoint: Bool = false,
        permissionPrefix: String? = nil
    ) {
        self.region = region
        self.endpoint = endpoint ?? .aws(region: region)
        self.retryPolicy = retryPolicy
        self.multipartThreshold = multipartThreshold
        self.multipartPartSize = max(5 << 20, multipartPartSize)
        self.multipartConcurrency = max(1, multipartConcurrency)
        self.followRegionRedirects = followRegionRedirects
        self.expectedBucketOwner = expectedBucketOwner
        self.allowInsecureEndpoint = allowInsecureEndpoint
        self.permissionPrefix = permissionPrefix
    }
}
