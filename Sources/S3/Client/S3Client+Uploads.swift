extension S3Client {
    /// Every multipart upload in progress under `prefix` (ListMultipartUploads, following key and upload-id
    /// markers). Needs `s3:ListBucketMultipartUploads` on the bucket.
    public func listMultipartUploads(bucket: String, prefix: String? = nil) async throws(S3Error)
        -> [S3MultipartUploadSummary]
    {
        try S3Validation.validateBucketName(bucket)
        var uploads: [S3MultipartUploadSummary] = []
        var keyMarker: String?
        var uploadIDMarker: String?
        repeat {
            var query: [(String, String?)] = [("uploads", ""), ("encoding-type", "url")]
            if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadIDMarker { query.append(("upload-id-marker", uploadIDMarker)) }
            let response = try await send(
                S3Operation(name: "ListMultipartUploads", method: "GET", bucket: bucket, query: query))
            let page = try ListMultipartUploadsPage.parse(response.body)
            uploads += page.uploads
            guard page.isTruncated else { break }
            guard let next = page.nextKeyMarker, next != keyMarker || page.nextUploadIDMarker != uploadIDMarker else {
                throw S3Error(
                    code: .integrity, message: "ListMultipartUploads s3://\(bucket): truncated page without a marker")
            }
            keyMarker = next
            uploadIDMarker = page.nextUploadIDMarker
        } while true
        return uploads
    }
}
