import Capture
import Foundation

extension CacheCoordinator {
    /// Saves the storage directory to the primary store and pushes it to S3, concurrently.
    ///
    /// A failing primary save is thrown (after the push finished). A failing push is recorded in the pending
    /// queue (when retrying could help) and is a warning in the report, or, with `s3-failure-mode: fail`, thrown.
    ///
    /// The push is conditional on ``baseGeneration`` when known: if S3 moved past it, nothing is pushed (S3 outcome
    /// `conflict`, the rejected manifest under `conflicts/`), a warning, or with `s3-failure-mode: fail` an error
    /// (exit 1). The primary entry is stamped with the generation the push left current (``GenerationStamp``).
    public func save() async throws(StoreError) -> CacheSaveReport {
        let clock = Stopwatch()
        try CacheKey.validate(settings.key, name: "key")
        if let skipped = saveSkippedByMode() { return skipped }
        guard FileSystem.isDirectory(settings.storagePath) else {
            throw StoreError(
                code: .invalidInput, message: "storage-path (--path) \(settings.storagePath) is not a directory")
        }
        // With both stores, databases are captured once, so the primary and S3 hold the same committed state.
        let base = baseGeneration.current
        let engine = s3.map { conditionalEngine($0, base: base) }
        let shared = await sharedCapture(engine: engine)
        defer { shared?.remove() }
        // The push runs beside the primary save; the primary entry is stamped with the generation it leaves
        // current (CacheCoordinator+Freshness), awaited only when its archive is written.
        let push = Task<(CacheSaveReport.S3Part, SyncError?)?, Never> {
            await pushS3(engine: engine, from: shared)
        }
        let stampEntry: (@Sendable () async -> [String: String])? =
            s3 == nil ? nil : { @Sendable in await self.stamp(after: push.value, base: base) }
        // Cancelling the save cancels the push too, as the `async let` it replaces did.
        typealias Outcomes = (Result<SaveResult, StoreError>?, (CacheSaveReport.S3Part, SyncError?)?)
        let (primaryOutcome, s3Outcome): Outcomes = await withTaskCancellationHandler {
            let primaryOutcome = await savePrimary(from: shared, stamp: stampEntry)
            return (primaryOutcome, await push.value)
        } onCancel: {
            push.cancel()
        }

        var report = CacheSaveReport(key: settings.key, source: settings.storagePath, primaryStore: primary?.name)
        if settings.includeCredentials || settings.s3?.includeCredentials == true {
            report.warnings.append(OpenCodeDefaults.credentialsWarning)
        }
        if let (part, failure) = s3Outcome {
            report.s3 = part
            if let conflict = part.conflict {
                let message = "S3 write-through to \(part.location): \(conflict.message)"
                if settings.s3FailureMode == .fail {
                    throw StoreError(code: .io, message: message + " (s3-failure-mode: fail)")
                }
                report.warnings.append(message)
            }
            if let failure {
                let message = "S3 write-through to \(part.location) failed: \(failure.message)"
                if settings.s3FailureMode == .fail {
                    if case .failure(let error) = primaryOutcome { report.warnings.append(error.message) }
                    throw StoreError(failure, message: message + " (s3-failure-mode: fail)")
                }
                var warning = message
                if let record = part.pendingRecord {
                    warning += "; recorded in \(record) for `storage-cache sync --retry-pending`"
                }
                report.warnings.append(warning)
            }
        }
        switch primaryOutcome {
        case .success(let saved)?:
            report.primary = saved
            if saved.outcome == .skipped, let message = saved.message { report.notices.append(message) }
        case .failure(let error)? where error.code == .accessDenied && primary is GitHubActionsCacheStore:
            report.warnings.append(error.message)  // a read-only token: visible, but not a failed step
        case .failure(let error)?: throw error
        case nil: break
        }
        report.duration = clock.seconds
        return report
    }

    /// One capture of the storage directory for both stores, when there are two, the tree holds a database, and
    /// both leave out the same paths; `nil` otherwise (or when the capture fails: each store then captures alone).
    private func sharedCapture(engine: SyncEngine?) async -> CapturedTree? {
        guard primary != nil, let engine, engine.options.captureDatabases, !engine.options.dryRun,
            engine.options.excludes == settings.tarball.excludes,
            TreeCapture.containsDatabases(source: settings.storagePath, excludes: engine.options.excludes)
        else { return nil }
        do {
            return try await SyncEngine.capture(settings.storagePath, options: engine.options, logger: logger)
        } catch {
            logger.warning("a shared capture failed (\(error.message)); each store captures on its own")
            return nil
        }
    }

