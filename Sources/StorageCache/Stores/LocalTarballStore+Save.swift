import Capture
import Tarball

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension LocalTarballStore {
    public func save(directory source: String, key: String, options: SaveOptions) async throws(StoreError) -> SaveResult
    {
        try CacheKey.validate(key)
        let source = FileSystem.absolute(source)
        guard FileSystem.isDirectory(source) else {
            throw StoreError(code: .invalidInput, message: "path \(source) is not a directory")
        }
        let prepared = try await Blocking.run { () throws(StoreError) -> Prepared in
            try archiveBlocking(source: source, key: key, options: options)
        }
        guard case .archived(let archive) = prepared else {
            guard case .exists(let existing, let stopwatch) = prepared else { preconditionFailure() }
            return exists(existing, source: source, stopwatch: stopwatch)
        }
        defer { FileSystem.removeFile(archive.temporary) }
        var metadata = options.metadata
        if let resolve = options.resolveMetadata { metadata.merge(await resolve()) { $1 } }
        let stamped = metadata
        return try await Blocking.run { () throws(StoreError) -> SaveResult in
            try commitBlocking(archive, source: source, key: key, options: options, metadata: stamped)
        }
    }

    /// An archive written to the cache's temporary directory, not yet in the index.
    private struct ArchivedTree: Sendable {
        var temporary: String
        var suffix: String
        var summary: TarballSummary
        var captureWarnings: String?
        var stopwatch: Stopwatch
    }

    private enum Prepared: Sendable {
        case exists(CacheEntry, Stopwatch)
        case archived(ArchivedTree)
    }

    /// Writes the archive of `source` (from a consistent capture when it holds databases) to a temporary file.
    private func archiveBlocking(source: String, key: String, options: SaveOptions) throws(StoreError) -> Prepared {
        let stopwatch = Stopwatch()
        try directory.prepare()
        if !options.overwrite, let existing = try indexFile.load().entry(forKey: key) {
            return .exists(existing, stopwatch)
        }
        let suffix = Self.fileSuffix(options.tarball.compression)
        let temporary = directory.temporaryPath + "/" + FileSystem.uniqueName(prefix: "save", suffix: suffix)
        var keep = false
        defer { if !keep { FileSystem.removeFile(temporary) } }
        var options = options
        if directory.root.hasPrefix(source + "/") {
            // The cache lives inside the saved tree: never archive the cache (or the archive being written) itself.
            options.tarball.excludes.append(String(directory.root.dropFirst(source.count)) + "/")
        }
        var archived = source
        var captured: CapturedTree?
        if options.captureDatabases, TreeCapture.containsDatabases(source: source, excludes: options.tarball.excludes) {
            // Databases are archived from a consistent copy (SQLite online backup), never from the live file.
            do throws(CaptureError) {
                captured = try TreeCapture.capture(
                    source: source,
                    options: CaptureOptions(
                        excludes: options.tarball.excludes, stateDirectory: options.captureStateDirectory),
                    logger: logger)
            } catch {
                throw StoreError(code: .io, message: "cannot capture \(source): \(error.message)")
            }
            archived = captured?.path ?? source
        }
        defer { captured?.remove() }
        let summary = try writeArchive(source: archived, to: temporary, options: options)
        logger.debug("archived \(source): \(summary.files) files, \(summary.compressedBytes) bytes")
        keep = true
        return .archived(
            ArchivedTree(
                temporary: temporary, suffix: suffix, summary: summary,
                captureWarnings: captured.flatMap { $0.warnings.isEmpty ? nil : $0.warnings.joined(separator: "; ") },
                stopwatch: stopwatch))
    }

    /// Moves `archive` into `entries/` and records it in the index (with `metadata`), evicting what the limits ask.
    private func commitBlocking(
        _ archive: ArchivedTree, source: String, key: String, options: SaveOptions, metadata: [String: String]
    ) throws(StoreError) -> SaveResult {
        let summary = archive.summary
        let suffix = archive.suffix
        let temporary = archive.temporary
        let stopwatch = archive.stopwatch
        let commit = try updateIndex { index throws(StoreError) -> Commit in
            if !options.overwrite, let existing = index.entry(forKey: key) { return .exists(existing) }
            let sequence = index.nextSequence()
            let file = "\(CacheKey.fileStem(key))-\(sequence)\(suffix)"
            try FileSystem.move(temporary, to: directory.entryPath(file))
            FileSystem.syncDirectory(directory.entriesPath)
            let date = now()
            let replaced = index.entry(forKey: key)
            index.insert(
                CacheEntry(
                    key: key, file: file, size: summary.compressedBytes, sha256: summary.sha256, sequence: sequence,
                    useSequence: sequence, createdAt: date, lastUsedAt: date, files: summary.files,
                    directories: summary.directories, symlinks: summary.symlinks,
                    contentBytes: summary.contentBytes, compression: Self.compressionName(options.tarball.compression),
                    metadata: metadata.isEmpty ? nil : metadata))
            let victims = eviction.victims(of: index.entries, now: date, keep: key)
            for victim in victims { index.remove(key: victim.entry.key) }
            try indexFile.store(index)
            if let replaced { FileSystem.removeFile(directory.entryPath(replaced.file)) }
            for victim in victims { FileSystem.removeFile(directory.entryPath(victim.entry.file)) }
            removeLeftovers(index)
            return .saved(replaced: replaced != nil, evicted: victims.map(\.entry.key))
        }
        switch commit {
        case .exists(let existing):
            return exists(existing, source: source, stopwatch: stopwatch)
        case .saved(let replaced, let evicted):
            for key in evicted { logger.info("evicted cache entry '\(key)' to respect the cache limits") }
            return SaveResult(
                outcome: replaced ? .overwritten : .saved, key: key, source: source, bytes: summary.compressedBytes,
                contentBytes: summary.contentBytes, files: summary.files, directories: summary.directories,
                symlinks: summary.symlinks, sha256: summary.sha256, evicted: evicted, duration: stopwatch.seconds,
                message: archive.captureWarnings)
        }
    }

    private enum Commit {
        case exists(CacheEntry)
        case saved(replaced: Bool, evicted: [String])
    }

    private func exists(_ entry: CacheEntry, source: String, stopwatch: Stopwatch) -> SaveResult {
        let message = "cache entry '\(entry.key)' already exists; kept it (entries are immutable, use --overwrite)"
        logger.notice("\(message)")
        return SaveResult(
            outcome: .exists, key: entry.key, source: source, bytes: 0, contentBytes: entry.contentBytes,
            files: entry.files, directories: entry.directories, symlinks: entry.symlinks, sha256: entry.sha256,
            duration: stopwatch.seconds, message: message)
    }

    /// Streams the archive of `source` into `path` (created exclusively), fsyncs it and checks its length.
    private func writeArchive(source: String, to path: String, options: SaveOptions) throws(StoreError)
        -> TarballSummary
    {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(errno: errno, operation: "cannot create", path: path) }
        defer { close(fd) }
        var written: Int64 = 0
        var sinkError: StoreError?
        let progress = options.progress
        let summary: TarballSummary
        do {
            summary = try TarballWriter(options: options.tarball).write(directory: source) { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        let error = StoreError(errno: errno, operation: "cannot write", path: path)
                        sinkError = error
                        throw error
                    }
                    offset += n
                }
                written += Int64(buffer.count)
                progress?(TransferProgress(phase: "archiving", bytes: written))
            }
        } catch {
            throw sinkError ?? StoreError(error, context: "cannot archive \(source)")
        }
        if fsync(fd) != 0 { throw StoreError(errno: errno, operation: "cannot flush", path: path) }
        guard written == summary.compressedBytes else {
            throw StoreError(
                code: .io,
                message: "archive of \(source) is \(written) bytes but the writer reported \(summary.compressedBytes)")
        }
        return summary
    }

    static func fileSuffix(_ compression: TarballCompression) -> String {
        switch compression {
        case .zstd: ".tar.zst"
        case .gzip: ".tar.gz"
        case .none: ".tar"
        }
    }

    static func compressionName(_ compression: TarballCompression) -> String {
        switch compression {
        case .zstd: "zstd"
        case .gzip: "gzip"
        case .none: "none"
        }
    }
}
