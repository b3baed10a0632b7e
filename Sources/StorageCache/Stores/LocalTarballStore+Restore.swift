import Dispatch
import Tarball

extension LocalTarballStore {
    public func lookup(key: String, restoreKeys: [String]) async throws(StoreError) -> LookupResult {
        try CacheKey.validate(key)
        let stopwatch = Stopwatch()
        for _ in 0..<3 {
            guard let match = try indexFile.load().match(key: key, restoreKeys: restoreKeys) else {
                return LookupResult(outcome: .miss, key: key, duration: stopwatch.seconds)
            }
            let entry = match.entry
            if let problem = sizeProblem(entry) {
                // Replaced or evicted by another process since the index was read: look again.
                if FileSystem.fileSize(directory.entryPath(entry.file)) == nil && indexChanged(for: entry) { continue }
                discard(entry, reason: problem)
                return LookupResult(
                    outcome: .corrupted, key: key, matchedKey: entry.key, exactMatch: match.exact, bytes: entry.size,
                    files: entry.files, createdAt: entry.createdAt, duration: stopwatch.seconds,
                    message: "cache entry '\(entry.key)' is damaged (\(problem)); removed it")
            }
            var found = LookupResult(
                outcome: .hit, key: key, matchedKey: entry.key, exactMatch: match.exact, bytes: entry.size,
                files: entry.files, createdAt: entry.createdAt, duration: stopwatch.seconds)
            found.metadata = entry.metadata
            return found
        }
        throw StoreError(code: .io, message: "cache entries for '\(key)' kept changing while looking up; try again")
    }

    public func restore(
        key: String, restoreKeys: [String], into destination: String, keepExcluded: [String],
        progress: ProgressHandler?
    ) async throws(StoreError) -> RestoreResult {
        try CacheKey.validate(key)
        let destination = FileSystem.absolute(destination)
        let reader = TarballReader(syncBeforeSwap: syncRestoredTree, keepExcluded: keepExcluded)
        return try await Blocking.run { () throws(StoreError) -> RestoreResult in
            try restoreBlocking(
                key: key, restoreKeys: restoreKeys, destination: destination, reader: reader, progress: progress)
        }
    }

    private func restoreBlocking(
        key: String, restoreKeys: [String], destination: String, reader: TarballReader, progress: ProgressHandler?
    ) throws(StoreError) -> RestoreResult {
        let stopwatch = Stopwatch()
        // A concurrent save (overwrite) or eviction may delete the archive between reading the index and opening
        // it; then the index has changed and the lookup is retried.
        for _ in 0..<3 {
            guard let match = try indexFile.load().match(key: key, restoreKeys: restoreKeys) else {
                return RestoreResult(outcome: .miss, key: key, destination: destination, duration: stopwatch.seconds)
            }
            let entry = match.entry
            let path = directory.entryPath(entry.file)
            if let problem = sizeProblem(entry) {
                if FileSystem.fileSize(path) == nil && indexChanged(for: entry) { continue }
                return corrupted(entry, match: match, key: key, destination: destination, problem, stopwatch)
            }
            // The use record (an index rewrite: two fsyncs) is written beside the extraction, not after it; a
            // failed or corrupted restore leaves it too, harmless for eviction (a discarded entry ignores it).
            let recorded = DispatchGroup()
            DispatchQueue.global().async(group: recorded) { touch(entry) }
            defer { recorded.wait() }
            progress?(TransferProgress(phase: "extracting", bytes: 0, totalBytes: entry.size))
            if !FileSystem.isDirectory(FileSystem.parent(of: destination)) {
                try FileSystem.makeDirectories(FileSystem.parent(of: destination))
            }
            let summary: TarballSummary
            do {
                summary = try reader.extract(archive: path, into: destination, expectedSHA256: entry.sha256)
            } catch {
                switch error.code {
                case .checksumMismatch, .corrupted:
                    return corrupted(entry, match: match, key: key, destination: destination, error.message, stopwatch)
                case .io where FileSystem.fileSize(path) == nil && indexChanged(for: entry):
                    continue
                default:
                    throw StoreError(error, context: "cannot restore '\(entry.key)' into \(destination)")
                }
            }
            progress?(TransferProgress(phase: "extracting", bytes: entry.size, totalBytes: entry.size))
            var restored = RestoreResult(
                outcome: .hit, key: key, matchedKey: entry.key, exactMatch: match.exact, destination: destination,
                bytes: entry.size, contentBytes: summary.contentBytes, files: summary.files,
                directories: summary.directories, symlinks: summary.symlinks, duration: stopwatch.seconds)
            restored.metadata = entry.metadata
            return restored
        }
        throw StoreError(code: .io, message: "cache entries for '\(key)' kept changing while restoring; try again")
    }

    private func corrupted(
        _ entry: CacheEntry, match: CacheIndex.Match, key: String, destination: String, _ problem: String,
        _ stopwatch: Stopwatch
    ) -> RestoreResult {
        discard(entry, reason: problem)
        return RestoreResult(
            outcome: .corrupted, key: key, matchedKey: entry.key, exactMatch: match.exact, destination: destination,
            bytes: entry.size, duration: stopwatch.seconds,
            message: "cache entry '\(entry.key)' is damaged (\(problem)); removed it, \(destination) is untouched")
    }

    /// Why `entry`'s archive cannot be right without reading it: missing, or not the recorded size.
    package func sizeProblem(_ entry: CacheEntry) -> String? {
        guard let size = FileSystem.fileSize(directory.entryPath(entry.file)) else { return "archive file is missing" }
        return size == entry.size ? nil : "archive is \(size) bytes, the index says \(entry.size)"
    }

    /// Whether the index no longer names `entry`'s archive for its key.
    private func indexChanged(for entry: CacheEntry) -> Bool {
        (try? indexFile.load().entry(forKey: entry.key)?.file) != entry.file
    }

    /// Records a use of `entry` (for least-recently-used eviction); failures only log.
    private func touch(_ entry: CacheEntry) {
        do {
            try updateIndex { index throws(StoreError) in
                guard var current = index.entry(forKey: entry.key), current.file == entry.file else { return }
                current.useSequence = index.nextSequence()
                current.lastUsedAt = now()
                index.update(current, ifFile: entry.file)
            }
        } catch {
            logger.warning("cannot record the use of cache entry '\(entry.key)': \(error)")
        }
    }
}
