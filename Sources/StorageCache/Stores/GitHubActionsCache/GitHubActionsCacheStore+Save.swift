import Tarball

extension GitHubActionsCacheStore {
    public func save(directory source: String, key: String, options: SaveOptions) async throws(StoreError) -> SaveResult
    {
        try Self.validate(key: key, restoreKeys: [])
        let source = FileSystem.absolute(source)
        guard FileSystem.isDirectory(source) else {
            throw StoreError(code: .invalidInput, message: "path \(source) is not a directory")
        }
        let stopwatch = Stopwatch()
        if let skipped = writeSkipped {
            logger.info("\(skipped)")
            return SaveResult(outcome: .skipped, key: key, source: source, message: skipped)
        }
        let version = version(for: options.tarball.compression)
        // The exact-key check is a read: a job that may only write (`write-only`) goes straight to the reservation,
        // which answers for an existing key too.
        if configuration.access.allowsRead,
            let existing = try await resolve(key: key, restoreKeys: [], version: version), existing.key == key
        {
            return exists(key: key, source: source, options: options, stopwatch: stopwatch)
        }
        try FileSystem.makeDirectories(configuration.temporaryDirectory)
        let archive =
            configuration.temporaryDirectory + "/"
            + FileSystem.uniqueName(
                prefix: ".sc-gha-save", suffix: LocalTarballStore.fileSuffix(options.tarball.compression))
        defer { FileSystem.removeFile(archive) }
        let tarball = options.tarball
        let progress = options.progress
        let summary = try await Blocking.run { () throws(StoreError) -> TarballSummary in
            progress?(TransferProgress(phase: "archiving", bytes: 0))
            do throws(TarballError) {
                return try TarballWriter(options: tarball).write(directory: source, to: archive)
            } catch {
                throw StoreError(error, context: "cannot archive \(source)")
            }
        }
        guard summary.compressedBytes <= configuration.maxEntryBytes else {
            let message =
                "cannot save '\(key)': its archive is \(ByteCount.format(summary.compressedBytes)), over the GitHub Actions cache limit of \(ByteCount.format(configuration.maxEntryBytes)) per entry; exclude more or split the directory"
            logger.warning("\(message)")
            throw StoreError(code: .invalidInput, message: message)
        }

        // Entry metadata (the S3 generation stamp) is known before the entry is reserved.
        var metadata = options.metadata
        if let resolve = options.resolveMetadata { metadata.merge(await resolve()) { $1 } }
        let create = try await service.call("CreateCacheEntry", ["key": key, "version": version])
        let uploadURL: String
        switch create {
        case .ok(let response):
            if response.bool("ok"), let url = response.string("signed_upload_url", "signedUploadUrl"), !url.isEmpty {
                uploadURL = url
                break
            }
            let reason = CacheServiceClient.safeMessage(response.string("message")) ?? ""
            if Self.looksDenied(reason) { throw denied(key: key, reason: reason) }
            return exists(
                key: key, source: source, options: options, stopwatch: stopwatch,
                note: "another job may be creating it\(reason.isEmpty ? "" : " (\(reason))")")
        case .failed(let failure):
            if failure.status == 409 || failure.code == "already_exists" {
                return exists(key: key, source: source, options: options, stopwatch: stopwatch)
            }
            if failure.status == 401 || failure.status == 403 || Self.looksDenied(failure.message) {
                throw denied(key: key, reason: failure.summary)
            }
            throw Self.serviceError("reserve '\(key)'", failure)
        }

        progress?(TransferProgress(phase: "uploading", bytes: 0, totalBytes: summary.compressedBytes))
        try await blobs.upload(
            path: archive, length: summary.compressedBytes, sha256: summary.sha256, metadata: metadata, to: uploadURL)
        progress?(
            TransferProgress(phase: "uploading", bytes: summary.compressedBytes, totalBytes: summary.compressedBytes))

        let body: [String: any Sendable] = [
            "key": key, "version": version, "size_bytes": String(summary.compressedBytes),
        ]
        switch try await service.call("FinalizeCacheEntryUpload", body) {
        case .ok(let response) where response.bool("ok"):
            logger.debug("saved '\(key)' to the GitHub Actions cache: \(summary.compressedBytes) bytes")
        case .ok:
            throw StoreError(code: .io, message: "GitHub Actions cache: the service did not finalize '\(key)'")
        case .failed(let failure):
            throw Self.serviceError("finalize '\(key)'", failure)
        }
        return SaveResult(
            outcome: .saved, key: key, source: source, bytes: summary.compressedBytes,
            contentBytes: summary.contentBytes, files: summary.files, directories: summary.directories,
            symlinks: summary.symlinks, sha256: summary.sha256, duration: stopwatch.seconds)
    }

    /// Whether a reservation refusal says the token may not write: `cache write denied:` (@actions/cache's
    /// `CACHE_WRITE_DENIED_PREFIX`), a read-only budget, a permission error.
    static func looksDenied(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return ["denied", "read-only", "read only", "readonly", "forbidden", "not permitted", "permission"].contains {
            lowered.contains($0)
        }
    }

    private func denied(key: String, reason: String) -> StoreError {
        let message =
            "GitHub Actions cache write denied for '\(key)': \(reason.isEmpty ? "the token is read-only" : reason) (read-only tokens, e.g. pull requests from forks, cannot save caches); nothing was saved"
        logger.warning("\(message)")
        return StoreError(code: .accessDenied, message: message)
    }

    private func exists(
        key: String, source: String, options: SaveOptions, stopwatch: Stopwatch, note: String? = nil
    ) -> SaveResult {
        var message = "cache entry '\(key)' already exists in the GitHub Actions cache; kept it (entries are immutable)"
        if let note { message = "cache entry '\(key)' could not be reserved: \(note); kept the existing one" }
        if options.overwrite { message += "; the GitHub Actions cache cannot overwrite an entry, use a new key" }
        logger.notice("\(message)")
        return SaveResult(
            outcome: .exists, key: key, source: source, duration: stopwatch.seconds, message: message)
    }
}
