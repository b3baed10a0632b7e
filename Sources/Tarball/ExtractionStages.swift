#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The two writing threads of an extraction, in a pipeline behind the decompressing thread: batches go to the
/// naming thread (``ExtractionNamer``: creates names in archive order, opens files), then to the content thread
/// (``ExtractionContentWriter``: writes, times, closes), which gives them back for reuse. Both keep archive
/// order, so a later entry for the same path still wins, and a hard link made before its target's data is written
/// shares the same inode anyway. The content thread only sees descriptors the naming thread opened safely.
final class ExtractionStages: @unchecked Sendable {
    private let namer: ExtractionNamer
    private let content: ExtractionContentWriter
    /// Reader → naming thread; also the pool of batches (24 in all: 6 MiB).
    private let toNamer = BatchChannel<ExtractionBatch>(depth: 8, pool: 24)
    /// Naming thread → content thread.
    private let toContent = BatchChannel<ExtractionBatch>(depth: 8)
    private var namingThread: WorkerThread?
    private var contentThread: WorkerThread?
    private var namingFailure: TarballError?
    private var contentFailure: TarballError?

    init(namer: ExtractionNamer, content: ExtractionContentWriter) {
        self.namer = namer
        self.content = content
    }

    /// The first failure of either writing thread; read after ``cancel()`` or ``finish()``.
    var failure: TarballError? { namingFailure ?? contentFailure }

    /// Starts both threads; false (and nothing left running) when the system refuses one.
    func start() -> Bool {
        let contentThread = WorkerThread { [unowned self] in self.runContent() }
        guard contentThread.start() else { return false }
        let namingThread = WorkerThread { [unowned self] in self.runNaming() }
        guard namingThread.start() else {
            toContent.close()
            contentThread.join()
            return false
        }
        self.contentThread = contentThread
        self.namingThread = namingThread
        return true
    }

    /// An empty batch for the reader; nil once the writing side stopped.
    func emptyBatch() -> ExtractionBatch? { toNamer.emptyBatch() }

    /// Hands a filled batch on; false once the writing side stopped.
    func send(_ batch: ExtractionBatch) -> Bool { toNamer.send(batch) }

    /// Stops both threads and waits for them (the reader failed, or a writer did).
    func cancel() {
        toNamer.cancel()
        toContent.cancel()
        join()
    }

    /// No more batches: waits for both threads and returns the first failure, if any.
    func finish() -> TarballError? {
        toNamer.close()
        join()
        return failure
    }

    private func join() {
        namingThread?.join()
        contentThread?.join()
    }

    private func stop() {
        toNamer.cancel()
        toContent.cancel()
    }

    private func runNaming() {
        defer { toContent.close() }
        while let batch = toNamer.receive() {
            do throws(TarballError) {
                try namer.apply(batch)
            } catch {
                namingFailure = error
                stop()
                return
            }
            guard toContent.send(batch) else {
                batch.closeUntaken()
                return
            }
        }
        guard !toNamer.cancelled else { return }
        // Directory modes and times, now that every name exists (content writes do not change them).
        do throws(TarballError) {
            try namer.writer.finish()
        } catch {
            namingFailure = error
            stop()
        }
    }

    private func runContent() {
        // Draining: after a stop, batches still queued are taken only to close their descriptors.
        while let batch = toContent.receive(draining: true) {
            if !toContent.cancelled {
                do throws(TarballError) {
                    try content.apply(batch)
                } catch {
                    contentFailure = error
                    stop()
                }
            }
            batch.closeUntaken()
            toNamer.recycle(batch)
        }
        content.closeCurrent()
    }
}
