import CArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a tar stream and creates its checked entries under a root directory with ``StagingTreeWriter``.
///
/// Not `archive_write_disk`: with `SECURE_SYMLINKS` it `lstat`s every component of every entry's path and keeps
/// its own fixup list, several times the system calls of `tar -x`; ours opens each directory once, creates each
/// file relative to it and cannot write through a link (see ``StagingTreeWriter``).
struct TreeExtractor {
    let input: ArchiveInput
    /// Absolute, canonical path of the (fresh, private) staging directory to fill.
    let root: [UInt8]
    let archiveName: String

    static func openReader(input: ArchiveInput, archiveName: String) throws(TarballError) -> OpaquePointer {
        guard let archive = archive_read_new() else {
            throw TarballError(code: .io, message: "archive_read_new failed: out of memory")
        }
        archive_read_support_filter_zstd(archive)
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_tar(archive)
        guard input.open(archive) == ARCHIVE_OK else {
            let error = input.failure ?? corrupted(archive, archiveName)
            archive_read_free(archive)
            throw error
        }
        return archive
    }

    static func corrupted(_ archive: OpaquePointer, _ name: String) -> TarballError {
        let detail = archive_error_string(archive).map { String(cString: $0) } ?? "unexpected end of data"
        return TarballError(code: .corrupted, message: "the archive \(name) is damaged: \(detail)")
    }

    /// Whether the writing side runs on two threads of its own while this one decompresses: one creating names
    /// (directories, links, files: ``ExtractionNamer``), one writing file contents (``ExtractionContentWriter``),
    /// fed through bounded queues of batches (at most 24 arenas of ``ExtractionBatch/arenaSize`` in all).
    var threaded = true
    /// Whether large files start their writeback while they are written (for the `syncfs` before the swap; without
    /// it, the kernel's own writeback does it later and the extraction never waits for the disk).
    var startsWriteback = true

    func run() throws(TarballError) -> TarballSummary {
        let archive = try Self.openReader(input: input, archiveName: archiveName)
        defer { archive_read_free(archive) }
        let writer = try StagingTreeWriter(root: root)
        let namer = ExtractionNamer(writer: writer)
        let content = ExtractionContentWriter(writer: writer, startsWriteback: startsWriteback)
        var reader = BatchingReader(archive: archive, extractor: self)
        let stages = threaded ? ExtractionStages(namer: namer, content: content) : nil
        guard let stages, stages.start() else {
            // Everything on this thread: each batch is applied as soon as it is full.
            let batch = ExtractionBatch()
            let summary = try reader.read(first: batch) { (batch) throws(TarballError) -> ExtractionBatch? in
                try namer.apply(batch)
                do throws(TarballError) { try content.apply(batch) } catch {
                    batch.closeUntaken()
                    throw error
                }
                batch.reset()
                return batch
            }
            try writer.finish()
            return summary
        }
        let summary: TarballSummary
        do throws(TarballError) {
            summary = try reader.read(first: stages.emptyBatch()) { (batch) throws(TarballError) -> ExtractionBatch? in
                stages.send(batch) ? stages.emptyBatch() : nil
            }
        } catch {
            stages.cancel()
            throw stages.failure ?? error
        }
        if let failure = stages.finish() { throw failure }
        return summary
    }

    /// Turns the archive's entries into ops, in order, checked by ``EntryPolicy``.
    private struct BatchingReader {
        let archive: OpaquePointer
        let extractor: TreeExtractor
        private var batch: ExtractionBatch?
        private var deliver: ((ExtractionBatch) throws(TarballError) -> ExtractionBatch?)?

        init(archive: OpaquePointer, extractor: TreeExtractor) {
            self.archive = archive
            self.extractor = extractor
        }

