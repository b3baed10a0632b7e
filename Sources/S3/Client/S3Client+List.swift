/// Everything under a prefix.
public struct S3Listing: Sendable, Equatable {
    /// Objects, in key order.
    public var objects: [S3ObjectSummary]
    /// Common prefixes when listed with a delimiter.
    public var commonPrefixes: [String]
}

extension S3Client {
    /// One page of ListObjectsV2 (up to `maxKeys`, at most 1,000), keys decoded from `encoding-type=url`.
    public func listObjectsV2Page(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, continuationToken: String? = nil,
        startAfter: String? = nil, maxKeys: Int? = nil
    ) async throws(S3Error) -> ListObjectsV2Page {
        try S3Validation.validateBucketName(bucket)
        var query: [(String, String?)] = [("list-type", "2"), ("encoding-type", "url")]
        if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        let response = try await send(
            S3Operation(name: "ListObjectsV2", method: "GET", bucket: bucket, query: query))
        return try ListObjectsV2Page.parse(response.body)
    }

    /// Every object under `prefix`, following continuation tokens; `onPage` sees each page as it arrives.
    public func listObjects(
        bucket: String, prefix: String? = nil, delimiter: String? = nil,
        onPage: (@Sendable (ListObjectsV2Page) -> Void)? = nil
    ) async throws(S3Error) -> S3Listing {
        var listing = S3Listing(objects: [], commonPrefixes: [])
        var token: String?
        repeat {
            let page = try await listObjectsV2Page(
                bucket: bucket, prefix: prefix, delimiter: delimiter, continuationToken: token)
            onPage?(page)
            listing.objects += page.objects
            listing.commonPrefixes += page.commonPrefixes
            guard page.isTruncated else { break }
            guard let next = page.nextContinuationToken, next != token else {
                throw S3Error(code: .integrity, message: "ListObjectsV2 s3://\(bucket): truncated page without a token")
            }
            token = next
        } while true
        return listing
    }
}
