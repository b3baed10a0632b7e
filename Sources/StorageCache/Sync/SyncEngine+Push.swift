import Capture
import Foundation
import Hashing
import Logging
import S3

extension SyncEngine {
    /// Makes the S3 copy equal the tree at `directory`.
    ///
    /// Order: upload new and changed files → write the snapshot → commit the manifest conditionally (If-Match the
    /// manifest the plan was made against, If-None-Match for the first) → delete objects of removed files. A push
    /// that loses a race to a concurrent one re-plans against the winner and tries once more, then reports a
    /// conflict. A push that stops at any point leaves the previous manifest current and its snapshot intact.
    public func push(from directory: String) async throws(SyncError) -> PushResult {
        guard options.captureDatabases, TreeCapture.containsDatabases(source: directory, excludes: options.excludes)
        else { return try await push(tree: directory, cacheKey: directory) }
        // Databases are uploaded from a consistent copy (SQLite online backup), never from the live file.
        let captured = try await Self.capture(directory, options: options, logger: logger)
        defer { captured.remove() }
        var result = try await push(tree: captured.path, cacheKey: directory)
        result.warnings = captured.warnings + result.warnings
        return result
    }

    /// Captures `directory` on a Dispatch thread (it blocks while databases are copied).
    static func capture(_ directory: String, options: SyncOptions, logger: Logger) async throws(SyncError)
        -> CapturedTree
    {
        // A dry run changes nothing, last good copies included.
        let captureOptions = CaptureOptions(
            excludes: options.excludes, stateDirectory: options.dryRun ? nil : options.stateDirectory)
        let result: Result<CapturedTree, CaptureError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(CaptureError) {
                    continuation.resume(
                        returning: .success(
                            try TreeCapture.capture(source: directory, options: captureOptions, logger: logger)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        do {
            return try result.get()
        } catch {
            throw SyncError(.io, "cannot capture \(directory): \(error.message)")
        }
    }

    /// Pushes the tree at `directory`; `cacheKey` names the hash cache (the source, not a staging copy).
    func push(tree directory: String, cacheKey: String) async throws(SyncError) -> PushResult {
        let clock = ContinuousClock()
        let started = clock.now
        var remote = try await readManifest()
        let remoteObjects = remote == nil ? try await listStoredPaths().map(\.path) : []

        let scanner = TreeScanner(
            excludes: options.excludes, maxFileSize: options.maxFileSize, maxTotalSize: options.maxTotalSize)
        let cachePath = hashCachePath(for: cacheKey)
        var cache = cachePath.map(FileHashCache.load(path:)) ?? FileHashCache()
        let tree = try scanner.scan(root: directory, cache: &cache)
        if let cachePath, !options.dryRun { cache.save(path: cachePath) }
        var warnings = tree.skipped.map { "skipped \($0.path): \($0.reason)" }

        var plan = SyncPlan.make(local: tree.entries, remote: remote?.manifest, remoteObjects: remoteObjects)
        let snapshotCurrent =
            !options.snapshot || remote.map { $0.manifest.snapshot?.generation == $0.manifest.generation } == true
        func result(committed: Bool, generation: Int, snapshot: Bool, uploaded: Int, bytes: Int64, deleted: Int)
            -> PushResult
        {
            PushResult(
                plan: plan, generation: generation, committed: committed, snapshotWritten: snapshot,
                uploadedFiles: uploaded, uploadedBytes: bytes, deletedObjects: deleted, files: tree.entries.count,
                bytes: tree.totalBytes, warnings: warnings, dryRun: options.dryRun,
                seconds: (clock.now - started).seconds)
        }
        if options.dryRun || (remote != nil && plan.isEmpty && snapshotCurrent) {
            return result(
                committed: false, generation: remote?.manifest.generation ?? 0, snapshot: false, uploaded: 0, bytes: 0,
                deleted: 0)
        }

        var uploaded = try await upload(plan.uploads, from: directory)
        let snapshot = await writeSnapshot(of: directory, skippedAny: !tree.skipped.isEmpty, warnings: &warnings)

        var manifest = Manifest(
            generation: (remote?.manifest.generation ?? 0) + 1, createdAt: Date(), toolVersion: Self.toolVersion,
            parentGeneration: remote?.manifest.generation, files: tree.entries, snapshot: nil)
        manifest.snapshot = snapshot.map {
            ManifestSnapshot(key: $0.key, sha256: $0.sha256, size: $0.size, generation: manifest.generation)
        }

        if try await !commit(manifest, over: remote) {
            // Another push committed first: re-plan against it and try once more.
            warnings.append("another push committed first; re-planned against its manifest and retried")
            remote = try await readManifest()
            plan = SyncPlan.make(local: tree.entries, remote: remote?.manifest)
            uploaded = uploaded.merging(try await upload(plan.uploads, from: directory))
            manifest.generation = (remote?.manifest.generation ?? 0) + 1
            manifest.parentGeneration = remote?.manifest.generation
            manifest.snapshot?.generation = manifest.generation
            guard try await commit(manifest, over: remote) else {
                throw SyncError(
                    .conflict,
                    "s3://\(location.bucket)/\(location.manifestKey) changed twice while pushing; "
                        + "the other push's state is kept — push again to replace it")
            }
        }

        let deleted = await deleteRemoved(
            plan.deletes, keepingSnapshot: manifest.snapshot?.key, previous: remote, warnings: &warnings)
        logger.info(
            "pushed generation \(manifest.generation): \(uploaded.files) files uploaded (\(uploaded.bytes) bytes), \(deleted) deleted"
        )
        return result(
            committed: true, generation: manifest.generation, snapshot: snapshot != nil, uploaded: uploaded.files,
            bytes: uploaded.bytes, deleted: deleted)
    }

    struct UploadTotals: Sendable {
        var files = 0
        var bytes: Int64 = 0

        func merging(_ other: UploadTotals) -> UploadTotals {
            UploadTotals(files: files + other.files, bytes: bytes + other.bytes)
        }
    }

    /// Uploads `entries` from `directory`, `options.concurrency` at once. Each upload carries the SHA-256 taken
    /// during the scan, so S3 refuses bytes that changed since.
    func upload(_ entries: [ManifestEntry], from directory: String) async throws(SyncError) -> UploadTotals {
        let bucket = location.bucket
        let location = self.location
        let client = self.client
        let putOptions = options.putOptions
        do throws(S3Error) {
            _ = try await forEachConcurrently(entries, limit: options.concurrency) { entry throws(S3Error) in
                var put = putOptions
                put.knownSHA256 = entry.sha256
                try await client.uploadFile(
                    bucket: bucket, key: location.key(forRelativePath: entry.path), path: directory + "/" + entry.path,
                    options: put)
            }
        } catch {
            if error.code == .integrity || error.s3Code == "BadDigest" || error.s3Code == "XAmzContentSHA256Mismatch" {
                throw SyncError(.io, "a file changed while it was uploaded (\(error.message)); push again")
            }
            throw SyncError(s3: error, doing: "uploading to s3://\(bucket)/\(location.storagePrefix)")
        }
        return UploadTotals(files: entries.count, bytes: entries.reduce(0) { $0 + $1.size })
    }

    /// Commits `manifest` if the current one is still `previous`. Returns `false` when another push won.
    func commit(_ manifest: Manifest, over previous: RemoteManifest?) async throws(SyncError) -> Bool {
        let bytes: [UInt8]
        do { bytes = try manifest.encoded() } catch { throw SyncError(.io, "cannot encode the manifest: \(error)") }
        var put = options.putOptions
        put.contentType = "application/json"
        put.storageClass = nil
        if let etag = previous?.etag { put.ifMatch = etag } else { put.ifNoneMatch = "*" }
        do {
            try await client.putObject(
                bucket: location.bucket, key: location.manifestKey, body: .bytes(bytes), options: put)
            return true
        } catch {
            guard error.code == .preconditionFailed || error.status == 409 else {
                throw SyncError(s3: error, doing: "committing s3://\(location.bucket)/\(location.manifestKey)")
            }
            // A retried conditional write may have succeeded the first time: compare before calling it a conflict.
            if let current = try await readManifest(), current.bytes == bytes { return true }
            return false
        }
    }

    /// Deletes the objects of removed files and snapshots no manifest needs any more. Failures are warnings: the
    /// committed manifest no longer names these objects.
    func deleteRemoved(
        _ paths: [String], keepingSnapshot: String?, previous: RemoteManifest?, warnings: inout [String]
    ) async -> Int {
        var keys = paths.map { location.key(forRelativePath: $0) }
        if let snapshots = try? await client.listObjects(bucket: location.bucket, prefix: location.root + "/snapshot-")
        {
            let keep = Set([keepingSnapshot, previous?.manifest.snapshot?.key].compactMap { $0 })
            keys += snapshots.objects.map(\.key).filter { !keep.contains($0) }
        }
        guard !keys.isEmpty else { return 0 }
        do {
            let failures = try await client.deleteObjects(bucket: location.bucket, keys: keys)
            for failure in failures.prefix(10) {
                warnings.append("could not delete \(failure.key): \(failure.message)")
            }
            return keys.count - failures.count
        } catch {
            warnings.append("could not delete \(keys.count) removed objects: \(error.description)")
            return 0
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension SyncEngine {
    /// Streams a snapshot tarball of `directory` to a new key beside the manifest (never over the key a committed
    /// manifest names). A failure is a warning: per-file objects remain the source of truth.
    func writeSnapshot(of directory: String, skippedAny: Bool, warnings: inout [String]) async
        -> SnapshotUploader.Uploaded?
    {
        guard options.snapshot else { return nil }
        if skippedAny {
            warnings.append(
                "no snapshot written: some files were skipped, and a snapshot must hold exactly the manifest")
            return nil
        }
        let key = location.root + "/snapshot-" + Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255) }) + ".tar.zst"
        var put = options.putOptions
        put.contentType = "application/zstd"
        put.checksumSHA256 = false
        put.knownSHA256 = nil
        let uploader = SnapshotUploader(
            client: client, bucket: location.bucket, key: key, excludes: options.excludes, putOptions: put)
        do {
            return try await uploader.upload(directory: directory)
        } catch {
            warnings.append("no snapshot written: \(error.message)")
            return nil
        }
    }
}
