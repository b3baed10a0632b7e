import Tarball

#if canImport(Glibc)
    import Glibc
#endif

extension GitHubActionsCacheStore {
    public func restore(
        key: String, restoreKeys: [String], into destination: String, keepExcluded: [String],
        progress: ProgressHandler?
    ) async throws(StoreError) -> RestoreResult {
        try Self.validate(key: key, restoreKeys: restoreKeys)
        let destination = FileSystem.absolute(destination)
        if let skipped = readSkipped {
            logger.info("\(skipped)")
            return RestoreResult(outcome: .miss, key: key, destination: destination, message: skipped)
        }
        do {
            return try await restoreDownloading(
                key: key, restoreKeys: restoreKeys, destination: destination,
                reader: TarballReader(keepExcluded: keepExcluded), progress: progress)
        } catch {
            if error.message.contains("untouched") { throw error }
            throw StoreError(code: error.code, message: "\(error.message); \(destination) is untouched")
        }
    }

    private func restoreDownloading(
        key: String, restoreKeys: [String], destination: String, reader: TarballReader, progress: ProgressHandler?
    ) async throws(StoreError) -> RestoreResult {
        let stopwatch = Stopwatch()
        var match: Match
        var info: BlobTransfer.BlobInfo
        if let remembered = memo.take(key: key, restoreKeys: restoreKeys, version: version) {
            (match, info) = remembered  // found by the lookup just before (freshness); a refused URL is renewed below
        } else {
            guard let found = try await resolve(key: key, restoreKeys: restoreKeys, version: version) else {
                return RestoreResult(outcome: .miss, key: key, destination: destination, duration: stopwatch.seconds)
            }
            (match, info) = try await probe(found, key: key, restoreKeys: restoreKeys)
        }
        try FileSystem.makeDirectories(configuration.temporaryDirectory)
        let work = configuration.temporaryDirectory + "/" + FileSystem.uniqueName(prefix: ".sc-gha-restore", suffix: "")
        try FileSystem.makeDirectories(work)
        defer { FileSystem.removeTree(work) }
        let parts = blobs.parts(size: info.size, base: work + "/archive")
        progress?(TransferProgress(phase: "downloading", bytes: 0, totalBytes: info.size))
        var refreshed = false
        while true {
            do throws(BlobTransfer.BlobError) {
                try await blobs.download(match.url, parts: parts)
                break
            } catch {
                if case .store(let error) = error { throw error }
                // Expired (or otherwise refused) signed URL: ask for a new one once; parts already there are kept.
                guard !refreshed, let fresh = try await resolve(key: key, restoreKeys: restoreKeys, version: version),
                    fresh.key == match.key
                else {
                    throw StoreError(
                        code: .accessDenied,
                        message:
                            "GitHub Actions cache: the blob storage refused the signed URL for '\(match.key)' (expired?); \(destination) is untouched"
                    )
                }
                logger.info("the signed download URL for '\(match.key)' was refused; resuming with a new one")
                refreshed = true
                match = fresh
                let again = try await probe(fresh, key: key, restoreKeys: restoreKeys)
                guard again.1.size == info.size else {
                    throw StoreError(code: .io, message: "cache entry '\(match.key)' changed size while downloading")
                }
                info = again.1
            }
        }
        let archive = try assemble(parts, size: info.size, into: work + "/archive")
        logger.debug(
            "downloaded '\(match.key)' from the GitHub Actions cache: \(info.size) bytes in \(parts.count) parts, \(String(format: "%.3f", stopwatch.seconds)) s"
        )
        progress?(TransferProgress(phase: "extracting", bytes: info.size, totalBytes: info.size))
        if !FileSystem.isDirectory(FileSystem.parent(of: destination)) {
            try FileSystem.makeDirectories(FileSystem.parent(of: destination))
        }
        let expected = info.sha256
        if expected == nil {
            logger.info("cache entry '\(match.key)' records no SHA-256 (saved by another tool?); extracting unverified")
        }
        let result: Result<TarballSummary, TarballError> = try await Blocking.run {
            () throws(StoreError) -> Result<TarballSummary, TarballError> in
            do throws(TarballError) {
                return .success(
                    try reader.extract(archive: archive, into: destination, expectedSHA256: expected))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let summary):
            var restored = RestoreResult(
                outcome: .hit, key: key, matchedKey: match.key, exactMatch: match.key == key, destination: destination,
                bytes: info.size, contentBytes: summary.contentBytes, files: summary.files,
                directories: summary.directories, symlinks: summary.symlinks, duration: stopwatch.seconds)
            restored.metadata = info.metadata.isEmpty ? nil : info.metadata
            return restored
        case .failure(let error) where error.code == .checksumMismatch || error.code == .corrupted:
            let message =
                "cache entry '\(match.key)' is damaged (\(error.message)); \(destination) is untouched (a runtime token cannot delete entries: save under a new key)"
            logger.warning("\(message)")
            return RestoreResult(
                outcome: .corrupted, key: key, matchedKey: match.key, exactMatch: match.key == key,
                destination: destination, bytes: info.size, duration: stopwatch.seconds, message: message)
        case .failure(let error):
            throw StoreError(error, context: "cannot restore '\(match.key)' into \(destination)")
        }
    }

    /// Joins the part files into one archive (the only part is used as is), checking the total size.
    private func assemble(
        _ parts: [(path: String, offset: Int64, length: Int64)], size: Int64, into path: String
    ) throws(StoreError) -> String {
        if parts.count == 1 {
            if FileSystem.fileSize(parts[0].path) == nil, size == 0 {
                let fd = open(parts[0].path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
                if fd >= 0 { close(fd) }
            }
            guard FileSystem.fileSize(parts[0].path) == size else {
                throw StoreError(code: .dataIntegrity, message: "the downloaded archive is not \(size) bytes")
            }
            return parts[0].path
        }
        let out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw StoreError(errno: errno, operation: "cannot create", path: path) }
        defer { close(out) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for part in parts {
            let input = open(part.path, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw StoreError(errno: errno, operation: "cannot open", path: part.path) }
            defer { close(input) }
            var copied: Int64 = 0
            while true {
                let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n < 0 { throw StoreError(errno: errno, operation: "cannot read", path: part.path) }
                if n == 0 { break }
                var offset = 0
                while offset < n {
                    let w = buffer.withUnsafeBytes { write(out, $0.baseAddress! + offset, n - offset) }
                    if w < 0, errno == EINTR { continue }
                    if w < 0 { throw StoreError(errno: errno, operation: "cannot write", path: path) }
                    offset += w
                }
                copied += Int64(n)
            }
            FileSystem.removeFile(part.path)
            guard copied == part.length else {
                throw StoreError(code: .dataIntegrity, message: "a downloaded part of the archive is short")
            }
        }
        return path
    }
}
