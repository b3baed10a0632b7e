extension S3Client {
    /// Deletes one object only if its ETag is `ifMatch` (S3's conditional delete, `If-Match` on DeleteObject).
    ///
    /// Throws ``S3Error/Code/preconditionFailed`` when the object changed. Servers without conditional deletes
    /// (LocalStack answers `501 NotImplemented`) throw an error with ``S3Error/status`` 501 and delete nothing.
    public func deleteObject(bucket: String, key: String, ifMatch: String) async throws(S3Error) {
        try S3Validation.validateBucketName(bucket)
        try S3Validation.validateKey(key)
        var operation = S3Operation(name: "DeleteObject", method: "DELETE", bucket: bucket, key: key)
        operation.headers.add(name: "If-Match", value: ifMatch)
        _ = try await send(operation)
    }
}
