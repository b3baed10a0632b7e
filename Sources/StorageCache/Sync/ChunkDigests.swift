import Capture
import Dispatch
import Foundation
import Hashing

#if canImport(Glibc)
    import Glibc
#endif

/// The SHA-256 of every fixed-size chunk of a file, and of the whole file, in one read.
struct ChunkDigests: Sendable {
    /// One digest per chunk, in file order.
    var chunks: [[UInt8]]
    /// The whole file's SHA-256, lower-case hex.
    var whole: String
    /// Bytes read.
    var size: Int64
    /// The chunk size.
    var chunkSize: Int64 = 0
    /// Whether `whole` is the digest of the chunk digests (``ChunkList/chunkDigestsKind``), not of the bytes.
    var overChunks = false

    /// The digests the capture took of in-memory images, by path.
    static func known(_ images: [DatabaseImage]) -> [String: ChunkDigests] {
        var known: [String: ChunkDigests] = [:]
        for image in images {
            known[image.path] = ChunkDigests(
                chunks: image.chunkDigests, whole: image.sha256, size: image.size, chunkSize: image.chunkSize,
                overChunks: true)
        }
        return known
    }

    struct ReadError: Error {
        var message: String
    }

    /// Reads `path` once, hashing each `chunkSize` chunk and (unless `whole` is false: `whole` is then the digest
    /// over the chunk digests) the whole file.
    static func of(path: String, chunkSize: Int64, whole wantWhole: Bool = true) throws(ReadError) -> ChunkDigests {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw ReadError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(chunkSize), alignment: 16)
        defer { buffer.deallocate() }
        var whole = SHA256Hasher()
        var chunks: [[UInt8]] = []
        var size: Int64 = 0
        while true {
            var filled = 0
            while filled < buffer.count {
                let n = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else {
                    throw ReadError(message: "cannot read \(path): \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                filled += n
            }
            if filled == 0 { break }
            let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
            if wantWhole { whole.update(slice) }
            chunks.append(Digest.sha256(slice))
            size += Int64(filled)
            if filled < buffer.count { break }
        }
        guard wantWhole else {
            return ChunkDigests(
                chunks: chunks, whole: ChunkList.digestOfChunks(chunks), size: size, chunkSize: chunkSize,
                overChunks: true)
        }
        return ChunkDigests(chunks: chunks, whole: Hex.encode(whole.finalize()), size: size, chunkSize: chunkSize)
    }

    /// ``of(path:chunkSize:)`` for several files at once (one thread per core).
    static func of(paths: [String], chunkSize: Int64) -> [Result<ChunkDigests, ReadError>] {
        let results = ResultBox(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            do throws(ReadError) {
                results.set(index, .success(try of(path: paths[index], chunkSize: chunkSize)))
            } catch {
                results.set(index, .failure(error))
            }
        }
        return results.values
    }

    private final class ResultBox: @unchecked Sendable {
        private var storage: [Result<ChunkDigests, ReadError>?]
        private let lock = NSLock()

        init(count: Int) { storage = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ value: Result<ChunkDigests, ReadError>) {
            lock.lock()
            storage[index] = value
            lock.unlock()
        }

        var values: [Result<ChunkDigests, ReadError>] {
            storage.map { $0 ?? .failure(ReadError(message: "not read")) }
        }
    }
}
