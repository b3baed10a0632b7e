import Foundation
import S3

/// Streams bytes produced on their own thread into one S3 object: 8 MiB parts to a multipart upload (one
/// PutObject when everything fits in one part). No temporary file; memory is bounded by a few parts. A failed or
/// stopped upload is aborted; an object completed from a producer that then failed is deleted.
struct StreamedUpload: Sendable {
    var client: S3Client
    var bucket: String
    var key: String
    var putOptions: S3PutOptions
    var partSize: Int = 8 << 20
    var partConcurrency: Int = 2
    /// Parts handed over and not yet uploaded, at most (back-pressure; at least 2: the consumer holds two parts
    /// before it knows whether to use a multipart upload).
    var queuedParts: Int = 3

    /// Why the producer stopped.
    struct ProducerFailure: Error {
        var message: String
    }

    /// Runs `produce` on its own thread; it hands its bytes to the `emit` closure it is given. Returns what
    /// `produce` returned and the bytes uploaded. `what` names the object in errors ("the snapshot").
    func run<Summary: Sendable>(
        _ what: String,
        produce: @escaping @Sendable (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Summary
    ) async throws(SyncError) -> (summary: Summary, bytes: Int64) {
        let channel = PartChannel(capacity: max(2, queuedParts))
        let partSize = self.partSize
        // The producer blocks (reading files, waiting for a free slot), so it runs on its own thread: parked on
        // the cooperative pool, two such producers (two pushes in one process) would starve their consumers.
        let producer = Task { () -> Result<(Summary, Int64), ProducerFailure> in
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: Self.produceParts(channel: channel, partSize: partSize, produce))
                }
                thread.name = "storage-cache upload producer"
                thread.start()
            }
        }

        var uploadID: String?
        let sent: Int64
        do throws(S3Error) {
            sent = try await consume(channel: channel, uploadID: &uploadID)
        } catch {
            channel.cancel()
            _ = await producer.value
            if let uploadID { await client.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID) }
            throw SyncError(s3: error, doing: "uploading \(what) s3://\(bucket)/\(key)")
        }
        switch await producer.value {
        case .success(let (summary, produced)):
            guard sent == produced else {
                throw SyncError(.io, "the upload of \(what) sent \(sent) of \(produced) bytes")
            }
            return (summary, sent)
        case .failure(let failure):
            // The upload completed with bytes the producer did not finish: remove them.
            try? await client.deleteObject(bucket: bucket, key: key)
            throw SyncError(.io, "cannot write \(what): \(failure.message)")
        }
    }

    /// Runs `produce`, cutting what it emits into `partSize` parts sent to `channel`; finishes or cancels it.
    private static func produceParts<Summary: Sendable>(
        channel: PartChannel, partSize: Int,
        _ produce: @Sendable (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Summary
    ) -> Result<(Summary, Int64), ProducerFailure> {
        // Bytes go straight into the part being filled, which is handed over whole: one part-sized buffer on
        // this side, not a buffer plus the copy cut from it.
        var part: [UInt8] = []
        part.reserveCapacity(partSize)
        var produced: Int64 = 0
        do {
            let summary = try produce { block in
                produced += Int64(block.count)
                var start = 0
                while start < block.count {
                    let take = min(partSize - part.count, block.count - start)
                    part.append(contentsOf: UnsafeRawBufferPointer(rebasing: block[start..<(start + take)]))
                    start += take
                    if part.count == partSize {
                        guard channel.send(part) else { throw ProducerFailure(message: "upload stopped") }
                        part = []
                        part.reserveCapacity(partSize)
                    }
                }
            }
            if !part.isEmpty || produced == 0 { _ = channel.send(part) }
            channel.finish()
            return .success((summary, produced))
        } catch {
            channel.cancel()
            return .failure(ProducerFailure(message: Self.describe(error)))
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let failure = error as? ProducerFailure { return failure.message }
        return String(describing: error)
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
        _ = try await client.completeMultipartUpload(bucket: bucket, key: key, uploadID: id, parts: uploaded)
        return total
    }
}
