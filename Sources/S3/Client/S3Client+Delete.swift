import Foundation

extension S3Client {
    /// Keys per DeleteObjects request (S3's limit).
    public static let deleteBatchSize = 1000

    /// Deletes `keys` with DeleteObjects, 1,000 per request, several requests at once.
    ///
    /// Returns the keys S3 refused to delete, with its reasons (an `AccessDenied` one names the missing
    /// `s3:DeleteObject` and its IAM statement); throws when a whole request failed.
    public func deleteObjects(bucket: String, keys: [String], concurrency: Int = 4) async throws(S3Error)
        -> [S3DeleteFailure]
    {
        try S3Validation.validateBucketName(bucket)
        for key in keys { try S3Validation.validateKey(key) }
        let batches = stride(from: 0, to: keys.count, by: Self.deleteBatchSize).map {
            Array(keys[$0..<min($0 + Self.deleteBatchSize, keys.count)])
        }
        return try await forEachConcurrently(batches, limit: concurrency) { batch throws(S3Error) in
            try await self.deleteBatch(bucket: bucket, keys: batch)
        }.flatMap { $0 }
    }

    func deleteBatch(bucket: String, keys: [String]) async throws(S3Error) -> [S3DeleteFailure] {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        xml += "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
        for key in keys { xml += "<Object><Key>\(XMLEscaping.escape(key))</Key></Object>" }
        xml += "</Delete>"
        let body = Array(xml.utf8)
        var operation = S3Operation(
            name: "DeleteObjects", method: "POST", bucket: bucket, query: [("delete", "")], body: .bytes(body))
        operation.headers.add(name: "Content-Type", value: "application/xml")
        operation.headers.add(name: "Content-MD5", value: Data(MD5.digest(body)).base64EncodedString())
        let response = try await send(operation)
        return try DeleteObjectsResult.parse(response.body).failures.map { failure in
            guard failure.code == "AccessDenied",
                let permission = S3Permission.denied(
                    operation: "DeleteObjects", bucket: bucket, key: failure.key,
                    prefix: configuration.permissionPrefix, message: failure.message)
            else { return failure }
            var explained = failure
            explained.message += "; missing permission \(permission)? add this IAM statement: \(permission.statement)"
            return explained
        }
    }
}

/// Runs `work` over `items` with at most `limit` in flight; results in input order; the first error cancels the rest.
package func forEachConcurrently<Item: Sendable, Result: Sendable>(
    _ items: [Item], limit: Int, _ work: @escaping @Sendable (Item) async throws(S3Error) -> Result
) async throws(S3Error) -> [Result] {
    if items.isEmpty { return [] }
    do {
        return try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            func addNext() {
                let index = next
                let item = items[index]
                group.addTask { (index, try await work(item)) }
                next += 1
            }
            while next < min(max(1, limit), items.count) { addNext() }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count { addNext() }
            }
            return results.map { $0! }
        }
    } catch let error as S3Error {
        throw error
    } catch {
        throw S3Error(code: .network, message: "cancelled: \(error)")
    }
}
