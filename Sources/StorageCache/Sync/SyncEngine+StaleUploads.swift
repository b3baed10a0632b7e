import Foundation
import S3

extension SyncEngine {
    /// Aborts the multipart uploads under this location's root that were started more than
    /// ``SyncOptions/staleUploadAge`` ago: what a push killed mid-upload (snapshot, pack, large object) leaves
    /// behind, which S3 keeps (and bills) until aborted. Younger uploads may belong to a push running now on another
    /// host and are left alone. Best effort and quiet: a denied listing (`s3:ListBucketMultipartUploads` is not in
    /// RFC-019's policy) or abort is logged at debug level. Returns how many uploads were aborted.
    func abortStaleUploads(now: Date = Date()) async -> Int {
        guard let age = options.staleUploadAge else { return 0 }
        let uploads: [S3MultipartUploadSummary]
        do {
            uploads = try await client.listMultipartUploads(bucket: location.bucket, prefix: location.root + "/")
        } catch {
            logger.debug("could not list multipart uploads", metadata: ["error": "\(error)"])
            return 0
        }
        let cutoff = now.addingTimeInterval(-Double(age.components.seconds))
        let stale = uploads.filter { upload in upload.initiated.map { $0 < cutoff } ?? false }
        for upload in stale {
            await client.abortMultipartUpload(bucket: location.bucket, key: upload.key, uploadID: upload.uploadID)
        }
        if !stale.isEmpty {
            logger.info("aborted \(stale.count) multipart uploads left by interrupted pushes")
        }
        return stale.count
    }

    /// Whether the push that committed `generation` also looks for stale uploads
    /// (every ``SyncOptions/staleUploadCheckInterval`` generations).
    func checksStaleUploads(after generation: Int) -> Bool {
        let interval = max(1, options.staleUploadCheckInterval)
        return options.staleUploadAge != nil && generation % interval == 0
    }
}
