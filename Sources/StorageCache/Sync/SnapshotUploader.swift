import Foundation
import S3
import Tarball

/// Streams a tarball of a directory straight into an S3 object: the writer runs on its own thread and hands
/// 8 MiB parts to a multipart upload (a single PutObject when the whole tarball fits in one part). No temporary
/// file; memory is bounded by a few parts.
struct SnapshotUploader: Sendable {
    var client: S3Client
    var bucket: String
    var key: String
    var excludes: [String]
    var putOptions: S3PutOptions
    var partSize: Int = 8 << 20
    var partConcurrency: Int = 2

    /// What was uploaded.
    struct Uploaded: Sendable {
        var key: String
        var sha256: String
        var size: Int64
    }

    private struct WriterFailure: Error {
        var message: String
    }

    func upload(directory: String) async throws(SyncError) -> Uploaded {
        let channel = PartChannel(capacity: partConcurrency + 1)
        let partSize = self.partSize
        let writer = TarballWriter(options: TarballOptions(compression: .zstd(), excludes: excludes))
        let summaryTask = Task.detached { () -> Result<TarballSummary, WriterFailure> in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(partSize)
            do {
                let summary = try writer.write(directory: directory) { block in
                    buffer.append(contentsOf: block)
                    while buffer.count >= partSize {
                        let part = Array(buffer[0..<partSize])
                        buffer.removeFirst(partSize)
                        guard channel.send(part) else { throw WriterFailure(message: "upload stopped") }
                    }
                }
                if !buffer.isEmpty || summary.compressedBytes == 0 { _ = channel.send(buffer) }
                channel.finish()
                return .success(summary)
            } catch let error as TarballError {
                channel.cancel()
                return .failure(WriterFailure(message: error.message))
            } catch {
                channel.cancel()
                return .failure(WriterFailure(message: "\(error)"))
            }
        }

        var uploadID: String?
        let sent: Int64
        do throws(S3Error) {
            sent = try await consume(channel: channel, uploadID: &uploadID)
        } catch {
            channel.cancel()
            _ = await summaryTask.value
            if let uploadID { await client.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID) }
            throw SyncError(s3: error, doing: "uploading the snapshot s3://\(bucket)/\(key)")
        }
        switch await summaryTask.value {
        case .success(let summary):
            guard sent == summary.compressedBytes else {
                throw SyncError(.io, "the snapshot upload sent \(sent) of \(summary.compressedBytes) bytes")
            }
            return Uploaded(key: key, sha256: summary.sha256, size: summary.compressedBytes)
        case .failure(let failure):
            // The upload completed with a tarball the writer did not finish: remove it.
            try? await client.deleteObject(bucket: bucket, key: key)
            throw SyncError(.io, "cannot write the snapshot of \(directory): \(failure.message)")
        }
    }

    /// Uploads the parts as they come; returns the bytes sent.
    private func consume(channel: PartChannel, uploadID: inout String?) async throws(S3Error) -> Int64 {
        var iterator = channel.parts.makeAsyncIterator()
        guard let first = await iterator.next() else { return 0 }
        guard let second = await iterator.next() else {
            try await client.putObject(bucket: bucket, key: key, body: .bytes(first), options: putOptions)
            channel.release()
            return Int64(first.count)
        }
        let id = try await client.createMultipartUpload(bucket: bucket, key: key, options: putOptions)
        uploadID = id
        let client = self.client
        let bucket = self.bucket
        let key = self.key
        var total: Int64 = 0
        var uploaded: [S3UploadedPart] = []
        var pending: [[UInt8]] = [first, second]
        var number = 0
        var finished = false
        while !pending.isEmpty || !finished {
            while pending.count < partConcurrency && !finished {
                if let next = await iterator.next() { pending.append(next) } else { finished = true }
            }
            let batch = pending
            pending = []
            let start = number
            number += batch.count
            let parts = try await forEachConcurrently(Array(batch.enumerated()), limit: partConcurrency) {
                item throws(S3Error) in
                try await client.uploadPart(
                    bucket: bucket, key: key, uploadID: id, partNumber: start + item.offset + 1,
                    body: .bytes(item.element))
            }
            for part in batch {
                total += Int64(part.count)
                channel.release()
            }
            uploaded += parts
        }
        try await client.completeMultipartUpload(bucket: bucket, key: key, uploadID: id, parts: uploaded)
        return total
    }
}
