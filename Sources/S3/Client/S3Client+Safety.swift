extension S3Client {
    /// Refuses an unsafe endpoint (``S3EndpointSafety``) before the first request; resolves the host once per client.
    func checkEndpoint() throws(S3Error) {
        if endpointChecked.withLock({ $0 }) { return }
        try S3EndpointSafety.checkResolved(
            configuration.endpoint, allowInsecure: configuration.allowInsecureEndpoint)
        endpointChecked.withLock { $0 = true }
    }

    /// `failure` (an AccessDenied answer to `operation`) with the permission it lacked, the statement to add and,
    /// when an expected bucket owner was sent, that a bucket of another account is refused the same way.
    func explainDenied(_ failure: S3Error, operation: S3Operation) -> S3Error {
        var explained = failure
        if Self.credentialRefusals.contains(failure.s3Code ?? "") {
            explained.message += "; S3 refused the credentials themselves: check the access key, secret and token"
            return explained
        }
        if let bucket = operation.bucket,
            let permission = S3Permission.denied(
                operation: operation.name, bucket: bucket, key: operation.key,
                prefix: configuration.permissionPrefix, message: failure.message)
        {
            explained.deniedPermission = permission
            explained.message += "; missing permission \(permission)? add this IAM statement: \(permission.statement)"
            let usesKMS = operation.headers["x-amz-server-side-encryption"] == "aws:kms"
            if usesKMS, permission.action == "s3:PutObject" {
                explained.message += " (writes with SSE-KMS also need kms:GenerateDataKey on the key)"
            }
            if permission.action == "s3:GetObject" {
                explained.message += " (without s3:ListBucket S3 also answers AccessDenied for a missing key)"
            }
        }
        if let owner = configuration.expectedBucketOwner, operation.bucket != nil {
            explained.message +=
                "; the request said the bucket belongs to account \(owner) (s3-expected-bucket-owner): "
                + "S3 answers AccessDenied too when it belongs to another account"
        }
        return explained
    }

    /// S3 codes of a 403 that refuse the credentials rather than a permission.
    public static let credentialRefusals: Set<String> = [
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
    ]
}
