extension S3Client {
    /// A presigned URL that lets its holder `method` (`GET`, `PUT`, …) `bucket`/`key` for `expires` seconds
    /// (1…604800) without credentials. The URL is a secret: it is never logged. With
    /// ``S3ClientConfiguration/expectedBucketOwner`` the URL carries `x-amz-expected-bucket-owner` in its signed
    /// query, so S3 refuses it for a bucket of another account.
    public func presignedURL(method: String = "GET", bucket: String, key: String, expires: Int) async throws(S3Error)
        -> String
    {
        try S3Validation.validateBucketName(bucket)
        try S3Validation.validateKey(key)
        try S3Validation.validateExpiry(expires)
        try checkEndpoint()
        let region = region(for: bucket)
        let endpoint = configuration.endpoint.with(region: region)
        let credentials = try await currentCredentials()
        // The expected owner travels as a signed query parameter, lower-case as S3 requires to enforce it.
        let query = configuration.expectedBucketOwner.map { [("x-amz-expected-bucket-owner", $0)] } ?? []
        let signed = SigV4Signer(region: region).presign(
            method: method, url: endpoint.signingURL(bucket: bucket, key: key, query: query), expires: expires,
            credentials: credentials)
        guard S3Endpoint.hasDotSegments(key), let start = signed.firstIndex(of: "?") else { return signed }
        // Signed over literal dot segments (as S3 canonicalises them), sent with them escaped.
        return endpoint.url(bucket: bucket, key: key) + signed[start...]
    }
}
