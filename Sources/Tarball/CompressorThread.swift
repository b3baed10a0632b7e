import CArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A run of uncompressed tar bytes on its way from the walking thread to the ``CompressorThread``.
final class ByteBatch: ReusableBatch {
    static let arenaSize = 1 << 20

    let arena: UnsafeMutableRawBufferPointer
    var used = 0

    required init() {
        arena = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.arenaSize, alignment: 64)
    }

    deinit { arena.deallocate() }

    func reset() { used = 0 }
}

/// Compresses the tar stream on its own thread, so reading the tree (system time) overlaps compression (user
/// time) as in `tar -c | zstd`.
///
/// The thread runs a second libarchive writer in the `raw` format (no headers: the input bytes as they are)
/// with the compression filter, feeding ``ArchiveOutput``. Its bytes are exactly those the filter would make on
/// the writing thread: zstd's single-threaded streaming output does not depend on how its input is split.
/// Memory: at most `depth + 2` arenas of ``ByteBatch/arenaSize``.
final class CompressorThread: @unchecked Sendable {
    private let archive: OpaquePointer
    private let entry: OpaquePointer
    private let output: ArchiveOutput
    let channel = BatchChannel<ByteBatch>(depth: 4)
    private lazy var thread = WorkerThread { [unowned self] in self.run() }
    /// Whether the stream was completed (else freeing the writer must not flush anything more).
    private var finished = false
    /// The first failure of the compressing side; read after ``join()``.
    private(set) var failure: TarballError?

    /// A compressor for `compression` (not `.none`) writing into `output`, or an error when libarchive refuses
    /// the configuration.
    init(compression: TarballCompression, output: ArchiveOutput) throws(TarballError) {
        guard let archive = archive_write_new() else {
            throw TarballError(code: .io, message: "archive_write_new failed: out of memory")
        }
        guard let entry = archive_entry_new() else {
            archive_write_free(archive)
            throw TarballError(code: .io, message: "archive_entry_new failed: out of memory")
        }
        self.archive = archive
        self.entry = entry
        self.output = output
        var status = archive_write_set_format_raw(archive)
        status = min(status, Self.addFilter(archive, compression))
        status = min(status, archive_write_set_bytes_per_block(archive, 64 * 1024))
        status = min(status, archive_write_set_bytes_in_last_block(archive, 1))
        guard status >= ARCHIVE_WARN else { throw TreeArchiver.error(archive, "cannot configure the tarball") }
        guard output.open(archive) == ARCHIVE_OK else {
            throw output.failure ?? TreeArchiver.error(archive, "cannot start the tarball")
        }
        // The raw format takes exactly one regular-file entry; its name and size are never written.
        archive_entry_set_pathname(entry, "stream")
        archive_entry_set_filetype(entry, UInt32(0o100000))  // AE_IFREG
        guard archive_write_header(archive, entry) >= ARCHIVE_WARN else {
            throw output.failure ?? TreeArchiver.error(archive, "cannot start the tarball")
        }
    }

    deinit {
        if !finished { output.stop() }
        archive_write_free(archive)
        archive_entry_free(entry)
    }

    /// Adds the compression filter and its options (nothing for `.none`).
    static func addFilter(_ archive: OpaquePointer, _ compression: TarballCompression) -> Int32 {
        var status = ARCHIVE_OK
        switch compression {
        case .zstd(let level, let threads):
            status = min(status, archive_write_add_filter_zstd(archive))
            status = min(status, archive_write_set_filter_option(archive, "zstd", "compression-level", "\(level)"))
            // threads 0: zstd's single-threaded mode, the fastest and smallest on the trees measured here (see
            // TarballCompression). N >= 1 workers: multithreaded framing, whose bytes do not depend on N.
            if threads > 0 {
                status = min(status, archive_write_set_filter_option(archive, "zstd", "threads", "\(threads)"))
            }
        case .gzip(let level):
            status = min(status, archive_write_add_filter_gzip(archive))
            status = min(status, archive_write_set_filter_option(archive, "gzip", "compression-level", "\(level)"))
            // No timestamp in the gzip header, so the same tree gives the same bytes.
            _ = archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        case .none:
            break
        }
        return status
    }

    /// Starts the thread; false (and nothing started) when the system refuses one.
    func start() -> Bool { thread.start() }

    /// Waits for the thread to end (after ``BatchChannel/close()`` or ``BatchChannel/cancel()``).
    func join() { thread.join() }

    private func run() {
        while let batch = channel.receive() {
            if batch.used > 0, archive_write_data(archive, batch.arena.baseAddress, batch.used) < 0 {
                fail("cannot compress the tarball")
                return
            }
            channel.recycle(batch)
        }
        if channel.cancelled { return }
        if archive_write_close(archive) == ARCHIVE_OK {
            finished = true
        } else {
            fail("cannot finish the tarball")
        }
    }

    private func fail(_ what: String) {
        failure = output.failure ?? TreeArchiver.error(archive, what)
        channel.cancel()
    }
}

/// The uncompressed side of a ``CompressorThread``: libarchive's tar writer hands its bytes here, copied into
/// batches sent to the compressing thread.
final class CompressorFeed {
    let compressor: CompressorThread
    private var batch: ByteBatch?

    init(compressor: CompressorThread) {
        self.compressor = compressor
    }

    /// Opens `archive` (a tar writer without a filter) for writing into the compressor.
    func open(_ archive: OpaquePointer) -> Int32 {
        let context = Unmanaged.passUnretained(self).toOpaque()
        return archive_write_open(archive, context, nil, compressorFeedWrite, nil)
    }

    fileprivate func take(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            if batch == nil { batch = compressor.channel.emptyBatch() }
            guard let current = batch else { return false }
            let count = min(bytes.count - done, current.arena.count - current.used)
            (current.arena.baseAddress! + current.used).copyMemory(from: bytes.baseAddress! + done, byteCount: count)
            current.used += count
            done += count
            if current.used == current.arena.count, !send() { return false }
        }
        return true
    }

    private func send() -> Bool {
        guard let current = batch else { return true }
        batch = nil
        return compressor.channel.send(current)
    }

    /// Sends what is left and lets the compressor finish; true when nothing was refused.
    func finish() -> Bool {
        let sent = send()
        compressor.channel.close()
        return sent
    }
}

private func compressorFeedWrite(
    _ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeRawPointer?, _ length: Int
) -> Int {
    guard let context else { return -1 }
    let feed = Unmanaged<CompressorFeed>.fromOpaque(context).takeUnretainedValue()
    guard length > 0, let buffer else { return 0 }
    return feed.take(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : -1
}