    private func savePrimary(
        from shared: CapturedTree?, stamp: (@Sendable () async -> [String: String])?
    ) async -> Result<SaveResult, StoreError>? {
        guard let primary else { return nil }
        var options = SaveOptions(tarball: settings.tarball, overwrite: settings.overwrite)
        options.captureDatabases = shared == nil
        options.resolveMetadata = stamp
        do {
            return .success(
                try await primary.save(
                    directory: shared?.path ?? settings.storagePath, key: settings.key, options: options))
        } catch {
            return .failure(error)
        }
    }

    private func pushS3(engine: SyncEngine?, from shared: CapturedTree?) async -> (CacheSaveReport.S3Part, SyncError?)?
    {
        guard let s3, let engine else { return nil }
        let clock = Stopwatch()
        let location = s3.locationDescription
        let queue = PendingQueue(directory: s3.settings.stateDirectory)
        let path = FileSystem.absolute(settings.storagePath)
        do {
            var pushed: PushResult
            if let shared {
                pushed = try await engine.push(tree: shared.path, cacheKey: settings.storagePath)
                pushed.warnings = shared.warnings + pushed.warnings
            } else {
                // The primary store captures the same tree meanwhile: the backup API, whose locks survive it.
                let pushing = primary == nil ? engine : engine.with { $0.captureInMemory = false }
                pushed = try await pushing.push(from: settings.storagePath)
            }
            // A pending record would later push this (older) tree unconditionally: a conflict clears it too.
            clearPending(queue, settings: s3.settings, path: path)
            var part = CacheSaveReport.S3Part(
                outcome: pushed.conflict != nil ? "conflict" : pushed.committed ? "pushed" : "unchanged",
                location: location, generation: pushed.generation, uploadedFiles: pushed.uploadedFiles,
                uploadedBytes: pushed.uploadedBytes, deletedObjects: pushed.deletedObjects, files: pushed.files,
                bytes: pushed.bytes, duration: clock.seconds)
            part.conflict = pushed.conflict
            rememberPushed(pushed)
            return (part, nil)
        } catch {
            var part = CacheSaveReport.S3Part(
                outcome: "failed", location: location, duration: clock.seconds, error: error.message)
            if error.isRetryable {
                do {
                    try queue.record(PendingEntry(failedPush: s3.settings, localPath: path, error: error.message))
                    part.pendingRecord = queue.path
                } catch {
                    logger.warning("could not record the failed push in the pending queue: \(error.message)")
                }
            }
            return (part, error)
        }
    }

    /// A successful push supersedes a pending entry for the same directory and location.
    private func clearPending(_ queue: PendingQueue, settings: SyncSettings, path: String) {
        guard FileManager.default.fileExists(atPath: queue.path) else { return }
        let key = PendingEntry(failedPush: settings, localPath: path, error: "").key
        do {
            try queue.update { entries in entries.removeAll { $0.key == key } }
        } catch {
            logger.warning("could not update the pending queue: \(error.message)")
        }
    }
}

extension SyncError {
    /// Whether a push that failed this way is worth a pending record: S3 or the network was down, access was
    /// denied, or a conflict persisted. Bad input, a local I/O problem or damaged remote data is not retried.
    public var isRetryable: Bool {
        switch code {
        case .s3, .accessDenied, .conflict: true
        case .invalidInput, .io, .corrupted, .notFound: false
        }
    }
}

extension StoreError {
    /// A store error with the exit status matching `error`'s kind and `message`.
    public init(_ error: SyncError, message: String? = nil) {
        let code: Code =
            switch error.code {
            case .invalidInput: .invalidInput
            case .accessDenied: .accessDenied
            case .corrupted: .dataIntegrity
            case .notFound: .notFound
            case .io, .s3, .conflict: .io
            }
        self.init(code: code, message: message ?? error.message)
    }

    /// An input error as a store error (exit 2), with its message naming the input.
    public init(_ error: InputError) {
        self.init(code: .invalidInput, message: error.description)
    }
}
