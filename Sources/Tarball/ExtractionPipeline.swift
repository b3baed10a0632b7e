#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the reading thread asks the writing thread to do, in archive order.
enum ExtractionOp {
    case directory(components: [[UInt8]], path: [UInt8], mode: mode_t, times: (timespec, timespec)?)
    case symlink(components: [[UInt8]], path: [UInt8], target: [UInt8], times: (timespec, timespec)?)
    case hardLink(components: [[UInt8]], path: [UInt8], target: [[UInt8]])
    /// Creates a file (or, with `reopen`, opens the hard link just made) that the next `data` ops fill.
    case file(components: [[UInt8]], path: [UInt8], mode: mode_t, reopen: Bool)
    /// `count` bytes at `start` of the batch's arena, to write at `offset` of the current file.
    case data(offset: Int64, start: Int, count: Int)
    /// Completes the current file: its size, mode and times.
    case endFile(size: Int64, mode: mode_t, times: (timespec, timespec)?)
}

/// A run of ops and the file content they refer to, copied out of libarchive's buffers.
final class ExtractionBatch {
    static let arenaSize = 1 << 20
    static let maxOps = 512

    var ops: [ExtractionOp] = []
    let arena: UnsafeMutableRawBufferPointer
    var used = 0

    init() {
        arena = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.arenaSize, alignment: 64)
        ops.reserveCapacity(Self.maxOps)
    }

    deinit { arena.deallocate() }

    var free: Int { arena.count - used }
    var isFull: Bool { free == 0 || ops.count >= Self.maxOps }

    func reset() {
        ops.removeAll(keepingCapacity: true)
        used = 0
    }
}

/// A bounded hand-off of batches between the reading and the writing thread, with a pool of spare batches so
/// memory stays at `depth + 2` arenas whatever the archive holds.
final class BatchChannel: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var full: [ExtractionBatch] = []
    private var spare: [ExtractionBatch] = []
    private var created = 0
    private let depth: Int
    private var closed = false
    /// Set by either side to stop the other.
    private(set) var cancelled = false

    init(depth: Int) {
        self.depth = depth
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

    /// An empty batch for the reader: a spare one, a new one while fewer than `depth + 2` exist, else the first
    /// one the writer gives back. Nil once cancelled.
    func emptyBatch() -> ExtractionBatch? {
        locked {
            while true {
                if cancelled { return nil }
                if let batch = spare.popLast() { return batch }
                if created < depth + 2 {
                    created += 1
                    return ExtractionBatch()
                }
                pthread_cond_wait(changed, mutex)
            }
        }
    }

    /// Hands a filled batch to the writer, waiting while `depth` are queued. False once cancelled.
    func send(_ batch: ExtractionBatch) -> Bool {
        locked {
            while full.count >= depth && !cancelled { pthread_cond_wait(changed, mutex) }
            if cancelled { return false }
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
            cancelled = true
            pthread_cond_broadcast(changed)
        }
    }

    /// The next batch for the writer, nil when the reader closed the channel and all were taken, or on cancel.
    func receive() -> ExtractionBatch? {
        locked {
            while full.isEmpty && !closed && !cancelled { pthread_cond_wait(changed, mutex) }
            if cancelled || full.isEmpty { return nil }
            return full.removeFirst()
        }
    }

    /// Gives a written batch back for reuse.
    func recycle(_ batch: ExtractionBatch) {
        batch.reset()
        locked {
            spare.append(batch)
            pthread_cond_broadcast(changed)
        }
    }
}

/// The writing side: applies ops with a ``StagingTreeWriter`` on its own thread, so file creation (system time)
/// overlaps decompression (user time) as it does in `zstd -dc | tar -x`.
final class ExtractionWriterThread: @unchecked Sendable {
    private let writer: StagingTreeWriter
    private let channel: BatchChannel
    private var thread: pthread_t?
    /// The first failure of the writing side; read after ``join()``.
    private(set) var failure: TarballError?
    private var current: Int32 = -1
    private var written: Int64 = 0
    /// How much of the current file was handed to ``StagingTreeWriter/startWriteback(_:offset:count:)``.
    private var writebackStarted: Int64 = 0
    /// Large files start their writeback every this many bytes.
    private static let writebackStep: Int64 = 8 << 20
    private var currentPath: [UInt8] = []

    init(writer: StagingTreeWriter, channel: BatchChannel) {
        self.writer = writer
        self.channel = channel
    }

    deinit {
        if current >= 0 { close(current) }
    }

    /// Starts the thread; false (and nothing started) when the system refuses one.
    func start() -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(
            &handle, nil,
            { raw in
                let me = Unmanaged<ExtractionWriterThread>.fromOpaque(raw!).takeRetainedValue()
                me.run()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<ExtractionWriterThread>.fromOpaque(context).release()
            return false
        }
        thread = handle
        return true
    }

    /// Waits for the thread to end (after ``BatchChannel/close()`` or ``BatchChannel/cancel()``).
    func join() {
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        while let batch = channel.receive() {
            do throws(TarballError) {
                for op in batch.ops { try apply(op, batch) }
            } catch {
                failure = error
                channel.cancel()
                return
            }
            channel.recycle(batch)
        }
        do throws(TarballError) {
            if !channel.cancelled { try writer.finish() }
        } catch {
            failure = error
        }
    }

    /// Applies one op (also used directly, without a thread).
    func apply(_ op: ExtractionOp, _ batch: ExtractionBatch) throws(TarballError) {
        switch op {
        case .directory(let components, let path, let mode, let times):
            try writer.makeDirectory(components, path: path, mode: mode, times: times)
        case .symlink(let components, let path, let target, let times):
            try writer.makeSymlink(components, path: path, target: target, times: times)
        case .hardLink(let components, let path, let target):
            try writer.makeHardLink(components, path: path, target: target)
        case .file(let components, let path, let mode, let reopen):
            current =
                reopen
                ? try writer.reopenHardLink(components, path: path)
                : try writer.createFile(components, path: path, mode: mode)
            written = 0
            writebackStarted = 0
            currentPath = path
        case .data(let offset, let start, let count):
            try writer.write(
                current, batch.arena.baseAddress! + start, count: count, offset: offset, shown: currentPath)
            written = max(written, offset + Int64(count))
            if written - writebackStarted >= Self.writebackStep {
                writer.startWriteback(current, offset: writebackStarted, count: written - writebackStarted)
                writebackStarted = written
            }
        case .endFile(let size, let mode, let times):
            let fd = current
            current = -1
            if writebackStarted > 0 || written >= Self.writebackStep / 8 {
                writer.startWriteback(fd, offset: writebackStarted, count: written - writebackStarted)
            }
            try writer.finishFile(fd, written: written, size: size, mode: mode, times: times, shown: currentPath)
        }
    }
}
