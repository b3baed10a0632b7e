extension S3Client {
    /// A presigned URL that lets its holder `method` (`GET`, `PUT`, …) `bucket`/`key` for `expires` seconds
    /// (1…604800) without credentials. The URL is a secret: it is never logged.
    public func presignedURL(method: String = "GET", bucket: String, key: String, expires: Int) async throws(S3Error)
        -> String
    {
        try S3Validation.validateBucketName(bucket)
        try S3Validation.validateKey(key)
        try S3Validation.validateExpiry(expires)
        let region = region(for: bucket)
        let url = configuration.endpoint.with(region: region).url(bucket: bucket, key: key)
        let credentials = try await currentCredentials()
        return SigV4Signer(region: region).presign(method: method, url: url, expires: expires, credentials: credentials)
    }
}