        /// Reads every entry into batches handed to `deliver`, which returns the next empty batch, or nil when
        /// the writing side stopped (its error is then the one to report).
        mutating func read(
            first: ExtractionBatch?, deliver: @escaping (ExtractionBatch) throws(TarballError) -> ExtractionBatch?
        ) throws(TarballError) -> TarballSummary {
            batch = first
            self.deliver = deliver
            defer { self.deliver = nil }
            var policy = EntryPolicy()
            var summary = TarballSummary(
                sha256: "", compressedBytes: 0, files: 0, directories: 0, symlinks: 0, contentBytes: 0)
            var entry: OpaquePointer?
            while true {
                let status = archive_read_next_header(archive, &entry)
                if status == ARCHIVE_EOF { break }
                guard status >= ARCHIVE_WARN, let entry else { throw extractor.readFailure(archive, nil) }
                guard let admitted = try policy.admit(entry) else { continue }
                let path = admitted.path
                let components = admitted.components
                let mode = mode_t(archive_entry_perm(entry)) & 0o1777  // never setuid or setgid
                switch admitted.kind {
                case .file:
                    summary.files += 1
                    summary.contentBytes += archive_entry_size(entry)
                    try push(.file(components: components, path: path, mode: mode, reopen: false))
                    try copyData(entry, mode: mode, path: path)
                case .hardLink:
                    try push(.hardLink(components: components, path: path, target: admitted.linkTargetComponents))
                    if archive_entry_size_is_set(entry) != 0, archive_entry_size(entry) > 0 {
                        try push(.file(components: components, path: path, mode: mode, reopen: true))
                        try copyData(entry, mode: mode, path: path)
                    }
                case .directory:
                    summary.directories += 1
                    let times = TreeExtractor.times(entry)
                    try push(.directory(components: components, path: path, mode: mode, times: times))
                case .symlink:
                    summary.symlinks += 1
                    let target = archive_entry_symlink(entry).map { Posix.bytes($0) } ?? []
                    let times = TreeExtractor.times(entry)
                    try push(.symlink(components: components, path: path, target: target, times: times))
                }
            }
            if let batch, !batch.ops.isEmpty { try flush(batch) }
            return summary
        }

        private mutating func flush(_ full: ExtractionBatch) throws(TarballError) {
            batch = try deliver?(full)
            if batch == nil { throw TarballError(code: .io, message: "extraction stopped") }
        }

        private mutating func push(_ op: ExtractionOp) throws(TarballError) {
            guard let current = batch else { throw TarballError(code: .io, message: "extraction stopped") }
            if current.ops.count >= ExtractionBatch.maxOps { try flush(current) }
            batch!.ops.append(op)
        }

        /// Copies the entry's data into batch arenas (split where an arena fills), then ends the file.
        private mutating func copyData(_ entry: OpaquePointer, mode: mode_t, path: [UInt8]) throws(TarballError) {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            while true {
                let status = archive_read_data_block(archive, &block, &size, &offset)
                if status == ARCHIVE_EOF { break }
                guard status >= ARCHIVE_WARN else { throw extractor.readFailure(archive, path) }
                guard let block else { continue }
                var done = 0
                while done < size {
                    guard var current = batch else { throw TarballError(code: .io, message: "extraction stopped") }
                    if current.isFull {
                        try flush(current)
                        current = batch!
                    }
                    let count = min(size - done, current.free)
                    (current.arena.baseAddress! + current.used).copyMemory(from: block + done, byteCount: count)
                    current.ops.append(.data(offset: offset + Int64(done), start: current.used, count: count))
                    current.used += count
                    done += count
                }
            }
            try push(.endFile(size: archive_entry_size(entry), mode: mode, times: TreeExtractor.times(entry)))
        }
    }

    /// The error for a failed read: the input's own, else libarchive's, naming the entry when there is one.
    fileprivate func readFailure(_ archive: OpaquePointer, _ path: [UInt8]?) -> TarballError {
        let error = input.failure ?? Self.corrupted(archive, archiveName)
        guard let path else { return error }
        return TarballError(code: error.code, message: "\(error.message) (in \(String(pathBytes: path)))")
    }

    /// The entry's access and modification times for `futimens`/`utimensat`; nil when it has neither. An absent
    /// one is left as it is (the time of creation).
    static func times(_ entry: OpaquePointer) -> (timespec, timespec)? {
        let hasAccess = archive_entry_atime_is_set(entry) != 0
        let hasModification = archive_entry_mtime_is_set(entry) != 0
        guard hasAccess || hasModification else { return nil }
        let omit = timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2)  // UTIME_OMIT (a macro Swift cannot import)
        let access =
            hasAccess
            ? timespec(tv_sec: time_t(archive_entry_atime(entry)), tv_nsec: Int(archive_entry_atime_nsec(entry)))
            : omit
        let modification =
            hasModification
            ? timespec(tv_sec: time_t(archive_entry_mtime(entry)), tv_nsec: Int(archive_entry_mtime_nsec(entry)))
            : omit
        return (access, modification)
    }
}
