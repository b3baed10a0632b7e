import Capture
import Foundation
import Hashing
import S3

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one pack object: the ``PackPiece``s of a push read from local files one after the other, each checked
/// against its SHA-256 as it is read, streamed into a new key (``StreamedUpload``, bounded memory).
struct PackUploader: Sendable {
    var client: S3Client
    var bucket: String
    var key: String
    var putOptions: S3PutOptions

    struct ReadFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Uploads `pieces` from `directory` (from `images` for their paths); returns the pack's size.
    func upload(_ pieces: [PackPiece], from directory: String, images: [String: ImageBuffer] = [:])
        async throws(SyncError) -> Int64
    {
        // Reading local files outpaces the uploads (unlike the snapshot's compressor), so the queue is always
        // full: smaller parts and a shorter queue keep a push's memory near the snapshot's.
        let upload = StreamedUpload(
            client: client, bucket: bucket, key: key, putOptions: putOptions, partSize: 5 << 20, partConcurrency: 2,
            queuedParts: 2)
        let (_, sent) = try await upload.run("the pack") { emit in
            try Self.read(pieces, from: directory, images: images, emit: emit)
        }
        let expected = pieces.reduce(0) { $0 + $1.length }
        guard sent == expected else { throw SyncError(.io, "the pack upload sent \(sent) of \(expected) bytes") }
        return sent
    }

    /// Reads every piece (keeping the last file open), checks its SHA-256 and hands it to `emit`.
    static func read(
        _ pieces: [PackPiece], from directory: String, images: [String: ImageBuffer] = [:],
        emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var open: (path: String, fd: Int32)?
        defer { if let open { close(open.fd) } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for piece in pieces {
            if let image = images[piece.path] {
                guard piece.offset >= 0, piece.length >= 0, piece.offset + piece.length <= Int64(image.count) else {
                    throw ReadFailure(description: "\(piece.path): a piece lies outside its captured image")
                }
                let bytes = image.slice(offset: Int(piece.offset), length: Int(piece.length))
                guard Digest.sha256(bytes) == piece.sha256 else {
                    throw ReadFailure(description: "\(piece.path): a piece does not match its digest")
                }
                try emit(bytes)
                continue
            }
            if open?.path != piece.path {
                if let open { close(open.fd) }
                open = nil
                let fd = Glibc.open(directory + "/" + piece.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                guard fd >= 0 else {
                    throw ReadFailure(description: "cannot open \(piece.path): \(String(cString: strerror(errno)))")
                }
                open = (piece.path, fd)
            }
            guard let fd = open?.fd else { continue }
            var hasher = SHA256Hasher()
            var done: Int64 = 0
            while done < piece.length {
                let want = Int(min(Int64(buffer.count), piece.length - done))
                let n = pread(fd, buffer.baseAddress, want, off_t(piece.offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw ReadFailure(description: "\(piece.path) changed while it was pushed (shorter); push again")
                }
                let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                hasher.update(slice)
                try emit(slice)
                done += Int64(n)
            }
            guard hasher.finalize() == piece.sha256 else {
                throw ReadFailure(description: "\(piece.path) changed while it was pushed; push again")
            }
        }
    }
}
