import Dispatch
import Synchronization

/// Hands fixed-size parts from a blocking producer thread (the tarball writer) to an async consumer (the
/// multipart uploader), with back-pressure: at most `capacity` parts wait, so memory stays bounded.
final class PartChannel: Sendable {
    /// The parts, in order; finishes when the producer is done.
    let parts: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let slots: DispatchSemaphore
    private let cancelled = Atomic<Bool>(false)

    init(capacity: Int) {
        (parts, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
        slots = DispatchSemaphore(value: capacity)
    }

    /// Sends a part, blocking while `capacity` parts are waiting. Returns `false` once the consumer gave up.
    func send(_ part: [UInt8]) -> Bool {
        slots.wait()
        if cancelled.load(ordering: .acquiring) { return false }
        continuation.yield(part)
        return true
    }

    /// Ends the stream.
    func finish() { continuation.finish() }

    /// The consumer is done with one part.
    func release() { slots.signal() }

    /// The consumer gives up: the producer's next `send` returns `false` instead of blocking.
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        for _ in 0..<64 { slots.signal() }
        continuation.finish()
    }

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
}
