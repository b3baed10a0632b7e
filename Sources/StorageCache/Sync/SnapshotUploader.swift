import Foundation
import S3
import Tarball

/// Streams a tarball of a directory straight into an S3 object (``StreamedUpload``): the writer runs on its own
/// thread and hands 8 MiB parts to a multipart upload. No temporary file; memory is bounded by a few parts.
struct SnapshotUploader: Sendable {
    var client: S3Client
    var bucket: String
    var key: String
    var excludes: [String]
    /// Regular files left out by relative path (chunked files, which live in packs, and skipped files).
    var skipPaths: Set<String> = []
    var putOptions: S3PutOptions

    /// What was uploaded.
    struct Uploaded: Sendable {
        var key: String
        var sha256: String
        var size: Int64
    }

    func upload(directory: String) async throws(SyncError) -> Uploaded {
        let writer = TarballWriter(
            options: TarballOptions(compression: .zstd(), excludes: excludes, skipPaths: skipPaths))
        let upload = StreamedUpload(client: client, bucket: bucket, key: key, putOptions: putOptions)
        let (summary, sent) = try await upload.run("the snapshot of \(directory)") { emit in
            try writer.write(directory: directory) { block in try emit(block) }
        }
        guard sent == summary.compressedBytes else {
            throw SyncError(.io, "the snapshot upload sent \(sent) of \(summary.compressedBytes) bytes")
        }
        return Uploaded(key: key, sha256: summary.sha256, size: summary.compressedBytes)
    }
}
