import Dispatch
import Hashing

/// The SHA-256 of every fixed-size chunk of an in-memory image, over `threads` threads taking chunks in turn, and
/// the image's digest over them (SHA-256 of the concatenated chunk digests: one pass over the bytes, where a
/// whole-image SHA-256 would be a second, sequential one).
enum ImageDigests {
    static func compute(_ buffer: ImageBuffer, chunkSize: Int64, threads: Int) -> (whole: String, chunks: [[UInt8]]) {
        let size = buffer.count
        let chunk = Int(max(1, chunkSize))
        let count = size == 0 ? 0 : (size + chunk - 1) / chunk
        let chunks = DigestSlots(count: count)
        let workers = max(1, threads)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < count {
                let offset = index * chunk
                chunks.set(index, Digest.sha256(buffer.slice(offset: offset, length: min(chunk, size - offset))))
                index += workers
            }
        }
        let digests = chunks.values
        var whole = SHA256Hasher()
        for digest in digests { whole.update(digest) }
        return (Hex.encode(whole.finalize()), digests)
    }

    /// One digest per index, each written by exactly one worker before `concurrentPerform` returns.
    private final class DigestSlots: @unchecked Sendable {
        private let base: UnsafeMutableBufferPointer<[UInt8]>
        private let count: Int

        init(count: Int) {
            self.count = count
            base = .allocate(capacity: max(1, count))
            base.initialize(repeating: [])
        }

        func set(_ index: Int, _ digest: [UInt8]) { base[index] = digest }

        var values: [[UInt8]] { Array(base.prefix(count)) }

        deinit {
            base.deinitialize()
            base.deallocate()
        }
    }
}
