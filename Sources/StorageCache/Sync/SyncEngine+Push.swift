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
        // The manifest GET runs while the tree is scanned: a no-change push costs the longer of the two.
        async let fetched = readManifestResult()
        let scanner = TreeScanner(
            excludes: options.excludes, maxFileSize: options.maxFileSize, maxTotalSize: options.maxTotalSize)
        let cachePath = hashCachePath(for: cacheKey)
        var cache = cachePath.map(FileHashCache.load(path:)) ?? FileHashCache()
        let tree = try scanner.scan(root: directory, cache: &cache)
        // Rewriting the cache is only worth it when something was hashed.
        if let cachePath, !options.dryRun, tree.hashedFiles > 0 || !FileHashCache.isCurrentFormat(path: cachePath) {
            cache.save(path: cachePath)
        }
        var remote = try await fetched.get()
        let remoteObjects = remote == nil ? try await listStoredPaths().map(\.path) : []
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
        // Freshness (SyncOptions.expectedBaseGeneration): never replace a newer generation, never write its objects.
        if let current = generationPastBase(remote) {
            let conflict = await recordConflict(
                entries: tree.entries, directory: directory, current: current, skippedAny: !tree.skipped.isEmpty,
                warnings: &warnings)
            var rejected = result(
                committed: false, generation: current, snapshot: false, uploaded: 0, bytes: 0, deleted: 0)
            rejected.conflict = conflict
            return rejected
        }

        let generation = (remote?.manifest.generation ?? 0) + 1
        // The snapshot streams while the per-file objects upload: a push takes the longer of the two, not the sum.
        async let snapshotWrite = writeSnapshot(
            of: directory, generation: generation, skippedAny: !tree.skipped.isEmpty)
        var uploaded: UploadTotals
        do throws(SyncError) {
            uploaded = try await upload(plan.uploads, from: directory)
        } catch {
            _ = await snapshotWrite
            throw error
        }
        let written = await snapshotWrite
        var snapshot = written.0
        warnings += written.1

        var manifest = Manifest(
            generation: generation, createdAt: Date(), toolVersion: Self.toolVersion,
            parentGeneration: remote?.manifest.generation, files: tree.entries, snapshot: nil)
        manifest.snapshot = snapshot.map {
            ManifestSnapshot(key: $0.key, sha256: $0.sha256, size: $0.size, generation: manifest.generation)
        }

        if try await !commit(manifest, over: remote) {
            // Another push committed first: re-plan against it and try once more.
            warnings.append("another push committed first; re-planned against its manifest and retried")
            remote = try await readManifest()
            // The re-plan must not bypass freshness: a winner past the base generation stays current.
            if let current = generationPastBase(remote) {
                let conflict = await recordConflict(
                    entries: tree.entries, directory: directory, current: current,
                    skippedAny: !tree.skipped.isEmpty, warnings: &warnings)
                await repairAfterLostRace(uploaded: plan.uploads, winner: remote, warnings: &warnings)
                var rejected = result(
                    committed: false, generation: current, snapshot: false, uploaded: uploaded.files,
                    bytes: uploaded.bytes, deleted: 0)
                rejected.conflict = conflict
                return rejected
            }
            plan = SyncPlan.make(local: tree.entries, remote: remote?.manifest)
            uploaded = uploaded.merging(try await upload(plan.uploads, from: directory))
            manifest.generation = (remote?.manifest.generation ?? 0) + 1
            manifest.parentGeneration = remote?.manifest.generation
            manifest.snapshot?.generation = manifest.generation
            // The winner's clean-up may have removed our snapshot (an older push of a slower host, say): never
            // commit a manifest naming a snapshot that is gone; write it again.
            if let key = manifest.snapshot?.key, await !objectExists(key) {
                warnings.append("the snapshot was removed while this push waited; wrote it again")
                snapshot = await writeSnapshot(
                    of: directory, generation: manifest.generation, skippedAny: !tree.skipped.isEmpty,
                    warnings: &warnings)
                manifest.snapshot = snapshot.map {
                    ManifestSnapshot(key: $0.key, sha256: $0.sha256, size: $0.size, generation: manifest.generation)
                }
            }
            guard try await commit(manifest, over: remote) else {
                throw SyncError(
                    .conflict,
                    "s3://\(location.bucket)/\(location.manifestKey) changed twice while pushing; "
                        + "the other push's state is kept — push again to replace it")
            }
            // The winner deletes the objects of files its tree lacks, right after its commit, and those may be
            // objects this push just wrote again. Check them now that this manifest is current (a winner that
            // deletes later sees it and keeps them) and write back any that are gone.
            let winnerFiles = Set(remote?.manifest.files.map(\.path) ?? [])
            let atRisk = plan.uploads.filter { !winnerFiles.contains($0.path) }
            let restored = try await reuploadMissing(atRisk, from: directory)
            if restored > 0 {
                warnings.append("wrote back \(restored) objects the concurrent push had deleted")
            }
        }

        let deleted = await deleteRemoved(
            plan.deletes, committed: manifest, previous: remote, warnings: &warnings)
        logger.info(
            "pushed generation \(manifest.generation): \(uploaded.files) files uploaded (\(uploaded.bytes) bytes), \(deleted) deleted"
        )
        return result(
            committed: true, generation: manifest.generation, snapshot: snapshot != nil, uploaded: uploaded.files,
            bytes: uploaded.bytes, deleted: deleted)
    }

    /// ``readManifest()`` as a `Result` (for `async let` with a typed error).
    func readManifestResult() async -> Result<RemoteManifest?, SyncError> {
        do throws(SyncError) {
            return .success(try await readManifest())
        } catch {
            return .failure(error)
        }
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

    /// HEADs the objects of `entries` and uploads again those that are missing; returns how many were.
    func reuploadMissing(_ entries: [ManifestEntry], from directory: String) async throws(SyncError) -> Int {
        guard !entries.isEmpty else { return 0 }
        let bucket = location.bucket
        let location = self.location
        let client = self.client
        let missing: [ManifestEntry?]
        do throws(S3Error) {
            missing = try await forEachConcurrently(entries, limit: options.concurrency) {
                entry throws(S3Error) -> ManifestEntry? in
                do throws(S3Error) {
                    _ = try await client.headObject(bucket: bucket, key: location.key(forRelativePath: entry.path))
                    return nil
                } catch {
                    if error.code == .notFound { return entry }
                    throw error
                }
            }
        } catch {
            throw SyncError(s3: error, doing: "checking objects under s3://\(bucket)/\(location.storagePrefix)")
        }
        let gone = missing.compactMap { $0 }
        _ = try await upload(gone, from: directory)
        return gone.count
    }

    /// Commits `manifest` if the current one is still `previous`. Returns `false` when another push won.
    func commit(_ manifest: Manifest, over previous: RemoteManifest?) async throws(SyncError) -> Bool {
        try await options.commitGuard?.checkBeforeCommit()
        let bytes: [UInt8]
        do { bytes = try manifest.encoded() } catch { throw SyncError(.io, "cannot encode the manifest: \(error)") }
        var put = options.putOptions
        put.contentType = "application/json"
        put.storageClass = nil
        put.metadata.merge(ManifestHead.metadata(for: manifest)) { $1 }  // readHead() reads the generation from it
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
    ///
    /// Concurrent pushes share the per-file keys and the snapshot prefix, so this keeps: the snapshots of
    /// `committed` and of `previous` (a reader may still be following it), snapshots labelled with a generation
    /// at or above `committed`'s (a concurrent push's, not committed yet: it will retry over `committed`), and,
    /// when a newer manifest was committed meanwhile, every file and the snapshot that manifest names.
    func deleteRemoved(
        _ paths: [String], committed: Manifest, previous: RemoteManifest?, warnings: inout [String]
    ) async -> Int {
        var paths = paths
        var keep = Set([committed.snapshot?.key, previous?.manifest.snapshot?.key].compactMap { $0 })
        let snapshots =
            (try? await client.listObjects(bucket: location.bucket, prefix: location.root + "/snapshot-"))?
            .objects.map(\.key) ?? []
        // Read the manifest last, right before deleting, to keep the window for a concurrent commit small.
        if let current = try? await readManifest(), current.manifest.generation != committed.generation {
            let named = Set(current.manifest.files.map(\.path))
            paths.removeAll { named.contains($0) }
            if let key = current.manifest.snapshot?.key { keep.insert(key) }
        }
        var keys = paths.map { location.key(forRelativePath: $0) }
        keys += snapshots.filter { key in
            guard !keep.contains(key) else { return false }
            guard let label = Self.snapshotGeneration(key: key) else { return true }
            return label < committed.generation
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

    /// The generation a snapshot key was written for (`…/snapshot-g<generation>-<random>.tar.zst`), or `nil` for a
    /// key without one.
    static func snapshotGeneration(key: String) -> Int? {
        guard let range = key.range(of: "/snapshot-g", options: .backwards) else { return nil }
        let digits = key[range.upperBound...].prefix { $0.isNumber }
        guard !digits.isEmpty, key[range.upperBound...].dropFirst(digits.count).hasPrefix("-") else { return nil }
        return Int(digits)
    }

    /// Whether `key` exists; a failed check counts as "exists" (the pull still verifies what it reads).
    func objectExists(_ key: String) async -> Bool {
        do {
            _ = try await client.headObject(bucket: location.bucket, key: key)
            return true
        } catch {
            return error.code != .notFound
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
    /// ``writeSnapshot(of:generation:skippedAny:warnings:)`` returning its warnings (for `async let`).
    func writeSnapshot(of directory: String, generation: Int, skippedAny: Bool) async
        -> (SnapshotUploader.Uploaded?, [String])
    {
        var warnings: [String] = []
        let uploaded = await writeSnapshot(
            of: directory, generation: generation, skippedAny: skippedAny, warnings: &warnings)
        return (uploaded, warnings)
    }

    /// Streams a snapshot tarball of `directory` to a new key beside the manifest (never over the key a committed
    /// manifest names). A failure is a warning: per-file objects remain the source of truth.
    func writeSnapshot(of directory: String, generation: Int, skippedAny: Bool, warnings: inout [String]) async
        -> SnapshotUploader.Uploaded?
    {
        guard options.snapshot else { return nil }
        if skippedAny {
            warnings.append(
                "no snapshot written: some files were skipped, and a snapshot must hold exactly the manifest")
            return nil
        }
        let key =
            location.root + "/snapshot-g\(generation)-" + Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255) })
            + ".tar.zst"
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
