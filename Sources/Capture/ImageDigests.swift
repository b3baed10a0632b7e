import Dispatch
import Hashing

/// The whole-image SHA-256 and the SHA-256 of every fixed-size chunk of an in-memory image, over every core:
/// one thread runs the whole-image digest (it is sequential), the others take chunks in turn.
enum ImageDigests {
    static func compute(_ buffer: ImageBuffer, chunkSize: Int64, threads: Int) -> (whole: String, chunks: [[UInt8]]) {
        let size = buffer.count
        let chunk = Int(max(1, chunkSize))
        let count = size == 0 ? 0 : (size + chunk - 1) / chunk
        let chunks = DigestSlots(count: count)
        let whole = DigestSlots(count: 1)
        let workers = max(1, threads - 1)
        DispatchQueue.concurrentPerform(iterations: workers + 1) { worker in
            if worker == workers {
                whole.set(0, Digest.sha256(buffer.all))
                return
            }
            var index = worker
            while index < count {
                let offset = index * chunk
                chunks.set(index, Digest.sha256(buffer.slice(offset: offset, length: min(chunk, size - offset))))
                index += workers
            }
        }
        return (Hex.encode(whole.values[0]), chunks.values)
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
