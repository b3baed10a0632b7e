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
        // The manifest GET starts before the look for databases (a read of every file's first bytes).
        let manifest = Task { await self.readManifestResult() }
        let timer = PhaseTimer(logger: logger)
        let hasDatabases = timer.measure("database check") {
            options.captureDatabases && TreeCapture.containsDatabases(source: directory, excludes: options.excludes)
        }
        guard hasDatabases else { return try await push(tree: directory, cacheKey: directory, manifest: manifest) }
        // Databases are uploaded from a consistent image (read in memory within one read transaction, or an
        // online backup copy), never from the live file. The manifest GET runs meanwhile.
        let captureStarted = ContinuousClock.now
        let captured: CapturedTree
        do throws(SyncError) {
            captured = try await Self.capture(
                directory, options: options, logger: logger, inMemory: options.captureInMemory)
        } catch {
            manifest.cancel()
            throw error
        }
        defer { captured.remove() }
        timer.log("capture (\(captured.images.count) in memory)", since: captureStarted)
        var result = try await push(
            tree: captured.path, cacheKey: directory, images: captured.images,
            skippedDatabases: captured.skippedDatabases, manifest: manifest)
        result.warnings = captured.warnings + result.warnings
        return result
    }

    /// Captures `directory` on a Dispatch thread (it blocks while databases are copied). `inMemory`: databases
    /// that will be chunked stay in memory (``Capture/CapturedTree/images``, for this engine's push only).
    static func capture(_ directory: String, options: SyncOptions, logger: Logger, inMemory: Bool = false)
        async throws(SyncError) -> CapturedTree
    {
        // A dry run changes nothing, last good copies included.
        var captureOptions = CaptureOptions(
            excludes: options.excludes, stateDirectory: options.dryRun ? nil : options.stateDirectory)
        if inMemory && options.chunkThreshold > 0 {
            captureOptions.imageChunkSize = options.chunkSize
            captureOptions.imageMinimumSize = options.chunkThreshold
        }
        let finalOptions = captureOptions
        let result: Result<CapturedTree, CaptureError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(CaptureError) {
                    continuation.resume(
                        returning: .success(
                            try TreeCapture.capture(source: directory, options: finalOptions, logger: logger)))
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
    /// `images`: databases captured into memory, pushed as files of the tree. `skippedDatabases`: databases no
    /// consistent copy could be taken of; the stored generation's entries for them are kept. `manifest`: the
    /// manifest GET already started, if any.
    func push(
        tree directory: String, cacheKey: String, images: [DatabaseImage] = [], skippedDatabases: [String] = [],
        manifest prefetched: Task<Result<RemoteManifest?, SyncError>, Never>? = nil
    ) async throws(SyncError) -> PushResult {
        let clock = ContinuousClock()
        let started = clock.now
        let timer = PhaseTimer(logger: logger)
        // The manifest GET runs while the tree is scanned: a no-change push costs the longer of the two.
        async let fetched = {
            if let prefetched { return await prefetched.value }
            return await self.readManifestResult()
        }()
        let scanner = TreeScanner(
            excludes: options.excludes, maxFileSize: options.maxFileSize, maxTotalSize: options.maxTotalSize)
        let cachePath = hashCachePath(for: cacheKey)
        var cache = timer.measure("hash cache load") { cachePath.map(FileHashCache.load(path:)) ?? FileHashCache() }
        var tree = try timer.measure("scan") { () throws(SyncError) in try scanner.scan(root: directory, cache: &cache)
        }
        tree.add(images: images)
        // Rewriting the cache is only worth it when something was hashed.
        if let cachePath, !options.dryRun, tree.hashedFiles > 0 || !FileHashCache.isCurrentFormat(path: cachePath) {
            timer.measure("hash cache save") { cache.save(path: cachePath) }
        }
        let waited = ContinuousClock.now
        var remote = try await fetched.get()
        timer.log("manifest wait", since: waited)
        tree.keep(skippedDatabases, from: remote?.manifest)
        let remoteObjects = remote == nil ? try await listStoredPaths().map(\.path) : []
        var warnings = tree.skipped.map { "skipped \($0.path): \($0.reason)" }

        var plan = timer.measure("plan") {
            SyncPlan.make(local: tree.entries, remote: remote?.manifest, remoteObjects: remoteObjects)
        }
        // A format-1 manifest whose snapshot is stale is brought up to date even without changes.
        let current =
            remote.map {
                $0.manifest.locatesEntries || !options.snapshot
                    || $0.manifest.snapshot?.generation == $0.manifest.generation
            } == true
        func result(_ written: WrittenGeneration?, committed: Bool, generation: Int, deleted: Int) -> PushResult {
            PushResult(
                plan: plan, generation: generation, committed: committed,
                snapshotWritten: written?.snapshotWritten ?? false, uploadedFiles: written?.files ?? 0,
                uploadedBytes: written?.bytes ?? 0, deletedObjects: deleted, files: tree.entries.count,
                bytes: tree.totalBytes, warnings: warnings, dryRun: options.dryRun,
                seconds: (clock.now - started).seconds, objectsWritten: written?.objects ?? 0,
                packBytes: written?.packBytes ?? 0)
        }
        if options.dryRun || (remote != nil && plan.isEmpty && current) {
            return result(nil, committed: false, generation: remote?.manifest.generation ?? 0, deleted: 0)
        }
        // Freshness (SyncOptions.expectedBaseGeneration): never replace a newer generation, never write its objects.
        if let current = generationPastBase(remote) {
            Self.materialize(images, into: directory)
            let conflict = await recordConflict(
                entries: tree.entries, directory: directory, current: current, skippedAny: !tree.skipped.isEmpty,
                warnings: &warnings)
            var rejected = result(nil, committed: false, generation: current, deleted: 0)
            rejected.conflict = conflict
            return rejected
        }

        var written = try await writeGeneration(
            tree: tree, plan: plan, over: remote, from: directory, images: images, warnings: &warnings)
        var manifest = written.manifest
        timer.log("generation written", since: started)
        // The manifest is encoded once: the commit's bytes are also its history copy and its count.
        var committedBytes = try await timer.measure("commit") { () async throws(SyncError) in
            try await commit(manifest, over: remote)
        }
        if committedBytes == nil {
            // Another push committed first: lay the tree out again on top of its manifest and try once more.
            warnings.append("another push committed first; re-planned against its manifest and retried")
            remote = try await readManifest()
            // The re-plan must not bypass freshness: a winner past the base generation stays current.
            if let current = generationPastBase(remote) {
                Self.materialize(images, into: directory)
                let conflict = await recordConflict(
                    entries: tree.entries, directory: directory, current: current,
                    skippedAny: !tree.skipped.isEmpty, warnings: &warnings)
                await repairAfterLostRace(uploaded: plan.uploads, winner: remote, warnings: &warnings)
                var rejected = result(written, committed: false, generation: current, deleted: 0)
                rejected.conflict = conflict
                return rejected
            }
            plan = SyncPlan.make(local: tree.entries, remote: remote?.manifest)
            let retry = try await writeGeneration(
                tree: tree, plan: plan, over: remote, from: directory, images: images, warnings: &warnings)
            written = written.adding(retry)
            manifest = retry.manifest
            committedBytes = try await commit(manifest, over: remote)
            guard committedBytes != nil else {
                throw SyncError(
                    .conflict,
                    "s3://\(location.bucket)/\(location.manifestKey) changed twice while pushing; "
                        + "the other push's state is kept — push again to replace it")
            }
            // The winner deletes the objects of files its tree lacks, right after its commit, and those may be
            // objects this push just wrote again. Check them now that this manifest is current (a winner that
            // deletes later sees it and keeps them) and write back any that are gone.
            let winnerFiles = Set(remote?.manifest.files.map(\.path) ?? [])
            let chunked = Set(manifest.files.filter { $0.chunks != nil }.map(\.path))
            let atRisk = plan.uploads.filter { !winnerFiles.contains($0.path) && !chunked.contains($0.path) }
            var restored = try await reuploadMissing(atRisk, from: directory)
            // The winner's delete request may still be in flight (it read the manifest just before our commit):
            // look once more after it had time to land. The snapshot and packs this manifest names are immutable
            // and never at risk; this only keeps the browsable per-file layout complete.
            try? await Task.sleep(for: .seconds(2))
            restored += try await reuploadMissing(atRisk, from: directory)
            if restored > 0 {
                warnings.append("wrote back \(restored) objects the concurrent push had deleted")
            }
        }
        let bytes = committedBytes ?? []
        let manifestBytes = Int64(bytes.count)
        written.objects += 1
        written.bytes += manifestBytes
        // The manifest copy and the deletes (with garbage collection) are independent: both run at once. The
        // collection only reads the copies of older generations and always keeps this one.
        let committed = manifest
        async let history: (kept: Bool, warnings: [String]) = {
            var historyWarnings: [String] = []
            let kept = await timer.measure("history copy") {
                await self.writeHistory(committed, bytes: bytes, warnings: &historyWarnings)
            }
            return (kept, historyWarnings)
        }()
        let checksUploads = checksStaleUploads(after: manifest.generation)
        async let abortedUploads = checksUploads ? abortStaleUploads() : 0
        var deleteWarnings: [String] = []
        let deleted = await timer.measure("deletes and collection") {
            await deleteRemoved(plan.deletes, committed: manifest, previous: remote, warnings: &deleteWarnings)
        }
        let copied = await history
        _ = await abortedUploads
        timer.log("push", since: started)
        if copied.kept {
            written.objects += 1
            written.bytes += manifestBytes
        }
        warnings += copied.warnings + deleteWarnings
        logger.info(
            "pushed generation \(manifest.generation): \(written.objects) objects written (\(written.bytes) bytes), \(deleted) deleted"
        )
        return result(written, committed: true, generation: manifest.generation, deleted: deleted)
    }

    /// What one attempt at a push wrote: the manifest to commit and the objects behind it.
    struct WrittenGeneration: Sendable {
        var manifest: Manifest
        /// Per-file objects under `storage/`.
        var files: Int
        /// Every byte uploaded (objects, pack, snapshot, manifests).
        var bytes: Int64
        /// Every object written.
        var objects: Int
        var snapshotWritten: Bool
        var packBytes: Int64

        func adding(_ other: WrittenGeneration) -> WrittenGeneration {
            WrittenGeneration(
                manifest: other.manifest, files: files + other.files, bytes: bytes + other.bytes,
                objects: objects + other.objects, snapshotWritten: snapshotWritten || other.snapshotWritten,
                packBytes: packBytes + other.packBytes)
        }
    }

    /// Lays `tree` out on top of `remote` (``GenerationLayout``) and writes what the layout needs, all at once:
    /// the per-file objects of changed small files, the new pack, and the snapshot when it is rebuilt. Returns
    /// the manifest to commit. A snapshot that cannot be written is a warning: the manifest then has none, and
    /// its small files are read from `storage/`.
    func writeGeneration(
        tree: ScannedTree, plan: SyncPlan, over remote: RemoteManifest?, from directory: String,
        images: [DatabaseImage] = [], warnings: inout [String]
    ) async throws(SyncError) -> WrittenGeneration {
        let generation = (remote?.manifest.generation ?? 0) + 1
        // Per-file objects (small files: under the chunk threshold) start at once, while the layout hashes the
        // chunks of changed large files.
        let threshold = options.chunkThreshold
        let perFile = plan.uploads.filter { !(threshold > 0 && $0.size >= threshold) }
        let timer = PhaseTimer(logger: logger)
        let uploadsStarted = ContinuousClock.now
        async let perFileUploads = uploadResult(perFile, from: directory)
        let layout: GenerationLayout
        let layoutStarted = ContinuousClock.now
        do throws(SyncError) {
            layout = try GenerationLayout.make(
                local: tree.entries, previous: remote?.manifest, generation: generation,
                packKey: location.newPackKey(generation: generation), directory: directory,
                settings: GenerationLayout.Settings(
                    snapshot: options.snapshot, chunkThreshold: threshold, chunkSize: options.chunkSize),
                known: ChunkDigests.known(images))
        } catch {
            _ = await perFileUploads
            throw error
        }
        timer.log("layout", since: layoutStarted)
        let skipPaths = layout.chunkedPaths.union(tree.skipped.map(\.path))
        // The snapshot, then the pack, stream while the per-file objects upload: one stream at a time keeps
        // memory to a few parts.
        let (snapshot, snapshotWarnings) = await timer.measure("snapshot") {
            await writeSnapshot(
                of: directory, generation: generation, skipPaths: skipPaths, when: layout.rebuildSnapshot)
        }
        warnings += snapshotWarnings
        let packWrite = await timer.measure("pack upload") {
            await writePack(layout, from: directory, images: images)
        }
        let uploaded = try await perFileUploads.get()
        timer.log("per-file uploads (\(perFile.count))", since: uploadsStarted)
        let packBytes = try packWrite.get()

        var manifest = Manifest(
            generation: generation, createdAt: Date(), toolVersion: Self.toolVersion,
            parentGeneration: remote?.manifest.generation, files: layout.entries, snapshot: nil)
        manifest.packs = layout.packs
        manifest.changedSinceSnapshot = layout.changedSinceSnapshot
        if let snapshot {
            manifest.snapshot = ManifestSnapshot(
                key: snapshot.key, sha256: snapshot.sha256, size: snapshot.size, generation: generation)
        } else {
            manifest.snapshot = layout.keptSnapshot
        }
        if layout.repacked > 0 {
            logger.info("repacked \(layout.repacked) packs whose live bytes fell under half")
        }
        return WrittenGeneration(
            manifest: manifest, files: uploaded.files,
            bytes: uploaded.bytes + packBytes + (snapshot?.size ?? 0),
            objects: uploaded.files + (packBytes > 0 ? 1 : 0) + (snapshot == nil ? 0 : 1),
            snapshotWritten: snapshot != nil, packBytes: packBytes)
    }

    /// Uploads the layout's new pack (nothing when it holds nothing); returns its size. Pieces of `images` are
    /// read from memory.
    func writePack(_ layout: GenerationLayout, from directory: String, images: [DatabaseImage] = []) async
        -> Result<Int64, SyncError>
    {
        guard !layout.pieces.isEmpty else { return .success(0) }
        var put = options.putOptions
        put.contentType = "application/octet-stream"
        put.checksumSHA256 = false
        put.knownSHA256 = nil
        let uploader = PackUploader(client: client, bucket: location.bucket, key: layout.packKey, putOptions: put)
        do throws(SyncError) {
            return .success(
                try await uploader.upload(
                    layout.pieces, from: directory,
                    images: Dictionary(images.map { ($0.path, $0.buffer) }, uniquingKeysWith: { first, _ in first })))
        } catch {
            return .failure(error)
        }
    }

    /// Keeps a copy of a committed manifest (`bytes`, as committed) at `manifests/<generation>.json` (garbage
    /// collection reads the kept generations from there). A failure is a warning.
    func writeHistory(_ manifest: Manifest, bytes: [UInt8], warnings: inout [String]) async -> Bool {
        guard !bytes.isEmpty else { return false }
        var put = options.putOptions
        put.contentType = "application/json"
        put.storageClass = nil
        do {
            try await client.putObject(
                bucket: location.bucket, key: location.historyKey(generation: manifest.generation),
                body: .bytes(bytes), options: put)
            return true
        } catch {
            warnings.append("could not keep a copy of the manifest: \(error.description)")
            return false
        }
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

    /// ``upload(_:from:)`` as a `Result` (for `async let` with a typed error).
    func uploadResult(_ entries: [ManifestEntry], from directory: String) async -> Result<UploadTotals, SyncError> {
        do throws(SyncError) {
            return .success(try await upload(entries, from: directory))
        } catch {
            return .failure(error)
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

    /// Commits `manifest` if the current one is still `previous`. Returns the bytes committed, `nil` when another
    /// push won.
    func commit(_ manifest: Manifest, over previous: RemoteManifest?) async throws(SyncError) -> [UInt8]? {
        try await options.commitGuard?.checkBeforeCommit()
        let timer = PhaseTimer(logger: logger)
        let bytes: [UInt8]
        do {
            bytes = try timer.measure("manifest encode") { () throws in try manifest.encoded() }
        } catch { throw SyncError(.io, "cannot encode the manifest: \(error)") }
        var put = options.putOptions
        put.contentType = "application/json"
        put.storageClass = nil
        put.metadata.merge(ManifestHead.metadata(for: manifest)) { $1 }  // readHead() reads the generation from it
        if let etag = previous?.etag { put.ifMatch = etag } else { put.ifNoneMatch = "*" }
        do {
            try await client.putObject(
                bucket: location.bucket, key: location.manifestKey, body: .bytes(bytes), options: put)
            return bytes
        } catch {
            guard error.code == .preconditionFailed || error.status == 409 else {
                throw SyncError(s3: error, doing: "committing s3://\(location.bucket)/\(location.manifestKey)")
            }
            // A retried conditional write may have succeeded the first time: compare before calling it a conflict.
            if let current = try await readManifest(), current.bytes == bytes { return bytes }
            return nil
        }
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
    /// Streams a snapshot tarball of `directory` (without `skipPaths`) to a new key beside the manifest (never
    /// over a key a committed manifest names). A failure is a warning: the manifest then goes without one.
    func writeSnapshot(of directory: String, generation: Int, skipPaths: Set<String>, when wanted: Bool) async
        -> (SnapshotUploader.Uploaded?, [String])
    {
        guard options.snapshot, wanted else { return (nil, []) }
        var put = options.putOptions
        put.contentType = "application/zstd"
        put.checksumSHA256 = false
        put.knownSHA256 = nil
        let uploader = SnapshotUploader(
            client: client, bucket: location.bucket, key: location.newSnapshotKey(generation: generation),
            excludes: options.excludes, skipPaths: skipPaths, putOptions: put)
        do {
            return (try await uploader.upload(directory: directory), [])
        } catch {
            return (nil, ["no snapshot written: \(error.message)"])
        }
    }
}
