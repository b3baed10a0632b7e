/// An `s3://bucket/key` address.
public struct S3URI: Sendable, Equatable, CustomStringConvertible {
    /// The bucket, validated.
    public var bucket: String
    /// Everything after `bucket/` (may be empty: the whole bucket).
    public var key: String

    /// Parses `s3://bucket[/key]`; throws ``S3Error/Code/invalidInput`` naming what is wrong.
    public init(parsing text: String) throws(S3Error) {
        guard text.hasPrefix("s3://") else { throw .invalidInput("\"\(text)\" is not an s3://bucket/key address") }
        let rest = text.dropFirst("s3://".count)
        let bucket = rest.prefix { $0 != "/" }
        try S3Validation.validateBucketName(String(bucket))
        self.bucket = String(bucket)
        self.key = String(rest.dropFirst(bucket.count + (bucket.count < rest.count ? 1 : 0)))
    }

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    /// Whether `text` looks like an S3 address rather than a local path.
    public static func isS3(_ text: String) -> Bool { text.hasPrefix("s3://") }

    public var description: String { "s3://\(bucket)/\(key)" }
}
