#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A buffer handed between two threads through a ``BatchChannel`` and reused.
protocol ReusableBatch: AnyObject {
    init()
    /// Empties the batch for its next use.
    func reset()
}

/// A bounded hand-off of batches between the reading and the writing thread, with a pool of spare batches so
/// memory stays at `pool` arenas whatever the archive holds.
final class BatchChannel<Batch: ReusableBatch>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var full: [Batch] = []
    private var spare: [Batch] = []
    private var created = 0
    private let depth: Int
    private let pool: Int
    private var closed = false
    private var isCancelled = false
    /// Set by either side to stop the other.
    var cancelled: Bool { locked { isCancelled } }

    /// A channel holding at most `depth` full batches, creating at most `pool` (default `depth + 2`) in all.
    init(depth: Int, pool: Int? = nil) {
        self.depth = depth
        self.pool = pool ?? depth + 2
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        changed.deallocate()
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// An empty batch for the reader: a spare one, a new one while fewer than `pool` exist, else the first
    /// one the writer gives back. Nil once cancelled.
    func emptyBatch() -> Batch? {
        locked {
            while true {
                if isCancelled { return nil }
                if let batch = spare.popLast() { return batch }
                if created < pool {
                    created += 1
                    return Batch()
                }
                pthread_cond_wait(changed, mutex)
            }
        }
    }

    /// Hands a filled batch to the writer, waiting while `depth` are queued. False once cancelled.
    func send(_ batch: Batch) -> Bool {
        locked {
            while full.count >= depth && !isCancelled { pthread_cond_wait(changed, mutex) }
            if isCancelled { return false }
            full.append(batch)
            pthread_cond_broadcast(changed)
            return true
        }
    }

    /// No more batches (the reader is done).
    func close() {
        locked {
            closed = true
            pthread_cond_broadcast(changed)
        }
    }

    /// Stops both sides at their next call.
    func cancel() {
        locked {
            isCancelled = true
            pthread_cond_broadcast(changed)
        }
    }

    /// The next batch for the writer, nil when the reader closed the channel and all were taken, or on cancel.
    /// With `draining`, batches already queued are still handed out after a cancel (so their resources can be
    /// released); nil once none is left and the channel is closed or cancelled.
    func receive(draining: Bool = false) -> Batch? {
        locked {
            while full.isEmpty && !closed && !isCancelled { pthread_cond_wait(changed, mutex) }
            if (isCancelled && !draining) || full.isEmpty { return nil }
            // A sender may be waiting for room (the batch may be recycled into another channel).
            pthread_cond_broadcast(changed)
            return full.removeFirst()
        }
    }

    /// Gives a written batch back for reuse.
    func recycle(_ batch: Batch) {
        batch.reset()
        locked {
            spare.append(batch)
            pthread_cond_broadcast(changed)
        }
    }
}
